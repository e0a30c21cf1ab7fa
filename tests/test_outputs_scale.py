"""Large ensembles stream into result.nc chunk by chunk: the file holds exactly what an in-memory run
returns, timeseries.csv holds summary bands, final.csv one row per replicate."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import hyosan
from hyosan import simulate as sim
from hyosan import streaming
from hyosan.results import final_frame, open_result
from hyosan.streaming import NetcdfSink
from hyosan.viz.plot import active_end

N, T_END, EVERY = 300, 40.0, 0.5
MODEL = hyosan.load("sir").with_values(S=95, I=5)


@pytest.fixture(scope="module")
def streamed(tmp_path_factory):
    """The same ensemble run in memory and streamed (two workers, small chunks, a 120-replicate sample)."""
    out = tmp_path_factory.mktemp("scale") / "out"
    patch = pytest.MonkeyPatch()
    patch.setattr(sim, "LARGE_ROWS", 1_000)
    patch.setattr(streaming, "CHUNK_VALUES", 10_000)
    patch.setattr(streaming, "STORE_VALUES", 2_000)
    patch.setattr(streaming, "SAMPLE", 120)
    try:
        summary = sim.run_to_folder(MODEL, "ssa", out, t_end=T_END, every=EVERY, replicates=N, seed=5, workers=2)
    finally:
        patch.undo()
    memory = MODEL.run("ssa", t_end=T_END, every=EVERY, replicates=N, seed=5)
    return out, summary, memory


def test_result_nc_holds_every_replicate_exactly(streamed) -> None:
    out, _, memory = streamed
    back = open_result(out)
    for c in ("S", "I", "R"):
        np.testing.assert_array_equal(back[c].values, memory[c].values)
    assert back[c].dtype == np.int16  # a conserved population of 100 fits
    for v in ("t_final", "t_extinction", "infection_dies_out"):
        np.testing.assert_array_equal(back[v].values, memory[v].values)
    assert back.time.attrs["units"] == "days" and back.attrs["parameter:beta"] == MODEL.parameter_values["beta"]


def test_timeseries_holds_bands_and_final_one_row_per_replicate(streamed) -> None:
    out, summary, memory = streamed
    assert summary["replicates"] == N
    bands = pd.read_csv(out / "timeseries.csv")
    assert list(bands.columns) == ["time", "compartment", "mean", "q05", "q25", "q50", "q75", "q95"]
    infected = bands[bands.compartment == "I"]
    np.testing.assert_allclose(infected["mean"], memory.I.values.mean(axis=0), rtol=1e-12)
    # Quantiles come from the first SAMPLE (here 120) replicates, which are an i.i.d. sample.
    np.testing.assert_allclose(infected["q50"], np.quantile(memory.I.values[:120], 0.5, axis=0))
    final = pd.read_csv(out / "final.csv")
    pd.testing.assert_frame_equal(final, final_frame(memory), check_dtype=False)
    written = json.loads((out / "summary.json").read_text())
    assert written["streamed"] == "result.nc" and written["write_s"] >= 0 and written["compress_s"] >= 0
    assert {"engine", "seed", "elapsed_s", "events"} <= set(written)
    assert written["events"] == memory.attrs["events"]
    assert written["outcomes"]["infection_dies_out_fraction"] == pytest.approx(memory.infection_dies_out.mean())
    assert (out / "plot.png").stat().st_size > 0


def test_chunks_bound_the_memory_in_flight(tmp_path) -> None:
    sink = NetcdfSink(tmp_path / "r.nc")
    sink.open(np.arange(601.0), ["S", "Z", "R"], 100_000, bound=1000)
    assert sink.dtype == np.int16 and sink.chunk % sink.rows == 0
    assert sink.chunk * 601 * 3 <= streaming.CHUNK_VALUES
    sink.abort()
    open_ended = NetcdfSink(tmp_path / "o.nc")
    open_ended.open(np.arange(3.0), ["S"], 10, bound=None)
    assert open_ended.dtype == np.int64
    open_ended.abort()


def test_plots_end_where_things_stop_happening() -> None:
    t = np.linspace(0, 100, 1001)
    v = np.minimum(t, 10.0)
    assert active_end(t, [v]) == pytest.approx(1.2 * 10.0)  # the last change is at t = 10
    assert active_end(t, [t]) == 100.0  # still moving at the end: the whole horizon
