"""The parts of a scenario (kinds, groups, noises, the :class:`Scenario` itself) and its quantities.

Quantities (``"90s"``, ``"0.6m"``, ``"1.4 m/s"``, ``"0.3 per 10s"``) are read by :mod:`hyosan.units`,
re-exported here; the readers below check names, counts and plain numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hyosan.agents.floorplan import FloorPlan
from hyosan.errors import ScenarioError

HUMAN_BEHAVIOURS = {"escape": 0, "wander": 1, "still": 2}
HUMBIE_BEHAVIOURS = {"escape": 0, "hide": 1}
ZOMBIE_BEHAVIOURS = {"hunt": 0, "wander": 1, "still": 2}
INCUBATION = {"fixed": 0, "exponential": 1, "lognormal": 2, "gamma": 3}
UPDATES = ("random", "banded")
"""``time.update``, the order in which agents act within a step: ``random``, a fresh uniformly random permutation
of the agents on the map every step (random sequential update); ``banded``, bands of rows in a random order and
a random order within each band (faster on maps with millions of agents; see :mod:`hyosan.engines.abm.order`)."""
STATES = ("S", "E", "Z", "H", "D", "X")
STATE_NAMES = {
    "S": "healthy",
    "E": "bitten",
    "Z": "zombie",
    "H": "humbie",
    "D": "dead",
    "X": "escaped",
}


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


def known_fields(raw: dict, allowed: Sequence[str], at: Callable[..., str], section: str) -> None:
    """Refuse a key of the mapping ``raw`` (the scenario's ``section``) that is not in ``allowed``, with a
    did-you-mean."""
    for key in raw:
        if key not in allowed:
            from hyosan.catalog import did_you_mean

            raise ScenarioError(
                f"{at(section, key)}: unknown field '{key}'{did_you_mean(str(key), allowed)}; "
                f"{section} has {', '.join(allowed)}"
            )


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
    animation_frames: int = 300
    animation_fps: float = 10.0
    parameters: dict[str, Any] = field(default_factory=dict)
    humbie_behaviour: int = 0
    hideouts: list[str] = field(default_factory=list)
    routes: list[list[tuple[int, int]]] = field(default_factory=list)
    interventions: list[Any] = field(default_factory=list)
    screening: Any = None
    crowd: Any = None
    motion: Any = None
    bands: Any = None
    siege: Any = None
    target: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    added: list[Any] = field(default_factory=list)
    update: str = "random"

    def run(self, engine: str | None = None, **options: Any) -> Any:
        """Run on the agent engine; the result Dataset (see :func:`hyosan.agents.run.execute` for options)."""
        from hyosan.agents.run import execute

        return execute(self, engine=engine, **options)[1]

    def with_values(self, values: dict[str, Any] | None = None) -> Scenario:
        """A copy with fields changed by dotted key (``{"infection.bite_probability": 0.3}``)."""
        from hyosan.agents.scenario import load_scenario

        if not self.target:
            raise ScenarioError(f"{self.source}: this scenario was not loaded by name or path; it cannot be changed")
        fresh = load_scenario(self.target, {**self.values, **(values or {})})
        return fresh.with_interventions(self.added) if self.added else fresh

    def with_interventions(self, items: Sequence[Any]) -> Scenario:
        """A copy with interventions added: :class:`hyosan.Intervention` objects or mappings as in a file."""
        from hyosan.agents.interventions import with_interventions

        return with_interventions(self, items)

    @property
    def has_soldiers(self) -> bool:
        return any(self.kinds[g.kind].soldier and g.count for g in self.groups)

    @property
    def n_agents(self) -> int:
        return sum(g.count for g in self.groups)
