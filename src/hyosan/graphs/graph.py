"""The contact graph every network run reads: undirected, in CSR form, validated once.

``indptr`` (n + 1 int64) and ``indices`` (int32) list each node's neighbours, every edge stored in
both directions; ``weights`` (float64, same length as ``indices``) scale the per-edge rates, or is
``None`` for an unweighted graph. A graph is refused, in one line naming where it came from, when it
has self-loops, repeated edges, negative or non-finite weights, node ids out of range or an edge
stored in one direction only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from hyosan.budget import require_memory
from hyosan.errors import HyosanError

#: Most nodes a graph may have (node ids are int32).
MAX_NODES = 2**31 - 2
#: Bytes per stored edge direction (int32 neighbour, float64 weight when weighted, build copies).
EDGE_BYTES = 24


class GraphError(HyosanError):
    """A contact graph (its file, object or generator spec) is malformed."""


@dataclass(frozen=True, eq=False)
class Graph:
    """An undirected contact graph in CSR form (see the module docstring)."""

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray | None = None
    name: str = "graph"

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def edges(self) -> int:
        """Undirected edges."""
        return len(self.indices) // 2

    @property
    def degrees(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def mean_degree(self) -> float:
        return len(self.indices) / self.n if self.n else 0.0

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes + (0 if self.weights is None else self.weights.nbytes)

    def describe(self) -> str:
        kind = "weighted" if self.weights is not None else "unweighted"
        return f"{self.name}: {self.n:,} nodes, {self.edges:,} edges, mean degree {self.mean_degree:.4g} ({kind})"


def from_edges(
    u: np.ndarray, v: np.ndarray, n: int | None = None, weights: np.ndarray | None = None, *, name: str = "graph"
) -> Graph:
    """The graph of the undirected edges ``u[i] -- v[i]`` (each listed once) on nodes ``0..n-1``."""
    u = np.asarray(u)
    v = np.asarray(v)
    if u.shape != v.shape or u.ndim != 1:
        raise GraphError(f"{name}: the two endpoint columns have different lengths; give one (u, v) pair per edge")
    for col in (u, v):
        if col.size and not np.issubdtype(col.dtype, np.integer):
            raise GraphError(f"{name}: node ids must be whole numbers 0..n-1, got {col.dtype} values")
    top = int(max(u.max(initial=-1), v.max(initial=-1)))
    low = int(min(u.min(initial=0), v.min(initial=0)))
    if n is None:
        n = top + 1
    if not 0 < n <= MAX_NODES:
        raise GraphError(f"{name}: {n:,} nodes; a graph has from 1 to {MAX_NODES:,} nodes")
    if low < 0 or top >= n:
        bad = low if low < 0 else top
        raise GraphError(f"{name}: node id {bad} is out of range 0..{n - 1}; number nodes from 0, or give n")
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != u.shape:
            raise GraphError(f"{name}: {len(weights):,} weights for {len(u):,} edges; give one weight per edge")
        bad = ~np.isfinite(weights) | (weights < 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise GraphError(
                f"{name}: edge {i} ({u[i]}--{v[i]}) has weight {weights[i]}; weights must be finite and >= 0"
            )
    require_memory(2 * len(u) * EDGE_BYTES + 16 * n, f"{name}: {len(u):,} edges", "use a smaller graph")
    loops = u == v
    if loops.any():
        i = int(np.argmax(loops))
        raise GraphError(f"{name}: edge {i} is a self-loop at node {u[i]}; a contact joins two different nodes")
    src = np.concatenate([u, v]).astype(np.int64)
    dst = np.concatenate([v, u]).astype(np.int32)
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    w = None if weights is None else np.concatenate([weights, weights])[order]
    same = (src[1:] == src[:-1]) & (dst[1:] == dst[:-1])
    if same.any():
        i = int(np.argmax(same))
        raise GraphError(f"{name}: the edge {src[i]}--{dst[i]} is listed twice; give each contact once")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return Graph(indptr, dst, w, name)


def from_csr(
    indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray | None = None, *, name: str = "graph"
) -> Graph:
    """A graph from symmetric CSR arrays (every edge in both directions), checked for the refusals above."""
    indptr = np.ascontiguousarray(indptr, dtype=np.int64)
    indices = np.asarray(indices)
    n = len(indptr) - 1
    if n < 1 or indptr[0] != 0 or indptr[-1] != len(indices) or np.any(np.diff(indptr) < 0):
        raise GraphError(f"{name}: malformed CSR arrays (indptr must rise from 0 to the number of entries)")
    if len(indices) and (indices.min() < 0 or indices.max() >= n):
        bad = int(indices.min() if indices.min() < 0 else indices.max())
        raise GraphError(f"{name}: node id {bad} is out of range 0..{n - 1}")
    indices = np.array(indices, dtype=np.int32)
    if weights is not None:
        weights = np.array(weights, dtype=np.float64)
        if weights.shape != indices.shape:
            raise GraphError(f"{name}: {len(weights):,} weights for {len(indices):,} entries; give one per entry")
        if not np.all(np.isfinite(weights) & (weights >= 0)):
            raise GraphError(f"{name}: a weight is negative or not finite; weights must be finite and >= 0")
    problem, a, b = _check_csr(indptr, indices, np.empty(0) if weights is None else weights, weights is not None)
    if problem:
        what = {
            1: f"a self-loop at node {a}; a contact joins two different nodes",
            2: f"the edge {a}--{b} listed twice; give each contact once",
            3: f"the edge {a}->{b} without {b}->{a} (or with another weight); the graph must be undirected",
        }[problem]
        raise GraphError(f"{name}: {what}")
    return Graph(indptr, indices, weights, name)


@numba.njit(cache=True)
def _check_csr(indptr, indices, weights, weighted):  # pragma: no cover - compiled
    """0 if fine; else (1 self-loop | 2 repeated | 3 asymmetric, a, b). Sorts each row in place."""
    n = len(indptr) - 1
    for a in range(n):
        lo, hi = indptr[a], indptr[a + 1]
        order = np.argsort(indices[lo:hi], kind="mergesort")
        indices[lo:hi] = indices[lo:hi][order]
        if weighted:
            weights[lo:hi] = weights[lo:hi][order]
        for e in range(lo, hi):
            if indices[e] == a:
                return 1, a, a
            if e > lo and indices[e] == indices[e - 1]:
                return 2, a, indices[e]
    for a in range(n):
        for e in range(indptr[a], indptr[a + 1]):
            b = indices[e]
            lo, hi = indptr[b], indptr[b + 1]
            while lo < hi:
                mid = (lo + hi) // 2
                if indices[mid] < a:
                    lo = mid + 1
                else:
                    hi = mid
            if lo == indptr[b + 1] or indices[lo] != a or (weighted and weights[lo] != weights[e]):
                return 3, a, b
    return 0, 0, 0
