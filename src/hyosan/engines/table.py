"""The table-driven SSA kernel: one compiled kernel for every model, its rates read from tables.

Straight-line kernels (:mod:`hyosan.engines.straight`) are fastest per event, but Numba's compile
time grows faster than a function's length: a model of 2,000 transitions would compile for
minutes. Large models run here instead. Each rate's validated postfix program
(:attr:`hyosan.compartmental.expr.Expr.program`) becomes rows of flat arrays that a small stack machine
evaluates with the same floating-point operations as the generated source; the stoichiometry and
the dependency graph are CSR arrays. Building the tables is linear in the model's size and
nothing is compiled per model. The algorithm, the random draws and the return value are the
straight-line kernel's, so both give the same path for the same stream.
"""

from __future__ import annotations

import ast
import math
from typing import NamedTuple

import numpy as np
from numba import njit

from hyosan.compartmental.model import Model
from hyosan.engines import triggers

INF = math.inf

CONST, COMP, PARAM, POP, TIME = 0, 1, 2, 3, 4
ADD, SUB, MUL, DIV, POW, NEG = 10, 11, 12, 13, 14, 15
EXP, LOG, SQRT, SIN, COS, ABS, MIN, MAX = 20, 21, 22, 23, 24, 25, 26, 27

_BIN = {ast.Add: ADD, ast.Sub: SUB, ast.Mult: MUL, ast.Div: DIV, ast.Pow: POW}
_FUN = {"exp": EXP, "log": LOG, "sqrt": SQRT, "sin": SIN, "cos": COS, "abs": ABS, "min": MIN, "max": MAX}

DEPS_CAP = 2_000_000
"""Most entries of the dependency graph kept; beyond it every rate is recomputed after each event."""


class Tables(NamedTuple):
    """Everything :func:`ssa_table` reads besides the state: see :func:`tables`."""

    prog_ptr: np.ndarray
    op: np.ndarray
    arg: np.ndarray
    val: np.ndarray
    stack: np.ndarray
    pop: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    delta: np.ndarray
    dn: np.ndarray
    dep_ptr: np.ndarray
    dep_idx: np.ndarray
    drains: np.ndarray
    infected: np.ndarray


def programs(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Rates as stack-machine code: ``(prog_ptr, op, arg, val, depth)``; rate j is rows
    ``prog_ptr[j]:prog_ptr[j+1]``, ``depth`` the deepest stack any of them needs."""
    return compile_programs(model, [(tr.name, tr.rate.program) for tr in model.transitions])


class Margins(NamedTuple):
    """Trigger margins as stack-machine code (see :func:`programs`) and a stack deep enough."""

    ptr: np.ndarray
    op: np.ndarray
    arg: np.ndarray
    val: np.ndarray
    stack: np.ndarray


def margin_tables(model: Model) -> Margins:
    """The margins of the model's triggers (:mod:`hyosan.engines.triggers`) as programs."""
    found = []
    for ev in triggers.triggered(model):
        assert ev.when is not None
        found.append((ev.name, triggers.margin_program(ev.when)))
    ptr, op, arg, val, depth = compile_programs(model, found)
    return Margins(ptr, op, arg, val, np.empty(depth))


def compile_programs(
    model: Model, named: list[tuple[str, tuple]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Postfix programs over the model's names (each with its owner's name, for errors) as rows."""
    comp = {c: i for i, c in enumerate(model.compartments)}
    par = {q.name: j for j, q in enumerate(model.parameters)}
    op: list[int] = []
    arg: list[int] = []
    val: list[float] = []
    ptr = [0]
    depth = 1
    for owner, program in named:
        sp = 0
        for step in program:
            kind, a, v = step[0], 0, 0.0
            if kind == "c":
                code, v, sp = CONST, float(step[1]), sp + 1
            elif kind == "v":
                name = step[1]
                if name in comp:
                    code, a = COMP, comp[name]
                elif name in par:
                    code, a = PARAM, par[name]
                elif name in ("N", "t"):
                    code = POP if name == "N" else TIME
                else:
                    raise AssertionError(f"program of '{owner}' reads unknown name {name!r}")
                sp += 1
            elif kind == "u":
                if step[1] is ast.UAdd:
                    continue
                code = NEG
            elif kind == "b":
                code, sp = _BIN[step[1]], sp - 1
            else:
                code, a, sp = _FUN[step[1]], step[2], sp - step[2] + 1
            op.append(code)
            arg.append(a)
            val.append(v)
            depth = max(depth, sp)
        ptr.append(len(op))
    return (
        np.array(ptr, dtype=np.int64),
        np.array(op, dtype=np.int64),
        np.array(arg, dtype=np.int64),
        np.array(val, dtype=np.float64),
        depth,
    )


def readers(model: Model) -> dict[str, list[int]]:
    """Each name a rate reads -> the transitions whose rate reads it (ascending)."""
    found: dict[str, list[int]] = {}
    for j, tr in enumerate(model.transitions):
        for name in tr.rate.names:
            found.setdefault(name, []).append(j)
    return found


def changed(model: Model, j: int, csr: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> list[str]:
    """The names transition j changes: its compartments, and N if it changes the population."""
    indptr, indices, _, dn = csr
    return [model.compartments[i] for i in indices[indptr[j] : indptr[j + 1]]] + (["N"] if dn[j] else [])


def tables(model: Model, changes: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> Tables:
    """The tables of ``model``; ``changes`` is the stoichiometry as CSR ``(indptr, indices, delta)``
    with each transition's change of N (:func:`hyosan.engines.straight.changes`)."""
    prog_ptr, op, arg, val, depth = programs(model)
    indptr, indices, delta, dn = changes
    m = len(model.transitions)
    read = readers(model)
    comps = model.compartments
    names_of = [changed(model, j, changes) for j in range(m)]
    dep_ptr = np.zeros(m + 1, dtype=np.int64)
    dep_idx = np.zeros(0, dtype=np.int64)
    if sum(len(read.get(n, ())) for names in names_of for n in names) <= DEPS_CAP:
        parts = []
        for j, names in enumerate(names_of):
            found: set[int] = set()
            for n in names:
                found.update(read.get(n, ()))
            parts.append(np.array(sorted(found), dtype=np.int64))
            dep_ptr[j + 1] = dep_ptr[j] + len(found)
        dep_idx = np.concatenate(parts) if parts else dep_idx
    else:
        dep_ptr[:] = -1  # recompute every rate
    infected = np.array([comps.index(c) for c in model.infected], dtype=np.int64)
    is_inf = np.zeros(len(comps), dtype=np.bool_)
    is_inf[infected] = True
    rows = np.repeat(np.arange(m), np.diff(indptr))
    drains = np.zeros(m, dtype=np.bool_)
    drains[rows[(delta < 0) & is_inf[indices]]] = True
    return Tables(
        prog_ptr,
        op,
        arg,
        val,
        np.empty(depth),
        np.asarray(model.population_index, dtype=np.int64),
        indptr,
        indices,
        delta,
        dn.astype(np.float64),
        dep_ptr,
        dep_idx,
        drains,
        infected,
    )


@njit(cache=True, error_model="numpy", nogil=True)
def rate(j, prog_ptr, op, arg, val, stack, t, x, p, N):
    """Rate j at time t, state x, parameters p and population N."""
    sp = 0
    for q in range(prog_ptr[j], prog_ptr[j + 1]):
        o = op[q]
        if o < ADD:
            if o == CONST:
                stack[sp] = val[q]
            elif o == COMP:
                stack[sp] = x[arg[q]]
            elif o == PARAM:
                stack[sp] = p[arg[q]]
            elif o == POP:
                stack[sp] = N
            else:
                stack[sp] = t
            sp += 1
        elif o < EXP:
            if o == NEG:
                stack[sp - 1] = -stack[sp - 1]
                continue
            sp -= 1
            u = stack[sp - 1]
            v = stack[sp]
            if o == ADD:
                stack[sp - 1] = u + v
            elif o == SUB:
                stack[sp - 1] = u - v
            elif o == MUL:
                stack[sp - 1] = u * v
            elif o == DIV:
                stack[sp - 1] = u / v
            else:
                stack[sp - 1] = u**v
        elif o < MIN:
            u = stack[sp - 1]
            if o == EXP:
                stack[sp - 1] = math.exp(u)
            elif o == LOG:
                stack[sp - 1] = math.log(u)
            elif o == SQRT:
                stack[sp - 1] = math.sqrt(u)
            elif o == SIN:
                stack[sp - 1] = math.sin(u)
            elif o == COS:
                stack[sp - 1] = math.cos(u)
            else:
                stack[sp - 1] = abs(u)
        else:
            n = arg[q]
            sp -= n
            cur = stack[sp]
            for i in range(sp + 1, sp + n):
                if (stack[i] < cur) if o == MIN else (stack[i] > cur):
                    cur = stack[i]
            stack[sp] = cur
            sp += 1
    return stack[0]


@njit(cache=True, error_model="numpy", nogil=True)
def _hold(times, k, out, x, until):
    """Report state x at every report time before ``until``; returns the next index still to fill."""
    while k < times.shape[0] and times[k] < until:
        out[k, :] = x
        k += 1
    return k


@njit(cache=True, error_model="numpy", nogil=True)
def _ok(v):
    return v >= 0.0 and v < INF


@njit(cache=True, error_model="numpy", nogil=True)
def ssa_table(rng, xi, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired, tabs, margins, act):
    """The direct method as in the straight-line kernel; after a transition only the rates that
    read a changed compartment (or N) are recomputed, or all of them when ``dep_ptr[0] < 0``, and
    the pending (``act``) trigger margins (``margins``) are evaluated (status 6 at a positive one).
    ``tabs`` is a :class:`Tables`, ``margins`` a :class:`Margins`."""
    prog_ptr, op, arg, val, stack, pop, indptr, indices, delta, dn, dep_ptr, dep_idx, drains, infected = tabs
    m_ptr, m_op, m_arg, m_val, m_stack = margins
    m = prog_ptr.shape[0] - 1
    x = xi.astype(np.float64)
    a = np.empty(m)
    cap = log_t.shape[0]
    fired = 0
    status = 0
    bad = -1
    t_fire = t
    t_zero = -1.0
    N = 0.0
    for i in pop:
        N += x[i]
    for j in range(m):
        a[j] = rate(j, prog_ptr, op, arg, val, stack, t, x, p, N)
        if not _ok(a[j]):
            return 2, t, k, 0, j, nlog, t, -1.0
    while True:
        a0 = 0.0
        for i in range(m):
            a0 += a[i]
        if not (a0 > 0.0):
            status = 1
            k = _hold(times, k, out, x, t_stop)
            break
        if fired >= max_fired:
            status = 3
            break
        t_next = t + rng.standard_exponential() / a0
        k = _hold(times, k, out, x, min(t_next, t_stop))
        if t_next >= t_stop:
            t = t_stop
            break
        t = t_next
        r = rng.random() * a0
        j = -1
        s = 0.0
        for i in range(m - 1):
            s += a[i]
            if r < s:
                j = i
                break
        if j < 0:
            for i in range(m - 1, -1, -1):
                if a[i] > 0.0:
                    j = i
                    break
        if j < 0:
            status = 1
            break
        for q in range(indptr[j], indptr[j + 1]):
            x[indices[q]] += delta[q]
        N += dn[j]
        if drains[j]:
            empty = True
            for i in infected:
                if x[i] != 0.0:
                    empty = False
            if empty:
                t_zero = t
        if dep_ptr[0] < 0:
            for d in range(m):
                a[d] = rate(d, prog_ptr, op, arg, val, stack, t, x, p, N)
                if not _ok(a[d]):
                    bad = d
        else:
            for q in range(dep_ptr[j], dep_ptr[j + 1]):
                d = dep_idx[q]
                a[d] = rate(d, prog_ptr, op, arg, val, stack, t, x, p, N)
                if not _ok(a[d]):
                    bad = d
        fired += 1
        t_fire = t
        if nlog < cap:
            log_t[nlog] = t
            log_j[nlog] = j
            nlog += 1
        if bad >= 0:
            status = 2
            break
        for e in range(act.shape[0]):
            if act[e] and rate(e, m_ptr, m_op, m_arg, m_val, m_stack, t, x, p, N) > 0.0:
                bad = e
                break
        if bad >= 0:
            status = 6
            break
    for i in range(x.shape[0]):
        xi[i] = np.int64(x[i])
    return status, t, k, fired, bad, nlog, t_fire, t_zero
