"""Where things are in a scenario: the cells a zone name, a zone pattern or an [x, y] point names, the
waypoints of a soldier's patrol, the centre of a zone."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

import numpy as np

from hyosan.agents.floorplan import FloorPlan
from hyosan.errors import ScenarioError
from hyosan.units import length


def cells_of(world: FloorPlan, at: Callable[..., str], entry: dict, where: tuple) -> tuple[np.ndarray, str]:
    """The cells an entry names (``zone:`` names or patterns, or ``at: [x, y]`` metres) and a label;
    ``at(*where)`` says where the entry is, for messages."""
    if "zone" in entry:
        zones = zone_names(world, entry["zone"], at(*where, "zone"))
        mask = np.zeros(world.shape, dtype=bool)
        for z in zones:
            mask |= world.zones[z]
        return mask, f"zone {', '.join(zones)}"
    if "at" in entry:
        xy = entry["at"]
        if not (isinstance(xy, list) and len(xy) == 2):
            raise ScenarioError(f"{at(*where, 'at')}: write at: [x, y] in metres from the map's top-left corner")
        r, c = world.cell_of(length(f"{xy[0]}m", at(*where, "at")), length(f"{xy[1]}m", at(*where, "at")))
        h, w = world.shape
        if not (0 <= r < h and 0 <= c < w) or world.kind[r, c] == 1:
            raise ScenarioError(
                f"{at(*where, 'at')}: {xy} (row {r}, column {c}) is inside a wall or off the map; "
                "place it on a floor cell"
            )
        mask = np.zeros(world.shape, dtype=bool)
        mask[r, c] = True
        return mask, f"point {xy}"
    raise ScenarioError(f"{at(*where)}: say where: zone: NAME (or a list) or at: [x, y] metres")


def zone_names(world: FloorPlan, raw: Any, where: str) -> list[str]:
    """The zones matching a name or pattern (or a list of them); an unknown name is refused."""
    out: list[str] = []
    for pattern in raw if isinstance(raw, list) else [raw]:
        hits = [z for z in world.zones if fnmatch.fnmatchcase(z, str(pattern))]
        if not hits:
            world.zone(str(pattern), where)
        out += hits
    return out


def patrol_route(world: FloorPlan, raw: Any, where: str) -> list[tuple[int, int]]:
    """Waypoint cells of a patrol: zone names (the zone's cell nearest its centre) or [x, y] points in metres."""
    if not isinstance(raw, list) or not raw:
        raise ScenarioError(f"{where}: a patrol is a list of zone names or [x, y] points in metres")
    cells = []
    for item in raw:
        if isinstance(item, list) and len(item) == 2:
            r, c = world.cell_of(length(f"{item[0]}m", where), length(f"{item[1]}m", where))
            h, w = world.shape
            if not (0 <= r < h and 0 <= c < w) or world.kind[r, c] == 1:
                raise ScenarioError(f"{where}: waypoint {item} is inside a wall or off the map; move it to the floor")
            cells.append((r, c))
        else:
            cells.append(zone_centre(world, str(item), where))
    return cells


def zone_centre(world: FloorPlan, name: str, where: str) -> tuple[int, int]:
    """The walkable cell of zone ``name`` nearest its centroid."""
    pts = np.argwhere(world.zone(name, where) & (world.kind != 1))
    mid = pts.mean(axis=0)
    r, c = pts[np.argmin(((pts - mid) ** 2).sum(axis=1))]
    return int(r), int(c)
