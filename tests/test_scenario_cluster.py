"""Agent scenarios on a real Dask cluster (scheduler and worker processes on loopback) equal local runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm.engine import run_scenario

distributed = pytest.importorskip("distributed")

SHORT = {"time.horizon": "20min"}


def test_scenario_replicates_on_the_cluster_equal_local_ones(scheduler: str) -> None:
    from hyosan.cluster import dask_executor

    sc = load_scenario("off-limits", SHORT)
    local, runs = run_scenario(sc, seed=4, replicates=5, workers=1, frames=False)
    remote, remote_runs = run_scenario(sc, seed=4, replicates=5, frames=False, executor=dask_executor(scheduler))
    for name in local.data_vars:
        np.testing.assert_array_equal(local[name].values, remote[name].values)
    for a, b in zip(runs, remote_runs, strict=True):
        for key in a.events:
            np.testing.assert_array_equal(a.events[key], b.events[key])
    # the replicates differ from one another, so equality above is not that of five copies of one run
    assert len({r.events["t"].tobytes() for r in remote_runs}) > 1


def test_cli_scenario_on_the_cluster(scheduler: str, cli, tmp_path: Path) -> None:
    args = ["run", "off-limits", "--t-end", "20min", "--replicates", "3", "--seed", "2", "--no-plot"]
    res = cli(*args, "--scheduler", scheduler, "--out", str(tmp_path / "remote"))
    assert res.returncode == 0, res.stderr
    res = cli(*args, "--workers", "1", "--out", str(tmp_path / "local"))
    assert res.returncode == 0, res.stderr
    for name in ("final.csv", "timeseries.csv", "outcomes.csv", "events.csv"):
        assert (tmp_path / "remote" / name).read_text() == (tmp_path / "local" / name).read_text(), name


def test_cli_scenario_with_an_unreachable_scheduler_is_one_line(cli, tmp_path: Path) -> None:
    res = cli("run", "off-limits", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "cannot reach the Dask scheduler" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_scheduler_on_the_ode_engine_is_refused(cli, tmp_path: Path) -> None:
    res = cli("run", "sir", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "--scheduler" in res.stderr and "--engine ssa or tau" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
