"""Ensembles: per-replicate streams, worker-count independence, outcome statistics, and the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from tests.test_ssa import alemi_humans_win, sir

from hyosan import parallel as ensemble
from hyosan.compartmental.io import load
from hyosan.engines import ssa
from hyosan.outcomes import outcomes
from hyosan.results import time_grid


def _first_draw(chunk):
    return [(i, float(ensemble.generator(seq).random())) for i, seq in chunk]


def test_streams_are_spawned_children_in_order() -> None:
    root, seeds = ensemble.replicate_seeds(42, 5)
    assert root == 42
    expected = np.random.SeedSequence(42).spawn(5)
    assert [s.spawn_key for s in seeds] == [s.spawn_key for s in expected]
    draws = [float(np.random.Generator(np.random.PCG64(s)).random()) for s in expected]
    for workers in (1, 2, 3):
        got = ensemble.map_replicates(_first_draw, seeds, workers=workers)
        assert got == list(enumerate(draws))


def test_custom_executor_results_back_in_order() -> None:
    def backwards(task, chunks):
        for number in reversed(range(len(chunks))):
            yield number, task(chunks[number])

    _, seeds = ensemble.replicate_seeds(1, 23)
    got = ensemble.map_replicates(_first_draw, seeds, workers=4, executor=backwards)
    assert [i for i, _ in got] == list(range(23))
    assert got == ensemble.map_replicates(_first_draw, seeds, workers=1)


def test_same_seed_same_result_whatever_the_workers() -> None:
    model, times = sir(2000, 5), time_grid(150, 1)
    a = ssa.run(model, times, seed=7, replicates=12, workers=1)
    b = ssa.run(model, times, seed=7, replicates=12, workers=2)
    c = ssa.run(model, times, seed=8, replicates=12, workers=2)
    for var in ("S", "I", "R", "t_final"):
        assert np.array_equal(a[var].values, b[var].values)
    assert not np.array_equal(a["S"].values, c["S"].values)
    assert a.attrs["events"] == b.attrs["events"] and b.attrs["workers"] == 2
    one = ssa.run(model, times, seed=7, replicates=1, workers=1)
    assert one.sizes["replicate"] == 1


def test_outcomes_on_known_endings() -> None:
    model = load("alemi-szr")
    final = np.array([[9, 0, 1], [0, 6, 4], [8, 0, 2], [4, 2, 4]])
    out = outcomes(model, final, np.array([1.0, np.nan, 2.0, np.nan]))
    assert out["infection_dies_out_fraction"] == 0.5
    assert out["humans_win_fraction"] == 0.5
    assert out["humans_win_se"] == pytest.approx(math.sqrt(0.25 / 4))
    assert out["humans_wiped_out_fraction"] == 0.25
    assert out["extinction_time_mean"] == pytest.approx(1.5)
    assert out["final_mean"] == {"S": 5.25, "Z": 2.0, "R": 2.75}


def test_cli_alemi_reports_how_often_humans_win(cli, tmp_path) -> None:
    reps = 400
    res = cli(
        "run",
        "alemi-szr",
        "--engine",
        "ssa",
        "--replicates",
        str(reps),
        "--t-end",
        "100000",
        "--set",
        "S=60",
        "--workers",
        "2",
        "--out",
        str(tmp_path / "a"),
        "--no-plot",
    )
    assert res.returncode == 0, res.stderr
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    win, se = summary["outcomes"]["humans_win_fraction"], summary["outcomes"]["humans_win_se"]
    exact = alemi_humans_win(60, 1, 0.5)
    assert abs(win - exact) <= 4.5 * math.sqrt(exact * (1 - exact) / reps) and se > 0
    assert summary["replicates"] == reps and summary["events"] > 0
    assert set(summary["final_mean"]) == {"S", "Z", "R"}
    final = pd.read_csv(tmp_path / "a" / "final.csv")
    assert list(final.columns) == ["replicate", "time", "S", "Z", "R"] and len(final) == reps
    assert (final["time"] < 100000).all()
    assert "humans_win_fraction" in res.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--replicates", "0"], "--replicates 0"),
        (["--set", "S=998.5"], "initial.S"),
        (["--seed", "-3"], "--seed -3"),
    ],
)
def test_cli_bad_input_one_line_exit_2(cli, tmp_path, args, needle) -> None:
    res = cli("run", "alemi-szr", "--engine", "ssa", "--out", str(tmp_path / "x"), *args)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in res.stderr
    assert not (tmp_path / "x").exists()


def test_worker_pool_kills_its_workers_when_interrupted() -> None:
    import time

    with pytest.raises(KeyboardInterrupt), ensemble.worker_pool(2) as pool:
        future = pool.submit(time.sleep, 600)
        workers = list(pool._processes.values())
        while not future.running():
            time.sleep(0.01)
        raise KeyboardInterrupt
    assert workers and not any(p.is_alive() for p in workers)
