"""The parts of a scenario (kinds, groups, noises, the :class:`Scenario` itself) and its quantities.

Quantity readers turn ``"90s"``, ``"0.6m"``, ``"1.4 m/s"``, ``"0.3 per 10s"`` into seconds, metres and
per-second probabilities; every reader refuses a wrong type, a missing unit or a non-finite value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hyosan.agents.floorplan import FloorPlan
from hyosan.errors import ScenarioError

SECONDS = {"ms": 1e-3, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "day": 86400.0, "days": 86400.0}
METRES = {"m": 1.0, "cm": 0.01, "km": 1000.0}
HUMAN_BEHAVIOURS = {"escape": 0, "wander": 1, "still": 2}
HUMBIE_BEHAVIOURS = {"escape": 0, "hide": 1}
ZOMBIE_BEHAVIOURS = {"hunt": 0, "wander": 1, "still": 2}
INCUBATION = {"fixed": 0, "exponential": 1, "lognormal": 2, "gamma": 3}
STATES = ("S", "E", "Z", "H", "D", "X")
STATE_NAMES = {
    "S": "healthy",
    "E": "bitten",
    "Z": "zombie",
    "H": "humbie",
    "D": "dead",
    "X": "escaped",
}
_NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"


def _quantity(raw: Any, where: str, units: dict[str, float], what: str, examples: str) -> float:
    m = re.fullmatch(_NUM + r"\s*([a-z]+)", str(raw).strip())
    if not m or m.group(2) not in units or isinstance(raw, (int, float)):
        raise ScenarioError(f"{where}: {raw!r} is not a {what}; write a number and a unit: {examples}")
    value = float(m.group(1)) * units[m.group(2)]
    if value < 0:
        raise ScenarioError(f"{where}: {raw!r} is negative; a {what} is >= 0")
    if not math.isfinite(value):
        raise ScenarioError(f"{where}: {raw!r} is too large to be a {what}; write a finite number, e.g. {examples}")
    return value


def duration(raw: Any, where: str) -> float:
    """Seconds from ``"90s"``, ``"2min"``, ``"8h"``, ``"3d"``."""
    return _quantity(raw, where, SECONDS, "duration", "'90s', '2min', '8h', '3d'")


def length(raw: Any, where: str) -> float:
    """Metres from ``"0.6m"``, ``"20 m"``, ``"50cm"``."""
    return _quantity(raw, where, METRES, "length", "'0.6m', '20m', '50cm'")


def speed(raw: Any, where: str) -> float:
    """Metres per second from ``"1.4 m/s"`` or ``"5 km/h"``."""
    m = re.fullmatch(_NUM + r"\s*([a-z]+)\s*/\s*([a-z]+)", str(raw).strip())
    if not m or m.group(2) not in METRES or m.group(3) not in SECONDS or isinstance(raw, (int, float)):
        raise ScenarioError(f"{where}: {raw!r} is not a speed; write e.g. '1.4 m/s' or '5 km/h'")
    value = float(m.group(1)) * METRES[m.group(2)] / SECONDS[m.group(3)]
    if value < 0:
        raise ScenarioError(f"{where}: {raw!r} is negative; a speed is >= 0")
    if not math.isfinite(value):
        raise ScenarioError(f"{where}: {raw!r} is too large to be a speed; write e.g. '1.4 m/s' or '5 km/h'")
    return value


def probability(raw: Any, where: str) -> float:
    """A probability per second: ``0.5`` (per second) or ``"0.3 per 10s"`` (converted to per second)."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        p, span = float(raw), 1.0
    else:
        m = re.fullmatch(_NUM + r"\s+per\s+(.+)", str(raw).strip())
        if not m:
            raise ScenarioError(f"{where}: {raw!r} is not a probability; write 0.5 (per second) or '0.3 per 10s'")
        p, span = float(m.group(1)), duration(m.group(2), where)
    if not 0 <= p <= 1 or span <= 0:
        raise ScenarioError(f"{where}: {raw!r}: a probability lies in [0, 1] over a positive duration")
    return 1.0 - (1.0 - p) ** (1.0 / span) if p < 1 else 1.0


def number(raw: Any, where: str, what: str, low: float, high: float) -> float:
    """A plain finite number (not yes/no, not text) in [low, high]."""
    if not isinstance(raw, (int, float)) or isinstance(raw, bool) or not low <= raw <= high:
        raise ScenarioError(f"{where}: {raw!r} is not a valid {what}; write a number from {low:g} to {high:g}")
    return float(raw)


def text(raw: Any, where: str, what: str) -> str:
    """A name or title: text, not a list, a mapping or yes/no (quote a number: '2024')."""
    if not isinstance(raw, str) or not raw.strip():
        raise ScenarioError(f"{where}: {what} must be text, e.g. {what}: 'night shift' (got {raw!r})")
    return raw


def whole(raw: Any, where: str, what: str, low: int, high: int) -> int:
    """A whole number (not yes/no, not text) in [low, high]."""
    if not isinstance(raw, int) or isinstance(raw, bool) or not low <= raw <= high:
        raise ScenarioError(f"{where}: {raw!r} is not a valid {what}; write a whole number from {low:,} to {high:,}")
    return raw


def names(raw: Any, where: str, what: str) -> list[str]:
    """Zone names: one name or a list of names (never the characters of a name)."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    if any(not isinstance(v, str) for v in items):
        raise ScenarioError(f"{where}: {what} is a zone name or a list of zone names, e.g. [library, gym]")
    return list(items)


#: Agent ids are int32 in the kernels; kinds and safe rooms are int8 (three rooms more for screening).
MAX_AGENTS = 2**31 - 1
MAX_KINDS = 127
MAX_SAFE_ROOMS = 120
MAX_COUNT = 10**12


def fraction(raw: Any, where: str) -> float:
    """A plain probability (no time unit) in [0, 1]."""
    if not isinstance(raw, (int, float)) or isinstance(raw, bool) or not 0 <= raw <= 1:
        raise ScenarioError(f"{where}: {raw!r} must be a probability between 0 and 1")
    return float(raw)


@dataclass
class Kind:
    """Per-kind movement and senses (metres, metres per second); soldiers also shoot.

    A soldier (``role: soldier``) destroys each zombie in sight within ``range`` with probability
    ``hit`` per second, and discovers (and shoots) each humbie in sight within range with probability
    ``detect`` per second. Humans ignore soldiers; zombies bite them like anyone.
    """

    name: str
    speed: float
    run_speed: float
    sight: float
    soldier: bool = False
    range: float = 0.0
    hit: float = 0.0
    detect: float = 0.0


@dataclass
class Group:
    """People placed at the start: ``count`` of ``kind`` spread over the walkable cells of ``cells``."""

    kind: int
    count: int
    state: int
    cells: np.ndarray
    where: str
    route: int = -1


@dataclass
class Noise:
    """A sound attracting zombies within ``radius`` (path metres) from ``start`` for ``length`` seconds."""

    what: str
    start: float
    length: float
    radius: float
    cells: np.ndarray


@dataclass
class Scenario:
    """A validated scenario; quantities in seconds and metres."""

    name: str
    title: str
    source: str
    raw: dict[str, Any]
    world: FloorPlan
    step: float
    horizon: float
    report: float
    alarm: float
    kinds: list[Kind]
    zombie: Kind
    humbie: Kind
    groups: list[Group]
    human_behaviour: int
    zombie_behaviour: int
    contact_radius: float
    bite_probability: float
    kill_probability: float
    humbie_fraction: float
    humbie_bite_probability: float
    incubation: tuple[int, float, float]
    safe_rooms: list[str]
    hide_fraction: float
    barricade_fraction: float
    light: np.ndarray
    noises: list[Noise]
    door_state: np.ndarray
    animation_every: float
    animation_until: float
    animation_scale: int
    parameters: dict[str, Any] = field(default_factory=dict)
    humbie_behaviour: int = 0
    hideouts: list[str] = field(default_factory=list)
    routes: list[list[tuple[int, int]]] = field(default_factory=list)
    interventions: list[Any] = field(default_factory=list)
    screening: Any = None

    @property
    def has_soldiers(self) -> bool:
        return any(self.kinds[g.kind].soldier and g.count for g in self.groups)

    @property
    def n_agents(self) -> int:
        return sum(g.count for g in self.groups)
