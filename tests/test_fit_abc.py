"""ABC-SMC (hyosan.fit.abc): exact against a closed-form posterior, recovery on ssa and tau, the
same result whatever the workers (process pool, a real Dask cluster) or interruptions, budgets."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import hyosan
from hyosan.engines.stochastic import run_replicate
from hyosan.fit import Observations, Problem
from hyosan.fit.abc import AbcSettings, abc_smc
from hyosan.fit.abc_kernel import run_batch
from hyosan.fit.mle import Budget
from hyosan.fit.priors import FitError
from hyosan.parallel import generator

DEATH = """
title: pure death
compartments: {X: alive, D: dead}
parameters: {mu: {value: 0.5}}
initial: {X: 40, D: 0}
infected: [X]
transitions:
  - {reaction: "X -> D", rate: "mu*X", name: death}
"""


def death_problem(tmp_path: Path, x_obs: int = 17) -> Problem:
    path = tmp_path / "death.yaml"
    path.write_text(DEATH)
    data = Observations.from_frame({"time": [1.0], "X": [x_obs]})
    return Problem(hyosan.load(str(path)), data, {"mu": "uniform(0, 3)"}, engine="ssa")


def test_abc_equals_the_exact_posterior_of_a_death_process(tmp_path: Path) -> None:
    """X(1) ~ Binomial(40, exp(-mu)); with epsilon reaching 0 on count data ABC is exact, so the
    weighted population must match the closed-form posterior up to Monte Carlo error."""
    problem = death_problem(tmp_path)
    res = abc_smc(problem, AbcSettings(population=1500, generations=6, quantile=0.2), seed=7, workers=1)
    assert res.history[-1]["epsilon"] == 0.0
    grid = np.linspace(1e-4, 3, 30_001)
    post = stats.binom.pmf(17, 40, np.exp(-grid))
    post /= post.sum()
    mean = (grid * post).sum()
    sd = math.sqrt(((grid - mean) ** 2 * post).sum())
    ess = res.ess
    assert ess > 300
    # the weighted mean's standard error is sd / sqrt(ESS); 4 of them leave a 6e-5 false-alarm rate
    assert abs(res.mean()[0] - mean) < 4 * sd / math.sqrt(ess)
    # the sd of a sample of size ESS has relative standard error about 1/sqrt(2 ESS)
    assert abs(res.sd()[0] / sd - 1) < 4 / math.sqrt(2 * ess)


def test_replicates_per_particle_target_the_same_posterior(tmp_path: Path) -> None:
    problem = death_problem(tmp_path)
    res = abc_smc(problem, AbcSettings(population=800, generations=8, quantile=0.1, replicates=3), seed=2, workers=1)
    assert res.simulations % 3 == 0
    grid = np.linspace(1e-4, 3, 30_001)
    post = stats.binom.pmf(17, 40, np.exp(-grid))
    post /= post.sum()
    mean = (grid * post).sum()
    sd = math.sqrt(((grid - mean) ** 2 * post).sum())
    assert res.history[-1]["epsilon"] == 0.0
    assert abs(res.mean()[0] - mean) < 4 * sd / math.sqrt(res.ess)


def sir_problem(engine: str = "ssa", seed: int = 3) -> Problem:
    model = hyosan.load("sir").with_values(S=290, I=10, beta=0.3, gamma=0.1)
    ds = model.run(engine="ssa", t_end=60, every=4, replicates=1, seed=seed, workers=1)
    data = Observations.from_frame({"time": ds.time.values[1:], "I": ds.I.values[0][1:]})
    return Problem(model, data, {"beta": "uniform(0.05, 1)"}, engine=engine)


@pytest.mark.parametrize("engine", ["ssa", "tau"])
def test_beta_is_recovered_from_synthetic_data(engine: str) -> None:
    res = abc_smc(sir_problem(engine), AbcSettings(population=400, generations=8), seed=1, workers=1)
    lo, hi = res.quantiles([0.005, 0.995])[:, 0]
    assert lo < 0.3 < hi
    assert hi - lo < 0.2  # the prior's 99% range is 0.94 wide: the data inform beta
    assert res.batched


def test_batch_kernel_runs_the_engine_kernel() -> None:
    """One simulation of the batch equals the engine's own replicate on the same stream."""
    model = hyosan.load("sir").with_values(S=290, I=10)
    times = np.linspace(0, 60, 16)
    p = np.array([[q.value for q in model.parameters]])
    x0 = np.array([model.initial], dtype=np.int64)
    for seed in range(5):  # tau's batch kernel is checked by recovery only: compiling it twice costs a minute
        out = run_batch(model, "ssa", generator(np.random.SeedSequence(seed)), x0, p, times)
        ref = run_replicate("ssa", model, times, generator(np.random.SeedSequence(seed)), 0, {})
        np.testing.assert_array_equal(out[0], ref.values)


def test_the_same_fit_whatever_the_workers(scheduler: str) -> None:
    from hyosan.cluster import dask_executor

    problem = sir_problem()
    settings = AbcSettings(population=200, generations=4)
    one = abc_smc(problem, settings, seed=5, workers=1)
    two = abc_smc(problem, settings, seed=5, workers=2)
    dask = abc_smc(problem, settings, seed=5, executor=dask_executor(scheduler))
    for other in (two, dask):
        np.testing.assert_array_equal(one.theta, other.theta)
        np.testing.assert_array_equal(one.weight, other.weight)
        assert one.simulations == other.simulations
    assert len(np.unique(one.theta)) > 100


def test_the_fallback_path_runs_one_simulation_at_a_time(tmp_path: Path) -> None:
    """The ode engine is not batched: each simulation goes through Problem.simulate, Poisson noise drawn."""
    model = hyosan.load("sir").with_values(S=290, I=10, beta=0.3, gamma=0.1)
    data = Observations.from_frame({"time": [10.0, 20.0, 30.0], "I": [30, 60, 50]})
    problem = Problem(model, data, {"beta": "uniform(0.05, 1)"}, engine="ode")
    res = abc_smc(problem, AbcSettings(population=50, generations=2), seed=1, workers=1)
    assert not res.batched and res.simulations >= 100
    assert res.summary()["observation_noise_simulated"] is True


RUN = """
import sys, numpy as np
sys.path.insert(0, {tests!r})
from test_fit_abc import sir_problem
from hyosan.fit.abc import AbcSettings, abc_smc
res = abc_smc(sir_problem(), AbcSettings(population=300, generations=7), seed=9, workers=1, checkpoint={path!r})
np.save({out!r}, res.theta)
"""


def test_a_killed_fit_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    """SIGTERM a fit once its checkpoint exists; rerunning it with the same checkpoint finishes with
    exactly the particles of a run that was never interrupted."""
    check = tmp_path / "fit.abc.npz"
    script = RUN.format(tests=str(Path(__file__).parent), path=str(check), out=str(tmp_path / "theta.npy"))
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not check.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    if proc.returncode == 0:
        pytest.skip("the fit finished before it could be killed")
    assert check.exists()
    resumed = abc_smc(sir_problem(), AbcSettings(population=300, generations=7), seed=9, workers=1, checkpoint=check)
    whole = abc_smc(sir_problem(), AbcSettings(population=300, generations=7), seed=9, workers=1)
    np.testing.assert_array_equal(resumed.theta, whole.theta)
    assert resumed.simulations == whole.simulations
    assert not check.exists() and not list(tmp_path.glob(".*.tmp"))


def test_an_interrupted_fit_resumes_mid_generation(tmp_path: Path, monkeypatch) -> None:
    from hyosan.fit import abc_sim

    check = tmp_path / "state.npz"
    settings = AbcSettings(population=300, generations=5)
    whole = abc_smc(sir_problem(), settings, seed=4, workers=1)
    real, calls = abc_sim.simulate_round, []

    def flaky(*args, **kw):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(abc_sim, "simulate_round", flaky)
    with pytest.raises(KeyboardInterrupt):
        abc_smc(sir_problem(), settings, seed=4, workers=1, checkpoint=check)
    monkeypatch.setattr(abc_sim, "simulate_round", real)
    again = abc_smc(sir_problem(), settings, seed=4, workers=1, checkpoint=check)
    np.testing.assert_array_equal(again.theta, whole.theta)
    np.testing.assert_array_equal(again.weight, whole.weight)


def test_a_checkpoint_of_another_fit_is_refused(tmp_path: Path) -> None:
    check = tmp_path / "state.npz"
    with pytest.raises(FitError):
        abc_smc(sir_problem(), AbcSettings(population=100, generations=3, budget_sims=50), seed=1, checkpoint=check)
    assert check.exists()
    with pytest.raises(FitError, match="different fit") as err:
        abc_smc(sir_problem(), AbcSettings(population=100, generations=3), seed=2, checkpoint=check)
    assert "\n" not in str(err.value)


def test_the_simulation_budget_is_honoured() -> None:
    res = abc_smc(sir_problem(), AbcSettings(population=100, generations=20, budget_sims=900), seed=1, workers=1)
    assert res.stopped == "budget" and res.simulations <= 900
    assert len(res.history) >= 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [("20000sims", (20000, None)), ("5min", (None, 300.0)), ("90s", (None, 90.0)), ("2h", (None, 7200.0))],
)
def test_budgets_are_read(text: str, expected: tuple) -> None:
    budget = Budget.parse(text)
    assert (budget.evaluations, budget.seconds) == expected


@pytest.mark.parametrize("text", ["5 parsecs", "-3min", "0sims", "sims"])
def test_bad_budgets_are_refused_in_one_line(text: str) -> None:
    with pytest.raises(FitError, match="--budget") as err:
        Budget.parse(text)
    assert "\n" not in str(err.value)


def test_an_improper_prior_is_refused() -> None:
    model = hyosan.load("sir")
    data = Observations.from_frame({"time": [10.0], "I": [30]})
    problem = Problem(model, data, {"beta": None}, engine="ssa")
    with pytest.raises(FitError, match="--fit beta: ABC draws"):
        abc_smc(problem, AbcSettings(population=20), seed=1)


def test_no_worker_is_left_behind() -> None:
    before = set(os.listdir("/proc"))
    abc_smc(sir_problem(), AbcSettings(population=100, generations=2), seed=1, workers=2)
    time.sleep(0.2)
    assert all(not p.isdigit() or _parent(p) != os.getpid() for p in set(os.listdir("/proc")) - before)


def _parent(pid: str) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def test_cli_fit_on_ssa_resumes_after_its_budget(cli, tmp_path: Path) -> None:
    """`hyosan fit --engine ssa` stops at its budget with a checkpoint; the same fit without the budget
    continues from it and ends where an uninterrupted fit (here, in this process) ends."""
    check = tmp_path / "state.npz"
    base = ["fit", "sir", "--data", "boarding-school", "--observe", "B=I", "--set", "S=762", "--set", "I=1",
            "--fit", "beta=0:5,gamma=0:2", "--engine", "ssa", "--population", "100", "--generations", "4",
            "--seed", "3"]  # fmt: skip
    first = cli(*base, "--budget", "250sims", "--resume", str(check), "--out", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    assert check.exists()
    assert json.loads((tmp_path / "a" / "fit.json").read_text())["diagnostics"]["stopped"] == "budget"
    again = cli(*base, "--resume", str(check), "--out", str(tmp_path / "b"))
    assert again.returncode == 0, again.stderr
    assert not check.exists()
    from importlib.resources import files

    from hyosan.fit.abc_method import systematic

    model = hyosan.load("sir").with_values(S=762, I=1)
    data = Observations.read(str(files("hyosan.data") / "fits" / "boarding-school.csv"))
    problem = Problem(model, data, {"beta": "0:5", "gamma": "0:2"}, engine="ssa", observe={"B": "I"})
    whole = abc_smc(problem, AbcSettings(population=100, generations=4), seed=3, workers=1)
    expected = systematic(whole.theta, whole.weight, len(whole.theta), 3)
    got = np.loadtxt(tmp_path / "b" / "posterior.csv", delimiter=",", skiprows=1)[:, 1:]
    np.testing.assert_array_equal(got, expected)
    summary = json.loads((tmp_path / "b" / "fit.json").read_text())
    assert summary["method"] == "abc" and summary["settings"]["common_random_numbers"] is False
