"""The agent kernels take their state in a few typed records, and the records match what fills them."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np

from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm.agents import Agents
from hyosan.engines.abm.engine import World
from hyosan.engines.abm.records import AgentArrays, WorldArrays, record

SRC = Path(__file__).resolve().parents[1] / "src" / "hyosan"


def test_agent_record_has_every_agent_array_in_order() -> None:
    assert AgentArrays._fields == tuple(f.name for f in dataclasses.fields(Agents))
    agents = Agents.empty(3)
    rec = record(AgentArrays, agents)
    rec.x[1] = 7.5
    assert agents.x[1] == 7.5  # the record shares the arrays: the kernel moves the real agents


def test_world_record_is_filled_from_a_world_with_soldiers_and_safe_rooms() -> None:
    sc = load_scenario("military-base")
    world = World(sc)
    rec = record(WorldArrays, world)
    assert rec.block is world.block and rec.door_state is world.door_state
    assert rec.route_ptr.size == len(sc.routes) + 1 and rec.wdist.shape[0] == max(1, len(world.waypoints))
    assert isinstance(rec.noise_on, bool)


def _positional(path: Path) -> dict[str, int]:
    tree = ast.parse(path.read_text())
    return {
        n.name: len(n.args.posonlyargs) + len(n.args.args) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
    }


def test_no_abm_kernel_takes_dozens_of_arguments() -> None:
    paths = (SRC / "engines" / "abm").glob("*.py")
    counts = {f"{p.name}:{name}": k for p in paths for name, k in _positional(p).items()}
    assert counts["step.py:advance"] <= 14 and counts["behaviours.py:soldier"] <= 10
    assert max(counts.values()) <= 14, sorted(counts.items(), key=lambda kv: -kv[1])[:3]


def test_split_modules_stay_under_500_lines() -> None:
    paths = [
        *(SRC / "engines" / "abm").glob("*.py"),
        *(SRC / "agents").glob("scenario*.py"),
        *(SRC / "compartmental").glob("model*.py"),
    ]
    assert len(paths) >= 12
    long = {p.name: n for p in paths if (n := len(p.read_text().splitlines())) > 500}
    assert not long, long


def test_old_import_paths_still_work() -> None:
    from hyosan.agents.scenario import Kind, Scenario, duration, parse_scenario, patrol_route  # noqa: F401
    from hyosan.compartmental.model import Condition, Event, Model, event_times, parse_reaction  # noqa: F401
    from hyosan.engines.abm import step as K

    assert K.EVENT_NAMES[K.BITE] == "bite" and K.NPARAM >= 22
    assert duration("2min", "here") == 120.0
    assert parse_reaction("S + I -> 2 I", ["S", "I"], "here") == ((("S", 1), ("I", 1)), (("I", 2),))
    assert np.isclose(K.SQRT12, 12**0.5)
