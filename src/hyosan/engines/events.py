"""Scheduled events shared by all engines: when they fire and what they set."""

from __future__ import annotations

import math

import numpy as np

from hyosan.errors import EngineError
from hyosan.model.spec import Event, Model


def schedule(model: Model, t_end: float) -> list[tuple[float, list[tuple[Event, int]]]]:
    """Event occurrences up to ``t_end``, grouped by time, in time order."""
    by_time: dict[float, list[tuple[Event, int]]] = {}
    for ev in model.events:
        for t, n in ev.occurrences(t_end):
            by_time.setdefault(round(t, 12), []).append((ev, n))
    return sorted(by_time.items())


def event_values(model: Model, event: Event, n: int, t: float, x: np.ndarray) -> dict[str, float]:
    """New compartment values from ``event``'s assignments (all read the pre-event state)."""
    values = {**model.parameter_values, **dict(zip(model.compartments, x.tolist(), strict=True))}
    values["N"] = float(np.sum(x[model.population_index]))
    values["t"], values["n"] = t, float(n)
    new = {}
    for c, expr in event.assign:
        v = expr.evaluate(values)
        if not math.isfinite(v):
            raise EngineError(f"event '{event.name}' at t={t:g}: {c} <- {expr} is not finite")
        new[c] = max(0.0, v)
    return new


def apply_event(model: Model, event: Event, n: int, t: float, x: np.ndarray) -> np.ndarray:
    """Continuous version: set the compartments to the new values."""
    x = x.copy()
    for c, v in event_values(model, event, n, t, x).items():
        x[model.compartments.index(c)] = v
    return x
