"""Maximum likelihood for deterministic (ode) fits: several L-BFGS-B starts in transformed space
(logit between bounds, log above one), a tight polish of the best, and 95% intervals from the
profile likelihood (the set where 2·(ℓ̂ − ℓ_profile) ≤ χ²₁,0.95 = 3.84; an end the data do not bound
within the search is reported as null). The Hessian's Wald intervals (in transformed space, mapped
back) are reported too, and its normal gives the draws used for derived quantities and bands.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable

import numpy as np
from scipy import optimize
from scipy.stats import chi2

from hyosan.fit.priors import FitError, transform, untransform
from hyosan.fit.problem import Problem
from hyosan.fit.result import FitResult

CUTOFF = float(chi2.ppf(0.95, 1)) / 2.0
BIG = 1e12
METHOD = "L-BFGS-B"
#: Farthest a profile walks from the estimate, in transformed units, before calling the end open.
REACH = 25.0
#: Times the fit climbs again from a point a profile found to be better than the estimate.
MAX_RESTARTS = 3


_BUDGET = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?(?:e[0-9]+)?)\s*(s|sec|min|h|evals?|sims?|simulations)?\s*", re.I)
_SECONDS = {"s": 1, "sec": 1, "min": 60, "h": 3600}


class Budget:
    """Stops a method after ``seconds`` or ``evaluations`` (model evaluations or simulations; None: no limit)."""

    def __init__(self, seconds: float | None = None, evaluations: int | None = None) -> None:
        self.seconds, self.evaluations = seconds, evaluations
        self.start, self.used = time.perf_counter(), 0

    @classmethod
    def parse(cls, text: str | None) -> Budget:
        """``--budget``: ``20000`` or ``20000sims`` (evaluations), ``90s``, ``5min``, ``2h`` (time); None: no limit."""
        if text is None:
            return cls()
        m = _BUDGET.fullmatch(str(text))
        if not m or float(m.group(1)) <= 0:
            raise FitError(
                f"--budget {str(text)[:40]!r}: give a positive time (30s, 5min, 1h) or a number of model "
                "evaluations or simulations (20000, 20000sims)"
            )
        value, unit = float(m.group(1)), (m.group(2) or "").lower()
        if unit in _SECONDS:
            return cls(seconds=value * _SECONDS[unit])
        return cls(evaluations=int(value))

    def spent(self) -> bool:
        if self.evaluations is not None and self.used >= self.evaluations:
            return True
        return self.seconds is not None and time.perf_counter() - self.start >= self.seconds


def _objective(problem: Problem, budget: Budget) -> Callable[[np.ndarray], float]:
    lo, hi = problem.lower, problem.upper

    def nll(z: np.ndarray) -> float:
        budget.used += 1
        theta = untransform(z, lo, hi)
        if not np.all(np.isfinite(theta)) or np.any(theta <= lo) or np.any(theta >= hi):
            return BIG
        ll = problem.log_likelihood(theta)
        return -ll if math.isfinite(ll) else BIG

    return nll


def maximize(problem: Problem, starts: int = 5, seed: int = 0, budget: Budget | None = None) -> FitResult:
    """The maximum-likelihood fit with profile intervals (see the module docstring)."""
    if problem.engine != "ode":
        raise FitError(f"--method mle: needs a likelihood, which the {problem.engine} engine has not; use --engine ode")
    if starts < 1:
        raise FitError(f"--starts {starts}: give at least 1 start")
    t0 = time.perf_counter()
    budget = budget or Budget()
    nll = _objective(problem, budget)
    lo, hi = problem.lower, problem.upper
    rng = np.random.default_rng(seed)
    z_hat, f_hat, converged = optimum(problem, starts, rng, budget, nll)
    restarts = 0
    while True:
        cov = covariance(nll, z_hat)
        se = np.sqrt(np.diag(cov)) if cov is not None else np.full(len(z_hat), 0.5)
        intervals, better = {}, None
        for i, name in enumerate(problem.names):
            ends, found = _profile(nll, z_hat, f_hat, i, se[i], budget)
            if found is not None and (better is None or found[0] < better[0]):
                better = found
            intervals[name] = tuple(
                None if e is None else float(untransform(np.array([e]), lo[i : i + 1], hi[i : i + 1])[0]) for e in ends
            )
        if better is None or restarts >= MAX_RESTARTS or budget.spent():
            break
        restarts += 1  # a profile passed a higher likelihood: climb from there and profile again
        res = optimize.minimize(nll, better[1], method=METHOD, options={"ftol": 1e-13, "gtol": 1e-9})
        z_hat, f_hat = (res.x, float(res.fun)) if res.fun < better[0] else (better[1], better[0])
    theta_hat = untransform(z_hat, lo, hi)
    wald, draws = {}, np.empty((0, len(z_hat)))
    if cov is not None:
        for i, name in enumerate(problem.names):
            ends = z_hat[i] + np.array([-1.96, 1.96]) * se[i]
            wald[name] = [float(v) for v in untransform(ends, lo[i : i + 1].repeat(2), hi[i : i + 1].repeat(2))]
        draws = untransform(rng.multivariate_normal(z_hat, cov, 4000), lo, hi)
    diagnostics = {
        "converged": converged,
        "evaluations": budget.used,
        "hessian_positive_definite": cov is not None,
        "wald_intervals_95": wald,
    }
    diagnostics["restarts_from_profiles"] = restarts
    if budget.spent():
        diagnostics["budget"] = "spent before the fit finished: open interval ends may only be unexplored"
    if better is not None:
        diagnostics["note"] = "a profile still passes a higher likelihood: the estimate may be a local one"
    return FitResult(
        method="mle",
        names=list(problem.names),
        estimate=dict(zip(problem.names, map(float, theta_hat), strict=True)),
        intervals=intervals,
        interval_kind="profile likelihood, 95% (χ²₁ cutoff 3.84)",
        samples=draws,
        sample_kind="asymptotic normal of the estimate in transformed space (Hessian)",
        log_likelihood=-float(f_hat),
        diagnostics=diagnostics,
        settings={"starts": starts, "seed": seed, "optimizer": "L-BFGS-B, then a tight L-BFGS-B polish"},
        elapsed_s=time.perf_counter() - t0,
    )


def optimum(
    problem: Problem, starts: int, rng: np.random.Generator, budget: Budget, nll: Callable | None = None
) -> tuple[np.ndarray, float, bool]:
    """The best of ``starts`` optimisations in transformed space: (z, negative log-likelihood, converged)."""
    nll = nll or _objective(problem, budget)
    lo, hi = problem.lower, problem.upper
    points = [_center(problem)] + [
        np.array([f.prior.sample(rng, 1, _finite(f.center))[0] for f in problem.free]) for _ in range(starts - 1)
    ]
    best = None
    for theta in points:
        z = transform(np.clip(theta, np.nextafter(lo, np.inf), np.nextafter(hi, -np.inf)), lo, hi)
        if not np.all(np.isfinite(z)) or nll(z) >= BIG:
            continue
        res = optimize.minimize(nll, z, method=METHOD)
        if best is None or res.fun < best.fun:
            best = res
        if budget.spent():
            break
    if best is None or best.fun >= BIG:
        raise FitError("fit: the model could not be scored at any start; widen the priors or check the data")
    polish = optimize.minimize(nll, best.x, method=METHOD, options={"ftol": 1e-13, "gtol": 1e-9})
    if polish.fun <= best.fun:
        return polish.x, float(polish.fun), bool(polish.success or best.success)
    return best.x, float(best.fun), bool(best.success)


def _finite(x: float) -> float:
    return x if math.isfinite(x) else 1.0


def _center(problem: Problem) -> np.ndarray:
    out = []
    for f in problem.free:
        lo, hi = f.prior.support
        if lo < f.center < hi:
            out.append(f.center)
        else:
            out.append(float(np.median(f.prior.sample(np.random.default_rng(0), 201, 1.0))))
    return np.array(out)


def covariance(nll: Callable[[np.ndarray], float], z: np.ndarray) -> np.ndarray | None:
    """Inverse of the numerical Hessian of the negative log-likelihood at ``z`` (None if not positive definite)."""
    n = len(z)
    h = 1e-3 * np.maximum(1.0, np.abs(z))
    hess = np.empty((n, n))
    f0 = nll(z)
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.eye(n)[i] * h[i], np.eye(n)[j] * h[j]
            if i == j:
                val = (nll(z + ei) - 2 * f0 + nll(z - ei)) / h[i] ** 2
            else:
                val = (nll(z + ei + ej) - nll(z + ei - ej) - nll(z - ei + ej) + nll(z - ei - ej)) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = val
    if not np.all(np.isfinite(hess)):
        return None
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return None
    return np.linalg.inv(hess)


def _profile(
    nll: Callable[[np.ndarray], float], z_hat: np.ndarray, f_hat: float, i: int, se: float, budget: Budget
) -> tuple[tuple[float | None, float | None], tuple[float, np.ndarray] | None]:
    """Ends (in transformed space) of the profile-likelihood interval of parameter ``i``, and the best
    point the profile passed if it beats the estimate."""
    others = [k for k in range(len(z_hat)) if k != i]
    warm = {1: z_hat[others].copy(), -1: z_hat[others].copy()}
    seen: list[tuple[float, np.ndarray]] = []

    def profile(zi: float, side: int) -> float:
        if not others:
            value = nll(np.array([zi]))
        else:

            def inner(rest: np.ndarray) -> float:
                z = z_hat.copy()
                z[others], z[i] = rest, zi
                return nll(z)

            res = optimize.minimize(inner, warm[side], method=METHOD)
            warm[side] = res.x
            value = float(res.fun)
        full = z_hat.copy()
        full[i] = zi
        if others:
            full[others] = warm[side]
        seen.append((value, full))
        return value - f_hat - CUTOFF

    step = se if math.isfinite(se) and se > 1e-6 else 0.5
    ends: list[float | None] = []
    for side in (-1, 1):
        inside, end = z_hat[i], None
        k = 1.96
        while abs(k * step) <= REACH and not budget.spent():
            zi = z_hat[i] + side * k * step
            if profile(zi, side) > 0:
                a, b = sorted((inside, zi))
                try:
                    end = optimize.brentq(lambda v, s=side: profile(v, s), a, b, xtol=1e-3)
                except ValueError:  # the inner optimum moved between probes: keep the outer (wider) end
                    end = zi
                break
            inside, k = zi, k + 1.0
        ends.append(end)
    best = min(seen, key=lambda p: p[0], default=None)
    return (ends[0], ends[1]), best if best is not None and best[0] < f_hat - 1e-6 else None
