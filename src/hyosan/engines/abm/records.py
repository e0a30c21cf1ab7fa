"""The agent kernels' state, grouped in a few typed records of arrays (Numba passes named tuples by value
and reads their fields without copying the arrays, so grouping costs nothing inside a function). A call
that passes a record does cost: it increments and decrements the reference count of every array in it
(about 10 ns each, even when the callee is inlined), so the functions called once per agent with a record
(``siege.hider``, ``siege.zombie``, ``siege.to_base``, ``behaviours.soldier``, ``behaviours.human_move``,
``groups._look``, ``groups._centre``) are compiled with ``_nrt=False``: no reference counting (they allocate
nothing; Numba refuses to compile one that would).

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
    band: np.ndarray
    bperm: np.ndarray


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
    """Crowding (:mod:`hyosan.engines.abm.crowd`): agents standing on each cell (int16) and the crowding
    parameters ``par`` (the same values as the parameter vector's slots 22-31)."""

    occ: np.ndarray
    par: np.ndarray


class GroupArrays(NamedTuple):
    """Groups of friends (:mod:`hyosan.engines.abm.groups`). Per agent: its group now (-1: none or split off),
    the group it started in (``home``), its pace this step (``pace``: 1, or slower while it waits), when it last left
    its group (``left``, s). Per group: its members (``members[ptr[b]:ptr[b + 1]]``), when it began waiting
    (``since``, s; -1 when together) and its plan (``plan``: 0 leave, 1 hide)."""

    group: np.ndarray
    home: np.ndarray
    pace: np.ndarray
    left: np.ndarray
    ptr: np.ndarray
    members: np.ndarray
    since: np.ndarray
    plan: np.ndarray


class SiegeArrays(NamedTuple):
    """The siege (:mod:`hyosan.engines.abm.siege`). Per door: zombies pushing this step, its safe room; per
    cell: the door; per zombie: the room it is drawn to and when it last heard it; per safe room: the
    zombies' path to its doors, fallen, a noise this step, last time it was not quiet, being left, hiders
    this step; the path to the base exits; per person: leaving for the base, hiding a bite; the hidden
    bites carried off the map (``carry[:ncarry]``); per exit: leads to the base; event slots a step may
    need on top of the kernel's own."""

    pushing: np.ndarray
    door_room: np.ndarray
    door_id: np.ndarray
    drawn: np.ndarray
    heard_at: np.ndarray
    rdist: np.ndarray
    rnext: np.ndarray
    bdist: np.ndarray
    bnext: np.ndarray
    fallen: np.ndarray
    noisy: np.ndarray
    calm: np.ndarray
    leave: np.ndarray
    hiders: np.ndarray
    leaving: np.ndarray
    hid_bite: np.ndarray
    carry: np.ndarray
    ncarry: np.ndarray
    base_exit: np.ndarray
    reserve: int


def record(cls: type, source: Any) -> Any:
    """``cls`` filled from the same-named attributes of ``source`` (an :class:`Agents`, a ``World``...)."""
    return cls(*(getattr(source, name) for name in cls._fields))
