"""The node-keyed kernel: one pending event per node, for models whose pair transitions cannot be undone.

It applies when no state is both the *target* of a pair transition (the state that changes) and the
*source* of one (the state that causes it), as in SIR, SEIR and SIS (:func:`applies`). Then a
source node leaves its state only by its own node clock, drawn when it entered the state, so an
edge clock earlier than that clock is certain to fire unless its target changes first: nothing
can cancel it. Each node therefore keeps only its earliest pending event (its own clock or the
first of its incoming edge clocks, with who causes it), and an edge clock not earlier than that is
never stored (the target changes first and redraws its clocks; exact by the memorylessness of the
edge clocks). This is the structure of EoN's ``fast_SIR`` and of Holme's (2014) and NEXT-Net's
node-centric queues, for any model meeting the condition: the same Markov chain as
:mod:`hyosan.engines.network.kernel` (tests/test_network_frontier.py compares the two by
chi-square). For speed on large graphs: the heap holds O(frontier) entries; a node's next event,
own clock and state share one row (one cache line); a source's edge clocks are drawn at its
largest per-edge rate and thinned, so a neighbour is read only for a point before the source's own
change; and the next event's row and adjacency are prefetched while the present one is handled.
The arguments and results are those of :func:`hyosan.engines.network.kernel.simulate`.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from hyosan.engines.network.kernel import OK, TOO_MANY, _grow, _grow2, _wait

SHIFT_INT = 1 << 26
SHIFT = float(SHIFT_INT)
#: Most nodes: a heap key, node * 2^26 + cause + 1, must be a whole float64 (53 bits).
MAX_NODES = SHIFT_INT - 1


def applies(pair_total: np.ndarray, n: int) -> bool:
    """Whether no state is both changed by a pair transition and the cause of one (see the module),
    on a graph of ``n`` nodes (at most :data:`MAX_NODES`)."""
    positive = np.asarray(pair_total) > 0.0
    return n <= MAX_NODES and not bool(np.any(positive.any(axis=1) & positive.any(axis=0)))


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Ask the CPU to start loading ``arr[idx]`` (1-D) into cache; nothing waits for it."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):  # pragma: no cover - compiled
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False, boundscheck=False)
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch")  # fmt: skip
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])  # read, keep, data cache
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(cache=True)
def _push(h, size, t, key):  # pragma: no cover - compiled
    """Add (t, key) to the 4-ary min-heap ``h`` (rows of time, key: one cache line per four children)."""
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if h[parent, 0] <= t:
            break
        h[i, 0], h[i, 1] = h[parent, 0], h[parent, 1]
        i = parent
    h[i, 0], h[i, 1] = t, key
    return size + 1


@numba.njit(cache=True)
def _pop(h, size):  # pragma: no cover - compiled
    """Remove the root (the caller read it); returns the new size."""
    size -= 1
    t, key = h[size, 0], h[size, 1]
    i = 0
    while True:
        c = 4 * i + 1
        if c >= size:
            break
        best = c
        last = min(c + 4, size)
        for d in range(c + 1, last):
            if h[d, 0] < h[best, 0]:
                best = d
        if h[best, 0] >= t:
            break
        h[i, 0], h[i, 1] = h[best, 0], h[best, 1]
        i = best
    h[i, 0], h[i, 1] = t, key
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
    """Run one segment from ``t0`` to ``t_stop`` (see :func:`hyosan.engines.network.kernel.simulate`).
    A heap entry is (time, node * 2^26 + cause + 1), valid while the time is the node's next event;
    a node's next event, own clock and state share one row of ``nd`` (one cache line per node)."""
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
    r_max = np.zeros(nc)  # the largest per-edge rate a source state exerts
    for y in range(nc):
        for x in range(nc):
            r_max[y] = max(r_max[y], pair_total[x, y])
    nd = np.empty((n, 4))  # next event, own clock, state
    flat = nd.reshape(-1)
    counts = np.zeros(nc, dtype=np.int64)
    for u in range(n):
        x = ss[u] & 0xFFFF
        counts[x] += 1
        nd[u, 2] = x
        r = node_total[x]
        if first == 1 or (first == 2 and period[x, 0] == 0.0):
            t_node[u] = t0 + _wait(rng, period, x, r) if r > 0.0 else np.inf
        nd[u, 0] = nd[u, 1] = t_node[u]
    n_inf = 0
    for x in range(nc):
        if infected[x]:
            n_inf += counts[x]
    cap = max(heap_size, 1024)
    h = np.empty((cap, 2))
    size = 0
    most = 0
    t_end = t_stop
    cut = False
    for u in range(n):
        su = np.int64(nd[u, 2])
        if not is_source[su]:
            continue
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            r = pair_total[np.int64(nd[v, 2]), su]
            if r > 0.0:
                if weighted:
                    r *= weights[e]
                    if r <= 0.0:
                        continue
                te = t0 + rng.exponential() / r
                if te < nd[u, 1] and te < nd[v, 0]:
                    nd[v, 0] = te
                    if te > t_end:
                        cut = True
                    else:
                        if size == len(h):
                            h = _grow2(h)
                        size = _push(h, size, te, v * SHIFT + u + 1.0)
    for u in range(n):
        if nd[u, 1] < np.inf and nd[u, 0] == nd[u, 1]:
            if nd[u, 1] > t_end:
                cut = True
                continue
            if size == len(h):
                h = _grow2(h)
            size = _push(h, size, nd[u, 1], u * SHIFT)
    t = -1.0
    t_zero = -1.0
    status = OK
    while size > 0:
        most = max(most, size)
        te = h[0, 0]
        key = np.int64(h[0, 1])
        _prefetch(indices, indptr[key >> 26])  # its row was asked for when it came to the top
        size = _pop(h, size)
        if size > 0:  # the next event's node: its row and adjacency load while this one is handled
            nxt = np.int64(h[0, 1]) >> 26
            _prefetch(flat, 4 * nxt)
            _prefetch(indptr, nxt)
        u = key >> 26
        v = (key & (SHIFT_INT - 1)) - 1
        if nd[u, 0] != te:
            continue
        if fired >= max_events:
            status = TOO_MANY
            break
        while k < len(times) and times[k] < te:
            out[k, :] = counts
            k += 1
        t = te
        x = np.int64(nd[u, 2])
        if v < 0:
            pick = rng.random() * node_total[x]
            i = 0
            while i < node_count[x] - 1 and pick >= node_rate[x, i]:
                pick -= node_rate[x, i]
                i += 1
            y = node_dest[x, i]
        else:
            sx = np.int64(nd[v, 2])
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
        nd[u, 2] = y
        counts[x] -= 1
        counts[y] += 1
        if infected[x] != infected[y]:
            n_inf += 1 if infected[y] else -1
            if n_inf == 0:
                t_zero = t
        r = node_total[y]
        tu = t + _wait(rng, period, y, r) if r > 0.0 else np.inf
        nd[u, 1] = tu
        best, by = tu, np.int64(-1)
        if is_target[y]:
            for e in range(indptr[u], indptr[u + 1]):
                w = indices[e]
                r = pair_total[y, np.int64(nd[w, 2])]
                if r > 0.0:
                    if weighted:
                        r *= weights[e]
                        if r <= 0.0:
                            continue
                    te = t + rng.exponential() / r
                    if te < best and te < nd[w, 0]:  # a source's next event is its own clock
                        best, by = te, np.int64(w)
        nd[u, 0] = best
        if best < np.inf:
            if best > t_end:
                cut = True
            else:
                if size == len(h):
                    h = _grow2(h)
                size = _push(h, size, best, u * SHIFT + by + 1.0)
        if is_source[y]:
            top = r_max[y]
            for e in range(indptr[u], indptr[u + 1]):
                scale = weights[e] if weighted else 1.0
                if scale <= 0.0:
                    continue
                # the first point, before tu, of a Poisson process of rate top * scale thinned to the
                # target's rate: the neighbour's row is read only for points that could count
                te = t + rng.exponential() / (top * scale)
                while te < tu:
                    w = indices[e]
                    r = pair_total[np.int64(nd[w, 2]), y]
                    if r <= 0.0:
                        break
                    if r == top or rng.random() * top < r:
                        if te < nd[w, 0]:
                            nd[w, 0] = te
                            if te > t_end:
                                cut = True
                            else:
                                if size == len(h):
                                    h = _grow2(h)
                                size = _push(h, size, te, w * SHIFT + u + 1.0)
                        break
                    te += rng.exponential() / (top * scale)
    for u in range(n):
        ss[u] = np.int64(nd[u, 2])
        t_node[u] = nd[u, 1]
    while status == OK and last and k < len(times):
        out[k, :] = counts
        k += 1
    return status, t, fired, t_zero, most, cut, k, log_t, log_i, nlog
