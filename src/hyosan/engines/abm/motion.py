"""Numba primitives of the agent step: the run's random stream, cells, passability, line of sight, moves
(sub-steps of at most one cell per axis, axis-separated collision), the persistent random walk and
incubation delays."""

from __future__ import annotations

import numpy as np
from numba import njit

from hyosan.engines.abm.codes import (
    BLOCKS_HUMANS,
    BLOCKS_ZOMBIES,
    OPAQUE,
    P_INC1,
    P_INC2,
    P_INC_KIND,
    SQRT12,
)


@njit(cache=True, error_model="numpy")
def seed(value: int) -> None:
    """Seed Numba's generator for this process (one run at a time per process)."""
    np.random.seed(value)


@njit(cache=True, inline="always", error_model="numpy")
def urand(rs):
    """Uniform [0, 1) from the run's xorshift64* stream ``rs`` (a one-element uint64 array)."""
    v = rs[0]
    v ^= v >> np.uint64(12)
    v ^= v << np.uint64(25)
    v ^= v >> np.uint64(27)
    rs[0] = v
    return (v * np.uint64(2685821657736338717) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always", error_model="numpy")
def cell(v):
    """The cell index of coordinate ``v`` (floor: -0.3 is in cell -1, off the map, not cell 0)."""
    return int(np.floor(v))


@njit(cache=True, inline="always", error_model="numpy")
def passable(r, c, zombie, hroom, block, room):
    """May a zombie (or a human, confined to safe room ``hroom`` when >= 0) stand on cell (r, c)?"""
    if r < 0 or c < 0 or r >= block.shape[0] or c >= block.shape[1]:
        return False
    if block[r, c] & (BLOCKS_ZOMBIES if zombie else BLOCKS_HUMANS):
        return False
    if hroom >= 0 and room[r, c] != hroom:
        return False
    return True


@njit(cache=True, error_model="numpy")
def sees(x0, y0, x1, y1, block):
    """Line of sight between two points: no wall or closed door on the Bresenham cell line."""
    c0, r0, c1, r1 = int(x0), int(y0), int(x1), int(y1)
    dc = abs(c1 - c0)
    dr = -abs(r1 - r0)
    sc = 1 if c0 < c1 else -1
    sr = 1 if r0 < r1 else -1
    err = dc + dr
    while True:
        if block[r0, c0] & OPAQUE:
            return False
        if c0 == c1 and r0 == r1:
            return True
        e2 = 2 * err
        if e2 >= dr:
            err += dr
            c0 += sc
        if e2 <= dc:
            err += dc
            r0 += sr


@njit(cache=True, inline="always", error_model="numpy")
def move(i, dx, dy, dist, zombie, hroom, x, y, block, room, reflect=False):
    """Move agent i by ``dist`` cells along the unit vector (dx, dy) in sub-steps of at most one cell, one axis at a
    time; returns 1 if a wall stopped the x motion, 2 the y motion, 3 both, 0 neither."""
    n = max(1, int(np.ceil(dist)))
    sx = dx * dist / n
    sy = dy * dist / n
    blocked = 0
    for _ in range(n):
        old = x[i]
        x[i] = old + sx
        if not passable(cell(y[i]), cell(x[i]), zombie, hroom, block, room):
            x[i] = old
            blocked |= 1
            if reflect:
                sx = -sx
        old = y[i]
        y[i] = old + sy
        if not passable(cell(y[i]), cell(x[i]), zombie, hroom, block, room):
            y[i] = old
            blocked |= 2
            if reflect:
                sy = -sy
    return blocked


@njit(cache=True, inline="always", error_model="numpy")
def wander(i, dist, zombie, hroom, turn_sd, x, y, heading, block, room, rs):
    """Persistent random walk: the unit heading ``heading[i]`` turns by a uniform angle of s.d. ``turn_sd``
    per step (rotation by Taylor polynomials, then renormalised); walls reflect it (specular), which keeps
    a uniform density uniform."""
    d = turn_sd * SQRT12 * (urand(rs) - 0.5)
    d2 = d * d
    cd = 1.0 - d2 * (0.5 - d2 / 24.0)
    sd = d * (1.0 - d2 * (1.0 / 6.0 - d2 / 120.0))
    c = heading[i, 0] * cd - heading[i, 1] * sd
    s = heading[i, 0] * sd + heading[i, 1] * cd
    norm = 1.0 / np.sqrt(c * c + s * s)
    c *= norm
    s *= norm
    blocked = move(i, c, s, dist, zombie, hroom, x, y, block, room, True)
    heading[i, 0] = -c if blocked & 1 else c
    heading[i, 1] = -s if blocked & 2 else s


@njit(cache=True, error_model="numpy")
def incubation(P):
    kind = int(P[P_INC_KIND])
    if kind == 0:
        return P[P_INC1]
    if kind == 1:
        return np.random.exponential(P[P_INC1])
    if kind == 2:
        return P[P_INC1] * np.exp(P[P_INC2] * np.random.standard_normal())
    return np.random.gamma(P[P_INC2], P[P_INC1] / P[P_INC2])
