"""The military base: screening detects at its declared sensitivity; outbreak odds follow from first events."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import hyosan
from hyosan.experiments.sweep import parse_values, sweep


def test_screening_detects_with_the_declared_sensitivity() -> None:
    # With no turning, each of the 20 bitten arrivals is detected independently with probability s:
    # the number isolated is Binomial(20, s).
    s, arrivals, n = 0.8, 20, 3000
    model = hyosan.load("base-screening").with_values(sensitivity=s, sigma=0, B=arrivals)
    ds = model.run(engine="ssa", replicates=n, seed=7, workers=1, t_end=10)
    isolated = ds.I.isel(time=-1).values
    assert np.all(isolated + ds.U.isel(time=-1).values == arrivals)
    observed = np.bincount(isolated, minlength=arrivals + 1)
    expected = stats.binom.pmf(np.arange(arrivals + 1), arrivals, s) * n
    keep = expected >= 5
    chi2 = np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep]) + (
        (observed[~keep].sum() - expected[~keep].sum()) ** 2 / expected[~keep].sum()
    )
    assert stats.chi2.sf(chi2, keep.sum()) > 1e-3
    assert abs(isolated.mean() / arrivals - s) < 4.5 * np.sqrt(s * (1 - s) / (arrivals * n))


def test_one_missed_arrival_bites_with_the_first_event_odds() -> None:
    # One bitten arrival: it is screened before it turns with probability (1/delay)/(1/delay + sigma),
    # missed with 1 - s; turned inside, it bites before the guards shoot it with beta S/N / (beta S/N + m).
    s, delay, sigma, beta, m, S = 0.5, 1 / 12, 4.0, 18.0, 12.0, 300
    p_missed = (1 / delay) / (1 / delay + sigma) * (1 - s)
    bite = beta * S / (S + 1)
    expected = p_missed * bite / (bite + m)
    model = hyosan.load("base-screening").with_values(sensitivity=s, B=1)
    n = 4000
    (row,) = sweep(model, "sensitivity", [s], ["C > 0"], replicates=n, seed=3, workers=1)
    se = np.sqrt(expected * (1 - expected) / n)
    assert abs(row["P(C > 0)"] - expected) < 4.5 * se


def test_sweep_values_and_cli(cli, tmp_path: Path) -> None:
    assert parse_values("sensitivity=0.5,0.9") == ("sensitivity", [0.5, 0.9])
    assert parse_values("beta=0:1:3") == ("beta", [0.0, 0.5, 1.0])
    out = tmp_path / "sweep"
    res = cli(
        "sweep",
        "base-screening",
        "--vary",
        "sensitivity=0.5,0.99",
        "--outcome",
        "C > 0",
        "--replicates",
        "300",
        "--workers",
        "1",
        "--out",
        str(out),
    )
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out / "sweep.csv")
    assert table["P(C > 0)"].iloc[0] > table["P(C > 0)"].iloc[1]
    assert json.loads((out / "summary.json").read_text())["vary"] == "sensitivity"
    assert (out / "sweep.png").exists()
    for bad, fragment in [
        (["--vary", "sensitivity"], "NAME=V1"),
        (["--vary", "nope=1,2"], "neither a parameter"),
        (["--vary", "sensitivity=0.5", "--outcome", "C >> 0"], "--outcome"),
    ]:
        args = ["sweep", "base-screening", *bad, "--out", str(tmp_path / "bad")]
        if "--outcome" not in bad:
            args += ["--outcome", "C > 0"]
        res = cli(*args)
        assert res.returncode == 2 and fragment in res.stderr, res.stderr
        assert not (tmp_path / "bad").exists()
