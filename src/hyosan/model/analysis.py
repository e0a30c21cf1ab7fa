"""Symbolic analysis of a model's mean-field equations: R0, equilibria and their stability.

The equations come from the transitions (``dx/dt = Γ r(x)``, Γ the stoichiometry), so the analysis
always matches what the engines simulate. Conventions:

* **R0** is the spectral radius of ``F V⁻¹`` at the disease-free equilibrium (van den Driessche &
  Watmough 2002). F holds the new infections (the infected-side gains of transitions that consume a
  non-infected compartment and produce an infected one), V every other flow of the infected
  compartments. In the symbolic R0 a parameter whose value is 0 is set to 0 (it switches a flow off);
  the others stay symbols. Compartments of the DFE that their equations leave undetermined come from
  the initial state with all of the initial population in the susceptible compartment (the first
  that new infections consume), written ``N``. A singular V gives R0 = inf (``None`` in the report, with ``R0_note``).
* **Equilibria** are solved exactly (parameters as rationals) together with the linear conservation
  laws of the active transitions, fixed at the initial state; a solution with free variables left is
  a family, evaluated where its free variables take their initial values.
* **Passive** compartments, which no rate reads (e.g. the dead outside ``N``), only accumulate: their
  equations are left out of the DFE and of the equilibrium conditions, and they keep their initial
  values unless a conservation law fixes them.
* **Stability** is read on the stoichiometric subspace of the non-passive compartments: each
  conservation law and each passive compartment adds one structural zero eigenvalue to the Jacobian,
  which is ignored. ``stable`` is True when every other eigenvalue has a negative real part, False
  when one is positive, None ("marginal") when the largest is ~0 (as along a family of equilibria).
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from hyosan.errors import ModelError
from hyosan.model.spec import Model

SOLVE_SECONDS = 4.0
"""Budget of one sympy solve, run in a child process so a hard system cannot hang the analysis."""

SYMBOLIC_MAX_COMPARTMENTS = 4
"""Closed forms of equilibria are attempted only for models this small, within ``SYMBOLIC_SECONDS``."""

SYMBOLIC_SECONDS = 2.0

_TOL = 1e-9


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


@dataclass
class NextGeneration:
    """The next-generation construction at the disease-free equilibrium."""

    infected: tuple[str, ...]
    dfe: dict[str, float]
    dfe_expression: dict[str, sympy.Expr]
    F: sympy.Matrix
    V: sympy.Matrix
    R0: float | None
    R0_expression: sympy.Expr | None
    note: str = ""


@dataclass
class Equilibrium:
    """One equilibrium (or a representative point of a family) and its linear stability.

    ``family`` holds a family's coordinates in terms of its ``free`` ones (parameters as numbers);
    ``symbolic`` the closed form with the parameters as symbols, when sympy finds it in time.
    """

    state: dict[str, float]
    eigenvalues: list[complex]
    stable: bool | None
    free: list[str] = field(default_factory=list)
    family: dict[str, str] = field(default_factory=dict)
    symbolic: dict[str, str] = field(default_factory=dict)

    @property
    def stability(self) -> str:
        return {True: "stable", False: "unstable", None: "marginal"}[self.stable]


def _rational(value: float) -> sympy.Rational:
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
    numeric = {params[p.name]: _rational(p.value) for p in model.parameters}
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


def _child(conn: Any, fn: Callable[..., Any], args: tuple) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def call_with_budget(fn: Callable[..., Any], args: tuple, seconds: float) -> Any:
    """``fn(*args)`` in a forked child, killed after ``seconds`` (TimeoutError).

    Where fork is missing or this process may not have children (a daemon worker), it runs in-process
    without a limit.
    """
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return fn(*args)
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
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
    if status != "ok":
        raise RuntimeError(value)
    return value


def _solve(eqs: list[sympy.Expr], unknowns: list[sympy.Symbol]) -> list[dict]:
    return sympy.solve(eqs, unknowns, dict=True)


def _solve_budget(eqs: list[sympy.Expr], unknowns: list[sympy.Symbol], seconds: float) -> list[dict]:
    eqs = [e for e in (sympy.together(sympy.expand(e)) for e in eqs) if e != 0]
    if not eqs:
        return [{}]
    return call_with_budget(_solve, (eqs, unknowns), seconds)


# ---- R0 by the next-generation matrix ----------------------------------------------------


def _new_infection(model: Model, j: int, infected: set[int]) -> bool:
    change = model.stoichiometry[j]
    takes = any(change[i] < 0 for i in range(len(change)) if i not in infected)
    gives = any(change[i] > 0 for i in infected)
    return bool(takes and gives)


def _numeric_matrix(m: sympy.Matrix, values: dict) -> np.ndarray:
    out = np.full(m.shape, math.nan)
    for i in range(m.rows):
        for j in range(m.cols):
            try:
                val = complex(sympy.N(sympy.sympify(m[i, j]).subs(values)))
            except TypeError:
                continue
            if math.isfinite(val.real) and val.imag == 0:
                out[i, j] = val.real
    return out


def next_generation(
    model: Model, mf: MeanField | None = None, seconds: float = SOLVE_SECONDS, at_start: bool = False
) -> NextGeneration:
    """R0 by the next-generation matrix at the disease-free equilibrium (see the module's conventions).

    With ``at_start`` the matrix is taken at the initial state with the infected emptied into the
    first non-infected compartment instead: the reproduction number at the outbreak's start, which
    differs from R0 when the disease-free state is not where the population begins.
    """
    if not model.infected:
        raise ModelError(
            f"{model.source} (infected): the model declares no infected compartments; "
            "add e.g. 'infected: [I]' to compute R0"
        )
    mf = mf or mean_field(model)
    comps = list(model.compartments)
    inf_idx = [comps.index(c) for c in model.infected]
    inf_set = set(inf_idx)
    non_idx = [i for i in range(len(comps)) if i not in inf_set]
    x_inf = [mf.states[i] for i in inf_idx]
    x_non = [mf.states[i] for i in non_idx]

    sym_rhs = mf.rhs.subs(mf.zeros)
    note = ""
    try:
        dfe_eqs = [e.subs(dict.fromkeys(x_inf, 0)) for e, p in zip(sym_rhs, mf.passive, strict=True) if not p]
        sols = [{}] if at_start else _solve_budget(dfe_eqs, x_non, seconds)
    except (TimeoutError, RuntimeError, NotImplementedError) as exc:
        sols, note = [{}], f"the disease-free state could not be solved ({exc}); taken from the initial state"
    dfe_expr, dfe_num = _choose_dfe(model, mf, sols, non_idx, inf_idx)
    if dfe_expr is None:
        return NextGeneration(
            tuple(model.infected),
            {},
            {},
            sympy.Matrix(),
            sympy.Matrix(),
            None,
            None,
            "no disease-free equilibrium: with the infected compartments empty, flows still change the "
            "compartments (e.g. births feeding a reservoir that produces infected)",
        )

    F_vec = sympy.zeros(len(inf_idx), 1)
    for j, (rate, act) in enumerate(zip(mf.rates, mf.active, strict=True)):
        if act and _new_infection(model, j, inf_set):
            for k, i in enumerate(inf_idx):
                if mf.gamma[i, j] > 0:
                    F_vec[k] += mf.gamma[i, j] * rate
    f_inf = sympy.Matrix([sym_rhs[i] for i in inf_idx])
    F_vec = F_vec.subs(mf.zeros)
    V_vec = F_vec - f_inf
    point = {mf.states[i]: dfe_expr[comps[i]] for i in range(len(comps))}
    F = sympy.simplify(F_vec.jacobian(x_inf).subs(point))
    V = sympy.simplify(V_vec.jacobian(x_inf).subs(point))
    values = {**mf.numeric, mf.N: _rational(dfe_num["__N__"])}
    Fn, Vn = _numeric_matrix(F, values), _numeric_matrix(V, values)
    dfe_num.pop("__N__")
    base = NextGeneration(tuple(model.infected), dfe_num, dfe_expr, F, V, None, None, note)
    if not (np.all(np.isfinite(Fn)) and np.all(np.isfinite(Vn))):
        base.note = "R0 is undefined at the disease-free state (a rate is 0/0 there, e.g. N = 0)"
        return base
    if np.linalg.matrix_rank(Vn, tol=_TOL * max(1.0, np.abs(Vn).max())) < len(inf_idx):
        base.R0 = math.inf
        base.note = (
            "V is singular at the disease-free state (some infected compartment has no outflow there), "
            "so R0 is infinite in the next-generation sense"
        )
        return base
    K = Fn @ np.linalg.inv(Vn)
    base.R0 = float(np.max(np.abs(np.linalg.eigvals(K))))
    base.R0_expression = _R0_expression(F, V, K, base.R0, values, seconds)
    return base


def _choose_dfe(
    model: Model, mf: MeanField, sols: list[dict], non_idx: list[int], inf_idx: list[int]
) -> tuple[dict | None, dict]:
    """Pick the non-negative disease-free solution with the largest population; fill free compartments.

    A free susceptible compartment (the first one that new infections consume, else the first
    non-infected one) holds the whole initial population, less the others' DFE values: ``N``.
    """
    comps = list(model.compartments)
    pop = set(int(i) for i in model.population_index)
    n_total = sum(model.initial[i] for i in pop)
    inf_set = set(inf_idx)
    takers = [
        i
        for i in non_idx
        if any(
            a and _new_infection(model, j, inf_set) and model.stoichiometry[j][i] < 0 for j, a in enumerate(mf.active)
        )
    ]
    first = (takers or non_idx or [None])[0]
    best, best_key = None, None
    for sol in sols:
        expr = {}
        for i in range(len(comps)):
            x = mf.states[i]
            if i in inf_idx:
                expr[comps[i]] = sympy.Integer(0)
            elif x in sol:
                expr[comps[i]] = sol[x]
        free = [i for i in non_idx if comps[i] not in expr]
        for i in free:
            if i != first:
                expr[comps[i]] = _rational(model.initial[i])
        if first in free:
            others = sum((expr[comps[i]] for i in pop if i != first), sympy.Integer(0))
            expr[comps[first]] = mf.N - others if first in pop else _rational(model.initial[first])
        resolved = {
            k: sympy.sympify(v).subs({mf.states[i]: expr[comps[i]] for i in range(len(comps))}) for k, v in expr.items()
        }
        num = {}
        ok = True
        for k, v in resolved.items():
            val = complex(sympy.N(v.subs({**mf.numeric, mf.N: _rational(n_total)})))
            if abs(val.imag) > 1e-9 * (1 + abs(val.real)) or val.real < -1e-9 * (1 + n_total):
                ok = False
                break
            num[k] = max(val.real, 0.0)
        if not ok:
            continue
        key = sum(num[comps[i]] for i in pop)
        if best_key is None or key > best_key:
            best, best_key = (resolved, num), key
    if best is None:
        return None, {}
    resolved, num = best
    resolved = {c: resolved[c] for c in comps}
    num = {c: num[c] for c in comps}
    num["__N__"] = n_total
    return resolved, num


def _R0_expression(
    F: sympy.Matrix, V: sympy.Matrix, K: np.ndarray, r0: float, values: dict, seconds: float
) -> sympy.Expr | None:
    """The symbolic spectral radius: the trace when F V⁻¹ has rank one, else the matching eigenvalue."""
    if r0 == 0:
        return sympy.Integer(0)
    try:
        Ks = call_with_budget(_symbolic_ngm, (F, V, np.linalg.matrix_rank(K, tol=1e-12 * max(1.0, r0)) == 1), seconds)
    except (TimeoutError, RuntimeError):
        return None
    best, gap = None, math.inf
    for ev in Ks:
        val = complex(sympy.N(ev.subs(values)))
        d = abs(val - r0)
        if d < gap:
            best, gap = ev, d
    return best if gap <= 1e-6 * max(1.0, r0) else None


def _symbolic_ngm(F: sympy.Matrix, V: sympy.Matrix, rank_one: bool) -> list[sympy.Expr]:
    K = F * V.inv()
    if rank_one:
        return [sympy.factor(sympy.cancel(K.trace()))]
    return [sympy.factor(sympy.cancel(e)) for e in K.eigenvals()]


# ---- equilibria and stability ------------------------------------------------------------


def _jacobian_eigs(J: np.ndarray, keep: np.ndarray, basis: np.ndarray) -> tuple[list[complex], bool | None]:
    """All eigenvalues of J, and stability read on the non-passive block restricted to ``basis``."""
    eigs = [complex(e) for e in np.linalg.eigvals(J)]
    if basis.shape[1] == 0:
        return eigs, None
    block = J[np.ix_(keep, keep)]
    reduced = np.linalg.eigvals(basis.T @ block @ basis)
    tol = 1e-8 * (1.0 + np.abs(J).max())
    top = float(np.max(reduced.real))
    return eigs, (True if top < -tol else False if top > tol else None)


def _subspace(mf: MeanField) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the non-passive compartments and an orthonormal basis of their stoichiometric subspace.

    The Jacobian is ``Γ ∂r/∂x``, so its image lies in the span of Γ's columns; each conservation law
    (and each passive compartment, whose column of the Jacobian is zero) only adds a zero eigenvalue.
    """
    from scipy.linalg import orth

    keep = np.array([i for i, p in enumerate(mf.passive) if not p], dtype=np.int64)
    cols = [j for j, a in enumerate(mf.active) if a]
    if not cols or not len(keep):
        return keep, np.zeros((len(keep), 0))
    return keep, orth(np.array(mf.gamma[keep.tolist(), cols].tolist(), dtype=float))


def equilibria(
    model: Model, mf: MeanField | None = None, seconds: float = SOLVE_SECONDS
) -> tuple[list[Equilibrium], list[str]]:
    """Real, non-negative equilibria on the initial state's conservation class, and notes.

    A passive compartment may still change there (a sink filling up); the others are at rest.
    """
    mf = mf or mean_field(model)
    notes: list[str] = []
    rhs = mf.rhs.subs(mf.numeric)
    x0 = [_rational(v) for v in model.initial]
    laws = conservation_laws(model, mf)
    eqs = [e for e, p in zip(rhs, mf.passive, strict=True) if not p]
    for c in laws:
        eqs.append(sum((ci * (x - xi) for ci, x, xi in zip(c, mf.states, x0, strict=True)), sympy.Integer(0)))
    try:
        sols = _solve_budget(eqs, list(mf.states), seconds)
    except (TimeoutError, RuntimeError, NotImplementedError) as exc:
        sols = _numeric_roots(model, mf, eqs)
        notes.append(
            f"equilibria: sympy gave no answer ({str(exc).splitlines()[0]}); these were found numerically "
            "from the initial state and random starts, so some may be missing"
        )
    jac = rhs.jacobian(mf.states)
    jac_fn = sympy.lambdify([mf.states], jac, modules="numpy")
    keep, basis = _subspace(mf)
    scale = 1.0 + float(np.sum(model.initial))
    found: list[Equilibrium] = []
    for sol in sols:
        free = [x for x, p in zip(mf.states, mf.passive, strict=True) if x not in sol and not p]
        point = _point(sol, mf.states, {}, model.initial, scale)
        if point is None:
            continue
        if any(np.allclose(point, list(e.state.values()), rtol=1e-9, atol=1e-9 * scale) for e in found):
            continue
        with np.errstate(all="ignore"):
            J = np.array(jac_fn(np.array(point)), dtype=float)
        if not np.all(np.isfinite(J)):
            notes.append(f"equilibrium {dict(zip(model.compartments, point, strict=True))}: Jacobian undefined")
            continue
        eigs, stable = _jacobian_eigs(J, keep, basis)
        found.append(
            Equilibrium(
                state=dict(zip(model.compartments, point, strict=True)),
                eigenvalues=eigs,
                stable=stable,
                free=[str(x) for x in free],
                family={str(x): str(v) for x, v in sol.items()} if free else {},
            )
        )
    if not found:
        notes.append("no real non-negative equilibrium where the rates are defined")
    found.sort(key=lambda e: [-v for v in e.state.values()])
    if found and len(mf.states) <= SYMBOLIC_MAX_COMPARTMENTS:
        _attach_symbolic(model, mf, laws, found, scale, min(seconds, SYMBOLIC_SECONDS))
    return found, notes


def _numeric_roots(model: Model, mf: MeanField, eqs: list[sympy.Expr], starts: int = 12) -> list[dict]:
    """Least-squares roots of ``eqs`` (x >= 0) from the initial state and seeded random points of its class."""
    from scipy.optimize import least_squares

    fn = sympy.lambdify([mf.states], sympy.Matrix(eqs), modules="numpy")
    jac = sympy.lambdify([mf.states], sympy.Matrix(eqs).jacobian(mf.states), modules="numpy")
    x0 = np.asarray(model.initial, dtype=float)
    total = max(float(x0.sum()), 1.0)
    rng = np.random.default_rng(0)
    guesses = [x0, *(total * rng.dirichlet(np.ones(len(x0))) for _ in range(starts))]
    found: list[dict] = []
    for guess in guesses:
        with np.errstate(all="ignore"):
            try:
                res = least_squares(
                    lambda x: np.asarray(fn(x), dtype=float).ravel(),
                    guess,
                    jac=lambda x: np.asarray(jac(x), dtype=float),
                    bounds=(0, np.inf),
                    xtol=1e-15,
                    ftol=1e-15,
                    gtol=1e-15,
                )
                x = res.x
                for _ in range(30):
                    step = np.linalg.lstsq(np.asarray(jac(x), dtype=float), -np.asarray(fn(x), dtype=float).ravel())
                    x = x + step[0]
            except (ValueError, np.linalg.LinAlgError):
                continue
            f = np.asarray(fn(x), dtype=float).ravel()
        if np.all(np.isfinite(f)) and np.max(np.abs(f)) <= 1e-12 * total and x.min() >= -1e-9 * total:
            if not any(np.allclose(x, y, rtol=1e-6, atol=1e-6 * total) for y in found):
                found.append(x)
    return [
        {s: _rational(v if abs(v) > 1e-12 * total else 0.0) for s, v in zip(mf.states, x, strict=True)} for x in found
    ]


def _point(sol: dict, states: Sequence[sympy.Symbol], values: dict, initial: Sequence[float], scale: float):
    """The numeric state of a solution (free variables at their initial values), or None if not real and >= 0."""
    free_vals = {x: _rational(initial[i]) for i, x in enumerate(states) if x not in sol}
    point = []
    for x in states:
        try:
            v = complex(sympy.N(sympy.sympify(sol.get(x, x)).subs(values).subs(free_vals), 30))
        except TypeError:
            return None
        if not (math.isfinite(v.real) and abs(v.imag) <= 1e-9 * scale and v.real >= -1e-9 * scale):
            return None
        point.append(max(v.real, 0.0))
    return point


def _attach_symbolic(
    model: Model, mf: MeanField, laws: list, found: list[Equilibrium], scale: float, seconds: float
) -> None:
    """Solve again with the parameters as symbols and give each equilibrium found its closed form.

    The total of the conservation law over the population compartments is written ``N``; other
    totals stay numbers. Nothing is attached when the symbolic solve exceeds its budget.
    """
    pop = {int(i) for i in model.population_index}
    x0 = [_rational(v) for v in model.initial]
    eqs = [e for e, p in zip(mf.rhs.subs(mf.zeros), mf.passive, strict=True) if not p]
    for c in laws:
        lhs = sum((ci * x for ci, x in zip(c, mf.states, strict=True)), sympy.Integer(0))
        is_pop = all((ci == 1) == (i in pop) and ci in (0, 1) for i, ci in enumerate(c))
        total = mf.N if is_pop else sum((ci * xi for ci, xi in zip(c, x0, strict=True)), sympy.Integer(0))
        eqs.append(lhs - total)
    try:
        sols = _solve_budget(eqs, list(mf.states), seconds)
    except (TimeoutError, RuntimeError, NotImplementedError):
        return
    values = {**mf.numeric, mf.N: _rational(sum(model.initial[i] for i in pop))}
    for sol in sols:
        point = _point(sol, mf.states, values, model.initial, scale)
        if point is None:
            continue
        for e in found:
            if not e.symbolic and np.allclose(point, list(e.state.values()), rtol=1e-7, atol=1e-7 * scale):
                e.symbolic = {str(x): str(sympy.factor(sympy.sympify(sol.get(x, x)))) for x in mf.states}
                break


# ---- the report --------------------------------------------------------------------------


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _chop(x: float, among: Sequence[complex]) -> float:
    """Round-off (relative to the largest eigenvalue) to exactly 0, and -0.0 to 0.0."""
    scale = max((abs(z) for z in among), default=1.0)
    return 0.0 if abs(x) <= 1e-12 * max(1.0, scale) else float(x)


def equations(model: Model) -> dict[str, str]:
    """The mean-field right-hand sides as text, with ``N`` kept as a name."""
    states = {c: sympy.Symbol(c) for c in model.compartments}
    names = states | {p.name: sympy.Symbol(p.name) for p in model.parameters}
    names |= {"N": sympy.Symbol("N"), "t": sympy.Symbol("t")}
    rates = [sympy.sympify(tr.rate.sympy(names)) for tr in model.transitions]
    out = {}
    for i, c in enumerate(model.compartments):
        rhs = sum((int(row[i]) * r for row, r in zip(model.stoichiometry, rates, strict=True)), sympy.Integer(0))
        out[c] = str(rhs)
    return out


def _fmt_law(c: Sequence[sympy.Rational], model: Model) -> str:
    lhs = sum((ci * sympy.Symbol(n) for ci, n in zip(c, model.compartments, strict=True)), sympy.Integer(0))
    total = sum((ci * _rational(v) for ci, v in zip(c, model.initial, strict=True)), sympy.Integer(0))
    return f"{lhs} = {float(total):g}"


def _threshold_check(ngm: NextGeneration, eqs: list[Equilibrium]) -> list[str]:
    """Say so when the DFE's stability disagrees with the R0 < 1 threshold (the NGM's hypotheses fail)."""
    if ngm.R0 is None or not ngm.dfe or not math.isfinite(ngm.R0) or abs(ngm.R0 - 1) < 1e-9:
        return []
    scale = 1.0 + sum(ngm.dfe.values())
    for e in eqs:
        if all(abs(e.state[c] - v) <= 1e-9 * scale for c, v in ngm.dfe.items()) and e.stable is not None:
            if e.stable != (ngm.R0 < 1):
                return [
                    f"the disease-free equilibrium is {e.stability} although R0 = {ngm.R0:.4g}: flows into "
                    "the infected compartments that do not depend on them (e.g. R -> Z) or a neutral "
                    "disease-free subsystem put it outside the next-generation theorem"
                ]
    return []


def analyze(model: Model, seconds: float = SOLVE_SECONDS) -> dict[str, Any]:
    """Everything the analysis finds, as a JSON-ready dict (see the module docstring for conventions).

    Keys: ``R0`` (float, or None when infinite or undefined, then ``R0_note`` says why),
    ``R0_expression``, ``R0_initial`` and its expression (at the initial susceptible pool),
    ``infected``, ``dfe``, ``dfe_expression``, ``next_generation`` (F, V), ``equations``, ``N``, ``passive``,
    ``conservation_laws``, ``equilibria`` (each with ``state``, ``eigenvalues`` as [re, im] pairs,
    ``stable``, ``stability``; families add ``free`` and ``family``; closed forms ``expression``),
    ``notes``, ``parameters``.
    """
    mf = mean_field(model)
    ngm = next_generation(model, mf, seconds)
    eqs, notes = equilibria(model, mf, seconds)
    if model.events:
        notes.append("scheduled events are ignored: this is the analysis of the flows between them")
    if any("t" in tr.rate.names for tr in model.transitions):
        notes.append("some rates depend on t; they are analysed at t = 0")
    pop = [model.compartments[i] for i in model.population_index]
    empty = bool(
        ngm.dfe and sum(ngm.dfe[c] for c in pop) == 0 and sum(model.initial[i] for i in model.population_index) > 0
    )
    if empty:
        why = (
            "the disease-free equilibrium is an empty population (its own flows, e.g. deaths without "
            "births, drain it), so R0 is taken at the initial susceptible pool; R0_dfe is the value at that "
            "empty equilibrium"
        )
        ngm.note = f"{ngm.note}; {why}" if ngm.note else why
    start = next_generation(model, mf, seconds, at_start=True)
    notes += _threshold_check(ngm, eqs)
    report: dict[str, Any] = {
        "model": model.name,
        "R0": _num(ngm.R0),
        "R0_expression": None if ngm.R0_expression is None else str(ngm.R0_expression),
        "infected": list(ngm.infected),
        "dfe": ngm.dfe,
        "dfe_expression": {k: str(v) for k, v in ngm.dfe_expression.items()},
        "next_generation": {
            "F": [[str(v) for v in row] for row in ngm.F.tolist()],
            "V": [[str(v) for v in row] for row in ngm.V.tolist()],
        },
    }
    if ngm.note:
        report["R0_note"] = ngm.note
    report["R0_initial"] = _num(start.R0)
    report["R0_initial_expression"] = None if start.R0_expression is None else str(start.R0_expression)
    if empty:
        report["R0_dfe"] = report["R0"]
        report["R0"], report["R0_expression"] = report["R0_initial"], report["R0_initial_expression"]
    report["equations"] = equations(model)
    report["N"] = " + ".join(model.compartments[i] for i in model.population_index)
    report["passive"] = [c for c, p in zip(model.compartments, mf.passive, strict=True) if p]
    report["conservation_laws"] = [_fmt_law(c, model) for c in conservation_laws(model, mf)]
    report["equilibria"] = [
        {
            "state": e.state,
            "eigenvalues": [[_chop(z.real, e.eigenvalues), _chop(z.imag, e.eigenvalues)] for z in e.eigenvalues],
            "stable": e.stable,
            "stability": e.stability,
            **({"free": e.free, "family": e.family} if e.free else {}),
            **({"expression": e.symbolic} if e.symbolic else {}),
        }
        for e in eqs
    ]
    report["notes"] = notes
    report["parameters"] = model.parameter_values
    return report


def format_report(report: dict[str, Any]) -> str:
    """A readable text version of :func:`analyze`'s report."""
    out = [f"Analysis of {report.get('model', '')}", ""]
    out.append(f"Infected compartments: {', '.join(report['infected'])}")
    dfe = ", ".join(f"{k} = {report['dfe_expression'].get(k, v)}" for k, v in report["dfe"].items())
    out.append(f"Disease-free equilibrium: {dfe or 'none'}")
    r0 = report["R0"]
    out.append(f"R0 = {r0:.6g}" if r0 is not None else "R0: no finite value")
    if report.get("R0_expression"):
        out.append(f"   = {report['R0_expression']}")
    if report.get("R0_note"):
        out.append(f"   ({report['R0_note']})")
    if report.get("R0_initial") is not None and report.get("R0_initial") != r0:
        expr = f" = {report['R0_initial_expression']}" if report.get("R0_initial_expression") else ""
        out.append(f"R0 at the initial susceptible pool = {report['R0_initial']:.6g}{expr}")
    out += ["", f"Equations (N = {report['N']}):"]
    out += [f"  d{c}/dt = {e}" for c, e in report["equations"].items()]
    if report.get("passive"):
        out.append(f"Passive (read by no rate, left out of the equilibrium conditions): {', '.join(report['passive'])}")
    if report["conservation_laws"]:
        out += ["", "Conserved: " + "; ".join(report["conservation_laws"])]
    out += ["", f"Equilibria ({len(report['equilibria'])}):"]
    for e in report["equilibria"]:
        state = ", ".join(f"{k} = {v:.6g}" for k, v in e["state"].items())
        fam = f"  [family, free: {', '.join(e['free'])}]" if e.get("free") else ""
        out.append(f"  {state}: {e['stability']}{fam}")
        eigs = ", ".join(f"{re:.4g}" + (f"{im:+.4g}i" if abs(im) > 0 else "") for re, im in e["eigenvalues"])
        out.append(f"      eigenvalues: {eigs}")
        if e.get("expression"):
            out.append("      closed form: " + ", ".join(f"{k} = {v}" for k, v in e["expression"].items()))
    for note in report.get("notes", []):
        out.append(f"Note: {note}")
    return "\n".join(out)
