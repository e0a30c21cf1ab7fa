"""Outcome statistics of an ensemble, named in the model's own terms.

Every model (from each replicate's state at the end of its run):
- the infection dies out: every ``infected`` compartment is 0 (only if the model lists them);
- extinction time: when the infected compartments last became empty, over the replicates in
  which the infection died out;
- the mean and the 5%, 50%, 95% quantiles of every compartment's final value.

Only models that declare ``roles`` (see :mod:`hyosan.compartmental.roles`), i.e. zombie stories:
- humans are wiped out: every ``humans`` compartment is 0;
- humans win: every ``infected`` and ``zombies`` compartment is 0 while some humans remain.

Fractions come with their binomial standard error sqrt(p(1-p)/n). A result carries the
per-replicate events as boolean variables over ``replicate`` (:func:`per_replicate`);
:func:`statistics` reads the statistics back from a result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from hyosan.compartmental.model import Model


def _fraction(hits: np.ndarray) -> tuple[float, float]:
    n = hits.size
    p = float(hits.mean()) if n else math.nan
    return p, math.sqrt(p * (1 - p) / n) if n else math.nan


def _all_zero(final: np.ndarray, model: Model, names: tuple[str, ...]) -> np.ndarray:
    cols = [model.compartments.index(c) for c in names]
    return np.all(final[:, cols] == 0, axis=1)


def outcomes(model: Model, final: np.ndarray, extinction: np.ndarray) -> dict[str, Any]:
    """Statistics over the final states (replicate, compartment) and extinction times (NaN: none)."""
    found = per_replicate(model, final)
    result: dict[str, Any] = {}
    if "infection_dies_out" in found:
        dies = found["infection_dies_out"][0]
        result["infection_dies_out_fraction"], result["infection_dies_out_se"] = _fraction(dies)
        ext = np.asarray(extinction, dtype=float)[dies]
        if ext.size:
            result["extinction_time_mean"] = float(ext.mean())
            result["extinction_time_median"] = float(np.median(ext))
    if "humans_wiped_out" in found:
        result["humans_compartments"] = list(model.roles["humans"])
        result["humans_wiped_out_fraction"], result["humans_wiped_out_se"] = _fraction(found["humans_wiped_out"][0])
    if "humans_win" in found:
        result["humans_win_fraction"], result["humans_win_se"] = _fraction(found["humans_win"][0])
    return result | final_summary(final, model.compartments)


def final_summary(final: np.ndarray, comps: Sequence[str]) -> dict[str, dict[str, float]]:
    """Mean, 5%, 50% and 95% quantiles over replicates of each compartment's final value."""
    q = np.quantile(final, [0.05, 0.5, 0.95], axis=0)
    return {
        "final_mean": {c: float(final[:, i].mean()) for i, c in enumerate(comps)},
        "final_q05": {c: float(q[0, i]) for i, c in enumerate(comps)},
        "final_median": {c: float(q[1, i]) for i, c in enumerate(comps)},
        "final_q95": {c: float(q[2, i]) for i, c in enumerate(comps)},
    }


def per_replicate(model: Model, final: np.ndarray) -> dict[str, tuple[np.ndarray, str]]:
    """Boolean outcome of each replicate from its final state (replicate, compartment), with its meaning."""
    found: dict[str, tuple[np.ndarray, str]] = {}
    if model.infected:
        found["infection_dies_out"] = (
            _all_zero(final, model, model.infected),
            f"every infected compartment ({', '.join(model.infected)}) is 0 at the end",
        )
    humans = model.roles.get("humans", ())
    if humans:
        wiped = _all_zero(final, model, humans)
        found["humans_wiped_out"] = (wiped, f"every humans compartment ({', '.join(humans)}) is 0 at the end")
        threat = tuple(dict.fromkeys((*model.infected, *model.roles.get("zombies", ()))))
        if threat:
            found["humans_win"] = (
                _all_zero(final, model, threat) & ~wiped,
                f"{', '.join(threat)} are all 0 while some humans remain",
            )
    return found


def statistics(ds: xr.Dataset) -> dict[str, Any]:
    """The statistics of :func:`outcomes`, computed from a result's per-replicate variables."""
    from hyosan.results import compartments_of

    result: dict[str, Any] = {}
    if "infection_dies_out" in ds:
        dies = ds["infection_dies_out"].values.astype(bool)
        result["infection_dies_out_fraction"], result["infection_dies_out_se"] = _fraction(dies)
        if "t_extinction" in ds:
            ext = ds["t_extinction"].values[dies]
            if ext.size:
                result["extinction_time_mean"] = float(ext.mean())
                result["extinction_time_median"] = float(np.median(ext))
    if "humans_wiped_out" in ds:
        result["humans_compartments"] = str(ds["humans_wiped_out"].attrs.get("compartments", "")).split()
        result["humans_wiped_out_fraction"], result["humans_wiped_out_se"] = _fraction(
            ds["humans_wiped_out"].values.astype(bool)
        )
    if "humans_win" in ds:
        result["humans_win_fraction"], result["humans_win_se"] = _fraction(ds["humans_win"].values.astype(bool))
    comps = compartments_of(ds)
    final = np.stack([ds.variables[c].isel(time=-1).values for c in comps], axis=1).astype(float)
    return result | final_summary(final, comps)


def add_outcomes(ds: xr.Dataset, model: Model, final: np.ndarray) -> xr.Dataset:
    """``ds`` with the boolean outcome variables of :func:`per_replicate`."""
    humans = " ".join(model.roles.get("humans", ()))
    for name, (hits, meaning) in per_replicate(model, final).items():
        attrs = {"long_name": meaning} | ({"compartments": humans} if name == "humans_wiped_out" else {})
        ds[name] = ("replicate", hits, attrs)
    return ds
