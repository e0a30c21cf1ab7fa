"""Interventions of agent scenarios, in the one vocabulary of :mod:`hyosan.interventions`.

Each entry is a ``name``, one trigger and one action::

    - name: martial-law
      when: "zombie > 50"                   # or at: "20min" (or a list), every: "10min", when: "zombie in gym"
      seal: {exits: [highway-north], zones: [city-gate]}

Triggers. ``at``: at that time, or those times (rounded to the step; one after the horizon, e.g. cut by
--t-end, does not fire and is listed under ``interventions_not_fired``); ``every`` with ``start``
(default: one period) and ``until``. Durations need their unit (``"90s"``, ``"20min"``, ``"2h"``, ``"1d"``).
``when: "STATE > N"`` (or ``<``): at the first step at whose start the number of agents in that state
is above (below) N, by state name or letter; the long form ``{count: {state: zombie, above: 50}}`` is
the same. ``when: "STATE in ZONE"`` or ``{enters: {zone, state}}``: at the first step at whose start an
agent of that state stands in the zone. States: healthy (S), bitten (E), zombie (Z), humbie (H), dead (D),
escaped (X), soldier (M: healthy soldiers; ``healthy`` counts civilians only). A ``when`` fires once.

Actions. ``seal`` {zones, exits}: every door touching the zones, and the exits, become walls to
everyone (agents standing on them are set down on the nearest free cell, so no border is crossed).
``open`` {zones, exits}: the reverse. ``evacuate`` {to: EXIT or ZONE}: healthy and bitten civilians
stop what they do and route to that target. ``sweep`` {zone, kind, spacing}: soldiers of ``kind``
(every soldier kind when omitted) walk through every ``spacing``-th cell of the zone in serpentine
order, in a loop. ``noise`` {zone or at, length, radius}: a sound drawing zombies, from the firing time.
``cull`` {STATE: fraction, zone: ZONE}: each agent in that state (in the zone, if given) is destroyed
with that probability (dead), as ``cull`` thins a compartment on the stochastic engines. ``rescue``
{zones: [ZONE, ...]}: soldiers take every healthy or bitten civilian standing in the zones off the map
(escaped), each logged ``rescued`` (aux 0 healthy, 1 hiding a bite, 2 bitten openly). ``set`` acts on
compartment models only and is refused here.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from hyosan.errors import ScenarioError
from hyosan.interventions import (
    AGENT_ENGINES,
    TRIGGERS,
    as_list,
    entries,
    parse_condition,
    refuse_unsupported,
    trigger_times,
)
from hyosan.units import duration, fraction, length

ACTIONS = ("seal", "open", "evacuate", "sweep", "noise", "cull", "rescue")
STATE_CODES = {
    "healthy": 0, "S": 0, "bitten": 1, "E": 1, "zombie": 2, "Z": 2, "humbie": 3, "H": 3, "dead": 4, "D": 4,
    "escaped": 5, "X": 5, "soldier": 6, "M": 6,
}  # fmt: skip
CULLABLE = {0, 1, 2, 3, 6}
TRIGGER_CODES = {"above": 0, "below": 1, "enters": 2}
_EXAMPLE = "at: '20min', every: '10min' or when: 'zombie > 60' / 'zombie in ZONE'"


@dataclass
class Intervention:
    """One compiled intervention: ``trigger`` ('at', 'above', 'below', 'enters') with its ``times`` (seconds;
    ``at`` is the first) or ``state``/``value``/``zone``; ``action`` with its doors, exits, target cells,
    kinds, route, noise, or culled states and fractions."""

    name: str
    where: str
    trigger: str
    action: str
    at: float = -1.0
    times: tuple[float, ...] = ()
    state: int = -1
    value: int = 0
    zone: str = ""
    doors: list[int] = field(default_factory=list)
    exits: list[int] = field(default_factory=list)
    target: np.ndarray | None = None
    kinds: list[int] = field(default_factory=list)
    route: int = -1
    noise: Any = None
    cull: list[tuple[int, float]] = field(default_factory=list)


def parse_interventions(sc: Any, raw: Any, at: Callable[..., str]) -> list[Intervention]:
    """Validate the ``interventions`` list of scenario ``sc``; errors name the file, line and fix."""
    raw = entries(raw)
    if not isinstance(raw, list):
        raise ScenarioError(f"{at('interventions')}: interventions is a list of {{name, at or when, ACTION}}")
    out = [_one(sc, entry, i, at) for i, entry in enumerate(raw)]
    _check(out, at)
    return out


def with_interventions(sc: Any, items: Iterable[Any]) -> Any:
    """A copy of scenario ``sc`` with ``items`` (:class:`hyosan.Intervention` or mappings) added."""
    new = copy.copy(sc)
    new.routes = list(sc.routes)
    raw = entries(as_list(items))

    def at(*key: Any) -> str:
        return f"{sc.source} ({'.'.join(map(str, key))}, added in Python)"

    added = [_one(new, entry, len(sc.interventions) + i, at) for i, entry in enumerate(raw)]
    new.interventions = [*sc.interventions, *added]
    new.added = [*sc.added, *raw]
    new.parameters = {**sc.parameters, "interventions": [*sc.parameters.get("interventions", []), *raw]}
    _check(new.interventions, at)
    return new


def _check(out: list[Intervention], at: Callable[..., str]) -> None:
    names = [iv.name for iv in out]
    for iv in out:
        if names.count(iv.name) > 1:
            raise ScenarioError(f"{iv.where}: two interventions are named '{iv.name}'; give each its own name")
    _contradictions(out)
    if len([iv for iv in out if iv.trigger == "enters"]) > 32:
        raise ScenarioError(f"{at('interventions')}: at most 32 zone-entry triggers; merge some zones")


def _one(sc: Any, entry: Any, i: int, at: Callable[..., str]) -> Intervention:
    here = ("interventions", i)
    where = at(*here)
    if not isinstance(entry, dict):
        raise ScenarioError(f"{where}: each intervention is {{name, at or when, one of {', '.join(ACTIONS)}}}")
    for key in entry:
        refuse_unsupported(str(key), AGENT_ENGINES, at(*here, key), ScenarioError)
        if key not in ("name", "kind", "start", "until", *TRIGGERS, *ACTIONS):
            raise ScenarioError(
                f"{at(*here, key)}: unknown field '{key}'; use name, a trigger ({', '.join(TRIGGERS)}) and one action"
            )
    actions = [a for a in ACTIONS if a in entry]
    if len(actions) != 1:
        raise ScenarioError(f"{where}: give exactly one action of {', '.join(ACTIONS)} (found {len(actions)})")
    action = actions[0]
    if "kind" in entry and entry["kind"] != action:
        raise ScenarioError(f"{at(*here, 'kind')}: kind '{entry['kind']}' is not the action '{action}'; drop kind")
    from hyosan.agents.scenario import text

    iv = Intervention(text(entry.get("name", f"{action}-{i + 1}"), at(*here, "name"), "name"), where, "", action)
    _trigger(sc, iv, entry, here, at)
    spec = entry[action]
    aw = at(*here, action)
    world = sc.world
    if action in ("seal", "open"):
        if not isinstance(spec, dict) or not set(spec) <= {"zones", "zone", "exits", "exit"} or not spec:
            raise ScenarioError(f"{aw}: write {action}: {{zones: [ZONE, ...], exits: [EXIT, ...]}}")
        for z in _names(spec.get("zones", spec.get("zone"))):
            iv.doors += world.zone_doors(z, aw)
            if not world.zone_doors(z, aw):
                raise ScenarioError(f"{aw}: zone '{z}' has no door on its border to {action}; name a zone with doors")
        for e in _names(spec.get("exits", spec.get("exit"))):
            if e not in world.exits:
                raise ScenarioError(f"{aw}: unknown exit '{e}'; exits: {', '.join(world.exits)}")
            iv.exits.append(world.exits.index(e))
        iv.doors = sorted(set(iv.doors))
    elif action == "evacuate":
        to = spec.get("to") if isinstance(spec, dict) else None
        if to is None:
            raise ScenarioError(f"{aw}: write evacuate: {{to: EXIT or ZONE}}")
        if str(to) in world.exits:
            iv.target = world.exit_id == world.exits.index(str(to))
        else:
            if str(to) not in world.zones:
                raise ScenarioError(
                    f"{aw}: unknown exit or zone '{to}'; exits: {', '.join(world.exits)}; or a zone of the map"
                )
            iv.target = world.zones[str(to)]
    elif action == "sweep":
        _sweep(sc, iv, spec, aw)
    elif action == "cull":
        _cull(sc, iv, spec, aw)
    elif action == "rescue":
        zones = _names(spec.get("zones", spec.get("zone"))) if isinstance(spec, dict) else []
        if not zones or not set(spec) <= {"zones", "zone"}:
            raise ScenarioError(f"{aw}: write rescue: {{zones: [ZONE, ...]}}")
        iv.target = np.zeros(world.shape, bool)
        for z in zones:
            iv.target |= world.zone(z, aw)
    else:
        _noise(sc, iv, spec, aw)
    return iv


def _noise(sc: Any, iv: Intervention, spec: Any, aw: str) -> None:
    from hyosan.agents.scenario import Noise, text

    world = sc.world
    if not isinstance(spec, dict) or not ({"zone", "at"} & set(spec)):
        raise ScenarioError(f"{aw}: write noise: {{zone: ZONE, length: '1min', radius: '30m'}}")
    for key in spec:
        if key not in ("zone", "at", "what", "length", "radius"):
            raise ScenarioError(f"{aw}: unknown field '{key}'; a noise has zone or at, what, length, radius")
    mask = np.zeros(world.shape, bool)
    if "zone" in spec:
        mask |= world.zone(str(spec["zone"]), aw)
    else:
        xy = spec["at"]
        if not (isinstance(xy, list) and len(xy) == 2):
            raise ScenarioError(f"{aw}: write at: [x, y] in metres from the map's top-left corner")
        r, c = world.cell_of(length(f"{xy[0]}m", aw), length(f"{xy[1]}m", aw))
        h, w = world.shape
        if not (0 <= r < h and 0 <= c < w) or world.kind[r, c] == 1:
            raise ScenarioError(f"{aw}: {xy} (row {r}, column {c}) is inside a wall or off the map; move it")
        mask[r, c] = True
    iv.noise = Noise(
        text(spec.get("what", iv.name), aw, "what"), 0.0, duration(spec.get("length", "1min"), aw),
        length(spec.get("radius", "30m"), aw), mask,
    )  # fmt: skip


def _cull(sc: Any, iv: Intervention, spec: Any, aw: str) -> None:
    if not isinstance(spec, dict) or not set(spec) - {"zone"}:
        raise ScenarioError(f"{aw}: write cull: {{zombie: 0.5}} (each zombie destroyed with probability 0.5)")
    for key, value in spec.items():
        if key == "zone":
            iv.target = sc.world.zone(str(value), aw)
            continue
        if key not in STATE_CODES or STATE_CODES[key] not in CULLABLE:
            raise ScenarioError(f"{aw}: cannot cull '{key}'; cull healthy, bitten, zombie, humbie or soldier")
        if isinstance(value, str):
            raise ScenarioError(f"{aw}.{key}: the abm engine culls a fixed fraction in [0, 1] (got {value!r})")
        iv.cull.append((STATE_CODES[key], fraction(value, f"{aw}.{key}")))


def _names(raw: Any) -> list[str]:
    if raw is None:
        return []
    return [str(v) for v in (raw if isinstance(raw, list) else [raw])]


def _trigger(sc: Any, iv: Intervention, entry: dict, here: tuple, at: Callable[..., str]) -> None:
    where = at(*here)
    timing = [k for k in TRIGGERS if k in entry]
    if len(timing) != 1:
        raise ScenarioError(f"{where}: give exactly one trigger: {_EXAMPLE}")
    if timing != ["when"]:
        iv.trigger = "at"
        iv.times = trigger_times(entry, where, duration, "seconds", ScenarioError, sc.horizon)
        iv.at = iv.times[0] if iv.times else math.inf
        return
    ww = at(*here, "when")
    for key in ("start", "until"):
        if key in entry:
            raise ScenarioError(f"{at(*here, key)}: '{key}' goes with 'every'; a 'when' trigger fires once")
    when = entry["when"]
    if isinstance(when, str):
        when = _long_form(when, ww)
    if not isinstance(when, dict) or len(when) != 1 or next(iter(when)) not in ("count", "enters"):
        raise ScenarioError(f"{ww}: write when: 'zombie > 50' or 'zombie in ZONE' (or {{count: ...}}, {{enters: ...}})")
    ((kind, spec),) = when.items()
    if not isinstance(spec, dict):
        raise ScenarioError(f"{ww}: {kind} needs a mapping, e.g. {{state: zombie, above: 50}}")
    state = str(spec.get("state", ""))
    if state not in STATE_CODES:
        raise ScenarioError(f"{ww}: unknown state '{state}'; use {', '.join(k for k in STATE_CODES if len(k) > 1)}")
    iv.state = STATE_CODES[state]
    n = sc.n_agents
    if iv.state == 6 and not sc.has_soldiers:
        raise ScenarioError(f"{ww}: the trigger counts soldiers but the scenario has none; it can never fire")
    if kind == "count":
        sides = [k for k in ("above", "below") if k in spec]
        if len(sides) != 1 or not isinstance(spec[sides[0]], int) or isinstance(spec[sides[0]], bool):
            raise ScenarioError(f"{ww}: give one whole number, above: N or below: N")
        iv.trigger, iv.value = sides[0], int(spec[sides[0]])
        if (iv.trigger == "above" and not iv.value < n) or (iv.trigger == "below" and iv.value <= 0):
            raise ScenarioError(
                f"{ww}: {state} {iv.trigger} {iv.value} can never hold with {n} agents; "
                f"choose a value {'below the population' if iv.trigger == 'above' else 'above 0'}"
            )
        return
    iv.trigger = "enters"
    iv.zone = str(spec.get("zone", ""))
    zone = sc.world.zone(iv.zone, ww)
    walk = sc.world.kind != 1
    labels, _ = ndimage.label(walk, structure=np.ones((3, 3), bool))
    start = np.zeros(sc.world.shape, bool)
    for g in sc.groups:
        if g.count:
            start |= g.cells
    reach = np.unique(labels[start & walk])
    if not np.isin(labels[zone], reach[reach > 0]).any():
        raise ScenarioError(f"{ww}: no agent can reach zone '{iv.zone}' (walled off); it can never fire")


def _long_form(text: str, ww: str) -> dict:
    """``"zombie in gym"`` -> enters; ``"zombie > 60"`` / ``"60 < Z"`` -> count (a count is whole: ``> 60.5``
    is ``> 60``, ``< 4.2`` is ``< 5``, so the kernel's integer test means exactly what was written)."""
    m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s+in\s+(\S+)\s*", text)
    if m:
        return {"enters": {"state": m.group(1), "zone": m.group(2)}}
    cond = parse_condition(text, set(STATE_CODES), ww, ScenarioError)
    sides = [(cond.left, cond.right, cond.op), (cond.right, cond.left, "<" if cond.op == ">" else ">")]
    for count, bound, op in sides:
        if len(count.names) == 1 and count.canonical() in STATE_CODES and not bound.names:
            value = bound.evaluate({})
            if not math.isfinite(value) or abs(value) > 2**62:
                break
            if op == ">":
                return {"count": {"state": count.canonical(), "above": max(math.floor(value), -1)}}
            return {"count": {"state": count.canonical(), "below": math.ceil(value)}}
    raise ScenarioError(
        f"{ww}: the abm engine compares one count with a finite number, e.g. 'zombie > 60' or 'Z < 5'; "
        "write one condition per intervention"
    )


def _sweep(sc: Any, iv: Intervention, spec: Any, aw: str) -> None:
    if not isinstance(spec, dict) or "zone" not in spec:
        raise ScenarioError(f"{aw}: write sweep: {{zone: ZONE, kind: soldier, spacing: '4m'}}")
    soldiers = [i for i, k in enumerate(sc.kinds) if k.soldier]
    if "kind" in spec:
        names = [k.name for k in sc.kinds]
        if str(spec["kind"]) not in names:
            raise ScenarioError(f"{aw}: unknown kind '{spec['kind']}'; kinds: {', '.join(names)}")
        soldiers = [names.index(str(spec["kind"]))]
        if not sc.kinds[soldiers[0]].soldier:
            raise ScenarioError(f"{aw}: kind '{spec['kind']}' is not a soldier; give it role: soldier")
    if not any(sc.kinds[g.kind].soldier and g.count for g in sc.groups if g.kind in soldiers):
        raise ScenarioError(f"{aw}: a sweep needs soldiers; add a population entry of a kind with role: soldier")
    iv.kinds = soldiers
    zone = sc.world.zone(str(spec["zone"]), aw) & (sc.world.kind != 1)
    k = max(1, round(length(spec.get("spacing", "4m"), aw) / sc.world.scale))
    iv.route = len(sc.routes)
    sc.routes.append(serpentine(zone, k))


def serpentine(zone: np.ndarray, k: int) -> list[tuple[int, int]]:
    """Every ``k``-th cell of ``zone`` (rows and columns), row by row, alternating direction."""
    rows = np.flatnonzero(zone.any(axis=1))
    out: list[tuple[int, int]] = []
    for n, r in enumerate(range(rows.min() + k // 2, rows.max() + 1, k)):
        cols = np.flatnonzero(zone[r])[::k]
        out += [(int(r), int(c)) for c in (cols if n % 2 == 0 else cols[::-1])]
    if not out:
        r, c = np.argwhere(zone)[0]
        out = [(int(r), int(c))]
    return out


def _contradictions(ivs: list[Intervention]) -> None:
    """Seal and open of the same door or exit at the same moment (same time, or the same trigger)."""
    for a in ivs:
        for b in ivs:
            if a.action != "seal" or b.action != "open":
                continue
            keys = [(iv.trigger, iv.state, iv.value, iv.zone) for iv in (a, b)]
            same = keys[0] == keys[1] and (a.trigger != "at" or set(a.times) & set(b.times))
            if same and (set(a.doors) & set(b.doors) or set(a.exits) & set(b.exits)):
                raise ScenarioError(
                    f"{b.where}: '{b.name}' opens what '{a.name}' seals at the same moment; change one's time"
                )
