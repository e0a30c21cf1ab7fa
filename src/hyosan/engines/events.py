"""Scheduled and triggered events shared by all engines: when they fire and what they set, and how an
event is realised on integer populations (moves drawn once, so that they conserve the total)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hyosan.compartmental.model import Event, Model
from hyosan.errors import EngineError, ModelError


def schedule(model: Model, t_end: float) -> list[tuple[float, list[tuple[Event, int]]]]:
    """Timed event occurrences up to ``t_end``, grouped by time, in time order (triggers excluded).

    Periodic times are built up to ``t_end`` only; two events setting one name to different values
    at one time are refused here, where the horizon is known."""
    from hyosan.interventions import check_contradictions

    check_contradictions(model.events, lambda *_: model.source, t_end)
    by_time: dict[float, list[tuple[Event, int]]] = {}
    for ev in model.events:
        if ev.triggered:
            continue
        for t, n in ev.occurrences(t_end):
            by_time.setdefault(round(t, 12), []).append((ev, n))
    return sorted(by_time.items())


def needed_support(model: Model) -> set[str]:
    """What an engine must support to run ``model``: "timed" parameter changes, "triggered" events,
    "graph" actions (isolate, close)."""
    need = set()
    for ev in model.events:
        if ev.graph:
            need.add("graph")
        if ev.triggered:
            need.add("triggered")
        elif ev.params:
            need.add("timed")
    return need


def _values(model: Model, n: int, t: float, x: np.ndarray, params: np.ndarray | None) -> dict[str, float]:
    names = [p.name for p in model.parameters]
    pvals = model.parameter_values if params is None else dict(zip(names, params.tolist(), strict=True))
    values = {**pvals, **dict(zip(model.compartments, x.tolist(), strict=True))}
    values["N"] = float(np.sum(x[model.population_index]))
    values["t"], values["n"] = t, float(n)
    return values


def event_values(
    model: Model, event: Event, n: int, t: float, x: np.ndarray, params: np.ndarray | None = None
) -> dict[str, float]:
    """New compartment values from ``event``'s assignments (all read the pre-event state)."""
    values = _values(model, n, t, x, params)
    new = {}
    for c, expr in event.assign:
        v = expr.evaluate(values)
        if not math.isfinite(v):
            raise EngineError(f"event '{event.name}' at t={t:g}: {c} <- {expr} is not finite")
        new[c] = max(0.0, v)
    return new


def event_params(model: Model, event: Event, n: int, t: float, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """The parameter vector after ``event`` (rates switched on or off)."""
    values = _values(model, n, t, x, params)
    out = params.copy()
    names = [p.name for p in model.parameters]
    for name, expr in event.params:
        v = expr.evaluate(values)
        if not math.isfinite(v) or v < 0:
            raise EngineError(f"event '{event.name}' at t={t:g}: {name} <- {expr} = {v}; rates must be >= 0")
        out[names.index(name)] = v
    return out


def apply_event(
    model: Model, event: Event, n: int, t: float, x: np.ndarray, params: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Continuous version: the state and parameter vector after ``event``."""
    params = np.array([p.value for p in model.parameters], dtype=float) if params is None else params
    new_x = x.copy()
    for c, v in event_values(model, event, n, t, x, params).items():
        new_x[model.compartments.index(c)] = v
    return new_x, event_params(model, event, n, t, x, params)


def trigger_margin(model: Model, event: Event, t: float, x: np.ndarray, params: np.ndarray) -> float:
    """Positive once ``event``'s condition holds."""
    assert event.when is not None
    return event.when.margin(_values(model, 0, t, x, params))


# ---- integer populations: moves, removals and additions --------------------------------------


@dataclass(frozen=True)
class LinearForm:
    """``new[i] = sum_j rows[i][j] * x[j] + const[i]`` for each assigned compartment ``i``.

    Sparse, so that a model with many compartments costs memory and time linear in its size.
    ``ok`` is False where an assignment is not finite at the states used to read it off.
    """

    rows: dict[int, dict[int, float]]
    const: dict[int, float]
    ok: bool

    def columns(self, c: int) -> dict[int, dict[int, float]]:
        """For each source compartment that is assigned or read: where its individuals go."""
        cols: dict[int, dict[int, float]] = {}
        for i, row in self.rows.items():
            for j, coef in row.items():
                cols.setdefault(j, {})[i] = coef
        for j in cols:
            if j not in self.rows:
                cols[j][j] = cols[j].get(j, 0.0) + 1.0
        for i in self.rows:
            cols.setdefault(i, {})
        return cols


def linear_form(model: Model, event: Event, n: int, t: float, params: np.ndarray | None = None) -> LinearForm:
    """The affine form of ``event``'s assignments, if they are affine in the pre-event state.

    Read off by evaluating each assignment at the empty state and at the unit state of each
    compartment it can depend on (those it names, and the population if it reads ``N``).
    """
    comps = model.compartments
    values = _values(model, n, t, np.zeros(len(comps)), params)
    pop = {comps[i] for i in model.population_index}
    rows: dict[int, dict[int, float]] = {}
    const: dict[int, float] = {}
    ok = True
    for name, expr in event.assign:
        i = comps.index(name)
        base = expr.evaluate(values)
        ok = ok and math.isfinite(base)
        const[i] = base
        row: dict[int, float] = {}
        reads = (expr.names & set(comps)) | (pop if "N" in expr.names else set())
        for source in sorted(reads):
            values[source] = 1.0
            values["N"] = 1.0 if source in pop else 0.0
            coef = expr.evaluate(values) - base
            values[source], values["N"] = 0.0, 0.0
            ok = ok and math.isfinite(coef)
            if coef != 0.0:
                row[comps.index(source)] = coef
        rows[i] = row
    return LinearForm(rows, const, ok)


def _affine_at(model: Model, event: Event, n: int, t: float, x: np.ndarray, params, form: LinearForm) -> bool:
    if not form.ok:
        return False
    values = _values(model, n, t, x, params)
    for name, expr in event.assign:
        i = model.compartments.index(name)
        row = form.rows[i]
        predicted = form.const[i] + sum(coef * x[j] for j, coef in row.items())
        scale = 1.0 + abs(form.const[i]) + sum(abs(coef * x[j]) for j, coef in row.items())
        if not abs(expr.evaluate(values) - predicted) <= 1e-9 * scale:
            return False
    return True


def total_change(model: Model, event: Event, n: int, t: float, states, params=None) -> str | None:
    """Why ``event`` changes the number of individuals (checked at ``states``), or None if it only moves them."""
    form = _form(model, event, n, t, params)
    if not all(_affine_at(model, event, n, t, np.asarray(x, dtype=float), params, form) for x in states):
        return "its assignments are not a linear sharing-out of the compartments they read"
    return _problem(model, form)


def _problem(model: Model, form: LinearForm) -> str | None:
    comps = model.compartments
    for j, col in sorted(form.columns(len(comps)).items()):
        if any(v < -1e-12 for v in col.values()):
            return f"it takes from {comps[j]} more than {comps[j]} has"
        if abs(sum(col.values()) - 1.0) > 1e-9:
            return f"it turns each individual of {comps[j]} into {sum(col.values()):.6g} individuals"
    for i, v in sorted(form.const.items()):
        if v != 0.0:
            return f"it adds {v:.6g} to {comps[i]} from nowhere"
    return None


_FORMS: dict[tuple, LinearForm] = {}


def _form(model: Model, event: Event, n: int, t: float, params) -> LinearForm:
    """:func:`linear_form`, remembered per occurrence (replicates share it)."""
    values = [q.value for q in model.parameters] if params is None else params
    pvals = np.asarray(values, dtype=float).tobytes()
    key = (event, model.compartments, tuple(q.name for q in model.parameters), model.population, n, t, pvals)
    if key not in _FORMS:
        if len(_FORMS) > 4096:
            _FORMS.clear()
        _FORMS[key] = linear_form(model, event, n, t, params)
    return _FORMS[key]


def check_events(model: Model) -> None:
    """Refuse an event that changes the total number of individuals without declaring it.

    An event may only *move* individuals (``set: {I: "0.5*I", R: "R + 0.5*I"}``) unless it says
    ``changes_total: true`` (a ``kill``/sweep intervention says so by its nature). Checked with
    the model's parameter values at the first occurrence, at three generic states; engines check
    again at every occurrence.
    """
    rng = np.random.default_rng(2024)
    c = len(model.compartments)
    states = [rng.uniform(1.0, 1000.0, c) for _ in range(3)]
    for ev in model.events:
        if not ev.assign or ev.changes_total:
            continue
        why = total_change(model, ev, 1, ev.times[0] if ev.times else 0.0, states)
        if why:
            raise ModelError(_undeclared(model, ev, why))


def _undeclared(model: Model, event: Event, why: str) -> str:
    where = event.where or f"{model.source} (event '{event.name}')"
    return (
        f"{where}: event '{event.name}' changes the number of individuals ({why}); move them instead, e.g. "
        "set: {I: '0.5*I', R: 'R + 0.5*I'}, or declare it with 'changes_total: true'"
    )


def realise_event(
    model: Model, event: Event, n: int, t: float, x: np.ndarray, rng: np.random.Generator, params: np.ndarray
) -> np.ndarray:
    """The integer state after ``event``: each moved or removed share drawn once, so moves conserve.

    If the assignments are affine (``new = M x + d``) with ``M >= 0`` and no column summing above 1,
    each source compartment's ``x_j`` individuals are split by one multinomial draw over the
    targets ``M[:, j]`` and removal ``1 - sum(M[:, j])``; an added constant ``d`` is rounded
    stochastically (a negative one removes that many, down to 0). Any other form must be declared
    with ``changes_total`` and is realised compartment by compartment: binomial thinning when the
    value falls, stochastic rounding when it rises (the mean is the assigned value either way).
    """
    xf = x.astype(np.float64)
    form = _form(model, event, n, t, params)
    affine = _affine_at(model, event, n, t, xf, params, form)
    if not event.changes_total:
        why = _problem(model, form) if affine else "its assignments are not a linear sharing-out here"
        if why:
            raise EngineError(_undeclared(model, event, why) + f" (at t={t:g})")
    cols = form.columns(len(x)) if affine else {}
    if affine and all(v >= 0.0 for col in cols.values() for v in col.values()):
        if all(sum(col.values()) <= 1.0 + 1e-9 for col in cols.values()):
            new = x.copy()
            for j in cols:
                new[j] = 0
            for j, col in cols.items():
                if x[j] == 0 or not col:
                    continue
                targets = list(col)
                pv = np.array([col[i] for i in targets] + [max(0.0, 1.0 - sum(col.values()))])
                draws = rng.multinomial(int(x[j]), pv / pv.sum())
                for i, k in zip(targets, draws[:-1], strict=True):
                    new[i] += k
            for i, v in form.const.items():
                if v == 0.0:
                    continue
                whole = math.floor(abs(v))
                amount = whole + int(rng.random() < abs(v) - whole)
                new[i] = new[i] + amount if v > 0 else max(0, new[i] - amount)
            return new
    out = x.copy()
    for c, v in event_values(model, event, n, t, xf, params).items():
        i = model.compartments.index(c)
        cur = int(x[i])
        if v <= cur:
            out[i] = rng.binomial(cur, v / cur) if cur > 0 else 0
        else:
            whole = math.floor(v)
            out[i] = whole + int(rng.random() < v - whole)
    return out
