"""Tau-leaping against exact results: the exact small-SIR final-size law, and SSA in distribution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from tests.test_ssa import sir, sir_final_size_pmf

from hyosan.compartmental.io import load
from hyosan.compartmental.model import Model
from hyosan.engines import ssa, tau
from hyosan.errors import EngineError
from hyosan.results import time_grid

Z_TOL = 4.5


def test_small_population_is_exact_final_size_chi_square() -> None:
    n, reps = 10, 3000
    ds = tau.run(sir(n, 1, beta=0.25, gamma=0.1), time_grid(500, 500), seed=6, replicates=reps, workers=1)
    counts = np.bincount(ds["S"].isel(time=-1).values, minlength=n)
    expected = sir_final_size_pmf(n, 1, 2.5) * reps
    assert expected.min() >= 5
    assert stats.chisquare(counts, expected).pvalue > 1e-3


def test_agrees_with_ssa_in_distribution_at_large_population() -> None:
    """Leaping has an O(epsilon) bias: at epsilon 0.03 the final S of this SIR is ~1.5% low (0.002 is the default)."""
    n, i0, reps = 100_000, 1000, 150
    times = time_grid(200, 10)
    a = ssa.run(sir(n, i0), times, seed=1, replicates=reps, workers=1)
    b = tau.run(sir(n, i0), times, seed=2, replicates=reps, workers=1, epsilon=0.01)
    assert b.attrs["leaps"] < b.attrs["events"] / 50
    for var, t in (("S", 200.0), ("I", 20.0), ("R", 30.0)):
        x = a[var].sel(time=t).values.astype(float)
        y = b[var].sel(time=t).values.astype(float)
        se = math.sqrt(x.var(ddof=1) / reps + y.var(ddof=1) / reps)
        assert abs(x.mean() - y.mean()) <= Z_TOL * se, (var, t, x.mean(), y.mean(), se)
        assert stats.ks_2samp(x, y).pvalue > 1e-3
        assert y.var(ddof=1) == pytest.approx(x.var(ddof=1), rel=0.6)


def test_populations_never_negative_and_conserved() -> None:
    model = load("alemi-szr").with_values(S=20_000, Z=50, R=0, alpha=0.9)
    ds = tau.run(model, time_grid(200, 1), seed=3, replicates=40, workers=1)
    total = ds["S"] + ds["Z"] + ds["R"]
    assert int(ds[["S", "Z", "R"]].to_array().min()) >= 0
    assert np.all(total.values == 20_050)


def test_impulsive_attack_ends_zombies_exactly() -> None:
    ds = tau.run(load("munz-impulsive"), time_grid(12, 0.5), seed=8, replicates=100, workers=1)
    assert np.all(ds["Z"].sel(time=10.0).values == 0)


def test_negative_rate_mid_run_names_transition() -> None:
    model = Model.from_dict(
        {
            "compartments": ["S", "I", "R"],
            "parameters": {"k": 0.001},
            "initial": {"S": 100_000, "I": 1000},
            "transitions": [
                {"reaction": "S -> I", "rate": "k*(5 - t)*S", "name": "waning"},
                {"reaction": "I -> R", "rate": "0.5*I", "name": "recovery"},
            ],
        },
        source="bad.yaml",
    )
    with pytest.raises(EngineError, match=r"tau: transition 'waning'.* at t="):
        tau.run(model, time_grid(100, 1), seed=0, replicates=1, workers=1)


def test_same_seed_same_result() -> None:
    args = (sir(50_000, 500), time_grid(100, 5))
    a = tau.run(*args, seed=4, replicates=6, workers=1)
    b = tau.run(*args, seed=4, replicates=6, workers=2)
    c = tau.run(*args, seed=5, replicates=6, workers=1)
    assert a["I"].equals(b["I"]) and not a["I"].equals(c["I"])
