"""Validation of the exact SSA engine against exact results derived independently of the engine.

References: the embedded jump chain of SIR (final-size distribution by dynamic programming), the
branching-process extinction probability 1/R0, the gambler's ruin of the well-mixed Alemi model,
the SIR final-size equation, and scheduled events. Tolerances are 4.5 standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, signal, stats

from hyosan.compartmental.io import load
from hyosan.compartmental.model import Model
from hyosan.engines import ssa
from hyosan.errors import EngineError
from hyosan.outcomes import statistics
from hyosan.results import time_grid

Z_TOL = 4.5


def sir_final_size_pmf(n_total: int, i0: int, r0: float) -> np.ndarray:
    """P(final S = s), s = 0..N-i0, for SIR with incidence beta*S*I/N from (N - i0, i0, 0).

    Jump chain: from (s, i) an infection happens with probability beta*s/(beta*s + gamma*N),
    independent of i, so within one level of s the recoveries form a geometric filter.
    """
    s0 = n_total - i0
    absorbed = np.zeros(s0 + 1)
    incoming = np.zeros(n_total + 2)
    incoming[i0] = 1.0
    for s in range(s0, -1, -1):
        q = 1.0 / (1.0 + r0 * s / n_total)
        mass = signal.lfilter([1.0], [1.0, -q], incoming[::-1])[::-1]
        absorbed[s] = mass[0]
        incoming = np.zeros(n_total + 2)
        incoming[2:] = (1.0 - q) * mass[1:-1]
    return absorbed


def alemi_humans_win(s0: int, z0: int, alpha: float) -> float:
    """Gambler's ruin with finite S: P(Z hits 0 while S > 0); each event is a bite w.p. 1/(1+alpha)."""
    p = 1.0 / (1.0 + alpha)
    zmax = s0 + z0 + 1
    win = np.zeros((s0 + 1, zmax + 1))
    win[1:, 0] = 1.0
    for s in range(1, s0 + 1):
        for z in range(1, zmax):
            win[s, z] = p * win[s - 1, z + 1] + (1 - p) * win[s, z - 1]
    return float(win[s0, z0])


def sir(n_total: int, i0: int, beta: float = 0.3, gamma: float = 0.1) -> Model:
    return load("sir").with_values(S=n_total - i0, I=i0, R=0, beta=beta, gamma=gamma)


def within(observed: float, expected: float, se: float) -> None:
    assert abs(observed - expected) <= Z_TOL * se, f"{observed} vs {expected} (SE {se:.3g})"


def test_jump_chain_reference_is_a_distribution_and_matches_branching_limit() -> None:
    pmf = sir_final_size_pmf(1000, 1, 3.0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    minor = pmf[1000 - 1 - 49 :].sum()
    assert minor == pytest.approx(1 / 3, abs=0.01)


def test_sir_early_extinction_probability() -> None:
    n, reps = 1000, 3000
    ds = ssa.run(sir(n, 1), time_grid(400, 400), seed=11, replicates=reps, workers=1)
    final_s = ds["S"].isel(time=-1).values
    minor = (n - 1 - final_s) < 50
    exact = sir_final_size_pmf(n, 1, 3.0)[n - 1 - 49 :].sum()
    p = minor.mean()
    within(p, exact, math.sqrt(exact * (1 - exact) / reps))
    within(p, 1 / 3, math.sqrt(exact * (1 - exact) / reps))
    assert np.all(ds["I"].isel(time=-1).values == 0)


def test_sir_small_population_final_size_chi_square() -> None:
    n, reps = 10, 4000
    ds = ssa.run(sir(n, 1, beta=0.25, gamma=0.1), time_grid(500, 500), seed=5, replicates=reps, workers=1)
    counts = np.bincount(ds["S"].isel(time=-1).values, minlength=n)
    expected = sir_final_size_pmf(n, 1, 2.5) * reps
    assert counts.sum() == reps and len(counts) == len(expected)
    assert expected.min() >= 5
    assert stats.chisquare(counts, expected).pvalue > 1e-3


def test_alemi_gamblers_ruin() -> None:
    s0, alpha, reps = 60, 0.3, 4000
    model = load("alemi-szr").with_values(S=s0, Z=1, R=0, alpha=alpha)
    ds = ssa.run(model, time_grid(10_000, 10_000), seed=3, replicates=reps, workers=1)
    outcomes = statistics(ds)
    exact = alemi_humans_win(s0, 1, alpha)
    assert exact == pytest.approx(alpha, abs=0.02)
    se = math.sqrt(exact * (1 - exact) / reps)
    within(outcomes["humans_win_fraction"], exact, se)
    assert outcomes["humans_win_se"] == pytest.approx(se, rel=0.05)
    final = ds.isel(time=-1)
    assert np.all((final["S"].values == 0) | (final["Z"].values == 0))
    assert np.all(final["S"] + final["Z"] + final["R"] == s0 + 1)


def test_ensemble_mean_approaches_ode_final_size() -> None:
    n, i0, r0, reps = 100_000, 1000, 3.0, 60
    ds = ssa.run(sir(n, i0), time_grid(300, 30), seed=2, replicates=reps, workers=1)
    s_inf = optimize.brentq(lambda s: s - (n - i0) * math.exp(-r0 * (n - s) / n), 1.0, n - i0 - 1.0)
    final = ds["S"].isel(time=-1).values.astype(float)
    within(final.mean(), s_inf, final.std(ddof=1) / math.sqrt(reps) + 1.0)
    assert abs(final.mean() - s_inf) / n < 2e-3


def test_ensemble_mean_trajectory_near_ode() -> None:
    from hyosan.engines import ode

    n, i0, reps = 100_000, 2000, 60
    times = time_grid(40, 10)
    ds = ssa.run(sir(n, i0), times, seed=4, replicates=reps, workers=1)
    ref = ode.run(sir(n, i0), times).isel(replicate=0)
    for t in (10.0, 20.0, 30.0):
        values = ds["I"].sel(time=t).values.astype(float)
        se = values.std(ddof=1) / math.sqrt(reps)
        within(values.mean(), float(ref["I"].sel(time=t)), se)


def test_impulsive_attack_ends_zombies_exactly() -> None:
    model = load("munz-impulsive")
    ds = ssa.run(model, time_grid(12, 0.5), seed=8, replicates=200, workers=1)
    assert np.all(ds["Z"].sel(time=10.0).values == 0)
    before = ds["Z"].sel(time=2.0).values
    assert before.sum() > 0


def test_thinning_at_first_attack_is_binomial() -> None:
    model = load("munz-impulsive").with_values(S=0, Z=1000, R=0, zeta=0.0, delta=0.0)
    ds = ssa.run(model, time_grid(3, 0.5), seed=9, replicates=400, workers=1)
    after = ds["Z"].sel(time=2.5).values
    assert np.all(ds["Z"].sel(time=2.0).values == 1000)
    within(after.mean(), 750.0, math.sqrt(1000 * 0.75 * 0.25 / 400))
    assert after.var(ddof=1) == pytest.approx(1000 * 0.75 * 0.25, rel=0.3)


def test_event_log_and_absorption_time() -> None:
    ds = ssa.run(sir(20, 2), time_grid(1000, 500), seed=1, replicates=3, workers=1, log_events=True)
    for r in range(3):
        times = ds["event_time"].isel(replicate=r).values
        kinds = ds["event_transition"].isel(replicate=r).values
        n = int(np.sum(kinds >= 0))
        assert n == int(np.sum(np.isfinite(times)))
        assert np.all(np.diff(times[:n]) > 0)
        infections, recoveries = int(np.sum(kinds == 0)), int(np.sum(kinds == 1))
        assert ds["S"].isel(replicate=r, time=-1) == 18 - infections
        assert recoveries == 2 + infections
        assert float(ds["t_final"][r]) == pytest.approx(times[n - 1])
        assert float(ds["t_extinction"][r]) == pytest.approx(times[n - 1])
    assert ds.attrs["events"] == int(np.sum(ds["event_transition"].values >= 0))


def test_negative_rate_mid_run_names_transition_and_time() -> None:
    model = Model.from_dict(
        {
            "compartments": ["S", "I", "R"],
            "parameters": {"k": 0.001},
            "initial": {"S": 1000, "I": 100},
            "transitions": [
                {"reaction": "S -> I", "rate": "k*(5 - t)*S", "name": "waning"},
                {"reaction": "I -> R", "rate": "0.5*I", "name": "recovery"},
            ],
        },
        source="bad.yaml",
    )
    with pytest.raises(EngineError, match=r"'waning'.* at t=(5\.|[6-9]|\d\d)") as info:
        ssa.run(model, time_grid(1000, 1000), seed=0, replicates=1, workers=1)
    t = float(str(info.value).split(" at t=")[1].split()[0])
    assert t > 5


def test_non_integral_initial_state_is_refused() -> None:
    with pytest.raises(EngineError, match=r"initial\.S.*whole number"):
        ssa.run(sir(1000, 10).with_values(S=990.5), time_grid(10, 1), seed=0, replicates=1, workers=1)


def test_max_events_and_time_limit_stop_a_long_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from hyosan.engines import stochastic

    with pytest.raises(
        EngineError, match=r"replicate 0 fired 5,000 transitions by t=.* \(max_events, --max-events 5,000\)"
    ):
        ssa.run(sir(100_000, 100), time_grid(100, 1), seed=0, replicates=1, workers=1, max_events=5000)
    monkeypatch.setattr(stochastic, "CHUNK", 1000)
    with pytest.raises(EngineError, match=r"reached only t=.* of 100 days .*\(time_limit, --time-limit 1e-09 s\)"):
        ssa.run(sir(100_000, 100), time_grid(100, 1), seed=0, replicates=1, workers=1, time_limit=1e-9)
    with pytest.raises(EngineError, match=r"max_events \(--max-events\) 0: give a whole number >= 1"):
        ssa.run(sir(100, 1), time_grid(10, 1), seed=0, replicates=1, workers=1, max_events=0)


def test_long_single_run_reports_progress(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from hyosan.engines import stochastic

    monkeypatch.setattr(stochastic, "CHUNK", 2000)
    monkeypatch.setattr(stochastic._Progress, "EVERY", 0.0)
    ssa.run(sir(20_000, 100), time_grid(100, 1), seed=0, replicates=1, workers=1, progress=True)
    err = capsys.readouterr().err
    assert "ssa replicate 0: t = " in err and "of 100 days" in err and " transitions" in err
