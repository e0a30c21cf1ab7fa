"""The ``network`` engine: a compartment model run exactly on a contact graph.

Each node is in one compartment; node transitions fire per node and pair transitions along edges
(rules in :mod:`hyosan.engines.network.rules`, the kernel in :mod:`hyosan.engines.network.kernel`).
The graph sets the population: the model's initial sizes of every compartment but the first are
placed on nodes drawn at random (per replicate), and the first compartment (the susceptibles) takes
the other nodes. ``seed_nodes`` chooses who starts in the model's first infected compartment instead
of its initial size: ``"random:10"``, ``"degree:10"`` (the 10 of highest degree, ties to the lower
id) or ``"ids:1,2,3"`` (or a sequence of ids); ``"Z=ids:999"`` starts them in compartment Z instead.
Each replicate draws from its own PCG64 stream, so a result depends on the seed only, never on
``workers``. Interventions (``set``, ``cull``, ``isolate``, ``close``; timed or triggered) are
applied exactly at their times (:mod:`hyosan.engines.network.interventions`): a triggered one at the
transition after which its condition holds, found by replaying the kernel from a saved state to that
transition. The result has the common schema of the stochastic engines.
"""

from __future__ import annotations

import math
import os
import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import xarray as xr

from hyosan import __version__
from hyosan.compartmental.model import Model
from hyosan.engines.events import schedule
from hyosan.engines.network import interventions as ni
from hyosan.engines.network import kernel
from hyosan.engines.network.records import add_node_events as _add_node_events
from hyosan.engines.network.records import node_events_frame, transmission_tree  # noqa: F401 - the engine's API
from hyosan.engines.network.rules import Tables, tables
from hyosan.errors import EngineError
from hyosan.graphs import Graph
from hyosan.graphs import graph as as_graph
from hyosan.graphs.schedule import Schedule
from hyosan.outcomes import add_outcomes
from hyosan.parallel import generator, map_replicates, replicate_seeds
from hyosan.results import make_dataset

INTERVENTIONS: frozenset[str] = frozenset({"timed", "triggered", "graph"})
_OPTIONS = {"graph", "seed_nodes", "edge_rates", "periods", "max_events", "node_events"}


class Outcome(NamedTuple):
    values: np.ndarray
    t_final: float
    t_extinct: float
    fired: int
    heap: int
    log_t: np.ndarray
    log_i: np.ndarray  # (events, 4): node, from, to, by (the neighbour that caused it, or -1)
    t_trigger: np.ndarray  # when each triggered intervention fired (NaN: never)


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

    @cached_property
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
        return _Run(self, rng).go()


CHUNK = 65_536
"""Transitions per kernel call while a trigger is pending: each call is checked for the crossing."""


class _Run:
    """One replicate: kernel calls between interventions, schedule switches and trigger checks."""

    def __init__(self, setup: Setup, rng: np.random.Generator) -> None:
        self.s, self.rng = setup, rng
        self.model, self.times, g = setup.model, setup.times, setup.graph
        self.c = len(setup.initial)
        self.tb = ni.pad(setup.tables)
        self.ss = _place(setup, rng).astype(np.int64)
        self.t_node = np.full(len(self.ss), np.inf)
        self.out = np.zeros((len(self.times), self.c + 1), dtype=np.int64)
        self.infected = np.append(setup.infected, False)
        self.edges = ni.Edges(g)
        self.p = np.array([q.value for q in self.model.parameters], dtype=np.float64)
        self.timed = list(setup.timed)
        self.pending = [(e, ev) for e, ev in enumerate(ev for ev in self.model.events if ev.triggered)]
        self.t_trigger = np.full(len(self.pending), math.nan)
        self.k, self.fired, self.draw, self.most = 0, 0, 1, 0
        self.t_last, self.t_zero = 0.0, -1.0
        self.cut = False  # a clock beyond a stop was dropped, or an intervention fired: check activity at the end
        self.log_t, self.log_i, self.nlog = np.empty(1024), np.empty((1024, 4), dtype=np.int64), 0
        t_end = float(self.times[-1])
        if isinstance(g, Schedule):
            index = {id(s): i for i, s in enumerate(g.graphs)}
            self.segments = [(index[id(snap)], a, b) for snap, a, b in g.segments(t_end)]
        else:
            self.segments = [(0, 0.0, t_end)]

    def counts(self) -> np.ndarray:
        return np.bincount(self.ss & 0xFFFF, minlength=self.c + 1)

    def fill(self, before: float) -> None:
        """Report rows before ``before`` get the present counts (nothing changed since the last event)."""
        counts = self.counts()
        while self.k < len(self.times) and self.times[self.k] < before:
            self.out[self.k] = counts
            self.k += 1

    def fire(self, event, n_occ: int, t: float) -> None:
        self.fill(t)
        self.cut = True
        p, moved, old = ni.apply(self.model, event, n_occ, t, self.ss, self.p, self.rng, self.edges)
        if p is not self.p:
            self.p, self.tb = p, ni.pad(self.s.rates(p))
            self.draw = 1 if self.draw == 1 else 2
        if len(moved):
            self.t_last = max(self.t_last, t)
            self._moved(moved, old, t)

    def _moved(self, moved: np.ndarray, old: np.ndarray, t: float) -> None:
        tb, state = self.tb, self.ss[moved] & 0xFFFF
        self.t_node[moved] = np.inf
        if self.draw != 1:
            total = tb.node_total
            for u, x in zip(moved.tolist(), state.tolist(), strict=True):
                if total[x] > 0:
                    law, a, b = tb.period[x]
                    wait = a if law == 1 else self.rng.gamma(a, b) if law == 2 else (
                        self.rng.lognormal(a, b) if law == 3 else self.rng.exponential() / total[x])  # fmt: skip
                    self.t_node[u] = t + wait
            self.draw = max(self.draw, 2)
        n_inf = int(self.counts()[self.infected].sum())
        if n_inf == 0 and self.infected[old].any():
            self.t_zero = t
        if self.s.node_events:
            self._log(np.full(len(moved), t), np.stack([moved, old, state, np.full(len(moved), -1)], axis=1))

    def _log(self, t: np.ndarray, rows: np.ndarray) -> None:
        while self.nlog + len(t) > len(self.log_t):
            self.log_t = np.concatenate([self.log_t, np.empty(len(self.log_t))])
            self.log_i = np.concatenate([self.log_i, np.empty_like(self.log_i)])
        self.log_t[self.nlog : self.nlog + len(t)] = t
        self.log_i[self.nlog : self.nlog + len(t)] = rows
        self.nlog += len(t)

    def triggers_now(self, t: float) -> None:
        """Fire, in order, every pending trigger whose condition holds now (again after each firing)."""
        while self.pending:
            m = ni.margins([ev.when for _, ev in self.pending], self.model, self.counts()[None, :], self.p)[:, 0]
            hit = [i for i, v in enumerate(m) if v > 0]
            if not hit:
                return
            e, ev = self.pending.pop(hit[0])
            self.t_trigger[e] = t
            self.fire(ev, 1, t)

    def kernel(self, start: float, stop: float, snap: int, limit: int, logging: bool):
        g, w, weighted = self.edges.view(snap)
        tb = self.tb
        res = kernel.simulate(
            self.rng, g.indptr, g.indices, w, weighted, self.ss, self.t_node, self.draw, start, stop,
            tb.node_count, tb.node_dest, tb.node_rate, tb.pair_count, tb.pair_dest, tb.pair_rate, tb.period,
            self.infected, self.times, self.out, self.k, self.fired, limit,
            4 * int(self.s.initial[1:].sum()) + 1024, False, self.log_t, self.log_i, self.nlog, logging,
        )  # fmt: skip
        status, t, self.fired, zero, heap, cut, self.k, self.log_t, self.log_i, self.nlog = res
        self.cut |= cut
        self.draw = 0
        self.t_last = t if t >= 0 else self.t_last
        self.t_zero = zero if zero >= 0 else self.t_zero
        self.most = max(self.most, heap)
        return status, t

    def go(self) -> Outcome:
        s, t_end = self.s, float(self.times[-1])
        cur, seg = 0.0, 0
        self.triggers_now(0.0)
        while True:
            while self.timed and self.timed[0][0] <= cur:
                t_event, group = self.timed.pop(0)
                for event, n_occ in group:
                    self.fire(event, n_occ, t_event)
                self.triggers_now(t_event)
            if cur >= t_end:
                break
            while self.segments[seg][2] <= cur:
                seg += 1
            snap, _, stop = self.segments[seg]
            stop = min(stop, self.timed[0][0]) if self.timed else stop
            cur = self.advance(cur, stop, snap)
        self.fill(math.inf)
        values = self.out[:, : self.c]
        tb, state = self.tb, self.ss & 0xFFFF
        going = (self.cut or len(self.edges.snaps) > 1) and any(
            kernel.active(self.edges.view(i)[0].indptr, self.edges.view(i)[0].indices, self.edges.view(i)[1],
                          self.edges.view(i)[2], state, tb.node_total, tb.pair_total)
            for i in range(len(self.edges.snaps))
        )  # fmt: skip
        t_final = t_end if going else self.t_last
        still = bool(values[-1, s.infected].any())
        t_extinct = math.nan if still or not s.infected.any() else (self.t_zero if self.t_zero >= 0 else 0.0)
        log_t, log_i = self.log_t[: self.nlog].copy(), self.log_i[: self.nlog].copy()
        return Outcome(values, t_final, t_extinct, self.fired, self.most, log_t, log_i, self.t_trigger)

    def advance(self, cur: float, stop: float, snap: int) -> float:
        """Run from ``cur`` to ``stop`` (or to a trigger's crossing); the time reached."""
        most = self.s.max_events
        if not self.pending:
            status, t = self.kernel(cur, stop, snap, most, self.s.node_events)
            if status == kernel.TOO_MANY:
                self.too_many(t)
            return stop
        saved = (self.ss.copy(), self.t_node.copy(), self.rng.bit_generator.state, self.out.copy(), self.k,
                 self.fired, self.nlog, self.draw, self.t_last, self.t_zero)  # fmt: skip
        counts0, n0 = self.counts(), self.nlog
        status, t = self.kernel(cur, stop, snap, min(most, self.fired + CHUNK), True)
        log = self.log_i[n0 : self.nlog]
        step = np.zeros((len(log), self.c + 1), dtype=np.int64)
        np.add.at(step, (np.arange(len(log)), log[:, 1]), -1)
        np.add.at(step, (np.arange(len(log)), log[:, 2]), 1)
        m = ni.margins([ev.when for _, ev in self.pending], self.model, counts0 + np.cumsum(step, axis=0), self.p)
        holds = (m > 0).any(axis=0)
        if holds.any():
            first = int(np.argmax(holds))
            ss, t_node, rng_state, out, self.k, self.fired, self.nlog, self.draw, self.t_last, self.t_zero = saved
            self.ss[:], self.t_node[:], self.out[:] = ss, t_node, out
            self.rng.bit_generator.state = rng_state
            self.kernel(cur, stop, snap, self.fired + first + 1, True)
            t_hit = float(self.log_t[self.nlog - 1])
            if not self.s.node_events:
                self.nlog = 0
            self.triggers_now(t_hit)
            return t_hit
        if not self.s.node_events:
            self.nlog = 0
        if status == kernel.TOO_MANY:
            if self.fired >= most:
                self.too_many(t)
            return t
        return stop

    def too_many(self, t: float) -> None:
        raise EngineError(
            f"network: a replicate fired {self.fired:,} transitions by t={t:.6g}, the most allowed (max_events, "
            "--max-events); raise it or shorten the horizon (--t-end)"
        )


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
    from hyosan.graphs import schedule as sched

    g = graph if isinstance(graph, Schedule) else sched.parse(graph) if sched.is_schedule(graph) else as_graph(graph)
    ni.check(model, g)
    tb = tables(model, g.n, None if isinstance(g, Schedule) else g.mean_degree, edge_rates, periods)
    infected = np.array([c in model.infected for c in model.compartments], dtype=np.bool_)
    initial = np.array(model.initial, dtype=np.float64)
    if np.any(initial != np.round(initial)):
        raise EngineError(f"{model.source}: initial sizes must be whole numbers of nodes; use --set")
    initial = initial.astype(np.int64)
    seeds, random_seeds, seed_state = None, 0, 0
    if seed_nodes is not None:
        state, eq, rest = seed_nodes.partition("=") if isinstance(seed_nodes, str) else ("", "", "")
        if eq:
            if state not in model.compartments[1:]:
                raise EngineError(
                    f"--seed-nodes {seed_nodes[:40]}: '{state[:20]}' is not one of {', '.join(model.compartments[1:])} "
                    "(STATE=ids:1,2 starts those nodes in STATE)"
                )
            seed_nodes = rest
        elif not model.infected:
            raise EngineError(
                f"--seed-nodes: {model.name} names no infected compartment to seed (its 'infected' field)"
            )
        seed_state = model.compartments.index(state if eq else model.infected[0])
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
    for e, ev in enumerate(ev for ev in model.events if ev.triggered):
        fired_at = np.array([r.t_trigger[e] for r in results])
        ds[f"t_trigger_{e}"] = ("replicate", fired_at, {"units": "days", "long_name": f"time '{ev.name}' fired"})
    if setup.node_events:
        _add_node_events(ds, results, model)
    return ds
