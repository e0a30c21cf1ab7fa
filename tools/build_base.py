"""Draws ``military-base.txt`` (run: python tools/build_base.py [FOLDER]).

72 x 42 cells at 1 m. West of the perimeter wall the approach road (its west end, the exit ``road``),
where survivors arrive; the gate (a door in the wall) opens into the screening hall, with a guard post;
south of the hall the isolation block behind a shut door; east of the hall, behind a shut door (the
``escort`` zone: arrivals are escorted through it once screened), the base proper: barracks (north),
mess hall (south) and the yard between and east of them, with guard posts at its corners.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from build_aftermath import _text

MAPS = Path(__file__).resolve().parents[1] / "src" / "hyosan" / "data" / "maps"


def military_base() -> str:
    W, H = 72, 42
    g = np.full((H, W), "#")
    g[1:-1, 1:-1] = "."
    g[19:22, 0] = "R"
    g[:, 15] = "#"
    g[19:22, 15] = "+"
    g[28, 16:28] = "#"
    g[:, 28] = "#"
    g[28, 21:23] = "+"
    g[19:22, 28] = "+"
    g[18, 29:49] = "#"
    g[23, 29:49] = "#"
    g[1:18, 49] = "#"
    g[24:41, 49] = "#"
    g[18, 37:40] = "+"
    g[23, 37:40] = "+"
    g[8:11, 49] = "+"
    g[31:34, 49] = "+"
    zones = {
        "approach": [1, 1, 14, 40],
        "gate": [15, 19, 15, 21],
        "escort": [28, 19, 28, 21],
        "screening-hall": [16, 1, 27, 27],
        "hall-post": [16, 1, 18, 3],
        "isolation": [16, 29, 27, 40],
        "barracks": [29, 1, 48, 17],
        "mess-hall": [29, 24, 48, 40],
        "yard": [29, 19, 70, 22],
        "yard-east": [50, 1, 70, 40],
        "base": [29, 1, 70, 40],
        "post-north": [67, 1, 70, 4],
        "post-south": [67, 37, 70, 40],
    }
    header = [
        "# The military base: approach road, gate, screening hall, isolation block, barracks, mess hall, yard.",
        "name: military-base",
        "scale: 1.0",
        'legend: {"#": wall, ".": floor, "+": door, "R": {exit: road}}',
    ]
    return _text(g, header, zones)


if __name__ == "__main__":
    ((Path(sys.argv[1]) if len(sys.argv) > 1 else MAPS) / "military-base.txt").write_text(military_base())
