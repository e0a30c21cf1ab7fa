"""The memory and work an agent run will need, estimated from the scenario before anything is allocated.

Each term is an upper-end estimate from the sizes of the arrays the engine builds (bytes per agent, per
map cell, per report time, per frame, per event); :func:`check_run` refuses a run whose total exceeds
what the machine can spare (:func:`hyosan.budget.require_memory`) with the estimate and the fix for the
largest term, and refuses runs too long to finish (more than ``MAX_AGENT_STEPS`` agent-steps a worker).
"""

from __future__ import annotations

from typing import Any

from hyosan.budget import human_bytes, require_memory
from hyosan.engines.abm.siege import reserve as siege_reserve
from hyosan.errors import ScenarioError

#: Agent state (46 B) and kernel scratch (24 B), twice over while placing; see :mod:`.agents`.
AGENT_BYTES = 2 * 46 + 24
#: World per cell: kinds, blocking, light, rooms, three distance fields and steps, noise field, trigger
#: zones, and the sparse neighbour graph and Dijkstra work space while a field is computed.
CELL_BYTES = 250
#: Per waypoint of a soldiers' route, per cell: its distance field and steps.
WAYPOINT_CELL_BYTES = 6
#: One logged event (time, kind, agent, x, y, other) as kept, and in the events.csv table.
EVENT_BYTES = 33 + 33 + 150
#: One slot of the kernel's event buffer.
BUFFER_EVENT_BYTES = 33
#: Per agent in a group of friends: its group now and at the start, its pace, when it left, its member slot.
GROUP_AGENT_BYTES = 28
#: Events an agent can have in a run: bitten, turned, escaped or hid, destroyed (killed, shot, discovered or
#: guarded) once each; with screening also held, screened, isolated or admitted. hyosan-high logs about half.
EVENTS_PER_AGENT = 4
SCREENING_EVENTS_PER_AGENT = 3
#: With a siege: reached the base or rescued, and revealed.
SIEGE_EVENTS_PER_AGENT = 2
#: Per report time and replicate: the counts (7 int64 in a list), its time, the dataset and the CSV rows.
REPORT_BYTES = 7 * 8 + 200 + 7 * 8 * 4 + 120
#: Per step at which the time loop stops (report, frame, change point): a Python int in a set and a list.
STOP_BYTES = 120
#: A recorded frame keeps x, y (float64) and state (int8) of every agent.
FRAME_AGENT_BYTES = 17
#: Agent-steps a worker may be asked for (more than a day at 10^8 agent-steps a second).
MAX_AGENT_STEPS = 1e13


def run_terms(sc: Any, replicates: int, workers: int, frames: bool) -> dict[str, float]:
    """Bytes by what needs them, for ``replicates`` runs of ``sc`` on ``workers`` processes."""
    n = sc.n_agents
    h, w = sc.world.shape
    cells = h * w
    steps = round(sc.horizon / sc.step)
    reports = steps // max(1, round(sc.report / sc.step)) + 2
    waypoints = len({c for r in sc.routes for c in r})
    world = cells * (CELL_BYTES + WAYPOINT_CELL_BYTES * waypoints + len(sc.world.zones) + len(sc.groups))
    per_agent = EVENTS_PER_AGENT + (SCREENING_EVENTS_PER_AGENT if sc.screening is not None else 0)
    per_agent += SIEGE_EVENTS_PER_AGENT if getattr(sc, "siege", None) is not None and sc.siege.active else 0
    events = n * per_agent + sc.world.n_doors + len(sc.interventions)
    banded = n if getattr(sc, "bands", None) is not None else 0
    buffer = (2 * n + sc.world.n_doors + 8 + max(4096, n // 8) + siege_reserve(sc, n) + banded) * BUFFER_EVENT_BYTES
    buffer += banded * GROUP_AGENT_BYTES
    terms = {
        "map": world * (1 + workers),
        "agents": (n * AGENT_BYTES + buffer) * workers + replicates * (n * 46 + events * EVENT_BYTES),
        "reports": replicates * reports * REPORT_BYTES + reports * STOP_BYTES,
        "frames": 0.0,
    }
    if frames:
        every = max(1, round(sc.animation_every / sc.step))
        until = min(steps, round(sc.animation_until / sc.step))
        shots = until // every + 1
        scale = max(1, sc.animation_scale)
        terms["frames"] = shots * (n * FRAME_AGENT_BYTES + sc.world.n_doors + STOP_BYTES) + (shots + 2) * 2 * (
            cells * scale * scale
        )
    return terms


FIXES = {
    "map": "use a smaller map (fewer cells) or fewer patrol waypoints",
    "agents": "place fewer agents or run fewer replicates",
    "reports": "report less often (time.report, --every), shorten the horizon (--t-end) or run fewer replicates",
    "frames": "record fewer frames (a longer animation.every, an earlier animation.until), a smaller "
    "animation.scale, or run with --no-plot",
}


def check_run(sc: Any, replicates: int, workers: int, frames: bool) -> None:
    """Refuse, before anything is allocated, a run of ``replicates`` on ``workers`` processes (as resolved by
    the caller) that would not fit in memory or not finish."""
    steps = round(sc.horizon / sc.step)
    agent_steps = max(sc.n_agents, 1) * steps * -(-replicates // workers)
    if agent_steps > MAX_AGENT_STEPS:
        raise ScenarioError(
            f"{sc.source}: {steps:,} steps of {sc.n_agents:,} agents, {replicates} replicate(s) on {workers} "
            f"worker(s), is {agent_steps:.2g} agent-steps a worker, more than a day's work; shorten the horizon "
            "(time.horizon, --t-end), lengthen time.step or place fewer agents"
        )
    terms = run_terms(sc, replicates, workers, frames)
    largest = max(terms, key=terms.__getitem__)
    parts = ", ".join(f"{k} {human_bytes(v)}" for k, v in terms.items() if v)
    require_memory(
        sum(terms.values()),
        f"{sc.source}: {replicates} replicate(s) of {sc.n_agents:,} agents over {steps:,} steps ({parts})",
        FIXES[largest],
    )
