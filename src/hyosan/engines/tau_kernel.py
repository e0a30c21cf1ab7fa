"""The tau-leaping kernel: Cao, Gillespie & Petzold (2006), with exact steps where leaps would not be.

Source text, compiled with the model's generated ``rates``, ``bounds`` and ``margins``
(:mod:`hyosan.engines.kernel_source`) and the exact kernel of :mod:`hyosan.engines.thinning`.
After each leap the pending trigger margins are evaluated at the leap's end state; a leap after
which one is positive is rejected and its span re-run with exact steps, so that a trigger fires
at a single transition, as on the ssa engine. (A condition that turns true and false again
within one leap is not seen.) See :mod:`hyosan.engines.tau` for the procedure.
"""

from __future__ import annotations

import numpy as np

from hyosan.compartmental.model import Model

TAU_LOOP = '''
@njit(cache=True, error_model="numpy", nogil=True)
def _tau_time(t, tau1, x, p, a, lo, hi, timed, eps, a0):
    """The longest step <= tau1 over which no time-dependent rate moves by more than eps*a0 (-1: no bound)."""
    h = tau1
    for _ in range(80):
        bounds(t, t + h, x, p, lo, hi)
        ok = True
        for j in timed:
            if not (hi[j] - lo[j] <= eps * a0):
                ok = False
                break
        if ok:
            return h
        h *= 0.5
    return -1.0


@njit(cache=True, error_model="numpy", nogil=True)
def tau_segment(rng, bridge, xi, p, t, t_stop, times, k, out, act, V, hor, horc, watch, infected, timed, is_timed,
                eps, nc, ssa_below, max_fired):
    m, c = V.shape
    x = xi.astype(np.float64)
    a = np.empty(m)
    lo = np.empty(m)
    hi = np.empty(m)
    crit = np.zeros(m, dtype=np.bool_)
    K = np.zeros(m)
    new = np.empty(c)
    xb = np.empty(c)
    rem = np.zeros(m, dtype=np.int64)
    no_log_t = np.empty(0)
    no_log_j = np.empty(0, dtype=np.int64)
    nt = times.shape[0]
    fired = 0
    leaps = 0
    t_fire = t
    t_zero = -1.0
    cleared = _cleared(x, infected)
    status = 0
    bad = -1
    has_timed = timed.shape[0] > 0
    has_trig = act.shape[0] > 0
    while True:
        tau = 0.0
        jc = -1
        span = t_stop
        if fired >= max_fired or leaps >= max_fired:
            status = 3
            break
        rates(t, x, p, a)
        bad = _bad(a)
        if bad >= 0:
            status = 2
            break
        a0 = a.sum()
        exact = False
        if not (a0 > 0.0):
            if not has_timed:
                status = 1
                k = _hold(times, k, out, x, t_stop)
                break
            exact = True
        if not exact:
            mu = np.zeros(c)
            s2 = np.zeros(c)
            for j in range(m):
                lim = INF
                for i in range(c):
                    if V[j, i] < 0:
                        lim = min(lim, np.floor(x[i] / -V[j, i]))
                crit[j] = a[j] > 0.0 and lim < nc
                if not crit[j]:
                    for i in range(c):
                        mu[i] += V[j, i] * a[j]
                        s2[i] += V[j, i] * V[j, i] * a[j]
            tau1 = INF
            for i in range(c):
                if not watch[i]:
                    continue
                g = float(hor[i])
                if horc[i] == 2 and x[i] > 1.0:
                    g = (2.0 + 1.0 / (x[i] - 1.0)) * (1.0 if hor[i] == 2 else 1.5)
                elif horc[i] == 3 and x[i] > 2.0:
                    g = 3.0 + 1.0 / (x[i] - 1.0) + 2.0 / (x[i] - 2.0)
                b = max(eps * x[i] / g, 1.0)
                if mu[i] != 0.0:
                    tau1 = min(tau1, b / abs(mu[i]))
                if s2[i] > 0.0:
                    tau1 = min(tau1, b * b / s2[i])
            if has_timed:
                tau1 = _tau_time(t, min(tau1, t_stop - t), x, p, a, lo, hi, timed, eps, a0)
            a0c = 0.0
            for j in range(m):
                if crit[j]:
                    a0c += a[j]
            while True:
                if tau1 < ssa_below / a0:
                    exact = True
                    break
                tau2 = rng.standard_exponential() / a0c if a0c > 0.0 else INF
                tau = min(tau1, tau2)
                fire = tau2 <= tau1
                if t + tau >= t_stop:
                    tau = t_stop - t
                    fire = False
                jc = -1
                for j in range(m):
                    K[j] = 0.0 if crit[j] else rng.poisson(a[j] * tau)
                if fire:
                    jc = _pick(rng, a, a0c, crit)
                    K[jc] = 1.0
                ok = True
                for i in range(c):
                    s = x[i]
                    for j in range(m):
                        s += K[j] * V[j, i]
                    new[i] = s
                    if s < 0.0:
                        ok = False
                if ok:
                    break
                tau1 = tau1 / 2.0
        t_end = t_stop if t + tau >= t_stop else t + tau
        if not exact and has_trig and margins(t_end, new, p, act) >= 0:
            exact = True
            span = t_end
        if exact:
            st, t, k, n, bad, _, tf, tz = exact_steps(
                rng, x, p, t, span, times, k, out, V, timed, is_timed, infected, no_log_t, no_log_j, 0,
                max_fired - fired, max_fired if span < t_stop else 100, act)
            fired += n
            if n > 0:
                t_fire = tf
                if tz >= 0.0:
                    t_zero = tz
                cleared = _cleared(x, infected)
            if st != 0 or t >= t_stop:
                status = st
                if st == 0:
                    t = t_stop
                break
            continue
        if k < nt and times[k] < t_end:
            cur = t
            for j in range(m):
                rem[j] = 0 if j == jc else np.int64(K[j])
            xb[:] = x
            while k < nt and times[k] < t_end:
                f = (times[k] - cur) / (t_end - cur)
                for j in range(m):
                    if rem[j] > 0:
                        d = bridge.binomial(rem[j], min(max(f, 0.0), 1.0))
                        rem[j] -= d
                        for i in range(c):
                            xb[i] += d * V[j, i]
                neg = False
                for i in range(c):
                    if xb[i] < 0.0:
                        neg = True
                out[k, :] = x if neg else xb
                cur = times[k]
                k += 1
        x[:] = new
        n = int(K.sum())
        fired += n
        leaps += 1
        t = t_end
        if n > 0:
            t_fire = t
            now = _cleared(x, infected)
            if now and not cleared:
                t_zero = t
            cleared = now
        if t >= t_stop:
            break
    for i in range(c):
        xi[i] = np.int64(x[i])
    return status, t, k, fired, bad, leaps, t_fire, t_zero
'''


def tau_tables(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stoichiometry (float), highest reactant order per compartment, its coefficient there, and
    which compartments bound the step (those consumed or read by a rate)."""
    comps = model.compartments
    c = len(comps)
    hor = np.ones(c, dtype=np.int64)
    horc = np.ones(c, dtype=np.int64)
    watch = np.zeros(c, dtype=np.bool_)
    for tr in model.transitions:
        order = sum(k for _, k in tr.reactants)
        for name, coef in tr.reactants:
            i = comps.index(name)
            watch[i] = True
            if order > hor[i] or (order == hor[i] and coef > horc[i]):
                hor[i], horc[i] = order, coef
        for name in tr.rate.names:
            if name in comps:
                watch[comps.index(name)] = True
    return model.stoichiometry.astype(np.float64), hor, horc, watch
