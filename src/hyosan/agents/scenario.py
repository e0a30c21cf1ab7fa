"""Scenario files: a world, its people, the outbreak's parameters, noises and pictures; validated.

Every quantity carries its unit: durations ``"90s"``, ``"2min"``, ``"8h"``, ``"3d"``; lengths
``"0.6m"``; speeds ``"1.4 m/s"`` or ``"5 km/h"``; probabilities are named ``*_probability`` and are
per second of contact unless written ``"0.3 per 10s"``; rates ``"2/h"``, ``"0.5/day"``.
Internally everything is in seconds and metres. The horizon, the report interval and
``animation.every`` are whole numbers of steps (the engine counts steps; it would otherwise round them).
Every field is checked for its type and range (no yes/no for a count, no text for a number, nothing
infinite); fields a section does not know are refused rather than ignored.

Soldiers are a kind with ``role: soldier`` (range, hit_probability, detect_probability), placed like anyone
and optionally given a ``patrol`` (zone names or [x, y] points); ``behaviour.humbies: hide`` sends humbies to
the ``hideouts`` zones and away from soldiers; ``interventions`` are described in
:mod:`hyosan.agents.interventions`; ``screening`` (hold, screen, isolate or admit arrivals at a base) in
:mod:`hyosan.agents.screening`.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

from hyosan.agents.scenario_parse import KNOWN, parse_scenario, steps_of
from hyosan.agents.scenario_places import cells_of, patrol_route, zone_centre, zone_names
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
    ZOMBIE_BEHAVIOURS,
    Group,
    Kind,
    Noise,
    Scenario,
    names,
    number,
    text,
    whole,
)
from hyosan.errors import ScenarioError
from hyosan.units import METRES, SECONDS, duration, fraction, length, probability, speed

__all__ = [
    "HUMAN_BEHAVIOURS",
    "HUMBIE_BEHAVIOURS",
    "INCUBATION",
    "KNOWN",
    "MAX_AGENTS",
    "MAX_COUNT",
    "MAX_KINDS",
    "MAX_SAFE_ROOMS",
    "METRES",
    "SECONDS",
    "STATES",
    "STATE_NAMES",
    "ZOMBIE_BEHAVIOURS",
    "Group",
    "Kind",
    "Noise",
    "Scenario",
    "cells_of",
    "duration",
    "fraction",
    "length",
    "load_scenario",
    "names",
    "number",
    "parse_scenario",
    "patrol_route",
    "probability",
    "scenario_text",
    "shipped",
    "speed",
    "steps_of",
    "text",
    "whole",
    "zone_centre",
    "zone_names",
]  # fmt: skip


def shipped() -> list[str]:
    """Names of the scenarios shipped with hyosan."""
    return sorted(e.name[:-5] for e in resources.files("hyosan.data.scenarios").iterdir() if e.name.endswith(".yaml"))


def scenario_text(target: str | Path) -> tuple[str, str, Path | None]:
    """(text, source name, folder for relative paths) of a shipped scenario or a YAML file."""
    path = Path(str(target))
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise ScenarioError(f"{target}: no such scenario file")
        from hyosan.compartmental.io import read_file

        return read_file(path, ScenarioError), str(path), path.parent
    entry = resources.files("hyosan.data.scenarios") / f"{target}.yaml"
    if not entry.is_file():
        from hyosan.catalog import did_you_mean

        hint = did_you_mean(target, shipped())
        raise ScenarioError(f"unknown scenario '{target}'{hint}; shipped: {', '.join(shipped())}")
    return entry.read_text(), f"{target}.yaml", None


def load_scenario(target: str | Path, values: dict[str, Any] | None = None) -> Scenario:
    """Read, override (``values``: dotted keys such as ``infection.bite_probability``) and validate."""
    from hyosan.compartmental.io import read_yaml

    text, source, folder = scenario_text(target)
    data, lines = read_yaml(text, source)
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}:1: a scenario is a YAML mapping with map, time, population, ...")
    data = copy.deepcopy(data)
    for key, value in (values or {}).items():
        _override(data, key, value, source)
    sc = parse_scenario(data, source, lines, folder)
    sc.target = str(target)
    sc.values = dict(values or {})
    return sc


def _override(data: dict, key: str, value: Any, source: str) -> None:
    from hyosan.compartmental.io import read_yaml

    parts = key.split(".")
    node = data
    for p in parts[:-1]:
        if not isinstance(node.get(p), dict):
            from hyosan.catalog import did_you_mean

            sections = [k for k, v in node.items() if isinstance(v, dict)]
            raise ScenarioError(
                f"{key}: {source} has no section '{p}'{did_you_mean(p, sections)}; e.g. infection.bite_probability=0.3"
            )
        node = node[p]
    if parts[-1] not in node:
        from hyosan.catalog import did_you_mean

        raise ScenarioError(
            f"{key}: {source} has no field '{key}'{did_you_mean(parts[-1], map(str, node))}; "
            f"keys here: {', '.join(map(str, node))}"
        )
    node[parts[-1]] = read_yaml(value, key)[0] if isinstance(value, str) else value
