"""The order of action of the agent step (the scenario's ``time.update``), and warming a band's data.

``random`` (the default): a fresh uniformly random permutation of the agents on the map every step, the random
sequential update of agent-based and cellular-automaton pedestrian models. It is :func:`band_order` with one band.

``banded``: bands of rows in a random order, a random order within each band. With 10^6 agents, a single random
order over all of them made each agent's turn wait on main memory for its position, state and heading (its
neighbours in the order lived anywhere on the map). Here the agents acting one after another are in the same band
of rows, whose data fit in cache, and :func:`warm` loads a band's data in one tight loop of independent reads
(which the processor overlaps) before the band acts. Either of any two agents still acts first with probability
1/2, but it is a different schedule: agents of one band never interleave with those of another.
"""

from __future__ import annotations

from numba import njit

from hyosan.engines.abm.codes import D, X
from hyosan.engines.abm.motion import urand


@njit(cache=True, error_model="numpy")
def band_order(state, y, B, order, band, bperm, tmp, rs):
    """The step's order of action in ``order[:m]``; returns ``m``, the agents on the map (not dead, not escaped).

    The map is cut into ``band.size`` bands of rows, ``B`` cells high (one per row of cell-list bins; one band,
    the whole map, for the ``random`` update). The order is the bands
    in a uniformly random order, each band's agents (by their row at the start of the step) in a uniformly random
    order: a counting sort by band, then Fisher-Yates shuffles of the bands and within each, all from ``rs``.
    For any two agents, each acts first with probability 1/2 (same band: the shuffle within it; different bands:
    the order of the bands), so nobody and no part of the map is favoured; and the agents acting one after
    another are near each other, so their arrays and cells stay in cache (random sequential update over all
    agents at once read every agent's data from main memory). On return ``bperm[q]`` is where the q-th band in
    the order ends in ``order``."""
    nb = band.size
    band[:] = 0
    for i in range(state.size):
        if state[i] != D and state[i] != X:
            b = min(max(int(y[i] / B), 0), nb - 1)
            tmp[i] = b
            band[b] += 1
    for b in range(nb):
        bperm[b] = b
    for q in range(nb - 1, 0, -1):
        p = int(urand(rs) * (q + 1))
        o = bperm[q]
        bperm[q] = bperm[p]
        bperm[p] = o
    m = 0
    for q in range(nb):
        b = bperm[q]
        c = band[b]
        band[b] = m
        m += c
    for i in range(state.size):
        if state[i] != D and state[i] != X:
            b = tmp[i]
            order[band[b]] = i
            band[b] += 1
    lo = 0
    for q in range(nb):
        hi = band[bperm[q]]
        for k in range(hi - 1, lo, -1):
            p = lo + int(urand(rs) * (k - lo + 1))
            o = order[k]
            order[k] = order[p]
            order[p] = o
        bperm[q] = hi
        lo = hi
    return m


@njit(cache=True, error_model="numpy", _nrt=False)
def warm(order, lo, hi, x, y, state, kind, hidden, heading):
    """Read the position, state, kind, hiding place and heading of agents ``order[lo:hi]`` (one band, about to act)
    so that they are in cache when it acts; returns their sum, which the caller must use so that the reads stay."""
    acc = 0.0
    for q in range(lo, hi):
        i = order[q]
        acc += x[i] + y[i] + heading[i, 0] + state[i] + kind[i] + hidden[i]
    return acc
