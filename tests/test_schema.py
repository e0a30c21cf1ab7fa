"""One result schema for every engine: replicate dimension, time units, outcomes as variables,
typed parameters, and result.nc that reads back as the same Dataset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import hyosan
from hyosan.errors import HyosanError
from hyosan.results import attr_dict, compartments_of, open_result, timeseries_frame, wide_frame

RUNS = [("ode", {}), ("ssa", {"replicates": 4})]


@pytest.fixture(scope="module", params=RUNS, ids=[r[0] for r in RUNS])
def result(request) -> xr.Dataset:
    engine, options = request.param
    return hyosan.load("sir").with_values(beta=0.5, S=90, I=5).run(engine, t_end=20, every=2, seed=7, **options)


def test_every_engine_has_a_replicate_dimension_and_time_units(result: xr.Dataset) -> None:
    n = 4 if result.attrs["engine"] == "ssa" else 1
    assert result.sizes["replicate"] == n and result.replicate.values.tolist() == list(range(n))
    assert result.time.attrs["units"] == "days"
    assert compartments_of(result) == ["S", "I", "R"]
    assert all(result[c].dims == ("replicate", "time") for c in ("S", "I", "R"))


def test_parameters_and_initial_state_are_typed_attributes(result: xr.Dataset) -> None:
    assert result.attrs["parameter:beta"] == 0.5 and isinstance(result.attrs["parameter:gamma"], float)
    assert result.attrs["initial:S"] == 90.0
    assert attr_dict(result, "parameters") == {"beta": 0.5, "gamma": 0.1}
    assert not [k for k, v in result.attrs.items() if isinstance(v, (dict, list))]


def test_stochastic_outcomes_are_variables_over_replicates() -> None:
    ds = hyosan.load("alemi-szr").with_values(S=30, Z=1).run("ssa", t_end=200, every=10, replicates=40, seed=2)
    for name in ("infection_dies_out", "humans_wiped_out", "humans_win"):
        assert ds[name].dims == ("replicate",) and ds[name].dtype == bool
    z, s = ds.Z.values[:, -1], ds.S.values[:, -1]
    np.testing.assert_array_equal(ds.infection_dies_out.values, z == 0)
    np.testing.assert_array_equal(ds.humans_win.values, (z == 0) & (s > 0))
    # With one zombie among 30 humans and alpha = 0.5 both endings occur under this seed.
    assert 0 < ds.humans_win.sum() < 40
    assert "outcomes" not in ds.attrs


def test_result_nc_reads_back_as_the_same_dataset(tmp_path, result: xr.Dataset) -> None:
    hyosan.save(result, str(tmp_path / "out"))
    back = open_result(tmp_path / "out")
    xr.testing.assert_identical(back.drop_attrs(), result.drop_attrs())
    assert back.attrs.keys() == result.attrs.keys()
    for key, value in result.attrs.items():
        assert back.attrs[key] == pytest.approx(value) if isinstance(value, float) else back.attrs[key] == value
    assert hyosan.open_result(tmp_path / "out" / "result.nc").sizes == result.sizes


def test_open_result_refuses_what_is_not_a_result(tmp_path) -> None:
    with pytest.raises(HyosanError, match="not a file"):
        open_result(tmp_path / "missing.nc")
    (tmp_path / "junk.nc").write_text("not netcdf")
    with pytest.raises(HyosanError, match="not a readable result") as err:
        open_result(tmp_path / "junk.nc")
    assert "\n" not in str(err.value)


def test_timeseries_frame_is_long_and_tidy(result: xr.Dataset) -> None:
    frame = timeseries_frame(result)
    assert list(frame.columns) == ["replicate", "time", "compartment", "count"]
    assert len(frame) == result.sizes["replicate"] * result.sizes["time"] * 3
    wide = frame.pivot_table(index=["replicate", "time"], columns="compartment", values="count")
    np.testing.assert_array_equal(wide["I"].to_numpy(), result.I.values.ravel())


def test_csv_columns_are_kept(tmp_path, result: xr.Dataset) -> None:
    expected = ["time", "S", "I", "R"] if result.attrs["engine"] == "ode" else ["replicate", "time", "S", "I", "R"]
    assert list(wide_frame(result).columns) == expected
    hyosan.save(result, str(tmp_path / "o"))
    assert list(pd.read_csv(tmp_path / "o" / "timeseries.csv").columns) == expected
    assert list(pd.read_csv(tmp_path / "o" / "final.csv").columns) == ["replicate", "time", "S", "I", "R"]


def test_extra_formats_hold_the_same_result(tmp_path, result: xr.Dataset) -> None:
    pytest.importorskip("zarr")
    pytest.importorskip("pyarrow")
    from hyosan.simulate import save

    save(result, out=tmp_path / "f", formats=("zarr", "parquet"), plot=False)
    xr.testing.assert_equal(xr.open_zarr(tmp_path / "f" / "result.zarr").load(), result)
    table = pd.read_parquet(tmp_path / "f" / "timeseries.parquet")
    pd.testing.assert_frame_equal(table, timeseries_frame(result), check_dtype=False)


def test_a_format_without_its_package_is_refused_in_one_line(tmp_path, monkeypatch, result: xr.Dataset) -> None:
    import importlib.util

    from hyosan.simulate import save

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "zarr" else real(name, *a))
    with pytest.raises(HyosanError, match=r"pip install 'hyosan\[formats\]'") as err:
        save(result, out=tmp_path / "z", formats=("zarr",))
    assert "\n" not in str(err.value) and "--" not in str(err.value)
    assert not (tmp_path / "z").exists()
    with pytest.raises(HyosanError, match="choose from zarr, parquet"):
        save(result, out=tmp_path / "z", formats=("csv",))


def test_many_compartments_are_stored_stacked_and_read_back_split(tmp_path, monkeypatch, result: xr.Dataset) -> None:
    from hyosan import results

    monkeypatch.setattr(results, "STACK_ABOVE", 2)
    result = result.copy()
    result["S"].attrs["long_name"] = "susceptible"
    results.write_netcdf(result, tmp_path / "r.nc")
    with xr.open_dataset(tmp_path / "r.nc", engine="h5netcdf") as raw:
        assert raw["count"].dims == ("replicate", "time", "compartment") and raw.attrs["layout"] == "stacked"
    back = open_result(tmp_path / "r.nc")
    assert list(back.data_vars) == list(result.data_vars) and back.attrs.keys() == result.attrs.keys()
    xr.testing.assert_identical(back.drop_attrs(), result.drop_attrs())
