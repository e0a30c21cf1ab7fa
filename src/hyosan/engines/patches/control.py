"""Interventions of a patches run: the model's own (applied in every patch) and the run's ``interventions``.

A run's intervention is written as in a model file, plus ``patches: [NAME, ...]`` (default: every
patch) for ``set`` and ``cull``, or the ``cordon`` action of :mod:`hyosan.interventions`::

    {name: martial law, at: 3, cordon: {patches: [Hyosan, Sejong], mixing: true}}
    {name: martial law, when: "Z > 100", cordon: {patches: [Hyosan]}}
    {name: air strike, at: 10, cull: {Z: 0.9}, patches: [Hyosan]}

A ``when`` condition counts totals over all patches (``"Z > 100"``) with the model's parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from hyosan.compartmental.model import Condition, Event, Model
from hyosan.compartmental.model_types import Times
from hyosan.engines.events import check_events
from hyosan.engines.patches.coupling import Cordon
from hyosan.errors import EngineError, HyosanError
from hyosan.interventions import entries, model_times, parse_condition, parse_interventions

_FIELDS = {"name", "kind", "at", "every", "start", "until", "when", "set", "cull", "changes_total", "patches", "cordon"}


@dataclass(frozen=True)
class Action:
    """One intervention of a run: a model event applied to ``targets`` (None: all), or a cordon."""

    name: str
    event: Event | None
    targets: np.ndarray | None
    cordon: Cordon | None
    times: Times
    when: Condition | None


def actions(model: Model, names: Sequence[str], raw: Any) -> list[Action]:
    """The model's events (every patch) and the run's ``interventions`` option, validated."""
    out = [Action(ev.name, ev, None, None, ev.times, ev.when) for ev in model.events]
    if raw is None:
        return out
    raw = entries(raw)
    if isinstance(raw, Mapping) or not isinstance(raw, list):
        raw = [raw]
    index = {n: i for i, n in enumerate(names)}
    params = [p.name for p in model.parameters]
    allowed = {*model.compartments, *params, "N", "t", "n"}
    for k, item in enumerate(raw):
        where = f"patches interventions[{k}]"
        if not isinstance(item, Mapping):
            raise EngineError(f"{where}: an intervention is a mapping with a name, a trigger and an action")
        extra = set(item) - _FIELDS
        if extra:
            raise EngineError(f"{where}: unknown field(s) {sorted(map(str, extra))}; use {', '.join(sorted(_FIELDS))}")
        item = dict(item)
        cordon, targets = item.pop("cordon", None), item.pop("patches", None)
        name = str(item.get("name") or f"intervention {k}")
        if cordon is not None:
            if "set" in item or "cull" in item or targets is not None:
                raise EngineError(f"{where}: a cordon names its patches inside it; give set/cull as their own entry")
            out.append(_cordon(item, cordon, index, name, allowed, where))
            continue
        try:
            (event,) = parse_interventions([item], model.compartments, params, allowed, lambda *p, w=where: w)
        except HyosanError as e:
            raise EngineError(str(e)) from None
        check_events(replace(model, events=(event,)))
        sel = None if targets is None else _patches(targets, index, f"{where}.patches")
        out.append(Action(name, event, sel, None, event.times, event.when))
    return out


def _cordon(item: dict, spec: Any, index: dict[str, int], name: str, allowed: set[str], where: str) -> Action:
    if not isinstance(spec, Mapping) or "patches" not in spec or set(spec) - {"patches", "mixing"}:
        raise EngineError(f"{where}.cordon: write cordon: {{patches: [NAME, ...], mixing: true|false}}")
    mixing = spec.get("mixing", False)
    if not isinstance(mixing, bool):
        raise EngineError(f"{where}.cordon.mixing: write true (also seal contacts) or false (movement only)")
    inside = np.zeros(len(index), dtype=bool)
    inside[_patches(spec["patches"], index, f"{where}.cordon.patches")] = True
    timing = [key for key in ("at", "every", "when") if key in item]
    if len(timing) != 1:
        raise EngineError(f"{where}: give exactly one of 'at', 'every' or 'when'")
    when = parse_condition(item["when"], allowed - {"n"}, f"{where}.when", EngineError) if "when" in item else None
    try:
        times = Times() if when else model_times(item, where)
    except HyosanError as e:
        raise EngineError(str(e)) from None
    return Action(name, None, None, Cordon(inside, mixing), times, when)


def _patches(raw: Any, index: dict[str, int], where: str) -> np.ndarray:
    if isinstance(raw, str) or not isinstance(raw, Sequence) or not raw:
        raise EngineError(f"{where}: list patch names, e.g. [{next(iter(index))}]")
    missing = [str(n) for n in raw if n not in index]
    if missing:
        from hyosan.catalog import did_you_mean

        raise EngineError(f"{where}: no patch named '{missing[0][:40]}'{did_you_mean(missing[0], list(index))}")
    return np.array(sorted({index[n] for n in raw}), dtype=np.int64)


def triggered(acts: list[Action]) -> list[Action]:
    return [a for a in acts if a.when is not None]


def trigger_model(model: Model, acts: list[Action]) -> Model:
    """``model`` with one event per triggered action, in order, so generated margins index them."""
    events = tuple(a.event if a.event is not None else Event(a.name, (), (), (), a.when) for a in triggered(acts))
    return replace(model, events=events)


def timeline(acts: list[Action], t_end: float) -> list[tuple[float, list[tuple[Action, int]]]]:
    """Timed occurrences up to ``t_end`` grouped by time, in time order (``n`` counts from 1)."""
    groups: dict[float, list[tuple[Action, int]]] = {}
    for a in acts:
        if a.when is None:
            where = a.event.where if a.event is not None and a.event.where else f"patches intervention '{a.name}'"
            for n, t in enumerate(a.times.upto(t_end, where, EngineError), start=1):
                groups.setdefault(t, []).append((a, n))
    return sorted(groups.items())
