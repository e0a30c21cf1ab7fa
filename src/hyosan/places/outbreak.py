"""Running a country scenario and what it answers: when each city got its first zombie and when it
fell, whether and when the cordon was breached, and how many people the cordon saved (the same
replicates run without it, on common random numbers).

The cordon is *breached* in a replicate when any place outside it ever holds a zombie (the arrival
compartment); ``breach_day`` is the first such time. Movement across a closed cordon is zero, so
every breach was carried out before the seal — but a bitten traveller who crossed before it may
turn only after it, so ``breach_day`` can fall after ``cordon_closed_day``;
``outside_reached_before_seal`` counts the places outside already holding a zombie at the seal.

Outputs (written all-or-nothing): ``result.nc`` (the run with its cordon; per-patch counts, streamed
as replicates finish on ssa and tau), ``result_no_cordon.nc``, with ``zarr`` their Zarr copies,
``cities.csv`` (one row per place: population, position, inside the cordon, share of replicates
reached and fallen and the median days, for each arm), ``summary.json``, and the pictures of
:mod:`hyosan.viz.country` for replicate 0 (``fall_map.png``, ``fall_map_no_cordon.png``,
``curves.png``, ``spread.gif``/``spread.mp4``).
"""

from __future__ import annotations

import json
import time as _time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from hyosan.errors import HyosanError
from hyosan.places.country import Country


def simulate(
    country: Country,
    *,
    cordon: bool = True,
    seed: int = 0,
    replicates: int = 1,
    method: str | None = None,
    t_end: float | None = None,
    every: float | None = None,
    **options: Any,
) -> xr.Dataset:
    """One arm of ``country`` (with or without its cordon) on the ``patches`` engine."""
    method = method or country.method
    kw: dict[str, Any] = {
        "engine": "patches",
        "patches": country.patches,
        "method": method,
        "t_end": country.t_end if t_end is None else t_end,
        "every": country.every if every is None else every,
        "initial": country.seed,
        "fall_below": country.fall_below,
        "interventions": [country.cordon] if (cordon and country.cordon) else None,
    }
    if method != "ode":
        kw |= {"seed": seed, "replicates": replicates}
    elif replicates != 1:
        raise HyosanError("--replicates: the ode method is deterministic; drop --replicates or use --engine tau")
    else:
        given = {key: getattr(country, key) for key in ("rtol", "atol") if options.get(key) is None}
        kw |= {key: value for key, value in given.items() if value is not None}
    return country.model.run(**kw, **{k: v for k, v in options.items() if v is not None})


def cordon_times(country: Country, ds: xr.Dataset) -> np.ndarray:
    """When the cordon closed in each replicate (days; NaN: its trigger never held)."""
    n = ds.sizes["replicate"]
    if country.cordon is None:
        return np.full(n, np.nan)
    if "at" in country.cordon:
        return np.full(n, float(country.cordon["at"]))
    fired = json.loads(ds.attrs.get("interventions", "[]")) if isinstance(ds.attrs.get("interventions"), str) else []
    names = [f.get("name") for f in fired if isinstance(f, dict)]
    if country.cordon["name"] in names:
        key = f"t_trigger_{names.index(country.cordon['name'])}"
        if key in ds:
            return np.asarray(ds[key].values, dtype=float)
    return np.full(n, np.nan)


def _humans(country: Country, ds: xr.Dataset) -> np.ndarray:
    roles = country.model.roles.get("humans") or (country.model.compartments[0],)
    return sum(np.asarray(ds[c].isel(time=-1).values, dtype=float) for c in roles)


def outcomes(country: Country, ds: xr.Dataset, base: xr.Dataset | None) -> dict[str, np.ndarray]:
    """Per-replicate outcomes of the cordon arm ``ds`` (and, with ``base``, the people saved)."""
    first = np.asarray(ds["first_arrival"].values, dtype=float)
    fall = np.asarray(ds["time_of_fall"].values, dtype=float)
    out = {
        "places_reached": np.isfinite(first).sum(axis=1).astype(float),
        "places_fallen": np.isfinite(fall).sum(axis=1).astype(float),
        "humans_at_end": _humans(country, ds),
    }
    if country.cordon is not None:
        closed = cordon_times(country, ds)
        outside = first[:, ~country.inside]
        with np.errstate(invalid="ignore"):
            breach = np.where(
                np.isfinite(outside).any(axis=1),
                np.nanmin(np.where(np.isfinite(outside), outside, np.inf), axis=1),
                np.nan,
            )
            before = (outside <= closed[:, None]).sum(axis=1).astype(float)
        out |= {
            "cordon_closed_day": closed,
            "breached": np.isfinite(breach).astype(float),
            "breach_day": breach,
            "outside_reached_before_seal": np.where(np.isfinite(closed), before, np.nan),
            "outside_reached": np.isfinite(outside).sum(axis=1).astype(float),
        }
    if base is not None:
        out["humans_at_end_no_cordon"] = _humans(country, base)
        out["people_saved"] = out["humans_at_end"] - out["humans_at_end_no_cordon"]
        out["places_fallen_no_cordon"] = np.isfinite(np.asarray(base["time_of_fall"].values)).sum(axis=1).astype(float)
    return out


def stat(values: np.ndarray) -> dict[str, Any]:
    """mean, standard error (s.d./sqrt(n)), 5-95% range and n over the replicates where defined."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return {"mean": None, "se": None, "q05": None, "q95": None, "n": 0}
    se = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else None
    return {
        "mean": float(v.mean()),
        "se": se,
        "q05": float(np.quantile(v, 0.05)),
        "q95": float(np.quantile(v, 0.95)),
        "n": int(v.size),
    }


def cities_frame(country: Country, ds: xr.Dataset, base: xr.Dataset | None):
    """One row per place: who it is, and per arm the share of replicates reached/fallen and median days."""
    import pandas as pd

    p = country.patches
    frame: dict[str, Any] = {"name": list(p.names), "population": p.population, "lat": p.lat, "lon": p.lon}
    frame["inside_cordon"] = country.inside
    for arm, data in (("", ds), ("_no_cordon", base)):
        if data is None:
            continue
        first = np.asarray(data["first_arrival"].values, dtype=float)
        fall = np.asarray(data["time_of_fall"].values, dtype=float)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: never reached
            frame[f"reached_share{arm}"] = np.isfinite(first).mean(axis=0)
            frame[f"first_zombie_day{arm}"] = np.nanmedian(first, axis=0)
            frame[f"fallen_share{arm}"] = np.isfinite(fall).mean(axis=0)
            frame[f"fall_day{arm}"] = np.nanmedian(fall, axis=0)
    return pd.DataFrame(frame)


def view(country: Country, ds: xr.Dataset, replicate: int = 0, title: str = "", cordon: bool = True):
    """The :class:`~hyosan.viz.country.CountryView` of one replicate of ``ds`` (rings: the cordon's
    places, or the seed city when there is none or ``cordon`` is False)."""
    from hyosan.viz.country import CountryView

    arrival = ds.attrs.get("arrival") or country.model.compartments[1]
    r = ds.isel(replicate=replicate)
    n = int(ds.attrs.get("replicates", ds.sizes["replicate"]))
    comps = [c for c in country.model.compartments if float(r[c].max()) > 0]
    marked = tuple(int(i) for i in np.flatnonzero(country.inside)) if cordon else ()
    marked = marked or (country.patches.names.index(country.seed_city),)
    return CountryView(
        names=country.patches.names,
        lat=np.asarray(country.patches.lat),
        lon=np.asarray(country.patches.lon),
        population=np.asarray(country.patches.population),
        times=np.asarray(ds.time.values, dtype=float),
        infected=np.asarray(r[f"{arrival}_patch"].values, dtype=float),
        first=np.asarray(r["first_arrival"].values, dtype=float),
        fall=np.asarray(r["time_of_fall"].values, dtype=float),
        totals={c: np.asarray(r[c].values, dtype=float) for c in comps},
        title=(title or country.title) + (f" (replicate {replicate} of {n})" if n > 1 else ""),
        marked=marked,
    )


def run_to_folder(
    country: Country,
    out: str | Path,
    *,
    plot: bool = True,
    animation: str = "both",
    compare: bool = True,
    zarr: bool = False,
    **options: Any,
) -> dict[str, Any]:
    """Run ``country`` (and, with a cordon and ``compare``, the same replicates without it), write the
    outputs into ``out``; the summary. ``zarr``: also copy each result into ``result*.zarr``.

    On ``ssa`` and ``tau`` both arms stream their per-patch counts into ``result.nc`` and
    ``result_no_cordon.nc`` as replicates finish (:class:`hyosan.places.sink.PatchSink`); memory holds
    per replicate only the last report time, first arrivals and falls (checked with
    :func:`hyosan.budget.require_memory` before the run). ``ode`` is one run, held and saved whole.
    """
    from hyosan.results import summary_json, write_netcdf, write_outputs

    if animation not in ("gif", "mp4", "both", "none"):
        raise HyosanError(f"--animation {animation}: choose gif, mp4, both or none")
    twin = compare and country.cordon is not None
    stream = (options.get("method") or country.method) != "ode"
    if stream:
        _check_memory(country, options, 2 if twin else 1)
    held: dict[str, Any] = {}

    def results(path: Path) -> None:
        begun = _time.perf_counter()
        if not stream:
            held["ds"] = simulate(country, cordon=True, **options)
            held["base"] = simulate(country, cordon=False, **options) if twin else None
            held["elapsed"] = _time.perf_counter() - begun
            _add_outcomes(country, held)
            write_netcdf(held["ds"], path)
            if twin:
                write_netcdf(held["base"], path.parent / "result_no_cordon.nc")
            return
        from hyosan.places.sink import PatchSink

        sinks = [PatchSink(path, country.patches)]
        if twin:
            sinks.append(PatchSink(path.parent / "result_no_cordon.nc", country.patches))
        try:
            _announce(options, f"{country.name}: {'the cordon arm, 1 of 2' if twin else 'the run'}")
            held["ds"] = simulate(country, cordon=True, sink=sinks[0], **options)
            if twin:
                _announce(options, f"{country.name}: the same replicates without the cordon, 2 of 2")
                held["base"] = simulate(country, cordon=False, sink=sinks[1], **options)
            else:
                held["base"] = None
            held["elapsed"] = _time.perf_counter() - begun
            _add_outcomes(country, held)
            sinks[0].finish(held["ds"])
            if twin:
                sinks[1].finish(held["base"])
        except BaseException:
            for sink in sinks:
                sink.abort()
            raise

    def whole(path: Path, arm: str) -> xr.Dataset:
        """The arm with every report time: in memory (ode) or replicate 0 read back from its file."""
        if not stream:
            return held[arm]
        from hyosan.places.sink import first_replicate

        key = f"whole_{arm}"
        if key not in held:
            held[key] = first_replicate(path.parent / ("result.nc" if arm == "ds" else "result_no_cordon.nc"))
        return held[key]

    writers: dict[str, Callable[[Path], None]] = {
        "result.nc": results,
        "cities.csv": lambda p: cities_frame(country, held["ds"], held["base"]).to_csv(p, index=False),
    }
    if zarr:
        from hyosan.places.sink import to_zarr

        writers["result.zarr"] = lambda p: to_zarr(p.parent / "result.nc", p)
        if twin:
            writers["result_no_cordon.zarr"] = lambda p: to_zarr(p.parent / "result_no_cordon.nc", p)
    if plot:
        from hyosan.viz import country as pictures

        writers["fall_map.png"] = lambda p: pictures.fall_map(view(country, whole(p, "ds")), p)
        writers["curves.png"] = lambda p: pictures.curves(view(country, whole(p, "ds")), p)
        if twin:
            title = f"{country.title} — without the cordon"
            writers["fall_map_no_cordon.png"] = lambda p: pictures.fall_map(
                view(country, whole(p, "base"), title=title, cordon=False), p
            )
        if animation in ("gif", "both"):
            writers["spread.gif"] = lambda p: pictures.film(view(country, whole(p, "ds")), p.parent, "gif")
        if animation in ("mp4", "both"):
            writers["spread.mp4"] = lambda p: pictures.film(view(country, whole(p, "ds")), p.parent, "mp4")
    writers["summary.json"] = lambda p: summary_json(p, _summary(country, held, stream))
    write_outputs(out, writers)
    return held["summary"]


def _announce(options: dict[str, Any], what: str) -> None:
    """With a progress bar, say which arm the next bar belongs to (on stderr)."""
    if options.get("progress"):
        from rich.console import Console

        Console(stderr=True).print(f"{what} ({options.get('replicates') or 1} replicates)", highlight=False)


def _check_memory(country: Country, options: dict[str, Any], arms: int) -> None:
    """Refuse, before any simulation, a streamed ensemble whose kept results do not fit in memory."""
    from hyosan.budget import require_memory
    from hyosan.places.sink import held_bytes
    from hyosan.results import time_grid

    t_end = options.get("t_end") or country.t_end
    every = options.get("every") or country.every
    n = options.get("replicates") or 1
    T, P, C = len(time_grid(t_end, every)), country.patches.size, len(country.model.compartments)
    require_memory(
        arms * held_bytes(n, T, P, C, workers=options.get("workers") or 1),
        f"--replicates {n} × {P:,} places × {C} compartments, {arms} arm(s) streamed",
        "run fewer --replicates",
    )


def _add_outcomes(country: Country, held: dict[str, Any]) -> None:
    held["per"] = outcomes(country, held["ds"], held["base"])
    for name, values in held["per"].items():
        held["ds"][name] = ("replicate", values)


def _summary(country: Country, held: dict[str, Any], stream: bool) -> dict[str, Any]:
    ds, per = held["ds"], held["per"]
    summary: dict[str, Any] = {
        "model": country.model.name,
        "engine": f"patches ({ds.attrs.get('method')})",
        "country": country.name,
        "title": country.title,
        "places": country.patches.description,
        "seed_city": country.seed_city,
        "seed": ds.attrs.get("seed"),
        "replicates": ds.sizes["replicate"],
        "t_end": float(ds.time[-1]),
        "elapsed_s": held["elapsed"],
        "final_mean": {c: float(ds[c].isel(time=-1).mean()) for c in country.model.compartments},
        "outcomes": {k: stat(v) for k, v in per.items()},
    }
    if stream:
        summary["streamed"] = "result.nc" + (", result_no_cordon.nc" if held["base"] is not None else "")
    if country.cordon is not None:
        summary["cordon"] = {
            "name": country.cordon["name"],
            "trigger": country.cordon.get("when") or f"day {country.cordon['at']}",
            "places_inside": list(country.cordon["cordon"]["patches"]),
            "people_inside": int(country.patches.population[country.inside].sum()),
        }
    held["summary"] = summary
    return summary
