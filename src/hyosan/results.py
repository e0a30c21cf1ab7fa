"""One result schema for every engine, and writing it to disk without half-written output.

A result is an ``xarray.Dataset`` with dimensions ``replicate`` (length 1 for a single run) and
``time`` (its unit in ``time.attrs['units']``), one variable per compartment over
``(replicate, time)``, per-replicate outcomes as variables over ``replicate`` and provenance in
``attrs``. Attributes are netCDF-safe: a mapping such as the parameters becomes typed attributes
``parameter:beta = 0.3``; :func:`attr_dict` reads them back. :func:`write_netcdf` and
:func:`open_result` round-trip a result through ``result.nc``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from hyosan.errors import HyosanError

#: Attribute mappings stored as typed ``PREFIX:NAME`` attributes.
PREFIXES = {"parameters": "parameter", "initial": "initial"}
#: The quantiles of the bands of an ensemble (plots, and timeseries.csv of a large one).
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Attribute values netCDF holds as they are.
SCALAR_KINDS = (bool, int, float, str, np.integer, np.floating, np.bool_)


def time_grid(t_end: float, every: float) -> np.ndarray:
    """Report times 0, every, 2·every, ..., t_end (t_end always included)."""
    if not (t_end > 0 and np.isfinite(t_end)):
        raise HyosanError(f"--t-end {t_end}: the horizon must be a positive number of days")
    if not (every > 0 and np.isfinite(every)):
        raise HyosanError(f"--every {every}: the report interval must be a positive number of days")
    steps = int(np.ceil(t_end / every - 1e-9))
    if steps > 10_000_000:
        raise HyosanError(f"--every {every}: {steps} report times is too many; use a larger --every")
    grid = np.minimum(np.arange(steps + 1) * every, t_end)
    grid[-1] = t_end
    return grid


def make_dataset(
    times: np.ndarray,
    values: np.ndarray,
    compartments: tuple[str, ...] | list[str],
    attrs: Mapping[str, Any],
    *,
    time_units: str = "days",
) -> xr.Dataset:
    """``values`` is (replicate, time, compartment), or (time, compartment) for one run."""
    values = np.asarray(values)
    if values.ndim == 2:
        values = values[np.newaxis]
    coords: dict[str, Any] = {
        "replicate": ("replicate", np.arange(values.shape[0])),
        "time": ("time", np.asarray(times, dtype=float), {"units": time_units}),
    }
    data = {c: (("replicate", "time"), values[..., i]) for i, c in enumerate(compartments)}
    return xr.Dataset(data, coords=coords, attrs=netcdf_attrs(attrs))


def netcdf_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes netCDF can hold: mappings of numbers become ``PREFIX:NAME`` typed attributes,
    booleans become 0/1, ``None`` is dropped and other structures become JSON text."""
    clean: dict[str, Any] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        if key in PREFIXES and isinstance(value, Mapping):
            for name, v in value.items():
                clean[f"{PREFIXES[key]}:{name}"] = _scalar(v)
        elif isinstance(value, (bool, np.bool_)):
            clean[key] = int(value)
        elif isinstance(value, SCALAR_KINDS):
            clean[key] = value
        else:
            clean[key] = json.dumps(value, default=_jsonable)
    return clean


def _scalar(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_, int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    return str(v)


def attr_dict(ds: xr.Dataset, key: str) -> dict[str, Any] | None:
    """The mapping ``key`` (``parameters`` or ``initial``) from a result's typed attributes."""
    prefix = PREFIXES[key] + ":"
    found = {k[len(prefix) :]: v for k, v in ds.attrs.items() if k.startswith(prefix)}
    if found:
        return {k: v.item() if isinstance(v, np.generic) else v for k, v in found.items()}
    if key in ds.attrs:
        value = ds.attrs[key]
        return json.loads(value) if isinstance(value, str) else dict(value)
    return None


def compartments_of(ds: xr.Dataset) -> list[str]:
    """The compartment (or agent state) variables: those over ``replicate`` and ``time``."""
    return [str(v) for v in ds.data_vars if ds.variables[v].dims == ("replicate", "time")]


def outcome_vars(ds: xr.Dataset) -> list[str]:
    """Per-replicate variables (over ``replicate`` only): outcomes, absorption and extinction times."""
    return [str(v) for v in ds.data_vars if ds.variables[v].dims == ("replicate",)]


def timeseries_frame(ds: xr.Dataset):
    """Tidy (long) table: one row per replicate, time and compartment, with its ``count``."""
    comps = compartments_of(ds)
    long = ds[comps].to_dataarray("compartment", name="count").transpose("replicate", "time", "compartment")
    return long.to_dataframe().reset_index()[["replicate", "time", "compartment", "count"]]


def wide_frame(ds: xr.Dataset):
    """``timeseries.csv``: ``replicate`` (ensembles), ``time``, one column per compartment."""
    comps = compartments_of(ds)
    single = ds.sizes["replicate"] == 1 and "replicates" not in ds.attrs
    part = ds[comps].isel(replicate=0) if single else ds[comps]
    df = part.to_dataframe().reset_index()
    return df[(["replicate"] if "replicate" in part.dims else []) + ["time", *comps]]


def final_frame(ds: xr.Dataset):
    """One row per replicate: its final state (``replicate``, ``time``, compartments)."""
    import pandas as pd

    comps = compartments_of(ds)
    last = ds.isel(time=-1)
    if "t_final" in ds:
        tf = ds["t_final"].values
    else:
        tf = np.full(ds.sizes["replicate"], float(last.time))
    frame = {"replicate": ds.replicate.values, "time": tf}
    frame |= {c: last.variables[c].values for c in comps}
    return pd.DataFrame(frame)


#: Above this many compartments result.nc holds them as one variable ``count`` over (replicate, time,
#: compartment): netCDF-4 attaches every variable to its dimensions at a cost that grows with the
#: number of variables (25 s for 5,000 one-row compartments). :func:`open_result` splits it again.
STACK_ABOVE = 64


def stacked(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` as written to disk: many compartments as one ``count`` variable, else as it is."""
    comps = compartments_of(ds)
    if len(comps) <= STACK_ABOVE:
        return ds
    count = np.stack([ds.variables[c].values for c in comps], axis=-1)
    meaning = [str(ds.variables[c].attrs.get("long_name", "")) for c in comps]
    rest = {str(v): ds.variables[v] for v in ds.data_vars if v not in set(comps)}
    data = {"count": (("replicate", "time", "compartment"), count), "compartment_meaning": ("compartment", meaning)}
    coords = {**{str(k): ds.variables[k] for k in ds.coords}, "compartment": comps}
    return xr.Dataset(data | rest, coords=coords, attrs=dict(ds.attrs) | {"layout": "stacked"})


def unstacked(ds: xr.Dataset) -> xr.Dataset:
    """A result read from disk in the schema the run returned (see :func:`stacked`)."""
    if ds.attrs.get("layout") != "stacked":
        return ds
    comps = [str(c) for c in ds.compartment.values]
    count, meaning = ds["count"].values, ds["compartment_meaning"].values
    data = {
        c: xr.Variable(("replicate", "time"), count[..., i], {"long_name": str(m)} if m else {})
        for i, (c, m) in enumerate(zip(comps, meaning, strict=True))
    }
    data |= {str(v): ds.variables[v] for v in ds.data_vars if v not in ("count", "compartment_meaning")}
    coords = {str(k): ds.variables[k] for k in ds.coords if k != "compartment"}
    return xr.Dataset(data, coords=coords, attrs={k: v for k, v in ds.attrs.items() if k != "layout"})


def write_netcdf(ds: xr.Dataset, path: str | Path) -> None:
    """The whole result as NetCDF-4 (h5netcdf), compressed: counts repeat a lot."""
    ds = stacked(ds)
    encoding = {v: {"zlib": True, "complevel": 1, "shuffle": True} for v in ds.data_vars if ds.variables[v].ndim >= 1}
    encoding.pop("compartment_meaning", None)
    ds = ds[[*ds.coords, *ds.data_vars]]  # coordinates first: HDF5 then attaches each variable's scales once
    ds.to_netcdf(path, engine="h5netcdf", encoding=encoding, invalid_netcdf=False)


FORMATS = {"zarr": ("result.zarr", "zarr"), "parquet": ("timeseries.parquet", "pyarrow")}


def format_writers(ds: xr.Dataset, formats: tuple[str, ...] | list[str] = ()) -> dict[str, Callable[[Path], None]]:
    """Writers of the extra formats asked for: ``zarr`` (the whole Dataset) and ``parquet`` (the
    tidy table of :func:`timeseries_frame`); both need ``pip install 'hyosan[formats]'``."""
    import importlib.util

    writers: dict[str, Callable[[Path], None]] = {}
    for name in formats:
        if name not in FORMATS:
            raise HyosanError(f"format {name!r}: choose from {', '.join(FORMATS)} (result.nc is always written)")
        file, package = FORMATS[name]
        if importlib.util.find_spec(package) is None:
            raise HyosanError(f"format {name}: needs the {package} package; pip install 'hyosan[formats]'")
        if name == "zarr":
            writers[file] = lambda p: ds.to_zarr(p, mode="w-", consolidated=True, zarr_format=2)
        else:
            writers[file] = lambda p: timeseries_frame(ds).to_parquet(p, index=False)
    return writers


def open_result(path: str | Path) -> xr.Dataset:
    """A result written as ``result.nc``, loaded into memory, in the schema the run returned."""
    path = Path(path)
    if path.is_dir():
        path = path / "result.nc"
    if not path.is_file():
        raise HyosanError(f"open_result: {path} is not a file; give a result.nc or the folder holding one")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return unstacked(ds.load())
    except (OSError, ValueError) as exc:
        raise HyosanError(f"open_result: {path} is not a readable result ({exc}); give a hyosan result.nc") from None


def write_outputs(out: str | Path, writers: Mapping[str, Callable[[Path], None]]) -> Path:
    """Write every file beside ``out``, then replace ``out`` with them as a whole.

    If any writer fails, the disk fills or the user interrupts, ``out`` is left as it was and no
    half-written file remains; see :mod:`hyosan.outputs`.
    """
    from hyosan.outputs import write_folder

    return write_folder(out, writers)


def summary_json(path: Path, summary: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(summary, indent=2, default=_jsonable) + "\n")


def _jsonable(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
