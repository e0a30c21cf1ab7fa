"""Checking agents given to a run instead of the random placement (tests, experiments)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np

from hyosan.agents.scenario import Scenario
from hyosan.engines.abm.agents import Agents
from hyosan.engines.abm.codes import X
from hyosan.errors import ScenarioError


def check_agents(sc: Scenario, a: Agents, w: Any) -> None:
    """Refuse given agents (tests, experiments) that stand off the map, in a wall or in a closed door."""
    template = Agents.empty(0)
    for name in (f.name for f in fields(Agents)):
        want = getattr(template, name).dtype
        if getattr(a, name).dtype != want or len(getattr(a, name)) != len(a):
            raise ScenarioError(f"agents.{name}: expected {len(a)} values of {want}; build them with Agents.empty(n)")
    bad = a.off_floor(w.walk())
    if bad.size:
        i = int(bad[0])
        raise ScenarioError(
            f"agent {i} at x={a.x[i]}, y={a.y[i]} (cells) is off the map, in a wall or in a closed door of "
            f"{sc.world.name}; place it on a floor cell"
        )
    if np.any((a.state < 0) | (a.state > X)) or np.any((a.kind < 0) | (a.kind >= len(sc.kinds))):
        raise ScenarioError(f"agents: states are 0..{X} and kinds 0..{len(sc.kinds) - 1} for {sc.name}")
    n_rooms = len(w.room_door_ptr) - 1
    lengths = np.diff(w.route_ptr)
    routed = a.route >= 0
    if (
        np.any((a.goal < 0) | (a.goal > 2))
        or np.any((a.hidden < -1) | (a.hidden >= n_rooms))
        or np.any((a.route < -1) | (a.route >= len(sc.routes)))
        or np.any((a.leg < 0) | (routed & (a.leg >= lengths[np.maximum(a.route, 0)] if lengths.size else routed)))
    ):
        raise ScenarioError(
            f"agents: goal is 0..2, hidden -1..{n_rooms - 1}, route -1..{len(sc.routes) - 1} and leg a waypoint "
            f"of its route, for {sc.name}"
        )
