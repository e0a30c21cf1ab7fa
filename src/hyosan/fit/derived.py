"""Quantities derived from fitted parameters: R0 (from :mod:`hyosan.analysis`) and the mean time spent
in each infected compartment, 1 / (its total per-capita outflow at the disease-free state, the
diagonal of the next-generation V), e.g. the infectious period 1/γ of SIR."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from hyosan.compartmental.model import Model
from hyosan.errors import HyosanError


def derivers(model: Model) -> tuple[dict[str, Callable[[dict[str, float]], float]], str]:
    """name -> function of the parameter values (and N), and a note; empty when the analysis cannot tell."""
    import sympy

    from hyosan.analysis import analyze

    if not model.infected:
        return {}, "the model declares no infected compartments, so R0 is not derived"
    try:
        a = analyze(model)
    except HyosanError as exc:
        return {}, f"R0 not derived: {exc}"
    out: dict[str, Callable[[dict[str, float]], float]] = {}
    symbols = {p.name: sympy.Symbol(p.name) for p in model.parameters} | {"N": sympy.Symbol("N")}
    order = list(symbols)
    args = [symbols[k] for k in order]
    population = float(sum(model.initial[i] for i in model.population_index))

    def wrap(expr: Any) -> Callable[[dict[str, float]], float]:
        fn = sympy.lambdify(args, expr, "math")

        def value(values: dict[str, float]) -> float:
            full = {"N": population, **values}
            try:
                return float(fn(*(full[k] for k in order)))
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                return float("nan")

        return value

    if a.R0_expression is not None:
        out["R0"] = wrap(a.R0_expression)
    if a.V is not None and a.V.shape[0] == len(a.infected):
        for k, c in enumerate(a.infected):
            if a.V[k, k] != 0:
                out[f"mean_time_in_{c}"] = wrap(1 / a.V[k, k])
    note = "R0 at the disease-free state by the next-generation matrix; mean_time_in_X = 1/(per-capita outflow of X)"
    return out, note


def derive(model: Model, problem_names: list[str], samples: np.ndarray, estimate: dict[str, float],
           targets: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """Each derived quantity at the estimate and over the samples (median and 95% interval)."""
    funcs, note = derivers(model)
    base = model.parameter_values
    out: dict[str, Any] = {"note": note}

    def values(row: Any) -> dict[str, float]:
        v = dict(base)
        for name, x in zip(problem_names, row, strict=True):
            if targets.get(name) == "parameter":
                v[name] = float(x)
        return v

    for name, fn in funcs.items():
        entry: dict[str, Any] = {"estimate": fn(values([estimate[n] for n in problem_names]))}
        if len(samples):
            draws = np.array([fn(values(row)) for row in samples[:: max(1, len(samples) // 4000)]])
            draws = draws[np.isfinite(draws)]
            if len(draws):
                q = np.quantile(draws, [0.025, 0.5, 0.975])
                entry |= {"median": float(q[1]), "interval_95": [float(q[0]), float(q[2])]}
        out[name] = entry
    return out
