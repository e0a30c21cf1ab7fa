"""Screening on arrival at a confinement (the military base), declared under ``screening:`` in an agent scenario::

    screening:
      zone: screening-hall          # where arrivals are held; civilians walk to it from the start
      delay: "30min"                # held this long after entering, then screened
      sensitivity: 0.7              # probability that a bitten (incubating) arrival is detected
      isolation: isolation          # where the detected are escorted and held
      admit: [base]                 # the confined zone(s) the others are escorted into, and held in

Semantics (engine side: :mod:`hyosan.engines.abm.screening`). Every healthy or bitten civilian walks to
``zone`` (with ``behaviour: {humans: escape}``; the hall replaces the exits as their goal). One found
standing in it at the start of a step is held there (confined to the zone) from that time ``t_in``; at the
first step starting at or after ``t_in + delay`` it is screened: a bitten agent is detected with
probability ``sensitivity`` and escorted (set down) into ``isolation``, held there; everyone else (healthy,
or bitten and missed) is escorted into the ``admit`` zones and confined there. Healthy agents are never
detected (no false positives). A held agent (hall or isolation) who turns is shot by the guards at once
(destroyed, state dead). A missed agent turns inside the base as a free zombie: it bites the confined,
and soldiers shoot it. Civilians placed in the ``admit`` zones at the start are confined there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hyosan.errors import ScenarioError
from hyosan.units import duration, fraction

FIELDS = ("zone", "delay", "sensitivity", "isolation", "admit")


@dataclass
class Screening:
    """A validated screening: cell masks of the hall, isolation and admitted zones; delay in seconds."""

    zone: str
    hall: np.ndarray
    isolation: np.ndarray
    admit: np.ndarray
    delay: float
    sensitivity: float

    @property
    def rooms(self) -> list[np.ndarray]:
        """Confinement masks in room order: hall, isolation, admitted."""
        return [self.hall, self.isolation, self.admit]


def parse_screening(sc: Any, raw: Any, at: Callable[..., str]) -> Screening | None:
    """Validate the ``screening`` section of scenario ``sc``; errors name the file, line and fix."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{at('screening')}: screening is a mapping: zone, delay, sensitivity, isolation, admit")
    for key in raw:
        if key not in FIELDS:
            raise ScenarioError(f"{at('screening', key)}: unknown field '{key}'; screening has {', '.join(FIELDS)}")
        if raw[key] is None:
            raise ScenarioError(f"{at('screening', key)}: '{key}' is empty; give a value")
    for key in FIELDS:
        if key not in raw:
            raise ScenarioError(f"{at('screening')}: missing '{key}' in screening; it needs {', '.join(FIELDS)}")
    world = sc.world
    walk = world.kind != 1

    def mask(key: str) -> np.ndarray:
        names = raw[key] if isinstance(raw[key], list) else [raw[key]]
        out = np.zeros(world.shape, bool)
        for name in names:
            out |= world.zone(str(name), at("screening", key))
        if not (out & walk).any():
            raise ScenarioError(f"{at('screening', key)}: zone {names} has no floor cell; name a zone with floor")
        return out & walk

    hall, iso, admit = mask("zone"), mask("isolation"), mask("admit")
    if (hall & iso).any() or (hall & admit).any() or (iso & admit).any():
        raise ScenarioError(f"{at('screening')}: the hall, isolation and admit zones overlap; make them disjoint")
    return Screening(
        zone=str(raw["zone"]),
        hall=hall,
        isolation=iso,
        admit=admit,
        delay=duration(raw["delay"], at("screening", "delay")),
        sensitivity=fraction(raw["sensitivity"], at("screening", "sensitivity")),
    )
