"""Sweeps of country scenarios (``hyosan sweep FILE --vary beta=...``): a point reproduces the run of
that value exactly, a cordon sealed at day 0 holds at every value, and on a real Dask cluster
(scheduler and two workers on loopback) the sweep equals the serial one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hyosan.errors import HyosanError
from hyosan.places import country, outbreak
from hyosan.places.sweep import sweep_country

LINE = """
title: a line of towns
model: alemi-szr
set: {{beta: 2.0, alpha: 0.2}}
places: grid:n=1x6,pop=200,spacing=3km
mobility: walk:speed=0.2km/h,radius=3.1km
moves: {{Z: 1}}
seed: {{city: r0c0, Z: 5}}
cordon: {cordon}
method: ssa
t_end: 30
every: 1
"""
TRIGGERED = "{name: seal, around: r0c0, ring: 1, when: 'Z > 20', mixing: false}"


def _load(tmp_path: Path, cordon: str = TRIGGERED):
    path = tmp_path / "line.yaml"
    path.write_text(LINE.format(cordon=cordon))
    return country.load(path), path


def test_a_sweep_point_is_the_run_of_that_value(tmp_path: Path) -> None:
    c, _ = _load(tmp_path)
    rows = sweep_country(c, "beta", [1.0, 4.0], ["breached > 0", "people_saved > 100"], replicates=12, seed=5)
    for row in rows:
        arm = dataclasses.replace(c, model=c.model.with_values(beta=row["beta"]))
        ds = outbreak.simulate(arm, cordon=True, seed=5, replicates=12, workers=1)
        base = outbreak.simulate(arm, cordon=False, seed=5, replicates=12, workers=1)
        per = outbreak.outcomes(arm, ds, base)
        assert row["P(breached > 0)"] == per["breached"].mean()
        assert row["P(people_saved > 100)"] == (per["people_saved"] > 100).mean()
        assert row["mean people_saved"] == pytest.approx(per["people_saved"].mean())
        p = row["P(breached > 0)"]
        assert row["se P(breached > 0)"] == pytest.approx(np.sqrt(p * (1 - p) / 12))


def test_a_cordon_sealed_at_day_0_holds_at_every_value(tmp_path: Path) -> None:
    c, _ = _load(tmp_path, "{around: r0c0, ring: 1, at: 0}")
    rows = sweep_country(c, "beta", [1.0, 2.0, 8.0], ["breached > 0", "outside_reached > 0", "Z > 0"], replicates=10)
    assert [r["P(breached > 0)"] for r in rows] == [0.0, 0.0, 0.0]
    assert [r["P(outside_reached > 0)"] for r in rows] == [0.0, 0.0, 0.0]
    assert all(r["mean humans_at_end"] >= 800 for r in rows)  # the four towns outside keep their 800 people


def test_bad_sweeps_are_refused_in_one_line(tmp_path: Path, capsys) -> None:
    from hyosan.cli import main

    c, path = _load(tmp_path)
    with pytest.raises(SystemExit) as done:
        main(
            [
                "sweep",
                str(path),
                "--vary",
                "beta=1",
                "--outcome",
                "Z > 0",
                "--engine",
                "ode",
                "--out",
                str(tmp_path / "o"),
            ]
        )
    err = capsys.readouterr().err
    assert done.value.code == 2 and "give ssa or tau" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()
    for args, fragment in (
        (("S", [1.0], ["Z > 0"]), "varies a parameter of alemi-szr: beta, alpha"),
        (("beta", [1.0], ["breachd > 0"]), "breachd"),
    ):
        with pytest.raises(HyosanError) as err:
            sweep_country(c, *args, replicates=2)
        assert fragment in str(err.value) and "\n" not in str(err.value)


distributed = pytest.importorskip("distributed")


def test_country_sweep_on_the_cluster_equals_the_serial_one(scheduler: str, cli, tmp_path: Path) -> None:
    _, path = _load(tmp_path)
    args = ["sweep", str(path), "--vary", "beta=1,3", "--outcome", "breached > 0", "--outcome", "people_saved > 100"]
    args += ["--replicates", "8", "--seed", "4"]
    for name, extra in (("dask", ["--scheduler", scheduler]), ("one", ["--workers", "1"])):
        res = cli(*args, *extra, "--out", str(tmp_path / name))
        assert res.returncode == 0, res.stderr
    dask, one = (pd.read_csv(tmp_path / n / "sweep.csv") for n in ("dask", "one"))
    pd.testing.assert_frame_equal(dask, one)
    assert list(one["beta"]) == [1.0, 3.0] and (one["replicates"] == 8).all()


def test_model_sweep_on_the_cluster_equals_the_serial_one(scheduler: str, cli, tmp_path: Path) -> None:
    args = ["sweep", "sir", "--vary", "beta=0.2,0.4", "--outcome", "R > 500", "--replicates", "40", "--t-end", "30"]
    for name, extra in (("dask", ["--scheduler", scheduler]), ("one", ["--workers", "1"])):
        res = cli(*args, *extra, "--out", str(tmp_path / name))
        assert res.returncode == 0, res.stderr
    dask, one = (pd.read_csv(tmp_path / n / "sweep.csv") for n in ("dask", "one"))
    pd.testing.assert_frame_equal(dask, one)
    # at day 30 about 143 (beta 0.2) and 689 (0.4) of 1,000 have recovered: "R > 500" splits them
    assert list(one["P(R > 500)"]) == [0.0, 1.0]
