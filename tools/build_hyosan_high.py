"""Draws ``hyosan-high.txt``, the ground floor of Hyosan High School (run: python tools/build_hyosan_high.py [FOLDER]).

191 x 120 cells at 0.5 m: four rows of eleven rooms along a north and a south corridor, joined by a
west and an east corridor; between them the science lab, the library, an open courtyard and the gym.
The main gate opens at the west end of the south corridor, the back gate at the east end of the north one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

MAPS = Path(__file__).resolve().parents[1] / "src" / "hyosan" / "data" / "maps"

W, H = 191, 120
ROOM_ROWS = {"A": (1, 13, 14), "B": (22, 34, 21), "C": (85, 97, 98), "D": (106, 118, 105)}
SPECIAL = {
    ("A", 10): "broadcasting-room",
    ("A", 0): "teachers-office",
    ("B", 5): "north-hall",
    ("C", 5): "south-hall",
    ("D", 0): "infirmary",
    ("D", 9): "music-room",
    ("D", 10): "art-room",
}


def build() -> tuple[np.ndarray, dict[str, list[int]]]:
    g = np.full((H, W), "#")
    zones: dict[str, list[int]] = {}

    def floor(name: str | None, c0: int, r0: int, c1: int, r1: int, ch: str = ".") -> None:
        g[r0 : r1 + 1, c0 : c1 + 1] = ch
        if name:
            zones[name] = [c0, r0, c1, r1]

    floor("corridor-north", 1, 15, 189, 20)
    floor("corridor-south", 1, 99, 189, 104)
    floor("corridor-west", 1, 21, 6, 98)
    floor("corridor-east", 184, 21, 189, 98)
    grade, number = 1, 1
    for row, (r0, r1, door_row) in ROOM_ROWS.items():
        for k in range(11):
            c0 = 8 + 16 * k
            name = SPECIAL.get((row, k))
            if name is None:
                name = f"class-{grade}-{number}"
                number += 1
                if number > (13 if grade == 1 else 12):
                    grade, number = grade + 1, 1
            floor(name, c0, r0, c0 + 14, r1)
            if name.endswith("hall"):
                lo, hi = (r0, 35) if row == "B" else (84, r1)
                floor(None, c0 + 4, min(lo, door_row), c0 + 10, max(hi, door_row))
            else:
                g[door_row, c0 + 2 : c0 + 4] = "+"
                g[door_row, c0 + 11 : c0 + 13] = "+"
    floor("science-lab", 8, 36, 40, 58)
    floor("library", 8, 60, 40, 83)
    floor("courtyard", 42, 36, 130, 83)
    floor("gym", 132, 36, 182, 83)
    g[44:46, 7] = "+"
    g[70:72, 7] = "+"
    g[50:52, 41] = "+"
    g[74:76, 41] = "+"
    g[50:52, 183] = "+"
    g[70:72, 183] = "+"
    g[58:62, 131] = "+"
    g[99:105, 0] = "G"
    g[15:21, 190] = "K"
    return g, zones


def text() -> str:
    g, zones = build()
    lines = [
        "# Hyosan High School, ground floor: 37 classrooms, science lab, library, courtyard, gym.",
        "name: hyosan-high",
        "scale: 0.5",
        'legend: {"#": wall, ".": floor, "+": door, "G": {exit: main-gate}, "K": {exit: back-gate}}',
        "zones:",
        *(f"  {name}: {rect}" for name, rect in zones.items()),
        "---",
        *("".join(row) for row in g),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    ((Path(sys.argv[1]) if len(sys.argv) > 1 else MAPS) / "hyosan-high.txt").write_text(text())
