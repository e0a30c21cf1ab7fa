"""Deterministic engine: the mean-field ODE from the transition list, integrated with scipy.

Stiff-capable (LSODA by default); scheduled events are applied exactly at their times by
integrating piecewise between them. The state reported at an event time is the state after it.
"""

from __future__ import annotations

import time as _time

import numpy as np
import xarray as xr
from scipy.integrate import solve_ivp

from hyosan import __version__
from hyosan.engines.events import apply_event, schedule
from hyosan.errors import EngineError
from hyosan.model.codegen import python_rates
from hyosan.model.spec import Model
from hyosan.results import make_dataset


def run(
    model: Model,
    times: np.ndarray,
    *,
    seed: int | None = None,
    replicates: int = 1,
    workers: int | None = None,
    progress: bool = False,
    method: str = "LSODA",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> xr.Dataset:
    """Integrate ``model`` and report its state at ``times`` (days, starting at 0)."""
    if replicates != 1:
        raise EngineError("--replicates: the ode engine is deterministic; use --engine ssa or tau for ensembles")
    start = _time.perf_counter()
    rates = python_rates(model)
    stoich_t = model.stoichiometry.T.astype(float)
    params = np.array([p.value for p in model.parameters], dtype=float)
    buf = np.empty(len(model.transitions))
    scale = max(1.0, float(np.sum(model.initial)))

    def rhs(t: float, x: np.ndarray) -> np.ndarray:
        return stoich_t @ rates(t, x, params, buf)

    times = np.asarray(times, dtype=float)
    t_end = float(times[-1])
    out = np.empty((len(times), len(model.compartments)))
    x = np.array(model.initial, dtype=float)
    t0 = 0.0
    filled = 0
    for t_event, group in [*schedule(model, t_end), (np.inf, [])]:
        t1 = min(t_event, t_end)
        if t1 > t0:
            sol = solve_ivp(rhs, (t0, t1), x, method=method, rtol=rtol, atol=atol * scale, dense_output=True)
            if not sol.success:
                raise EngineError(f"ode: integration failed at t={sol.t[-1]:.6g} days ({sol.message})")
            upto = np.searchsorted(times, t1, side="left" if t_event <= t_end else "right")
            if filled < upto:
                out[filled:upto] = sol.sol(times[filled:upto]).T
                out[filled:upto][times[filled:upto] == t0] = x
                filled = upto
            x = sol.y[:, -1].copy()
        t0 = t1
        if t_event > t_end:
            break
        for event, n in group:
            x = apply_event(model, event, n, t_event, x)
    if filled < len(times):
        out[filled:] = x
    if not np.all(np.isfinite(out)):
        raise EngineError(f"ode: {model.name} produced non-finite values; check its rates and parameters")
    attrs = {
        "hyosan_version": __version__,
        "engine": "ode",
        "model": model.name,
        "model_digest": model.digest(),
        "seed": -1,
        "method": method,
        "parameters": model.parameter_values,
        "elapsed_s": _time.perf_counter() - start,
    }
    return make_dataset(times, out, model.compartments, attrs)
