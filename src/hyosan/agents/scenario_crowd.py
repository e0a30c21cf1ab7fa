"""The ``crowd:`` section of a scenario: bodies take space (see :mod:`hyosan.engines.abm.crowd`).

``crowd: off`` lets agents overlap (the results then describe people passing through each other);
otherwise, with Weidmann's (1993) values as defaults::

    crowd:
      max_density: "5.4 per m2"   # never more people on a cell than this density allows (at least one)
      speed: weidmann             # density-limited walking speed; 'free' keeps the kinds' speeds
      jam_density: "5.4 per m2"   # Weidmann's rho_max: nobody walks at this density ahead
      gamma: "1.913 per m2"       # Weidmann's gamma
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hyosan.agents.scenario_types import known_fields
from hyosan.errors import ScenarioError

SPEED_LAWS = ("weidmann", "free")
DENSITY = re.compile(r"([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?:per\s*|/\s*)(m2|m\^2|m²|sq\s*m)")
FIELDS = ("max_density", "speed", "jam_density", "gamma")


@dataclass(frozen=True)
class Crowd:
    """Crowding of a scenario: on or off, the densities (people per m²) and the speed law."""

    on: bool = True
    max_density: float = 5.4
    speed: str = "weidmann"
    jam_density: float = 5.4
    gamma: float = 1.913


def density(raw: Any, where: str) -> float:
    """People per square metre from ``"5.4 per m2"`` (or ``"5.4/m2"``); positive and finite."""
    m = DENSITY.fullmatch(str(raw).strip()) if isinstance(raw, str) else None
    if not m or not 0 < float(m.group(1)) < 1e6:
        raise ScenarioError(f"{where}: {raw!r} is not a density; write a positive number per m2, e.g. '5.4 per m2'")
    return float(m.group(1))


def parse_crowd(raw: Any, at: Callable[..., str], scale: float) -> Crowd:
    """The scenario's crowding (on, with defaults, when ``crowd`` is absent); every field checked."""
    if raw is None or raw is True or raw == "on":
        return Crowd()
    if raw is False or raw == "off":
        return Crowd(on=False)
    if not isinstance(raw, dict):
        raise ScenarioError(f"{at('crowd')}: crowd is 'off' or a mapping with {', '.join(FIELDS)}")
    known_fields(raw, FIELDS, at, "crowd")
    base = Crowd()
    law = raw.get("speed", base.speed)
    if law not in SPEED_LAWS:
        raise ScenarioError(f"{at('crowd', 'speed')}: unknown speed law {law!r}; choose {' or '.join(SPEED_LAWS)}")
    c = Crowd(
        True,
        density(raw["max_density"], at("crowd", "max_density")) if "max_density" in raw else base.max_density,
        law,
        density(raw["jam_density"], at("crowd", "jam_density")) if "jam_density" in raw else base.jam_density,
        density(raw["gamma"], at("crowd", "gamma")) if "gamma" in raw else base.gamma,
    )
    one = 1.0 / (scale * scale)
    if c.max_density * scale * scale < 1.0 - 1e-9:
        raise ScenarioError(
            f"{at('crowd', 'max_density')}: {c.max_density:g} per m2 is less than one person on a {scale:g} m cell "
            f"({one:g} per m2); write at least '{one:g} per m2', or use a map with larger cells"
        )
    return c
