"""Deterministic engine: the mean-field ODE from the transition list, integrated with scipy.

Stiff-capable (LSODA by default). Scheduled events are applied exactly at their times by integrating
piecewise between them; triggered interventions stop the integration at the root of their condition
(``solve_ivp`` events) and fire once. The state reported at an event time is the state after it.
Rates are watched on the accepted trajectory (:mod:`hyosan.engines.ode_guard`): one that turns
negative or stops being finite ends the run with an error naming it, the time and the state.
"""

from __future__ import annotations

import math
import time as _time
import warnings

import numpy as np
import xarray as xr
from scipy.integrate import solve_ivp

from hyosan import __version__
from hyosan.compartmental.model import Event, Model
from hyosan.engines.codegen import python_rates
from hyosan.engines.events import apply_event, schedule, trigger_margin
from hyosan.engines.ode_guard import ARITHMETIC, BadRate, RateWatch, clip_counts
from hyosan.errors import EngineError
from hyosan.results import make_dataset

INTERVENTIONS = frozenset({"timed", "triggered"})
METHODS = ("LSODA", "RK45", "RK23", "DOP853", "Radau", "BDF")


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
    **unknown: object,
) -> xr.Dataset:
    """Integrate ``model`` and report its state at ``times`` (days, starting at 0).

    ``rtol`` is relative to each count, ``atol`` to the initial population.
    """
    if replicates != 1:
        raise EngineError("--replicates: the ode engine is deterministic; use --engine ssa or tau for ensembles")
    _check_options(method, rtol, atol, unknown)
    start = _time.perf_counter()
    rates = python_rates(model)
    stoich_t = model.stoichiometry.T.astype(float)
    params = np.array([p.value for p in model.parameters], dtype=float)
    buf = np.empty(len(model.transitions))
    scale = max(1.0, float(np.sum(model.initial)))

    watch = RateWatch(model, rates, scale)

    def rhs(t: float, x: np.ndarray) -> np.ndarray:
        try:
            dx = stoich_t @ rates(t, x, params, buf)
        except ARITHMETIC:
            watch.note(t, x, params)
            return np.full_like(x, np.nan)
        if not np.isfinite(dx).all():
            watch.note(t, x, params)
        return dx

    def guard(t: float, y: np.ndarray) -> float:
        return watch.margin(t, y, params)

    guard.terminal, guard.direction = True, -1

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

    def solve(t0: float, t1: float, roots: list):
        watch.trial = None
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                if guard(t0, x) <= 0:
                    raise watch.crossing(np.array([t0]), lambda t: x, watch.worst(t0, x, params), params)
                sol = solve_ivp(
                    rhs,
                    (t0, t1),
                    x,
                    method=method,
                    rtol=rtol,
                    atol=atol * scale,
                    dense_output=True,
                    events=[*roots, guard],
                )
        except BadRate as bad:
            raise watch.error(bad) from None
        if sol.status < 0:
            raise watch.failure(float(sol.t[-1]), sol.y[:, -1], params, sol.message)
        if sol.status == 1 and len(sol.t_events[-1]):
            t_bad = float(sol.t_events[-1][0])
            j = watch.worst(t_bad, sol.sol(t_bad), params)
            raise watch.error(watch.crossing(sol.t, sol.sol, j, params))
        return sol

    timed = [*schedule(model, t_end), (math.inf, [])]
    k, t0, filled = 0, 0.0, 0
    fire_ready(t0)
    while True:
        t_next, group = timed[k]
        t1 = min(t_next, t_end)
        if t1 > t0:
            roots = [root(ev) for ev in pending]
            sol = solve(t0, t1, roots)
            hit = [i for i, te in enumerate(sol.t_events[:-1]) if len(te)] if sol.status == 1 else []
            seg_end = float(sol.t[-1])
            inclusive = not hit and seg_end >= t_end and t_next > t_end
            upto = int(np.searchsorted(times, seg_end, side="right" if inclusive else "left"))
            if filled < upto:
                out[filled:upto] = sol.sol(times[filled:upto]).T
                out[filled:upto][times[filled:upto] == t0] = x
                filled = upto
            x, t0 = clip_counts(model, np.array([seg_end]), sol.y[:, -1:].T, scale)[0], seg_end
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
    out = clip_counts(model, times, out, scale)
    attrs = {
        "hyosan_version": __version__,
        "engine": "ode",
        "model": model.name,
        "model_digest": model.digest(),
        "seed": -1,
        "method": method,
        "rtol": rtol,
        "atol": atol,
        "parameters": model.parameter_values,
        "initial": model.initial_state,
        "interventions": fired,
        "elapsed_s": _time.perf_counter() - start,
    }
    return make_dataset(times, out, model.compartments, attrs)


def _check_options(method: str, rtol: float, atol: float, unknown: dict) -> None:
    if unknown:
        raise EngineError(f"ode: unknown option(s) {sorted(unknown)}; the ode engine takes method, rtol and atol")
    if method not in METHODS:
        raise EngineError(f"ode: method={method!r} is not a solver; use one of {', '.join(METHODS)}")
    if not (isinstance(rtol, (int, float)) and 1e-13 <= rtol < 1):
        raise EngineError(f"ode: rtol={rtol!r} must be a number from 1e-13 to below 1")
    if not (isinstance(atol, (int, float)) and 0 < atol < 1):
        raise EngineError(f"ode: atol={atol!r} must be a number above 0 and below 1 (relative to the population)")
