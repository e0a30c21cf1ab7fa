"""Interventions on compartment models: one declared object, one meaning, on every engine that runs it.

An intervention fires at given times (``at``, or ``every`` with ``start``/``until``) or once, when a
condition becomes true (``when: "Z > 50"``). Its effect is one of:

- ``quarantine``, ``kill``, ``cure``: switch rates on by setting parameters (``set: {kappa: 0.1}``);
- ``sweep``: impulsive eradication, destroying a fraction of compartments
  (``kill: {Z: "k*n"}`` means ``Z <- max(0, 1 - k*n) * Z``, Munz's impulsive model);
- ``set``: any mix of parameter values and compartment assignments.

Each becomes an :class:`~hyosan.compartmental.model.Event`; a trigger that can never fire and two
interventions that set one parameter to different values at one time are refused before a run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hyosan.compartmental import expr as _expr
from hyosan.compartmental.model import Condition, Event, event_times
from hyosan.errors import ModelError

KINDS = {
    "quarantine": "switch quarantine rates on (set parameters)",
    "kill": "switch a continuous kill rate on (set parameters)",
    "cure": "switch a cure or treatment rate on (set parameters)",
    "sweep": "destroy a fraction of compartments at once (kill: {Z: fraction})",
    "set": "set parameters and/or compartments",
}
_FIELDS = {"name", "kind", "at", "every", "start", "until", "when", "set", "kill", "changes_total"}


def parse_condition(text: Any, allowed: set[str], where: str) -> Condition:
    """``"Z > 50"`` or ``"S/N < 0.5"``: one comparison between two safe expressions."""
    if not isinstance(text, str) or sum(text.count(op) for op in "<>") != 1 or "=" in text:
        raise ModelError(f"{where}: write a condition with one '>' or '<', e.g. \"Z > 50\"")
    op = ">" if ">" in text else "<"
    left, right = text.split(op)
    return Condition(text.strip(), _expr.parse(left, allowed, where), op, _expr.parse(right, allowed, where))


def parse_interventions(
    raw: Any, comps: Sequence[str], params: Sequence[str], allowed: set[str], at: Callable[..., str]
) -> list[Event]:
    """Validate the ``interventions:`` list of a model file and turn it into events."""
    if not isinstance(raw, list):
        raise ModelError(f"{at('interventions')}: give a list of interventions")
    events = []
    for i, item in enumerate(raw):
        where = at("interventions", i)
        if not isinstance(item, Mapping):
            raise ModelError(f"{where}: an intervention is a mapping with kind, timing and effect")
        extra = set(item) - _FIELDS
        if extra:
            raise ModelError(f"{where}: unknown field(s) {sorted(map(str, extra))}; use {', '.join(sorted(_FIELDS))}")
        kind = item.get("kind", "set")
        if not isinstance(kind, str) or kind not in KINDS:
            raise ModelError(f"{where}.kind: unknown kind '{kind}'; choose one of: {', '.join(KINDS)}")
        timing = [k for k in ("at", "every", "when") if k in item]
        if len(timing) != 1:
            raise ModelError(f"{where}: give exactly one of 'at', 'every' or 'when'")
        when = parse_condition(item["when"], allowed - {"n"}, f"{where}.when") if "when" in item else None
        times = () if when else event_times(item, where)
        new_params, assign = [], []
        for key in ("set", "kill"):
            if not isinstance(item.get(key) or {}, Mapping):
                raise ModelError(f"{where}.{key}: write a mapping, e.g. {key}: {{NAME: VALUE}}")
        for name, value in (item.get("set") or {}).items():
            if name in params:
                new_params.append((name, _expr.parse(value, allowed, f"{where}.set.{name}")))
            elif name in comps:
                assign.append((name, _expr.parse(value, allowed, f"{where}.set.{name}")))
            else:
                raise ModelError(
                    f"{where}.set: '{name}' is neither a parameter nor a compartment; "
                    f"parameters: {', '.join(params)}; compartments: {', '.join(comps)}"
                )
        for c, fraction in (item.get("kill") or {}).items():
            if c not in comps:
                raise ModelError(f"{where}.kill: unknown compartment '{c}'; declared: {', '.join(comps)}")
            f = _expr.parse(fraction, allowed, f"{where}.kill.{c}")
            assign.append((c, _expr.parse(f"max(0, 1 - ({f.text}))*{c}", allowed, f"{where}.kill.{c}")))
        if kind == "sweep" and not item.get("kill"):
            raise ModelError(f"{where}: a sweep needs 'kill: {{COMPARTMENT: fraction}}'")
        if kind in ("quarantine", "kill", "cure") and not new_params:
            raise ModelError(f"{where}: a {kind} intervention sets rate parameters, e.g. set: {{kappa: 0.1}}")
        if not new_params and not assign:
            raise ModelError(f"{where}: the intervention changes nothing; give 'set' or 'kill'")
        name = str(item.get("name") or f"{kind} {i}")
        removes = bool(item.get("kill")) or item.get("changes_total") is True
        events.append(Event(name, times, tuple(assign), tuple(new_params), when, kind, removes, where))
    _check_contradictions(events, at)
    return events


def _check_contradictions(events: list[Event], at: Callable[..., str]) -> None:
    seen: dict[tuple[float, str], tuple[str, str]] = {}
    for ev in events:
        if ev.triggered:
            continue
        for t in ev.times:
            for name, value in (*ev.params, *ev.assign):
                key = (round(t, 9), name)
                if key in seen and seen[key][1] != value.text:
                    raise ModelError(
                        f"{at('interventions')}: '{ev.name}' and '{seen[key][0]}' both set {name} at t = {t:g} "
                        f"to different values ({value.text} vs {seen[key][1]}); merge them or move one"
                    )
                seen[key] = (ev.name, value.text)


def check_triggers(model: Any) -> None:
    """Refuse a trigger on a conserved population that can never be reached."""
    total = float(sum(model.initial))
    closed = bool((model.stoichiometry.sum(axis=1) == 0).all())
    for ev in model.events:
        cond = ev.when
        if cond is None or not cond.left.names <= set(model.compartments) or cond.right.names:
            continue
        try:
            threshold = cond.right.evaluate({})
        except KeyError:
            continue
        coef_ok = all(c in model.compartments for c in cond.left.names)
        if not coef_ok or not math.isfinite(threshold):
            continue
        is_sum = all(ch.isalnum() or ch in "_+ ()" for ch in cond.left.text)
        if cond.op == "<" and threshold <= 0 and is_sum:
            raise ModelError(
                f"{model.source}: trigger of '{ev.name}' ({cond.text}) can never fire: counts are never negative"
            )
        if cond.op == ">" and closed and is_sum and threshold >= total:
            raise ModelError(
                f"{model.source}: trigger of '{ev.name}' ({cond.text}) can never fire: the population is "
                f"conserved at {total:g}; lower the threshold"
            )
