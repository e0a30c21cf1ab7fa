"""What a model means on a contact graph: node transitions and pair transitions with per-edge rates.

A **node transition** ``X -> Y @ c*X`` fires at each node in state X at the per-capita rate c.
A **pair transition** has two different reactants, one of which changes while the other stays
(``S + I -> I + I``: S becomes I next to an I; ``S + Z -> S + R``: Z becomes R next to an S). It
fires along each edge joining a node of the changing state (the *target*) and a node of the other
(the *source*), at the per-edge rate

* ``c / k̄``     for a rate written ``c*A*B/N`` (frequency-dependent incidence),
* ``c * n / k̄`` for a rate written ``c*A*B`` (mass action),

times the edge's weight, where k̄ = 2E/n is the graph's mean degree and n its number of nodes.
Each person's contacts are spread over its k̄ neighbours instead of the N − 1 others, so on the
complete graph K_n (k̄ = n − 1) the network run *is* the well-mixed exact model whose incidence is
``c*A*B/(n - 1)`` (resp. ``c*n*A*B/(n - 1)``): the same process up to the factor n/(n − 1) on c.
Any other rate form is refused with the advice to give the per-edge rate explicitly
(``edge_rates={"infection": 0.05}``, ``--edge-rate infection=0.05``), which overrides the rule.
Rates reading ``t``, transitions with other reactant patterns (births, deaths, ``2 A -> ...``) and
rates depending on other compartments are refused: the graph fixes who exists and who meets whom.
A transition whose rate is zero at the model's parameters never fires and is left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hyosan.compartmental.model import Model, Transition
from hyosan.engines.network.periods import parse
from hyosan.errors import EngineError


@dataclass(frozen=True)
class Tables:
    """The kernel's view of a model: rates and destinations by state (see :func:`tables`)."""

    node_count: np.ndarray  # (C,) node transitions leaving each state
    node_dest: np.ndarray  # (C, M) destination state
    node_rate: np.ndarray  # (C, M) per-capita rate
    node_index: np.ndarray  # (C, M) model transition index
    pair_count: np.ndarray  # (C, C) pair transitions for (target state, source state)
    pair_dest: np.ndarray  # (C, C, M)
    pair_rate: np.ndarray  # (C, C, M) per-edge rate (before the weight)
    pair_index: np.ndarray  # (C, C, M)
    rules: tuple[str, ...]  # one line per transition: how it was read
    period: np.ndarray  # (C, 3): law (periods.EXPONENTIAL...) and its two parameters, per state

    @property
    def node_total(self) -> np.ndarray:
        return self.node_rate.sum(axis=1)

    @property
    def pair_total(self) -> np.ndarray:
        return self.pair_rate.sum(axis=2)


def tables(
    model: Model,
    n: int,
    mean_degree: float | None,
    edge_rates: Mapping[str, float] | None = None,
    periods: Mapping[str, str] | None = None,
) -> Tables:
    """The node and pair transitions of ``model`` on a graph of ``n`` nodes and mean degree ``mean_degree``;
    ``periods`` give node transitions a drawn duration (:mod:`hyosan.engines.network.periods`)."""
    edge_rates = dict(edge_rates or {})
    periods = dict(periods or {})
    names = {tr.name for tr in model.transitions}
    for name in periods:
        if name not in names:
            from hyosan.catalog import did_you_mean

            raise EngineError(
                f"--period {name}: {model.name} has no transition '{name}'{did_you_mean(name, names)}; "
                f"transitions: {', '.join(sorted(names))}"
            )
    timed: dict[int, tuple[int, float, float, float]] = {}
    for name, value in edge_rates.items():
        if name not in names:
            from hyosan.catalog import did_you_mean

            raise EngineError(
                f"--edge-rate {name}: {model.name} has no transition '{name}'{did_you_mean(name, names)}; "
                f"transitions: {', '.join(sorted(names))}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise EngineError(f"--edge-rate {name}={value!r}: a per-edge rate is a finite number >= 0 (per day)")
    index = {c: i for i, c in enumerate(model.compartments)}
    node: list[tuple[int, int, float, int]] = []
    pair: list[tuple[int, int, int, float, int]] = []
    rules: list[str] = []
    values = model.parameter_values
    for j, tr in enumerate(model.transitions):
        kind = _shape(tr)
        if kind is None:
            if _zero(tr, values):
                rules.append(f"{tr.name}: rate 0, left out")
                continue
            raise EngineError(
                f"network: transition '{tr.name}' ({tr.reaction}) is neither a node transition (X -> Y) nor a pair "
                "transition (A + B -> one of them changed); the graph fixes who exists, so remove it or use ssa"
            )
        if tr.name in periods and kind[0] != "node":
            raise EngineError(f"--period {tr.name}: only a node transition (X -> Y) can have a period")
        if kind[0] == "node" and tr.name in periods:
            x, y = kind[1], kind[2]
            law = parse(tr.name, periods[tr.name])
            timed[index[x]] = law
            node.append((index[x], index[y], 1.0 / law[3], j))
            rules.append(f"{tr.name}: each {x} node -> {y} after a period {periods[tr.name]}")
            continue
        if kind[0] == "node":
            x, y = kind[1], kind[2]
            c = _coefficient(tr, values, (x,))
            if c is None:
                raise EngineError(
                    f"network: transition '{tr.name}' has rate '{tr.rate}', not a per-capita rate c*{x} with c made of "
                    f"parameters; write it as 'c*{x}' or use ssa"
                )
            if c > 0:
                node.append((index[x], index[y], c, j))
            rules.append(f"{tr.name}: each {x} node -> {y} at {c:g}/day")
            continue
        target, source, dest = kind[1], kind[2], kind[3]
        if tr.name in edge_rates:
            rate, how = float(edge_rates[tr.name]), "given"
        else:
            rate, how = _per_edge(tr, values, target, source, n, mean_degree)
        if rate > 0:
            pair.append((index[target], index[source], index[dest], rate, j))
        rules.append(f"{tr.name}: {target} -> {dest} next to {source}, {rate:g}/day per edge ({how})")
    for x in timed:
        others = [model.transitions[e[3]].name for e in node if e[0] == x]
        if len(others) > 1:
            raise EngineError(
                f"--period: {model.compartments[x]} has the node transitions {', '.join(others)}; a period needs its "
                "state to have only that one (competing general clocks are not offered)"
            )
    tb = _pack(len(model.compartments), node, pair, tuple(rules))
    for x, law in timed.items():
        tb.period[x] = law[:3]
    return tb


def _shape(tr: Transition) -> tuple | None:
    """("node", X, Y), ("pair", target, source, dest), or None for anything else."""
    reactants = [c for c, k in tr.reactants for _ in range(k)]
    products = [c for c, k in tr.products for _ in range(k)]
    if len(reactants) == 1 and len(products) == 1 and reactants != products:
        return ("node", reactants[0], products[0])
    if len(reactants) == 2 and len(products) == 2 and reactants[0] != reactants[1]:
        a, b = reactants
        rest_a, rest_b = list(products), list(products)
        found = []
        if b in rest_b:
            rest_b.remove(b)
            if rest_b[0] != a:
                found.append(("pair", a, b, rest_b[0]))
        if a in rest_a:
            rest_a.remove(a)
            if rest_a[0] != b:
                found.append(("pair", b, a, rest_a[0]))
        if len(found) == 1:
            return found[0]
    return None


def _zero(tr: Transition, values: Mapping[str, float]) -> bool:
    import sympy

    expr = _numeric(tr, values)
    return sympy.simplify(expr) == 0


def _numeric(tr: Transition, values: Mapping[str, float]):
    import sympy

    symbols = {name: sympy.Symbol(name) for name in tr.rate.names}
    expr = tr.rate.sympy(symbols)
    return expr.subs({symbols[p]: sympy.nsimplify(v) for p, v in values.items() if p in symbols})


def _coefficient(tr: Transition, values: Mapping[str, float], factors: tuple[str, ...], over_n: bool = False):
    """The constant c with rate = c * prod(factors) (/ N when ``over_n``), or None."""
    import sympy

    expr = _numeric(tr, values)
    for f in factors:
        expr = expr / sympy.Symbol(f)
    if over_n:
        expr = expr * sympy.Symbol("N")
    expr = sympy.simplify(expr)
    if expr.free_symbols:
        return None
    c = float(expr)
    if not math.isfinite(c) or c < 0:
        raise EngineError(f"network: transition '{tr.name}' has coefficient {c} at these parameters; it must be >= 0")
    return c


def _per_edge(tr: Transition, values, target: str, source: str, n: int, mean_degree: float | None) -> tuple[float, str]:
    if mean_degree is None:
        raise EngineError(
            f"network: transition '{tr.name}': a schedule of graphs has no single mean degree to turn its rate into "
            f"a per-edge rate; give it (--edge-rate {tr.name}=VALUE, or edge_rates={{'{tr.name}': VALUE}})"
        )
    factors = (target, source)
    c = _coefficient(tr, values, factors, over_n=True)
    if c is not None:
        return (c / mean_degree if mean_degree else 0.0), f"c/N incidence: c / mean degree {mean_degree:.4g}"
    c = _coefficient(tr, values, factors)
    if c is not None:
        return (c * n / mean_degree if mean_degree else 0.0), f"mass action: c * n / mean degree, n = {n}"
    raise EngineError(
        f"network: transition '{tr.name}' has rate '{tr.rate}', which is neither c*{target}*{source}/N nor "
        f"c*{target}*{source}; give its per-edge rate explicitly (--edge-rate {tr.name}=VALUE, "
        f"or edge_rates={{'{tr.name}': VALUE}})"
    )


def _pack(nc: int, node: list, pair: list, rules: tuple[str, ...]) -> Tables:
    m = max(1, *(sum(1 for e in node if e[0] == x) for x in range(nc)))
    node_count = np.zeros(nc, dtype=np.int64)
    node_dest = np.zeros((nc, m), dtype=np.int64)
    node_rate = np.zeros((nc, m))
    node_index = np.zeros((nc, m), dtype=np.int64)
    for x, y, c, j in node:
        i = node_count[x]
        node_dest[x, i], node_rate[x, i], node_index[x, i] = y, c, j
        node_count[x] += 1
    mp = max([1] + [sum(1 for e in pair if e[:2] == (x, y)) for x in range(nc) for y in range(nc)])
    pair_count = np.zeros((nc, nc), dtype=np.int64)
    pair_dest = np.zeros((nc, nc, mp), dtype=np.int64)
    pair_rate = np.zeros((nc, nc, mp))
    pair_index = np.zeros((nc, nc, mp), dtype=np.int64)
    for x, y, z, r, j in pair:
        i = pair_count[x, y]
        pair_dest[x, y, i], pair_rate[x, y, i], pair_index[x, y, i] = z, r, j
        pair_count[x, y] += 1
    period = np.zeros((nc, 3))
    return Tables(
        node_count, node_dest, node_rate, node_index, pair_count, pair_dest, pair_rate, pair_index, rules, period
    )
