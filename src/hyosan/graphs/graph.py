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
    attrs: dict[str, np.ndarray] | None = None  # node attributes (label per node, "" for none), e.g. class

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
    weighted = weights is not None
    indptr, dst, w, problem, a, b = _build_csr(
        u.astype(np.int64, copy=False), v.astype(np.int64, copy=False), n,
        weights if weighted else np.empty(0), weighted,
    )  # fmt: skip
    if problem == 1:
        raise GraphError(f"{name}: edge {a} is a self-loop at node {b}; a contact joins two different nodes")
    if problem == 2:
        raise GraphError(f"{name}: the edge {a}--{b} is listed twice; give each contact once")
    return Graph(indptr, dst, w if weighted else None, name)


@numba.njit(cache=True)
def _build_csr(u, v, n, weights, weighted):  # pragma: no cover - compiled
    """CSR of the undirected edges by counting sort, rows sorted; (indptr, indices, weights, problem, a, b)
    with problem 1 (self-loop: edge a at node b) or 2 (edge a--b repeated), else 0."""
    m = len(u)
    indptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(m):
        if u[i] == v[i]:
            return indptr, np.empty(0, np.int32), np.empty(0), 1, i, u[i]
        indptr[u[i] + 1] += 1
        indptr[v[i] + 1] += 1
    for a in range(n):
        indptr[a + 1] += indptr[a]
    fill = indptr[:-1].copy()
    dst = np.empty(2 * m, dtype=np.int32)
    w = np.empty(2 * m if weighted else 0)
    for i in range(m):
        a, b = u[i], v[i]
        dst[fill[a]] = b
        dst[fill[b]] = a
        if weighted:
            w[fill[a]] = weights[i]
            w[fill[b]] = weights[i]
        fill[a] += 1
        fill[b] += 1
    for a in range(n):
        lo, hi = indptr[a], indptr[a + 1]
        if hi - lo > 32:
            order = np.argsort(dst[lo:hi])
            dst[lo:hi] = dst[lo:hi][order]
            if weighted:
                w[lo:hi] = w[lo:hi][order]
        elif hi - lo > 1:
            for e in range(lo + 1, hi):  # insertion sort: rows are short
                x, wx, j = dst[e], w[e] if weighted else 0.0, e - 1
                while j >= lo and dst[j] > x:
                    dst[j + 1] = dst[j]
                    if weighted:
                        w[j + 1] = w[j]
                    j -= 1
                dst[j + 1] = x
                if weighted:
                    w[j + 1] = wx
            for e in range(lo + 1, hi):
                if dst[e] == dst[e - 1]:
                    return indptr, dst, w, 2, a, dst[e]
    return indptr, dst, w, 0, 0, 0


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
