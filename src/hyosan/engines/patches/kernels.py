"""Numba source of the patches engine, compiled together with the model's generated ``prates``.

``patch_ssa`` is the next-subvolume method (Elf & Ehrenberg 2004): every patch holds the time of its
next event in an indexed 4-ary heap (keys kept in the heap: the children share a cache line); the
earliest patch fires one of its channels (the model's transitions, or a hop of a mobile compartment,
chosen in proportion to their rates) and only the patches whose rates changed — the patch itself, a
hop's destination and, with mixing, the patches that mix with them — draw a new exponential time
(exact, as waiting times are memoryless), each an O(log P) heap update. A hop's destination is drawn
by binary search in the cumulative row of ``movement``. ``patch_tau`` lives in :mod:`hyosan.engines.patches.leap`.
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
