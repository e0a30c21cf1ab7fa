"""``--method abc``: ABC-SMC (:mod:`hyosan.fit.abc`) as a method of :func:`hyosan.fit.fit`.

The weighted final population is summarised by weighted quantiles and resampled (systematic
resampling) into the unweighted draws ``posterior.csv`` holds.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.fit.abc import AbcSettings, abc_smc
from hyosan.fit.priors import FitError
from hyosan.fit.problem import Problem
from hyosan.fit.result import FitResult

OPTIONS = ("population", "generations", "replicates", "quantile", "distance", "min_epsilon", "workers",
           "scheduler", "checkpoint", "observation_noise")  # fmt: skip


def run(problem: Problem, *, seed: int, budget: Any, progress: bool, **options: Any) -> FitResult:
    """Fit ``problem`` by ABC-SMC; ``budget`` (a :class:`hyosan.fit.mle.Budget`) counts simulations."""
    extra = sorted(k for k, v in options.items() if v is not None and k not in OPTIONS)
    if extra:
        flags = ", ".join("--" + k.replace("_", "-") for k in extra)
        raise FitError(f"--method abc: does not take {flags}; it takes {', '.join('--' + o for o in OPTIONS[:7])}")
    given = {k: v for k, v in options.items() if v is not None}
    executor = None
    if given.get("scheduler"):
        from hyosan.cluster import dask_executor

        executor = dask_executor(given["scheduler"])
    settings = AbcSettings(
        **{k: given[k] for k in (*OPTIONS[:6], "observation_noise") if k in given},
        budget_sims=getattr(budget, "evaluations", None),
        budget_seconds=getattr(budget, "seconds", None),
    )
    checkpoint = given.get("checkpoint")
    res = abc_smc(
        problem,
        settings,
        seed=seed,
        workers=given.get("workers"),
        executor=executor,
        checkpoint=Path(checkpoint) if checkpoint else None,
        progress=progress,
    )
    lo, med, hi = res.quantiles([0.025, 0.5, 0.975])
    summary = res.summary()
    history = [h | {"epsilon": _finite(h["epsilon"])} for h in res.history]
    return FitResult(
        method="abc",
        names=list(problem.names),
        estimate=dict(zip(problem.names, map(float, med), strict=True)),
        intervals={n: (float(lo[k]), float(hi[k])) for k, n in enumerate(problem.names)},
        interval_kind="weighted posterior 2.5% and 97.5% quantiles of the last ABC-SMC generation; estimate = median",
        samples=systematic(res.theta, res.weight, len(res.theta), seed),
        sample_kind="approximate posterior (ABC-SMC, final generation resampled)",
        diagnostics={
            "ess": res.ess,
            "epsilon_final": _finite(res.history[-1]["epsilon"]),
            "acceptance_final": res.history[-1]["acceptance"],
            "generations": history,
            "simulations": res.simulations,
            "simulations_per_s": summary["simulations_per_s"],
            "stopped": res.stopped,
        },
        settings=summary["settings"]
        | {
            "algorithm": "ABC-SMC (Beaumont et al. 2009): adaptive epsilon = weighted quantile of the last "
            "generation's distances, Gaussian kernel with 2x the weighted covariance, weights prior / kernel mixture",
            "distance": settings.distance,
            "observation_noise_simulated": summary["observation_noise_simulated"],
            "common_random_numbers": False,
            "batched_kernel": res.batched,
            "workers": res.workers if executor is None else f"dask {given['scheduler']}",
            "initial_sizes": "rounded to whole numbers on counting engines",
        },
        extra={},
        elapsed_s=res.seconds,
    )


def systematic(theta: np.ndarray, weight: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` unweighted draws of the weighted particles (systematic resampling: low variance)."""
    u = (np.random.default_rng(seed).random() + np.arange(n)) / n
    cum = np.cumsum(weight / weight.sum())
    return theta[np.minimum(np.searchsorted(cum, u), len(theta) - 1)]


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
