"""Rates that read ``t`` on ssa and tau, against closed forms.

A pure-death process ``S -> I @ h(t)*S`` removes each individual independently with hazard
``h(t)``, so ``S(t) ~ Binomial(S0, exp(-H(t)))`` with ``H`` the integral of ``h``. One model holds
every hazard shape (terms switched on by their parameters) so that each engine compiles one
kernel. Tolerances are 4.5 standard errors of the mean, from the exact binomial variance.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from hyosan.compartmental.model import Model
from hyosan.engines import ssa, tau
from hyosan.errors import EngineError
from hyosan.results import time_grid

Z_TOL = 4.5
HAZARD = "S*(a*t + b*max(0, t - c) + d*(1 + sin(t)) + e*max(0, c - t) + g*sqrt(t - t))"


def death(s0: int, **coefficients: float) -> Model:
    params = dict.fromkeys("abdeg", 0.0) | {"c": 5.0} | coefficients
    return Model.from_dict(
        {
            "compartments": ["S", "I"],
            "parameters": params,
            "initial": {"S": s0, "I": 0},
            "transitions": [{"reaction": "S -> I", "rate": HAZARD, "name": "leave"}],
        },
        source="timed.yaml",
    )


def survival(t: float, a=0.0, b=0.0, c=5.0, d=0.0, e=0.0) -> float:
    h = (
        a * t * t / 2
        + b * max(0.0, t - c) ** 2 / 2
        + d * (t + 1 - math.cos(t))
        + e * (c * c - max(0.0, c - t) ** 2) / 2
    )
    return math.exp(-h)


def check_binomial(values: np.ndarray, s0: int, p: float) -> None:
    se = math.sqrt(s0 * p * (1 - p) / len(values))
    assert abs(values.mean() - s0 * p) <= Z_TOL * se + 1e-9, (values.mean(), s0 * p, se)


@pytest.mark.parametrize("engine", [ssa, tau])
def test_linear_hazard_is_binomial_with_gaussian_survival(engine) -> None:
    s0, reps = 1000, 300
    ds = engine.run(death(s0, a=0.02), time_grid(12, 3), seed=3, replicates=reps, workers=1)
    for t in (3.0, 6.0, 9.0, 12.0):
        check_binomial(ds["S"].sel(time=t).values.astype(float), s0, survival(t, a=0.02))
    p = survival(6.0, a=0.02)
    counts = np.bincount(ds["S"].sel(time=6.0).values, minlength=s0 + 1)
    pmf = stats.binom.pmf(np.arange(s0 + 1), s0, p)
    lo, hi = int(s0 * p - 25), int(s0 * p + 25)  # about +-2 SD in 7 bins; tails pooled
    edges = np.linspace(lo, hi, 8).astype(int)
    obs = [counts[:lo].sum()] + [counts[x:y].sum() for x, y in itertools.pairwise(edges)] + [counts[hi:].sum()]
    exp = [pmf[:lo].sum()] + [pmf[x:y].sum() for x, y in itertools.pairwise(edges)] + [pmf[hi:].sum()]
    assert stats.chisquare(obs, np.array(exp) * reps / sum(exp)).pvalue > 1e-3
    assert np.all(ds["S"] + ds["I"] == s0)


@pytest.mark.parametrize("engine", [ssa, tau])
def test_rate_zero_now_positive_later_is_not_absorption(engine) -> None:
    """The issue's case, k*max(0, t-5)*S: nothing before t = 5, then survival exp(-k (t-5)^2 / 2)."""
    s0, reps = 1000, 300
    ds = engine.run(death(s0, b=0.01), time_grid(20, 1), seed=4, replicates=reps, workers=1)
    assert np.all(ds["S"].sel(time=5.0).values == s0)
    check_binomial(ds["S"].sel(time=20.0).values.astype(float), s0, survival(20.0, b=0.01))
    assert np.all(ds["t_final"].values == 20.0)
    issue = engine.run(death(s0, b=0.1), time_grid(20, 1), seed=1, replicates=20, workers=1)
    assert issue["S"].sel(time=20.0).values.max() <= 2  # P(any survivor) = 1000*exp(-11.25) ~ 1.3%


@pytest.mark.parametrize("engine", [ssa, tau])
def test_seasonal_hazard(engine) -> None:
    s0, reps = 500, 300
    ds = engine.run(death(s0, d=0.1), time_grid(8, 2), seed=5, replicates=reps, workers=1)
    for t in (2.0, 4.0, 8.0):
        check_binomial(ds["S"].sel(time=t).values.astype(float), s0, survival(t, d=0.1))


def test_rate_that_stops_is_certified_absorption() -> None:
    ds = ssa.run(death(200, e=0.05), time_grid(30, 1), seed=6, replicates=50, workers=1)
    t_final = ds["t_final"].values
    assert np.all(t_final < 5.0) and np.all(t_final > 0.0)
    check_binomial(ds["S"].sel(time=30.0).values.astype(float), 200, survival(30.0, e=0.05))
    late = ssa.run(death(200, b=0.05, c=25.0), time_grid(20, 1), seed=6, replicates=5, workers=1)
    assert np.all(late["S"].values == 200) and np.all(late["t_final"].values == 0.0)


def test_large_population_tau_follows_the_closed_form() -> None:
    """Tau at N = 10^5 leaps; its mean stays within 4.5 SE of S0*exp(-a t^2/2) plus a 0.3% bias."""
    s0, reps = 100_000, 30
    ds = tau.run(death(s0, a=0.02), time_grid(12, 4), seed=7, replicates=reps, workers=1)
    assert ds.attrs["leaps"] < ds.attrs["events"] / 20
    for t in (4.0, 8.0, 12.0):
        p = survival(t, a=0.02)
        values = ds["S"].sel(time=t).values.astype(float)
        se = math.sqrt(s0 * p * (1 - p) / reps)
        assert abs(values.mean() - s0 * p) <= Z_TOL * se + 0.003 * s0 * p, (t, values.mean(), s0 * p)


@pytest.mark.parametrize("engine", [ssa, tau])
def test_rate_without_a_certified_bound_is_refused(engine) -> None:
    with pytest.raises(EngineError, match=r"'leave'.*reads t.*no finite bound.*--engine ode"):
        engine.run(death(100, g=0.1), time_grid(5, 1), seed=0, replicates=1, workers=1)


def test_event_log_under_thinning() -> None:
    ds = ssa.run(death(50, a=0.05), time_grid(20, 1), seed=8, replicates=3, workers=1, log_events=True)
    for r in range(3):
        times = ds["event_time"].isel(replicate=r).values
        n = int(np.sum(np.isfinite(times)))
        assert n == 50 - int(ds["S"].isel(replicate=r, time=-1))
        assert np.all(np.diff(times[:n]) > 0)
