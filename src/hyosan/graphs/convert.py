"""Graphs from other libraries' objects and from edge-list files (CSV, Parquet).

An edge-list file has two columns of node ids (whole numbers from 0) and optionally a third of
weights, one edge per row, an optional header row, ``,`` or whitespace between fields. The file's
size is checked against the memory available before it is read.
"""

from __future__ import annotations

import operator
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.budget import require_memory
from hyosan.graphs.graph import Graph, GraphError, from_csr, from_edges

#: Bytes of memory per byte of a CSV edge list while it is parsed and turned into CSR (measured
#: bound: text ~12 B per edge row, 2 int64 + CSR copies ~64 B per edge).
CSV_FACTOR = 8


def from_networkx(g: Any, *, name: str = "networkx graph", weight: str | None = "weight") -> Graph:
    """An undirected networkx graph; nodes are renumbered 0..n-1 in ``g.nodes`` order; edge
    attribute ``weight`` (if any edge has it) scales the rates."""
    if g.is_directed():
        raise GraphError(f"{name}: a directed graph; contacts are undirected, pass g.to_undirected()")
    if g.is_multigraph():
        raise GraphError(f"{name}: a multigraph; merge repeated contacts into one weighted edge")
    n = g.number_of_nodes()
    if n == 0:
        return from_edges(np.empty(0, np.int64), np.empty(0, np.int64), 1, name=name)
    adj = g._adj  # read each node's neighbour dict once: no edge tuples, both directions at once
    degrees = np.fromiter((len(nbrs) for nbrs in adj.values()), dtype=np.int64, count=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degrees, out=indptr[1:])
    ends = chain.from_iterable(adj.values())
    if not all(a == i for i, a in enumerate(g.nodes)):  # nodes other than 0..n-1 in order: renumber
        index = {node: i for i, node in enumerate(g.nodes)}
        ends = (index[b] for b in ends)
    indices = np.fromiter(ends, dtype=np.int64, count=int(indptr[-1]))
    w = None
    data = list(chain.from_iterable(nbrs.values() for nbrs in adj.values()))  # each entry's attribute dict
    if weight and any(map(operator.contains, data, repeat(weight))):
        w = np.fromiter((d.get(weight, 1.0) for d in data), dtype=np.float64, count=len(indices))
    return from_csr(indptr, indices, w, name=name)


def from_igraph(g: Any, *, name: str = "igraph graph") -> Graph:
    """An undirected igraph graph (vertex ids are node ids); edge attribute ``weight`` scales the rates."""
    if g.is_directed():
        raise GraphError(f"{name}: a directed graph; contacts are undirected, pass g.as_undirected()")
    edges = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    w = np.asarray(g.es["weight"], dtype=np.float64) if "weight" in g.es.attributes() else None
    return from_edges(edges[:, 0], edges[:, 1], max(g.vcount(), 1), w, name=name)


def from_scipy(a: Any, *, name: str = "sparse matrix") -> Graph:
    """A symmetric scipy sparse adjacency matrix; stored values other than 1 become weights."""
    import scipy.sparse as sp

    if a.shape[0] != a.shape[1]:
        raise GraphError(f"{name}: a {a.shape[0]}x{a.shape[1]} matrix; an adjacency matrix is square")
    csr = sp.csr_array(a)
    csr.eliminate_zeros()
    csr.sum_duplicates()
    data = csr.data.astype(np.float64)
    weights = None if np.all(data == 1.0) else data
    return from_csr(csr.indptr, csr.indices, weights, name=name)


def read_edges(path: str | Path, n: int | None = None) -> Graph:
    """The graph in an edge-list file (``.csv``/``.txt``/``.tsv`` or ``.parquet``)."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise GraphError(f"{name}: no such edge-list file; give a file or a generator such as er:n=10000,k=10")
    size = path.stat().st_size
    require_memory(size * CSV_FACTOR, f"{name} ({size / 1e6:,.0f} MB edge list)", "use a smaller graph")
    if path.suffix.lower() == ".parquet":
        cols = _parquet(path)
    else:
        cols = _text(path)
    if len(cols) not in (2, 3):
        raise GraphError(f"{name}: {len(cols)} columns; an edge list has u, v and optionally a weight")
    u, v = (_ids(c, name, i) for i, c in enumerate(cols[:2]))
    w = None if len(cols) == 2 else np.asarray(cols[2], dtype=np.float64)
    return from_edges(u, v, n, w, name=name)


def _ids(col: np.ndarray, name: str, which: int) -> np.ndarray:
    col = np.asarray(col)
    if col.dtype.kind == "f":
        if np.isnan(col).any():
            raise GraphError(f"{name}: row {int(np.argmax(np.isnan(col))) + 1} has too few fields; give u,v per row")
        if not np.all(col == np.floor(col)):
            raise GraphError(f"{name}: column {which + 1} holds a non-whole node id; ids are whole numbers from 0")
        return col.astype(np.int64)
    if col.dtype.kind not in "iu":
        raise GraphError(f"{name}: column {which + 1} is not node ids (whole numbers from 0)")
    return col.astype(np.int64, copy=False)


def _text(path: Path) -> list[np.ndarray]:
    import pandas as pd

    with open(path, "rb") as f:
        first = f.readline().decode("utf-8", "replace")
    sep = "," if "," in first else r"\s+"
    header = 0 if any(c.isalpha() for c in first.replace("e", "").replace("E", "")) else None
    if sep == ",":
        fast = _arrow_csv(path, header is not None)
        if fast is not None:
            return fast
    try:
        frame = pd.read_csv(path, sep=sep, header=header, comment="#")
    except pd.errors.ParserError as exc:
        raise GraphError(f"{path}: rows of different lengths ({str(exc).splitlines()[-1]}); one edge per row") from None
    except (pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise GraphError(f"{path}: not an edge list ({type(exc).__name__})") from None
    return [frame.iloc[:, i].to_numpy() for i in range(frame.shape[1])]


def _arrow_csv(path: Path, header: bool) -> list[np.ndarray] | None:
    """The columns by pyarrow's multithreaded CSV reader, or None (not installed, or a malformed
    file: pandas then reads it again to name the problem)."""
    try:
        from pyarrow import csv
    except ImportError:
        return None
    try:
        table = csv.read_csv(path, read_options=csv.ReadOptions(autogenerate_column_names=not header))
    except Exception:  # pyarrow raises several kinds for a bad file
        return None
    if any(table.column(i).null_count for i in range(table.num_columns)):
        return None
    return [table.column(i).to_numpy() for i in range(table.num_columns)]


def _parquet(path: Path) -> list[np.ndarray]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise GraphError(f"{path}: reading Parquet needs pyarrow; pip install pyarrow, or give a CSV") from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several kinds for a bad file
        raise GraphError(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None
    return [table.column(i).to_numpy() for i in range(table.num_columns)]
