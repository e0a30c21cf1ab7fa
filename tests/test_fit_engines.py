"""ABC-SMC fits on the ``network`` and ``patches`` engines: recovery of a known beta from data the
engine itself simulated at that beta, through the Python API and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import hyosan
from hyosan.fit import Observations, Problem
from hyosan.fit.abc import AbcSettings, abc_smc
from hyosan.graphs import graph
from hyosan.places.spec import build

PRIOR_SD = 1.45 / 12**0.5  # sd of uniform(0.05, 1.5)


def synthetic(engine: str, options: dict, beta: float = 0.4, seed: int = 3) -> tuple:
    model = hyosan.load("sir").with_values(beta=beta, gamma=0.1)
    if engine == "network":
        model = model.with_values(S=490, I=10)
    ds = model.run(engine=engine, t_end=60, every=4, replicates=1, seed=seed, workers=1, **options)
    data = Observations.from_frame({"time": ds.time.values[1:], "I": ds.I.values[0][1:]})
    return model, data


def recovered(res, truth: float) -> None:
    """The truth lies within 3 posterior SDs of the posterior mean (one data set, so the check is on the
    posterior's width, not on a coverage rate), and the data narrow the prior at least threefold."""
    mean, sd = res.mean()[0], res.sd()[0]
    assert abs(mean - truth) < 3 * sd, (mean, sd)
    assert sd < PRIOR_SD / 3, sd


def test_network_fit_recovers_beta() -> None:
    """On er:n=500,k=8 the per-edge rate is beta / 8 (README, network engine): fitting beta fits it."""
    options = {"graph": graph("er:n=500,k=8")}
    model, data = synthetic("network", options)
    problem = Problem(model, data, {"beta": "uniform(0.05, 1.5)"}, engine="network", options=options)
    res = abc_smc(problem, AbcSettings(population=100, generations=4), seed=1, workers=1)
    assert not res.batched
    recovered(res, 0.4)


def test_patches_fit_recovers_beta() -> None:
    options = {"patches": build("grid:n=2x2,pop=150", "radiation:rate=0.05/d", "I"), "method": "ssa"}
    model, data = synthetic("patches", options)
    problem = Problem(model, data, {"beta": "uniform(0.05, 1.5)"}, engine="patches", options=options)
    res = abc_smc(problem, AbcSettings(population=100, generations=4), seed=1, workers=1)
    recovered(res, 0.4)


def test_cli_fits_on_patches_and_network(cli, tmp_path: Path) -> None:
    options = {"patches": build("grid:n=2x2,pop=150", "radiation:rate=0.05/d", "I"), "method": "ssa"}
    _, data = synthetic("patches", options)
    csv = tmp_path / "cases.csv"
    csv.write_text("time,I\n" + "".join(f"{t:g},{v:g}\n" for t, v in zip(data.times, data.columns["I"], strict=True)))
    got = cli("fit", "sir", "--data", str(csv), "--engine", "patches", "--patches", "grid:n=2x2,pop=150",
              "--mobility", "radiation:rate=0.05/d", "--moves", "I", "--set", "beta=0.3", "--fit", "beta=0.05:1.5",
              "--population", "100", "--generations", "4", "--workers", "1", "--seed", "1",
              "--out", str(tmp_path / "p"))  # fmt: skip
    assert got.returncode == 0, got.stderr
    fit = json.loads((tmp_path / "p" / "fit.json").read_text())
    assert fit["problem"]["engine"] == "patches"
    beta = fit["estimates"]["beta"]
    assert abs(beta["mean"] - 0.4) < 3 * beta["sd"] and beta["sd"] < PRIOR_SD / 3  # as recovered() above
    assert (tmp_path / "p" / "fit.png").exists()
    assert "R0" in fit["derived"]
    bad = cli("fit", "sir", "--data", str(csv), "--engine", "ssa", "--graph", "er:n=100,k=4", "--fit", "beta=0:1")
    assert bad.returncode == 2 and "--graph" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_network_fit_leaves_out_the_well_mixed_r0() -> None:
    options = {"graph": graph("er:n=200,k=6")}
    model, data = synthetic("network", options | {}, seed=5)
    res = hyosan.fit.fit(model, data, {"beta": "0.05:1.5"}, engine="network", engine_options=options,
                         population=20, generations=1, workers=1)  # fmt: skip
    assert "R0" not in res.extra["derived"] and "mean_time_in_I" in res.extra["derived"]
