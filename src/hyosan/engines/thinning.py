"""The exact kernel for rates that read ``t``: the direct method with thinning (Lewis–Shedler).

``exact_steps`` draws candidate times against a certified upper bound of the total rate over a
look-ahead window (:mod:`hyosan.engines.interval`), so waiting times are exact for the
time-varying rates; a window is halved until its bound is finite and small, and a window where
every rate is certified zero is skipped. The tau kernel uses it for its exact steps. Source text,
compiled with the model's generated ``rates``, ``bounds`` and ``margins``
(:mod:`hyosan.engines.kernel_source`).
"""

THINNING = '''
@njit(cache=True, error_model="numpy", nogil=True)
def _bad(a):
    for j in range(a.shape[0]):
        if not (a[j] >= 0.0 and a[j] < INF):
            return j
    return -1


@njit(cache=True, error_model="numpy", nogil=True)
def _pick(rng, a, total, mask):
    r = rng.random() * total
    last = -1
    for j in range(a.shape[0]):
        if mask[j] and a[j] > 0.0:
            last = j
            r -= a[j]
            if r < 0.0:
                return j
    return last


@njit(cache=True, error_model="numpy", nogil=True)
def _cleared(x, infected):
    if infected.shape[0] == 0:
        return False
    for i in infected:
        if x[i] != 0.0:
            return False
    return True


@njit(cache=True, error_model="numpy", nogil=True)
def _hold(times, k, out, x, until):
    """Report state x at every report time before ``until``; returns the next index still to fill."""
    while k < times.shape[0] and times[k] < until:
        out[k, :] = x
        k += 1
    return k


@njit(cache=True, error_model="numpy", nogil=True)
def _window(t, h, x, p, a, lo, hi, timed, free):
    """Certified bound of the total rate over [t, t + h]; the index of a rate without one, else -2."""
    if timed.shape[0] == 0:
        return free, -2
    bounds(t, t + h, x, p, lo, hi)
    total = free
    for j in timed:
        if not (hi[j] < INF):
            return INF, j
        if hi[j] > 0.0:
            total += hi[j]
    return total, -2


@njit(cache=True, error_model="numpy", nogil=True)
def exact_steps(rng, x, p, t, t_stop, times, k, out, V, timed, is_timed, infected, log_t, log_j, nlog,
                max_fired, max_steps, act):
    """Exact SSA from t towards t_stop; rates that read t are sampled by thinning (Lewis-Shedler)
    against a certified bound of the total rate over a look-ahead window [t, t + h]. Stops after
    the firing that makes a pending (act) trigger's margin positive."""
    m, c = V.shape
    cap = log_t.shape[0]
    a = np.empty(m)
    lo = np.empty(m)
    hi = np.empty(m)
    fired = 0
    t_fire = t
    t_zero = -1.0
    cleared = _cleared(x, infected)
    status = 0
    bad = -1
    hwin = INF
    work = 0
    rates(t, x, p, a)
    bad = _bad(a)
    if bad >= 0:
        return 2, t, k, 0, bad, nlog, t_fire, t_zero
    while True:
        if fired >= max_fired or work >= 20 * max_fired:
            status = 3
            break
        if fired >= max_steps:
            break
        free = 0.0
        for j in range(m):
            if not is_timed[j]:
                free += a[j]
        work += 1
        h = min(hwin, t_stop - t)
        total, nob = _window(t, h, x, p, a, lo, hi, timed, free)
        tries = 0
        while tries < 80 and timed.shape[0] > 0 and (not (total < INF) or total * h > 16.0):
            h = h * 0.5 if not (total < INF) else min(0.5 * h, 8.0 / total)
            total, nob = _window(t, h, x, p, a, lo, hi, timed, free)
            tries += 1
        if not (total < INF):
            status = 4
            bad = nob
            break
        if not (total > 0.0):
            if h < t_stop - t:
                rest, nob = _window(t, t_stop - t, x, p, a, lo, hi, timed, free)
            else:
                rest = 0.0
            if rest == 0.0:
                status = 1
                k = _hold(times, k, out, x, t_stop)
                break
            k = _hold(times, k, out, x, t + h)
            t = t + h
            hwin = 2.0 * h
            rates(t, x, p, a)
            bad = _bad(a)
            if bad >= 0:
                status = 2
                break
            continue
        end = t + h
        accepted = False
        while True:
            work += 1
            t_next = t + rng.standard_exponential() / total
            if t_next >= end:
                break
            k = _hold(times, k, out, x, t_next)
            t = t_next
            if timed.shape[0] > 0:
                rates(t, x, p, a)
                bad = _bad(a)
                if bad >= 0:
                    break
            a0 = a.sum()
            if a0 > total:
                status = 5
                break
            u = rng.random() * total
            if u < a0:
                accepted = True
                break
        if bad >= 0:
            status = 2
            break
        if status == 5:
            break
        if not accepted:
            k = _hold(times, k, out, x, end)
            t = end
            hwin = 2.0 * h
            if t >= t_stop:
                t = t_stop
                break
            rates(t, x, p, a)
            bad = _bad(a)
            if bad >= 0:
                status = 2
                break
            continue
        j = m - 1
        for i in range(m):
            if a[i] > 0.0:
                j = i
                u -= a[i]
                if u < 0.0:
                    break
        for i in range(c):
            x[i] += V[j, i]
        fired += 1
        t_fire = t
        hwin = h
        if nlog < cap:
            log_t[nlog] = t
            log_j[nlog] = j
            nlog += 1
        now = _cleared(x, infected)
        if now and not cleared:
            t_zero = t
        cleared = now
        rates(t, x, p, a)
        bad = _bad(a)
        if bad >= 0:
            status = 2
            break
        bad = margins(t, x, p, act)
        if bad >= 0:
            status = 6
            break
    return status, t, k, fired, bad, nlog, t_fire, t_zero


@njit(cache=True, error_model="numpy", nogil=True)
def ssa_thinned(rng, xi, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired, act, V, timed, is_timed,
                infected):
    """The ssa engine's segment for models whose rates read t."""
    x = xi.astype(np.float64)
    res = exact_steps(rng, x, p, t, t_stop, times, k, out, V, timed, is_timed, infected, log_t, log_j, nlog,
                      max_fired, max_fired, act)
    for i in range(x.shape[0]):
        xi[i] = np.int64(x[i])
    return res
'''
