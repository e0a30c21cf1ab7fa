"""``run``: a compartment model in every patch of a :class:`~hyosan.places.patches.Patches`, coupled by
movement and mixing, on the ``ssa``, ``tau`` or ``ode`` method; the common result schema with a
``patch`` dimension.

Result: the compartments summed over patches as the usual variables over ``(replicate, time)`` (so
plots and summaries work unchanged), ``{C}_patch`` over ``(replicate, time, patch)``, and per
``(replicate, patch)`` the outcomes ``first_arrival`` and ``time_of_fall``
(:mod:`hyosan.engines.patches.setup` says what they mean); ``patch`` coordinates are the names,
with ``lat``/``lon`` when the patches have them.
"""

from __future__ import annotations

import json
import math
import os
import time as _time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from hyosan import __version__
from hyosan.budget import require_memory
from hyosan.compartmental.model import Model
from hyosan.engines.kernel_source import timed_transitions
from hyosan.engines.patches import control, coupling
from hyosan.engines.patches.mean_field import integrate
from hyosan.engines.patches.setup import start
from hyosan.engines.patches.stochastic import Task
from hyosan.engines.stochastic import check_model
from hyosan.errors import EngineError
from hyosan.outcomes import add_outcomes
from hyosan.parallel import map_replicates, replicate_seeds
from hyosan.places.patches import Patches

INTERVENTIONS = frozenset({"timed", "triggered"})
METHODS = ("ssa", "tau", "ode")
#: Bytes per recorded value (replicate × time × patch × compartment) while a run and its saving hold it.
BYTES_PER_VALUE = 24


def run(
    model: Model,
    times: np.ndarray,
    *,
    seed: int | None = 0,
    replicates: int = 1,
    workers: int | None = None,
    progress: bool = False,
    patches: Patches | str | None = None,
    method: str = "ssa",
    initial: Mapping[str, Mapping[str, int]] | None = None,
    home: str | None = None,
    arrival: str | None = None,
    fall: str | Sequence[str] | None = None,
    fall_below: float = 0.5,
    interventions: Any = None,
    solver: str = "auto",
    rtol: float = 1e-10,
    atol: float = 1e-12,
    epsilon: float | None = None,
    max_events: int | None = None,
    time_limit: float | None = None,
    executor: Any = None,
    sink: Any = None,
    **unknown: Any,
) -> xr.Dataset:
    """``replicates`` runs of ``model`` in every patch of ``patches``, reported at ``times`` (days).

    ``method``: ``ssa`` (exact), ``tau`` (leaps; ``epsilon`` the step control, default 0.002 as
    the tau engine) or ``ode`` (``solver``, ``rtol``, ``atol`` as the ode engine; ``solver="auto"``:
    LSODA for a few hundred state variables, else BDF with the sparse Jacobian). ``initial``:
    ``{patch: {compartment: count}}`` taken from the patch's ``home`` compartment. ``sink`` (``ssa``,
    ``tau``; :class:`hyosan.places.sink.PatchSink`) receives chunks of replicates as they finish and
    writes them to disk; the result then holds the last report time only.
    """
    unknown = {k: v for k, v in unknown.items() if v is not None}
    if unknown:
        raise EngineError(
            f"patches: unknown option(s) {sorted(unknown)}; options: patches, method, initial, home, arrival, fall, "
            "fall_below, interventions, solver, rtol, atol, epsilon, max_events, time_limit"
        )
    if method not in METHODS:
        raise EngineError(f"patches: method={method!r}; choose one of {', '.join(METHODS)}")
    patches = _patches(patches)
    coupling.check(patches, model)
    times = np.asarray(times, dtype=np.float64)
    P, C = patches.size, len(model.compartments)
    if sink is not None and method == "ode":
        raise EngineError("patches ode: one deterministic run is held in memory, not streamed; use method ssa or tau")
    require_memory(
        replicates * (1 if sink is not None else len(times)) * P * C * BYTES_PER_VALUE,
        f"--replicates {replicates} × {len(times):,} report times × {P:,} patches × {C} compartments",
        "use a larger --every, a shorter --t-end or fewer --replicates",
    )
    st = start(model, patches, home, initial, arrival, fall, fall_below)
    acts = control.actions(model, patches.names, interventions)
    tmodel = control.trigger_model(model, acts)
    attrs: dict[str, Any] = {
        "hyosan_version": __version__,
        "engine": "patches",
        "method": method,
        "model": model.name,
        "model_digest": model.digest(),
        "parameters": model.parameter_values,
        "initial": model.initial_state,
        "patches": P,
        "places": patches.description or f"{P} patches",
        "arrival": st.arrival,
        "fall": f"{'+'.join(st.fall)} below {st.fall_below:g} of the starting population",
    }
    begun = _time.perf_counter()
    if method == "ode":
        if replicates != 1:
            raise EngineError("--replicates: the patches ode method is deterministic; use method ssa or tau")
        values, first, fall_t, fired, solver = integrate(model, tmodel, patches, st, acts, times, solver, rtol, atol)
        attrs |= {"seed": -1, "solver": solver, "rtol": rtol, "atol": atol, "interventions": fired}
        attrs["elapsed_s"] = _time.perf_counter() - begun
        return _dataset(model, patches, times, values[None], first[None], fall_t[None], attrs)
    check_model(model, "patches")
    timed = timed_transitions(model)
    if timed:
        tr = model.transitions[timed[0]]
        raise EngineError(
            f"patches {method}: transition '{tr.name}' has rate '{tr.rate}', which reads t; the patch kernels "
            "sample rates that stay constant between events; use method ode"
        )
    _check_numbers(epsilon, max_events, time_limit, method)
    options: dict[str, Any] = {"epsilon": epsilon, "max_events": max_events}
    if time_limit is not None:
        options["deadline"] = _time.time() + float(time_limit)
    task = Task(method, tmodel, model, patches, st, tuple(acts), times, options)
    Task(method, tmodel, model, patches, st, (), times[:1], options)([(0, np.random.SeedSequence(0))])  # compile
    begun = _time.perf_counter()
    root, seeds = replicate_seeds(seed, replicates)
    used = max(1, min(workers or os.cpu_count() or 1, replicates))
    stream = {} if sink is None else {"most": sink.chunk, "on_part": sink.take}
    results = map_replicates(
        task, seeds, workers=used, progress=progress, executor=executor, label=f"patches {method} replicates", **stream
    )
    if sink is not None:
        times = times[-1:]
    attrs |= {
        "seed": seed if seed is not None else str(root),
        "rng": "PCG64 streams from SeedSequence(seed).spawn(replicates)",
        "replicates": replicates,
        "workers": used,
        "events": int(sum(r.fired for r in results)),
        "elapsed_s": _time.perf_counter() - begun,
    }
    if method == "tau":
        attrs |= {"leaps": int(sum(r.leaps for r in results)), "epsilon": float(epsilon or 0.002)}
    values = np.stack([r.values for r in results])
    ds = _dataset(
        model, patches, times, values, np.stack([r.first for r in results]), np.stack([r.fall for r in results]), attrs
    )
    summary = []
    for e, a in enumerate(control.triggered(acts)):
        at = np.array([r.t_trigger[e] for r in results])
        ds[f"t_trigger_{e}"] = ("replicate", at, {"units": "days", "long_name": f"time '{a.name}' fired"})
        hit = at[~np.isnan(at)]
        summary.append(
            {"name": a.name, "replicates_fired": int(hit.size), "time_mean": float(hit.mean()) if hit.size else None}
        )
    if summary:
        ds.attrs["interventions"] = json.dumps(summary)
    return ds


def _patches(patches: Patches | str | None) -> Patches:
    if patches is None:
        raise EngineError(
            "patches: give patches=Patches(...) or a spec (Python: patches='grid:n=10x10,pop=1000'; CLI: --patches "
            "grid:n=10x10,pop=1000 --mobility walk:speed=5km/h,radius=3km --moves I)"
        )
    if isinstance(patches, str):
        from hyosan.places.spec import patches as parse

        return parse(patches)
    if not isinstance(patches, Patches):
        raise EngineError(f"patches: expected a hyosan.places.patches.Patches, got {type(patches).__name__}")
    return patches


def _check_numbers(epsilon: Any, max_events: Any, time_limit: Any, method: str) -> None:
    def bad(v: Any) -> bool:
        return isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v)

    if epsilon is not None:
        if method != "tau":
            raise EngineError("epsilon (--epsilon): only method tau takes a step control")
        if bad(epsilon) or not 0 < epsilon < 1:
            raise EngineError(f"epsilon (--epsilon) {epsilon!r}: the tau step control is a number in (0, 1), e.g. 0.01")
    if max_events is not None and (bad(max_events) or max_events < 1 or not float(max_events).is_integer()):
        raise EngineError(f"max_events (--max-events) {max_events!r}: give a whole number >= 1")
    if time_limit is not None and (bad(time_limit) or time_limit <= 0):
        raise EngineError(f"time_limit (--time-limit) {time_limit!r}: give a positive number of seconds")


def _dataset(
    model: Model,
    patches: Patches,
    times: np.ndarray,
    values: np.ndarray,
    first: np.ndarray,
    fall: np.ndarray,
    attrs: dict[str, Any],
) -> xr.Dataset:
    from hyosan.results import make_dataset

    ds = make_dataset(times, values.sum(axis=2), model.compartments, attrs)
    ds = ds.assign_coords(patch=("patch", list(patches.names)))
    if patches.lat is not None and patches.lon is not None:
        ds = ds.assign_coords(
            lat=("patch", np.asarray(patches.lat, float)), lon=("patch", np.asarray(patches.lon, float))
        )
    for i, c in enumerate(model.compartments):
        ds[f"{c}_patch"] = (("replicate", "time", "patch"), values[..., i], {"long_name": f"{c} in each patch"})
    ds["first_arrival"] = (
        ("replicate", "patch"),
        first,
        {"units": "days", "long_name": f"first time the patch held a {attrs['arrival']} (NaN: never)"},
    )
    ds["time_of_fall"] = (
        ("replicate", "patch"),
        fall,
        {"units": "days", "long_name": f"time the patch fell: {attrs['fall']} (NaN: never)"},
    )
    if "replicates" in attrs:
        add_outcomes(ds, model, values[:, -1].sum(axis=1))
    return ds
