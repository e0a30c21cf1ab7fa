"""Numba source of the patches engine, compiled together with the model's generated ``prates``.

``patch_ssa`` is the next-subvolume method (Elf & Ehrenberg 2004): every patch holds the time of its
next event in an indexed 4-ary heap (keys kept in the heap: the children share a cache line); the
earliest patch fires one of its channels (the model's transitions, or a hop of a mobile compartment,
chosen in proportion to their rates) and only the patches whose rates changed — the patch itself, a
hop's destination and, with mixing, the patches that mix with them — draw a new exponential time
(exact, as waiting times are memoryless), each an O(log P) heap update. A hop's destination is drawn
by binary search in the cumulative row of ``movement``. ``patch_tau`` leaps every patch by one step
chosen by the Cao–Gillespie–Petzold bound over the reactions of all patches; a leap that would make a
count negative is halved and redrawn. Movement is split off (Lie splitting: reactions, then hops):
after the reactions of a leap of length τ each person of a mobile compartment leaves with probability
``rate·τ`` (binomial per patch and compartment, split multinomially over destinations), with the leap
also bounded by ``rate·τ ≤ 1/2`` — not by ε: a walker's Euler step ``I + Qτ`` keeps the walk's
stationary law exactly, where ``1 − exp(−rate·τ)`` (one hop at most) would pile walkers onto
well-connected patches by O(rate·τ). People are conserved exactly. The error is first order in τ:
during a leap movers react where they started and arrive for the next leap.
``patch_rhs`` evaluates the model's rates of every patch for the mean field.

The helpers are compiled with Numba's ``_nrt=False``: they allocate nothing, and without it every
call increfs and decrefs each array argument atomically, which cost more than the event itself
(measured: 3.4 M events/s of CPU on one patch with reference counting, 8 M without).

Statuses as :mod:`hyosan.engines.kernel_source`: 0 ok, 1 absorbed, 2 bad rate, 3 too many, 6 triggered.
"""

KERNELS = """
@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _down(hk, hp, pos, k):
    n = hk.shape[0]
    kv = hk[k]
    i = hp[k]
    while True:
        c = 4 * k + 1
        if c >= n:
            break
        best = c
        bv = hk[c]
        for q in range(c + 1, min(c + 4, n)):
            if hk[q] < bv:
                bv = hk[q]
                best = q
        if bv >= kv:
            break
        hk[k] = bv
        hp[k] = hp[best]
        pos[hp[k]] = k
        k = best
    hk[k] = kv
    hp[k] = i
    pos[i] = k


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _set(hk, hp, pos, i, key):
    k = pos[i]
    old = hk[k]
    hk[k] = key
    if key >= old:
        _down(hk, hp, pos, k)
        return
    while k > 0:
        parent = (k - 1) >> 2
        if hk[parent] <= key:
            break
        hk[k] = hk[parent]
        hp[k] = hp[parent]
        pos[hp[k]] = k
        k = parent
    hk[k] = key
    hp[k] = i
    pos[i] = k


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _effective(i, X, E, Ne, popmask, mixed, mx_ptr, mx_idx, mx_val):
    C = X.shape[1]
    if not mixed:
        n = 0.0
        for c in range(C):
            E[i, c] = float(X[i, c])
            if popmask[c]:
                n += float(X[i, c])
        Ne[i] = n
        return
    for c in range(C):
        E[i, c] = 0.0
    n = 0.0
    for q in range(mx_ptr[i], mx_ptr[i + 1]):
        j = mx_idx[q]
        w = mx_val[q]
        for c in range(C):
            E[i, c] += w * X[j, c]
            if popmask[c]:
                n += w * X[j, c]
    Ne[i] = n


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _rates_of(i, t, X, E, Ne, Pm, rt, R, out_rate, mob_c, mob_f, mixed):
    if mixed:
        prates(t, X, E, Ne, Pm, rt, i)
    else:
        plocal(t, X, Pm, rt, i)
    s = 0.0
    bad = -1
    for r in range(R):
        v = rt[i, r]
        if not (v >= 0.0 and v < INF):
            bad = r
        s += v
    for m in range(mob_c.shape[0]):
        v = X[i, mob_c[m]] * mob_f[m] * out_rate[i]
        rt[i, R + m] = v
        s += v
    rt[i, R + mob_c.shape[0]] = s
    return bad


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _touch(i, t, X, E, Ne, Pm, rt, R, out_rate, mob_c, mob_f, popmask,
           mixed, mx_ptr, mx_idx, mx_val, mc_ptr, mc_idx, stack, ns):
    if mixed:
        for q in range(mc_ptr[i], mc_ptr[i + 1]):
            kk = mc_idx[q]
            _effective(kk, X, E, Ne, popmask, mixed, mx_ptr, mx_idx, mx_val)
            bad = _rates_of(kk, t, X, E, Ne, Pm, rt, R, out_rate, mob_c, mob_f, mixed)
            stack[ns] = kk
            ns += 1
            if bad >= 0:
                return bad, kk, ns
    bad = _rates_of(i, t, X, E, Ne, Pm, rt, R, out_rate, mob_c, mob_f, mixed)
    stack[ns] = i
    ns += 1
    return bad, i, ns


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _marks(i, t, X, arr_c, first, fallmask, fall_lvl, fall):
    if arr_c >= 0 and first[i] != first[i] and X[i, arr_c] > 0:
        first[i] = t
    if fall[i] != fall[i]:
        s = 0.0
        for c in range(X.shape[1]):
            if fallmask[c]:
                s += X[i, c]
        if s < fall_lvl[i]:
            fall[i] = t


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _dest(rng, i, mv_ptr, mv_idx, mv_cum):
    lo = mv_ptr[i]
    hi = mv_ptr[i + 1] - 1
    u = rng.random()
    while lo < hi:
        mid = (lo + hi) >> 1
        if mv_cum[mid] > u:
            hi = mid
        else:
            lo = mid + 1
    return mv_idx[lo]


@njit(cache=True, error_model="numpy", nogil=True)
def patch_ssa(rng, X, E, Ne, Pm, p0, t, t_stop, times, k, out, totals, S, popmask,
              mv_ptr, mv_idx, mv_cum, out_rate, mob_c, mob_f, mixed, mx_ptr, mx_idx, mx_val, mc_ptr, mc_idx,
              arr_c, first, fallmask, fall_lvl, fall, act, max_fired):
    P, C = X.shape
    R = S.shape[0]
    M = mob_c.shape[0]
    nt = times.shape[0]
    W = R + M
    rt = np.empty((P, W + 1))
    hk = np.empty(P)
    hp = np.arange(P)
    pos = np.arange(P)
    tf = np.empty(C)
    most = 2
    for i in range(P):
        most = max(most, 2 * (mc_ptr[i + 1] - mc_ptr[i]) + 2) if mixed else most
    stack = np.empty(most, dtype=np.int64)
    has_trig = act.shape[0] > 0
    for i in range(P):
        if mixed:
            _effective(i, X, E, Ne, popmask, mixed, mx_ptr, mx_idx, mx_val)
    for i in range(P):
        bad = _rates_of(i, t, X, E, Ne, Pm, rt, R, out_rate, mob_c, mob_f, mixed)
        if bad >= 0:
            return 2, t, k, 0, bad, i
        hk[i] = t + rng.standard_exponential() / rt[i, W] if rt[i, W] > 0.0 else INF
    for q in range((P - 2) // 4, -1, -1):
        _down(hk, hp, pos, q)
    fired = 0
    while True:
        i = hp[0]
        tn = hk[0]
        if tn >= t_stop:
            while k < nt and times[k] < t_stop:
                out[k] = X
                k += 1
            if tn == INF:
                return 1, t, k, fired, -1, -1
            return 0, t_stop, k, fired, -1, -1
        if fired >= max_fired:
            return 3, t, k, fired, -1, -1
        while k < nt and times[k] < tn:
            out[k] = X
            k += 1
        t = tn
        u = rng.random() * rt[i, W]
        ch = -1
        acc = 0.0
        last = -1
        for r in range(R):
            if rt[i, r] > 0.0:
                last = r
                acc += rt[i, r]
                if u < acc:
                    ch = r
                    break
        if ch < 0:
            for m in range(M):
                if rt[i, R + m] > 0.0:
                    last = R + m
                    acc += rt[i, R + m]
                    if u < acc:
                        ch = R + m
                        break
        if ch < 0:
            ch = last
        if ch < R:
            neg = False
            for c in range(C):
                X[i, c] += S[ch, c]
                totals[c] += S[ch, c]
                if X[i, c] < 0:
                    neg = True
            if neg:
                for c in range(C):
                    X[i, c] -= S[ch, c]
                    totals[c] -= S[ch, c]
                return 2, t, k, fired, ch, i
            bad, where, ns = _touch(i, t, X, E, Ne, Pm, rt, R, out_rate, mob_c, mob_f, popmask,
                                    mixed, mx_ptr, mx_idx, mx_val, mc_ptr, mc_idx, stack, 0)
            _marks(i, t, X, arr_c, first, fallmask, fall_lvl, fall)
        else:
            c = mob_c[ch - R]
            j = _dest(rng, i, mv_ptr, mv_idx, mv_cum)
            X[i, c] -= 1
            X[j, c] += 1
            bad, where, ns = _touch(i, t, X, E, Ne, Pm, rt, R, out_rate, mob_c, mob_f, popmask,
                                    mixed, mx_ptr, mx_idx, mx_val, mc_ptr, mc_idx, stack, 0)
            if bad < 0:
                bad, where, ns = _touch(j, t, X, E, Ne, Pm, rt, R, out_rate, mob_c, mob_f, popmask,
                                        mixed, mx_ptr, mx_idx, mx_val, mc_ptr, mc_idx, stack, ns)
            _marks(i, t, X, arr_c, first, fallmask, fall_lvl, fall)
            _marks(j, t, X, arr_c, first, fallmask, fall_lvl, fall)
        for q in range(ns):
            kk = stack[q]
            _set(hk, hp, pos, kk, t + rng.standard_exponential() / rt[kk, W] if rt[kk, W] > 0.0 else INF)
        fired += 1
        if bad >= 0:
            return 2, t, k, fired, bad, where
        if has_trig:
            for c in range(C):
                tf[c] = float(totals[c])
            e = tmargins(t, tf, p0, act)
            if e >= 0:
                return 6, t, k, fired, e, -1


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


@njit(cache=True, error_model="numpy", nogil=True)
def patch_rhs(t, X, E, Ne, Pm, S, a, dX):
    P, C = X.shape
    R = S.shape[0]
    for i in range(P):
        prates(t, X, E, Ne, Pm, a, i)
        for c in range(C):
            dX[i, c] = 0.0
        for r in range(R):
            v = a[i, r]
            if v != 0.0:
                for c in range(C):
                    dX[i, c] += S[r, c] * v
    return dX
"""
