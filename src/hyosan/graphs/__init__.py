"""Contact graphs for the ``network`` engine: one CSR container, built from anything.

:func:`graph` takes a :class:`Graph`, a networkx graph, a scipy sparse matrix, an edge-list file
(``.csv``, ``.txt``, ``.parquet``) or a generator spec: ``er:n=100000,k=10``,
``config:n=10000,k=5,dist=poisson`` (dist: regular, poisson, geometric), ``ba:n=1000,m=3``,
``ws:n=1000,k=10,p=0.1``, ``sbm:sizes=50|50,p_in=0.3,p_out=0.01``, ``complete:n=100``,
``file:edges.csv,n=1000``, ``school:hyosan-high`` (the school of the agent scenario, see
:mod:`hyosan.graphs.school`). Every generator takes ``seed=`` (default 1): the same spec is always the
same graph, whatever the run's seed. An igraph graph is read through its edge list and its
``weight`` edge attribute. A time-varying graph is a :class:`~hyosan.graphs.schedule.Schedule`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hyosan.graphs.graph import Graph, GraphError, from_csr, from_edges

__all__ = ["Graph", "GraphError", "Schedule", "from_csr", "from_edges", "graph"]


def __getattr__(name: str):
    if name == "Schedule":
        from hyosan.graphs.schedule import Schedule

        return Schedule
    raise AttributeError(name)


_KEYS = {
    "er": {"n", "k", "seed"},
    "config": {"n", "k", "dist", "seed"},
    "ba": {"n", "m", "seed"},
    "ws": {"n", "k", "p", "seed"},
    "sbm": {"sizes", "p_in", "p_out", "seed"},
    "complete": {"n"},
    "file": {"path", "n"},
    "school": {"name", "grade_k", "clubs", "club_share", "seed"},
}
_REQUIRED = {
    "er": {"n", "k"},
    "config": {"n", "k"},
    "ba": {"n", "m"},
    "ws": {"n", "k", "p"},
    "sbm": {"sizes", "p_in", "p_out"},
    "complete": {"n"},
    "file": {"path"},
    "school": {"name"},
}


def graph(source: Any) -> Graph:
    """The :class:`Graph` of ``source`` (see the module docstring)."""
    if isinstance(source, Graph):
        return source
    if isinstance(source, Path) or (isinstance(source, str) and ":" not in source.split(",")[0]):
        from hyosan.graphs.convert import read_edges

        return read_edges(source)
    if isinstance(source, str):
        return from_spec(source)
    if type(source).__module__.startswith("igraph"):
        from hyosan.graphs.convert import from_igraph

        return from_igraph(source)
    if hasattr(source, "is_directed") and hasattr(source, "edges"):
        from hyosan.graphs.convert import from_networkx

        return from_networkx(source)
    if hasattr(source, "tocsr") or type(source).__module__.startswith("scipy.sparse"):
        from hyosan.graphs.convert import from_scipy

        return from_scipy(source)
    raise GraphError(
        f"graph: cannot use a {type(source).__name__}; give a Graph, a networkx graph, a scipy sparse matrix, "
        "an edge-list file or a spec such as er:n=1000,k=10"
    )


def from_spec(spec: str) -> Graph:
    """The graph of a generator spec ``KIND:key=value,...`` (or ``file:PATH,n=...``)."""
    kind, _, rest = spec.partition(":")
    if kind not in _KEYS:
        from hyosan.catalog import did_you_mean

        raise GraphError(
            f"--graph {spec[:60]}: unknown graph kind '{kind[:20]}'{did_you_mean(kind, _KEYS)}; "
            f"choose one of: {', '.join(_KEYS)}, or give an edge-list file"
        )
    args: dict[str, str] = {}
    for i, item in enumerate(rest.split(",") if rest else []):
        key, eq, value = item.partition("=")
        if kind in ("file", "school") and i == 0 and not eq:
            key, value = ("path" if kind == "file" else "name"), item
        elif not eq or key not in _KEYS[kind]:
            raise GraphError(
                f"--graph {spec[:60]}: '{item[:30]}' is not one of {kind}'s keys key=value: "
                f"{', '.join(sorted(_KEYS[kind]))}"
            )
        args[key] = value
    missing = _REQUIRED[kind] - set(args)
    if missing:
        raise GraphError(f"--graph {spec[:60]}: give {', '.join(sorted(missing))} (e.g. {_example(kind)})")
    return _build(kind, args, spec)


def _example(kind: str) -> str:
    return {
        "er": "er:n=100000,k=10",
        "config": "config:n=10000,k=5,dist=poisson",
        "ba": "ba:n=1000,m=3",
        "ws": "ws:n=1000,k=10,p=0.1",
        "sbm": "sbm:sizes=50|50,p_in=0.3,p_out=0.01",
        "complete": "complete:n=100",
        "file": "file:edges.csv,n=1000",
        "school": "school:hyosan-high",
    }[kind]


def _number(args: dict[str, str], key: str, spec: str, whole: bool = False, lo: float = 0.0) -> Any:
    raw = args[key]
    try:
        value = float(raw)
    except ValueError:
        raise GraphError(f"--graph {spec[:60]}: {key}={raw[:20]} is not a number") from None
    if whole and not value.is_integer():
        raise GraphError(f"--graph {spec[:60]}: {key}={raw[:20]} must be a whole number")
    if not lo <= value < float("inf"):
        raise GraphError(f"--graph {spec[:60]}: {key}={raw[:20]} must be a finite number >= {lo:g}")
    return int(value) if whole else value


def _build(kind: str, args: dict[str, str], spec: str) -> Graph:
    from hyosan.graphs import generators as gen

    seed = _number(args, "seed", spec, whole=True) if "seed" in args else 1
    if kind == "file":
        from hyosan.graphs.convert import read_edges

        return read_edges(args["path"], _number(args, "n", spec, whole=True, lo=1) if "n" in args else None)
    if kind == "school":
        from hyosan.graphs.school import school

        extra = {"grade_k": _number(args, "grade_k", spec)} if "grade_k" in args else {}
        if "clubs" in args:
            extra["clubs"] = _number(args, "clubs", spec, True, 1)
        if "club_share" in args:
            extra["club_share"] = _number(args, "club_share", spec)
        return school(args["name"], seed=seed, **extra)
    if kind == "er":
        return gen.er(_number(args, "n", spec, True, 2), _number(args, "k", spec), seed)
    if kind == "config":
        n = _number(args, "n", spec, True, 2)
        degrees = gen.degree_sequence(n, _number(args, "k", spec), args.get("dist", "regular"), seed)
        return gen.configuration(degrees, seed, name=spec)
    if kind == "complete":
        import numpy as np

        n = _number(args, "n", spec, True, 2)
        if n > 20_000:
            raise GraphError(f"--graph {spec[:60]}: a complete graph of {n:,} nodes is too big; use n <= 20000")
        u, v = np.triu_indices(n, 1)
        return from_edges(u, v, n, name=spec)
    import networkx as nx

    if kind == "ba":
        n, m = _number(args, "n", spec, True, 2), _number(args, "m", spec, True, 1)
        if m >= n:
            raise GraphError(f"--graph {spec[:60]}: m must be below n")
        return gen.from_networkx_generator(lambda: nx.barabasi_albert_graph(n, m, seed=seed), spec)
    if kind == "ws":
        n, k, p = _number(args, "n", spec, True, 3), _number(args, "k", spec, True, 2), _number(args, "p", spec)
        if k >= n or p > 1:
            raise GraphError(f"--graph {spec[:60]}: need k < n and 0 <= p <= 1")
        return gen.from_networkx_generator(lambda: nx.watts_strogatz_graph(n, k, p, seed=seed), spec)
    try:
        sizes = [int(s) for s in args["sizes"].split("|")]
    except ValueError:
        raise GraphError(f"--graph {spec[:60]}: sizes are whole numbers joined by |, e.g. sizes=50|50") from None
    p_in, p_out = _number(args, "p_in", spec), _number(args, "p_out", spec)
    if p_in > 1 or p_out > 1 or min(sizes) < 1:
        raise GraphError(f"--graph {spec[:60]}: block sizes >= 1 and probabilities in [0, 1]")
    probs = [[p_in if i == j else p_out for j in range(len(sizes))] for i in range(len(sizes))]
    return gen.from_networkx_generator(lambda: nx.stochastic_block_model(sizes, probs, seed=seed), spec)
