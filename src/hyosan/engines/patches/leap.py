"""Numba source of the patches engine's ``tau`` leap, compiled after :data:`~hyosan.engines.patches.kernels.KERNELS`
(it calls their helpers ``_effective`` and ``_marks``).

``patch_tau`` leaps every patch by one step
chosen by the Cao–Gillespie–Petzold bound over the reactions of all patches; a leap that would make a
count negative is halved and redrawn. Movement is split off (Lie splitting: reactions, then hops):
after the reactions of a leap of length τ each person of a mobile compartment leaves with probability
``rate·τ`` (binomial per patch and compartment, split multinomially over destinations), with the leap
also bounded by ``rate·τ ≤ 1/2`` — not by ε: a walker's Euler step ``I + Qτ`` keeps the walk's
stationary law exactly, where ``1 − exp(−rate·τ)`` (one hop at most) would pile walkers onto
well-connected patches by O(rate·τ). People are conserved exactly. The error is first order in τ:
during a leap movers react where they started and arrive for the next leap.
"""

LEAP = """
@njit(cache=True, error_model="numpy", nogil=True)
def patch_tau(rng, X, E, Ne, Pm, p0, t, t_stop, times, k, out, totals, S, popmask, hor, horc, watch,
              mv_ptr, mv_idx, mv_cum, out_rate, mob_c, mob_f, mixed, mx_ptr, mx_idx, mx_val,
              arr_c, first, fallmask, fall_lvl, fall, act, eps, max_leaps):
    P, C = X.shape
    R = S.shape[0]
    M = mob_c.shape[0]
    nt = times.shape[0]
    a = np.empty((P, R))
    K = np.zeros((P, R), dtype=np.int64)
    new = np.empty((P, C), dtype=np.int64)
    moved = np.zeros((P, C), dtype=np.int64)
    mu = np.empty(C)
    s2 = np.empty(C)
    mobile = np.zeros(C, dtype=np.bool_)
    for m in range(M):
        mobile[mob_c[m]] = True
    tf = np.empty(C)
    has_trig = act.shape[0] > 0
    leaps = 0
    fired = 0
    while t < t_stop:
        if leaps >= max_leaps:
            return 3, t, k, fired, -1, -1, leaps
        for i in range(P):
            _effective(i, X, E, Ne, popmask, mixed, mx_ptr, mx_idx, mx_val)
        tau1 = INF
        total = 0.0
        for i in range(P):
            prates(t, X, E, Ne, Pm, a, i)
            for c in range(C):
                mu[c] = 0.0
                s2[c] = 0.0
            for r in range(R):
                v = a[i, r]
                if not (v >= 0.0 and v < INF):
                    return 2, t, k, fired, r, i, leaps
                total += v
                if v > 0.0:
                    for c in range(C):
                        mu[c] += S[r, c] * v
                        s2[c] += S[r, c] * S[r, c] * v
            for m in range(M):
                v = mob_f[m] * out_rate[i]
                if X[i, mob_c[m]] > 0 and v > 0.0:
                    total += X[i, mob_c[m]] * v
                    tau1 = min(tau1, 0.5 / v)
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
        if not (total > 0.0):
            while k < nt and times[k] < t_stop:
                out[k] = X
                k += 1
            return 1, t, k, fired, -1, -1, leaps
        tau = min(tau1, t_stop - t)
        while True:
            ok = True
            for i in range(P):
                for c in range(C):
                    new[i, c] = X[i, c]
                for r in range(R):
                    n = rng.poisson(a[i, r] * tau) if a[i, r] > 0.0 else 0
                    K[i, r] = n
                    if n > 0:
                        for c in range(C):
                            new[i, c] += n * S[r, c]
                for c in range(C):
                    if new[i, c] < 0:
                        ok = False
                if not ok:
                    break
            if ok:
                break
            tau = tau / 2.0
        for i in range(P):
            for r in range(R):
                fired += K[i, r]
        for i in range(P):
            for m in range(M):
                c = mob_c[m]
                lam = mob_f[m] * out_rate[i]
                if lam <= 0.0 or new[i, c] <= 0:
                    continue
                n = rng.binomial(new[i, c], min(lam * tau, 1.0))
                if n == 0:
                    continue
                new[i, c] -= n
                fired += n
                prev = 0.0
                rem = n
                for q in range(mv_ptr[i], mv_ptr[i + 1]):
                    j = mv_idx[q]
                    if q == mv_ptr[i + 1] - 1:
                        d = rem
                    else:
                        pq = (mv_cum[q] - prev) / (1.0 - prev) if prev < 1.0 else 1.0
                        d = rng.binomial(rem, min(max(pq, 0.0), 1.0))
                    moved[j, c] += d
                    rem -= d
                    prev = mv_cum[q]
                    if rem == 0:
                        break
        t_end = t + tau
        while k < nt and times[k] < t_end:
            out[k] = X
            k += 1
        for c in range(C):
            totals[c] = 0
        for i in range(P):
            for c in range(C):
                X[i, c] = new[i, c] + moved[i, c]
                moved[i, c] = 0
                totals[c] += X[i, c]
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
