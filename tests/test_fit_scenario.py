"""ABC-SMC fits of agent scenarios (hyosan.fit.scenario): a known bite probability recovered from a
tiny hall's zombie counts, the same fit whatever the workers, and the one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hyosan.agents.run import execute
from hyosan.fit import Observations
from hyosan.fit.abc import AbcSettings, abc_smc
from hyosan.fit.priors import FitError
from hyosan.fit.scenario import ScenarioProblem, fit_scenario

HALL = """name: hall
scale: 0.5
legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}}
zones: {hall: [1, 1, 20, 6], room: [1, 8, 8, 10]}
---
######################
#....................#
#....................#
#....................#
#....................#
#....................#
#....................#
###+##################
#........#
#........#
#........#
#########G
"""

SCENARIO = """name: tiny-hall
map: hall.txt
time: {step: 1s, horizon: 4min, report: 20s}
kinds:
  student: {speed: 1.4 m/s, run_speed: 3 m/s, sight: 10m}
zombie: {speed: 1 m/s, run_speed: 2.5 m/s, sight: 8m}
population:
- {kind: student, count: 60, zone: hall}
patient_zero: {zone: hall}
infection:
  incubation: {distribution: exponential, mean: 20s}
  humbie_fraction: 0.0
  bite_probability: 0.5
"""
KEY = "infection.bite_probability"
TRUTH = 0.02
PRIOR_SD = 0.1 / 12**0.5  # sd of the uniform(0, 0.1) prior


@pytest.fixture(scope="module")
def hall(tmp_path_factory) -> tuple[Path, Path]:
    """The scenario, and a CSV of its bitten-or-zombie counts (E + Z) at the bite probability TRUTH."""
    folder = tmp_path_factory.mktemp("hall")
    (folder / "hall.txt").write_text(HALL)
    (folder / "hall.yaml").write_text(SCENARIO)
    _, ds, _ = execute(str(folder / "hall.yaml"), seed=7, values={KEY: TRUTH}, workers=1)
    counts = ds.Z.values[0] + ds.E.values[0]
    rows = "".join(f"{float(t)!r},{c:g}\n" for t, c in zip(ds.time.values[1:], counts[1:], strict=True))
    (folder / "bitten.csv").write_text("time,cases\n" + rows)
    return folder / "hall.yaml", folder / "bitten.csv"


def problem(hall) -> ScenarioProblem:
    scenario, csv = hall
    return ScenarioProblem(str(scenario), Observations.read(csv), {KEY: "0:0.1"}, observe={"cases": "E + zombie"})


def test_the_bite_probability_is_recovered(hall) -> None:
    """One data set: the truth lies within 3 posterior SDs of the posterior mean, and the counts narrow
    the prior's SD at least 1.5-fold (a bite chance per second of contact saturates, so not more)."""
    res = abc_smc(problem(hall), AbcSettings(population=100, generations=4), seed=1, workers=1)
    mean, sd = res.mean()[0], res.sd()[0]
    assert abs(mean - TRUTH) < 3 * sd, (mean, sd)
    assert sd < PRIOR_SD / 1.5, sd
    assert not res.batched


def test_the_same_fit_whatever_the_workers(hall) -> None:
    p = problem(hall)
    one = abc_smc(p, AbcSettings(population=20, generations=2), seed=4, workers=1)
    two = abc_smc(p, AbcSettings(population=20, generations=2), seed=4, workers=2)
    np.testing.assert_array_equal(one.theta, two.theta)
    np.testing.assert_array_equal(one.weight, two.weight)


def test_refusals_are_one_line(hall) -> None:
    scenario, csv = hall
    data = Observations.read(csv)
    with pytest.raises(FitError, match="no likelihood"):
        fit_scenario(str(scenario), data, {KEY: "0:0.1"}, method="mle", observe={"cases": "Z"})
    with pytest.raises(FitError, match="names no agent state"):
        ScenarioProblem(str(scenario), data, {KEY: "0:0.1"})
    with pytest.raises(FitError, match="needs bounds or a prior"):
        ScenarioProblem(str(scenario), data, {KEY: None}, observe={"cases": "Z"})
    with pytest.raises(Exception, match="bite_chance"):
        ScenarioProblem(str(scenario), data, {"infection.bite_chance": "0:1"}, observe={"cases": "Z"})


def test_cli_fits_a_scenario(cli, hall, tmp_path: Path) -> None:
    scenario, csv = hall
    base = ["fit", str(scenario), "--data", str(csv), "--observe", "cases=E + Z", "--fit", f"{KEY}=0:0.1"]
    got = cli(*base, "--population", "20", "--generations", "2", "--workers", "1", "--out", str(tmp_path / "f"))
    assert got.returncode == 0, got.stderr
    fit = json.loads((tmp_path / "f" / "fit.json").read_text())
    assert fit["problem"]["engine"] == "abm" and KEY in fit["estimates"]
    assert {p.name for p in (tmp_path / "f").iterdir()} >= {"fit.json", "posterior.csv", "fit.png"}
    bad = cli(*base, "--method", "mcmc", "--out", str(tmp_path / "g"))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "--method abc" in bad.stderr
    assert not (tmp_path / "g").exists()
