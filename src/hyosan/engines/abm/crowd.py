"""Crowding: bodies take space.

The model is a floor-field cellular automaton with a density-limited speed, in the line of Kirchner &
Schadschneider (2002) for the exclusion and of the SFPE handbook / Pathfinder "SFPE mode" for the speed:

* **Exclusion.** Every cell holds at most ``cap = floor(max_density x cell area)`` people (at least one;
  one per 0.5 m cell of the shipped school map, 4 per m2). The kernel keeps an occupancy grid ``CR.occ``
  (recounted from positions at the start of every call of the step kernel, then updated by
  :func:`hyosan.engines.abm.motion.move` whenever an agent changes cell and when one dies or escapes).
  A sub-step into a full cell is refused: the agent advances to the edge of its own cell and tries one
  sidestep at right angles (to a free cell), as in Burstedde et al. (2001).
  Agents act in a fresh random order every step (the scenario's ``time.update``: random sequential update, or by
  bands of rows; :mod:`hyosan.engines.abm.order`), so no one is favoured.
* **Speed.** An agent walks at ``v0 f(rho)``, ``v0`` its kind's free speed, ``f`` Weidmann's (1993)
  relation ``1 - exp(-gamma (1/rho - 1/rho_jam))`` (``gamma`` = 1.913 m^-2, ``rho_jam`` = 5.4 m^-2,
  Weidmann's fit to 26 data sets), ``rho`` the density of the others on the open cells of a square of about
  ``WINDOW`` = 2.5 m centred on the agent's cell (5 x 5 cells of 0.5 m; walls do not count as area). Fitted:
  the window's size and placement were chosen among six (3 x 3 or 5 x 5 cells, centred on the agent or one
  or two cells ahead) as the one closest to Weidmann's curve in the corridor of
  ``benchmarks/pedestrian_validation.py`` (windows ahead of the walker made the middle densities 10-25%
  too fast and the door flow 2.0-2.2 /m/s); the choice was made on the corridor alone.

Humans, humbies, zombies and soldiers all take space; the dead and the escaped do not (a body lying on the
floor is stepped over). The per-step cost is O(1) per agent (25 cells read per move on 0.5 m cells; f from a
table, not an exp() per move). Validation against the Weidmann diagram and bottleneck flows:
``tests/test_crowd.py`` and ``benchmarks/pedestrian_validation.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit
from scipy import ndimage

from hyosan.agents.floorplan import WALL
from hyosan.agents.scenario_crowd import Crowd
from hyosan.agents.scenario_motion import on_cells
from hyosan.engines.abm.records import CrowdArrays
from hyosan.errors import ScenarioError

C_CAP, C_LAW, C_GAMMA, C_INVJAM, C_AREA, C_HALF, C_TROW, C_HOP = range(8)
P_CROWD = 22
NSLOT = 10
EDGE = 1e-6
WINDOW = 2.5
TABLE_MAX = 1 << 16
CLEAR = 8
"""Bit of the blocking grid ``W.block``: the density window around this cell lies on the map and holds no wall,
door or exit (cells whose blocking never changes), so :func:`slowdown` counts it without reading ``block``."""


def half_window(scale: float) -> int:
    """Cells on each side of the agent's cell in the density window, for cells of ``scale`` metres."""
    return max(0, round(WINDOW / 2 / scale - 0.5))


def clear_bits(plan: Any) -> np.ndarray:
    """``CLEAR`` on the cells whose whole density window stays open whatever the doors and exits do, else 0."""
    fixed = (plan.kind != WALL) & (plan.door_id < 0) & (plan.exit_id < 0)
    side = 2 * half_window(plan.scale) + 1
    whole = ndimage.minimum_filter(fixed.astype(np.uint8), size=side, mode="constant", cval=0)
    return (whole * CLEAR).astype(np.uint8)


def settings(sc: Any) -> Crowd:
    """The scenario's crowding (on with Weidmann's values when the scenario has none)."""
    return getattr(sc, "crowd", None) or Crowd()


def capacity(sc: Any) -> int:
    """People a cell holds (0: crowding off)."""
    c = settings(sc)
    area = sc.world.scale**2
    return int(np.floor(c.max_density * area + 1e-9)) if c.on else 0


def slots(sc: Any) -> np.ndarray:
    """The crowding block of the kernel parameters: capacity, speed law, gamma, 1/rho_jam (m2), cell area, window
    half-side, table row length, cell motion (1: hops, :mod:`hyosan.engines.abm.hops`)."""
    c = settings(sc)
    out = np.zeros(NSLOT)
    out[C_CAP] = capacity(sc)
    out[C_HOP] = float(on_cells(sc))
    out[C_LAW] = float(c.on and c.speed == "weidmann" and not out[C_HOP])
    out[C_GAMMA] = c.gamma
    out[C_INVJAM] = 1.0 / c.jam_density
    out[C_AREA] = sc.world.scale**2
    out[C_HALF] = half_window(sc.world.scale)
    return out


def parameters(sc: Any, P: np.ndarray) -> None:
    """Fill the crowding slots 22-31 of the kernel parameter vector ``P``."""
    P[P_CROWD : P_CROWD + NSLOT] = slots(sc)


def crowd_record(sc: Any, a: Any, w: Any) -> CrowdArrays:
    """The crowding state of a run: agents per cell (int16) and the crowding parameters, followed by the table
    of Weidmann's factor (:func:`table`; ``C_TROW`` its row length, 0 for none). Under cell motion every agent is
    put at the centre of its cell."""
    if on_cells(sc):
        a.x[:] = np.floor(a.x) + 0.5
        a.y[:] = np.floor(a.y) + 0.5
    cap = capacity(sc)
    if cap > np.iinfo(np.int16).max:
        raise ScenarioError(f"{sc.source}: crowd.max_density allows {cap:,} people on one cell; at most 32,767")
    shape = w.grid.shape if cap else (1, 1)
    par = slots(sc)
    tab = table(par)
    if tab.size:
        side = 2 * int(par[C_HALF]) + 1
        par[C_TROW] = side * side * cap + 1
    return CrowdArrays(np.zeros(shape, dtype=np.int16), np.concatenate([par, tab]))


def occupancy(a: Any, shape: tuple[int, int]) -> np.ndarray:
    """People per cell, counted from positions (everyone on the map except the dead and the escaped)."""
    live = (a.state != 4) & (a.state != 5)
    r = np.floor(a.y[live]).astype(np.int64)
    c = np.floor(a.x[live]).astype(np.int64)
    return np.bincount(r * shape[1] + c, minlength=shape[0] * shape[1]).reshape(shape)


def spots(free: np.ndarray, room: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray | None:
    """``k`` cells (row, col) drawn without replacement from the places left: cell ``free[i]`` has ``room[i]``
    places. None when fewer than ``k`` places are left."""
    room = np.maximum(room, 0)
    total = int(room.sum())
    if total < k:
        return None
    if k == 0:
        return free[:0]
    place = np.sort(rng.choice(total, size=k, replace=False))
    return free[np.searchsorted(np.cumsum(room), place, side="right")]


def occupancy_but(sc: Any, a: Any, idx: np.ndarray) -> np.ndarray:
    """People per cell of the map, not counting agents ``idx`` (who are about to be set down elsewhere)."""
    keep = (a.state != 4) & (a.state != 5)
    keep[idx] = False
    occ = np.zeros(sc.world.shape, dtype=np.int64)
    np.add.at(occ, (np.floor(a.y[keep]).astype(np.int64), np.floor(a.x[keep]).astype(np.int64)), 1)
    return occ


def put(
    sc: Any, a: Any, idx: np.ndarray, cells: np.ndarray, rng: np.random.Generator, where: str, occ: np.ndarray | None
) -> None:
    """Set agents ``idx`` down uniformly on ``cells`` (row, col) where there is room, counting ``occ`` (people per
    cell, updated; None: counted from the others); anywhere on ``cells`` when crowding is off. Refuses with one
    line naming ``where`` when they do not fit."""
    if not idx.size:
        return
    cap = capacity(sc)
    if cap:
        occ = occupancy_but(sc, a, idx) if occ is None else occ
        pick = spots(cells, cap - occ[cells[:, 0], cells[:, 1]], idx.size, rng)
        if pick is None:
            area = len(cells) * sc.world.scale**2
            raise ScenarioError(
                f"{where}: {idx.size:,} people do not fit on {area:g} m2 at crowd.max_density "
                f"{settings(sc).max_density:g} per m2 ({cap} a cell); place fewer, enlarge the zone or set crowd: off"
            )
        np.add.at(occ, (pick[:, 0], pick[:, 1]), 1)
    else:
        pick = cells[rng.integers(0, len(cells), idx.size)]
    if on_cells(sc):
        a.x[idx], a.y[idx] = pick[:, 1] + 0.5, pick[:, 0] + 0.5
        return
    a.x[idx] = pick[:, 1] + rng.uniform(0.05, 0.95, idx.size)
    a.y[idx] = pick[:, 0] + rng.uniform(0.05, 0.95, idx.size)


def nearest_room(sc: Any, a: Any, idx: np.ndarray, walk: np.ndarray) -> None:
    """Move agents ``idx`` to the centre of the nearest cell of ``walk`` with room (the nearest of ``walk`` when
    crowding is off), one agent at a time in index order, so that no cell ends above capacity."""
    if not idx.size:
        return
    cap = capacity(sc)
    occ = occupancy_but(sc, a, idx) if cap else None
    rows, cols = np.floor(a.y[idx]).astype(np.int64), np.floor(a.x[idx]).astype(np.int64)
    todo = np.arange(idx.size)
    while todo.size:
        free = walk & (occ < cap) if cap else walk
        if not free.any():
            raise ScenarioError(f"{sc.source}: no floor with room left to set {todo.size:,} people down on")
        _, (ri, ci) = ndimage.distance_transform_edt(~free, return_indices=True)
        tr, tc = ri[rows[todo], cols[todo]], ci[rows[todo], cols[todo]]
        if not cap:
            a.x[idx[todo]], a.y[idx[todo]] = tc + 0.5, tr + 0.5
            return
        key = tr * walk.shape[1] + tc
        _, first = np.unique(key, return_index=True)
        first = np.sort(first)
        j = todo[first]
        a.x[idx[j]], a.y[idx[j]] = tc[first] + 0.5, tr[first] + 0.5
        np.add.at(occ, (tr[first], tc[first]), 1)
        todo = np.delete(todo, first)


def core(sc: Any, target: np.ndarray, walk: np.ndarray) -> np.ndarray:
    """With crowding on, the deepest cells of each connected part of a target zone (within a cell of its largest
    distance from the zone's edge): where people sent to the zone head, so that it fills from the inside and its
    doorway stays clear (heading for the nearest cell of the zone, they stopped in the doorway and jammed it).
    The zone itself when crowding is off."""
    inside = target & walk
    parts, n = ndimage.label(inside)
    if not n or not capacity(sc):
        return target
    depth = ndimage.distance_transform_edt(inside)
    top = ndimage.maximum(depth, parts, index=np.arange(1, n + 1))
    return inside & (depth >= np.concatenate([[np.inf], np.asarray(top) - 1.0])[parts])


@njit(cache=True, inline="always", error_model="numpy")
def enter(occ, xi, yi):
    """Count one more agent on the cell of (xi, yi)."""
    occ[int(np.floor(yi)), int(np.floor(xi))] += 1


@njit(cache=True, inline="always", error_model="numpy")
def leave(occ, cp, xi, yi):
    """Count one agent fewer on the cell of (xi, yi) (it died or escaped), when crowding is on."""
    if cp[C_CAP] > 0:
        occ[int(np.floor(yi)), int(np.floor(xi))] -= 1


@njit(cache=True, error_model="numpy")
def weidmann(cells, count, cp):
    """Weidmann's ``f(rho)`` for ``count`` others on ``cells`` open cells (1 when nobody is there)."""
    if count <= 0 or cells == 0:
        return 1.0
    inv_rho = cells * cp[C_AREA] / count
    f = 1.0 - np.exp(-cp[C_GAMMA] * (inv_rho - cp[C_INVJAM]))
    return max(f, 0.0)


@njit(cache=True, error_model="numpy")
def table(cp):
    """:func:`weidmann` for every (cells, count) a window can hold, row by row (row length ``C_TROW``; none
    when the table would pass ``TABLE_MAX`` entries): read per move instead of an exp() and a division."""
    side = 2 * int(cp[C_HALF]) + 1
    row = side * side * int(cp[C_CAP]) + 1
    if cp[C_CAP] <= 0 or (side * side + 1) * row > TABLE_MAX:
        return np.zeros(0)
    out = np.empty((side * side + 1) * row)
    for cells in range(side * side + 1):
        for count in range(row):
            out[cells * row + count] = weidmann(cells, count, cp)
    return out


@njit(cache=True, inline="always", error_model="numpy")
def slowdown(xi, yi, zombie, hroom, block, room, occ, cp):
    """Weidmann's ``f(rho)`` for an agent at (xi, yi): rho is the density of the others on the open cells of the
    square of about ``WINDOW`` metres centred on its cell (1 when nobody is there)."""
    half = int(cp[C_HALF])
    r0 = int(np.floor(yi))
    c0 = int(np.floor(xi))
    h, w = block.shape
    bit = 2 if zombie else 1
    count = 0
    cells = 0
    if hroom < 0 and 0 <= r0 < h and 0 <= c0 < w and block[r0, c0] & CLEAR:
        cells = (2 * half + 1) * (2 * half + 1)
        count = -1
        for r in range(r0 - half, r0 + half + 1):
            for c in range(c0 - half, c0 + half + 1):
                count += occ[r, c]
    else:
        for r in range(r0 - half, r0 + half + 1):
            for c in range(c0 - half, c0 + half + 1):
                if r < 0 or c < 0 or r >= h or c >= w:
                    continue
                if block[r, c] & bit:
                    continue
                if hroom >= 0 and room[r, c] != hroom:
                    continue
                cells += 1
                count += occ[r, c]
                if r == r0 and c == c0:
                    count -= 1
    row = int(cp[C_TROW])
    if row > 0 and 0 <= count < row:
        return cp[NSLOT + cells * row + count]
    return weidmann(cells, count, cp)
