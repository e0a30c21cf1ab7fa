"""Equilibria sympy can find (or a numeric search when it runs out of time) and their linear stability."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy

from hyosan.analysis.meanfield import (
    SOLVE_SECONDS,
    SYMBOLIC_MAX_COMPARTMENTS,
    SYMBOLIC_SECONDS,
    MeanField,
    conservation_laws,
    mean_field,
    rational,
    solve_budget,
)
from hyosan.compartmental.model import Model


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
    x0 = [rational(v) for v in model.initial]
    laws = conservation_laws(model, mf)
    eqs = [e for e, p in zip(rhs, mf.passive, strict=True) if not p]
    for c in laws:
        eqs.append(sum((ci * (x - xi) for ci, x, xi in zip(c, mf.states, x0, strict=True)), sympy.Integer(0)))
    try:
        sols = solve_budget(eqs, list(mf.states), seconds)
    except (TimeoutError, RuntimeError, NotImplementedError):
        sols = _numeric_roots(model, mf, eqs)
        notes.append(
            f"equilibria: sympy found no closed form within {seconds:g} s; these were found numerically "
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
        {s: rational(v if abs(v) > 1e-12 * total else 0.0) for s, v in zip(mf.states, x, strict=True)} for x in found
    ]


def _point(sol: dict, states: Sequence[sympy.Symbol], values: dict, initial: Sequence[float], scale: float):
    """The numeric state of a solution (free variables at their initial values), or None if not real and >= 0."""
    free_vals = {x: rational(initial[i]) for i, x in enumerate(states) if x not in sol}
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
    x0 = [rational(v) for v in model.initial]
    eqs = [e for e, p in zip(mf.rhs.subs(mf.zeros), mf.passive, strict=True) if not p]
    for c in laws:
        lhs = sum((ci * x for ci, x in zip(c, mf.states, strict=True)), sympy.Integer(0))
        is_pop = all((ci == 1) == (i in pop) and ci in (0, 1) for i, ci in enumerate(c))
        total = mf.N if is_pop else sum((ci * xi for ci, xi in zip(c, x0, strict=True)), sympy.Integer(0))
        eqs.append(lhs - total)
    try:
        sols = solve_budget(eqs, list(mf.states), seconds)
    except (TimeoutError, RuntimeError, NotImplementedError):
        return
    values = {**mf.numeric, mf.N: rational(sum(model.initial[i] for i in pop))}
    for sol in sols:
        point = _point(sol, mf.states, values, model.initial, scale)
        if point is None:
            continue
        for e in found:
            if not e.symbolic and np.allclose(point, list(e.state.values()), rtol=1e-7, atol=1e-7 * scale):
                e.symbolic = {str(x): str(sympy.factor(sympy.sympify(sol.get(x, x)))) for x in mf.states}
                break


# ---- the report --------------------------------------------------------------------------
