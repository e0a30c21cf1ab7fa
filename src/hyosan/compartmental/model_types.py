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
from hyosan.errors import ModelError, ParameterError

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


MAX_OCCURRENCES = 1_000_000
"""Most occurrences of one timed event a run may reach (each is a stop of the integrator or kernel)."""


@dataclass(frozen=True, eq=False)
class Times:
    """When a timed event fires: the ``listed`` times, or ``start + every*k`` (k = 0, 1, ...) up to
    ``until`` (inf: no end). Periodic times are built only up to a run's end (:meth:`upto`), so an
    ``every`` without ``until`` costs nothing until a run names its horizon."""

    listed: tuple[float, ...] = ()
    start: float = 0.0
    every: float = 0.0
    until: float = math.inf

    @property
    def bounded(self) -> bool:
        return not self.every or math.isfinite(self.until)

    def count(self, t_end: float = math.inf) -> float:
        """How many times are <= ``t_end`` (inf for an endless period and no ``t_end``)."""
        if not self.every:
            return sum(t <= t_end + 1e-12 for t in self.listed)
        n = math.floor((self.until - self.start) / self.every + 1e-9) + 1 if math.isfinite(self.until) else math.inf
        if math.isfinite(t_end):
            reach = t_end + 1e-12
            m = max(0, math.floor((reach - self.start) / self.every) + 1)
            if m <= MAX_OCCURRENCES + 2:  # round-off fix-up; beyond it the count is refused anyway (and m + 1 == m)
                while m > 0 and self.start + self.every * (m - 1) > reach:
                    m -= 1
                while self.start + self.every * m <= reach:
                    m += 1
            n = min(n, m)
        return max(n, 0)

    def upto(self, t_end: float, what: str = "this event", error: type[Exception] = ValueError) -> tuple[float, ...]:
        """The times <= ``t_end``; refuses more than :data:`MAX_OCCURRENCES` naming ``what``."""
        n = self.count(t_end)
        if n > MAX_OCCURRENCES:
            many = f"{n:,.0f}" if n < 1e12 else f"{float(n):.3g}"
            raise error(
                f"{what}: 'every' {self.every:g} fires {many} times before the end at {t_end:g}, more than "
                f"{MAX_OCCURRENCES:,}; use a longer period, an earlier 'until' or a shorter run"
            )
        if not self.every:
            return tuple(t for t in self.listed if t <= t_end + 1e-12)
        return tuple(self.start + self.every * k for k in range(int(n)))

    def __len__(self) -> int:
        if not self.bounded:
            raise TypeError("an 'every' without 'until' has no length; use Times.upto(t_end)")
        return int(self.count())

    def __iter__(self):
        if not self.every:
            return iter(self.listed)
        if not self.bounded:
            raise TypeError("an 'every' without 'until' is endless; use Times.upto(t_end)")
        return (self.start + self.every * k for k in range(int(self.count())))

    def __getitem__(self, i: int) -> float:
        if not self.every:
            return self.listed[i]
        if i < 0:
            i += len(self)
        if i < 0 or i >= self.count():
            raise IndexError("event time index out of range")
        return self.start + self.every * i

    def __bool__(self) -> bool:
        return self.count() > 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Times):
            return (self.listed, self.start, self.every, self.until) == (
                other.listed, other.start, other.every, other.until
            )  # fmt: skip
        if isinstance(other, tuple):
            return self.bounded and len(self) == len(other) and tuple(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.listed, self.start, self.every, self.until))

    def __str__(self) -> str:
        if not self.every:
            return ", ".join(f"{t:g}" for t in self.listed[:6]) + (" ..." if len(self.listed) > 6 else "")
        end = f" until {self.until:g}" if math.isfinite(self.until) else ""
        return f"{self.start:g}, then every {self.every:g}{end}"

    def key(self) -> dict[str, Any]:
        """The schedule as JSON-ready data (for digests)."""
        return {"listed": list(self.listed), "start": self.start, "every": self.every, "until": str(self.until)}


@dataclass(frozen=True)
class Event:
    """Assignments applied at scheduled times: ``Z <- (1 - k*n)*Z`` at ``t = start + every*(n-1)``.

    ``n`` counts occurrences from 1. A value below zero is set to zero. Assignments must only move
    individuals between compartments unless ``changes_total`` declares that the event removes or
    adds some (checked by :func:`hyosan.engines.events.check_events`); ``where`` is its place in the file.
    """

    name: str
    times: Times
    assign: tuple[tuple[str, Expr], ...]
    params: tuple[tuple[str, Expr], ...] = ()
    when: Condition | None = None
    kind: str = "event"
    changes_total: bool = False
    where: str = ""
    graph: tuple[tuple[str, Any], ...] = ()  # isolate / close: actions on a contact graph (network engine)

    def __post_init__(self) -> None:
        if not isinstance(self.times, Times):  # a plain list of times
            object.__setattr__(self, "times", Times(tuple(float(t) for t in self.times)))

    @property
    def triggered(self) -> bool:
        return self.when is not None

    def occurrences(self, t_end: float) -> list[tuple[float, int]]:
        """(time, n) of each occurrence up to ``t_end``, ``n`` counting from 1; built for this horizon only."""
        what = self.where or f"event '{self.name}'"
        return [(t, i + 1) for i, t in enumerate(self.times.upto(t_end, f"{what} ('{self.name}')", ModelError))]


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
