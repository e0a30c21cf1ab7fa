"""``hyosan.fit(model, data, ...)``: build the problem, run the chosen method, derive, check, write.

Methods are looked up in :data:`METHODS` (name -> callable(problem, seed=, budget=, progress=,
**options) -> FitResult); the default is ``mle`` on the ode engine and ``abc`` elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hyosan.compartmental.model import Model
from hyosan.fit.data import Observations
from hyosan.fit.mle import Budget
from hyosan.fit.priors import FitError
from hyosan.fit.problem import Problem
from hyosan.fit.result import FitResult


def _mle(problem: Problem, *, seed: int, budget: Budget, progress: bool, **options: Any) -> FitResult:
    from hyosan.fit.mle import maximize

    _only(options, ("starts",), "mle")
    return maximize(problem, seed=seed, budget=budget, **options)


def _mcmc(problem: Problem, *, seed: int, budget: Budget, progress: bool, **options: Any) -> FitResult:
    from hyosan.fit.mcmc import sample

    _only(options, ("steps", "walkers"), "mcmc")
    return sample(problem, seed=seed, budget=budget, progress=progress, **options)


def _abc(problem: Problem, *, seed: int, budget: Budget, progress: bool, **options: Any) -> FitResult:
    from hyosan.fit.abc_method import run

    return run(problem, seed=seed, budget=budget, progress=progress, **options)


METHODS: dict[str, Callable[..., FitResult]] = {"mle": _mle, "mcmc": _mcmc, "abc": _abc}
LIKELIHOOD_ENGINES = ("ode",)


def _only(options: Mapping[str, Any], allowed: tuple[str, ...], method: str) -> None:
    extra = sorted(k for k, v in options.items() if v is not None and k not in allowed)
    if extra:
        flags = ", ".join("--" + k.replace("_", "-") for k in extra)
        raise FitError(f"--method {method}: does not take {flags}; it takes {', '.join(allowed) or 'no options'}")


def default_method(engine: str) -> str:
    return "mle" if engine in LIKELIHOOD_ENGINES else "abc"


def fit(
    model: Model,
    data: Observations | str | Path | Any,
    free: Mapping[str, Any] | list[str] | tuple[str, ...],
    *,
    method: str | None = None,
    engine: str = "ode",
    noise: str = "poisson",
    observe: Mapping[str, str] | None = None,
    seed: int = 0,
    budget: Budget | None = None,
    progress: bool = False,
    out: str | Path | None = None,
    engine_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> FitResult:
    """Fit ``free`` parameters of ``model`` to ``data`` (an :class:`Observations`, a file or a table).

    ``free`` maps names to a prior (``"lognormal(0,1)"``), bounds (``"0:5"`` or a pair) or None;
    a list of names fits each with its default prior. The result's ``extra`` holds the derived
    quantities (R0, mean times in the infected compartments) and the posterior-predictive check;
    with ``out`` every output file is written there. ``engine_options`` go to every simulation
    (``graph=`` on ``network``, ``patches=`` on ``patches``).
    """
    from hyosan.fit import derived as _derived
    from hyosan.fit import report

    method = method or default_method(engine)
    if method not in METHODS:
        raise FitError(f"--method {method!r}: choose one of {', '.join(METHODS)}")
    if not isinstance(seed, int) or seed < 0:
        raise FitError(f"--seed {seed}: a seed is a whole number >= 0")
    obs = data if isinstance(data, Observations) else (
        Observations.read(data) if isinstance(data, str | Path) else Observations.from_frame(data)
    )  # fmt: skip
    free = {n: None for n in free} if isinstance(free, list | tuple) else dict(free)
    problem = Problem(model, obs, free, engine=engine, noise=noise, observe=observe, options=engine_options)
    result = METHODS[method](problem, seed=seed, budget=budget or Budget(), progress=progress, **options)
    kinds = {f.name: f.kind for f in problem.free}
    result.extra["derived"] = _derived.derive(model, problem.names, result.samples, result.estimate, kinds)
    result.extra["derived"]["intervals_from"] = result.sample_kind
    if engine == "network":  # the next-generation R0 is the well-mixed model's, not the graph's
        result.extra["derived"].pop("R0", None)
        result.extra["derived"]["note"] += "; R0 left out: on a graph it differs (hyosan analyze --graph)"
    pred = report.predictive(problem, result, seed)
    result.extra["posterior_predictive_check"] = pred["check"]
    if out is not None:
        report.write(out, problem, result, result.extra["derived"], pred)
    result.extra["problem"] = problem
    return result
