"""Generated code of the patches engine: the model's rates for one patch, with effective counts.

``prates(t, X, E, Ne, P, A, i)`` fills ``A[i]`` with the rates of every transition in patch ``i``:
``X[i]`` the patch's own counts, ``E[i]`` its effective counts (row ``i`` of ``mixing @ X``),
``Ne[i]`` its effective population, ``P[i]`` its parameters. Which terms see effective counts: in a
transition with two or more reactant compartments (a pair term such as ``S + Z -> Z + Z @
beta*S*Z``) each *catalyst* — a reactant the transition does not consume, the infectious or acting
party — is read from ``E``, and ``N`` from ``Ne``; every other name (the consumed party, and every
name of a one-reactant transition) is the patch's own count. Without mixing ``E`` equals ``X`` and
``Ne`` the patch's population, so the rates are the model's.
``tmargins(t, x, p, act)`` is :func:`hyosan.engines.triggers.margins_source` over the totals.
"""

from __future__ import annotations

from hyosan.compartmental.model import Model, Transition
from hyosan.engines import triggers
from hyosan.engines.codegen import kernel_module, rename_map
from hyosan.engines.kernel_source import HEADER, JIT, pop_source, reads
from hyosan.engines.patches.kernels import KERNELS
from hyosan.engines.patches.leap import LEAP


def catalysts(tr: Transition) -> set[str]:
    """The reactants of a pair term that the transition does not consume (see the module docstring)."""
    if len(tr.reactants) < 2:
        return set()
    made = dict(tr.products)
    return {c for c, k in tr.reactants if made.get(c, 0) >= k}


def prates_source(model: Model) -> str:
    """``prates(t, X, E, Ne, P, A, i)``: row ``i`` of every array (no views: a view costs reference counting)."""
    names = rename_map(model)
    used = set().union(*(tr.rate.names for tr in model.transitions)) if model.transitions else set()
    effective = set().union(*(catalysts(tr) for tr in model.transitions)) if model.transitions else set()
    lines = [JIT.replace(")", ", _nrt=False)"), "def prates(t, X, E, Ne, P, A, i):"]
    lines += [f"    {names[c]} = float(X[i, {k}])" for k, c in enumerate(model.compartments) if c in used]
    lines += [f"    {names[q.name]} = P[i, {j}]" for j, q in enumerate(model.parameters) if q.name in used]
    if "N" in used:
        lines.append("    N = " + " + ".join(f"float(X[i, {k}])" for k in model.population_index))
    lines += [f"    e_{c} = E[i, {k}]" for k, c in enumerate(model.compartments) if c in effective]
    if effective:
        lines.append("    Ne_i = Ne[i]")
    for j, tr in enumerate(model.transitions):
        cat = catalysts(tr)
        rename = {**names, **{c: f"e_{c}" for c in cat}} | ({"N": "Ne_i"} if cat else {})
        lines.append(f"    A[i, {j}] = {tr.rate.source(rename)}")
    return "\n".join([*lines, "    return 0"]) + "\n\n\n"


def plocal_source(model: Model) -> str:
    """``plocal(t, X, P, A, i)``: the model's own rates in patch ``i`` (no mixing: every name local)."""
    names = rename_map(model)
    used = set().union(*(tr.rate.names for tr in model.transitions)) if model.transitions else set()
    lines = [JIT.replace(")", ", _nrt=False)"), "def plocal(t, X, P, A, i):"]
    lines += [f"    {names[c]} = float(X[i, {k}])" for k, c in enumerate(model.compartments) if c in used]
    lines += [f"    {names[q.name]} = P[i, {j}]" for j, q in enumerate(model.parameters) if q.name in used]
    if "N" in used:
        lines.append("    N = " + " + ".join(f"float(X[i, {k}])" for k in model.population_index))
    lines += [f"    A[i, {j}] = {tr.rate.source(names)}" for j, tr in enumerate(model.transitions)]
    return "\n".join([*lines, "    return 0"]) + "\n\n\n"


def patch_source(model: Model) -> str:
    rename = rename_map(model)
    margins = triggers.margins_source(model, rename, reads(model, triggers.used_names(model), "    ", True))
    margins = margins.replace("def margins(", "def tmargins(")
    return "".join([HEADER, pop_source(model), prates_source(model), plocal_source(model), margins, KERNELS, LEAP])


def patch_module(model: Model):
    """The compiled module (``prates``, ``tmargins``, ``patch_ssa``, ``patch_tau``, ``patch_rhs``) of ``model``."""
    return kernel_module(model, "patch", patch_source(model))
