"""Agents as a struct of arrays: one numpy array per attribute, indexed by agent number.

Per agent: position (x, y in cells, float64), heading (unit vector), state, kind, goal (0 exit, 1 safe room),
alert, hidden (safe-room index or -1), fate (becomes a humbie when turning), turn_at (seconds, float64), and
for soldiers route (index of their route or -1) and leg (the waypoint they walk to): 46 bytes, plus 24 bytes
of scratch in the kernels (cell-list link, start-of-step position, the step's order of action).

Positions are float64 because float32 rounded a legal position such as 190.99999999 up into the next,
unchecked cell (191.0: a wall, or off a 191-column map); the 8 bytes per agent buy exact cell tests.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from hyosan.agents.scenario import Scenario
from hyosan.errors import ScenarioError


@dataclass
class Agents:
    """Struct-of-arrays agent population."""

    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    state: np.ndarray
    kind: np.ndarray
    goal: np.ndarray
    alert: np.ndarray
    hidden: np.ndarray
    fate: np.ndarray
    turn_at: np.ndarray
    route: np.ndarray
    leg: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Agents:
        return cls(
            x=np.zeros(n, np.float64),
            y=np.zeros(n, np.float64),
            heading=np.zeros((n, 2), np.float32),
            state=np.zeros(n, np.int8),
            kind=np.zeros(n, np.int8),
            goal=np.zeros(n, np.int8),
            alert=np.zeros(n, np.bool_),
            hidden=np.full(n, -1, np.int8),
            fate=np.zeros(n, np.bool_),
            turn_at=np.full(n, np.inf, np.float64),
            route=np.full(n, -1, np.int32),
            leg=np.zeros(n, np.int32),
        )

    def __len__(self) -> int:
        return self.x.size

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self))

    def off_floor(self, walkable: np.ndarray) -> np.ndarray:
        """Indices of agents on the map (not escaped; the dead lie where they fell) whose cell is off the map or
        not in ``walkable``."""
        live = self.state != 5
        bad = live & ~(np.isfinite(self.x) & np.isfinite(self.y))
        x = np.where(bad, 0.0, self.x)
        y = np.where(bad, 0.0, self.y)
        r, c = np.floor(y).astype(np.int64), np.floor(x).astype(np.int64)
        h, w = walkable.shape
        out = (r < 0) | (c < 0) | (r >= h) | (c >= w)
        bad |= live & out
        inside = live & ~out & ~bad
        bad[inside] = ~walkable[r[inside], c[inside]]
        return np.flatnonzero(bad)

    def copy(self) -> Agents:
        return Agents(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


def place(scenario: Scenario, rng: np.random.Generator) -> Agents:
    """Spread each population group uniformly over its zone's open floor (not exits, walls or closed doors),
    at most the crowding capacity on a cell (:func:`hyosan.engines.abm.crowd.put`).

    Agents are numbered in row-major cell order, so that neighbours in space are neighbours in memory.
    """
    from hyosan.engines.abm.crowd import put

    world = scenario.world
    agents = Agents.empty(scenario.n_agents)
    start = 0
    open_floor = world.walkable(scenario.door_state, blocking=(1, 2, 3)) & (world.kind != 3)
    occ = np.zeros(world.shape, dtype=np.int64)
    for g in scenario.groups:
        cells = np.argwhere(g.cells & open_floor)
        if cells.size == 0:
            raise ScenarioError(f"{scenario.source}: {g.where} has no open floor cell to place people on")
        sl = slice(start, start + g.count)
        where = f"{scenario.source}: population ({g.where})"
        put(scenario, agents, np.arange(start, start + g.count), cells, rng, where, occ)
        agents.state[sl] = g.state
        agents.kind[sl] = g.kind
        agents.alert[sl] = g.state == 3
        agents.route[sl] = g.route
        start += g.count
    n = len(agents)
    order = np.lexsort((agents.x.astype(np.int32), agents.y.astype(np.int32)))
    for f in fields(agents):
        setattr(agents, f.name, getattr(agents, f.name)[order])
    angle = rng.uniform(0, 2 * np.pi, n)
    agents.heading[:] = np.column_stack([np.cos(angle), np.sin(angle)])
    agents.goal[:] = (rng.random(n) < scenario.hide_fraction) & bool(scenario.safe_rooms)
    agents.goal[np.array([k.soldier for k in scenario.kinds])[agents.kind]] = 0
    bitten = agents.state == 1
    agents.turn_at[bitten] = incubation_delays(scenario.incubation, rng, int(bitten.sum()))
    agents.fate[bitten] = rng.random(int(bitten.sum())) < scenario.humbie_fraction
    return agents


def incubation_delays(incubation: tuple[int, float, float], rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds from bite to turning, for agents bitten before the run starts."""
    kind, a, b = incubation
    if kind == 0:
        return np.full(n, a)
    if kind == 1:
        return rng.exponential(a, n)
    if kind == 2:
        return a * np.exp(b * rng.standard_normal(n))
    return rng.gamma(b, a / b, n)
