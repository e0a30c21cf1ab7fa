"""R0 by the next-generation matrix at the disease-free equilibrium (van den Driessche & Watmough 2002)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy

from hyosan.analysis.meanfield import (
    SOLVE_SECONDS,
    TOL,
    MeanField,
    call_with_budget,
    mean_field,
    rational,
    solve_budget,
)
from hyosan.compartmental.model import Model
from hyosan.errors import ModelError


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
        sols = [{}] if at_start else solve_budget(dfe_eqs, x_non, seconds)
    except (TimeoutError, RuntimeError, NotImplementedError):
        sols = [{}]
        note = f"sympy did not solve the disease-free state within {seconds:g} s; taken from the initial state"
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
    values = {**mf.numeric, mf.N: rational(dfe_num["__N__"])}
    Fn, Vn = _numeric_matrix(F, values), _numeric_matrix(V, values)
    dfe_num.pop("__N__")
    base = NextGeneration(tuple(model.infected), dfe_num, dfe_expr, F, V, None, None, note)
    if not (np.all(np.isfinite(Fn)) and np.all(np.isfinite(Vn))):
        base.note = "R0 is undefined at the disease-free state (a rate is 0/0 there, e.g. N = 0)"
        return base
    if np.linalg.matrix_rank(Vn, tol=TOL * max(1.0, np.abs(Vn).max())) < len(inf_idx):
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
                expr[comps[i]] = rational(model.initial[i])
        if first in free:
            others = sum((expr[comps[i]] for i in pop if i != first), sympy.Integer(0))
            expr[comps[first]] = mf.N - others if first in pop else rational(model.initial[first])
        resolved = {
            k: sympy.sympify(v).subs({mf.states[i]: expr[comps[i]] for i in range(len(comps))}) for k, v in expr.items()
        }
        num = {}
        ok = True
        for k, v in resolved.items():
            val = complex(sympy.N(v.subs({**mf.numeric, mf.N: rational(n_total)})))
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
