"""frames.npz: the film of an agent run (replicate 0) as plain arrays, for the browser viewer.

The scenario run writes it beside the animation (:func:`hyosan.viz.film.pictures`), from the same frames
the GIF shows: positions (cells), states (0-5; 6 for a soldier still human) and door states per frame,
plus the floor plan's cell colours, the door cells, the agents' kinds and groups, the zones' boxes and
the clock, so the viewer needs neither the scenario nor a second run to play it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.errors import HyosanError

#: Keys of frames.npz; ``meta`` is JSON text.
KEYS = ("t", "x", "y", "state", "doors", "cells", "door_cells", "kind", "group", "meta")


def floor_colours(painter: Any) -> np.ndarray:
    """The floor plan's cell colours (rows, cols, 3) as the animation paints them, doors left as floor."""
    from hyosan.engines.abm.codes import EXIT, WALL
    from hyosan.viz.animate import MAP_COLOURS

    w = painter.world
    cells = np.empty((*w.shape, 3), dtype=np.uint8)
    cells[:] = MAP_COLOURS["floor"]
    cells[painter.light < 0.8] = MAP_COLOURS["dark floor"]
    cells[painter.rooms] = MAP_COLOURS["safe room"]
    cells[w.kind == WALL] = MAP_COLOURS["wall"]
    cells[w.kind == EXIT] = MAP_COLOURS["exit"]
    return cells


def frame_arrays(sc: Any, run: Any, film: Any, seed: int) -> dict[str, np.ndarray]:
    """The arrays of frames.npz for scenario ``sc``, its replicate 0 ``run`` and that run's ``film``."""
    from hyosan.engines.abm.codes import DOOR
    from hyosan.viz.animate import MAP_COLOURS, STATE_COLOURS, STATE_ORDER
    from hyosan.viz.story import clock_of

    pics = film.pictures[:-1] or film.pictures
    w = sc.world
    door = np.argwhere((w.kind == DOOR) | (w.door_id >= 0))
    door_cells = np.column_stack([door[:, 1], door[:, 0], w.door_id[door[:, 0], door[:, 1]]]).astype(np.int32)
    group = np.full(sc.n_agents, -1, dtype=np.int16)
    start = 0
    for i, g in enumerate(sc.groups):
        group[start : start + g.count] = i
        start += g.count
    boxes = {}
    for name, mask in w.zones.items():
        rows, cols = np.nonzero(mask)
        if rows.size:
            boxes[name] = [int(cols.min()), int(rows.min()), int(cols.max()), int(rows.max())]
    clock = clock_of(sc)
    meta = {
        "title": sc.title,
        "name": sc.name,
        "target": getattr(sc, "target", sc.name),
        "seed": int(seed),
        "scale_m": float(w.scale),
        "starts_at": clock.starts_at,
        "sunrise": clock.sunrise,
        "sunset": clock.sunset,
        "states": list(STATE_ORDER),
        "colours": {k: list(v) for k, v in STATE_COLOURS.items()},
        "door_colours": [list(MAP_COLOURS[k]) for k in ("open door", "shut door", "barricaded door")],
        "kinds": [k.name for k in sc.kinds],
        "groups": [g.where for g in sc.groups],
        "exits": list(w.exits),
        "zones": boxes,
    }
    return {
        "t": np.array([p.t for p in pics], dtype=np.float64),
        "x": np.stack([p.x for p in pics]).astype(np.float32),
        "y": np.stack([p.y for p in pics]).astype(np.float32),
        "state": np.stack([p.state for p in pics]).astype(np.uint8),
        "doors": np.stack([np.asarray(p.doors) for p in pics]).astype(np.uint8).reshape(len(pics), -1),
        "cells": floor_colours(film.painter),
        "door_cells": door_cells,
        "kind": np.asarray(run.agents.kind, dtype=np.int16),
        "group": group,
        "meta": np.array(json.dumps(meta)),
    }


def write_frames(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` (see :func:`frame_arrays`) to ``path`` as an uncompressed npz."""
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def read_frames(path: Path) -> dict[str, Any]:
    """frames.npz back as arrays, ``meta`` decoded; a one-line error if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as z:
            out: dict[str, Any] = {k: z[k] for k in KEYS}
    except (OSError, KeyError, ValueError) as exc:
        raise HyosanError(f"{path}: not a hyosan frames.npz ({exc}); run the scenario again with plots on") from None
    out["meta"] = json.loads(str(out["meta"]))
    return out
