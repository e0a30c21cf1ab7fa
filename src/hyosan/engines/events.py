"""Scheduled and triggered events shared by all engines: when they fire and what they set, and how an
event is realised on integer populations (moves drawn once, so that they conserve the total)."""

from __future__ import annotations

import math

import numpy as np

from hyosan.errors import EngineError, ModelError
from hyosan.model.spec import Event, Model


def schedule(model: Model, t_end: float) -> list[tuple[float, list[tuple[Event, int]]]]:
    """Timed event occurrences up to ``t_end``, grouped by time, in time order (triggers excluded)."""
    by_time: dict[float, list[tuple[Event, int]]] = {}
    for ev in model.events:
        if ev.triggered:
            continue
        for t, n in ev.occurrences(t_end):
            by_time.setdefault(round(t, 12), []).append((ev, n))
    return sorted(by_time.items())


def needed_support(model: Model) -> set[str]:
    """What an engine must support to run ``model``: "timed" parameter changes, "triggered" events."""
    need = set()
    for ev in model.events:
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


def linear_form(
    model: Model, event: Event, n: int, t: float, params: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(M, d)`` with ``new = M @ x + d`` if the assignments are affine in the pre-event state.

    Read off by evaluating the assignments at the empty state and at each unit state (all other
    parameters, ``n`` and ``t`` fixed); unassigned compartments keep their row of the identity.
    Entries are NaN where an assignment is not finite there (e.g. it divides by ``N``).
    """
    c = len(model.compartments)
    M, d = np.eye(c), np.zeros(c)
    rows = [(model.compartments.index(name), expr) for name, expr in event.assign]
    for i, _ in rows:
        M[i, i] = 0.0
    for i, expr in rows:
        d[i] = expr.evaluate(_values(model, n, t, np.zeros(c), params))
        for j in range(c):
            unit = np.zeros(c)
            unit[j] = 1.0
            M[i, j] = expr.evaluate(_values(model, n, t, unit, params)) - d[i]
    return M, d


def _affine_at(model: Model, event: Event, n: int, t: float, x: np.ndarray, params, M, d) -> bool:
    if not (np.all(np.isfinite(M)) and np.all(np.isfinite(d))):
        return False
    predicted = M @ x + d
    values = _values(model, n, t, x, params)
    for name, expr in event.assign:
        i = model.compartments.index(name)
        v = expr.evaluate(values)
        if not abs(v - predicted[i]) <= 1e-9 * (1.0 + abs(v) + float(np.abs(M[i]) @ np.abs(x))):
            return False
    return True


def total_change(model: Model, event: Event, n: int, t: float, states, params=None) -> str | None:
    """Why ``event`` changes the number of individuals (checked at ``states``), or None if it only moves them."""
    M, d = _form(model, event, n, t, params)
    if not all(_affine_at(model, event, n, t, np.asarray(x, dtype=float), params, M, d) for x in states):
        return "its assignments are not a linear sharing-out of the compartments they read"
    return _problem(model, M, d)


def _problem(model: Model, M: np.ndarray, d: np.ndarray) -> str | None:
    for j, source in enumerate(model.compartments):
        if np.any(M[:, j] < -1e-12):
            return f"it takes from {source} more than {source} has"
        if abs(M[:, j].sum() - 1.0) > 1e-9:
            return f"it turns each individual of {source} into {M[:, j].sum():.6g} individuals"
    for i, target in enumerate(model.compartments):
        if d[i] != 0.0:
            return f"it adds {d[i]:.6g} to {target} from nowhere"
    return None


_FORMS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _form(model: Model, event: Event, n: int, t: float, params) -> tuple[np.ndarray, np.ndarray]:
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
    M, d = _form(model, event, n, t, params)
    affine = _affine_at(model, event, n, t, xf, params, M, d)
    if not event.changes_total:
        why = _problem(model, M, d) if affine else "its assignments are not a linear sharing-out here"
        if why:
            raise EngineError(_undeclared(model, event, why) + f" (at t={t:g})")
    if affine and np.all(M >= 0.0) and np.all(M.sum(axis=0) <= 1.0 + 1e-9):
        new = np.zeros_like(x)
        for j in range(len(x)):
            col = M[:, j]
            if x[j] == 0:
                continue
            if col[j] == 1.0 and col.sum() == 1.0:
                new[j] += x[j]
                continue
            pv = np.append(col, max(0.0, 1.0 - col.sum()))
            new += rng.multinomial(int(x[j]), pv / pv.sum())[:-1]
        for i in np.flatnonzero(d):
            whole = math.floor(abs(d[i]))
            amount = whole + int(rng.random() < abs(d[i]) - whole)
            new[i] = new[i] + amount if d[i] > 0 else max(0, new[i] - amount)
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
