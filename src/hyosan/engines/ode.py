"""Deterministic engine: the mean-field ODE from the transition list, integrated with scipy.

Stiff-capable (LSODA by default). Scheduled events are applied exactly at their times by integrating
piecewise between them; triggered interventions stop the integration at the root of their condition
(``solve_ivp`` events) and fire once. The state reported at an event time is the state after it.
"""

from __future__ import annotations

import math
import time as _time

import numpy as np
import xarray as xr
from scipy.integrate import solve_ivp

from hyosan import __version__
from hyosan.engines.events import apply_event, schedule, trigger_margin
from hyosan.errors import EngineError
from hyosan.model.codegen import python_rates
from hyosan.model.spec import Event, Model
from hyosan.results import make_dataset

INTERVENTIONS = frozenset({"timed", "triggered"})


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
    pending = [ev for ev in model.events if ev.triggered]
    fired: list[dict] = []

    def fire_ready(t: float) -> None:
        nonlocal x, params
        for ev in list(pending):
            if trigger_margin(model, ev, t, x, params) >= 0:
                x, params = apply_event(model, ev, 1, t, x, params)
                pending.remove(ev)
                fired.append({"name": ev.name, "kind": ev.kind, "time": t})

    def root(ev: Event):
        def margin(t: float, y: np.ndarray) -> float:
            return trigger_margin(model, ev, t, y, params)

        margin.terminal, margin.direction = True, 1
        return margin

    timed = [*schedule(model, t_end), (math.inf, [])]
    k, t0, filled = 0, 0.0, 0
    fire_ready(t0)
    while True:
        t_next, group = timed[k]
        t1 = min(t_next, t_end)
        if t1 > t0:
            roots = [root(ev) for ev in pending]
            sol = solve_ivp(
                rhs, (t0, t1), x, method=method, rtol=rtol, atol=atol * scale, dense_output=True, events=roots or None
            )
            if sol.status < 0:
                raise EngineError(f"ode: integration failed at t={sol.t[-1]:.6g} days ({sol.message})")
            hit = [i for i, te in enumerate(sol.t_events or []) if len(te)] if sol.status == 1 else []
            seg_end = float(sol.t[-1])
            inclusive = not hit and seg_end >= t_end and t_next > t_end
            upto = int(np.searchsorted(times, seg_end, side="right" if inclusive else "left"))
            if filled < upto:
                out[filled:upto] = sol.sol(times[filled:upto]).T
                out[filled:upto][times[filled:upto] == t0] = x
                filled = upto
            x, t0 = sol.y[:, -1].copy(), seg_end
            if hit:
                ev = pending.pop(hit[0])
                x, params = apply_event(model, ev, 1, t0, x, params)
                fired.append({"name": ev.name, "kind": ev.kind, "time": t0})
                fire_ready(t0)
                continue
        if t_next > t_end:
            break
        for event, n in group:
            x, params = apply_event(model, event, n, t_next, x, params)
            if event.kind != "event":
                fired.append({"name": event.name, "kind": event.kind, "time": t_next})
        t0, k = t_next, k + 1
        fire_ready(t0)
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
        "interventions": fired,
        "elapsed_s": _time.perf_counter() - start,
    }
    return make_dataset(times, out, model.compartments, attrs)
