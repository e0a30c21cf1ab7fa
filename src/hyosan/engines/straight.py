"""The straight-line SSA kernel, generated per model and cached on disk.

For a model whose rates do not read ``t`` the direct method is written out as straight-line code:
compartments and propensities are local variables, each transition's update touches only the
compartments it changes, and recomputes only the propensities that read them (the dependency
graph). Its length is linear in the model's size plus the dependency graph's, but Numba's compile
time is not, so a model past ``STRAIGHT_LIMIT`` runs the table-driven kernel of
:mod:`hyosan.engines.table` (same algorithm, draws and results; compiled once for all models).
After each firing the pending trigger margins are evaluated (:mod:`hyosan.engines.triggers`).
"""

from __future__ import annotations

import numpy as np

from hyosan.compartmental.model import Model
from hyosan.engines import triggers
from hyosan.engines.codegen import kernel_module, rename_map
from hyosan.engines.kernel_source import HEADER, JIT
from hyosan.engines.table import changed, margin_tables, readers, ssa_table, tables

STRAIGHT_LIMIT = 600
"""Largest :func:`straight_size` run on straight-line code. Numba's compile time grows faster than
a function's length (here: size 945 took 17 s, 1,905 took 86 s, 3,985 overflowed Numba's
recursion), while the table-driven kernel (:mod:`hyosan.engines.table`) is compiled once and
costs at most about twice as much per event (71 against 39 ns on a chain of 40 transitions)."""


def changes(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The stoichiometry as CSR arrays ``(indptr, indices, delta)`` and each transition's change of N."""
    stoich = model.stoichiometry
    rows, cols = np.nonzero(stoich)
    indptr = np.zeros(len(model.transitions) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(model.transitions)), out=indptr[1:])
    dn = stoich[:, model.population_index].sum(axis=1)
    return indptr, cols.astype(np.int64), stoich[rows, cols].astype(np.float64), dn


def dependency_graph(model: Model) -> list[list[int]]:
    """For each transition j, the transitions whose rate must be recomputed after j fires (ascending).

    Built from an index name -> transitions reading it, so its cost is the size of its answer.
    """
    read, csr = readers(model), changes(model)
    deps = []
    for j in range(len(model.transitions)):
        found: set[int] = set()
        for name in changed(model, j, csr):
            found.update(read.get(name, ()))
        deps.append(sorted(found))
    return deps


def straight_size(model: Model) -> int:
    """About how many lines the straight-line SSA kernel of ``model`` would have (an upper bound,
    found in time linear in the model's size)."""
    read, csr = readers(model), changes(model)
    reads = sum(len(read.get(n, ())) for j in range(len(model.transitions)) for n in changed(model, j, csr))
    return 4 * len(model.compartments) + 6 * len(model.transitions) + 3 * reads + 4 * len(triggers.triggered(model))


def straight_line(model: Model) -> bool:
    """Whether the SSA runs ``model`` on straight-line code (else on the table-driven kernel)."""
    return straight_size(model) <= STRAIGHT_LIMIT


def _sum_lines(target: str, terms: list[str], ind: str) -> list[str]:
    """``target = t0 + t1 + ...`` summed left to right, 32 terms a line (no deep expression trees)."""
    if not terms:
        return [f"{ind}{target} = 0.0"]
    lines = [f"{ind}{target} = {' + '.join(terms[:32])}"]
    lines += [f"{ind}{target} = {target} + {' + '.join(terms[i : i + 32])}" for i in range(32, len(terms), 32)]
    return lines


def ssa_source(model: Model) -> str:
    """Source of the straight-line ``ssa_segment(rng, x, p, t, t_stop, times, k, out, log_t, log_j,
    nlog, max_fired, act)``; its length is linear in the model's size plus that of the dependency graph.
    ``act[e]`` says whether trigger e is pending; the segment stops (status 6, ``bad = e``) at the
    firing after which a pending trigger's margin is positive."""
    names = rename_map(model)
    comps = model.compartments
    m = len(model.transitions)
    deps = dependency_graph(model)
    indptr, indices, delta, dn = changes(model)
    rate = [tr.rate.source(names) for tr in model.transitions]
    infected = {comps.index(c) for c in model.infected}

    def check(j: int, ind: str, on_bad: str) -> list[str]:
        return [f"{ind}if not (a_{j} >= 0.0 and a_{j} < INF):", f"{ind}    {on_bad}"]

    def record(ind: str) -> list[str]:
        return [f"{ind}out[k, {i}] = {names[c]}" for i, c in enumerate(comps)] + [f"{ind}k += 1"]

    L = [JIT, "def ssa_segment(rng, x, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired, act):"]
    L += [f"    {names[c]} = float(x[{i}])" for i, c in enumerate(comps)]
    L += [f"    {names[q.name]} = p[{j}]" for j, q in enumerate(model.parameters)]
    L += _sum_lines("N", [names[comps[i]] for i in model.population_index], "    ")
    L += ["    nt = times.shape[0]", "    cap = log_t.shape[0]", "    fired = 0", "    status = 0", "    bad = -1"]
    L += ["    t_fire = t", "    t_zero = -1.0"]
    for j in range(m):
        L.append(f"    a_{j} = {rate[j]}")
        L += check(j, "    ", f"return 2, t, k, 0, {j}, nlog, t, -1.0")
    L += ["    while True:", "        s_0 = a_0", *(f"        s_{j} = s_{j - 1} + a_{j}" for j in range(1, m))]
    L += [f"        a0 = s_{m - 1}", "        if not (a0 > 0.0):", "            status = 1"]
    L += ["            while k < nt and times[k] < t_stop:", *record("                "), "            break"]
    L += ["        if fired >= max_fired:", "            status = 3", "            break"]
    L += ["        t_next = t + rng.standard_exponential() / a0"]
    L += ["        while k < nt and times[k] < t_next and times[k] < t_stop:", *record("            ")]
    L += ["        if t_next >= t_stop:", "            t = t_stop", "            break"]
    L += ["        t = t_next", "        r = rng.random() * a0"]

    def body(j: int) -> list[str]:
        lines = [f"            j = {j}"]
        drains = False
        for i, d in zip(indices[indptr[j] : indptr[j + 1]], delta[indptr[j] : indptr[j + 1]], strict=True):
            lines.append(f"            {names[comps[i]]} {'+' if d > 0 else '-'}= {abs(float(d))!r}")
            drains = drains or (d < 0 and int(i) in infected)
        if dn[j]:
            lines.append(f"            N {'+' if dn[j] > 0 else '-'}= {float(abs(dn[j]))!r}")
        if drains:
            lines.append(f"            if {' and '.join(f'{names[comps[i]]} == 0.0' for i in sorted(infected))}:")
            lines.append("                t_zero = t")
        for d in deps[j]:
            lines.append(f"            a_{d} = {rate[d]}")
            lines += check(d, "            ", f"bad = {d}")
        return lines

    # partial sums s_j = a_0 + ... + a_j, added left to right; past them, the last positive rate
    branches = [(f"r < s_{j}", j) for j in range(m - 1)] + [(f"a_{j} > 0.0", j) for j in range(m - 1, -1, -1)]
    for n, (test, j) in enumerate(branches):
        L += [f"        {'if' if n == 0 else 'elif'} {test}:", *body(j)]
    L += ["        else:", "            j = -1", "            status = 1", "            break"]
    L += [
        "        fired += 1",
        "        t_fire = t",
        "        if nlog < cap:",
        "            log_t[nlog] = t",
        "            log_j[nlog] = j",
    ]
    L += ["            nlog += 1", "        if bad >= 0:", "            status = 2", "            break"]
    for e, ev in enumerate(triggers.triggered(model)):
        assert ev.when is not None
        test = f"act[{e}] and {triggers.margin_source(ev.when, names)} > 0.0"
        L += [f"        if {test}:", "            status = 6", f"            bad = {e}", "            break"]
    L += [f"    x[{i}] = np.int64({names[c]})" for i, c in enumerate(comps)]
    L += ["    return status, t, k, fired, bad, nlog, t_fire, t_zero"]
    return HEADER + "\n".join(L) + "\n"


def ssa_kernel(model: Model, table: bool | None = None):
    """The compiled SSA segment kernel of ``model``:
    ``kernel(rng, x, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired, act)``.

    Straight-line code (compiled once per structure, cached on disk) unless the model is too large
    for it (:func:`straight_line`) or ``table`` is true: then the table-driven kernel, compiled once.
    """
    if table is None:
        table = not straight_line(model)
    if not table:
        return kernel_module(model, "ssa", ssa_source(model)).ssa_segment
    kernel, tabs, marg = ssa_table, tables(model, changes(model)), margin_tables(model)

    def segment(rng, x, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired, act):
        return kernel(rng, x, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired, tabs, marg, act)

    return segment
