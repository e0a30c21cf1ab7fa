"""One result schema for every engine, and writing it to disk without half-written output.

A result is an ``xarray.Dataset``: dimension ``time`` (days) and, for ensembles, ``replicate``;
one variable per compartment; provenance in ``attrs``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from hyosan.errors import HyosanError


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
    ensemble: bool = False,
) -> xr.Dataset:
    """``values`` is (time, compartment) or, with ``ensemble``, (replicate, time, compartment)."""
    dims = ("replicate", "time") if ensemble else ("time",)
    coords: dict[str, Any] = {"time": ("time", np.asarray(times, dtype=float), {"units": "days"})}
    if ensemble:
        coords["replicate"] = np.arange(values.shape[0])
    data = {c: (dims, values[..., i]) for i, c in enumerate(compartments)}
    clean = {k: (json.dumps(v) if isinstance(v, (dict, list, tuple)) else v) for k, v in attrs.items()}
    return xr.Dataset(data, coords=coords, attrs=clean)


def compartments_of(ds: xr.Dataset) -> list[str]:
    return [str(v) for v in ds.data_vars if "time" in ds[v].dims]


def timeseries_frame(ds: xr.Dataset):
    """Tidy table: ``replicate`` (if any), ``time``, one column per compartment."""
    df = ds.to_dataframe().reset_index()
    cols = (["replicate"] if "replicate" in ds.dims else []) + ["time"] + compartments_of(ds)
    return df[cols]


def final_frame(ds: xr.Dataset):
    """One row per replicate: its final state (``replicate``, ``time``, compartments)."""
    import pandas as pd

    comps = compartments_of(ds)
    last = ds.isel(time=-1)
    if "replicate" in ds.dims:
        if "t_final" in ds:
            tf = ds["t_final"].values
        else:
            tf = np.full(ds.sizes["replicate"], float(last.time))
        frame = {"replicate": ds.replicate.values, "time": tf}
        frame |= {c: last[c].values for c in comps}
    else:
        frame = {"replicate": [0], "time": [float(last.time)]} | {c: [float(last[c])] for c in comps}
    return pd.DataFrame(frame)


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
