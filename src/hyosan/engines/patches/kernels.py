"""Numba source of the patches engine, compiled together with the model's generated ``prates``.

``patch_ssa`` is the next-subvolume method (Elf & Ehrenberg 2004): every patch holds the time of its
next event; the earliest patch fires one of its channels (the model's transitions, or a hop of a
mobile compartment, chosen in proportion to their rates) and only the patches whose rates changed —
the patch itself, a hop's destination and, with mixing, the patches that mix with them — get a new
time: the fired patch draws a fresh exponential, the others rescale their pending wait by old/new
rate (Gibson & Bruck 2000; exact, as waiting times are memoryless), which saves a draw.
The times sit in a calendar queue (Brown 1988): bucket ``floor(time / w)`` of a ring of at least P
buckets (int32 heads), each a doubly linked list, so an update is O(1) and finding the earliest
scans the current bucket; a patch's entry is two short rows (``qf``: time, rate; ``qi``: bucket,
next, previous), so an update touches few cache lines. ``w`` is ``BUCKET`` / (sum of the patches'
rates), about two events per bucket; when the rates drift by 2x or buckets run empty the queue is
rebuilt with a new ``w`` (O(P), at most once every max(P, 4096) events). Bucket numbers are
monotone in time, so the earliest patch is found exactly: the queue never changes which patch
fires, only what it costs to find it (measured: 60 -> 41 ns per queue update at 10^4 patches
against the former 4-ary heap's O(log P)). A hop's destination is drawn by binary search in the
cumulative row of ``movement``.
``patch_tau`` lives in :mod:`hyosan.engines.patches.leap`.
``patch_rhs`` evaluates the model's rates of every patch for the mean field.

The helpers are compiled with Numba's ``_nrt=False``: they allocate nothing, and without it every
call increfs and decrefs each array argument atomically, which cost more than the event itself
(measured: 3.4 M events/s of CPU on one patch with reference counting, 8 M without). So is the
event loop itself (``_ssa_loop``; ``patch_ssa`` only allocates its work arrays): with reference
counting left in the loop a hop cost 50 % more (3.3 against 5.1 M hops/s on 3,025 patches).

Statuses as :mod:`hyosan.engines.kernel_source`: 0 ok, 1 absorbed, 2 bad rate, 3 too many, 6 triggered.
"""

KERNELS = """
BUCKET = 2.0


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _qout(i, qi, head, mask):
    a = qi[i, 0]
    if a < 0:
        return
    n = qi[i, 1]
    p = qi[i, 2]
    if p >= 0:
        qi[p, 1] = n
    else:
        head[a & mask] = n
    if n >= 0:
        qi[n, 2] = p
    qi[i, 0] = -1


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _qin(i, key, qf, qi, head, mask, inv_w):
    qf[i, 0] = key
    if not (key < INF):
        qi[i, 0] = -1
        return
    x = key * inv_w
    a = np.int64(x) if x < 4.0e18 else np.int64(4000000000000000000)
    b = a & mask
    h = head[b]
    qi[i, 0] = a
    qi[i, 1] = h
    qi[i, 2] = -1
    if h >= 0:
        qi[h, 2] = i
    head[b] = i


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _qmin(cur, qf, qi, head, mask):
    steps = 0
    while True:
        j = head[cur & mask]
        best = -1
        bv = INF
        while j >= 0:
            if qi[j, 0] == cur and qf[j, 0] < bv:
                bv = qf[j, 0]
                best = j
            j = qi[j, 1]
        if best >= 0:
            return best, cur, steps
        cur += 1
        steps += 1
        if steps > mask:
            for q in range(qf.shape[0]):
                if qi[q, 0] >= 0 and qf[q, 0] < bv:
                    bv = qf[q, 0]
                    best = q
            if best < 0:
                return -1, cur, steps
            cur = qi[best, 0]


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _qbuild(t, rt, W, qf, qi, head, mask):
    s = 0.0
    for i in range(qf.shape[0]):
        v = rt[i, W]
        if v > 0.0 and v < INF:
            s += v
    inv_w = s / BUCKET if s > 0.0 else 1.0
    for b in range(head.shape[0]):
        head[b] = -1
    for i in range(qf.shape[0]):
        _qin(i, qf[i, 0], qf, qi, head, mask, inv_w)
    x = t * inv_w
    return inv_w, (np.int64(x) if x < 4.0e18 else np.int64(4000000000000000000))


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _snap(out, k, X):
    for a in range(X.shape[0]):
        for c in range(X.shape[1]):
            out[k, a, c] = X[a, c]


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _qdrift(rt, W, inv_w):
    s = 0.0
    for i in range(rt.shape[0]):
        v = rt[i, W]
        if v > 0.0 and v < INF:
            s += v
    return not (0.5 * inv_w <= s / BUCKET <= 2.0 * inv_w)


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
    qf = np.empty((P, 2))
    qi = np.full((P, 3), -1, dtype=np.int64)
    nb = 2
    while nb < P:
        nb *= 2
    head = np.empty(nb, dtype=np.int32)
    mask = nb - 1
    tf = np.empty(C)
    most = 2
    for i in range(P):
        most = max(most, 2 * (mc_ptr[i + 1] - mc_ptr[i]) + 2) if mixed else most
    stack = np.empty(most, dtype=np.int64)
    return _ssa_loop(rng, X, E, Ne, Pm, p0, t, t_stop, times, k, out, totals, S, popmask,
                     mv_ptr, mv_idx, mv_cum, out_rate, mob_c, mob_f, mixed, mx_ptr, mx_idx, mx_val, mc_ptr, mc_idx,
                     arr_c, first, fallmask, fall_lvl, fall, act, max_fired,
                     rt, qf, qi, head, tf, stack)


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)
def _ssa_loop(rng, X, E, Ne, Pm, p0, t, t_stop, times, k, out, totals, S, popmask,
              mv_ptr, mv_idx, mv_cum, out_rate, mob_c, mob_f, mixed, mx_ptr, mx_idx, mx_val, mc_ptr, mc_idx,
              arr_c, first, fallmask, fall_lvl, fall, act, max_fired,
              rt, qf, qi, head, tf, stack):
    P, C = X.shape
    R = S.shape[0]
    M = mob_c.shape[0]
    nt = times.shape[0]
    W = R + M
    mask = head.shape[0] - 1
    has_trig = act.shape[0] > 0
    for i in range(P):
        if mixed:
            _effective(i, X, E, Ne, popmask, mixed, mx_ptr, mx_idx, mx_val)
    for i in range(P):
        bad = _rates_of(i, t, X, E, Ne, Pm, rt, R, out_rate, mob_c, mob_f, mixed)
        if bad >= 0:
            return 2, t, k, 0, bad, i
        qf[i, 0] = t + rng.standard_exponential() / rt[i, W] if rt[i, W] > 0.0 else INF
        qf[i, 1] = rt[i, W]
    inv_w, cur = _qbuild(t, rt, W, qf, qi, head, mask)
    check = max(P, 4096)
    work = 0
    since = 0
    fired = 0
    while True:
        i, cur, steps = _qmin(cur, qf, qi, head, mask)
        tn = qf[i, 0] if i >= 0 else INF
        work += steps
        since += 1
        if since >= check:
            if work > 4 * since or _qdrift(rt, W, inv_w):
                inv_w, cur = _qbuild(t, rt, W, qf, qi, head, mask)
            work = 0
            since = 0
        if tn >= t_stop:
            while k < nt and times[k] < t_stop:
                _snap(out, k, X)
                k += 1
            if tn == INF:
                return 1, t, k, fired, -1, -1
            return 0, t_stop, k, fired, -1, -1
        if fired >= max_fired:
            return 3, t, k, fired, -1, -1
        while k < nt and times[k] < tn:
            _snap(out, k, X)
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
            r = rt[kk, W]
            if not (r > 0.0):
                key = INF
            elif kk != i and qi[kk, 0] >= 0:
                key = t + (qf[kk, 0] - t) * (qf[kk, 1] / r)
            else:
                key = t + rng.standard_exponential() / r
            qf[kk, 1] = r
            _qout(kk, qi, head, mask)
            _qin(kk, key, qf, qi, head, mask, inv_w)
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
