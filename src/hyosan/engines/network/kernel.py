"""The exact event-driven kernel: next-reaction with one binary heap and lazy deletion, in Numba.

Every node keeps a *stamp*, the number of times it changed state. A node in a state with node
transitions holds one pending event at ``t + Exp(total rate)`` (which one fires is chosen when it
fires, by the rates). Every edge whose two ends are a target and a source of some pair transition
holds one pending event at ``t + Exp(per-edge rate × weight)``, drawn when either end last changed.
An event is valid only while the stamps it was drawn with are current, so a state change cancels
every clock it touches without searching the heap: by memorylessness, redrawing the clocks of a
changed node's edges and discarding the stale ones is the exact continuous-time Markov chain. An
edge clock later than either end's own next node event is never pushed (that end will change
first and cancel it), so a node keeps only the transmissions it can still make (Holme 2014).
"""

from __future__ import annotations

import numba
import numpy as np

OK, TOO_MANY = 0, 1


@numba.njit(cache=True)
def _push(ht, ha, hb, size, t, a, b):  # pragma: no cover - compiled
    """Add (t, a, b) to the 4-ary min-heap of times ``ht``; returns the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if ht[parent] <= t:
            break
        ht[i], ha[i], hb[i] = ht[parent], ha[parent], hb[parent]
        i = parent
    ht[i], ha[i], hb[i] = t, a, b
    return size + 1


@numba.njit(cache=True)
def _pop(ht, ha, hb, size):  # pragma: no cover - compiled
    """Remove the root (the caller read it); returns the new size."""
    size -= 1
    t, a, b = ht[size], ha[size], hb[size]
    i = 0
    while True:
        c = 4 * i + 1
        if c >= size:
            break
        best = c
        last = min(c + 4, size)
        for d in range(c + 1, last):
            if ht[d] < ht[best]:
                best = d
        if ht[best] >= t:
            break
        ht[i], ha[i], hb[i] = ht[best], ha[best], hb[best]
        i = best
    ht[i], ha[i], hb[i] = t, a, b
    return size


@numba.njit(cache=True)
def _wait(rng, period, x, total):  # pragma: no cover - compiled
    """Time to state x's next node event: Exp(total), or its period law (periods.FIXED, GAMMA, LOGNORMAL)."""
    law = period[x, 0]
    if law == 1.0:
        return period[x, 1]
    if law == 2.0:
        return rng.gamma(period[x, 1], period[x, 2])
    if law == 3.0:
        return rng.lognormal(period[x, 1], period[x, 2])
    return rng.exponential() / total


@numba.njit(cache=True)
def _grow2(a):  # pragma: no cover - compiled
    b = np.empty((2 * a.shape[0], a.shape[1]), dtype=a.dtype)
    b[: a.shape[0]] = a
    return b


@numba.njit(inline="always")
def _key(node, stamp):  # pragma: no cover - compiled
    """A node (-1 for none) and its stamp packed into one int64."""
    return (np.int64(node + 1) << 32) | np.int64(stamp)


@numba.njit(cache=True)
def _grow(a):  # pragma: no cover - compiled
    b = np.empty(2 * len(a), dtype=a.dtype)
    b[: len(a)] = a
    return b


def simulate(*args: object) -> tuple:
    """Run one segment on the node-keyed kernel of :mod:`~hyosan.engines.network.frontier` when the
    model meets its condition (faster, the same process), else on :func:`general`."""
    from hyosan.budget import require_memory
    from hyosan.engines.network import frontier

    n = len(args[1]) - 1  # indptr
    if frontier.applies(args[15].sum(axis=2), n):  # pair_rate
        require_memory(48 * n, f"network: node rows and event queue for {n:,} nodes", "use a smaller graph")
        return frontier.simulate(*args)
    return general(*args)


@numba.njit(cache=True)
def general(
    rng,
    indptr,
    indices,
    weights,
    weighted,
    ss,
    t_node,
    first,
    t0,
    t_stop,
    node_count,
    node_dest,
    node_rate,
    pair_count,
    pair_dest,
    pair_rate,
    period,
    infected,
    times,
    out,
    k,
    fired,
    max_events,
    heap_size,
    last,
    log_t,
    log_i,
    nlog,
    logging,
):  # pragma: no cover - compiled
    """Run one segment, from ``t0`` to ``t_stop``, on one graph; ``ss`` ((stamp << 16) | state per node)
    and ``t_node`` (each node's next node event) carry over between segments (``first``: 1 draws every
    node clock now, 2 redraws those of exponential law after the rates changed, 0 keeps them). Edge
    clocks are drawn afresh for the segment's graph (memoryless, so exact).

    Returns (status, t of the last event or -1, events fired so far, t when the infected last became
    empty or -1, largest heap, whether a clock beyond ``t_stop`` was dropped, next report index).
    ``out[k]`` gets the counts per state at ``times[k]`` (events at or before it); ``last`` fills the
    report times left at the end. With ``logging``, every state change is appended at ``nlog`` to
    ``log_t`` (time) and ``log_i`` (node, from, to, the neighbour that caused it or -1), grown as
    needed; then the arrays and the new ``nlog`` are returned last.
    """
    n = len(indptr) - 1
    nc = len(node_count)
    node_total = np.zeros(nc)
    for x in range(nc):
        for i in range(node_count[x]):
            node_total[x] += node_rate[x, i]
    pair_total = np.zeros((nc, nc))
    for x in range(nc):
        for y in range(nc):
            for i in range(pair_count[x, y]):
                pair_total[x, y] += pair_rate[x, y, i]
    paired = np.zeros(nc, dtype=np.bool_)  # the state takes part in some pair transition
    for x in range(nc):
        for y in range(nc):
            if pair_total[x, y] > 0.0:
                paired[x] = True
                paired[y] = True
    counts = np.zeros(nc, dtype=np.int64)
    for u in range(n):
        counts[ss[u] & 0xFFFF] += 1
    n_inf = 0
    for x in range(nc):
        if infected[x]:
            n_inf += counts[x]
    cap = max(heap_size, 1024)
    ht = np.empty(cap)
    ha = np.empty(cap, dtype=np.int64)
    hb = np.empty(cap, dtype=np.int64)
    size = 0
    most = 0
    t_end = t_stop
    cut = False
    for u in range(n):
        x = ss[u] & 0xFFFF
        r = node_total[x]
        if first == 1 or (first == 2 and period[x, 0] == 0.0):
            t_node[u] = t0 + _wait(rng, period, x, r) if r > 0.0 else np.inf
        if t_node[u] < np.inf:
            if t_node[u] > t_end:
                cut = True
                continue
            if size == len(ht):
                ht, ha, hb = _grow(ht), _grow(ha), _grow(hb)
            size = _push(ht, ha, hb, size, t_node[u], _key(u, (ss[u] >> 16) & 0xFFFFFFFF), _key(-1, 0))
    for u in range(n):
        su = ss[u] & 0xFFFF
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            r = pair_total[su, ss[v] & 0xFFFF]
            if r > 0.0:
                if weighted:
                    r *= weights[e]
                    if r <= 0.0:
                        continue
                te = t0 + rng.exponential() / r
                if te < t_node[u] and te < t_node[v]:
                    if te > t_end:
                        cut = True
                        continue
                    if size == len(ht):
                        ht, ha, hb = _grow(ht), _grow(ha), _grow(hb)
                    size = _push(
                        ht, ha, hb, size, te, _key(u, (ss[u] >> 16) & 0xFFFFFFFF), _key(v, (ss[v] >> 16) & 0xFFFFFFFF)
                    )
    t = -1.0
    t_zero = -1.0
    while size > 0:
        most = max(most, size)
        te = ht[0]
        ka, kb = ha[0], hb[0]
        size = _pop(ht, ha, hb, size)
        u, su = (ka >> 32) - 1, ka & 0xFFFFFFFF
        v, sv = (kb >> 32) - 1, kb & 0xFFFFFFFF
        if (ss[u] >> 16) & 0xFFFFFFFF != su or (v >= 0 and (ss[v] >> 16) & 0xFFFFFFFF != sv):
            continue
        if fired >= max_events:
            return TOO_MANY, t, fired, t_zero, most, cut, k, log_t, log_i, nlog
        while k < len(times) and times[k] < te:
            out[k, :] = counts
            k += 1
        t = te
        x = ss[u] & 0xFFFF
        if v < 0:
            pick = rng.random() * node_total[x]
            i = 0
            while i < node_count[x] - 1 and pick >= node_rate[x, i]:
                pick -= node_rate[x, i]
                i += 1
            y = node_dest[x, i]
        else:
            sx = ss[v] & 0xFFFF
            pick = rng.random() * pair_total[x, sx]
            i = 0
            while i < pair_count[x, sx] - 1 and pick >= pair_rate[x, sx, i]:
                pick -= pair_rate[x, sx, i]
                i += 1
            y = pair_dest[x, sx, i]
        fired += 1
        if logging:
            if nlog == len(log_t):
                log_t, log_i = _grow(log_t), _grow2(log_i)
            log_t[nlog] = t
            log_i[nlog, 0], log_i[nlog, 1], log_i[nlog, 2], log_i[nlog, 3] = u, x, y, v
            nlog += 1
        ss[u] = (((ss[u] >> 16) + 1) << 16) | y
        counts[x] -= 1
        counts[y] += 1
        if infected[x] != infected[y]:
            n_inf += 1 if infected[y] else -1
            if n_inf == 0:
                t_zero = t
        key_u = _key(u, (ss[u] >> 16) & 0xFFFFFFFF)
        r = node_total[y]
        tu = t + _wait(rng, period, y, r) if r > 0.0 else np.inf
        t_node[u] = tu
        if tu < np.inf:
            if tu > t_end:
                cut = True
            else:
                if size == len(ht):
                    ht, ha, hb = _grow(ht), _grow(ha), _grow(hb)
                size = _push(ht, ha, hb, size, tu, key_u, _key(-1, 0))
        if not paired[y]:
            continue  # u's edges are all idle now; the clocks it held are stale by its new stamp
        for e in range(indptr[u], indptr[u + 1]):
            w = indices[e]
            sw = ss[w]
            r_in = pair_total[y, sw & 0xFFFF]  # u the target, w the source
            r_out = pair_total[sw & 0xFFFF, y]  # w the target, u the source
            if r_in == 0.0 and r_out == 0.0:
                continue
            scale = weights[e] if weighted else 1.0
            key_w = _key(w, (sw >> 16) & 0xFFFFFFFF)
            if r_in * scale > 0.0:
                te = t + rng.exponential() / (r_in * scale)
                if te < tu and te < t_node[w]:
                    if te > t_end:
                        cut = True
                    else:
                        if size == len(ht):
                            ht, ha, hb = _grow(ht), _grow(ha), _grow(hb)
                        size = _push(ht, ha, hb, size, te, key_u, key_w)
            if r_out * scale > 0.0:
                te = t + rng.exponential() / (r_out * scale)
                # the target's own next change is not looked up: a clock it outlives is discarded by its stamp
                if te < tu:
                    if te > t_end:
                        cut = True
                    else:
                        if size == len(ht):
                            ht, ha, hb = _grow(ht), _grow(ha), _grow(hb)
                        size = _push(ht, ha, hb, size, te, key_w, key_u)
    while last and k < len(times):
        out[k, :] = counts
        k += 1
    return OK, t, fired, t_zero, most, cut, k, log_t, log_i, nlog


@numba.njit(cache=True)
def active(indptr, indices, weights, weighted, state, node_total, pair_total):  # pragma: no cover - compiled
    """Whether any transition can still fire from ``state`` (a positive node or edge rate)."""
    n = len(indptr) - 1
    target = np.zeros(len(node_total), dtype=np.bool_)
    for x in range(len(node_total)):
        target[x] = np.any(pair_total[x] > 0.0)
    for u in range(n):
        if node_total[state[u]] > 0.0:
            return True
        if not target[state[u]]:
            continue
        for e in range(indptr[u], indptr[u + 1]):
            if pair_total[state[u], state[indices[e]]] > 0.0 and (not weighted or weights[e] > 0.0):
                return True
    return False
