"""Ensembles on a real Dask cluster (scheduler and worker processes on loopback) equal local runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import hyosan

distributed = pytest.importorskip("distributed")


def test_dask_ensemble_equals_the_local_one(scheduler: str) -> None:
    from hyosan.cluster import dask_executor

    model = hyosan.load("munz-szr")
    local = model.run(engine="ssa", replicates=64, seed=11, workers=1)
    remote = model.run(engine="ssa", replicates=64, seed=11, executor=dask_executor(scheduler))
    for c in model.compartments:
        np.testing.assert_array_equal(local[c].values, remote[c].values)
    assert len({tuple(v) for v in remote.Z.values[:, -1:].tolist()}) > 1


def test_cli_run_on_the_cluster(scheduler: str, cli, tmp_path: Path) -> None:
    out = tmp_path / "alemi"
    args = ["run", "alemi-szr", "--engine", "ssa", "--replicates", "200", "--seed", "5", "--no-plot"]
    res = cli(*args, "--scheduler", scheduler, "--out", str(out))
    assert res.returncode == 0, res.stderr
    res = cli(*args, "--workers", "1", "--out", str(tmp_path / "local"))
    assert res.returncode == 0, res.stderr
    assert (out / "final.csv").read_text() == (tmp_path / "local" / "final.csv").read_text()
    assert json.loads((out / "summary.json").read_text())["outcomes"]


def test_unreachable_scheduler_is_a_clear_error(cli, tmp_path: Path) -> None:
    res = cli("run", "sir", "--engine", "ssa", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "cannot reach the Dask scheduler" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_a_scheduler_without_workers_fails_within_the_wait() -> None:
    from hyosan.cluster import dask_executor
    from hyosan.errors import HyosanError

    empty = distributed.LocalCluster(
        n_workers=0, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0"
    )
    try:
        assert empty.scheduler_address.startswith("tcp://127.0.0.1:")
        with pytest.raises(HyosanError, match=r"no Dask worker joined .* within 1 s") as error:
            hyosan.load("sir").run(engine="ssa", replicates=4, executor=dask_executor(empty.scheduler_address, wait=1))
        assert "\n" not in str(error.value)
    finally:
        empty.close()


def test_a_streamed_ensemble_on_the_cluster_equals_the_local_one(scheduler: str, tmp_path: Path, monkeypatch) -> None:
    from hyosan import simulate as sim
    from hyosan import streaming
    from hyosan.cluster import dask_executor
    from hyosan.results import open_result

    monkeypatch.setattr(sim, "LARGE_ROWS", 100)
    monkeypatch.setattr(streaming, "CHUNK_VALUES", 5_000)
    model = hyosan.load("sir").with_values(S=60, I=3)
    sim.run_to_folder(model, "ssa", tmp_path / "o", t_end=30, every=1, replicates=96, seed=4,
                      executor=dask_executor(scheduler), plot=False)  # fmt: skip
    local = model.run(engine="ssa", t_end=30, every=1, replicates=96, seed=4, workers=1)
    back = open_result(tmp_path / "o")
    for c in ("S", "I", "R"):
        np.testing.assert_array_equal(back[c].values, local[c].values)
