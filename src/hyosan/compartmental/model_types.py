"""The parts of a model: parameters, transitions (reactions), trigger conditions and events.

Also the number and name checks every part of the model language shares.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hyosan.compartmental import expr as _expr
from hyosan.compartmental.expr import Expr
from hyosan.errors import ParameterError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_NAME = 64
"""Longest compartment or parameter name."""
MAX_COEFFICIENT = 1000
"""Largest stoichiometric coefficient in a reaction (``1000 S -> ...``)."""
RESERVED = {"N", "t", "n", "x", "p", "math", "np", "out", *_expr.FUNCTIONS}


@dataclass(frozen=True)
class Parameter:
    """A named constant of the model, with its unit and meaning (rates are per day)."""

    name: str
    value: float
    unit: str = ""
    meaning: str = ""


@dataclass(frozen=True)
class Transition:
    """One reaction: ``reactants -> products @ rate``; ``change`` is products minus reactants."""

    name: str
    reactants: tuple[tuple[str, int], ...]
    products: tuple[tuple[str, int], ...]
    rate: Expr

    @property
    def reaction(self) -> str:
        def side(terms: tuple[tuple[str, int], ...]) -> str:
            return " + ".join(f"{k} {c}" if k > 1 else c for c, k in terms)

        return f"{side(self.reactants)} -> {side(self.products)}".strip()

    def change(self, compartments: Sequence[str]) -> np.ndarray:
        vec = np.zeros(len(compartments), dtype=np.int64)
        for c, k in self.products:
            vec[compartments.index(c)] += k
        for c, k in self.reactants:
            vec[compartments.index(c)] -= k
        return vec

    def __str__(self) -> str:
        return f"{self.reaction} @ {self.rate}"


@dataclass(frozen=True)
class Condition:
    """A trigger ``LEFT > RIGHT`` or ``LEFT < RIGHT``; it fires when it becomes true."""

    text: str
    left: Expr
    op: str
    right: Expr

    def margin(self, values: Mapping[str, float]) -> float:
        """Positive once the condition holds; its zero crossing is the trigger time."""
        diff = self.left.evaluate(values) - self.right.evaluate(values)
        return diff if self.op == ">" else -diff


@dataclass(frozen=True)
class Event:
    """Assignments applied at scheduled times: ``Z <- (1 - k*n)*Z`` at ``t = start + every*(n-1)``.

    ``n`` counts occurrences from 1. A value below zero is set to zero. Assignments must only move
    individuals between compartments unless ``changes_total`` declares that the event removes or
    adds some (checked by :func:`hyosan.engines.events.check_events`); ``where`` is its place in the file.
    """

    name: str
    times: tuple[float, ...]
    assign: tuple[tuple[str, Expr], ...]
    params: tuple[tuple[str, Expr], ...] = ()
    when: Condition | None = None
    kind: str = "event"
    changes_total: bool = False
    where: str = ""
    graph: tuple[tuple[str, Any], ...] = ()  # isolate / close: actions on a contact graph (network engine)

    @property
    def triggered(self) -> bool:
        return self.when is not None

    def occurrences(self, t_end: float) -> list[tuple[float, int]]:
        return [(t, i + 1) for i, t in enumerate(self.times) if t <= t_end + 1e-12]


def _number(raw: Any, where: str) -> float:
    if isinstance(raw, bool):
        raise ParameterError(f"{where}: expected a number, got {raw!r}")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ParameterError(f"{where}: expected a number, got {_short(repr(raw), 60)}") from None
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ParameterError(f"{where}: expected a finite number, got {_short(repr(raw), 60)}")
    return value


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _listing(names: Sequence[str] | Mapping[str, int], n: int = 20) -> str:
    """The first ``n`` names, comma-separated, so messages stay one short line for huge models."""
    names = list(names)
    return ", ".join(names[:n]) + (f", ... ({len(names)} in all)" if len(names) > n else "")
