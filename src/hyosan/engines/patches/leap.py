"""Numba source of the patches engine's ``tau`` leap, compiled after :data:`~hyosan.engines.patches.kernels.KERNELS`
(it calls their helpers ``_effective``, ``_marks`` and ``_dest``).

``patch_tau`` advances all patches together in *hop intervals* of length H; within an interval every
patch leaps its own reactions with its own steps, and people move at the interval's midpoint:

- **Reactions, per patch.** Each patch leaps from its own counts by steps chosen by the
  Cao–Gillespie–Petzold bound (ε) of that patch alone, as many as it needs; a leap that would make a
  count negative is halved and redrawn. A quiet patch covers H in one leap while a city in its
  exponential phase takes many, so one busy patch no longer sets everyone's step. Without mixing a
  patch's rates read only its own counts, so this is exact bookkeeping, not an approximation. With
  mixing the catalysts come from the effective counts at the start of H, which H then also keeps
  within every patch's ε bound.
- **Movement, at the midpoint of H** (Strang splitting: reactions for H/2, hops, reactions for H/2).
  Each person of a mobile compartment in patch ``i`` leaves with probability ``rate_i·H`` — binomial
  per patch and compartment, split multinomially over the destinations (per walker by binary search
  when few leave, else by conditional binomials: the same law). H is bounded by ``rate_i·H ≤ 1/2``
  over the active patches that can move people; by :data:`COUPLE`, the most a mobile compartment of
  such a patch may grow within H relative to its count (so movers leave from current counts and
  arrive in time to act); and it ends at every report time. The Euler step ``I + Q·H`` of the walk
  keeps the walk's stationary law exactly. Letting ``1 − exp(−rate_i·H)`` leave instead (no cap on H)
  is *not* the law of the walk over H — a walker may hop several times — and its stationary law is
  ``π_i·rate_i·H / (1 − exp(−rate_i·H))``: it piles walkers onto fast-exit patches and caps a walker
  at one hop per interval.
- **Only active patches work.** Without mixing, a patch none of whose reactions can fire and whose
  people cannot move (e.g. no zombies) is frozen: it costs nothing until movers arrive, which makes
  it active again. With mixing every patch is evaluated each interval.

People are conserved exactly. The splitting error is first order in H (the walk's Euler step; the
Strang placement removes the first-order lag of arrivals). Triggers are evaluated on the totals at
the end of each interval (every patch is then at the same time).
"""

#: The coupling bound: an interval lets a mobile compartment of a patch that can move people grow by at
#: most this fraction (its net drift over its count, or over 1 below one person), so movers leave from
#: counts that are current to this tolerance.
COUPLE = 0.3

LEAP = """
@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _leap_bound(i, X, a, S, hor, horc, watch, mobile, eps, mu, s2):
    R, C = S.shape
    a0 = 0.0
    for c in range(C):
        mu[c] = 0.0
        s2[c] = 0.0
    for r in range(R):
        v = a[i, r]
        if not (v >= 0.0 and v < INF):
            return a0, 0.0, r
        if v > 0.0:
            a0 += v
            for c in range(C):
                mu[c] += S[r, c] * v
                s2[c] += S[r, c] * S[r, c] * v
    tau1 = INF
    if not (a0 > 0.0):
        return a0, tau1, -1
    for c in range(C):
        if not (watch[c] or mobile[c]):
            continue
        x = float(X[i, c])
        g = float(hor[c])
        if horc[c] == 2 and x > 1.0:
            g = (2.0 + 1.0 / (x - 1.0)) * (1.0 if hor[c] == 2 else 1.5)
        elif horc[c] == 3 and x > 2.0:
            g = 3.0 + 1.0 / (x - 1.0) + 2.0 / (x - 2.0)
        b = max(eps * x / g, 1.0)
        if mu[c] != 0.0:
            tau1 = min(tau1, b / abs(mu[c]))
        if s2[c] > 0.0:
            tau1 = min(tau1, b * b / s2[c])
    return a0, tau1, -1


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _leap_rates(i, t, X, E, Ne, Pm, a, mixed):
    if mixed:
        prates(t, X, E, Ne, Pm, a, i)
    else:
        plocal(t, X, Pm, a, i)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _leap_react(rng, i, t, H, X, E, Ne, Pm, a, S, hor, horc, watch, mobile, eps, mixed, mu, s2, K, new, totals, fresh):
    R, C = S.shape
    s = 0.0
    fired = 0
    while True:
        if not fresh:
            _leap_rates(i, t + s, X, E, Ne, Pm, a, mixed)
        fresh = False
        a0, tau1, bad = _leap_bound(i, X, a, S, hor, horc, watch, mobile, eps, mu, s2)
        if bad >= 0:
            return fired, bad
        if not (a0 > 0.0):
            return fired, -1
        rest = H - s
        tau = tau1 if tau1 < rest else rest
        while True:
            ok = True
            for c in range(C):
                new[c] = X[i, c]
            for r in range(R):
                n = rng.poisson(a[i, r] * tau) if a[i, r] > 0.0 else 0
                K[r] = n
                if n > 0:
                    for c in range(C):
                        new[c] += n * S[r, c]
            for c in range(C):
                if new[c] < 0:
                    ok = False
            if ok:
                break
            tau = tau / 2.0
        for c in range(C):
            totals[c] += new[c] - X[i, c]
            X[i, c] = new[c]
        for r in range(R):
            fired += K[r]
        if tau >= rest:
            return fired, -1
        s += tau


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _leap_move(rng, i, H, X, mob_c, mob_f, out_rate, mv_ptr, mv_idx, mv_cum, moved, flag, touched, nt):
    fired = 0
    lo = mv_ptr[i]
    hi = mv_ptr[i + 1]
    deg = hi - lo
    for m in range(mob_c.shape[0]):
        c = mob_c[m]
        lam = mob_f[m] * out_rate[i]
        if lam <= 0.0 or X[i, c] <= 0:
            continue
        n = rng.binomial(X[i, c], min(lam * H, 1.0))
        if n == 0:
            continue
        X[i, c] -= n
        fired += n
        if n <= 8 or 4 * n <= deg:
            for _ in range(n):
                j = _dest(rng, i, mv_ptr, mv_idx, mv_cum)
                moved[j, c] += 1
                if not flag[j]:
                    flag[j] = True
                    touched[nt] = j
                    nt += 1
            continue
        prev = 0.0
        rem = n
        for q in range(lo, hi):
            j = mv_idx[q]
            if q == hi - 1:
                d = rem
            else:
                pq = (mv_cum[q] - prev) / (1.0 - prev) if prev < 1.0 else 1.0
                d = rng.binomial(rem, min(max(pq, 0.0), 1.0))
            prev = mv_cum[q]
            if d > 0:
                moved[j, c] += d
                rem -= d
                if not flag[j]:
                    flag[j] = True
                    touched[nt] = j
                    nt += 1
            if rem == 0:
                break
    return fired, nt


@njit(cache=True, error_model="numpy", nogil=True)
def patch_tau(rng, X, E, Ne, Pm, p0, t, t_stop, times, k, out, totals, S, popmask, hor, horc, watch,
              mv_ptr, mv_idx, mv_cum, out_rate, mob_c, mob_f, mixed, mx_ptr, mx_idx, mx_val,
              arr_c, first, fallmask, fall_lvl, fall, act, eps, couple, max_leaps):
    P, C = X.shape
    R = S.shape[0]
    M = mob_c.shape[0]
    nt = times.shape[0]
    a = np.zeros((P, R))
    K = np.zeros(R, dtype=np.int64)
    new = np.empty(C, dtype=np.int64)
    moved = np.zeros((P, C), dtype=np.int64)
    mu = np.empty(C)
    s2 = np.empty(C)
    mobile = np.zeros(C, dtype=np.bool_)
    for m in range(M):
        mobile[mob_c[m]] = True
    fmax = 0.0
    for m in range(M):
        fmax = max(fmax, mob_f[m])
    live = np.arange(P)
    is_live = np.ones(P, dtype=np.bool_)
    nl = P
    flag = np.zeros(P, dtype=np.bool_)
    touched = np.empty(P, dtype=np.int64)
    tf = np.empty(C)
    has_trig = act.shape[0] > 0
    leaps = 0
    fired = 0
    while t < t_stop:
        while k < nt and times[k] <= t:
            out[k] = X
            k += 1
        if leaps >= max_leaps:
            return 3, t, k, fired, -1, -1, leaps
        if mixed:
            for i in range(P):
                _effective(i, X, E, Ne, popmask, mixed, mx_ptr, mx_idx, mx_val)
        target = times[k] if k < nt and times[k] < t_stop else t_stop
        H = target - t
        sync = H
        q = 0
        while q < nl:
            i = live[q]
            _leap_rates(i, t, X, E, Ne, Pm, a, mixed)
            a0, tau1, bad = _leap_bound(i, X, a, S, hor, horc, watch, mobile, eps, mu, s2)
            if bad >= 0:
                return 2, t, k, fired, bad, i, leaps
            walkers = False
            for m in range(M):
                if X[i, mob_c[m]] > 0 and mob_f[m] > 0.0:
                    walkers = True
            if not (a0 > 0.0) and not (walkers and out_rate[i] > 0.0):
                if not mixed:
                    nl -= 1
                    live[q] = live[nl]
                    is_live[i] = False
                    continue
            if mixed:
                H = min(H, tau1)
            lam = fmax * out_rate[i]
            if lam > 0.0:
                H = min(H, 0.5 / lam)
                for m in range(M):
                    c = mob_c[m]
                    if mu[c] > 0.0 and a0 > 0.0:
                        H = min(H, couple * max(float(X[i, c]), 1.0) / mu[c])
            q += 1
        if nl == 0:
            while k < nt and times[k] < t_stop:
                out[k] = X
                k += 1
            return 1, t, k, fired, -1, -1, leaps
        t_end = t + H if H < sync else target
        H = t_end - t
        half = 0.5 * H
        ntouch = 0
        for q in range(nl):
            i = live[q]
            n, bad = _leap_react(rng, i, t, half, X, E, Ne, Pm, a, S, hor, horc, watch, mobile, eps, mixed, mu, s2,
                                 K, new, totals, True)
            fired += n
            if bad >= 0:
                return 2, t, k, fired, bad, i, leaps
            n, ntouch = _leap_move(rng, i, H, X, mob_c, mob_f, out_rate, mv_ptr, mv_idx, mv_cum, moved, flag,
                                   touched, ntouch)
            fired += n
        for q in range(ntouch):
            j = touched[q]
            for c in range(C):
                X[j, c] += moved[j, c]
                moved[j, c] = 0
            flag[j] = False
            _marks(j, t + half, X, arr_c, first, fallmask, fall_lvl, fall)
            if not is_live[j]:
                is_live[j] = True
                live[nl] = j
                nl += 1
        for q in range(nl):
            i = live[q]
            n, bad = _leap_react(rng, i, t + half, H - half, X, E, Ne, Pm, a, S, hor, horc, watch, mobile, eps, mixed,
                                 mu, s2, K, new, totals, False)
            fired += n
            if bad >= 0:
                return 2, t + half, k, fired, bad, i, leaps
            _marks(i, t_end, X, arr_c, first, fallmask, fall_lvl, fall)
        t = t_end
        leaps += 1
        if has_trig:
            for c in range(C):
                tf[c] = float(totals[c])
            e = tmargins(t, tf, p0, act)
            if e >= 0:
                return 6, t, k, fired, e, -1, leaps
    return 0, t_stop, k, fired, -1, -1, leaps
"""
