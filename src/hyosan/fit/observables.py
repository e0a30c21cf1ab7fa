"""What a data column measures: a compartment (``I``), a sum (``I + Q``) or new arrivals per interval.

``new(S -> I)`` counts individuals moved by every transition that takes from S and gives to I, and
``new(infection)`` those moved by the named transition, in each interval between observations: the
row at time t_i counts (t_{i-1}, t_i], the first row counts from the model's start (t = 0).
Flows are counted by adding a counter compartment to each such transition (outside the population,
so no rate changes); any engine then reports them like compartments.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from hyosan.compartmental import expr as _expr
from hyosan.compartmental.model import Model
from hyosan.errors import ExpressionError
from hyosan.fit.priors import FitError

_NEW = re.compile(r"^\s*new\s*\((.*)\)\s*$", re.S)
SYNTAX = "a compartment (I), a sum (I + Q) or new arrivals (new(S -> I), new(TRANSITION))"


@dataclass(frozen=True)
class Observable:
    """``terms`` are the compartments summed; ``flows`` the transitions counted (new arrivals per interval)."""

    text: str
    terms: tuple[str, ...] = ()
    flows: tuple[int, ...] = ()

    def values(self, states: Mapping[str, np.ndarray], counters: Sequence[str]) -> np.ndarray:
        """The observable over the report times from the state ``states`` (name -> array, time last)."""
        if not self.flows:
            return sum(np.asarray(states[c], dtype=float) for c in self.terms)
        total = sum(np.asarray(states[counters[j]], dtype=float) for j in self.flows)
        return np.diff(total, axis=-1, prepend=0.0)


def parse_observable(text: str, names: Sequence[str], model: Model | None, where: str) -> Observable:
    """An observable over the state ``names``; flows need the compartment ``model``."""
    text = str(text).strip()
    match = _NEW.match(text)
    if match:
        if model is None:
            raise FitError(f"{where}: {text!r} counts a transition, and this target has none; observe a state")
        return Observable(text, flows=_flows(match.group(1).strip(), model, where, text))
    try:
        parsed = _expr.parse(text, names, where)
    except ExpressionError as exc:
        raise FitError(f"{exc}; an observable is {SYNTAX}") from None
    terms: list[str] = []
    for step in parsed.program:
        if step[0] == "v":
            terms.append(step[1])
        elif not (step[0] == "b" and step[1] is ast.Add):
            raise FitError(f"{where}: {text!r} is not a sum of states; an observable is {SYNTAX}")
    return Observable(text, terms=tuple(terms))


def _flows(inner: str, model: Model, where: str, text: str) -> tuple[int, ...]:
    reactions = "; ".join(f"{t.name}: {t.reaction}" for t in model.transitions)
    if "->" not in inner:
        found = tuple(j for j, t in enumerate(model.transitions) if t.name == inner)
        if not found:
            raise FitError(f"{where}: {model.name} has no transition named {inner!r} for {text!r}; it has {reactions}")
        return found
    src, _, dst = (s.strip() for s in inner.partition("->"))
    for c in (src, dst):
        if c not in model.compartments:
            raise FitError(
                f"{where}: {c!r} in {text!r} is not a compartment of {model.name} ({', '.join(model.compartments)})"
            )
    i, k = model.compartments.index(src), model.compartments.index(dst)
    found = tuple(j for j, row in enumerate(model.stoichiometry) if row[i] < 0 and row[k] > 0)
    if not found:
        raise FitError(f"{where}: {model.name} cannot produce {text!r}: no transition takes from {src} and gives to "
                       f"{dst}; it has {reactions}")  # fmt: skip
    return found


def with_counters(model: Model, observables: Sequence[Observable]) -> tuple[Model, list[str]]:
    """``model`` plus one counter compartment per counted transition (outside the population); the
    counter names, indexed by transition (empty string for transitions not counted)."""
    counted = sorted({j for o in observables for j in o.flows})
    if not counted:
        return model, [""] * len(model.transitions)
    taken = set(model.compartments) | {p.name for p in model.parameters}
    counters = [""] * len(model.transitions)
    transitions = list(model.transitions)
    for j in counted:
        name = f"new_{j}"
        while name in taken:
            name = "_" + name
        taken.add(name)
        counters[j] = name
        transitions[j] = replace(transitions[j], products=(*transitions[j].products, (name, 1)))
    added = [counters[j] for j in counted]
    population = model.population or model.compartments
    meaning = model.compartment_meaning or ("",) * len(model.compartments)
    augmented = replace(
        model,
        compartments=(*model.compartments, *added),
        initial=(*model.initial, *(0.0 for _ in added)),
        transitions=tuple(transitions),
        population=tuple(population),
        compartment_meaning=(*meaning, *(f"cumulative {transitions[j].name}" for j in counted)),
    )
    return augmented, counters
