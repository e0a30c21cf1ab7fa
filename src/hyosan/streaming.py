"""Large ensembles streamed to ``result.nc`` chunk by chunk as replicates finish, in bounded memory.

The engine hands every finished chunk of replicates to a :class:`NetcdfSink` (see
:func:`hyosan.parallel.map_replicates`), which writes its trajectories into compressed NetCDF-4
variables at their replicate offset and keeps only what the small outputs need: each replicate's
final state, the running sum for the mean band and the first ``SAMPLE`` replicates for the quantile
bands. What the run returns is the result at its last report time; the file holds everything and
opens (:func:`hyosan.results.open_result`) in the same schema as an in-memory result.
"""

from __future__ import annotations

import time as _time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from hyosan.errors import EngineError
from hyosan.results import QUANTILES, netcdf_attrs

#: Replicates kept for the quantile bands. Replicates are independent and identically distributed,
#: so the first SAMPLE are a random sample; a quantile's rank is then off by about
#: sqrt(q(1-q)/SAMPLE), at most 0.5 percentage points.
SAMPLE = 10_000
#: Most values (replicate × time × compartment) in one chunk in flight: 16 MB of int64.
CHUNK_VALUES = 2_000_000
#: Values per compartment in one compressed NetCDF chunk (256 KB of int64).
STORE_VALUES = 1 << 15


@dataclass
class Packed:
    """A finished chunk as a worker hands it over: per compartment its NetCDF chunks, already
    compressed; the sum of the counts over its replicates; the raw counts (compartment, replicate,
    time) only if it holds replicates of the quantile sample; the replicates, final state only."""

    stored: list[list[bytes]]
    total: np.ndarray
    block: np.ndarray | None
    rest: list[Any]
    pack_s: float = 0.0

    def __len__(self) -> int:
        return len(self.rest)


@dataclass(frozen=True)
class PackedTask:
    """Runs ``task`` on a chunk in the worker and packs its result (:class:`Packed`): the workers, not
    the writing process, shuffle and deflate the counts, exactly as HDF5's filters would."""

    task: Any
    dtype: Any
    rows: int
    name: str

    def __call__(self, chunk: list[tuple[int, np.random.SeedSequence]]) -> Packed:
        reps = self.task(chunk)
        begun = _time.perf_counter()
        block = np.stack([r.values for r in reps])
        info = np.iinfo(self.dtype)
        if block.max(initial=0) > info.max or block.min(initial=0) < info.min:
            raise EngineError(f"{self.name}: a count left the range of the conserved population; this is a bug")
        narrow = np.empty((block.shape[2], *block.shape[:2]), dtype=self.dtype)
        for i in range(block.shape[2]):
            narrow[i] = block[:, :, i]
        stored = [[deflate(narrow[i, lo : lo + self.rows], self.rows) for lo in range(0, len(reps), self.rows)]
                  for i in range(len(narrow))]  # fmt: skip
        rest = [r._replace(values=r.values[-1:].copy()) for r in reps]
        sample = narrow if chunk[0][0] < SAMPLE else None
        total = block.sum(axis=0, dtype=np.float64)
        return Packed(stored, total, sample, rest, _time.perf_counter() - begun)


def deflate(rows: np.ndarray, height: int) -> bytes:
    """One HDF5 chunk of ``height`` rows (an edge chunk is padded with zeros) through the shuffle and
    deflate filters: bytes grouped by significance, then zlib at level 1."""
    if len(rows) < height:
        rows = np.concatenate([rows, np.zeros((height - len(rows), rows.shape[1]), dtype=rows.dtype)])
    shuffled = np.ascontiguousarray(rows).view(np.uint8).reshape(-1, rows.dtype.itemsize).T
    return zlib.compress(shuffled.tobytes(), 1)


class NetcdfSink:
    """Receives chunks of replicates and writes them into ``path`` as they arrive."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.write_s = 0.0
        self.pack_s = 0.0
        self.file: Any = None

    def open(
        self, times: np.ndarray, compartments: tuple[str, ...] | list[str], replicates: int, bound: int | None = None
    ) -> None:
        """Create the file for ``replicates`` runs; counts are stored in the narrowest integer type that
        holds ``bound`` (a conserved population), else as int64."""
        import h5netcdf

        begun = _time.perf_counter()
        self.times = np.asarray(times, dtype=float)
        self.compartments = list(compartments)
        self.n = replicates
        self.rows = min(replicates, max(1, STORE_VALUES // len(self.times)))
        per = self.rows * len(self.times) * len(self.compartments)
        self.chunk = self.rows * max(1, CHUNK_VALUES // per)
        self.total = np.zeros((len(self.times), len(self.compartments)))
        self.dtype = next((t for t in (np.int16, np.int32) if bound is not None and bound <= np.iinfo(t).max), np.int64)
        self.sample = np.zeros((len(self.compartments), min(SAMPLE, replicates), len(self.times)), dtype=self.dtype)
        self.file = h5netcdf.File(self.path, "w")
        self.file.dimensions = {"replicate": replicates, "time": len(self.times)}
        for c in self.compartments:
            self.file.create_variable(
                c,
                ("replicate", "time"),
                self.dtype,
                chunks=(self.rows, len(self.times)),
                compression="gzip",
                compression_opts=1,
                shuffle=True,
            )
        self.write_s += _time.perf_counter() - begun

    def wrap(self, task: Any) -> PackedTask:
        """The engine's chunk task, packing its results for :meth:`take`; chunks of ``self.chunk``
        replicates, a multiple of the rows of a stored chunk."""
        return PackedTask(task, self.dtype, self.rows, self.path.name)

    def take(self, first: int, part: Packed) -> list[Any]:
        """Write one finished chunk (raw, as the worker compressed it); keep the final states only."""
        begun = _time.perf_counter()
        for c, pieces in zip(self.compartments, part.stored, strict=True):
            target = self.file.variables[c]._h5ds.id
            for j, data in enumerate(pieces):
                target.write_direct_chunk((first + j * self.rows, 0), data)
        self.total += part.total
        self.pack_s += part.pack_s
        if part.block is not None:
            keep = min(first + len(part), self.sample.shape[1]) - first
            self.sample[:, first : first + keep] = part.block[:, :keep]
        self.write_s += _time.perf_counter() - begun
        return part.rest

    def finish(self, ds: xr.Dataset) -> xr.Dataset:
        """Write coordinates, per-replicate variables and attributes of ``ds`` (the result at its last
        time) and close the file; the summary bands over time."""
        begun = _time.perf_counter()
        f = self.file
        f.create_variable("time", ("time",), float, data=self.times).attrs["units"] = ds.time.attrs.get("units", "days")
        f.create_variable("replicate", ("replicate",), np.int64, data=np.arange(self.n))
        for c in self.compartments:
            f.variables[c].attrs.update(netcdf_attrs(ds[c].attrs))
        close_with(f, ds, [n for n in ds.data_vars if n not in self.compartments])
        self.file = None
        self.write_s += _time.perf_counter() - begun
        return self.bands(ds)

    def bands(self, ds: xr.Dataset) -> xr.Dataset:
        """Mean over every replicate and quantiles over the first ``SAMPLE``, at every report time."""
        data = {
            c: (("quantile", "time"), np.quantile(self.sample[i], QUANTILES, axis=0))
            for i, c in enumerate(self.compartments)
        }
        data |= {f"{c}_mean": ("time", self.total[:, i] / self.n) for i, c in enumerate(self.compartments)}
        out = xr.Dataset(
            data,
            coords={"quantile": list(QUANTILES), "time": ("time", self.times, dict(ds.time.attrs))},
            attrs=dict(ds.attrs),
        )
        for c in self.compartments:
            out[c].attrs = dict(ds[c].attrs)
        return out

    def abort(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def close_with(f: Any, ds: xr.Dataset, names: list[Any]) -> None:
    """Write the variables ``names`` of ``ds`` whole (booleans as int8 marked ``dtype: bool``, dimensions
    created as needed) and its attributes into the open h5netcdf file ``f``, then close it."""
    for name in names:
        var = ds[name]
        for dim in var.dims:
            if dim not in f.dimensions:
                f.dimensions[dim] = ds.sizes[dim]
        data, attrs = var.values, netcdf_attrs(var.attrs)
        if data.dtype == bool:
            data, attrs = data.astype(np.int8), attrs | {"dtype": "bool"}
        f.create_variable(str(name), var.dims, data.dtype, data=data).attrs.update(attrs)
    f.attrs.update(netcdf_attrs(ds.attrs))
    f.close()


def bands_frame(bands: xr.Dataset):
    """``timeseries.csv`` of a large ensemble: per time and compartment, the mean and the quantiles."""
    import pandas as pd

    comps = [str(v) for v in bands.data_vars if "quantile" in bands[v].dims]
    frames = []
    for c in comps:
        frame = {"time": bands.time.values, "compartment": c, "mean": bands[f"{c}_mean"].values}
        for q, row in zip(QUANTILES, bands[c].values, strict=True):
            frame[f"q{round(q * 100):02d}"] = row
        frames.append(pd.DataFrame(frame))
    return pd.concat(frames, ignore_index=True)
