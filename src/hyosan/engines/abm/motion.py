"""Numba primitives of the agent step: the run's random stream, cells, passability, line of sight, moves
(sub-steps of at most one cell per axis, axis-separated collision), the persistent random walk and
incubation delays."""

from __future__ import annotations

import numpy as np
from numba import njit

from hyosan.engines.abm.codes import (
    OPAQUE,
    P_INC1,
    P_INC2,
    P_INC_KIND,
    SQRT12,
)
from hyosan.engines.abm.crowd import C_CAP, C_HOP, C_LAW, EDGE, slowdown
from hyosan.engines.abm.hops import hop_follow, hop_move, hop_walk
from hyosan.engines.abm.prims import cell, passable, urand

__all__ = ["cell", "follow", "glide", "incubation", "move", "passable", "seed", "sees", "urand", "wander"]


@njit(cache=True, error_model="numpy")
def seed(value: int) -> None:
    """Seed Numba's generator for this process (one run at a time per process)."""
    np.random.seed(value)


@njit(cache=True, error_model="numpy", _nrt=False)
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


@njit(cache=True, error_model="numpy", _nrt=False)
def move(i, dx, dy, dist, zombie, hroom, x, y, block, room, occ, cp, reflect=False):
    """Move agent i by ``dist`` cells along the unit vector (dx, dy) in sub-steps of at most one cell, one axis at a
    time; returns 1 if a wall stopped the x motion, 2 the y motion, 3 both, 0 neither.

    With crowding on (``cp``: the crowding parameters of :mod:`hyosan.engines.abm.crowd`, ``occ`` agents per
    cell) the distance shrinks by Weidmann's factor for the density around the agent, and a sub-step into a full cell
    stops at the edge of the agent's cell; when neither axis advanced, one sidestep at right angles into a
    cell with room ends the move.

    Compiled without reference counting and called, not inlined: inlined into the step kernel, every array argument
    cost an atomic increment and decrement per call (two thirds of the kernel's time on the Mesa model).
    Under cell motion (``cp[C_HOP]``), :func:`hyosan.engines.abm.hops.hop_move` instead."""
    if cp[C_HOP] > 0:
        return hop_move(i, dx, dy, dist, zombie, hroom, x, y, block, room, occ, cp)
    return glide(i, dx, dy, dist, zombie, hroom, x, y, block, room, occ, cp, reflect)


@njit(cache=True, inline="always", error_model="numpy")
def glide(i, dx, dy, dist, zombie, hroom, x, y, block, room, occ, cp, reflect):
    """:func:`move`, inlined into the callers compiled without reference counting (:func:`wander`)."""
    if cp[C_CAP] > 0 and cp[C_LAW] > 0 and dist > 0.0:
        dist *= slowdown(x[i], y[i], zombie, hroom, block, room, occ, cp)
    return step_to(i, dx, dy, dist, zombie, hroom, x, y, block, room, occ, cp, reflect)


@njit(cache=True, error_model="numpy", _nrt=False)
def follow(i, dist, nxt, fd, zombie, hroom, x, y, block, room, occ, cp):
    """Walk ``dist`` cells (times Weidmann's factor, with crowding on) along a distance field (``nxt`` the next
    cell's offset, ``fd`` the distance; 0 at the goal) through the centres of successive next cells, so that
    the whole distance is walked: aimed only at the next cell's centre, a walker stopped there (at most about
    one cell a step whatever its speed). Stops at the goal, off the field, or when walls or people stop it.
    Under cell motion, :func:`hyosan.engines.abm.hops.hop_follow` instead."""
    if cp[C_HOP] > 0:
        hop_follow(i, dist, nxt, fd, zombie, hroom, x, y, block, room, occ, cp)
        return
    first = True
    for _ in range(int(dist) + 3):
        r = cell(y[i])
        c = cell(x[i])
        if not np.isfinite(fd[r, c]) or fd[r, c] <= 0.0:
            return
        tx = c + nxt[r, c, 1] + 0.5 - x[i]
        ty = r + nxt[r, c, 0] + 0.5 - y[i]
        d = np.sqrt(tx * tx + ty * ty)
        if d < 1e-9:
            return
        if first and cp[C_CAP] > 0 and cp[C_LAW] > 0:
            dist *= slowdown(x[i], y[i], zombie, hroom, block, room, occ, cp)
        first = False
        s = min(dist, d)
        x1 = x[i]
        y1 = y[i]
        step_to(i, tx / d, ty / d, s, zombie, hroom, x, y, block, room, occ, cp, False)
        dist -= s
        ex = x[i] - x1 - tx / d * s
        ey = y[i] - y1 - ty / d * s
        if dist <= 1e-9 or ex * ex + ey * ey > 1e-12:
            return


@njit(cache=True, inline="always", error_model="numpy")
def step_to(i, dx, dy, dist, zombie, hroom, x, y, block, room, occ, cp, reflect):
    """The sub-steps of :func:`move`, at the distance given (no speed law)."""
    cap = int(cp[C_CAP])
    n = max(1, int(np.ceil(dist)))
    sx = dx * dist / n
    sy = dy * dist / n
    blocked = 0
    for _ in range(n):
        r = cell(y[i])
        c = cell(x[i])
        old = x[i]
        x[i] = old + sx
        c2 = cell(x[i])
        full = False
        if not passable(r, c2, zombie, hroom, block, room):
            x[i] = old
            blocked |= 1
            if reflect:
                sx = -sx
        elif cap > 0 and c2 != c:
            if occ[r, c2] >= cap:
                x[i] = c + 1.0 - EDGE if c2 > c else c + EDGE
                full = abs(sx) >= abs(sy)
            else:
                occ[r, c] -= 1
                occ[r, c2] += 1
                c = c2
        old = y[i]
        y[i] = old + sy
        r2 = cell(y[i])
        if not passable(r2, c, zombie, hroom, block, room):
            y[i] = old
            blocked |= 2
            if reflect:
                sy = -sy
        elif cap > 0 and r2 != r:
            if occ[r2, c] >= cap:
                y[i] = r + 1.0 - EDGE if r2 > r else r + EDGE
                full = full or abs(sy) > abs(sx)
            else:
                occ[r, c] -= 1
                occ[r2, c] += 1
        if full:
            sidestep(i, sx, sy, zombie, hroom, x, y, block, room, occ, cap)
            break
    return blocked


@njit(cache=True, inline="always", error_model="numpy")
def sidestep(i, sx, sy, zombie, hroom, x, y, block, room, occ, cap):
    """One step at right angles to (sx, sy), to the side with room (the left first for even i), of the
    length of the refused sub-step, not across a wall's corner; nothing when neither side has room."""
    r = cell(y[i])
    c = cell(x[i])
    for side in range(2):
        sgn = 1.0 if (side + i) % 2 == 0 else -1.0
        nx = x[i] - sgn * sy
        ny = y[i] + sgn * sx
        r2 = cell(ny)
        c2 = cell(nx)
        if (r2 == r and c2 == c) or not passable(r2, c2, zombie, hroom, block, room) or occ[r2, c2] >= cap:
            continue
        if (
            r2 != r
            and c2 != c
            and not (passable(r, c2, zombie, hroom, block, room) and passable(r2, c, zombie, hroom, block, room))
        ):
            continue
        occ[r, c] -= 1
        occ[r2, c2] += 1
        x[i] = nx
        y[i] = ny
        return


@njit(cache=True, error_model="numpy", _nrt=False)
def wander(i, dist, zombie, hroom, turn_sd, x, y, heading, block, room, occ, cp, rs):
    """Persistent random walk: the unit heading ``heading[i]`` turns by a uniform angle of s.d. ``turn_sd``
    per step (rotation by Taylor polynomials, then renormalised); walls reflect it (specular), which keeps
    a uniform density uniform. Under cell motion, uniform Moore hops (:func:`hyosan.engines.abm.hops.hop_walk`)."""
    if cp[C_HOP] > 0:
        hop_walk(i, dist, zombie, hroom, x, y, block, room, occ, int(cp[C_CAP]), rs)
        return
    d = turn_sd * SQRT12 * (urand(rs) - 0.5)
    d2 = d * d
    cd = 1.0 - d2 * (0.5 - d2 / 24.0)
    sd = d * (1.0 - d2 * (1.0 / 6.0 - d2 / 120.0))
    c = heading[i, 0] * cd - heading[i, 1] * sd
    s = heading[i, 0] * sd + heading[i, 1] * cd
    norm = 1.0 / np.sqrt(c * c + s * s)
    c *= norm
    s *= norm
    blocked = glide(i, c, s, dist, zombie, hroom, x, y, block, room, occ, cp, True)
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
