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
from hyosan.compartmental.model import Model
from hyosan.errors import ModelError

__all__ = ["analyze", "call_with_budget", "equations", "format_report"]


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


def analyze(model: Model, seconds: float = SOLVE_SECONDS, total: float = ANALYSIS_SECONDS) -> dict[str, Any]:
    """Everything the analysis finds, as a JSON-ready dict (see the module docstring for conventions).

    Each sympy solve has ``seconds``; the whole analysis runs in a child process stopped after
    ``total`` seconds (a ``ModelError`` saying so), so that no model can hang the caller.

    Keys: ``R0`` (float, or None when infinite or undefined, then ``R0_note`` says why),
    ``R0_expression``, ``R0_initial`` and its expression (at the initial susceptible pool),
    ``infected``, ``dfe``, ``dfe_expression``, ``next_generation`` (F, V), ``equations``, ``N``, ``passive``,
    ``conservation_laws``, ``equilibria`` (each with ``state``, ``eigenvalues`` as [re, im] pairs,
    ``stable``, ``stability``; families add ``free`` and ``family``; closed forms ``expression``),
    ``notes``, ``parameters``.
    """
    try:
        return call_with_budget(_analyze, (model, seconds), total, nested=True)
    except TimeoutError:
        raise ModelError(
            f"{model.source}: the symbolic analysis did not finish within {total:g} s; its rate expressions are "
            "too hard for sympy (simplify them), or simulate the model with 'hyosan run'"
        ) from None
    except RuntimeError:
        raise ModelError(
            f"{model.source}: sympy could not analyse these rate expressions; simplify them, "
            "or simulate the model with 'hyosan run'"
        ) from None


def _analyze(model: Model, seconds: float) -> dict[str, Any]:
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
