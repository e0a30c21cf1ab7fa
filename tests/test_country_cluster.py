"""Country ensembles on a real Dask cluster (scheduler and two worker processes on loopback), on local
worker processes and streamed in any chunking equal the serial run, both arms paired replicate by
replicate (common random numbers); an interrupted streamed run leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hyosan.places import country, outbreak
from hyosan.results import open_result

distributed = pytest.importorskip("distributed")

# six towns in a line, the outbreak in the first; the cordon closes on a trigger, so when it closes
# (and so whether the twin without it differs) varies from replicate to replicate
LINE = """
title: a line of towns
model: alemi-szr
set: {beta: 2.0, alpha: 0.2}
places: grid:n=1x6,pop=200,spacing=3km
mobility: walk:speed=0.2km/h,radius=3.1km
moves: {Z: 1}
seed: {city: r0c0, Z: 5}
cordon: {name: seal, around: r0c0, ring: 1, when: 'Z > 20', mixing: false}
method: ssa
t_end: 30
every: 1
"""


@pytest.fixture
def line(tmp_path: Path) -> Path:
    path = tmp_path / "line.yaml"
    path.write_text(LINE)
    return path


def _same(a: Path, b: Path) -> None:
    for name in ("result.nc", "result_no_cordon.nc"):
        x, y = open_result(a / name), open_result(b / name)
        assert set(x.data_vars) == set(y.data_vars), name
        for v in x.data_vars:
            np.testing.assert_array_equal(x[v].values, y[v].values, err_msg=f"{name}: {v}")
    assert (a / "cities.csv").read_text() == (b / "cities.csv").read_text()
    sa, sb = (json.loads((p / "summary.json").read_text()) for p in (a, b))
    assert sa["outcomes"] == sb["outcomes"]


def test_streamed_country_run_equals_the_in_memory_run(line: Path, tmp_path: Path) -> None:
    c = country.load(line)
    outbreak.run_to_folder(c, tmp_path / "o", replicates=6, seed=3, workers=1, animation="none", plot=False)
    for name, cordon in (("result.nc", True), ("result_no_cordon.nc", False)):
        held = outbreak.simulate(c, cordon=cordon, seed=3, replicates=6, workers=1)
        back = open_result(tmp_path / "o" / name)
        assert back.sizes == {"replicate": 6, "time": 31, "patch": 6}
        for v in held.data_vars:
            np.testing.assert_array_equal(back[v].values, held[v].values, err_msg=f"{name}: {v}")
        # the totals over time are the per-patch counts summed, exactly
        np.testing.assert_array_equal(back["Z"].values, back["Z_patch"].values.sum(axis=2))
    assert "people_saved" in open_result(tmp_path / "o").data_vars


def test_country_on_the_cluster_equals_the_serial_run_in_any_chunking(
    scheduler: str, line: Path, tmp_path: Path, monkeypatch
) -> None:
    from hyosan.cluster import dask_executor
    from hyosan.places import sink

    c = country.load(line)
    run = {"replicates": 10, "seed": 7, "animation": "none", "plot": False}
    outbreak.run_to_folder(c, tmp_path / "serial", workers=1, **run)
    # one replicate per chunk: ten chunks spread over both workers, arriving in any order
    monkeypatch.setattr(sink, "CHUNK_VALUES", 1)
    outbreak.run_to_folder(c, tmp_path / "dask", executor=dask_executor(scheduler), **run)
    _same(tmp_path / "serial", tmp_path / "dask")
    back = open_result(tmp_path / "dask")
    twin = open_result(tmp_path / "dask" / "result_no_cordon.nc")
    # not ten copies of one run
    assert len({r.tobytes() for r in back["Z_patch"].values}) == 10
    # the twin is paired with its replicate: the same stream, so the same course until the seal, and
    # (the seal closing at a different day in each replicate) another course after it in some
    closed = back["cordon_closed_day"].values
    assert np.isfinite(closed).all() and len(set(closed)) == 10
    for k in range(10):
        before = back.time.values < closed[k]
        np.testing.assert_array_equal(back["Z_patch"].values[k, before], twin["Z_patch"].values[k, before])
    assert (back["Z_patch"].values != twin["Z_patch"].values).any()
    # and replicate k without the cordon is replicate k of a plain no-cordon run
    alone = outbreak.simulate(c, cordon=False, seed=7, replicates=10, workers=1)
    np.testing.assert_array_equal(twin["Z_patch"].values, alone["Z_patch"].values)


def test_cli_country_on_the_cluster_and_on_local_workers(scheduler: str, cli, line: Path, tmp_path: Path) -> None:
    args = ["run", str(line), "--replicates", "6", "--seed", "2", "--no-plot"]
    for name, extra in (("dask", ["--scheduler", scheduler]), ("two", ["--workers", "2"]), ("one", ["--workers", "1"])):
        res = cli(*args, *extra, "--out", str(tmp_path / name))
        assert res.returncode == 0, res.stderr
    _same(tmp_path / "one", tmp_path / "dask")
    _same(tmp_path / "one", tmp_path / "two")


def test_cli_country_with_an_unreachable_scheduler_is_one_line(cli, line: Path, tmp_path: Path) -> None:
    res = cli("run", str(line), "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "cannot reach the Dask scheduler" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_country_run_leaves_nothing(line: Path, tmp_path: Path, sig: signal.Signals) -> None:
    # a long ensemble, interrupted once result.nc is being streamed: no output, no temporary folder
    out = tmp_path / "long"
    args = ["run", str(line), "--replicates", "200000", "--t-end", "60", "--workers", "1", "--no-plot"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hyosan.cli", *args, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    partial = tmp_path / f".long.hyosan-tmp-{proc.pid}" / "result.nc"
    deadline = time.monotonic() + 120
    while not partial.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    assert proc.poll() is None and partial.exists(), proc.communicate()
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert len(err.strip().splitlines()) == 1 and "nothing was written" in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["line.yaml"]


def test_a_streamed_ensemble_too_big_for_memory_is_refused_before_it_runs(
    line: Path, tmp_path: Path, monkeypatch
) -> None:
    from hyosan import budget
    from hyosan.errors import HyosanError
    from hyosan.places import sink
    from hyosan.places.sink import held_bytes

    # what is held grows with the replicates (final counts, arrivals, falls), not with the report times
    assert held_bytes(200_000, 31, 6, 3) - held_bytes(100_000, 31, 6, 3) == 100_000 * 6 * (3 * 24 + 16)
    # and the trajectories in flight are at most workers + 1 chunks of CHUNK_VALUES values (a replicate fitting)
    for times in (31, 3100, 100_000):
        assert held_bytes(10**5, times, 6, 3, workers=2) - 10**5 * 6 * (3 * 24 + 16) <= 3 * sink.CHUNK_VALUES * 8
    monkeypatch.setattr(budget, "available_memory", lambda: 2_000_000)
    with pytest.raises(HyosanError, match=r"--replicates 100000 .* needs about .*; run fewer --replicates") as err:
        outbreak.run_to_folder(country.load(line), tmp_path / "o", replicates=100_000, plot=False)
    assert "\n" not in str(err.value) and not (tmp_path / "o").exists()


def test_format_zarr_copies_each_streamed_result_slice_by_slice(line: Path, tmp_path: Path, capsys) -> None:
    import xarray as xr

    from hyosan.cli import main
    from hyosan.places.sink import to_zarr

    out = tmp_path / "z"
    main(["run", str(line), "--replicates", "5", "--seed", "1", "--no-plot", "--format", "zarr", "--out", str(out)])
    assert {"result.zarr", "result_no_cordon.zarr"} <= {p.name for p in out.iterdir()}
    to_zarr(out / "result.nc", tmp_path / "two-at-a-time.zarr", rows=2)  # three slices appended
    for name, store in (("result.nc", out / "result.zarr"), ("result.nc", tmp_path / "two-at-a-time.zarr"),
                        ("result_no_cordon.nc", out / "result_no_cordon.zarr")):  # fmt: skip
        want, got = open_result(out / name), xr.open_zarr(store).load()
        assert set(want.variables) == set(got.variables) and want.attrs == got.attrs
        for v in want.variables:
            np.testing.assert_array_equal(want[v].values, got[v].values, err_msg=f"{store.name}: {v}")
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["run", str(line), "--format", "parquet", "--out", str(tmp_path / "no")])
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.count("\n") == 1 and "--format parquet" in err
    assert not (tmp_path / "no").exists()
