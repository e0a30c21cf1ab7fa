"""Tau-leaping accuracy and determinism: final size against the closed form, report-grid independence.

The final-size equation s = S0*exp(-R0*(N - s)/N) is the N -> infinity limit of SIR; at N = 10^5
the exact SSA mean differs from it by a few individuals (SE of a mean over 300 runs is ~6.5), far
below the tolerance of 4.5 SE (~0.5%). The old default (epsilon 0.03) was 1.9% low, ~17 SE.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize
from tests.test_ssa import sir

from hyosan.engines import ssa, stochastic, tau
from hyosan.errors import EngineError
from hyosan.results import time_grid

Z_TOL = 4.5


def final_size(n: int, i0: int, r0: float) -> float:
    return optimize.brentq(lambda s: s - (n - i0) * math.exp(-r0 * (n - s) / n), 1.0, n - i0 - 1.0)


def test_default_epsilon_final_size_is_unbiased_at_large_population() -> None:
    n, i0, reps = 100_000, 10, 300
    ds = tau.run(sir(n, i0), time_grid(400, 20), seed=7, replicates=reps, workers=1)
    final = ds["S"].isel(time=-1).values.astype(float)
    assert np.all(final < n / 2)  # P(minor outbreak) = 3^-10
    se = final.std(ddof=1) / math.sqrt(reps)
    exact = final_size(n, i0, 3.0)
    assert abs(final.mean() - exact) <= Z_TOL * se, (final.mean(), exact, se)
    assert ds.attrs["epsilon"] == stochastic.DEFAULT_EPSILON
    assert ds.attrs["leaps"] < ds.attrs["events"] / 20


def test_coarse_epsilon_bias_is_visible() -> None:
    """The same check fails at epsilon = 0.03, so the test above can detect the old bias."""
    n, i0, reps = 100_000, 10, 100
    ds = tau.run(sir(n, i0), time_grid(400, 20), seed=7, replicates=reps, workers=1, epsilon=0.03)
    final = ds["S"].isel(time=-1).values.astype(float)
    se = final.std(ddof=1) / math.sqrt(reps)
    assert final_size(n, i0, 3.0) - final.mean() > Z_TOL * se


def test_report_times_do_not_change_the_path() -> None:
    model = sir(100_000, 50)
    coarse = tau.run(model, time_grid(120, 10), seed=11, replicates=4, workers=1)
    fine = tau.run(model, time_grid(120, 1), seed=11, replicates=4, workers=1)
    for c in ("S", "I", "R"):
        assert np.array_equal(coarse[c].isel(time=-1).values, fine[c].isel(time=-1).values)
    assert coarse.attrs["leaps"] == fine.attrs["leaps"] and coarse.attrs["events"] == fine.attrs["events"]


def test_reports_inside_leaps_are_states_of_the_leap() -> None:
    """Bridged reports keep every invariant of the process: totals, and S never rising."""
    ds = tau.run(sir(100_000, 50), time_grid(120, 0.25), seed=12, replicates=4, workers=1)
    assert np.all(ds["S"] + ds["I"] + ds["R"] == 100_000)
    assert np.all(np.diff(ds["S"].values, axis=1) <= 0) and np.all(np.diff(ds["R"].values, axis=1) >= 0)
    assert int(ds["I"].min()) >= 0


def test_chunked_kernels_resume_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cutting a run every 500 transitions (for limits and progress) changes no draw."""
    model = sir(5_000, 20)
    times = time_grid(100, 5)
    whole = {e.__name__: e.run(model, times, seed=3, replicates=2, workers=1) for e in (ssa, tau)}
    monkeypatch.setattr(stochastic, "CHUNK", 500)
    for e in (ssa, tau):
        cut = e.run(model, times, seed=3, replicates=2, workers=1)
        assert cut["S"].equals(whole[e.__name__]["S"]) and cut["I"].equals(whole[e.__name__]["I"])


@pytest.mark.parametrize("value", [0, 1.5, -0.1, float("nan"), "0.01", True])
def test_bad_epsilon_is_refused(value) -> None:
    with pytest.raises(EngineError, match=r"--epsilon"):
        tau.run(sir(1000, 10), time_grid(10, 1), seed=0, replicates=1, workers=1, epsilon=value)


def test_tau_options_on_ssa_are_refused() -> None:
    with pytest.raises(EngineError, match=r"epsilon \(--epsilon\): only the tau engine"):
        ssa.run(sir(1000, 10), time_grid(10, 1), seed=0, replicates=1, workers=1, epsilon=0.01)


def test_cli_report_grid_and_limits(cli, tmp_path: Path) -> None:
    """The issue's check through the CLI, and the bounds a user can put on a long run."""
    big = ["--set", "S=99990", "--set", "I=10", "--engine", "tau", "--replicates", "3", "--no-plot"]
    finals = []
    for every in ("10", "1"):
        res = cli("run", "sir", *big, "--every", every, "--out", str(tmp_path / every))
        assert res.returncode == 0, res.stderr
        finals.append((tmp_path / every / "final.csv").read_text())
    assert finals[0] == finals[1]
    for args, fragment in [
        (["--engine", "ssa", "--max-events", "1000"], "fired 1,000 transitions by t="),
        (["--engine", "tau", "--epsilon", "0"], "epsilon (--epsilon) 0.0: the tau step control"),
        (["--engine", "ode", "--epsilon", "0.01"], "--epsilon: only for models on --engine tau"),
        (["--engine", "ode", "--time-limit", "5"], "--time-limit: only for models on --engine ssa or tau"),
    ]:
        out = tmp_path / "bad"
        res = cli("run", "sir", *args, "--out", str(out))
        assert res.returncode == 2 and fragment in res.stderr, res.stderr
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
        assert not out.exists()
