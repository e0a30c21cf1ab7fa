"""Numba kernels for the stochastic engines, generated per model and cached on disk.

The SSA kernel of a model whose rates do not read ``t`` is straight-line code: compartments and
propensities are local variables, each transition's update touches only the compartments it
changes, and recomputes only the propensities that read them (the dependency graph). Its length is
linear in the model's size plus the dependency graph's, but Numba's compile time is not, so a
model past ``STRAIGHT_LIMIT`` runs the table-driven kernel of :mod:`hyosan.engines.table` (same
algorithm, draws and results; compiled once for all models). Models with rates that read ``t`` run
the generic ``exact_steps`` kernel: thinning (Lewis–Shedler) against a certified upper bound of
the total rate over a look-ahead window (:mod:`hyosan.engines.interval`), so waiting times are
exact for the time-varying rates. The tau kernel is Cao–Gillespie–Petzold (2006) and falls back on
``exact_steps``. Their rate functions are generated code, split into functions of ``RATES_CHUNK``
rates, or past ``INTERPRET_ABOVE`` transitions the table's rate programs, so that compiling them
stays linear in the model's size. Every kernel runs one *segment* of a replicate, from ``t`` to
``t_stop`` (the next scheduled event or the horizon), so that events are applied in Python at
their exact times; waiting times are memoryless, so cutting a run into segments (or at
``max_fired``) keeps it exact.

Kernel return value: ``(status, t, k, fired, bad, extra, t_fire, t_zero)`` with status ``OK``
(reached ``t_stop``), ``ABSORBED`` (no rate can fire before ``t_stop``: all are zero and, for rates
that read ``t``, certified to stay zero; ``t`` is the time of the last transition), ``BAD_RATE``
(propensity ``bad`` is negative or not finite at time ``t``), ``TOO_MANY`` (``max_fired``
transitions fired, or as many leaps or 20 times as many thinning candidates were drawn; the
state at ``t`` is exact and the run can resume from it), ``NO_BOUND``
(rate ``bad`` reads ``t`` and has no finite bound over any window from ``t``) or ``BOUND_BROKEN``
(a rate exceeded its certified bound: a bug). ``k`` is the next report index still to fill;
``out[:k]`` holds the reported states; ``extra`` is the event-log length (ssa) or the number of
leaps (tau); ``t_fire`` the time of the last transition fired; ``t_zero`` the last time a
transition emptied every ``infected`` compartment (-1 if none did).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from hyosan.compartmental.model import Model
from hyosan.engines import table
from hyosan.engines.codegen import kernel_module, rename_map
from hyosan.engines.interval import HELPERS, interval_lines
from hyosan.engines.table import ssa_table, tables

OK, ABSORBED, BAD_RATE, TOO_MANY, NO_BOUND, BOUND_BROKEN = 0, 1, 2, 3, 4, 5

_HEADER = "from numba import njit\n\nINF = math.inf\n\n"
_JIT = '@njit(cache=True, error_model="numpy", nogil=True)'

STRAIGHT_LIMIT = 600
"""Largest :func:`straight_size` run on straight-line code. Numba's compile time grows faster than
a function's length (here: size 945 took 17 s, 1,905 took 86 s, 3,985 overflowed Numba's
recursion), while the table-driven kernel (:mod:`hyosan.engines.table`) is compiled once and
costs at most about twice as much per event (71 against 39 ns on a chain of 40 transitions)."""
RATES_CHUNK = 100
"""Rates (or bounds) per generated function of the tau and thinning kernels, for the same reason."""
INTERPRET_ABOVE = 200
"""Past this many transitions the tau and thinning kernels evaluate rates from tables (no
per-rate code to compile); bounds of rates that read ``t`` stay generated code."""


def changes(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The stoichiometry as CSR arrays ``(indptr, indices, delta)`` and each transition's change of N."""
    stoich = model.stoichiometry
    rows, cols = np.nonzero(stoich)
    indptr = np.zeros(len(model.transitions) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(model.transitions)), out=indptr[1:])
    dn = stoich[:, model.population_index].sum(axis=1)
    return indptr, cols.astype(np.int64), stoich[rows, cols].astype(np.float64), dn


def _readers(model: Model) -> dict[str, list[int]]:
    readers: dict[str, list[int]] = {}
    for m, tr in enumerate(model.transitions):
        for name in tr.rate.names:
            readers.setdefault(name, []).append(m)
    return readers


def _changed(model: Model, j: int, csr: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> list[str]:
    indptr, indices, _, dn = csr
    return [model.compartments[i] for i in indices[indptr[j] : indptr[j + 1]]] + (["N"] if dn[j] else [])


def dependency_graph(model: Model) -> list[list[int]]:
    """For each transition j, the transitions whose rate must be recomputed after j fires (ascending).

    Built from an index name -> transitions reading it, so its cost is the size of its answer.
    """
    readers, csr = _readers(model), changes(model)
    deps = []
    for j in range(len(model.transitions)):
        found: set[int] = set()
        for name in _changed(model, j, csr):
            found.update(readers.get(name, ()))
        deps.append(sorted(found))
    return deps


def straight_size(model: Model) -> int:
    """About how many lines the straight-line SSA kernel of ``model`` would have (an upper bound,
    found in time linear in the model's size)."""
    readers, csr = _readers(model), changes(model)
    reads = sum(len(readers.get(n, ())) for j in range(len(model.transitions)) for n in _changed(model, j, csr))
    return 4 * len(model.compartments) + 6 * len(model.transitions) + 3 * reads


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
    nlog, max_fired)``; its length is linear in the model's size plus that of the dependency graph."""
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

    L = [_JIT, "def ssa_segment(rng, x, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired):"]
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
    L += [f"    x[{i}] = np.int64({names[c]})" for i, c in enumerate(comps)]
    L += ["    return status, t, k, fired, bad, nlog, t_fire, t_zero"]
    return _HEADER + "\n".join(L) + "\n"


def ssa_kernel(model: Model, table: bool | None = None):
    """The compiled SSA segment kernel of ``model``:
    ``kernel(rng, x, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired)``.

    Straight-line code (compiled once per structure, cached on disk) unless the model is too large
    for it (:func:`straight_line`) or ``table`` is true: then the table-driven kernel, compiled once.
    """
    if table is None:
        table = not straight_line(model)
    if not table:
        return kernel_module(model, "ssa", ssa_source(model)).ssa_segment
    kernel, tabs = ssa_table, tables(model, changes(model))

    def segment(rng, x, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired):
        return kernel(rng, x, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired, *tabs)

    return segment


def _reads(model: Model, used: set[str], ind: str, with_n: bool) -> list[str]:
    """Locals for the compartments and parameters in ``used`` (and ``N``, summed over the population)."""
    names = rename_map(model)
    lines = [f"{ind}{names[c]} = float(x[{i}])" for i, c in enumerate(model.compartments) if c in used]
    lines += [f"{ind}{names[q.name]} = p[{j}]" for j, q in enumerate(model.parameters) if q.name in used]
    if with_n and "N" in used:
        lines += [f"{ind}N = 0.0", f"{ind}for i in _POP:", f"{ind}    N += float(x[i])"]
    return lines


def _pop_source(model: Model) -> str:
    return f"_POP = np.array([{', '.join(str(int(i)) for i in model.population_index)}], dtype=np.int64)\n\n"


def _chunked(model: Model, name: str, args: str, items: list[int], emit, result: str) -> str:
    """``def name(args)`` running ``emit(j)`` for each transition j of ``items``: one function, or,
    past ``RATES_CHUNK`` items, one per chunk called in turn (each reading only the names it uses)."""
    chunks = [items[s : s + RATES_CHUNK] for s in range(0, len(items), RATES_CHUNK)]

    def used(chunk: list[int]) -> set[str]:
        return set().union(*(model.transitions[j].rate.names for j in chunk))

    if len(chunks) <= 1:
        lines = [_JIT, f"def {name}({args}):", *_reads(model, used(items), "    ", True)]
        return "\n".join([*lines, *(line for j in items for line in emit(j)), f"    return {result}"]) + "\n\n\n"
    out = []
    for n, chunk in enumerate(chunks):
        lines = [_JIT, f"def _{name}_{n}({args}, N):", *_reads(model, used(chunk), "    ", False)]
        out.append("\n".join([*lines, *(line for j in chunk for line in emit(j))]) + "\n\n\n")
    lines = [_JIT, f"def {name}({args}):", "    N = 0.0", "    for i in _POP:", "        N += float(x[i])"]
    lines += [f"    _{name}_{n}({args}, N)" for n in range(len(chunks))]
    return "".join(out) + "\n".join([*lines, f"    return {result}"]) + "\n\n\n"


def _rates_source(model: Model) -> str:
    """``rates(t, x, p, a)``: fills ``a`` with every transition's rate (generated code, or past
    ``INTERPRET_ABOVE`` transitions the programs of :mod:`hyosan.engines.table`)."""
    if len(model.transitions) > INTERPRET_ABOVE:
        return _interpreted_rates(model)
    names = rename_map(model)
    trs = model.transitions

    def emit(j: int) -> list[str]:
        return [f"    a[{j}] = {trs[j].rate.source(names)}"]

    return _chunked(model, "rates", "t, x, p, a", list(range(len(trs))), emit, "a")


def _array(name: str, values: np.ndarray) -> str:
    items = ", ".join(repr(float(v)) if values.dtype.kind == "f" else str(int(v)) for v in values)
    return f"{name} = np.array([{items}], dtype=np.{values.dtype})\n"


def _interpreted_rates(model: Model) -> str:
    prog_ptr, op, arg, val, depth = table.programs(model)
    digest = hashlib.sha256(Path(table.__file__).read_bytes()).hexdigest()[:16]
    lines = [f"from hyosan.engines.table import rate as _rate  # table.py {digest}\n"]
    lines += [_array("_PP", prog_ptr), _array("_OP", op), _array("_ARG", arg), _array("_VAL", val), "\n"]
    lines += [
        _JIT,
        "def rates(t, x, p, a):",
        "    N = 0.0",
        "    for i in _POP:",
        "        N += float(x[i])",
        f"    stack = np.empty({depth})",
        "    for j in range(a.shape[0]):",
        "        a[j] = _rate(j, _PP, _OP, _ARG, _VAL, stack, t, x, p, N)",
        "    return a",
    ]
    return "".join(lines[:6]) + "\n".join(lines[6:]) + "\n\n\n"


def timed_transitions(model: Model) -> list[int]:
    """Indices of the transitions whose rate reads ``t``."""
    return [j for j, tr in enumerate(model.transitions) if "t" in tr.rate.names]


def _bounds_source(model: Model) -> str:
    """``bounds(tl, th, x, p, lo, hi)``: certified range of every time-dependent rate for t in [tl, th]."""
    names = rename_map(model)

    def emit(j: int) -> list[str]:
        body, lo, hi = interval_lines(model.transitions[j].rate, names, f"r{j}_", "    ")
        return [*body, f"    lo[{j}] = {lo}", f"    hi[{j}] = {hi} * (1.0 + 1e-12) if {hi} > 0.0 else {hi}"]

    return _chunked(model, "bounds", "tl, th, x, p, lo, hi", timed_transitions(model), emit, "hi")


_COMMON = '''
@njit(cache=True, error_model="numpy", nogil=True)
def _bad(a):
    for j in range(a.shape[0]):
        if not (a[j] >= 0.0 and a[j] < INF):
            return j
    return -1


@njit(cache=True, error_model="numpy", nogil=True)
def _pick(rng, a, total, mask):
    r = rng.random() * total
    last = -1
    for j in range(a.shape[0]):
        if mask[j] and a[j] > 0.0:
            last = j
            r -= a[j]
            if r < 0.0:
                return j
    return last


@njit(cache=True, error_model="numpy", nogil=True)
def _cleared(x, infected):
    if infected.shape[0] == 0:
        return False
    for i in infected:
        if x[i] != 0.0:
            return False
    return True


@njit(cache=True, error_model="numpy", nogil=True)
def _window(t, h, x, p, a, lo, hi, timed, free):
    """Certified bound of the total rate over [t, t + h]; the index of a rate without one, else -2."""
    if timed.shape[0] == 0:
        return free, -2
    bounds(t, t + h, x, p, lo, hi)
    total = free
    for j in timed:
        if not (hi[j] < INF):
            return INF, j
        if hi[j] > 0.0:
            total += hi[j]
    return total, -2


@njit(cache=True, error_model="numpy", nogil=True)
def exact_steps(rng, x, p, t, t_stop, times, k, out, V, timed, is_timed, infected, log_t, log_j, nlog,
                max_fired, max_steps):
    """Exact SSA from t towards t_stop; rates that read t are sampled by thinning (Lewis-Shedler)
    against a certified bound of the total rate over a look-ahead window [t, t + h]."""
    m, c = V.shape
    nt = times.shape[0]
    cap = log_t.shape[0]
    a = np.empty(m)
    lo = np.empty(m)
    hi = np.empty(m)
    fired = 0
    t_fire = t
    t_zero = -1.0
    cleared = _cleared(x, infected)
    status = 0
    bad = -1
    hwin = INF
    work = 0
    rates(t, x, p, a)
    bad = _bad(a)
    if bad >= 0:
        return 2, t, k, 0, bad, nlog, t_fire, t_zero
    while True:
        if fired >= max_fired or work >= 20 * max_fired:
            status = 3
            break
        if fired >= max_steps:
            break
        free = 0.0
        for j in range(m):
            if not is_timed[j]:
                free += a[j]
        work += 1
        h = min(hwin, t_stop - t)
        total, nob = _window(t, h, x, p, a, lo, hi, timed, free)
        tries = 0
        while tries < 80 and timed.shape[0] > 0 and (not (total < INF) or total * h > 16.0):
            h = h * 0.5 if not (total < INF) else min(0.5 * h, 8.0 / total)
            total, nob = _window(t, h, x, p, a, lo, hi, timed, free)
            tries += 1
        if not (total < INF):
            status = 4
            bad = nob
            break
        if not (total > 0.0):
            if h < t_stop - t:
                rest, nob = _window(t, t_stop - t, x, p, a, lo, hi, timed, free)
            else:
                rest = 0.0
            if rest == 0.0:
                status = 1
                while k < nt and times[k] < t_stop:
                    out[k, :] = x
                    k += 1
                break
            while k < nt and times[k] < t + h:
                out[k, :] = x
                k += 1
            t = t + h
            hwin = 2.0 * h
            rates(t, x, p, a)
            bad = _bad(a)
            if bad >= 0:
                status = 2
                break
            continue
        end = t + h
        accepted = False
        while True:
            work += 1
            t_next = t + rng.standard_exponential() / total
            if t_next >= end:
                break
            while k < nt and times[k] < t_next:
                out[k, :] = x
                k += 1
            t = t_next
            if timed.shape[0] > 0:
                rates(t, x, p, a)
                bad = _bad(a)
                if bad >= 0:
                    break
            a0 = a.sum()
            if a0 > total:
                status = 5
                break
            u = rng.random() * total
            if u < a0:
                accepted = True
                break
        if bad >= 0:
            status = 2
            break
        if status == 5:
            break
        if not accepted:
            while k < nt and times[k] < end:
                out[k, :] = x
                k += 1
            t = end
            hwin = 2.0 * h
            if t >= t_stop:
                t = t_stop
                break
            rates(t, x, p, a)
            bad = _bad(a)
            if bad >= 0:
                status = 2
                break
            continue
        j = m - 1
        for i in range(m):
            if a[i] > 0.0:
                j = i
                u -= a[i]
                if u < 0.0:
                    break
        for i in range(c):
            x[i] += V[j, i]
        fired += 1
        t_fire = t
        hwin = h
        if nlog < cap:
            log_t[nlog] = t
            log_j[nlog] = j
            nlog += 1
        now = _cleared(x, infected)
        if now and not cleared:
            t_zero = t
        cleared = now
        rates(t, x, p, a)
        bad = _bad(a)
        if bad >= 0:
            status = 2
            break
    return status, t, k, fired, bad, nlog, t_fire, t_zero


@njit(cache=True, error_model="numpy", nogil=True)
def ssa_thinned(rng, xi, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired, V, timed, is_timed, infected):
    """The ssa engine's segment for models whose rates read t."""
    x = xi.astype(np.float64)
    res = exact_steps(rng, x, p, t, t_stop, times, k, out, V, timed, is_timed, infected, log_t, log_j, nlog,
                      max_fired, max_fired)
    for i in range(x.shape[0]):
        xi[i] = np.int64(x[i])
    return res
'''


_TAU_LOOP = '''
@njit(cache=True, error_model="numpy", nogil=True)
def _tau_time(t, tau1, x, p, a, lo, hi, timed, eps, a0):
    """The longest step <= tau1 over which no time-dependent rate moves by more than eps*a0 (-1: no bound)."""
    h = tau1
    for _ in range(80):
        bounds(t, t + h, x, p, lo, hi)
        ok = True
        for j in timed:
            if not (hi[j] - lo[j] <= eps * a0):
                ok = False
                break
        if ok:
            return h
        h *= 0.5
    return -1.0


@njit(cache=True, error_model="numpy", nogil=True)
def tau_segment(rng, bridge, xi, p, t, t_stop, times, k, out, V, hor, horc, watch, infected, timed, is_timed,
                eps, nc, ssa_below, max_fired):
    m, c = V.shape
    x = xi.astype(np.float64)
    a = np.empty(m)
    lo = np.empty(m)
    hi = np.empty(m)
    crit = np.zeros(m, dtype=np.bool_)
    K = np.zeros(m)
    new = np.empty(c)
    xb = np.empty(c)
    rem = np.zeros(m, dtype=np.int64)
    no_log_t = np.empty(0)
    no_log_j = np.empty(0, dtype=np.int64)
    nt = times.shape[0]
    fired = 0
    leaps = 0
    t_fire = t
    t_zero = -1.0
    cleared = _cleared(x, infected)
    status = 0
    bad = -1
    has_timed = timed.shape[0] > 0
    while True:
        tau = 0.0
        jc = -1
        if fired >= max_fired or leaps >= max_fired:
            status = 3
            break
        rates(t, x, p, a)
        bad = _bad(a)
        if bad >= 0:
            status = 2
            break
        a0 = a.sum()
        exact = False
        if not (a0 > 0.0):
            if not has_timed:
                status = 1
                while k < nt and times[k] < t_stop:
                    out[k, :] = x
                    k += 1
                break
            exact = True
        if not exact:
            mu = np.zeros(c)
            s2 = np.zeros(c)
            for j in range(m):
                lim = INF
                for i in range(c):
                    if V[j, i] < 0:
                        lim = min(lim, np.floor(x[i] / -V[j, i]))
                crit[j] = a[j] > 0.0 and lim < nc
                if not crit[j]:
                    for i in range(c):
                        mu[i] += V[j, i] * a[j]
                        s2[i] += V[j, i] * V[j, i] * a[j]
            tau1 = INF
            for i in range(c):
                if not watch[i]:
                    continue
                g = float(hor[i])
                if horc[i] == 2 and x[i] > 1.0:
                    g = (2.0 + 1.0 / (x[i] - 1.0)) * (1.0 if hor[i] == 2 else 1.5)
                elif horc[i] == 3 and x[i] > 2.0:
                    g = 3.0 + 1.0 / (x[i] - 1.0) + 2.0 / (x[i] - 2.0)
                b = max(eps * x[i] / g, 1.0)
                if mu[i] != 0.0:
                    tau1 = min(tau1, b / abs(mu[i]))
                if s2[i] > 0.0:
                    tau1 = min(tau1, b * b / s2[i])
            if has_timed:
                tau1 = _tau_time(t, min(tau1, t_stop - t), x, p, a, lo, hi, timed, eps, a0)
            a0c = 0.0
            for j in range(m):
                if crit[j]:
                    a0c += a[j]
            while True:
                if tau1 < ssa_below / a0:
                    exact = True
                    break
                tau2 = rng.standard_exponential() / a0c if a0c > 0.0 else INF
                tau = min(tau1, tau2)
                fire = tau2 <= tau1
                if t + tau >= t_stop:
                    tau = t_stop - t
                    fire = False
                jc = -1
                for j in range(m):
                    K[j] = 0.0 if crit[j] else rng.poisson(a[j] * tau)
                if fire:
                    jc = _pick(rng, a, a0c, crit)
                    K[jc] = 1.0
                ok = True
                for i in range(c):
                    s = x[i]
                    for j in range(m):
                        s += K[j] * V[j, i]
                    new[i] = s
                    if s < 0.0:
                        ok = False
                if ok:
                    break
                tau1 = tau1 / 2.0
        if exact:
            st, t, k, n, bad, _, tf, tz = exact_steps(
                rng, x, p, t, t_stop, times, k, out, V, timed, is_timed, infected, no_log_t, no_log_j, 0,
                max_fired - fired, 100)
            fired += n
            if n > 0:
                t_fire = tf
                if tz >= 0.0:
                    t_zero = tz
                cleared = _cleared(x, infected)
            if st != 0 or t >= t_stop:
                status = st
                if st == 0:
                    t = t_stop
                break
            continue
        t_end = t_stop if t + tau >= t_stop else t + tau
        if k < nt and times[k] < t_end:
            cur = t
            for j in range(m):
                rem[j] = 0 if j == jc else np.int64(K[j])
            xb[:] = x
            while k < nt and times[k] < t_end:
                f = (times[k] - cur) / (t_end - cur)
                for j in range(m):
                    if rem[j] > 0:
                        d = bridge.binomial(rem[j], min(max(f, 0.0), 1.0))
                        rem[j] -= d
                        for i in range(c):
                            xb[i] += d * V[j, i]
                neg = False
                for i in range(c):
                    if xb[i] < 0.0:
                        neg = True
                out[k, :] = x if neg else xb
                cur = times[k]
                k += 1
        x[:] = new
        n = int(K.sum())
        fired += n
        leaps += 1
        t = t_end
        if n > 0:
            t_fire = t
            now = _cleared(x, infected)
            if now and not cleared:
                t_zero = t
            cleared = now
        if t >= t_stop:
            break
    for i in range(c):
        xi[i] = np.int64(x[i])
    return status, t, k, fired, bad, leaps, t_fire, t_zero
'''


def stochastic_source(model: Model) -> str:
    """Source of the generic kernels: exact SSA with thinning, and Cao–Gillespie–Petzold (2006) tau-leaping."""
    return _HEADER + HELPERS + _pop_source(model) + _rates_source(model) + _bounds_source(model) + _COMMON + _TAU_LOOP


def _module(model: Model):
    return kernel_module(model, "stoch", stochastic_source(model))


def tau_kernel(model: Model):
    """The compiled tau-leaping segment kernel of ``model``."""
    return _module(model).tau_segment


def thinned_kernel(model: Model):
    """The compiled exact segment kernel for models with time-dependent rates."""
    return _module(model).ssa_thinned


def tau_tables(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stoichiometry (float), highest reactant order per compartment, its coefficient there, and
    which compartments bound the step (those consumed or read by a rate)."""
    comps = model.compartments
    c = len(comps)
    hor = np.ones(c, dtype=np.int64)
    horc = np.ones(c, dtype=np.int64)
    watch = np.zeros(c, dtype=np.bool_)
    for tr in model.transitions:
        order = sum(k for _, k in tr.reactants)
        for name, coef in tr.reactants:
            i = comps.index(name)
            watch[i] = True
            if order > hor[i] or (order == hor[i] and coef > horc[i]):
                hor[i], horc[i] = order, coef
        for name in tr.rate.names:
            if name in comps:
                watch[comps.index(name)] = True
    return model.stoichiometry.astype(np.float64), hor, horc, watch
