"""Validating a model description (a parsed YAML mapping or a dict) into a :class:`Model`.

Reactions, rates, events, defaults and roles are checked one by one; every error names the source,
the field, the line and the fix.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hyosan.compartmental import expr as _expr
from hyosan.compartmental.model_types import (
    _NAME,
    MAX_COEFFICIENT,
    MAX_NAME,
    RESERVED,
    Event,
    Parameter,
    Times,
    Transition,
    _listing,
    _number,
    _short,
)
from hyosan.errors import ModelError, ParameterError
from hyosan.units import days

if TYPE_CHECKING:
    from hyosan.compartmental.model import Model

_TERM = re.compile(r"^\s*(\d*)\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")


def parse_reaction(text: str, compartments: Sequence[str] | Mapping[str, int], where: str) -> tuple[tuple, tuple]:
    """``'S + Z -> Z + Z'`` to ((('S',1),('Z',1)), (('Z',2),)); empty sides allowed.

    ``compartments`` may be a name -> index mapping (linear time for large models).
    """
    known = compartments if isinstance(compartments, Mapping) else {c: i for i, c in enumerate(compartments)}
    if text.count("->") != 1:
        raise ModelError(f"{where}: '{text}' needs exactly one '->', e.g. 'S + I -> I + I'")
    sides = []
    for side in text.split("->"):
        counts: Counter[str] = Counter()
        side = side.strip()
        if side and side != "0":
            for term in side.split("+"):
                m = _TERM.match(term)
                if not m:
                    raise ModelError(
                        f"{where}: cannot read '{_short(term.strip())}' in '{_short(text)}'; write terms like '2 S'"
                    )
                name, digits = m.group(2), m.group(1)
                if name not in known:
                    raise ModelError(
                        f"{where}: unknown compartment '{name}' in '{_short(text)}'{_close(name, known)}; "
                        f"declared: {_listing(compartments)}"
                    )
                if digits and int(digits[:5]) == 0:
                    raise ModelError(f"{where}: coefficient 0 of {name} in '{_short(text)}'; drop the term or write 1")
                if len(digits) > 4 or int(digits or 1) > MAX_COEFFICIENT:
                    raise ModelError(
                        f"{where}: coefficient {digits[:12]}{'...' if len(digits) > 12 else ''} of {name} is larger "
                        f"than {MAX_COEFFICIENT}; a reaction moves at most {MAX_COEFFICIENT} individuals of a kind"
                    )
                counts[name] += int(digits or 1)
                if counts[name] > MAX_COEFFICIENT:
                    raise ModelError(
                        f"{where}: {name} appears {counts[name]} times on one side of '{_short(text)}'; "
                        f"a reaction moves at most {MAX_COEFFICIENT} individuals of a kind"
                    )
        sides.append(tuple(sorted(((c, k) for c, k in counts.items() if k), key=lambda ck: known[ck[0]])))
    if not sides[0] and not sides[1]:
        raise ModelError(f"{where}: '{_short(text)}' has nothing on either side")
    return sides[0], sides[1]


def _from_dict(cls: type[Model], data: Mapping[str, Any], source: str, lines: Mapping[tuple, int]) -> Model:
    at = _locator(source, lines)

    if not isinstance(data, Mapping):
        raise ModelError(f"{source}: a model is a mapping with 'compartments', 'parameters', 'transitions'")
    known = {
        "name",
        "title",
        "description",
        "reference",
        "notes",
        "compartments",
        "parameters",
        "initial",
        "transitions",
        "events",
        "interventions",
        "infected",
        "population",
        "roles",
        "defaults",
    }
    for key in data:
        if key not in known:
            raise ModelError(f"{at(key)}: unknown field '{str(key)[:40]}'; fields: {', '.join(sorted(known))}")
    for key in ("compartments", "transitions"):
        if key not in data:
            raise ModelError(f"{source}: missing field '{key}'")

    comps, meanings, index = _compartments(data, at)

    params = _parameters(data, at, index)
    initial = _initial(data, at, comps, index)

    rate_names = {*comps, *(p.name for p in params), "N", "t"}
    transitions = _transitions(data, at, index, rate_names)

    events: list[Event] = []
    if not isinstance(data.get("events") or [], list):
        raise ModelError(f"{at('events')}: give a list of events, e.g. [{{at: [10], set: {{I: '0'}}}}]")
    for i, ev in enumerate(data.get("events") or []):
        events.append(_event(ev, i, comps, {*rate_names, "n"}, at))

    from hyosan.compartmental.roles import parse_roles
    from hyosan.interventions import parse_interventions

    events += parse_interventions(
        data.get("interventions") or [], comps, [p.name for p in params], {*rate_names, "n"}, at
    )

    def names_in(key: str) -> tuple[str, ...]:
        raw = data.get(key) or []
        if not isinstance(raw, list) or any(not isinstance(c, str) or c not in index for c in raw):
            raise ModelError(f"{at(key)}: '{key}' lists compartments from: {_listing(comps)}")
        return tuple(raw)

    defaults = _defaults(data, at)
    for key in ("name", "title", "description", "reference", "notes"):
        if isinstance(data.get(key), (Mapping, list)):
            raise ModelError(f"{at(key)}: '{key}' is text, e.g. {key}: my model")
    model = cls(
        name=str(data.get("name") or Path(source).stem),
        compartments=tuple(comps),
        parameters=tuple(params),
        initial=tuple(initial[c] for c in comps),
        transitions=tuple(transitions),
        events=tuple(events),
        title=str(data.get("title") or "").strip(),
        description=str(data.get("description") or "").strip(),
        reference=str(data.get("reference") or "").strip(),
        notes=str(data.get("notes") or "").strip(),
        infected=names_in("infected"),
        population=names_in("population"),
        roles=parse_roles(data.get("roles"), comps, at),
        compartment_meaning=tuple(meanings),
        defaults=dict(defaults),
        source=source,
    )
    _check_vanishing(model)
    model.check_rates()
    from hyosan.interventions import check_triggers

    check_triggers(model)
    from hyosan.engines.events import check_events

    check_events(model)
    return model


def _locator(source: str, lines: Mapping[tuple, int]) -> Callable[..., str]:
    """``at(*path)``: ``source:LINE (path)`` of the deepest part of ``path`` that has a line."""

    def at(*path: Any) -> str:
        line = None
        for k in range(len(path), -1, -1):
            line = lines.get(tuple(path[:k]))
            if line is not None:
                break
        dotted = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path).replace(".[", "[")
        return f"{source}:{line} ({dotted})" if line else f"{source} ({dotted})"

    return at


def _compartments(data: Mapping[str, Any], at: Callable[..., str]) -> tuple[list, list[str], dict[str, int]]:
    """Compartment names (a list, or a mapping name -> meaning), their meanings and their index."""
    comp_raw = data["compartments"]
    if isinstance(comp_raw, Mapping):
        comps, meanings = list(comp_raw), [str(v or "") for v in comp_raw.values()]
    elif isinstance(comp_raw, list):
        comps, meanings = list(comp_raw), ["" for _ in comp_raw]
    else:
        raise ModelError(f"{at('compartments')}: list the compartments, e.g. [S, I, R]")
    if not comps:
        raise ModelError(f"{at('compartments')}: a model needs at least one compartment")
    index: dict[str, int] = {}
    for c in comps:
        if not isinstance(c, str) or not _NAME.match(c) or c in RESERVED or len(c) > MAX_NAME:
            raise ModelError(
                f"{at('compartments')}: '{str(c)[:40]}' is not a usable name (a letter, then up to {MAX_NAME - 1} "
                "letters, digits or _; "
                f"not {', '.join(sorted(RESERVED))}; quote names YAML reads as numbers, yes/no or null)"
            )
        if c in index:
            raise ModelError(f"{at('compartments')}: '{c}' is listed twice; list each compartment once")
        index[c] = len(index)
    return comps, meanings, index


def _parameters(data: Mapping[str, Any], at: Callable[..., str], index: Mapping[str, int]) -> list[Parameter]:
    """Parameters: name -> value, or name -> {value, unit, meaning}."""
    params: list[Parameter] = []
    p_raw = data.get("parameters") or {}
    if not isinstance(p_raw, Mapping):
        raise ModelError(f"{at('parameters')}: parameters are a mapping name -> value or {{value, unit, meaning}}")
    for name, spec in p_raw.items():
        usable = isinstance(name, str) and _NAME.match(name) and len(name) <= MAX_NAME
        if not usable or name in RESERVED or name in index:
            raise ModelError(
                f"{at('parameters', name)}: '{str(name)[:40]}' is reserved or not a name or clashes with a compartment"
            )
        if isinstance(spec, Mapping):
            extra = set(spec) - {"value", "unit", "meaning"}
            if extra or "value" not in spec:
                raise ModelError(f"{at('parameters', name)}: write {{value: 0.1, unit: 1/day, meaning: ...}}")
            try:
                value = _number(spec["value"], at("parameters", name, "value"))
            except ParameterError as e:
                raise ModelError(str(e)) from None
            params.append(Parameter(name, value, str(spec.get("unit", "")), str(spec.get("meaning", ""))))
        else:
            try:
                params.append(Parameter(name, _number(spec, at("parameters", name))))
            except ParameterError as e:
                raise ModelError(str(e)) from None
    return params


def _initial(
    data: Mapping[str, Any], at: Callable[..., str], comps: list, index: Mapping[str, int]
) -> dict[str, float]:
    """Initial compartment sizes (0 unless given)."""
    init_raw = data.get("initial") or {}
    if not isinstance(init_raw, Mapping):
        raise ModelError(f"{at('initial')}: initial state is a mapping compartment -> size")
    initial = dict.fromkeys(comps, 0.0)
    for c, v in init_raw.items():
        if c not in index:
            raise ModelError(
                f"{at('initial', c)}: unknown compartment '{str(c)[:40]}'{_close(c, index)}; "
                f"declared: {_listing(comps)}"
            )
        try:
            initial[c] = _number(v, at("initial", c))
        except ParameterError as e:
            raise ModelError(str(e)) from None
        if initial[c] < 0:
            raise ModelError(f"{at('initial', c)}: a compartment size cannot be negative")
    return initial


def _transitions(
    data: Mapping[str, Any], at: Callable[..., str], index: Mapping[str, int], rate_names: set[str]
) -> list[Transition]:
    """Transitions: 'REACTION @ RATE' or {reaction, rate, name}."""
    transitions: list[Transition] = []
    tr_raw = data["transitions"]
    if not isinstance(tr_raw, list) or not tr_raw:
        raise ModelError(f"{at('transitions')}: give a list like ['S + I -> I + I @ beta*S*I/N']")
    for i, item in enumerate(tr_raw):
        where = at("transitions", i)
        if isinstance(item, str):
            if "@" not in item:
                raise ModelError(f"{where}: '{item}' has no rate; write 'REACTION @ RATE'")
            reaction, rate = item.split("@", 1)
            name = None
        elif isinstance(item, Mapping) and {"reaction", "rate"} <= set(item):
            reaction, rate, name = item["reaction"], item["rate"], item.get("name")
            if not isinstance(reaction, str) or not isinstance(name, (str, type(None))):
                raise ModelError(
                    f"{where}: 'reaction' and 'name' are text, e.g. {{reaction: 'I -> R', name: recovery}}"
                )
        else:
            raise ModelError(f"{where}: write 'S + I -> I + I @ beta*S*I/N' or {{reaction, rate, name}}")
        reactants, products = parse_reaction(reaction, index, where)
        expr = _expr.parse(rate, rate_names, where)
        transitions.append(Transition(str(name or reaction.strip()), reactants, products, expr))
    return transitions


def _defaults(data: Mapping[str, Any], at: Callable[..., str]) -> dict[str, float]:
    """Default horizon and report interval (days)."""
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping) or set(defaults) - {"t_end", "every"}:
        raise ModelError(f"{at('defaults')}: defaults take t_end and every (days)")
    defaults = {k: days(defaults[k], at("defaults", k)) for k in defaults}
    for k, v in defaults.items():
        if v <= 0:
            raise ModelError(f"{at('defaults', k)}: {k} must be a positive number of days")
    return defaults


def event_times(ev: Mapping[str, Any], where: str) -> Times:
    """Times from ``at`` (one or a list) or ``every`` (with ``start`` and ``until``): days, or with a unit."""
    from hyosan.interventions import model_times

    return model_times(ev, where)


def _event(ev: Any, i: int, comps: Sequence[str], allowed: set[str], at) -> Event:
    where = at("events", i)
    if not isinstance(ev, Mapping) or "set" not in ev or not ({"at", "every"} & set(ev)):
        raise ModelError(f"{where}: an event needs 'set' and either 'at: [times]' or 'every: days'")
    extra = set(ev) - {"name", "at", "every", "start", "until", "set", "changes_total"}
    if extra:
        raise ModelError(
            f"{where}: unknown field(s) {sorted(map(str, extra))}; "
            "use name, at, every, start, until, set, changes_total"
        )
    if not isinstance(ev.get("changes_total", False), bool):
        raise ModelError(f"{where}.changes_total: write true or false")
    times = event_times(ev, where)
    if not isinstance(ev["set"], Mapping) or not ev["set"]:
        raise ModelError(f"{where}.set: write e.g. {{Z: '(1 - k*n)*Z'}}")
    assign = []
    for c, e in ev["set"].items():
        if c not in comps:
            raise ModelError(f"{where}.set: unknown compartment '{c}'{_close(c, comps)}; declared: {', '.join(comps)}")
        assign.append((c, _expr.parse(e, allowed, f"{where}.set.{c}")))
    name = str(ev.get("name") or f"event {i}")
    return Event(name, times, tuple(assign), changes_total=ev.get("changes_total", False), where=where)


def _as_model(fn):
    try:
        return fn()
    except ParameterError as e:
        raise ModelError(str(e)) from None


def _check_vanishing(model: Model) -> None:
    """A transition that consumes X must have a rate that is zero when X is zero.

    Otherwise a stochastic engine would drive X below zero; the check is made at two generic
    states so that it does not depend on the initial condition.
    """
    rng = np.random.default_rng(12345)
    params = model.parameter_values
    index = {x: i for i, x in enumerate(model.compartments)}
    in_pop = np.zeros(len(model.compartments), dtype=bool)
    in_pop[model.population_index] = True
    for tr in model.transitions:
        for c, k in tr.reactants:
            for _ in range(2):
                draws = rng.uniform(1, 10, len(model.compartments))
                draws[index[c]] = float(k - 1)
                values = {x: (float(draws[index[x]]) if x in index else params.get(x)) for x in tr.rate.names}
                values["t"] = 1.0
                values["N"] = float(draws[in_pop].sum())
                r = tr.rate.evaluate(values)
                if not math.isfinite(r) or abs(r) > 1e-12:
                    value = "not zero" if math.isfinite(r) else f"{r} (undefined)"
                    raise ModelError(
                        f"{model.source}: transition '{tr.name}' consumes {c} but its rate "
                        f"'{_short(str(tr.rate))}' is {value} when {c} = {k - 1}; make it proportional to {c}"
                    )


def _close(name: object, known: Any) -> str:
    """ " (did you mean 'X'?)" for a misspelled compartment; nothing for huge models (kept linear)."""
    if len(known) > 2000:
        return ""
    from hyosan.catalog import did_you_mean

    return did_you_mean(name, list(known))
