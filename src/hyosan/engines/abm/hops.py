"""Cell motion (``motion: cells``): an agent stands at the centre of a cell and hops to one of the eight cells
around it (Moore neighbourhood), whole cells per step, as in a floor-field cellular automaton (Burstedde et al.
2001; Kirchner & Schadschneider 2002) and as in Mesa's ``MultiGrid``.

* **Wandering**: each hop goes to one of the 8 neighbours drawn uniformly; a hop onto a wall, a closed door, off
  the map, across a wall's corner (a diagonal hop needs both cells beside it open) or, with crowding on, into a
  full cell is refused and the agent stays. The proposal is symmetric and so is the refusal, so a uniform
  density stays uniform; unhindered, the displacement per hop has mean 0 and mean square (4 x 1 + 4 x 2) / 8 =
  1.5 cells^2.
* **Heading somewhere** (hunting, fleeing, a soldier's route): each hop goes to the neighbour in the direction
  of the remaining way to the target point (the direction rounded to the nearest of the 8, sectors of 45
  degrees); if that cell is refused, to the neighbour 45 degrees either side (the one nearer the target
  first); else the agent stops.
* **Following a distance field** (an exit, a hiding place, a waypoint): each hop goes to the field's next cell;
  if refused, to the free neighbour with the lowest distance below the agent's own; else the agent stops.

Hops per step: the move's distance in cells, rounded to the nearest whole number (a wander's fractional part,
e.g. a hider's reduced pace, is a hop with that probability); the scenario's speeds are whole cells per step
(:mod:`hyosan.agents.scenario_motion` refuses others). Crowding's occupancy grid ``occ`` is kept at every hop.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hyosan.engines.abm.codes import BLOCKS_HUMANS, BLOCKS_ZOMBIES
from hyosan.engines.abm.crowd import C_CAP
from hyosan.engines.abm.prims import urand

SIN_22_5 = 0.3826834323650898
RING_C = (1, 1, 0, -1, -1, -1, 0, 1)
RING_R = (0, 1, 1, 1, 0, -1, -1, -1)


@njit(cache=True, inline="always", error_model="numpy")
def can_hop(r, c, dr, dc, zombie, hroom, block, room, occ, cap):
    """May an agent on cell (r, c) hop to (r + dr, c + dc)? On the map, open, not across a wall's corner (a
    diagonal hop needs both cells beside it open), in its safe room ``hroom`` if >= 0, not full.

    The agent's own cell is open to it, so the three cells (r2, c2), (r, c2), (r2, c) read for every hop (the
    last two are the own or the target cell when the hop is straight) test all of it without a branch."""
    r2 = r + dr
    c2 = c + dc
    if r2 < 0 or c2 < 0 or r2 >= block.shape[0] or c2 >= block.shape[1]:
        return False
    bit = BLOCKS_ZOMBIES if zombie else BLOCKS_HUMANS
    if (block[r2, c2] | block[r, c2] | block[r2, c]) & bit:
        return False
    if hroom >= 0 and room[r2, c2] != hroom:
        return False
    return cap <= 0 or occ[r2, c2] < cap


@njit(cache=True, inline="always", error_model="numpy")
def land(i, r, c, dr, dc, x, y, occ, cap):
    """Put agent i, standing on (r, c), at the centre of (r + dr, c + dc), keeping the occupancy grid."""
    if cap > 0:
        occ[r, c] -= 1
        occ[r + dr, c + dc] += 1
    x[i] = c + dc + 0.5
    y[i] = r + dr + 0.5


@njit(cache=True, inline="always", error_model="numpy")
def hop_move(i, dx, dy, dist, zombie, hroom, x, y, block, room, occ, cp):
    """Hop towards the point ``dist`` cells along the unit vector (dx, dy), ``round(dist)`` hops at most; returns
    3 when refused before arriving, else 0."""
    n = int(dist + 0.5)
    cap = int(cp[C_CAP])
    r = int(y[i])
    c = int(x[i])
    tx = x[i] + dx * dist
    ty = y[i] + dy * dist
    for _ in range(n):
        rx = tx - (c + 0.5)
        ry = ty - (r + 0.5)
        d2 = rx * rx + ry * ry
        if d2 < 0.25:
            return 0
        s = SIN_22_5 * np.sqrt(d2)
        dc = 1 if rx >= s else (-1 if rx <= -s else 0)
        dr = 1 if ry >= s else (-1 if ry <= -s else 0)
        if not can_hop(r, c, dr, dc, zombie, hroom, block, room, occ, cap):
            q = 0
            while RING_C[q] != dc or RING_R[q] != dr:
                q += 1
            a = (q + 1) % 8
            b = (q + 7) % 8
            if RING_C[b] * rx + RING_R[b] * ry > RING_C[a] * rx + RING_R[a] * ry:
                a, b = b, a
            if can_hop(r, c, RING_R[a], RING_C[a], zombie, hroom, block, room, occ, cap):
                dr, dc = RING_R[a], RING_C[a]
            elif can_hop(r, c, RING_R[b], RING_C[b], zombie, hroom, block, room, occ, cap):
                dr, dc = RING_R[b], RING_C[b]
            else:
                return 3
        land(i, r, c, dr, dc, x, y, occ, cap)
        r += dr
        c += dc
    return 0


@njit(cache=True, inline="always", error_model="numpy")
def hop_follow(i, dist, nxt, fd, zombie, hroom, x, y, block, room, occ, cp):
    """``round(dist)`` hops down a distance field (``nxt`` the next cell's offset, ``fd`` the distance, 0 at the
    goal); stops at the goal, off the field, or when no neighbour nearer the goal has room."""
    n = int(dist + 0.5)
    cap = int(cp[C_CAP])
    h, w = fd.shape
    for _ in range(n):
        r = int(y[i])
        c = int(x[i])
        f = fd[r, c]
        if not np.isfinite(f) or f <= 0.0:
            return
        dr = nxt[r, c, 0]
        dc = nxt[r, c, 1]
        if not can_hop(r, c, dr, dc, zombie, hroom, block, room, occ, cap):
            best = f
            dr = 0
            dc = 0
            for k in range(9):
                if k == 4:
                    continue
                er = k // 3 - 1
                ec = k % 3 - 1
                r2 = r + er
                c2 = c + ec
                if r2 < 0 or c2 < 0 or r2 >= h or c2 >= w or not fd[r2, c2] < best:
                    continue
                if can_hop(r, c, er, ec, zombie, hroom, block, room, occ, cap):
                    best = fd[r2, c2]
                    dr = er
                    dc = ec
            if dr == 0 and dc == 0:
                return
        land(i, r, c, dr, dc, x, y, occ, cap)


@njit(cache=True, error_model="numpy", _nrt=False)
def hop_walk(i, dist, zombie, hroom, x, y, block, room, occ, cap, rs):
    """``dist`` uniform Moore hops (the fractional part: one more with that probability); refused hops stay.
    ``cap`` people a cell (0: crowding off). Compiled without reference counting and called, with fewer arguments
    than :func:`hyosan.engines.abm.motion.wander` (each array argument costs a call about seven words)."""
    n = int(dist)
    if dist - n > 1e-9 and urand(rs) < dist - n:
        n += 1
    r = int(y[i])
    c = int(x[i])
    for _ in range(n):
        k = int(urand(rs) * 8.0)
        k += k >= 4
        dr = k // 3 - 1
        dc = k % 3 - 1
        if can_hop(r, c, dr, dc, zombie, hroom, block, room, occ, cap):
            land(i, r, c, dr, dc, x, y, occ, cap)
            r += dr
            c += dc
