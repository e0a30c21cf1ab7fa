"""The agent kernels' state, grouped in a few typed records of arrays (Numba passes named tuples by value
and reads their fields without copying the arrays, so grouping costs nothing in the step).

Agents (per-agent arrays), world (grids, doors, distance fields), kinds (per-kind speeds, senses and
soldiers' weapons), scratch (cell lists, start-of-step positions, the order of action, the random stream),
the event log buffer and the pending triggers.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, NamedTuple

import numpy as np

from hyosan.engines.abm.agents import Agents

AgentArrays = NamedTuple("AgentArrays", [(f.name, np.ndarray) for f in fields(Agents)])
"""Per agent: the arrays of :class:`hyosan.engines.abm.agents.Agents`, same names, same order."""


class WorldArrays(NamedTuple):
    """Per cell, per door, per room and per waypoint (see :class:`hyosan.engines.abm.engine.World`)."""

    grid: np.ndarray
    block: np.ndarray
    door_state: np.ndarray
    door_cell_ptr: np.ndarray
    door_cells: np.ndarray
    exit_id: np.ndarray
    room: np.ndarray
    light: np.ndarray
    room_door_ptr: np.ndarray
    room_door_list: np.ndarray
    hnext: np.ndarray
    hdist: np.ndarray
    noise_next: np.ndarray
    noise_val: np.ndarray
    noise_on: bool
    route_ptr: np.ndarray
    route_wp: np.ndarray
    wnext: np.ndarray
    wdist: np.ndarray


class KindArrays(NamedTuple):
    """Per kind, in cells per step and cells: walking and running speed, sight; soldiers' range and per-step
    probabilities to hit a zombie and to discover a humbie."""

    walk: np.ndarray
    run: np.ndarray
    sight: np.ndarray
    soldier: np.ndarray
    reach: np.ndarray
    hit: np.ndarray
    detect: np.ndarray


class Scratch(NamedTuple):
    """Working arrays of a run: cell-list heads and links, start-of-step positions, the order of action, the
    barricader of each room and the xorshift64* state ``rs``."""

    head_prey: np.ndarray
    head_zomb: np.ndarray
    nxt: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    order: np.ndarray
    barricader: np.ndarray
    rs: np.ndarray


class EventLog(NamedTuple):
    """The event buffer: time (s), event kind, agent, position (cells) and a kind-specific ``aux``."""

    t: np.ndarray
    kind: np.ndarray
    agent: np.ndarray
    x: np.ndarray
    y: np.ndarray
    aux: np.ndarray


class Triggers(NamedTuple):
    """Pending intervention triggers: kind (above, below, enters), state, value, active, fired; ``zbits`` marks
    each trigger's zone (bit q for trigger q) and ``counts`` is scratch for the state counts."""

    kind: np.ndarray
    state: np.ndarray
    value: np.ndarray
    active: np.ndarray
    fired: np.ndarray
    zbits: np.ndarray
    counts: np.ndarray


class CrowdArrays(NamedTuple):
    """Crowding (:mod:`hyosan.engines.abm.crowd`): agents standing on each cell."""

    occ: np.ndarray


class GroupArrays(NamedTuple):
    """Groups of friends (:mod:`hyosan.engines.abm.groups`): each agent's group, -1 for none."""

    group: np.ndarray


class SiegeArrays(NamedTuple):
    """The siege (:mod:`hyosan.engines.abm.siege`): per door, the zombies pushing on it this step."""

    pushing: np.ndarray


def record(cls: type, source: Any) -> Any:
    """``cls`` filled from the same-named attributes of ``source`` (an :class:`Agents`, a ``World``...)."""
    return cls(*(getattr(source, name) for name in cls._fields))
