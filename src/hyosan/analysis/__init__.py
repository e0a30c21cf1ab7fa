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
from collections.abc import Sequence
from typing import Any

import sympy

from hyosan.analysis.equilibria import Equilibrium, equilibria
from hyosan.analysis.meanfield import SOLVE_SECONDS, call_with_budget, conservation_laws, mean_field, rational
from hyosan.analysis.ngm import NextGeneration, next_generation
from hyosan.analysis.report import AT_DFE, AT_INITIAL, Analysis, format_report, number
from hyosan.compartmental.model import Model
from hyosan.errors import ModelError

__all__ = ["Analysis", "analyze", "call_with_budget", "equations", "format_report"]


def equations(model: Model) -> dict[str, sympy.Expr]:
    """The mean-field right-hand sides, with ``N`` kept as a symbol."""
    states = {c: sympy.Symbol(c) for c in model.compartments}
    names = states | {p.name: sympy.Symbol(p.name) for p in model.parameters}
    names |= {"N": sympy.Symbol("N"), "t": sympy.Symbol("t")}
    rates = [sympy.sympify(tr.rate.sympy(names)) for tr in model.transitions]
    out = {}
    for i, c in enumerate(model.compartments):
        rhs = sum((int(row[i]) * r for row, r in zip(model.stoichiometry, rates, strict=True)), sympy.Integer(0))
        out[c] = rhs
    return out


def _guards(expr: Any) -> dict[sympy.Expr, sympy.Expr]:
    """``Max(N, c)`` with a number c <= 1 in ``expr``, each mapped to N: a guard against N = 0 that
    equals N whenever anyone is alive, and that a student reads as N."""
    out = {}
    for m in sympy.sympify(expr).atoms(sympy.Max):
        n = [a for a in m.args if isinstance(a, sympy.Symbol) and a.name == "N"]
        rest = [a for a in m.args if a not in n]
        if len(n) == 1 and rest and all(a.is_number and a.is_real and bool(a <= 1) for a in rest):
            out[m] = n[0]
    return out


def _unguarded(expr: Any, cancel: bool = False) -> Any:
    """``expr`` with its N guards written N (and, for an R0, the N that then cancels, cancelled)."""
    if expr is None or not isinstance(expr, sympy.Basic):
        return expr
    guards = _guards(expr)
    if not guards:
        return expr
    out = expr.xreplace(guards)
    return sympy.factor(sympy.cancel(out)) if cancel else out


def _fmt_law(c: Sequence[sympy.Rational], model: Model) -> str:
    lhs = sum((ci * sympy.Symbol(n) for ci, n in zip(c, model.compartments, strict=True)), sympy.Integer(0))
    total = sum((ci * rational(v) for ci, v in zip(c, model.initial, strict=True)), sympy.Integer(0))
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


ANALYSIS_SECONDS = 30.0
"""Budget of a whole analysis: sympy can take without bound on hostile rates (e.g. ``(S/N + I/N)**300``)."""


def analyze(model: Model, seconds: float = SOLVE_SECONDS, total: float = ANALYSIS_SECONDS) -> Analysis:
    """Everything the analysis finds, as an :class:`Analysis` (see the module docstring for conventions).

    Each sympy solve has ``seconds``; the whole analysis runs in a child process stopped after
    ``total`` seconds (a ``ModelError`` saying so), so that no model can hang the caller.
    """
    try:
        return call_with_budget(_analyze, (model, seconds), total, nested=True)
    except TimeoutError:
        raise ModelError(
            f"{model.source}: the symbolic analysis did not finish within {total:g} s; its rate expressions are "
            "too hard for sympy (simplify them), or simulate the model instead"
        ) from None
    except RuntimeError:
        raise ModelError(
            f"{model.source}: sympy could not analyse these rate expressions; simplify them, "
            "or simulate the model instead"
        ) from None


def _analyze(model: Model, seconds: float) -> Analysis:
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
    chosen = start if empty else ngm
    eqs_sym = equations(model)
    guarded = any(_guards(e) for e in eqs_sym.values())
    if guarded:
        notes.append(
            "max(N, 1) in the rates (a guard against an empty population) is written N in the expressions; "
            "the numbers use the rates as written"
        )
    show = _unguarded if guarded else (lambda e, cancel=False: e)
    return Analysis(
        model=model.name,
        R0=number(chosen.R0),
        R0_expression=show(chosen.R0_expression, cancel=True),
        R0_at=AT_INITIAL if empty else AT_DFE,
        R0_dfe=number(ngm.R0),
        R0_dfe_expression=show(ngm.R0_expression, cancel=True),
        R0_initial=number(start.R0),
        R0_initial_expression=show(start.R0_expression, cancel=True),
        R0_note=ngm.note,
        infected=tuple(ngm.infected),
        dfe=dict(ngm.dfe),
        dfe_expression={k: show(v) for k, v in ngm.dfe_expression.items()},
        F=ngm.F.applyfunc(show) if ngm.F is not None else None,
        V=ngm.V.applyfunc(show) if ngm.V is not None else None,
        equations={k: show(v) for k, v in eqs_sym.items()},
        N=" + ".join(model.compartments[i] for i in model.population_index),
        passive=[c for c, p in zip(model.compartments, mf.passive, strict=True) if p],
        conservation_laws=[_fmt_law(c, model) for c in conservation_laws(model, mf)],
        equilibria=list(eqs),
        notes=notes,
        parameters=model.parameter_values,
    )
