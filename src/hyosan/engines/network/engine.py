"""The ``network`` engine: a compartment model run exactly on a contact graph.

Each node is in one compartment; node transitions fire per node and pair transitions along
edges (rules in :mod:`hyosan.engines.network.rules`, the kernel in
:mod:`hyosan.engines.network.kernel`). The graph sets the population: the model's initial sizes of
every compartment but the first are placed on nodes drawn at random (per replicate), and the
first compartment (the susceptibles) takes the other nodes. ``seed_nodes`` chooses who starts in
the model's first infected compartment instead of its initial size: ``"random:10"``,
``"degree:10"`` (the 10 of highest degree, ties to the lower id) or ``"ids:1,2,3"``
(or a sequence of ids). Each replicate draws from its own PCG64 stream, so a result depends on the
seed only, never on ``workers``. Timed parameter changes (interventions ``set: {beta: ...}`` at
times) cut the run into segments at their times, where the tables are rebuilt and the exponential
clocks redrawn (exact, by memorylessness). The result has the common schema of the stochastic engines.
"""

from __future__ import annotations

import math
import os
import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import xarray as xr

from hyosan import __version__
from hyosan.budget import require_memory
from hyosan.compartmental.model import Model
from hyosan.engines.events import event_params, schedule
from hyosan.engines.network import kernel
from hyosan.engines.network.rules import Tables, tables
from hyosan.errors import EngineError
from hyosan.graphs import Graph
from hyosan.graphs import graph as as_graph
from hyosan.graphs.schedule import Schedule
from hyosan.outcomes import add_outcomes
from hyosan.parallel import generator, map_replicates, replicate_seeds
from hyosan.results import make_dataset

INTERVENTIONS: frozenset[str] = frozenset({"timed"})
_OPTIONS = {"graph", "seed_nodes", "edge_rates", "periods", "max_events", "node_events"}


class Outcome(NamedTuple):
    values: np.ndarray
    t_final: float
    t_extinct: float
    fired: int
    heap: int
    log_t: np.ndarray
    log_i: np.ndarray  # (events, 4): node, from, to, by (the neighbour that caused it, or -1)


@dataclass(frozen=True)
class Setup:
    """Everything a replicate needs, picklable for the process pool."""

    graph: Graph | Schedule
    tables: Tables
    initial: np.ndarray  # nodes per compartment, seeds excluded
    seeds: np.ndarray | None  # fixed seed nodes, or None
    random_seeds: int  # seeds drawn at random per replicate
    seed_state: int
    infected: np.ndarray
    times: np.ndarray
    max_events: int
    node_events: bool = False
    model: Model | None = None
    edge_rates: Mapping[str, float] | None = None
    periods: Mapping[str, str] | None = None

    @property
    def timed(self) -> list:
        """The model's timed parameter changes, grouped by time, up to the horizon."""
        return schedule(self.model, float(self.times[-1])) if self.model is not None and self.model.events else []

    def rates(self, p: np.ndarray) -> Tables:
        """The tables of the model with parameter values ``p`` (after timed interventions)."""
        model = self.model.with_values(dict(zip([q.name for q in self.model.parameters], p.tolist(), strict=True)))
        g = self.graph
        return tables(model, g.n, None if isinstance(g, Schedule) else g.mean_degree, self.edge_rates, self.periods)

    def __call__(self, chunk: list[tuple[int, np.random.SeedSequence]]) -> list[Outcome]:
        return [self.replicate(generator(seq)) for _, seq in chunk]

    def replicate(self, rng: np.random.Generator) -> Outcome:
        tb, t_end = self.tables, float(self.times[-1])
        state = _place(self, rng)
        ss, t_node = state.astype(np.int64), np.full(len(state), np.inf)
        out = np.zeros((len(self.times), len(self.initial)), dtype=np.int64)
        g = self.graph
        pieces = _pieces(g, t_end, [t for t, _ in self.timed])
        k, fired, most, t_last, t_zero, cut = 0, 0, 0, 0.0, -1.0, False
        log_t, log_i, nlog = np.empty(1024 if self.node_events else 1), np.empty((1024, 4), dtype=np.int64), 0
        p = np.array([q.value for q in self.model.parameters]) if self.timed else None
        timed, draw = list(self.timed), 1
        for i, (snap, start, stop) in enumerate(pieces):
            while timed and timed[0][0] <= start:
                t_event, group = timed.pop(0)
                x = np.bincount(ss & 0xFFFF, minlength=len(self.initial)).astype(np.float64)
                for event, n_occ in group:
                    p = event_params(self.model, event, n_occ, t_event, x, p)
                tb, draw = self.rates(p), max(draw, 2)
            weights = snap.weights if snap.weights is not None else np.empty(0)
            status, t, fired, zero, heap, cut, k, log_t, log_i, nlog = kernel.simulate(
                rng, snap.indptr, snap.indices, weights, snap.weights is not None, ss, t_node, draw, start, stop,
                tb.node_count, tb.node_dest, tb.node_rate, tb.pair_count, tb.pair_dest, tb.pair_rate, tb.period,
                self.infected, self.times, out, k, fired, self.max_events, 4 * int(self.initial[1:].sum()) + 1024,
                i == len(pieces) - 1, log_t, log_i, nlog, self.node_events,
            )  # fmt: skip
            draw = 0
            if status == kernel.TOO_MANY:
                raise EngineError(
                    f"network: a replicate fired {fired:,} transitions by t={t:.6g}, the most allowed (max_events, "
                    "--max-events); raise it or shorten the horizon (--t-end)"
                )
            t_last = t if t >= 0 else t_last
            t_zero = zero if zero >= 0 else t_zero
            most = max(most, heap)
        state = ss & 0xFFFF
        going = any(
            kernel.active(
                s.indptr, s.indices, s.weights if s.weights is not None else np.empty(0), s.weights is not None,
                state, tb.node_total, tb.pair_total,
            )
            for s in (g.graphs if isinstance(g, Schedule) else (g,))
        ) if cut or isinstance(g, Schedule) else False  # fmt: skip
        t_final = t_end if going else t_last
        still = bool(out[-1, self.infected].any())
        t_extinct = math.nan if still or not self.infected.any() else (t_zero if t_zero >= 0 else 0.0)
        return Outcome(out, t_final, t_extinct, fired, most, log_t[:nlog].copy(), log_i[:nlog].copy())


def _pieces(g: Graph | Schedule, t_end: float, cuts: list[float]) -> list[tuple[Graph, float, float]]:
    """(graph, start, stop) segments to ``t_end``: the schedule's snapshots, also cut at ``cuts``."""
    base = g.segments(t_end) if isinstance(g, Schedule) else [(g, 0.0, t_end)]
    out = []
    for snap, start, stop in base:
        inner = sorted(c for c in cuts if start < c < stop)
        for a, b in zip([start, *inner], [*inner, stop], strict=True):
            out.append((snap, a, b))
    return out


def _place(setup: Setup, rng: np.random.Generator) -> np.ndarray:
    n = setup.graph.n
    state = np.zeros(n, dtype=np.int64)
    free = np.ones(n, dtype=np.bool_)
    if setup.seeds is not None:
        state[setup.seeds] = setup.seed_state
        free[setup.seeds] = False
    want = [(c, int(k)) for c, k in enumerate(setup.initial) if c > 0 and k > 0]
    if setup.random_seeds:
        want.insert(0, (setup.seed_state, setup.random_seeds))
    total = sum(k for _, k in want)
    if total:
        pool = np.flatnonzero(free)
        chosen = pool[rng.choice(len(pool), size=total, replace=False)] if total < len(pool) else pool
        at = 0
        for c, k in want:
            state[chosen[at : at + k]] = c
            at += k
    return state


def prepare(
    model: Model,
    times: np.ndarray,
    graph: Any,
    seed_nodes: str | Sequence[int] | None = None,
    edge_rates: Mapping[str, float] | None = None,
    max_events: int | None = None,
    periods: Mapping[str, str] | None = None,
) -> Setup:
    """Check ``model`` and the options against ``graph``; refusals are one line."""
    if graph is None:
        raise EngineError("network: give the contact graph (--graph er:n=10000,k=10, an edge-list file, or graph=G)")
    if len(model.compartments) > 65535:
        raise EngineError(f"network: {model.name} has {len(model.compartments):,} compartments; at most 65,535")
    fixed = {**dict(edge_rates or {}), **dict(periods or {})}
    for ev in model.events:
        for tr in model.transitions:
            hit = tr.name in fixed and {name for name, _ in ev.params} & tr.rate.names
            if hit:
                raise EngineError(
                    f"network: intervention '{ev.name}' sets {', '.join(sorted(hit))}, but transition '{tr.name}' has "
                    "its per-edge rate or period given, which the change would not reach; drop one of them"
                )
        if ev.triggered or ev.assign or not ev.params:
            what = "is triggered by a condition" if ev.triggered else "changes compartments"
            raise EngineError(
                f"network: intervention '{ev.name}' {what}; the network engine applies timed parameter changes "
                "(set: {beta: 0.1} at times) only so far; remove it or use --engine ssa"
            )
    g = graph if isinstance(graph, Schedule) else as_graph(graph)
    tb = tables(model, g.n, None if isinstance(g, Schedule) else g.mean_degree, edge_rates, periods)
    infected = np.array([c in model.infected for c in model.compartments], dtype=np.bool_)
    initial = np.array(model.initial, dtype=np.float64)
    if np.any(initial != np.round(initial)):
        raise EngineError(f"{model.source}: initial sizes must be whole numbers of nodes; use --set")
    initial = initial.astype(np.int64)
    seeds, random_seeds, seed_state = None, 0, 0
    if seed_nodes is not None:
        if not model.infected:
            raise EngineError(
                f"--seed-nodes: {model.name} names no infected compartment to seed (its 'infected' field)"
            )
        seed_state = model.compartments.index(model.infected[0])
        if seed_state == 0:
            raise EngineError("--seed-nodes: the first compartment is the one that takes the other nodes; reorder")
        initial[seed_state] = 0
        seeds, random_seeds = _seed_nodes(seed_nodes, g.graphs[0] if isinstance(g, Schedule) else g)
    placed = int(initial[1:].sum()) + random_seeds + (0 if seeds is None else len(seeds))
    if placed > g.n:
        raise EngineError(
            f"network: the initial state places {placed:,} nodes outside {model.compartments[0]} but the graph has "
            f"{g.n:,}; lower the initial sizes (--set) or use a bigger graph"
        )
    initial[0] = g.n - placed
    if max_events is not None and (not isinstance(max_events, (int, np.integer)) or max_events < 1):
        raise EngineError(f"max_events (--max-events) {max_events!r}: give a whole number >= 1")
    return Setup(
        g, tb, initial, seeds, random_seeds, seed_state, infected, times, int(max_events or 10**12), False,
        model, dict(edge_rates or {}) or None, dict(periods or {}) or None,
    )  # fmt: skip


def _seed_nodes(spec: str | Sequence[int], g: Graph) -> tuple[np.ndarray | None, int]:
    """(fixed seed nodes, number to draw at random)."""
    if not isinstance(spec, str):
        ids = np.asarray(list(spec))
        kind, text = "ids", ",".join(map(str, ids[:5]))
    else:
        kind, _, text = spec.partition(":")
        if kind not in ("random", "degree", "ids") or not text:
            raise EngineError(f"--seed-nodes {spec[:40]}: write random:K, degree:K or ids:1,2,3")
        try:
            ids = np.array([int(s) for s in text.split(",")])
        except ValueError:
            raise EngineError(f"--seed-nodes {spec[:40]}: {kind} takes whole numbers, e.g. {kind}:10") from None
    if kind != "ids":
        if len(ids) != 1 or not 1 <= ids[0] <= g.n:
            raise EngineError(f"--seed-nodes {spec[:40]}: give one count from 1 to the {g.n:,} nodes")
        if kind == "random":
            return None, int(ids[0])
        order = np.lexsort((np.arange(g.n), -g.degrees))
        return np.sort(order[: ids[0]]), 0
    if ids.size == 0 or not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= g.n:
        raise EngineError(f"--seed-nodes ids:{text[:40]}: node ids are whole numbers from 0 to {g.n - 1}")
    if len(np.unique(ids)) != len(ids):
        raise EngineError(f"--seed-nodes ids:{text[:40]}: a node is listed twice")
    return np.sort(ids), 0


def run(
    model: Model,
    times: np.ndarray,
    *,
    seed: int | None = 0,
    replicates: int = 1,
    workers: int | None = None,
    progress: bool = False,
    **options: Any,
) -> xr.Dataset:
    """``replicates`` exact runs of ``model`` on ``options['graph']`` reported at ``times``."""
    options = {k: v for k, v in options.items() if v is not None}
    unknown = set(options) - _OPTIONS
    if unknown:
        raise EngineError(f"network: unknown option(s) {sorted(unknown)}; options: {', '.join(sorted(_OPTIONS))}")
    times = np.asarray(times, dtype=np.float64)
    setup = prepare(model, times, options.get("graph"), options.get("seed_nodes"), options.get("edge_rates"),
                    options.get("max_events"), options.get("periods"))  # fmt: skip
    if options.get("node_events"):
        from dataclasses import replace

        setup = replace(setup, node_events=True)
    start = _time.perf_counter()
    root, seeds = replicate_seeds(seed, replicates)
    used = max(1, min(workers or os.cpu_count() or 1, replicates))
    results: list[Outcome] = map_replicates(setup, seeds, workers=used, progress=progress, label="network replicates")
    values = np.stack([r.values for r in results])
    g = setup.graph
    attrs = {
        "hyosan_version": __version__,
        "engine": "network",
        "model": model.name,
        "model_digest": model.digest(),
        "seed": seed if seed is not None else str(root),
        "rng": "PCG64 streams from SeedSequence(seed).spawn(replicates)",
        "parameters": model.parameter_values,
        "initial": dict(zip(model.compartments, values[0, 0].tolist(), strict=True)),
        "graph": g.describe(),
        "graph_nodes": g.n,
        "graph_edges": None if isinstance(g, Schedule) else g.edges,
        "mean_degree": None if isinstance(g, Schedule) else g.mean_degree,
        "rules": "; ".join(setup.tables.rules),
        "elapsed_s": _time.perf_counter() - start,
        "events": int(sum(r.fired for r in results)),
        "largest_heap": int(max(r.heap for r in results)),
        "replicates": replicates,
        "workers": used,
    }
    ds = make_dataset(times, values, model.compartments, attrs)
    add_outcomes(ds, model, values[:, -1, :])
    ds["t_final"] = ("replicate", np.array([r.t_final for r in results]), {"units": "days"})
    ds["t_extinction"] = ("replicate", np.array([r.t_extinct for r in results]), {"units": "days"})
    if setup.node_events:
        _add_node_events(ds, results, model)
    return ds


def _add_node_events(ds: xr.Dataset, results: list[Outcome], model: Model) -> None:
    """Each replicate's state changes as (replicate, event) variables, padded with NaN / -1."""
    width = max(1, max(len(r.log_t) for r in results))
    require_memory(len(results) * width * 48, f"node events: {len(results)} replicates x {width:,} changes",
                   "run fewer replicates or drop node_events")  # fmt: skip
    t = np.full((len(results), width), np.nan)
    cols = np.full((4, len(results), width), -1, dtype=np.int64)
    for i, r in enumerate(results):
        t[i, : len(r.log_t)] = r.log_t
        cols[:, i, : len(r.log_t)] = r.log_i.T
    names = ", ".join(model.compartments)
    ds["node_event_time"] = (("replicate", "event"), t, {"units": "days"})
    ds["node_event_node"] = (("replicate", "event"), cols[0], {"long_name": "node that changed state"})
    ds["node_event_from"] = (("replicate", "event"), cols[1], {"compartments": names})
    ds["node_event_to"] = (("replicate", "event"), cols[2], {"compartments": names})
    ds["node_event_by"] = (("replicate", "event"), cols[3], {"long_name": "neighbour that caused it (-1: none)"})


def node_events_frame(ds: xr.Dataset):
    """The node events of a result as a tidy table: replicate, time, node, from, to, by (the
    transmission tree is the rows with by >= 0)."""
    import pandas as pd

    names = np.array(ds["node_event_from"].attrs["compartments"].split(", "))
    t = ds["node_event_time"].values
    keep = ~np.isnan(t)
    rep = np.broadcast_to(ds["replicate"].values[:, None], t.shape)[keep]
    return pd.DataFrame({
        "replicate": rep,
        "time": t[keep],
        "node": ds["node_event_node"].values[keep],
        "from": names[ds["node_event_from"].values[keep]],
        "to": names[ds["node_event_to"].values[keep]],
        "by": ds["node_event_by"].values[keep],
    })  # fmt: skip
