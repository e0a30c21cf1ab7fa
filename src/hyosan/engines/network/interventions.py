"""Interventions on the network engine, in the one vocabulary of :mod:`hyosan.interventions`.

``set`` (parameters and/or compartments), ``cull``, ``isolate`` and ``close``, timed (``at``,
``every``) or triggered (``when``). A parameter change rebuilds the rate tables and redraws the
exponential clocks (exact, by memorylessness). A compartment change must be a sharing-out of the
nodes (``new = M x``, ``M >= 0``, columns summing to at most 1): each node of compartment ``j``
moves to ``i`` with probability ``M[i, j]`` independently, or is destroyed with the rest (a culled
node stays in the graph in a ``removed`` state that counts nowhere and touches no one), which is
the multinomial law of the ``ssa`` engine node by node. An event that would add nodes is refused.
``isolate`` removes every edge of the nodes in the named compartments (at the firing time) and of
the listed nodes; ``close`` every edge joining two members of a group (a node attribute of the
graph, such as ``class`` of ``school:hyosan-high``), or ``all`` edges; both last to the end of the
run and act on every snapshot of a schedule. Every action reads the state just before the event.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hyosan.compartmental import expr as _expr
from hyosan.compartmental.model import Condition, Event, Model
from hyosan.engines.events import event_params, linear_form
from hyosan.engines.network.rules import Tables
from hyosan.errors import EngineError
from hyosan.graphs import Graph
from hyosan.graphs.schedule import Schedule

REMOVED = "removed"


def pad(tb: Tables) -> Tables:
    """The tables with one more state, ``removed``, that nothing leaves or touches."""
    c = len(tb.node_count)

    def grow(a: np.ndarray, axes: int) -> np.ndarray:
        width = [(0, 1) if i < axes else (0, 0) for i in range(a.ndim)]
        return np.pad(a, width)

    return replace(
        tb,
        node_count=grow(tb.node_count, 1),
        node_dest=grow(tb.node_dest, 1),
        node_rate=grow(tb.node_rate, 1),
        node_index=grow(tb.node_index, 1),
        pair_count=grow(tb.pair_count, 2),
        pair_dest=grow(tb.pair_dest, 2),
        pair_rate=grow(tb.pair_rate, 2),
        pair_index=grow(tb.pair_index, 2),
        period=grow(tb.period, 1),
    ) if c else tb  # fmt: skip


def attributes(g: Graph | Schedule) -> dict[str, np.ndarray]:
    """The node attributes of a graph (of a schedule: of its first snapshot that has them)."""
    for snap in g.graphs if isinstance(g, Schedule) else (g,):
        if snap.attrs:
            return snap.attrs
    return {}


def check(model: Model, g: Graph | Schedule) -> None:
    """Refuse, in one line, what the network engine cannot honour exactly."""
    from hyosan.engines.triggers import check_stochastic

    check_stochastic(model, "network")
    attrs = attributes(g)
    for ev in model.events:
        where = ev.where or f"{model.source} (intervention '{ev.name}')"
        if ev.assign:
            form = linear_form(model, ev, 1, ev.times[0] if ev.times else 0.0)
            _check_form(model, ev, form, where)
        for action, spec in ev.graph:
            if action == "isolate" and spec[1] and max(spec[1]) >= g.n:
                raise EngineError(f"{where}.isolate.nodes: node {max(spec[1])} is not in the graph (0..{g.n - 1})")
            if action != "close":
                continue
            for attr, labels in spec:
                if attr == "all":
                    continue
                if attr not in attrs:
                    have = ", ".join(sorted(attrs)) or "none (school:hyosan-high has class, grade, club, role)"
                    raise EngineError(f"{where}.close.{attr}: the graph has no node attribute '{attr}'; it has {have}")
                known = set(attrs[attr].tolist()) - {""}
                for label in labels:
                    if label not in known:
                        some = ", ".join(sorted(known)[:8])
                        raise EngineError(f"{where}.close.{attr}: no node has {attr} '{label}'; some that do: {some}")


def _check_form(model: Model, ev: Event, form, where: str) -> None:
    comps = model.compartments
    if not form.ok:
        raise EngineError(f"{where}: the assignments are not finite; the network engine moves nodes")
    for i, v in form.const.items():
        if v != 0.0:
            raise EngineError(
                f"{where}: '{ev.name}' adds {v:.6g} to {comps[i]} from nowhere; a graph's nodes are fixed, so the "
                "network engine only moves or removes nodes (e.g. set: {I: '0.5*I', R: 'R + 0.5*I'})"
            )
    for j, col in form.columns(len(comps)).items():
        total = sum(col.values())
        if any(v < -1e-12 for v in col.values()) or total > 1.0 + 1e-9:
            raise EngineError(
                f"{where}: '{ev.name}' makes more than one node of each node of {comps[j]} (or a negative share); "
                "the network engine only moves or removes nodes"
            )
        if total < 1.0 - 1e-9 and not ev.changes_total:
            raise EngineError(
                f"{where}: '{ev.name}' removes nodes of {comps[j]} without saying so; declare changes_total: true "
                "or move them to another compartment"
            )


class Edges:
    """The edges still in use after isolations and closures, per snapshot (as edge weights, 0 = removed)."""

    def __init__(self, g: Graph | Schedule) -> None:
        self.snaps = g.graphs if isinstance(g, Schedule) else (g,)
        self.attrs = attributes(g)
        self.n = g.n
        self.isolated = np.zeros(self.n, dtype=np.bool_)
        self.groups: list[np.ndarray] = []
        self.all = False
        self.version = 0
        self._cache: dict[int, tuple[int, np.ndarray]] = {}
        self._src: dict[int, np.ndarray] = {}

    def isolate(self, nodes: np.ndarray) -> None:
        if not self.isolated[nodes].all():
            self.isolated[nodes] = True
            self.version += 1

    def close(self, spec: tuple) -> None:
        for attr, labels in spec:
            if attr == "all":
                self.all = True
            else:
                self.groups += [self.attrs[attr] == label for label in labels]
        self.version += 1

    def view(self, i: int) -> tuple[Graph, np.ndarray, bool]:
        """Snapshot ``i`` and its weights (weights of the graph, or ones, times 0 on removed edges)."""
        snap = self.snaps[i]
        base = snap.weights if snap.weights is not None else np.empty(0)
        if self.version == 0:
            return snap, base, snap.weights is not None
        if i in self._cache and self._cache[i][0] == self.version:
            return snap, self._cache[i][1], True
        if i not in self._src:
            self._src[i] = np.repeat(np.arange(self.n, dtype=np.int32), np.diff(snap.indptr))
        src, dst = self._src[i], snap.indices
        keep = ~(self.isolated[src] | self.isolated[dst])
        for m in self.groups:
            keep &= ~(m[src] & m[dst])
        if self.all:
            keep[:] = False
        w = (snap.weights if snap.weights is not None else np.ones(len(dst))) * keep
        self._cache[i] = (self.version, w)
        return snap, w, True


def apply(
    model: Model,
    event: Event,
    n_occ: int,
    t: float,
    ss: np.ndarray,
    p: np.ndarray,
    rng: np.random.Generator,
    edges: Edges,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply ``event`` at ``t``: the new parameters, and the nodes moved and their former states."""
    comps = model.compartments
    c = len(comps)
    state = ss & 0xFFFF
    x = np.bincount(state, minlength=c + 1)[:c].astype(np.float64)
    new_p = event_params(model, event, n_occ, t, x, p) if event.params else p
    moved = np.empty(0, dtype=np.int64)
    old = np.empty(0, dtype=np.int64)
    if event.assign:
        form = linear_form(model, event, n_occ, t, p)
        _check_form(model, event, form, f"{event.where or model.source} (at t={t:g})")
        dest = state.copy()
        for j, col in form.columns(c).items():
            nodes = np.flatnonzero(state == j)
            if not len(nodes):
                continue
            targets = [*col, c]
            pv = np.array([col[i] for i in col] + [0.0])
            pv[-1] = max(0.0, 1.0 - pv[:-1].sum())
            dest[nodes] = np.asarray(targets)[rng.choice(len(pv), size=len(nodes), p=pv / pv.sum())]
        moved = np.flatnonzero(dest != state)
        old = state[moved]
        ss[moved] = (((ss[moved] >> 16) + 1) << 16) | dest[moved]
    for action, spec in event.graph:
        if action == "isolate":
            names, nodes = spec
            chosen = np.isin(state, [comps.index(s) for s in names]) if names else np.zeros(len(ss), dtype=np.bool_)
            chosen[list(nodes)] = True
            edges.isolate(np.flatnonzero(chosen))
        else:
            edges.close(spec)
    return new_p, moved, old


def margins(conds: list[Condition], model: Model, counts: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Each condition's margin (positive: it holds) at each row of ``counts`` (rows, compartments)."""
    values: dict[str, object] = dict(zip([q.name for q in model.parameters], p.tolist(), strict=True))
    c = len(model.compartments)
    cols = counts[:, :c].astype(np.float64)
    values |= {name: cols[:, i] for i, name in enumerate(model.compartments)}
    values["N"] = cols[:, list(model.population_index)].sum(axis=1)
    values["n"] = 0.0
    out = np.empty((len(conds), len(counts)))
    for e, cond in enumerate(conds):
        with np.errstate(all="ignore"):
            diff = np.asarray(_vector(cond.left, values) - _vector(cond.right, values), dtype=np.float64)
        out[e] = np.nan_to_num(diff if cond.op == ">" else -diff, nan=-np.inf)
    return out


_NUMPY = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "abs": np.abs,
    "min": lambda *a: np.minimum.reduce(np.broadcast_arrays(*a)),
    "max": lambda *a: np.maximum.reduce(np.broadcast_arrays(*a)),
}


def _vector(e: _expr.Expr, values: dict) -> np.ndarray:
    def leaf(step):
        return float(step[1]) if step[0] == "c" else values[step[1]]

    return _expr._run(e.program, leaf, lambda op, a, b: _expr._OPERATORS[op](a, b), lambda f, a: _NUMPY[f](*a))
