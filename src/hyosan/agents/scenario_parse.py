"""Validating a scenario mapping field by field: time, kinds, population, behaviour, infection, zones.

Every error names the file, the line and the fix; fields a section does not know are refused.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.agents import scenario_places as places
from hyosan.agents.floorplan import FloorPlan, load_map
from hyosan.agents.scenario_crowd import parse_crowd
from hyosan.agents.scenario_groups import parse_groups
from hyosan.agents.scenario_motion import parse_motion
from hyosan.agents.scenario_places import patrol_route
from hyosan.agents.scenario_siege import KEYS as SIEGE_KEYS
from hyosan.agents.scenario_siege import parse_siege
from hyosan.agents.scenario_types import (
    HUMAN_BEHAVIOURS,
    HUMBIE_BEHAVIOURS,
    INCUBATION,
    MAX_AGENTS,
    MAX_COUNT,
    MAX_KINDS,
    MAX_SAFE_ROOMS,
    STATE_NAMES,
    STATES,
    UPDATES,
    ZOMBIE_BEHAVIOURS,
    Group,
    Kind,
    Noise,
    Scenario,
    known_fields,
    names,
    number,
    text,
    whole,
)
from hyosan.errors import ScenarioError
from hyosan.units import duration, fraction, length, probability, speed

ANIMATION_KEYS = ("every", "until", "scale", "frames", "fps")
KNOWN = {
    "name", "title", "description", "model", "map", "time", "kinds", "zombie", "humbie", "population", "patient_zero",
    "behaviour", "infection", "safe_rooms", "hide_fraction", "barricade_fraction", "light", "noise", "doors",
    "animation", "interventions", "hideouts", "screening", "crowd", "groups", "motion", *SIEGE_KEYS,
}  # fmt: skip


class Fields:
    """A scenario mapping being validated, with its line numbers: where each field is, and its sections."""

    def __init__(
        self, data: dict[str, Any], source: str, lines: dict[tuple, int], world: FloorPlan | None = None
    ) -> None:
        self.data, self.source, self.lines, self.world = data, source, lines, world

    def at(self, *key: Any) -> str:
        """``source:LINE (dotted.key)`` of the deepest part of ``key`` that has a line."""
        lines, source = self.lines, self.source
        for n in range(len(key), -1, -1):
            if key[:n] in lines:
                return f"{source}:{lines[key[:n]]} ({'.'.join(map(str, key))})" if key else f"{source}"
        return source

    def need(self, section: dict, key: str, *path: Any) -> Any:
        """``section[key]``, or an error naming what is missing where."""
        if key not in section:
            raise ScenarioError(f"{self.at(*path)}: missing '{key}' in {'.'.join(map(str, path)) or 'the scenario'}")
        return section[key]

    def section(self, key: str) -> dict:
        """The mapping under ``key`` (empty if absent)."""
        value = self.data.get(key) or {}
        if not isinstance(value, dict):
            raise ScenarioError(f"{self.at(key)}: '{key}' must be a mapping of fields")
        return value


def parse_scenario(data: dict[str, Any], source: str, lines: dict[tuple, int], folder: Path | None) -> Scenario:
    """Validate a scenario mapping; every error names ``source``, the line and the fix."""
    f = Fields(data, source, lines)
    at, need, section = f.at, f.need, f.section
    for key in data:
        if key not in KNOWN:
            from hyosan.catalog import did_you_mean

            raise ScenarioError(
                f"{at(key)}: unknown field '{key}'{did_you_mean(key, KNOWN)}; known: {', '.join(sorted(KNOWN))}"
            )
    if "model" in data:
        text(data["model"], at("model"), "model (a library model name or a model YAML path)")
    raw_map = need(data, "map")
    if not isinstance(raw_map, str) or not raw_map.strip():
        raise ScenarioError(f"{at('map')}: map is the name of a shipped map or a map file path, e.g. map: hyosan-high")
    world = load_map(raw_map, folder)
    f.world = world
    step, horizon, report, alarm, time = _time(f)
    kinds, zombie, humbie = _kinds(f, step)
    groups, routes = _population(f, kinds)
    human_b, zombie_b, humbie_b, hideouts = _behaviour(f)
    inf, incubation = _infection(f)
    safe, light = _rooms_and_light(f)
    noises = _noises(f)
    door_state = _doors(f)
    anim = section("animation")
    known_fields(anim, ANIMATION_KEYS, at, "animation")
    every = duration(anim.get("every", f"{step * max(1, round(5.0 / step)):g}s"), at("animation", "every"))
    for key, value in (("report", report), ("horizon", horizon)):
        steps_of(value, step, at("time", key), f"time.{key}")
    steps_of(every, step, at("animation", "every"), "animation.every")
    scale = _animation_scale(anim.get("scale", "auto"), at("animation", "scale"), world.shape)
    if sum(g.count for g in groups) > MAX_AGENTS:
        raise ScenarioError(
            f"{at('population')}: {sum(g.count for g in groups):,} agents; at most {MAX_AGENTS:,}, place fewer"
        )
    sc = Scenario(
        name=text(data.get("name", Path(source).stem), at("name"), "name"),
        title=text(data.get("title", data.get("name", Path(source).stem)), at("title"), "title"),
        source=source,
        raw=data,
        world=world,
        step=step,
        horizon=horizon,
        report=report,
        alarm=alarm,
        kinds=kinds,
        zombie=zombie,
        humbie=humbie,
        groups=groups,
        human_behaviour=HUMAN_BEHAVIOURS[human_b],
        zombie_behaviour=ZOMBIE_BEHAVIOURS[zombie_b],
        contact_radius=length(inf.get("contact_radius", "0.6m"), at("infection", "contact_radius")),
        bite_probability=probability(inf.get("bite_probability", 0.5), at("infection", "bite_probability")),
        kill_probability=probability(inf.get("kill_probability", 0.0), at("infection", "kill_probability")),
        humbie_fraction=fraction(inf.get("humbie_fraction", 0.0), at("infection", "humbie_fraction")),
        humbie_bite_probability=probability(
            inf.get("humbie_bite_probability", 0.0), at("infection", "humbie_bite_probability")
        ),
        incubation=incubation,
        safe_rooms=safe,
        hide_fraction=fraction(data.get("hide_fraction", 0.0), at("hide_fraction")),
        barricade_fraction=fraction(data.get("barricade_fraction", 0.0), at("barricade_fraction")),
        light=light,
        noises=noises,
        door_state=door_state,
        animation_every=every,
        animation_until=duration(anim.get("until", time.get("horizon")), at("animation", "until")),
        animation_scale=scale,
        animation_frames=whole(anim.get("frames", 300), at("animation", "frames"), "number of frames", 2, 10_000),
        animation_fps=number(anim.get("fps", 10), at("animation", "fps"), "frames per second", 1, 60),
        parameters=_parameters(data),
        humbie_behaviour=HUMBIE_BEHAVIOURS[humbie_b],
        hideouts=hideouts,
        routes=routes,
    )
    from hyosan.agents.interventions import parse_interventions

    sc.interventions = parse_interventions(sc, data.get("interventions") or [], at)
    from hyosan.agents.screening import parse_screening

    sc.screening = parse_screening(sc, data.get("screening"), at)
    sc.crowd = parse_crowd(data.get("crowd"), at, world.scale)
    sc.motion = parse_motion(sc, data, at)
    sc.bands = parse_groups(sc, data.get("groups"), at)
    sc.siege = parse_siege(sc, data, at)
    sc.update = time.get("update", "random")
    return sc


def _time(f: Fields) -> tuple[float, float, float, float, dict]:
    """Step, horizon, report interval and alarm time (seconds), and the ``time`` section."""
    at, need, section = f.at, f.need, f.section
    time = section("time")
    step = duration(need(time, "step", "time"), at("time", "step"))
    horizon = duration(need(time, "horizon", "time"), at("time", "horizon"))
    report = duration(time.get("report", "1min"), at("time", "report"))
    alarm = duration(time.get("alarm", "0s"), at("time", "alarm"))
    for key in time:
        if key not in ("step", "horizon", "report", "alarm", "starts_at", "update"):
            raise ScenarioError(
                f"{at('time', key)}: unknown field '{key}'; time has step, horizon, report, alarm, starts_at, update"
            )
    if time.get("update", "random") not in UPDATES:
        raise ScenarioError(
            f"{at('time', 'update')}: unknown update order {time['update']!r}; use {' or '.join(UPDATES)}"
        )
    if not 0 < step <= 60:
        raise ScenarioError(f"{at('time', 'step')}: the step must be between 0 and 60 seconds, e.g. '1s'")
    if horizon < step or report < step:
        raise ScenarioError(f"{at('time')}: the horizon and report interval must be at least one step")
    return step, horizon, report, alarm, time


def _kind(f: Fields, name: str, raw: Any, where: tuple) -> Kind:
    """One kind's speeds and senses; a soldier's range and hit and detect probabilities."""
    at, need = f.at, f.need
    if not isinstance(raw, dict):
        raise ScenarioError(f"{at(*where)}: kind '{name}' needs speed, run_speed and sight")
    soldier_fields = ("role", "range", "hit_probability", "detect_probability")
    for k in raw:
        if k not in ("speed", "run_speed", "sight", *soldier_fields) or (k in soldier_fields and where[0] != "kinds"):
            raise ScenarioError(
                f"{at(*where, k)}: unknown field '{k}'; a kind has speed, run_speed, sight "
                "(and for role: soldier, range, hit_probability, detect_probability)"
            )
    walk = speed(need(raw, "speed", *where), at(*where, "speed"))
    run = speed(raw.get("run_speed", f"{walk} m/s"), at(*where, "run_speed"))
    out = Kind(name, walk, run, length(need(raw, "sight", *where), at(*where, "sight")))
    role = raw.get("role", "civilian")
    if role not in ("civilian", "soldier"):
        raise ScenarioError(f"{at(*where, 'role')}: unknown role '{role}'; use civilian or soldier")
    if role == "soldier":
        out.soldier = True
        out.range = length(raw.get("range", f"{out.sight}m"), at(*where, "range"))
        if out.range > out.sight:
            raise ScenarioError(f"{at(*where, 'range')}: a soldier's range exceeds its sight; make it <= sight")
        out.hit = probability(raw.get("hit_probability", 0.5), at(*where, "hit_probability"))
        out.detect = probability(raw.get("detect_probability", 0.1), at(*where, "detect_probability"))
    elif any(k in raw for k in soldier_fields[1:]):
        raise ScenarioError(f"{at(*where)}: range and hit/detect probabilities need role: soldier")
    return out


def _kinds(f: Fields, step: float) -> tuple[list[Kind], Kind, Kind]:
    """The human kinds, the zombie and the humbie; none may cross the whole map in one step."""
    at, need, section, data, world = f.at, f.need, f.section, f.data, f.world
    kind = partial(_kind, f)
    kinds_raw = section("kinds")
    if not kinds_raw:
        raise ScenarioError(
            f"{at('kinds')}: give at least one human kind, e.g. student: {{speed: 1.4 m/s, sight: 20m}}"
        )
    if len(kinds_raw) > MAX_KINDS:
        raise ScenarioError(f"{at('kinds')}: {len(kinds_raw)} kinds; at most {MAX_KINDS}, merge some")
    kinds = [kind(str(k), v, ("kinds", k)) for k, v in kinds_raw.items()]
    zombie = kind("zombie", need(data, "zombie"), ("zombie",))
    humbie = kind("humbie", data.get("humbie") or need(data, "zombie"), ("humbie",))
    span = max(world.shape) * world.scale
    for k, where in [*((k, ("kinds", k.name)) for k in kinds), (zombie, ("zombie",)), (humbie, ("humbie",))]:
        for field_name in ("speed", "run_speed"):
            if getattr(k, field_name) * step > span:
                raise ScenarioError(
                    f"{at(*where, field_name)}: {getattr(k, field_name):g} m/s crosses the whole map "
                    f"({span:g} m) in one step of {step:g} s; give a realistic speed, e.g. '1.4 m/s'"
                )
    return kinds, zombie, humbie


def _population(f: Fields, kinds: list[Kind]) -> tuple[list[Group], list[list[tuple[int, int]]]]:
    """The groups placed at the start (population entries and patient zero) and the soldiers' patrol routes."""
    at, need, data, world = f.at, f.need, f.data, f.world
    kind_names = [k.name for k in kinds]
    cells_of, zone_names = partial(places.cells_of, f.world, f.at), partial(places.zone_names, f.world)
    groups: list[Group] = []
    routes: list[list[tuple[int, int]]] = []
    population = data.get("population") or []
    if not isinstance(population, list) or not population:
        raise ScenarioError(f"{at('population')}: population is a list of {{kind, count, zone}} entries")
    from hyosan.budget import require_memory

    require_memory(
        world.kind.size * (len(population) + 1),
        f"{at('population')}: {len(population):,} entries, each with its cells of a {world.kind.size:,}-cell map",
        "merge entries (zone lists, per_zone) or use a smaller map",
    )
    for i, entry in enumerate(population):
        where = ("population", i)
        if not isinstance(entry, dict):
            raise ScenarioError(f"{at(*where)}: each entry is {{kind: NAME, count: N, zone: ZONE}}")
        k = str(need(entry, "kind", *where))
        if k not in kind_names:
            raise ScenarioError(f"{at(*where, 'kind')}: unknown kind '{k}'; kinds: {', '.join(kind_names)}")
        count = whole(entry.get("count", 1), at(*where, "count"), "count", 0, MAX_COUNT)
        state = str(entry.get("state", "healthy"))
        codes = {v: i for i, v in enumerate(STATE_NAMES.values())} | {s: i for i, s in enumerate(STATES)}
        if state not in codes or codes[state] in (4, 5):
            raise ScenarioError(
                f"{at(*where, 'state')}: unknown or unplaceable state '{state}'; use healthy, bitten, zombie or humbie"
            )
        per_zone = entry.get("per_zone")
        if per_zone is not None:
            whole(per_zone, at(*where, "per_zone"), "per_zone (people in each zone)", 0, MAX_COUNT)
            if "zone" not in entry:
                raise ScenarioError(f"{at(*where, 'per_zone')}: per_zone is a whole number >= 0, with zone: PATTERN")
            for z in zone_names(entry["zone"], at(*where, "zone")):
                groups.append(Group(kind_names.index(k), per_zone, codes[state], world.zones[z], f"zone {z}"))
            continue
        mask, label = cells_of(entry, where)
        route = -1
        if "patrol" in entry:
            if not kinds[kind_names.index(k)].soldier:
                raise ScenarioError(f"{at(*where, 'patrol')}: only soldiers patrol; give kind '{k}' role: soldier")
            routes.append(patrol_route(world, entry["patrol"], at(*where, "patrol")))
            route = len(routes) - 1
        groups.append(Group(kind_names.index(k), count, codes[state], mask, label, route))
    pz = data.get("patient_zero")
    if pz is not None:
        if not isinstance(pz, dict):
            raise ScenarioError(f"{at('patient_zero')}: write patient_zero: {{zone: science-lab}} or {{at: [x, y]}}")
        mask, label = cells_of(pz, ("patient_zero",))
        n = whole(pz.get("count", 1), at("patient_zero", "count"), "count", 1, MAX_COUNT)
        groups.append(Group(0, n, 2, mask, f"patient zero in {label}"))
    return groups, routes


def _behaviour(f: Fields) -> tuple[str, str, str, list[str]]:
    """Behaviours of humans, zombies and humbies, and the humbies' hideouts."""
    at, section, data, world = f.at, f.section, f.data, f.world
    beh = section("behaviour")
    for key in beh:
        if key not in ("humans", "zombies", "humbies"):
            raise ScenarioError(
                f"{at('behaviour', key)}: unknown field '{key}'; behaviour has humans, zombies and humbies"
            )
    humbie_b = str(beh.get("humbies", "escape"))
    if humbie_b not in HUMBIE_BEHAVIOURS:
        raise ScenarioError(
            f"{at('behaviour', 'humbies')}: unknown behaviour '{humbie_b}'; choose {', '.join(HUMBIE_BEHAVIOURS)}"
        )
    hideouts = names(data.get("hideouts"), at("hideouts"), "hideouts")
    for z in hideouts:
        world.zone(z, at("hideouts"))
    if humbie_b == "hide" and not hideouts:
        raise ScenarioError(f"{at('behaviour', 'humbies')}: humbies: hide needs hideouts: [ZONE, ...]")
    human_b = str(beh.get("humans", "escape"))
    zombie_b = str(beh.get("zombies", "hunt"))
    if human_b not in HUMAN_BEHAVIOURS:
        raise ScenarioError(
            f"{at('behaviour', 'humans')}: unknown behaviour '{human_b}'; choose {', '.join(HUMAN_BEHAVIOURS)}"
        )
    if zombie_b not in ZOMBIE_BEHAVIOURS:
        raise ScenarioError(
            f"{at('behaviour', 'zombies')}: unknown behaviour '{zombie_b}'; choose {', '.join(ZOMBIE_BEHAVIOURS)}"
        )
    return human_b, zombie_b, humbie_b, hideouts


def _infection(f: Fields) -> tuple[dict, tuple[int, float, float]]:
    """The ``infection`` section and its incubation (distribution code, and its two parameters)."""
    at, need, section = f.at, f.need, f.section
    inf = section("infection")
    allowed = {
        "contact_radius", "bite_probability", "kill_probability", "humbie_fraction", "humbie_bite_probability",
        "incubation", "contact",
    }  # fmt: skip
    for key in inf:
        if key not in allowed:
            raise ScenarioError(f"{at('infection', key)}: unknown field '{key}'; known: {', '.join(sorted(allowed))}")
    inc = inf.get("incubation", {"distribution": "fixed", "delay": "0s"})
    dist = str(inc.get("distribution", "")) if isinstance(inc, dict) else ""
    if dist not in INCUBATION:
        raise ScenarioError(f"{at('infection', 'incubation')}: distribution must be one of {', '.join(INCUBATION)}")
    w = ("infection", "incubation")
    if dist == "fixed":
        incubation = (0, duration(need(inc, "delay", *w), at(*w, "delay")), 0.0)
    elif dist == "exponential":
        incubation = (1, duration(need(inc, "mean", *w), at(*w, "mean")), 0.0)
    elif dist == "lognormal":
        sigma = number(need(inc, "sigma", *w), at(*w, "sigma"), "sigma (s.d. of the log delay)", 0.0, 10.0)
        incubation = (2, duration(need(inc, "median", *w), at(*w, "median")), sigma)
    else:
        shape = number(need(inc, "shape", *w), at(*w, "shape"), "gamma shape", 0.01, 1e6)
        incubation = (3, duration(need(inc, "mean", *w), at(*w, "mean")), shape)
    fields_of = {
        "fixed": ("delay",),
        "exponential": ("mean",),
        "lognormal": ("median", "sigma"),
        "gamma": ("mean", "shape"),
    }
    for key in inc:
        if key != "distribution" and key not in fields_of[dist]:
            raise ScenarioError(
                f"{at(*w, key)}: unknown field '{key}' for a {dist} incubation; it has {', '.join(fields_of[dist])}"
            )
    return inf, incubation


def _rooms_and_light(f: Fields) -> tuple[list[str], np.ndarray]:
    """Safe rooms, and the light level of every cell."""
    at, section, data, world = f.at, f.section, f.data, f.world
    safe = names(data.get("safe_rooms"), at("safe_rooms"), "safe_rooms")
    for z in safe:
        world.zone(z, at("safe_rooms"))
    if len(safe) > MAX_SAFE_ROOMS:
        raise ScenarioError(f"{at('safe_rooms')}: {len(safe)} safe rooms; at most {MAX_SAFE_ROOMS}, merge some")
    light = np.full(world.shape, 1.0, dtype=np.float32)
    light_raw = section("light")
    for key in light_raw:
        if key not in ("default", "zones"):
            raise ScenarioError(f"{at('light', key)}: unknown field '{key}'; light has default and zones")
    light[:] = fraction(light_raw.get("default", 1.0), at("light", "default"))
    light_zones = light_raw.get("zones") or {}
    if not isinstance(light_zones, dict):
        raise ScenarioError(f"{at('light', 'zones')}: zones maps a zone name to its light, e.g. {{gym: 0.4}}")
    for z, v in light_zones.items():
        light[world.zone(str(z), at("light", "zones", z))] = fraction(v, at("light", "zones", z))
    return safe, light


def _noises(f: Fields) -> list[Noise]:
    """Noises attracting zombies: where, when, how long, how far."""
    at, need, data = f.at, f.need, f.data
    cells_of = partial(places.cells_of, f.world, f.at)
    noises: list[Noise] = []
    noise_raw = data.get("noise") or []
    if not isinstance(noise_raw, list):
        raise ScenarioError(f"{at('noise')}: noise is a list of {{what, zone or at, start, length, radius}}")
    for i, n in enumerate(noise_raw):
        where = ("noise", i)
        if not isinstance(n, dict):
            raise ScenarioError(f"{at(*where)}: each noise is {{what, zone or at, start, length, radius}}")
        for key in n:
            if key not in ("what", "zone", "at", "start", "length", "radius"):
                raise ScenarioError(f"{at(*where, key)}: unknown field '{key}'; a noise has what, zone or at, "
                                    "start, length, radius")  # fmt: skip
        mask, label = cells_of(n, where)
        noises.append(
            Noise(
                text(n.get("what", label), at(*where, "what"), "what"),
                duration(need(n, "start", *where), at(*where, "start")),
                duration(n.get("length", "1min"), at(*where, "length")),
                length(need(n, "radius", *where), at(*where, "radius")),
                mask,
            )
        )
    return noises


def _doors(f: Fields) -> np.ndarray:
    """The state of every door at the start: open, shut (1) or barricaded (2)."""
    at, section, world = f.at, f.section, f.world
    door_state = np.zeros(world.n_doors, dtype=np.int8)
    doors = section("doors")
    for state_name, code in (("shut", 1), ("barricaded", 2)):
        for z in names(doors.get(state_name), at("doors", state_name), f"doors.{state_name}"):
            door_state[world.zone_doors(z, at("doors", state_name))] = code
    for key in doors:
        if key not in ("shut", "barricaded"):
            raise ScenarioError(f"{at('doors', key)}: unknown door state '{key}'; use shut or barricaded")
    return door_state


def steps_of(seconds: float, step: float, where: str, what: str) -> int:
    """``seconds`` as a whole number of steps, or refused (the engine works in steps and would round)."""
    n = round(seconds / step)
    if n < 1 or abs(n * step - seconds) > 1e-9 * max(seconds, 1.0):
        near = max(1, n) * step
        raise ScenarioError(
            f"{where}: {what} of {seconds:g} s is not a whole number of steps of {step:g} s; use e.g. '{near:g}s'"
        )
    return n


def _parameters(data: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "time", "behaviour", "infection", "kinds", "zombie", "humbie", "hide_fraction", "barricade_fraction",
        "interventions", "screening", "crowd", "groups", "motion", *SIEGE_KEYS,
    )  # fmt: skip
    return {k: data[k] for k in keep if k in data}


#: The widest frame an animation may have, in pixels.
MAX_FRAME_PIXELS = 4096


def _animation_scale(raw: Any, where: str, shape: tuple[int, int]) -> int:
    """Pixels per cell of the pictures: ``auto`` (0: fit about 1200 px) or a whole number whose frames fit."""
    if raw == "auto":
        return 0
    scale = whole(raw, where, "animation scale (pixels per cell, or auto)", 1, MAX_FRAME_PIXELS)
    if max(shape) * scale > MAX_FRAME_PIXELS:
        raise ScenarioError(
            f"{where}: {scale} pixels per cell makes frames {max(shape) * scale:,} px wide, over "
            f"{MAX_FRAME_PIXELS:,}; write at most {max(1, MAX_FRAME_PIXELS // max(shape))} or auto"
        )
    return scale
