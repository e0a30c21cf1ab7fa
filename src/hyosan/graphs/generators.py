"""Built-in graph generators, each deterministic for its ``seed``.

``er`` (Erdős–Rényi G(n, p)) draws its edges by geometric skipping (Batagelj & Brandes 2005) in
Numba, so 10^7 nodes take seconds, not the hours of looping over pairs; ``configuration`` pairs
stubs of a degree sequence at random and erases self-loops and repeated pairs (the "erased"
configuration model: a vanishing share of edges for large n, counted in the graph's name);
``ba``, ``ws`` and ``sbm`` come from networkx.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from hyosan.budget import require_memory
from hyosan.graphs.graph import EDGE_BYTES, Graph, GraphError, from_edges


def er(n: int, k: float, seed: int = 1) -> Graph:
    """G(n, p) with p = k / (n - 1): each pair joined independently, mean degree ``k``."""
    n, k = int(n), float(k)
    if n < 2 or not 0 <= k <= n - 1:
        raise GraphError(f"er:n={n},k={k:g}: give n >= 2 nodes and a mean degree k from 0 to n-1")
    p = k / (n - 1)
    expected = n * (n - 1) / 2 * p
    room = int(expected + 10 * math.sqrt(expected + 1) + 16)
    require_memory(room * 8 + 2 * room * EDGE_BYTES, f"er:n={n},k={k:g}", "use fewer nodes or a smaller k")
    rng = np.random.Generator(np.random.PCG64(seed))
    while True:
        u, v, m = _gnp(n, p, rng, room)
        if m <= room:
            break
        room *= 2
    return from_edges(u[:m], v[:m], n, name=f"er:n={n},k={k:g},seed={seed}")


@numba.njit(cache=True)
def _gnp(n, p, rng, room):  # pragma: no cover - compiled
    """Edges (w, v), w < v, of G(n, p); m > room means the arrays were too small (draw again)."""
    u = np.empty(room, dtype=np.int32)
    v = np.empty(room, dtype=np.int32)
    m = 0
    if p <= 0.0:
        return u, v, 0
    lp = math.log(1.0 - p) if p < 1.0 else -math.inf
    a, w = 1, -1
    while a < n:
        r = rng.random()
        skip = 0 if p >= 1.0 else int(min(math.log(1.0 - r) / lp, 4e18))
        w += 1 + skip
        while w >= a and a < n:
            w -= a
            a += 1
        if a < n:
            if m < room:
                u[m] = w
                v[m] = a
            m += 1
            if m > room:
                return u, v, m
    return u, v, m


def configuration(degrees: np.ndarray, seed: int = 1, name: str = "config") -> Graph:
    """The erased configuration model of ``degrees`` (a stub left over by an odd sum is dropped)."""
    degrees = np.asarray(degrees)
    if degrees.ndim != 1 or len(degrees) < 2 or not np.issubdtype(degrees.dtype, np.integer) or degrees.min() < 0:
        raise GraphError(f"{name}: a degree sequence is two or more whole numbers >= 0")
    total = int(degrees.sum())
    require_memory(total * (8 + EDGE_BYTES), f"{name}: {total:,} stubs", "use fewer nodes or smaller degrees")
    rng = np.random.Generator(np.random.PCG64(seed))
    stubs = np.repeat(np.arange(len(degrees), dtype=np.int64), degrees)
    rng.shuffle(stubs)
    stubs = stubs[: len(stubs) // 2 * 2].reshape(-1, 2)
    lo, hi = stubs.min(axis=1), stubs.max(axis=1)
    keep = lo != hi
    key = np.unique(lo[keep] * len(degrees) + hi[keep])
    u, v = key // len(degrees), key % len(degrees)
    erased = len(stubs) - len(key)
    return from_edges(u, v, len(degrees), name=f"{name} ({erased:,} stub pairs erased)" if erased else name)


def degree_sequence(n: int, k: float, dist: str, seed: int) -> np.ndarray:
    """``n`` degrees of mean ``k`` drawn from ``dist``: regular (k whole), poisson or geometric (from 0)."""
    rng = np.random.Generator(np.random.PCG64(seed + 1))
    if dist == "regular":
        if not float(k).is_integer():
            raise GraphError(f"config: dist=regular needs a whole k, got {k:g}")
        return np.full(n, int(k), dtype=np.int64)
    if dist == "poisson":
        return rng.poisson(k, n).astype(np.int64)
    if dist == "geometric":
        return (rng.geometric(1.0 / (k + 1.0), n) - 1).astype(np.int64)
    raise GraphError(f"config: dist={dist} is not known; choose regular, poisson or geometric")


def from_networkx_generator(make, name: str) -> Graph:
    """Run a networkx generator (imported lazily) and convert its graph."""
    from hyosan.graphs.convert import from_networkx

    return from_networkx(make(), name=name)
