"""Bayesian posteriors for deterministic (ode) fits with emcee's affine-invariant ensemble sampler.

The walkers move in the transformed space of :mod:`hyosan.fit.priors` (the log-Jacobian is added,
so the target is the posterior of the parameters as the priors state them) and start in a small ball
around the maximum-likelihood estimate. The first half of the steps is burn-in. Diagnostics: mean
and smallest acceptance fraction, the integrated autocorrelation time and ESS = draws kept / τ,
and split-R̂ over the walkers' chains (walkers are not independent chains, so R̂ is a rough check).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from hyosan.fit.mle import Budget, covariance, optimum
from hyosan.fit.priors import FitError, untransform
from hyosan.fit.problem import Problem
from hyosan.fit.result import FitResult


def log_jacobian(z: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """log |dθ/dz| of :func:`hyosan.fit.priors.untransform`."""
    flo, fhi = np.isfinite(lo), np.isfinite(hi)
    both = flo & fhi
    width = np.where(both, hi - lo, 1.0)
    zb = z[both]
    total = float(np.sum(np.log(width[both]) - np.logaddexp(0, -zb) - np.logaddexp(0, zb)))
    return total + float(np.sum(z[flo ^ fhi]))


def sample(
    problem: Problem,
    steps: int = 2000,
    walkers: int | None = None,
    seed: int = 0,
    budget: Budget | None = None,
    progress: bool = False,
) -> FitResult:
    """Posterior draws by MCMC (see the module docstring)."""
    try:
        import emcee
    except ImportError:
        raise FitError("--method mcmc: needs emcee; pip install 'hyosan[fit]'") from None
    if problem.engine != "ode":
        raise FitError(
            f"--method mcmc: needs a likelihood, which the {problem.engine} engine has not; use --engine ode"
        )
    ndim = len(problem.names)
    walkers = walkers or max(16, 4 * ndim)
    if walkers < 2 * ndim or walkers % 2:
        raise FitError(f"--walkers {walkers}: give an even number of at least {2 * ndim} (twice the free parameters)")
    if steps < 20:
        raise FitError(f"--steps {steps}: give at least 20 steps per walker")
    t0 = time.perf_counter()
    budget = budget or Budget()
    rng = np.random.default_rng(seed)
    lo, hi = problem.lower, problem.upper
    z_hat, f_hat, _ = optimum(problem, 3, rng, Budget())
    cov = covariance(lambda z: _nll(problem, z), z_hat)
    spread = np.sqrt(np.diag(cov)) if cov is not None else np.full(ndim, 0.1)
    start = z_hat + 0.1 * spread * rng.standard_normal((walkers, ndim))

    def log_prob(z: np.ndarray) -> float:
        theta = untransform(z, lo, hi)
        if not np.all(np.isfinite(theta)) or np.any(theta <= lo) or np.any(theta >= hi):
            return -math.inf
        lp = problem.log_prior(theta)
        if not math.isfinite(lp):
            return -math.inf
        ll = problem.log_likelihood(theta)
        return lp + ll + log_jacobian(z, lo, hi) if math.isfinite(ll) else -math.inf

    for k in range(walkers):
        if not math.isfinite(log_prob(start[k])):
            start[k] = z_hat
    sampler = emcee.EnsembleSampler(walkers, ndim, log_prob)
    sampler.random_state = np.random.RandomState(int(rng.integers(2**31))).get_state()
    bar = _bar(progress, steps)
    done = 0
    try:
        for _ in sampler.sample(start, iterations=steps):
            done += 1
            budget.used += walkers
            if bar is not None:
                bar[0].advance(bar[1])
            if budget.spent():
                break
    finally:
        if bar is not None:
            bar[0].stop()
    if done < 20:
        raise FitError(f"--budget: only {done} steps ran; give more time or evaluations (at least 20 steps)")
    burn = done // 2
    chain_z = sampler.get_chain()[burn:done]  # steps × walkers × ndim
    chain = untransform(chain_z, lo, hi)
    flat = chain.reshape(-1, ndim)
    logp = sampler.get_log_prob()[burn:done].reshape(-1)
    best = flat[int(np.argmax(logp))]
    diagnostics = _diagnostics(sampler, chain, problem.names, burn, done)
    median = np.median(flat, axis=0)
    intervals = {
        n: (float(q[0]), float(q[1]))
        for n, q in zip(problem.names, np.quantile(flat, [0.025, 0.975], axis=0).T, strict=True)
    }
    return FitResult(
        method="mcmc",
        names=list(problem.names),
        estimate=dict(zip(problem.names, map(float, median), strict=True)),
        intervals=intervals,
        interval_kind="posterior 2.5% and 97.5% quantiles (equal-tailed 95% credible interval); estimate = median",
        samples=flat,
        sample_kind="posterior (MCMC, burn-in dropped)",
        log_likelihood=float(problem.log_likelihood(best)),
        diagnostics=diagnostics | {"max_log_likelihood_estimate": -float(f_hat)},
        settings={
            "sampler": "emcee EnsembleSampler (stretch move)",
            "walkers": walkers,
            "steps": done,
            "steps_asked": steps,
            "burn_in": burn,
            "seed": seed,
        },
        extra={"map_sample": dict(zip(problem.names, map(float, best), strict=True))},
        elapsed_s=time.perf_counter() - t0,
    )


def _nll(problem: Problem, z: np.ndarray) -> float:
    ll = problem.log_likelihood(untransform(z, problem.lower, problem.upper))
    return -ll if math.isfinite(ll) else 1e12


def split_rhat(chains: np.ndarray) -> float:
    """Split-R̂ (Gelman et al. 2013) of ``chains`` (steps × chains) for one parameter."""
    n = chains.shape[0] // 2
    halves = np.concatenate([chains[:n], chains[n : 2 * n]], axis=1)
    means, variances = halves.mean(axis=0), halves.var(axis=0, ddof=1)
    w = variances.mean()
    b = n * means.var(ddof=1)
    var = (n - 1) / n * w + b / n
    return float(np.sqrt(var / w)) if w > 0 else math.nan


def _diagnostics(sampler: Any, chain: np.ndarray, names: list[str], burn: int, done: int) -> dict[str, Any]:
    acc = sampler.acceptance_fraction
    kept = chain.shape[0] * chain.shape[1]
    try:
        tau = sampler.get_autocorr_time(discard=burn, tol=0)
    except Exception:  # emcee raises on chains too short to estimate τ
        tau = np.full(len(names), math.nan)
    per = {}
    for j, name in enumerate(names):
        t = float(tau[j])
        per[name] = {
            "r_hat": split_rhat(chain[:, :, j]),
            "autocorr_time_steps": t,
            "ess": float(kept / t) if math.isfinite(t) and t > 0 else None,
        }
    return {
        "acceptance_mean": float(acc.mean()),
        "acceptance_min": float(acc.min()),
        "draws_kept": kept,
        "autocorr_reliable": bool(np.all(np.isfinite(tau)) and done - burn >= 50 * float(np.nanmax(tau))),
        "parameters": per,
    }


def _bar(show: bool, total: int):
    if not show:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("mcmc"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
    bar.start()
    return bar, bar.add_task("mcmc", total=total)
