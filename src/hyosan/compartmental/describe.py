"""Human-readable description of a model: what ``hyosan show`` prints."""

from __future__ import annotations

import numpy as np

from hyosan.compartmental.model import Model


def equations(model: Model) -> list[str]:
    """The mean-field equations ``X' = ...`` built from the transitions (one pass over the changes)."""
    terms: list[list[str]] = [[] for _ in model.compartments]
    for tr, row in zip(model.transitions, model.stoichiometry, strict=True):
        for i in np.flatnonzero(row):
            k = int(row[i])
            coef = "" if abs(k) == 1 else f"{abs(k)}*"
            terms[i].append(("+ " if k > 0 else "- ") + coef + f"({tr.rate})")
    return [
        f"  d{c}/dt = {' '.join(t).removeprefix('+ ') if t else '0'}"
        for c, t in zip(model.compartments, terms, strict=True)
    ]


def describe(model: Model) -> str:
    out = [f"{model.name}: {model.title}" if model.title else model.name]
    if model.description:
        out += ["", model.description]
    if model.reference:
        out += ["", f"Reference: {model.reference}"]
    if model.notes:
        out += ["", f"Notes: {model.notes}"]
    out += ["", "Compartments:"]
    for c, m, x0 in zip(
        model.compartments, model.compartment_meaning or [""] * len(model.compartments), model.initial, strict=True
    ):
        out.append(f"  {c:6s} initial {x0:g}  {m}")
    out += ["", "Parameters (time in days):"]
    for p in model.parameters:
        out.append(f"  {p.name:8s} = {p.value:<10g} {p.unit:18s} {p.meaning}")
    out += ["", "Transitions:"]
    out += [f"  {tr.name}: {tr}" if tr.name != tr.reaction else f"  {tr}" for tr in model.transitions]
    for ev in model.events:
        sets = [f"{c} <- {e}" for c, e in (*ev.params, *ev.assign)] + [_graph_action(a, spec) for a, spec in ev.graph]
        when = str(ev.times)
        at = f"when {ev.when.text}" if ev.when is not None else f"at t = {when}"
        out.append(f"  event '{ev.name}' {at}: {', '.join(sets)}")
    out += ["", "Equations:", *equations(model)]
    return "\n".join(out)


def _graph_action(action: str, spec: tuple) -> str:
    """``isolate I; nodes 0, 17`` or ``close class 1-3``: a network action in a line."""
    if action == "isolate":
        names, nodes = spec
        parts = [*names, *([f"nodes {', '.join(map(str, nodes))}"] if nodes else [])]
        return f"isolate {'; '.join(parts)} (network)"
    return (
        "close "
        + "; ".join("all edges" if a == "all" else f"{a} {', '.join(labels)}" for a, labels in spec)
        + (" (network)")
    )
