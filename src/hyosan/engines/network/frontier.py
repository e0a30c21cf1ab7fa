"""The node-keyed kernel: one pending event per node, for models whose pair transitions cannot be undone.

It applies when no state is both the *target* of a pair transition (the state that changes) and the
*source* of one (the state that causes it), as in SIR, SEIR and SIS (:func:`applies`). Then a
source node leaves its state only by its own node clock, drawn when it entered the state, so an
edge clock earlier than that clock is certain to fire unless its target changes first: nothing
can cancel it. Each node therefore keeps only its earliest pending event, ``t_next[u]`` (its own
clock or the first of its incoming edge clocks, with who causes it), and an edge clock not earlier
than that is never stored (the target changes first and redraws its clocks; exact by the
memorylessness of the edge clocks). This is the structure of EoN's ``fast_SIR`` and of Holme's
(2014) and NEXT-Net's node-centric queues, for any model meeting the condition: the same Markov
chain as :mod:`hyosan.engines.network.kernel` (a test compares the two by chi-square), with a heap
of O(frontier) entries, a compact ``uint16`` state and no scan of the idle edges at the start.
The arguments and results are those of :func:`hyosan.engines.network.kernel.simulate`.
"""

from __future__ import annotations

import numba
import numpy as np

from hyosan.engines.network.kernel import OK, TOO_MANY, _grow, _grow2, _wait


def applies(pair_total: np.ndarray) -> bool:
    """Whether no state is both changed by a pair transition and the cause of one (see the module)."""
    positive = np.asarray(pair_total) > 0.0
    return not bool(np.any(positive.any(axis=1) & positive.any(axis=0)))


@numba.njit(cache=True)
def _push(ht, hk, size, t, key):  # pragma: no cover - compiled
    """Add (t, key) to the 4-ary min-heap of times ``ht``; returns the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if ht[parent] <= t:
            break
        ht[i], hk[i] = ht[parent], hk[parent]
        i = parent
    ht[i], hk[i] = t, key
    return size + 1


@numba.njit(cache=True)
def _pop(ht, hk, size):  # pragma: no cover - compiled
    """Remove the root (the caller read it); returns the new size."""
    size -= 1
    t, key = ht[size], hk[size]
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
        ht[i], hk[i] = ht[best], hk[best]
        i = best
    ht[i], hk[i] = t, key
    return size


@numba.njit(cache=True)
def simulate(
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
    """Run one segment from ``t0`` to ``t_stop`` (see :func:`hyosan.engines.network.kernel.simulate`);
    a heap entry is (time, (node << 32) | (cause + 1)), valid while the time is the node's ``t_next``."""
    n = len(indptr) - 1
    nc = len(node_count)
    node_total = np.zeros(nc)
    for x in range(nc):
        for i in range(node_count[x]):
            node_total[x] += node_rate[x, i]
    pair_total = np.zeros((nc, nc))
    is_target = np.zeros(nc, dtype=np.bool_)
    is_source = np.zeros(nc, dtype=np.bool_)
    for x in range(nc):
        for y in range(nc):
            for i in range(pair_count[x, y]):
                pair_total[x, y] += pair_rate[x, y, i]
            if pair_total[x, y] > 0.0:
                is_target[x] = True
                is_source[y] = True
    state = np.empty(n, dtype=np.uint16)
    counts = np.zeros(nc, dtype=np.int64)
    for u in range(n):
        state[u] = ss[u] & 0xFFFF
        counts[state[u]] += 1
    n_inf = 0
    for x in range(nc):
        if infected[x]:
            n_inf += counts[x]
    cap = max(heap_size, 1024)
    ht = np.empty(cap)
    hk = np.empty(cap, dtype=np.int64)
    size = 0
    most = 0
    t_end = t_stop
    cut = False
    t_next = np.empty(n)
    for u in range(n):
        x = state[u]
        r = node_total[x]
        if first == 1 or (first == 2 and period[x, 0] == 0.0):
            t_node[u] = t0 + _wait(rng, period, x, r) if r > 0.0 else np.inf
        t_next[u] = t_node[u]
    for u in range(n):
        su = state[u]
        if not is_source[su]:
            continue
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            r = pair_total[state[v], su]
            if r > 0.0:
                if weighted:
                    r *= weights[e]
                    if r <= 0.0:
                        continue
                te = t0 + rng.exponential() / r
                if te < t_node[u] and te < t_next[v]:
                    t_next[v] = te
                    if te > t_end:
                        cut = True
                    else:
                        if size == len(ht):
                            ht, hk = _grow(ht), _grow(hk)
                        size = _push(ht, hk, size, te, (np.int64(v) << 32) | np.int64(u + 1))
    for u in range(n):
        if t_node[u] < np.inf and t_next[u] == t_node[u]:
            if t_node[u] > t_end:
                cut = True
                continue
            if size == len(ht):
                ht, hk = _grow(ht), _grow(hk)
            size = _push(ht, hk, size, t_node[u], np.int64(u) << 32)
    t = -1.0
    t_zero = -1.0
    while size > 0:
        most = max(most, size)
        te = ht[0]
        key = hk[0]
        size = _pop(ht, hk, size)
        u = np.int64(key >> 32)
        v = np.int64(key & 0xFFFFFFFF) - 1
        if t_next[u] != te:
            continue
        if fired >= max_events:
            for w in range(n):
                ss[w] = state[w]
            return TOO_MANY, t, fired, t_zero, most, cut, k, log_t, log_i, nlog
        while k < len(times) and times[k] < te:
            out[k, :] = counts
            k += 1
        t = te
        x = np.int64(state[u])
        if v < 0:
            pick = rng.random() * node_total[x]
            i = 0
            while i < node_count[x] - 1 and pick >= node_rate[x, i]:
                pick -= node_rate[x, i]
                i += 1
            y = node_dest[x, i]
        else:
            sx = np.int64(state[v])
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
        state[u] = y
        counts[x] -= 1
        counts[y] += 1
        if infected[x] != infected[y]:
            n_inf += 1 if infected[y] else -1
            if n_inf == 0:
                t_zero = t
        r = node_total[y]
        tu = t + _wait(rng, period, y, r) if r > 0.0 else np.inf
        t_node[u] = tu
        best, by = tu, np.int64(-1)
        if is_target[y]:
            for e in range(indptr[u], indptr[u + 1]):
                w = indices[e]
                r = pair_total[y, state[w]]
                if r > 0.0:
                    if weighted:
                        r *= weights[e]
                        if r <= 0.0:
                            continue
                    te = t + rng.exponential() / r
                    if te < best and te < t_next[w]:  # a source's t_next is its own clock
                        best, by = te, np.int64(w)
        t_next[u] = best
        if best < np.inf:
            if best > t_end:
                cut = True
            else:
                if size == len(ht):
                    ht, hk = _grow(ht), _grow(hk)
                size = _push(ht, hk, size, best, (np.int64(u) << 32) | (by + 1))
        if is_source[y]:
            for e in range(indptr[u], indptr[u + 1]):
                w = indices[e]
                r = pair_total[state[w], y]
                if r > 0.0:
                    if weighted:
                        r *= weights[e]
                        if r <= 0.0:
                            continue
                    te = t + rng.exponential() / r
                    if te < tu and te < t_next[w]:
                        t_next[w] = te
                        if te > t_end:
                            cut = True
                        else:
                            if size == len(ht):
                                ht, hk = _grow(ht), _grow(hk)
                            size = _push(ht, hk, size, te, (np.int64(w) << 32) | np.int64(u + 1))
    for u in range(n):
        ss[u] = state[u]
    while last and k < len(times):
        out[k, :] = counts
        k += 1
    return OK, t, fired, t_zero, most, cut, k, log_t, log_i, nlog
