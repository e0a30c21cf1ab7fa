"""A model's mean-field equations in sympy, its conservation laws, and time-bounded sympy solves."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy

from hyosan.compartmental.model import Model
from hyosan.errors import HyosanError

SOLVE_SECONDS = 4.0
"""Budget of one sympy solve, run in a child process so a hard system cannot hang the analysis."""

SYMBOLIC_MAX_COMPARTMENTS = 4
"""Closed forms of equilibria are attempted only for models this small, within ``SYMBOLIC_SECONDS``."""

SYMBOLIC_SECONDS = 2.0

TOL = 1e-9


@dataclass(frozen=True)
class MeanField:
    """The model's mean-field ODE as sympy objects.

    ``rates`` have ``N`` replaced by the sum over the population compartments; ``gamma`` is the
    stoichiometry (compartments × transitions); ``rhs = gamma * rates``. ``numeric`` maps every
    parameter symbol to its value as an exact rational; ``zeros`` maps the zero-valued ones to 0.
    ``active`` marks the transitions whose rate is not identically 0 at the model's values;
    ``passive`` the compartments no active rate reads (sinks such as the dead outside ``N``).
    """

    states: tuple[sympy.Symbol, ...]
    params: dict[str, sympy.Symbol]
    N: sympy.Symbol
    rates: tuple[sympy.Expr, ...]
    gamma: sympy.Matrix
    rhs: sympy.Matrix
    numeric: dict[sympy.Symbol, sympy.Rational]
    zeros: dict[sympy.Symbol, int]
    active: tuple[bool, ...]
    passive: tuple[bool, ...]


def rational(value: float) -> sympy.Rational:
    return sympy.Rational(repr(float(value)))


def mean_field(model: Model) -> MeanField:
    """Build the sympy right-hand side ``dx/dt`` from the model's transitions."""
    states = tuple(sympy.Symbol(c, nonnegative=True) for c in model.compartments)
    params = {}
    for p in model.parameters:
        params[p.name] = sympy.Symbol(p.name, positive=True) if p.value > 0 else sympy.Symbol(p.name, real=True)
    n_sym = sympy.Symbol("N", positive=True)
    pop = sum((states[i] for i in model.population_index), sympy.Integer(0))
    names = {c: s for c, s in zip(model.compartments, states, strict=True)} | params
    names |= {"N": pop, "t": sympy.Integer(0)}
    rates = tuple(sympy.sympify(tr.rate.sympy(names)) for tr in model.transitions)
    gamma = sympy.Matrix(model.stoichiometry.T.tolist())
    numeric = {params[p.name]: rational(p.value) for p in model.parameters}
    zeros = {params[p.name]: 0 for p in model.parameters if p.value == 0}
    active = tuple(bool(sympy.simplify(r.subs(numeric)) != 0) for r in rates)
    rhs = gamma * sympy.Matrix(rates)
    read = set().union(*(r.free_symbols for r, a in zip(rates, active, strict=True) if a))
    passive = tuple(x not in read for x in states)
    return MeanField(states, params, n_sym, rates, gamma, rhs, numeric, zeros, active, passive)


def conservation_laws(model: Model, mf: MeanField | None = None) -> list[list[sympy.Rational]]:
    """Integer-free rational vectors ``c`` with ``c · dx/dt = 0`` over the active transitions."""
    mf = mf or mean_field(model)
    cols = [j for j, a in enumerate(mf.active) if a]
    if not cols:
        return [list(row) for row in sympy.eye(len(mf.states)).tolist()]
    sub = mf.gamma[:, cols]
    return [list(v) for v in sub.T.nullspace()]


# ---- running sympy under a time budget ---------------------------------------------------


def _exit_on_term(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _child(conn: Any, fn: Callable[..., Any], args: tuple, nested: bool = False) -> None:
    if nested:  # a terminated parent of budgeted children must stop them on its way out
        signal.signal(signal.SIGTERM, _exit_on_term)
    try:
        conn.send(("ok", fn(*args)))
    except SystemExit:
        raise
    except HyosanError as exc:
        conn.send(("user", exc))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def call_with_budget(fn: Callable[..., Any], args: tuple, seconds: float, *, nested: bool = False) -> Any:
    """``fn(*args)`` in a forked child, killed after ``seconds`` (TimeoutError).

    A ``HyosanError`` raised by ``fn`` is raised again here; any other failure is a RuntimeError.
    ``nested``: the child may itself start budgeted children (it is not a daemon). Where fork is
    missing or this process may not have children (a daemon worker), it runs in-process without a limit.
    """
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return fn(*args)
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args, nested), daemon=not nested)
    proc.start()
    send.close()
    try:
        if not recv.poll(seconds):
            raise TimeoutError(f"no answer within {seconds:g} s")
        try:
            status, value = recv.recv()
        except EOFError:
            raise RuntimeError("the solver process died") from None
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()
        recv.close()
    if status == "user":
        raise value
    if status != "ok":
        raise RuntimeError(value)
    return value


def _solve(eqs: list[sympy.Expr], unknowns: list[sympy.Symbol]) -> list[dict]:
    return sympy.solve(eqs, unknowns, dict=True)


def solve_budget(eqs: list[sympy.Expr], unknowns: list[sympy.Symbol], seconds: float) -> list[dict]:
    eqs = [e for e in (sympy.together(sympy.expand(e)) for e in eqs) if e != 0]
    if not eqs:
        return [{}]
    return call_with_budget(_solve, (eqs, unknowns), seconds)


# ---- R0 by the next-generation matrix ----------------------------------------------------
