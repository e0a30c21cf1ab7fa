"""Per-patch results of a country ensemble streamed to NetCDF as replicates finish, in bounded memory.

The ``patches`` engine hands each finished chunk of replicates to a :class:`PatchSink` (through
:func:`hyosan.parallel.map_replicates`), which writes its counts over time, per patch and summed over
patches, into ``result.nc`` at the chunk's replicate offset and hands back only each replicate's last
report time. What stays in memory is therefore, per replicate, the final counts, first arrival and
fall time of every patch, plus one chunk of whole trajectories in flight: :func:`held_bytes` states
it. The file opens (:func:`hyosan.results.open_result`) in the schema of an in-memory run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from hyosan.errors import EngineError
from hyosan.places.patches import Patches
from hyosan.results import netcdf_attrs
from hyosan.streaming import close_with

#: Most values (replicate × time × patch × compartment) in one chunk in flight: 32 MB of int64.
CHUNK_VALUES = 4_000_000


def chunk_size(times: int, patches: int, compartments: int) -> int:
    """Replicates per chunk: as many as keep a chunk's trajectories under ``CHUNK_VALUES`` values, at least one."""
    return max(1, CHUNK_VALUES // max(1, times * patches * compartments))


def held_bytes(replicates: int, times: int, patches: int, compartments: int, workers: int = 1) -> int:
    """Peak bytes a streamed arm holds: per replicate the final per-patch counts (as the engine's result,
    24 bytes a value), first arrival and fall (8 each), and up to ``workers + 1`` chunks in flight."""
    kept = replicates * patches * (compartments * 24 + 16)
    chunk = min(replicates, chunk_size(times, patches, compartments))
    flight = (workers + 1) * chunk * times * patches * compartments * 8
    return kept + flight


class PatchSink:
    """Receives chunks of replicates of a ``patches`` run and writes them into ``path`` as they arrive."""

    def __init__(self, path: str | Path, patches: Patches) -> None:
        self.path = Path(path)
        self.patches = patches
        self.file: Any = None
        self.chunk = 1

    def open(self, times: np.ndarray, compartments: tuple[str, ...] | list[str], replicates: int, bound: Any = None):
        """Create the file for ``replicates`` runs; counts in the narrowest integer type that holds four
        times the whole population when the model conserves it (``bound`` given), else int64."""
        import h5netcdf

        p = self.patches
        self.times = np.asarray(times, dtype=float)
        self.compartments = list(compartments)
        self.n = replicates
        self.chunk = chunk_size(len(self.times), p.size, len(self.compartments))
        total = int(np.asarray(p.population, dtype=np.int64).sum())
        fits = [t for t in (np.int16, np.int32) if bound is not None and 4 * total <= np.iinfo(t).max]
        self.dtype = fits[0] if fits else np.int64
        coords: dict[str, Any] = {
            "replicate": ("replicate", np.arange(replicates)),
            "time": ("time", self.times, {"units": "days"}),
            "patch": ("patch", list(p.names)),
        }
        if p.lat is not None and p.lon is not None:
            coords |= {"lat": ("patch", np.asarray(p.lat, float)), "lon": ("patch", np.asarray(p.lon, float))}
        xr.Dataset(coords=coords).to_netcdf(self.path, engine="h5netcdf")
        self.file = h5netcdf.File(self.path, "a")
        opts = {"compression": "gzip", "compression_opts": 1, "shuffle": True}
        T, P = len(self.times), p.size
        for c in self.compartments:
            self.file.create_variable(c, ("replicate", "time"), self.dtype, chunks=(min(replicates, 64), T), **opts)
            var = self.file.create_variable(
                f"{c}_patch", ("replicate", "time", "patch"), self.dtype, chunks=(1, T, P), **opts
            )
            var.attrs["long_name"] = f"{c} in each patch"

    def take(self, first: int, part: list[Any]) -> list[Any]:
        """Write one finished chunk (counts over time, per patch and in total); keep the last report time."""
        if self.file is None:
            raise EngineError(f"{self.path.name}: the sink was not opened; this is a bug")
        block = np.stack([r.values for r in part])  # (replicates, time, patch, compartment)
        info = np.iinfo(self.dtype)
        if block.size and (block.max() > info.max or block.min() < info.min):
            raise EngineError(f"{self.path.name}: a count left the range of the population; this is a bug")
        rows = slice(first, first + len(part))
        for i, c in enumerate(self.compartments):
            self.file.variables[f"{c}_patch"][rows] = block[..., i].astype(self.dtype)
            self.file.variables[c][rows] = block[..., i].sum(axis=2).astype(self.dtype)
        return [r._replace(values=r.values[-1:].copy()) for r in part]

    def finish(self, ds: xr.Dataset) -> None:
        """Write the per-replicate and per-patch variables of ``ds`` (the result at its last report time),
        the compartments' attributes and the run's provenance, and close the file."""
        f = self.file
        for c in self.compartments:
            f.variables[c].attrs.update(netcdf_attrs(ds[c].attrs))
        close_with(f, ds, [n for n in ds.data_vars if "time" not in ds[n].dims])
        self.file = None

    def abort(self) -> None:
        """Close the file after a failure or an interrupt (the output folder it is in is then dropped)."""
        if self.file is not None:
            self.file.close()
            self.file = None


def first_replicate(path: str | Path) -> xr.Dataset:
    """Replicate 0 of a streamed ``result.nc``, whole (for the pictures), in the schema of the run."""
    from hyosan.results import unstacked

    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return unstacked(ds.isel(replicate=[0]).load())


def to_zarr(source: str | Path, target: str | Path, rows: int | None = None) -> Path:
    """Copy a streamed ``result.nc`` into a Zarr store ``target``, ``rows`` replicates at a time (default:
    one :func:`chunk_size`), so that memory holds one slice whatever the ensemble; chunked by replicate."""
    with xr.open_dataset(source, engine="h5netcdf") as src:
        n = src.sizes["replicate"]
        if rows is None:
            rows = chunk_size(src.sizes["time"], src.sizes.get("patch", 1), len(src.data_vars))
        per = [str(v) for v in src.variables if "replicate" in src.variables[v].dims]
        for lo in range(0, n, rows):
            part = src.isel(replicate=slice(lo, lo + rows)).load()
            for v in part.variables.values():
                v.encoding = {}
            if lo == 0:
                part.to_zarr(target, mode="w-", zarr_format=2, consolidated=True)
            else:
                part[per].drop_vars([v for v in part.coords if v not in per]).to_zarr(
                    target, append_dim="replicate", zarr_format=2, consolidated=True
                )
    return Path(target)
