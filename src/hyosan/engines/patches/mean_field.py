"""The coupled mean field of a patches run, integrated with scipy's ``solve_ivp``.

``dX_i/dt = S^T a(X_i, X_eff_i, N_eff_i) - X_i ∘ (mobility · out_i) + Σ_j movement[j, i] X_j ∘ mobility``
with ``X_eff = mixing @ X`` (see :mod:`hyosan.engines.patches.source` for which terms read them).
The rates of all patches are evaluated by one compiled loop; movement and mixing are sparse
products. Interventions are applied at their times (integration restarts there) or at the root of
their condition on the totals (``solve_ivp`` events).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.integrate import BDF, solve_ivp
from scipy.sparse import issparse
from scipy.sparse.linalg import splu
from threadpoolctl import threadpool_limits

from hyosan.compartmental.model import Model
from hyosan.engines.events import apply_event, trigger_margin
from hyosan.engines.patches.control import Action, timeline, triggered
from hyosan.engines.patches.coupling import arrays
from hyosan.engines.patches.jacobian import local_jacobian, movement_jacobian
from hyosan.engines.patches.setup import Start
from hyosan.engines.patches.source import patch_module
from hyosan.errors import EngineError
from hyosan.places.patches import Patches

METHODS = ("auto", "LSODA", "RK45", "RK23", "DOP853", "Radau", "BDF")
#: ``auto`` takes LSODA (dense Jacobian) up to this many state variables, BDF with the sparse Jacobian above.
AUTO_DENSE = 400
SPARSE = ("BDF", "Radau")


def integrate(
    base: Model,
    tmodel: Model,
    patches: Patches,
    st: Start,
    acts: list[Action],
    times: np.ndarray,
    method: str,
    rtol: float,
    atol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict], str]:
    """The states (T, P, C) at ``times``, first arrivals, falls, the interventions fired and the solver used.

    ``method="auto"``: LSODA for small systems, else BDF; BDF and Radau get the analytic sparse
    Jacobian (:mod:`hyosan.engines.patches.jacobian`), which makes the stiff walking country tractable.
    """
    if method not in METHODS:
        raise EngineError(f"patches ode: solver={method!r} is not a solver; use one of {', '.join(METHODS)}")
    if not (isinstance(rtol, (int, float)) and 1e-13 <= rtol < 1):
        raise EngineError(f"patches ode: rtol={rtol!r} must be a number from 1e-13 to below 1")
    if not (isinstance(atol, (int, float)) and 0 < atol < 1):
        raise EngineError(f"patches ode: atol={atol!r} must be above 0 and below 1 (relative to the population)")
    mod = patch_module(tmodel)
    P, C = st.X.shape
    if method == "auto":
        method = "LSODA" if P * C <= AUTO_DENSE else "BDF"
    S = base.stoichiometry.astype(np.int64)
    Pm = st.Pm.copy()
    p0 = Pm[0].copy()
    cordons: list = []
    state = {"arr": arrays(patches, cordons)}
    state["mvT"] = state["arr"].movement.T.tocsr()
    a = np.empty((P, len(base.transitions)))
    dX, E, Ne = np.empty((P, C)), np.empty((P, C)), np.empty(P)
    mob = np.zeros(C)
    mob[st.mob_c] = st.mob_f
    moving = bool(mob.any())
    scale = max(1.0, float(st.X.sum()))

    def couple() -> None:
        arr = state["arr"]
        state["mvT"] = arr.movement.T.tocsr()
        if method in SPARSE:
            state["Jm"] = movement_jacobian(arr.movement, arr.out_rate, mob) if moving else None

    def react(t: float, X: np.ndarray, Ex: np.ndarray, Nx: np.ndarray) -> np.ndarray:
        return mod.patch_rhs(t, X, Ex, Nx, Pm, S, a, dX)

    def jac(t: float, y: np.ndarray):
        J = local_jacobian(react, t, y.reshape(P, C), state["arr"].mixing, st.popmask)
        return (J if state["Jm"] is None else J + state["Jm"]).tocsc()

    couple()

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        X = y.reshape(P, C)
        arr = state["arr"]
        n = X[:, st.popmask].sum(axis=1)
        if arr.mixing is not None:
            E[:] = arr.mixing @ X
            Ne[:] = arr.mixing @ n
        else:
            E[:] = X
            Ne[:] = n
        mod.patch_rhs(t, X, E, Ne, Pm, S, a, dX)
        if moving:
            F = X[:, st.mob_c] * st.mob_f
            dX[:, st.mob_c] += state["mvT"] @ F - F * arr.out_rate[:, None]
        return dX.ravel().copy()

    trig = triggered(acts)
    events = list(tmodel.events)
    pending = list(range(len(trig)))
    fired: list[dict] = []
    x = st.X.astype(np.float64).ravel()

    def apply(act: Action, n: int, at: float) -> None:
        nonlocal x
        if act.cordon is not None:
            cordons.append(act.cordon)
            state["arr"] = arrays(patches, cordons)
            couple()
        else:
            X = x.reshape(P, C).copy()
            for i in range(P) if act.targets is None else act.targets:
                X[i], Pm[i] = apply_event(base, act.event, n, at, X[i], Pm[i])
            if act.targets is None:
                p0[:] = Pm[0]
            x = X.ravel()
        fired.append({"name": act.name, "time": at})

    def margin_of(e: int):
        def margin(t: float, y: np.ndarray) -> float:
            return trigger_margin(base, events[e], t, y.reshape(P, C).sum(axis=0), p0)

        margin.terminal, margin.direction = True, 1
        return margin

    def fire_ready(at: float) -> None:
        for e in list(pending):
            if trigger_margin(base, events[e], at, x.reshape(P, C).sum(axis=0), p0) >= 0:
                pending.remove(e)
                apply(trig[e], 1, at)

    t_end = float(times[-1])
    out = np.empty((len(times), P * C))
    filled, t0 = 0, 0.0
    fire_ready(0.0)
    for t_next, group in [*timeline(acts, t_end), (math.inf, [])]:
        t1 = min(t_next, t_end)
        while t1 > t0:
            roots = [margin_of(e) for e in pending]
            # one BLAS thread: the solver's norms of ~10^4 values otherwise wait on woken threads (6 ms each)
            with np.errstate(all="ignore"), warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
                warnings.simplefilter("ignore", UserWarning)
                sol = solve_ivp(
                    rhs,
                    (t0, t1),
                    x,
                    method=SparseBDF if method == "BDF" else method,
                    rtol=rtol,
                    atol=atol * scale,
                    dense_output=True,
                    events=roots,
                    **({"jac": jac} if method in SPARSE else {}),
                )
            if sol.status < 0:
                raise EngineError(f"patches ode: the solver failed at t={sol.t[-1]:.6g} days: {sol.message}")
            hit = [i for i, te in enumerate(sol.t_events or []) if len(te)] if sol.status == 1 else []
            seg_end = float(sol.t[-1])
            last = not hit and seg_end >= t_end and t_next > t_end
            upto = int(np.searchsorted(times, seg_end, side="right" if last else "left"))
            if filled < upto:
                out[filled:upto] = sol.sol(times[filled:upto]).T
                filled = upto
            x, t0 = np.maximum(sol.y[:, -1], 0.0), seg_end
            if hit:
                e = pending.pop(hit[0])
                apply(trig[e], 1, t0)
                fire_ready(t0)
        if t_next > t_end:
            break
        for act, n in group:
            apply(act, n, t_next)
        t0 = t_next
        fire_ready(t0)
    if filled < len(times):
        out[filled:] = x
    if not np.isfinite(out).all():
        raise EngineError(f"patches ode: {base.name} produced non-finite values; check its rates and parameters")
    values = np.maximum(out, 0.0).reshape(len(times), P, C)
    first = crossing(times, values[:, :, st.arr_c], np.ones(P), above=True) if st.arr_c >= 0 else np.full(P, np.nan)
    fall = crossing(times, values[:, :, st.fallmask].sum(axis=2), st.fall_lvl, above=False)
    return values, first, fall, fired, method


class SparseBDF(BDF):
    """scipy's BDF, its sparse LU ordered by minimum degree on ``A + Aᵀ``: the movement graph is
    symmetric in pattern, and this ordering fills less than the default COLAMD (the US map's LU:
    about 40 % faster)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if issparse(self.J):

            def lu(A):
                self.nlu += 1
                return splu(A, permc_spec="MMD_AT_PLUS_A")

            self.lu = lu


def crossing(times: np.ndarray, series: np.ndarray, level: np.ndarray, above: bool) -> np.ndarray:
    """Per column of ``series`` (T, P): the first time it reaches ``level`` (``>=`` when ``above``,
    else ``<``), interpolated linearly between report times; NaN if never."""
    hit = series >= level if above else series < level
    k = np.argmax(hit, axis=0)
    out = np.full(series.shape[1], np.nan)
    ok = hit.any(axis=0)
    for i in np.flatnonzero(ok):
        j = k[i]
        if j == 0:
            out[i] = times[0]
            continue
        y0, y1 = series[j - 1, i], series[j, i]
        f = (level[i] - y0) / (y1 - y0) if y1 != y0 else 1.0
        out[i] = times[j - 1] + min(max(f, 0.0), 1.0) * (times[j] - times[j - 1])
    return out
