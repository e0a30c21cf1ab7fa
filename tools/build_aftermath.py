"""Draws ``off-limits.txt`` and ``hyosan-city.txt`` (run: python tools/build_aftermath.py [FOLDER]).

off-limits: 121 x 81 cells at 1 m, the district of Hyosan declared off limits: a grid of streets, twelve
blocks of ruined buildings (walls broken by rubble gaps), six basements with one door (the hiding places),
and the army checkpoint at the west end of the middle street.

hyosan-city: 150 x 100 cells at 2 m, a coarse Hyosan: the high school, streets, blocks of homes, a city
wall with the north and east highways, and south-east the military base behind its gate.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

MAPS = Path(__file__).resolve().parents[1] / "src" / "hyosan" / "data" / "maps"


def _text(g: np.ndarray, header: list[str], zones: dict[str, list[int]]) -> str:
    lines = [*header, "zones:"]
    lines += [f"  {k}: {v}" for k, v in zones.items()]
    return "\n".join(lines) + "\n---\n" + "\n".join("".join(r) for r in g) + "\n"


def off_limits() -> str:
    rng = np.random.default_rng(5)
    W, H = 121, 81
    g = np.full((H, W), "#")
    g[1:-1, 1:-1] = "."
    zones: dict[str, list[int]] = {}
    cols = [(6, 32), (37, 63), (68, 94), (99, 119)]
    rows = [(1, 22), (29, 50), (57, 79)]
    hide = 0
    for bi, (r0, r1) in enumerate(rows):
        for bj, (c0, c1) in enumerate(cols):
            name = f"block-{'nms'[bi]}{bj + 1}"
            zones[name] = [c0, r0, c1, r1]
            b0, b1, a0, a1 = r0 + 2, r1 - 2, c0 + 2, c1 - 2
            g[b0, a0 : a1 + 1] = g[b1, a0 : a1 + 1] = "#"
            g[b0 : b1 + 1, a0] = g[b0 : b1 + 1, a1] = "#"
            mid = (a0 + a1) // 2
            g[b0:b1, mid] = "#"
            for _ in range(6):
                side = rng.integers(4)
                if side < 2:
                    c = rng.integers(a0 + 2, a1 - 3)
                    g[b0 if side == 0 else b1, c : c + 3] = "."
                else:
                    r = rng.integers(b0 + 2, b1 - 3)
                    g[r : r + 3, a0 if side == 2 else a1] = "."
            r = rng.integers(b0 + 2, b1 - 3)
            g[r : r + 2, mid] = "."
            if (bi + bj) % 2 == 0:
                hide += 1
                h0, k0 = b1 - 6, a1 - 7
                g[h0, k0:a1] = "#"
                g[h0:b1, k0] = "#"
                g[h0, k0 + 3] = "+"
                g[h0 + 1 : b1, k0 + 1 : a1] = "."
                g[b1, k0 + 1 : a1] = "#"
                g[h0 + 1 : b1, a1] = "#"
                zones[f"hideout-{hide}"] = [k0 + 1, h0 + 1, a1 - 1, b1 - 1]
    g[39:42, 0] = "C"
    zones["checkpoint"] = [1, 36, 4, 44]
    zones["north"] = [1, 1, 119, 24]
    zones["middle"] = [1, 27, 119, 52]
    zones["south"] = [1, 55, 119, 79]
    zones["district"] = [1, 1, 119, 79]
    header = [
        "# The off-limits district (season two): ruined blocks, basements to hide in, the army checkpoint.",
        "name: off-limits",
        "scale: 1.0",
        'legend: {"#": wall, ".": floor, "+": door, "C": {exit: checkpoint}}',
    ]
    return _text(g, header, zones)


def hyosan_city() -> str:
    W, H = 150, 100
    g = np.full((H, W), "#")
    g[1:85, 1:119] = "."
    zones: dict[str, list[int]] = {}
    n = 0
    for r0 in range(4, 80, 16):
        for c0 in range(4, 116, 16):
            if 4 <= r0 <= 36 and 4 <= c0 <= 36:
                continue
            n += 1
            g[r0 : r0 + 12, c0 : c0 + 12] = "#"
            for dr in (1, 7):
                for dc in (1, 7):
                    g[r0 + dr : r0 + dr + 4, c0 + dc : c0 + dc + 4] = "."
                    g[r0 if dr == 1 else r0 + 11, c0 + dc + 1] = "+"
            zones[f"homes-{n}"] = [c0, r0, c0 + 11, r0 + 11]
    g[6:37, 6:37] = "#"
    g[7:36, 7:36] = "."
    for r in (16, 26):
        g[r, 7:36] = "#"
        for c in (10, 20, 30):
            g[r, c : c + 2] = "+"
    g[7:36, 21] = "#"
    for r in (11, 21, 31):
        g[r : r + 2, 21] = "+"
    g[36, 20:23] = "+"
    g[20:23, 36] = "+"
    zones["school"] = [7, 7, 35, 35]
    g[0, 58:62] = "N"
    zones["north-road"] = [50, 1, 70, 6]
    g[40:44, 119:149] = "."
    g[38, 119:149] = g[45, 119:149] = "#"
    g[39:45, 149] = "#"
    g[40:44, 149] = "E"
    g[39, 119:149] = g[44, 119:149] = "#"
    zones["east-highway"] = [119, 40, 148, 43]
    g[84, 100:104] = "."
    g[85:88, 100:104] = "."
    g[88, 100:104] = "+"
    g[89:99, 80:149] = "."
    g[89:99, 80] = g[89:99, 148] = "#"
    g[98, 110:118] = "B"
    zones["base-gate"] = [100, 85, 103, 88]
    zones["base"] = [81, 89, 147, 97]
    zones["city"] = [1, 1, 118, 84]
    header = [
        "# Hyosan, coarse: the high school (north-west), homes, highways north and east, the military base south-east.",
        "name: hyosan-city",
        "scale: 2.0",
        'legend: {"#": wall, ".": floor, "+": door, "N": {exit: highway-north}, "E": {exit: highway-east}, '
        '"B": {exit: barracks}}',
    ]
    return _text(g, header, zones)


if __name__ == "__main__":
    here = Path(sys.argv[1]) if len(sys.argv) > 1 else MAPS
    (here / "off-limits.txt").write_text(off_limits())
    (here / "hyosan-city.txt").write_text(hyosan_city())
