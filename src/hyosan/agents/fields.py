"""Distance fields over the walkable grid, and the next cell downhill from every cell.

Distances are path lengths in cells over the 8-connected grid (diagonal steps cost sqrt 2 and may
not cut a wall corner), computed by Dijkstra in ``scipy.sparse.csgraph`` from many sources at once.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


def _graph(walkable: np.ndarray) -> csr_matrix:
    h, w = walkable.shape
    index = np.arange(h * w).reshape(h, w)
    rows, cols, costs = [], [], []
    for dr, dc in STEPS:
        a = walkable[max(0, -dr) : h - max(0, dr), max(0, -dc) : w - max(0, dc)]
        b = walkable[max(0, dr) : h - max(0, -dr) if dr < 0 else h, max(0, dc) : w - max(0, -dc) if dc < 0 else w]
        ok = a & b
        if dr and dc:
            ok &= walkable[max(0, -dr) : h - max(0, dr), max(0, dc) : w - max(0, -dc) if dc < 0 else w]
            ok &= walkable[max(0, dr) : h - max(0, -dr) if dr < 0 else h, max(0, -dc) : w - max(0, dc)]
        src = index[max(0, -dr) : h - max(0, dr), max(0, -dc) : w - max(0, dc)][ok]
        rows.append(src)
        cols.append(src + dr * w + dc)
        costs.append(np.full(src.size, np.hypot(dr, dc)))
    return csr_matrix((np.concatenate(costs), (np.concatenate(rows), np.concatenate(cols))), shape=(h * w, h * w))


def distance_field(walkable: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Path distance (cells) from every cell to the nearest source cell; inf where unreachable."""
    walkable = np.asarray(walkable, dtype=bool)
    start = np.flatnonzero(np.asarray(sources, dtype=bool) & walkable)
    if start.size == 0:
        return np.full(walkable.shape, np.inf, dtype=np.float32)
    dist = dijkstra(_graph(walkable), directed=True, indices=start, min_only=True)
    return dist.reshape(walkable.shape).astype(np.float32)


def next_cells(dist: np.ndarray, walkable: np.ndarray) -> np.ndarray:
    """For every cell, the (drow, dcol) step to its lowest walkable neighbour; (0, 0) at a minimum."""
    h, w = dist.shape
    pad = np.pad(np.where(walkable, dist, np.inf), 1, constant_values=np.inf)
    wpad = np.pad(walkable, 1, constant_values=False)
    best = np.where(walkable, dist, np.inf).astype(np.float64)
    step = np.zeros((h, w, 2), dtype=np.int8)
    for dr, dc in STEPS:
        cand = pad[1 + dr : 1 + dr + h, 1 + dc : 1 + dc + w].astype(np.float64)
        if dr and dc:
            corner = wpad[1 + dr : 1 + dr + h, 1 : 1 + w] & wpad[1 : 1 + h, 1 + dc : 1 + dc + w]
            cand = np.where(corner, cand, np.inf)
        better = cand < best - 1e-6
        best = np.where(better, cand, best)
        step[better] = (dr, dc)
    return step


def point_fields(walkable: np.ndarray, cells: list[tuple[int, int]]) -> np.ndarray:
    """Path distances (cells) from every cell to each of ``cells``, one field per cell, in one Dijkstra call."""
    walkable = np.asarray(walkable, dtype=bool)
    h, w = walkable.shape
    out = np.full((len(cells), h, w), np.inf, dtype=np.float32)
    ok = [i for i, (r, c) in enumerate(cells) if walkable[r, c]]
    if ok:
        start = np.array([cells[i][0] * w + cells[i][1] for i in ok])
        dist = dijkstra(_graph(walkable), directed=True, indices=start)
        out[ok] = dist.reshape(len(ok), h, w)
    return out
