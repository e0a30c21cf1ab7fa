"""Running a model on an engine and saving what came out: the layer under the CLI.

A result is self-describing: what was run (model name and digest, parameters, initial state,
engine, seed) is read from its ``attrs``, never from a model passed alongside it.
"""

from __future__ import annotations

import json
import time as _time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from hyosan import engines
from hyosan.budget import require_memory
from hyosan.compartmental.model import Model
from hyosan.engines.events import needed_support
from hyosan.errors import EngineError, HyosanError
from hyosan.outcomes import statistics
from hyosan.results import (
    attr_dict,
    compartments_of,
    final_frame,
    format_writers,
    summary_json,
    time_grid,
    wide_frame,
    write_netcdf,
    write_outputs,
)

MAX_REPLICATES = 10_000_000
#: Above this many rows of the per-replicate table (replicates × report times) a run on the
#: command line streams its replicates into result.nc and timeseries.csv holds summary bands.
LARGE_ROWS = 1_000_000
STREAMED = ("ssa", "tau")
#: Peak bytes per reported value (replicate × time × compartment) of a run and the saving of it:
#: 26 measured (sir, ssa, 2,000 × 3,201 × 3, max RSS after save), rounded up for pool transfers.
BYTES_PER_VALUE = 32
#: Bytes per value of the replicates a streaming sink keeps for the quantile bands (int64 at most,
#: and the float copy the quantiles are computed from).
SAMPLE_BYTES = 16


def _sampled(sink: Any, replicates: int) -> int:
    """Replicates whose whole trajectories a streaming sink keeps in memory (none without a sink)."""
    if sink is None:
        return 0
    from hyosan.streaming import SAMPLE

    return min(SAMPLE, replicates)


def simulate(
    model: Model,
    engine: str = "ode",
    *,
    t_end: float | str | None = None,
    every: float | str | None = None,
    seed: int | None = 0,
    replicates: int = 1,
    workers: int | None = None,
    progress: bool = False,
    **options: Any,
) -> xr.Dataset:
    """Run ``model`` on ``engine`` from t = 0 to ``t_end`` days, reporting every ``every`` days
    (bare numbers are days; ``"12h"``, ``"2w"`` carry their unit)."""
    t_end, every = horizon(model, t_end, every)
    if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
        raise HyosanError(f"--seed {seed}: a seed is a whole number >= 0")
    if not isinstance(replicates, (int, np.integer)) or not 1 <= replicates <= MAX_REPLICATES:
        raise HyosanError(f"--replicates {replicates}: give a whole number from 1 to {MAX_REPLICATES:,}")
    if workers is not None and workers < 1:
        raise HyosanError(f"--workers {workers}: give at least 1 worker")
    engines.check_runs(engine, "model", model.name)
    run = engines.get(engine)
    missing = needed_support(model) - engines.interventions_supported(engine)
    if missing:
        kinds = " and ".join(sorted(f"{m} interventions" for m in missing))
        fix = "--engine network with --graph" if "graph" in missing else "ode"
        raise EngineError(f"--engine {engine}: {model.name} has {kinds}, which this engine does not apply; use {fix}")
    times = time_grid(t_end, every)
    sink = options.get("sink")
    kept = len(times) if sink is None else 1
    if sink is not None and engine not in (*STREAMED, "patches"):
        raise EngineError(f"{engine}: only the {' and '.join(STREAMED)} engines stream their replicates to disk")
    require_memory(
        (replicates * kept * BYTES_PER_VALUE + _sampled(sink, replicates) * len(times) * SAMPLE_BYTES)
        * len(model.compartments),
        f"--replicates {replicates} × {len(times):,} report times × {len(model.compartments)} compartments",
        "use a larger --every, a shorter --t-end or fewer --replicates",
    )
    if sink is not None:
        bound = int(sum(model.initial)) if model.conserves_population else None
        sink.open(times, model.compartments, replicates, bound)
    ds = run(model, times, seed=seed, replicates=replicates, workers=workers, progress=progress, **options)
    for c, meaning in zip(model.compartments, model.compartment_meaning, strict=False):
        if meaning and c in ds:
            ds.variables[c].attrs["long_name"] = meaning
    return ds


def summarize(ds: xr.Dataset, model: Model | None = None) -> dict[str, Any]:
    """What ``summary.json`` holds: provenance, parameters, timing and outcome statistics.

    Everything comes from the result; ``model``, if given, must have the result's compartments.
    """
    if model is not None:
        check_matches(ds, model)
    attrs = dict(ds.attrs)
    summary: dict[str, Any] = {
        "model": attrs.get("model", model.name if model is not None else None),
        "engine": attrs.get("engine"),
        "seed": attrs.get("seed"),
        "hyosan_version": attrs.get("hyosan_version"),
        "model_digest": attrs.get("model_digest"),
    }
    for key in ("parameters", "initial"):
        found = attr_dict(ds, key)
        if found is not None:
            summary[key] = found
    summary |= {"t_end": float(ds.time[-1]), "elapsed_s": attrs.get("elapsed_s")}
    for key in ("events", "replicates", "workers"):
        if key in attrs:
            summary[key] = attrs[key]
    if "replicates" in attrs:
        summary["outcomes"] = statistics(ds)
    if "interventions" in attrs:
        summary["interventions"] = _decoded(attrs["interventions"])
    final = ds.isel(time=-1)
    comps = compartments_of(ds)
    key = "final_mean" if "replicates" in attrs else "final"
    summary[key] = {c: float(final.variables[c].values.mean()) for c in comps}
    return summary


def check_matches(ds: xr.Dataset, model: Model) -> None:
    """Refuse to describe a result with a model of other compartments."""
    have = compartments_of(ds)
    if have != list(model.compartments):
        raise HyosanError(
            f"save: the result has compartments {', '.join(have)} but model '{model.name}' has "
            f"{', '.join(model.compartments)}; pass the model the result was run from, or none"
        )


def save(
    ds: xr.Dataset,
    model: Model | str | Path | None = None,
    out: str | Path | None = None,
    plot: bool = True,
    extra: Mapping[str, Callable[[Path], None]] | None = None,
    formats: tuple[str, ...] | list[str] = (),
) -> Path:
    """Write timeseries.csv, final.csv, summary.json, result.nc and plot.png into ``out`` all at once.

    ``save(result, out)`` works too: the model is optional, as the result describes itself.
    ``formats`` adds ``zarr`` (result.zarr) and/or ``parquet`` (timeseries.parquet, the tidy table).
    """
    from hyosan.viz.plot import plot as draw

    if out is None and isinstance(model, (str, Path)):
        model, out = None, model
    if out is None:
        raise HyosanError("save: name the folder to write, e.g. save(result, out='results')")
    if isinstance(model, (str, Path)):
        raise HyosanError(f"save: model {str(model)!r} is not a Model; pass the Model object, or none")
    summary = summarize(ds, model)
    more = format_writers(ds, formats)
    writers: dict[str, Callable[[Path], None]] = {
        "timeseries.csv": lambda p: wide_frame(ds).to_csv(p, index=False),
        "final.csv": lambda p: final_frame(ds).to_csv(p, index=False),
        "summary.json": lambda p: summary_json(p, summary),
        "result.nc": lambda p: write_netcdf(ds, p),
    }
    if plot:
        writers["plot.png"] = lambda p: draw(ds, p)
    if "node_event_node" in ds:
        writers.update(_node_event_writer(ds))
    writers.update(more)
    writers.update(extra or {})
    return write_outputs(out, writers)


def _node_event_writer(ds: xr.Dataset) -> dict[str, Callable[[Path], None]]:
    """node_events.parquet and transmission_tree.parquet (.csv without pyarrow): the network engine's
    state changes, and who infected whom."""
    from hyosan.engines.network.engine import node_events_frame, transmission_tree

    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return {
            "node_events.csv": lambda p: node_events_frame(ds).to_csv(p, index=False),
            "transmission_tree.csv": lambda p: transmission_tree(ds).to_csv(p, index=False),
        }
    return {
        "node_events.parquet": lambda p: node_events_frame(ds).to_parquet(p, index=False),
        "transmission_tree.parquet": lambda p: transmission_tree(ds).to_parquet(p, index=False),
    }


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def horizon(model: Model, t_end: float | str | None, every: float | str | None) -> tuple[float, float]:
    """(t_end, every) in days: bare numbers are days, strings may carry a unit (``"2w"``, ``"6h"``);
    the model's defaults when not given."""
    from hyosan.units import days

    t_end = days(t_end, "t_end", HyosanError) if t_end is not None else model.defaults.get("t_end", 100.0)
    if every is not None:
        return t_end, days(every, "every", HyosanError)
    return t_end, max(model.defaults.get("every", t_end / 200), t_end / 500)


def run_to_folder(
    model: Model,
    engine: str,
    out: str | Path,
    *,
    plot: bool = True,
    t_end: float | str | None = None,
    every: float | str | None = None,
    replicates: int = 1,
    formats: tuple[str, ...] | list[str] = (),
    **options: Any,
) -> dict[str, Any]:
    """Run ``model`` and write its outputs into ``out`` (and the extra ``formats``, see :func:`save`);
    the summary.

    A small run is simulated in memory and saved (:func:`save`). A large ensemble
    (replicates × report times above ``LARGE_ROWS``) streams its replicates into ``result.nc`` as
    chunks finish, holding only final states and summary bands in memory; then ``timeseries.csv``
    holds the bands (mean and quantiles per time and compartment) and ``final.csv`` keeps one row
    per replicate. ``write_s`` in its summary is the time spent writing files, ``compress_s`` the
    workers' time spent packing and compressing the counts (in parallel with the run).
    """
    t_end, every = horizon(model, t_end, every)
    rows = replicates * len(time_grid(t_end, every))
    kwargs = {"t_end": t_end, "every": every, "replicates": replicates, **options}
    if rows <= LARGE_ROWS or engine not in STREAMED:
        ds = simulate(model, engine, **kwargs)
        save(ds, model, out, plot=plot, formats=formats)
        return summarize(ds, model)
    if formats:
        raise HyosanError(
            f"format {', '.join(formats)}: an ensemble of {rows:,} rows is streamed into result.nc only; "
            "open it with hyosan.open_result and convert, or run fewer replicates"
        )
    from hyosan.streaming import NetcdfSink, bands_frame
    from hyosan.viz.plot import plot as draw

    held: dict[str, Any] = {}

    def streamed(path: Path) -> None:
        sink = NetcdfSink(path)
        try:
            ds = simulate(model, engine, sink=sink, **kwargs)
            held["ds"], held["bands"] = ds, sink.finish(ds)
        except BaseException:
            sink.abort()
            raise
        held["write_s"], held["pack_s"] = sink.write_s, sink.pack_s
        held["begun"] = _time.perf_counter()

    def summary_file(path: Path) -> None:
        held["summary"] = summarize(held["ds"], model) | {"streamed": "result.nc", "timeseries": "summary bands"}
        held["summary"]["write_s"] = held["write_s"] + _time.perf_counter() - held["begun"]
        held["summary"]["compress_s"] = held["pack_s"]
        summary_json(path, held["summary"])

    writers: dict[str, Callable[[Path], None]] = {
        "result.nc": streamed,
        "timeseries.csv": lambda p: bands_frame(held["bands"]).to_csv(p, index=False),
        "final.csv": lambda p: final_frame(held["ds"]).to_csv(p, index=False),
    }
    if plot:
        writers["plot.png"] = lambda p: draw(held["ds"], p, quantiles=held["bands"])
    writers["summary.json"] = summary_file
    write_outputs(out, writers)
    return held["summary"]
