"""Scheduled and triggered events shared by all engines: when they fire and what they set."""

from __future__ import annotations

import math

import numpy as np

from hyosan.errors import EngineError
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
