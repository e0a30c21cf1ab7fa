"""Triggered events on the stochastic engines: their conditions as margins the kernels evaluate.

A trigger's *margin* is ``LEFT - RIGHT`` for ``LEFT > RIGHT`` (``RIGHT - LEFT`` for ``<``); the
condition holds when it is positive. Counts change only at transitions, so the kernels evaluate
every pending margin after each firing (the tau kernel after each leap, re-running a leap that
crossed with exact steps) and stop at the first firing after which one is positive: that firing
is the crossing, exactly. A condition that reads ``t`` would move between firings; it is refused.
"""

from __future__ import annotations

import ast

from hyosan.compartmental.model import Condition, Event, Model
from hyosan.errors import EngineError


def triggered(model: Model) -> list[Event]:
    """The model's triggered events, in the order the kernels index them."""
    return [ev for ev in model.events if ev.triggered]


def check_stochastic(model: Model, engine: str) -> None:
    """Refuse a trigger the counting engines cannot locate exactly: one whose condition reads ``t``."""
    for ev in triggered(model):
        assert ev.when is not None
        if "t" in ev.when.left.names | ev.when.right.names:
            raise EngineError(
                f"{ev.where or model.source}: the trigger of '{ev.name}' ({ev.when.text}) reads t; the {engine} "
                "engine checks triggers when counts change, so a condition on time would be missed between "
                "transitions; schedule it with 'at' or 'start' instead, or run the ode engine"
            )


def margin_source(cond: Condition, rename: dict[str, str]) -> str:
    """Python source of the margin of ``cond`` (names renamed as in the rate code)."""
    left, right = cond.left.source(rename), cond.right.source(rename)
    return f"({left}) - ({right})" if cond.op == ">" else f"({right}) - ({left})"


def margin_program(cond: Condition) -> tuple:
    """The margin of ``cond`` as a postfix program (:attr:`hyosan.compartmental.expr.Expr.program`)."""
    first, second = (cond.left, cond.right) if cond.op == ">" else (cond.right, cond.left)
    return (*first.program, *second.program, ("b", ast.Sub))


def margins_source(model: Model, rename: dict[str, str], reads: list[str]) -> str:
    """``margins(t, x, p, act)``: the index of the first pending (``act``) trigger whose margin is
    positive at state ``x`` (floats), or -1. ``reads`` are the lines reading the names used."""
    lines = ['@njit(cache=True, error_model="numpy", nogil=True)', "def margins(t, x, p, act):"]
    events = triggered(model)
    if events:
        lines += reads
    for e, ev in enumerate(events):
        assert ev.when is not None
        lines += [f"    if act[{e}] and {margin_source(ev.when, rename)} > 0.0:", f"        return {e}"]
    return "\n".join([*lines, "    return -1"]) + "\n\n\n"


def used_names(model: Model) -> set[str]:
    """Every name the trigger conditions read."""
    names: set[str] = set()
    for ev in triggered(model):
        assert ev.when is not None
        names |= ev.when.left.names | ev.when.right.names
    return names
