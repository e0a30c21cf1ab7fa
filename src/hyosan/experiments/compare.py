"""Paired comparisons of two settings with common random numbers.

Arm A runs with the ``--set`` values, arm B with those overridden by ``--vs``. With common random
numbers (the default) replicate i of both arms draws from the same stream, so the paired difference
of two identical arms is exactly zero and the interval of a real difference is narrower than with
independent streams (``common=False``), which give arm B streams of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from scipy import stats

from hyosan.compartmental.model import Model
from hyosan.errors import EngineError
from hyosan.results import compartments_of
from hyosan.simulate import simulate


def replicate_outcomes(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Per-replicate outcomes: each compartment's final value, and the stopping time if recorded."""
    final = ds.isel(time=-1)
    out = {f"final {c}": np.atleast_1d(final[c].values).astype(float) for c in compartments_of(ds)}
    if "t_final" in ds:
        out["stopping time"] = np.atleast_1d(ds["t_final"].values).astype(float)
    return out


def paired(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Mean of each arm, and the mean paired difference B - A with its standard error and interval."""
    d = b - a
    n = len(d)
    se = float(np.std(d, ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se if n > 1 else 0.0
    mean = float(np.mean(d))
    return {
        "mean_a": float(np.mean(a)),
        "mean_b": float(np.mean(b)),
        "difference": mean,
        "se": se,
        "ci_low": mean - half,
        "ci_high": mean + half,
    }


def _value(v: Any) -> Any:
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def scalar_outcomes(per_replicate: list[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """The numeric and yes/no outcomes that every replicate's report has, as arrays over replicates."""
    keys = [k for k, v in per_replicate[0].items() if isinstance(v, (bool, int, float)) and v is not None]
    return {
        k: np.array([float(r[k]) for r in per_replicate])
        for k in keys
        if all(isinstance(r.get(k), (bool, int, float)) for r in per_replicate)
    }


def _report(
    name: str,
    engine: str,
    a: Mapping,
    b: Mapping,
    n: int,
    seed: int,
    common: bool,
    ds_a,
    ds_b,
    extra_a: Mapping[str, np.ndarray] | None = None,
    extra_b: Mapping[str, np.ndarray] | None = None,
) -> dict:
    out_a = {**replicate_outcomes(ds_a), **(extra_a or {})}
    out_b = {**replicate_outcomes(ds_b), **(extra_b or {})}
    return {
        "model": name,
        "engine": engine,
        "a": {k: _value(v) for k, v in a.items()},
        "b": {k: _value(v) for k, v in {**a, **b}.items()},
        "replicates": n,
        "seed": seed,
        "common_random_numbers": common,
        "t_end": float(ds_a.time[-1]),
        "time_unit": ds_a.time.attrs.get("units") or ds_a.attrs.get("time_unit", "days"),
        "outcomes": {k: paired(out_a[k], out_b[k]) for k in out_a if k in out_b},
    }


def _seed_b(seed: int, common: bool) -> int:
    return seed if common else int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])


def compare(
    model: Model,
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    engine: str = "ssa",
    replicates: int | None = None,
    seed: int = 0,
    common: bool = True,
    **options: Any,
) -> dict[str, Any]:
    """Run arm A (``a`` values) and arm B (``a`` overridden by ``b``) and pair their outcomes.

    ``replicates`` defaults to 200 on the stochastic engines; the deterministic ode engine runs once and
    refuses more replicates rather than ignore them."""
    if engine == "ode" and replicates not in (None, 1):
        raise EngineError(
            f"replicates={replicates}: the ode engine is deterministic; leave replicates out or use engine ssa or tau"
        )
    arm_a, arm_b = model.with_values(a), model.with_values({**a, **b})
    n = 1 if engine == "ode" else 200 if replicates is None else replicates
    ds_a = simulate(arm_a, engine, replicates=n, seed=seed, **options)
    ds_b = simulate(arm_b, engine, replicates=n, seed=_seed_b(seed, common), **options)
    return _report(model.name, engine, a, b, n, seed, common, ds_a, ds_b)


def compare_scenario(
    target: Any,
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    replicates: int = 20,
    seed: int = 0,
    common: bool = True,
    workers: int | None = None,
    t_end: float | str | None = None,
    engine: str | None = None,
    executor: Any = None,
    flags: bool = False,
) -> dict[str, Any]:
    """The same pairing for an agent scenario (a name, a path or a loaded scenario): replicate i of both
    arms starts from the same stream. ``t_end``, ``engine``, ``flags`` and the checks are those of
    :func:`hyosan.agents.run.execute`, so every option is honoured or refused as in a single run."""
    from hyosan.agents.run import execute, outcomes

    options = {"replicates": replicates, "workers": workers, "t_end": t_end, "engine": engine, "flags": flags}
    sc_a, ds_a, runs_a = execute(target, values=dict(a), seed=seed, executor=executor, **options)
    sc_b, ds_b, runs_b = execute(target, values={**a, **b}, seed=_seed_b(seed, common), executor=executor, **options)
    extra_a = scalar_outcomes([outcomes(sc_a, r) for r in runs_a])
    extra_b = scalar_outcomes([outcomes(sc_b, r) for r in runs_b])
    return _report(sc_a.name, "abm", a, b, replicates, seed, common, ds_a, ds_b, extra_a, extra_b)
