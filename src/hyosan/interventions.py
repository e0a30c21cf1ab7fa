"""One intervention vocabulary for every engine: one trigger grammar, one set of actions, one meaning each.

An intervention is a ``name``, one trigger and its action(s), written the same in a model file, a
scenario file or Python (:class:`Intervention`)::

    - {name: martial law, when: "Z > 50", set: {delta: 0.5}}              # a model (days)
    - {name: attack, every: 2.5d, until: 10d, cull: {Z: "k*n"}}           # a model
    - {name: martial-law, when: "zombie > 60", seal: {exits: [highway-north]}}   # a scenario

Triggers (exactly one):

- ``at``: one time or a list of times;
- ``every`` with optional ``start`` (default: one period) and ``until`` (default: no end);
- ``when``: once, when a condition over counts becomes true, in the expression language of rates
  (``"Z > 50"``, ``"S/N < 0.5"``). Agent scenarios count by state name or compartment letter
  (``"zombie > 60"``, ``"Z > 60"``, ``"soldier < 5"``) and add zone conditions (``"zombie in base"``);
  the long forms ``{count: {state, above|below}}`` and ``{enters: {zone, state}}`` keep working.

Times take units everywhere (``"2.5d"``, ``"12h"``, ``"20min"``, ``"90s"``); a bare number is in days
in a compartment model, and a scenario asks for the unit.

Actions (:data:`ACTIONS`; an engine that does not apply one refuses it, naming those that do):

=========  ==========================================================================  =============
action     meaning                                                                      engines
=========  ==========================================================================  =============
set        set parameters and/or compartments; ``kind: quarantine | kill | cure``        ode ssa tau
           labels a set that switches those rates on                                    network
cull       destroy a fraction of a compartment at once (Munz's impulsive eradication):   ode ssa tau abm
           ``Z <- max(0, 1 - f) * Z``; stochastic engines and abm thin binomially        network
           (each individual destroyed with probability f; abm: optional ``zone``)
isolate    remove every edge of the nodes in ``compartments`` (at the firing time)       network
           and/or of the listed ``nodes``: isolation, for the rest of the run
close      remove every edge joining two members of a group of nodes (a node            network
           attribute of the graph: ``close: {class: [1-3]}``, ``{grade: [1]}``, ``{all: true}``)
seal       doors of zones' borders and exits become walls to everyone                   abm
open       the reverse of seal                                                           abm
evacuate   healthy and bitten civilians route to an exit or zone                         abm
sweep      soldiers walk a zone in serpentine order, in a loop                           abm
noise      a sound drawing zombies, from the firing time                                abm
rescue     soldiers take everyone alive (healthy or bitten civilians) out of zones         abm
cordon     movement across the border of ``patches`` stops (``mixing: true``: contacts too)  patches
=========  ==========================================================================  =============

"sweep" meant a fractional kill in compartment models before; that is ``cull`` now, and the old
``kind: sweep`` / ``kill: {Z: f}`` get a one-line message naming it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from hyosan.compartmental import expr as _expr
from hyosan.compartmental.model_types import MAX_OCCURRENCES, Condition, Event, Times
from hyosan.errors import HyosanError, ModelError
from hyosan.units import days

COMPARTMENT_ENGINES = ("ode", "ssa", "tau")
AGENT_ENGINES = ("abm",)
GRAPH_ENGINES = ("network",)


@dataclass(frozen=True)
class Action:
    """One action of the vocabulary: its name, its one meaning, and the engines that apply it."""

    name: str
    meaning: str
    engines: tuple[str, ...]


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("set", "set parameters and/or compartments", (*COMPARTMENT_ENGINES, "network", "patches")),
        Action(
            "cull", "destroy a fraction of a compartment at once", (*COMPARTMENT_ENGINES, "abm", "network", "patches")
        ),
        Action("isolate", "remove every edge of nodes in given compartments or given nodes", GRAPH_ENGINES),
        Action("close", "remove every edge within a group of nodes (a class, a grade)", GRAPH_ENGINES),
        Action("seal", "doors of zones' borders and exits become walls", AGENT_ENGINES),
        Action("open", "doors of zones' borders and exits open again", AGENT_ENGINES),
        Action("evacuate", "healthy and bitten civilians route to an exit or zone", AGENT_ENGINES),
        Action("sweep", "soldiers walk a zone in serpentine order", AGENT_ENGINES),
        Action("noise", "a sound drawing zombies", AGENT_ENGINES),
        Action("rescue", "soldiers take everyone alive out of zones", AGENT_ENGINES),
        Action("cordon", "stop movement (and optionally mixing) across the border of a set of patches", ("patches",)),
    )
}
KINDS = {
    "set": "set parameters and/or compartments",
    "quarantine": "switch quarantine rates on (set parameters)",
    "kill": "switch a continuous kill rate on (set parameters)",
    "cure": "switch a cure or treatment rate on (set parameters)",
    "cull": "destroy a fraction of compartments at once (cull: {Z: fraction})",
}
TRIGGERS = ("at", "every", "when")
_MODEL_FIELDS = {
    "name",
    "kind",
    "at",
    "every",
    "start",
    "until",
    "when",
    "set",
    "cull",
    "changes_total",
    "isolate",
    "close",
}
_CULL_MESSAGE = "a fractional kill is 'cull' now: write cull: {Z: fraction} (sweep means soldiers walking a zone)"


def supported(engine: str) -> frozenset[str]:
    """The actions engine ``engine`` applies."""
    return frozenset(a.name for a in ACTIONS.values() if engine in a.engines)


def refuse_unsupported(action: str, engines: Sequence[str], where: str, error: type[HyosanError]) -> None:
    """One line naming the engines that apply ``action`` when one of ``engines`` does not."""
    if action in ACTIONS and not set(engines) <= set(ACTIONS[action].engines):
        a = ACTIONS[action]
        here = sorted(set.intersection(*(set(supported(e)) for e in engines)))
        raise error(
            f"{where}: '{action}' ({a.meaning}) is applied by engine {', '.join(a.engines)}, not "
            f"{', '.join(engines)}; these apply {', '.join(here)}"
        )


@dataclass(frozen=True)
class Intervention:
    """An intervention built in Python, the same for models and scenarios.

    >>> Intervention("martial-law", when="zombie > 60", seal={"exits": ["highway-north"]})  # doctest: +SKIP
    >>> Intervention("cull", at=[10, 20], cull={"Z": 0.5})                                  # doctest: +SKIP

    Give it to ``Model.with_interventions`` or ``Scenario.with_interventions``; it is validated there,
    against that model's names or that scenario's map, like the same entry in a file.
    """

    name: str
    at: Any = None
    every: Any = None
    start: Any = None
    until: Any = None
    when: Any = None
    kind: str | None = None
    set: Mapping[str, Any] | None = None
    cull: Mapping[str, Any] | None = None
    seal: Mapping[str, Any] | None = None
    open: Mapping[str, Any] | None = None
    evacuate: Mapping[str, Any] | None = None
    sweep: Mapping[str, Any] | None = None
    noise: Mapping[str, Any] | None = None
    rescue: Mapping[str, Any] | None = None
    isolate: Mapping[str, Any] | None = None
    close: Mapping[str, Any] | None = None
    cordon: Mapping[str, Any] | None = None
    patches: Sequence[str] | None = None
    changes_total: bool | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise HyosanError(f"Intervention({self.name!r}): the name is text, e.g. Intervention('lockdown', ...)")
        if sum(getattr(self, t) is not None for t in TRIGGERS) != 1:
            raise HyosanError(f"Intervention('{self.name}'): give exactly one of at=, every= or when=")
        if not self.actions:
            raise HyosanError(f"Intervention('{self.name}'): give an action, one of {', '.join(ACTIONS)}")

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(a for a in ACTIONS if getattr(self, a) is not None)

    def to_dict(self) -> dict[str, Any]:
        """The entry as it would be written under ``interventions:`` in a file."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def entries(raw: Any) -> Any:
    """``raw`` with :class:`Intervention` objects written as the mappings of a file."""
    if isinstance(raw, Intervention):
        return raw.to_dict()
    return [entries(item) if isinstance(item, Intervention) else item for item in raw] if isinstance(raw, list) else raw


def as_list(items: Any) -> list[Any]:
    """One intervention or several, as a list."""
    return [items] if isinstance(items, (Intervention, Mapping)) else list(items)


def parse_condition(text: Any, allowed: set[str], where: str, error: type[HyosanError] = ModelError) -> Condition:
    """``"Z > 50"`` or ``"S/N < 0.5"``: one comparison between two safe expressions."""
    if not isinstance(text, str) or sum(text.count(op) for op in "<>") != 1 or "=" in text:
        raise error(f"{where}: write a condition with one '>' or '<', e.g. \"Z > 50\"")
    op = ">" if ">" in text else "<"
    left, right = text.split(op)
    try:
        return Condition(text.strip(), _expr.parse(left, allowed, where), op, _expr.parse(right, allowed, where))
    except ModelError as e:
        raise error(str(e)) from None


def schedule_of(
    item: Mapping[str, Any], where: str, to_unit: Callable[[Any, str], float], unit: str, error: type[HyosanError]
) -> Times:
    """The :class:`Times` of ``at`` (one or a list) or ``every`` with ``start`` (default one period) and
    ``until`` (default: no end; the times are built only up to a run's horizon)."""
    if "at" in item:
        for key in ("start", "until"):
            if key in item:
                raise error(f"{where}.{key}: '{key}' goes with 'every'; with 'at' list the times")
        raw = item["at"] if isinstance(item["at"], list) else [item["at"]]
        if not raw:
            raise error(f"{where}.at: give at least one time")
        times = Times(tuple(sorted(to_unit(t, f"{where}.at") for t in raw)))
        if any(not t >= 0 for t in times.listed):
            raise error(f"{where}: event times must be >= 0 {unit}")
        return times
    every = to_unit(item["every"], f"{where}.every")
    if not every > 0:
        raise error(f"{where}.every: the period must be positive ({unit})")
    start = to_unit(item["start"], f"{where}.start") if "start" in item else every
    until = to_unit(item["until"], f"{where}.until") if "until" in item else math.inf
    if not start >= 0:
        raise error(f"{where}: event times must be >= 0 {unit}")
    return Times(start=start, every=every, until=until)


def trigger_times(
    item: Mapping[str, Any],
    where: str,
    to_unit: Callable[[Any, str], float],
    unit: str,
    error: type[HyosanError],
    horizon: float = math.inf,
) -> tuple[float, ...]:
    """The times of :func:`schedule_of` a run with this ``horizon`` can reach (listed times are kept
    whole, so that one past the horizon is reported as not fired)."""
    times = schedule_of(item, where, to_unit, unit, error)
    return times.listed if not times.every else times.upto(horizon, where, error)


def model_times(item: Mapping[str, Any], where: str) -> Times:
    """:func:`schedule_of` a compartment model: days, or any duration with its unit."""
    return schedule_of(item, where, days, "days", ModelError)


def parse_interventions(
    raw: Any, comps: Sequence[str], params: Sequence[str], allowed: set[str], at: Callable[..., str]
) -> list[Event]:
    """Validate the ``interventions:`` list of a model (mappings or :class:`Intervention`) into events."""
    raw = entries(raw)
    if not isinstance(raw, list):
        raise ModelError(f"{at('interventions')}: give a list of interventions")
    events = [_model_event(item, i, comps, params, allowed, at) for i, item in enumerate(raw)]
    _check_contradictions(events, at)
    return events


def _check_contradictions(events: Sequence[Event], at: Callable[..., str]) -> None:
    """:func:`check_contradictions` as far as a model alone tells: up to the last time any event names
    (engines check again up to the run's end, see :func:`hyosan.engines.events.schedule`)."""
    timed = [ev for ev in events if not ev.triggered]
    last = max((t for ev in timed for t in (*ev.times.listed[-1:], ev.times.start, ev.times.until)
                if math.isfinite(t)), default=0.0)  # fmt: skip
    check_contradictions([ev for ev in timed if ev.times.count(last) <= MAX_OCCURRENCES], at, last)


def add_to_model(model: Any, items: Sequence[Any]) -> Any:
    """A copy of ``model`` with ``items`` (:class:`Intervention` or mappings) validated and added."""
    from dataclasses import replace

    from hyosan.engines.events import check_events

    def at(*path: Any) -> str:
        return f"{model.source} ({'.'.join(map(str, path))}, added in Python)"

    params = [p.name for p in model.parameters]
    allowed = {*model.compartments, *params, "N", "t", "n"}
    added = parse_interventions(entries(as_list(items)), model.compartments, params, allowed, at)
    _check_contradictions([*model.events, *added], at)
    out = replace(model, events=(*model.events, *added))
    check_triggers(out)
    check_events(out)
    return out


def _model_event(
    item: Any, i: int, comps: Sequence[str], params: Sequence[str], allowed: set[str], at: Callable[..., str]
) -> Event:
    where = at("interventions", i)
    if not isinstance(item, Mapping):
        raise ModelError(f"{where}: an intervention is a mapping with a name, a trigger and an action")
    for key in item:
        if key in ACTIONS:
            refuse_unsupported(key, GRAPH_ENGINES if key in ("isolate", "close") else COMPARTMENT_ENGINES,
                               f"{where}.{key}", ModelError)  # fmt: skip
    if "kill" in item:
        raise ModelError(f"{where}.kill: {_CULL_MESSAGE}")
    extra = set(item) - _MODEL_FIELDS
    if extra:
        raise ModelError(f"{where}: unknown field(s) {sorted(map(str, extra))}; use {', '.join(sorted(_MODEL_FIELDS))}")
    kind = item.get("kind", "cull" if "cull" in item and "set" not in item else "set")
    if kind == "sweep":
        raise ModelError(f"{where}.kind: {_CULL_MESSAGE}")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ModelError(f"{where}.kind: unknown kind '{kind}'; choose one of: {', '.join(KINDS)}")
    timing = [k for k in TRIGGERS if k in item]
    if len(timing) != 1:
        raise ModelError(f"{where}: give exactly one of 'at', 'every' or 'when'")
    if not isinstance(item.get("changes_total", False), bool):
        raise ModelError(f"{where}.changes_total: write true or false")
    when = None
    if "when" in item:
        if isinstance(item["when"], Mapping) or " in " in str(item["when"]):
            raise ModelError(
                f'{where}.when: zone and count forms belong to agent scenarios; a model writes when: "Z > 50"'
            )
        for key in ("start", "until"):
            if key in item:
                raise ModelError(f"{where}.{key}: '{key}' goes with 'every'; a 'when' trigger fires once")
        when = parse_condition(item["when"], allowed - {"n"}, f"{where}.when")
    times = () if when else model_times(item, where)
    new_params, assign = [], []
    for key in ("set", "cull"):
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
    for c, fraction in (item.get("cull") or {}).items():
        if c not in comps:
            raise ModelError(f"{where}.cull: unknown compartment '{c}'; declared: {', '.join(comps)}")
        f = _expr.parse(fraction, allowed, f"{where}.cull.{c}")
        assign.append((c, _expr.parse(f"max(0, 1 - ({f.text}))*{c}", allowed, f"{where}.cull.{c}")))
    if kind == "cull" and not item.get("cull"):
        raise ModelError(f"{where}: a cull needs 'cull: {{COMPARTMENT: fraction}}'")
    if kind in ("quarantine", "kill", "cure") and not new_params:
        raise ModelError(f"{where}: a {kind} intervention sets rate parameters, e.g. set: {{kappa: 0.1}}")
    graph = graph_actions(item, comps, where)
    if not new_params and not assign and not graph:
        raise ModelError(f"{where}: the intervention changes nothing; give 'set', 'cull', 'isolate' or 'close'")
    name = str(item.get("name") or f"{kind} {i}")
    removes = bool(item.get("cull")) or item.get("changes_total") is True
    return Event(name, times, tuple(assign), tuple(new_params), when, kind, removes, where, graph)


def graph_actions(item: Mapping[str, Any], comps: Sequence[str], where: str) -> tuple[tuple[str, Any], ...]:
    """``isolate`` and ``close`` of a model intervention, checked as far as the model allows (the graph's
    node attributes are checked by the network engine): ``(("isolate", (compartments, nodes)),
    ("close", ((attribute, labels), ...)))``."""
    out: list[tuple[str, Any]] = []
    if "isolate" in item:
        spec = item["isolate"]
        if not isinstance(spec, Mapping) or not spec or set(spec) - {"compartments", "nodes"}:
            raise ModelError(f"{where}.isolate: write isolate: {{compartments: [I]}} and/or {{nodes: [0, 5]}}")
        names = _listed(spec.get("compartments", []))
        bad = [c for c in names if c not in comps]
        if bad:
            raise ModelError(f"{where}.isolate.compartments: unknown '{bad[0]}'; declared: {', '.join(comps)}")
        nodes = _listed(spec.get("nodes", []))
        if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0 for v in nodes):
            raise ModelError(f"{where}.isolate.nodes: node ids are whole numbers >= 0, e.g. nodes: [0, 5]")
        if not names and not nodes:
            raise ModelError(f"{where}.isolate: name the compartments or nodes to isolate")
        out.append(("isolate", (tuple(names), tuple(int(v) for v in nodes))))
    if "close" in item:
        spec = item["close"]
        if not isinstance(spec, Mapping) or not spec:
            raise ModelError(f"{where}.close: write close: {{class: [1-3]}}, {{grade: [1, 2]}} or {{all: true}}")
        groups = []
        for attr, labels in spec.items():
            if attr == "all":
                if labels is not True:
                    raise ModelError(f"{where}.close.all: write all: true (every edge of the graph)")
                groups.append(("all", ()))
                continue
            listed = tuple(str(v) for v in _listed(labels))
            if not listed:
                raise ModelError(f"{where}.close.{attr}: list the groups to close, e.g. {attr}: [1-3]")
            groups.append((str(attr), listed))
        out.append(("close", tuple(groups)))
    return tuple(out)


def _listed(value: Any) -> list[Any]:
    if hasattr(value, "ndim") and hasattr(value, "tolist"):
        value = value.tolist()
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_contradictions(events: Sequence[Event], at: Callable[..., str], t_end: float) -> None:
    """Refuse two timed events that set one name to different values at one time up to ``t_end``."""
    seen: dict[tuple[float, str], tuple[str, str]] = {}
    for ev in events:
        if ev.triggered:
            continue
        for t in ev.times.upto(t_end, f"{ev.where or at('interventions')} ('{ev.name}')", ModelError):
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
