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
def _push(ht, hu, hv, hsu, hsv, size, t, u, v, su, sv):  # pragma: no cover - compiled
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if ht[parent] <= t:
            break
        ht[i], hu[i], hv[i], hsu[i], hsv[i] = ht[parent], hu[parent], hv[parent], hsu[parent], hsv[parent]
        i = parent
    ht[i], hu[i], hv[i], hsu[i], hsv[i] = t, u, v, su, sv
    return size + 1


@numba.njit(cache=True)
def _pop(ht, hu, hv, hsu, hsv, size):  # pragma: no cover - compiled
    """Remove the root (the caller read it); returns the new size."""
    size -= 1
    t, u, v, su, sv = ht[size], hu[size], hv[size], hsu[size], hsv[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and ht[c + 1] < ht[c]:
            c += 1
        if ht[c] >= t:
            break
        ht[i], hu[i], hv[i], hsu[i], hsv[i] = ht[c], hu[c], hv[c], hsu[c], hsv[c]
        i = c
    ht[i], hu[i], hv[i], hsu[i], hsv[i] = t, u, v, su, sv
    return size


@numba.njit(cache=True)
def _grow(a):  # pragma: no cover - compiled
    b = np.empty(2 * len(a), dtype=a.dtype)
    b[: len(a)] = a
    return b


@numba.njit(cache=True)
def simulate(
    rng,
    indptr,
    indices,
    weights,
    weighted,
    state,
    node_count,
    node_dest,
    node_rate,
    pair_count,
    pair_dest,
    pair_rate,
    infected,
    times,
    out,
    max_events,
    heap_size,
):  # pragma: no cover - compiled
    """Run from t = 0 until no event is left or the last report time; ``state`` is updated in place.

    Returns (status, t of the last event, events fired, t when the infected last became empty or -1,
    largest heap, whether a clock beyond ``times[-1]`` was dropped: then the run may not have
    absorbed). ``out[k]`` gets the counts per state at ``times[k]`` (events at or before it).
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
    counts = np.zeros(nc, dtype=np.int64)
    for u in range(n):
        counts[state[u]] += 1
    n_inf = 0
    for x in range(nc):
        if infected[x]:
            n_inf += counts[x]
    cap = max(heap_size, 1024)
    ht = np.empty(cap)
    hu = np.empty(cap, dtype=np.int32)
    hv = np.empty(cap, dtype=np.int32)
    hsu = np.empty(cap, dtype=np.int32)
    hsv = np.empty(cap, dtype=np.int32)
    size = 0
    most = 0
    stamp = np.zeros(n, dtype=np.int32)
    t_node = np.full(n, np.inf)
    t_end = times[-1]
    cut = False
    for u in range(n):
        r = node_total[state[u]]
        if r > 0.0:
            t_node[u] = rng.exponential() / r
            cut |= t_node[u] > t_end
            if t_node[u] <= t_end:
                if size == len(ht):
                    ht, hu, hv, hsu, hsv = _grow(ht), _grow(hu), _grow(hv), _grow(hsu), _grow(hsv)
                size = _push(ht, hu, hv, hsu, hsv, size, t_node[u], u, -1, 0, 0)
    for u in range(n):
        su = state[u]
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            r = pair_total[su, state[v]]
            if r > 0.0:
                if weighted:
                    r *= weights[e]
                    if r <= 0.0:
                        continue
                te = rng.exponential() / r
                cut |= te < t_node[u] and te < t_node[v] and te > t_end
                if te < t_node[u] and te < t_node[v] and te <= t_end:
                    if size == len(ht):
                        ht, hu, hv, hsu, hsv = _grow(ht), _grow(hu), _grow(hv), _grow(hsu), _grow(hsv)
                    size = _push(ht, hu, hv, hsu, hsv, size, te, u, v, 0, 0)
    k = 0
    fired = 0
    t = 0.0
    t_zero = -1.0
    while size > 0:
        most = max(most, size)
        te = ht[0]
        u, v, su, sv = hu[0], hv[0], hsu[0], hsv[0]
        size = _pop(ht, hu, hv, hsu, hsv, size)
        if stamp[u] != su or (v >= 0 and stamp[v] != sv):
            continue
        if fired >= max_events:
            return TOO_MANY, t, fired, t_zero, most, cut
        while k < len(times) and times[k] < te:
            out[k, :] = counts
            k += 1
        t = te
        x = state[u]
        if v < 0:
            pick = rng.random() * node_total[x]
            i = 0
            while i < node_count[x] - 1 and pick >= node_rate[x, i]:
                pick -= node_rate[x, i]
                i += 1
            y = node_dest[x, i]
        else:
            sx = state[v]
            pick = rng.random() * pair_total[x, sx]
            i = 0
            while i < pair_count[x, sx] - 1 and pick >= pair_rate[x, sx, i]:
                pick -= pair_rate[x, sx, i]
                i += 1
            y = pair_dest[x, sx, i]
        fired += 1
        state[u] = y
        stamp[u] += 1
        counts[x] -= 1
        counts[y] += 1
        if infected[x] != infected[y]:
            n_inf += 1 if infected[y] else -1
            if n_inf == 0:
                t_zero = t
        s = stamp[u]
        r = node_total[y]
        t_node[u] = t + rng.exponential() / r if r > 0.0 else np.inf
        cut |= r > 0.0 and t_node[u] > t_end
        if t_node[u] <= t_end:
            if size == len(ht):
                ht, hu, hv, hsu, hsv = _grow(ht), _grow(hu), _grow(hv), _grow(hsu), _grow(hsv)
            size = _push(ht, hu, hv, hsu, hsv, size, t_node[u], u, -1, s, 0)
        for e in range(indptr[u], indptr[u + 1]):
            w = indices[e]
            scale = weights[e] if weighted else 1.0
            # u as target of w, then w as target of u
            for direction in range(2):
                a, b = (u, w) if direction == 0 else (w, u)
                r = pair_total[state[a], state[b]] * scale
                if r > 0.0:
                    te = t + rng.exponential() / r
                    cut |= te < t_node[a] and te < t_node[b] and te > t_end
                    if te < t_node[a] and te < t_node[b] and te <= t_end:
                        if size == len(ht):
                            ht, hu, hv, hsu, hsv = _grow(ht), _grow(hu), _grow(hv), _grow(hsu), _grow(hsv)
                        size = _push(ht, hu, hv, hsu, hsv, size, te, a, b, stamp[a], stamp[b])
    while k < len(times):
        out[k, :] = counts
        k += 1
    return OK, t, fired, t_zero, most, cut


@numba.njit(cache=True)
def active(indptr, indices, weights, weighted, state, node_total, pair_total):  # pragma: no cover - compiled
    """Whether any transition can still fire from ``state`` (a positive node or edge rate)."""
    n = len(indptr) - 1
    for u in range(n):
        if node_total[state[u]] > 0.0:
            return True
        for e in range(indptr[u], indptr[u + 1]):
            if pair_total[state[u], state[indices[e]]] > 0.0 and (not weighted or weights[e] > 0.0):
                return True
    return False
