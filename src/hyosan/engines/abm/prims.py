"""Numba primitives shared by the continuous moves (:mod:`hyosan.engines.abm.motion`) and the cell hops
(:mod:`hyosan.engines.abm.hops`): the run's random stream, the cell of a coordinate, passability."""

from __future__ import annotations

import numpy as np
from numba import njit

from hyosan.engines.abm.codes import BLOCKS_HUMANS, BLOCKS_ZOMBIES


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
