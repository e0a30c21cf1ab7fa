"""The story report (:mod:`hyosan.agents.story`) against the event log it summarises: a hand-written log with
known answers (who hid where, when each barricade was built and broken, who was rescued, who reached the
base carrying a bite), then invariants on a real run (fates add up to the humans, survivors per room add up
to those who survived hiding, held_h = broken_h - barricaded_h, counts equal their events)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from hyosan.agents import story
from hyosan.agents.run import run_scenario
from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm import codes as K
from hyosan.engines.abm.agents import Agents
from hyosan.engines.abm.engine import Run, simulate_once

MAP = textwrap.dedent(
    """\
    name: wing
    scale: 0.5
    legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}}
    zones: {hall: [1, 1, 10, 2], room-a: [1, 4, 4, 6], room-b: [6, 4, 10, 6], all: [1, 1, 10, 6]}
    ---
    ############
    #..........G
    #..........G
    ##+####+####
    #....#.....#
    #....#.....#
    #....#.....#
    ############
    """
)


def scenario(tmp_path: Path, **fields):
    (tmp_path / "wing.txt").write_text(MAP)
    data = {
        "name": "wing",
        "map": "wing.txt",
        "time": {"step": "1s", "horizon": "2min", "report": "10s"},
        "kinds": {"student": {"speed": "1.4 m/s", "run_speed": "3 m/s", "sight": "6m"}},
        "zombie": {"speed": "1 m/s", "run_speed": "2 m/s", "sight": "6m"},
        "population": [{"kind": "student", "count": 30, "zone": "all"}],
        "patient_zero": {"zone": "hall", "count": 2},
        "behaviour": {"humans": "escape", "zombies": "hunt"},
        "safe_rooms": ["room-a", "room-b"],
        "hide_fraction": 0.6,
        "barricade_fraction": 1.0,
        "infection": {"contact_radius": "0.6m", "bite_probability": 0.5},
    }
    data.update(fields)
    (tmp_path / "wing.yaml").write_text(yaml.safe_dump(data))
    return load_scenario(tmp_path / "wing.yaml")


def logged(rows: list[tuple[float, int, int, int]]) -> dict[str, np.ndarray]:
    t, kind, agent, aux = (np.array(c) for c in zip(*rows, strict=True))
    n = len(rows)
    return {"t": t.astype(float), "kind": kind.astype(np.int8), "agent": agent.astype(np.int32),
            "x": np.zeros(n), "y": np.zeros(n), "aux": aux.astype(np.int32)}  # fmt: skip


def test_a_known_log_is_told_exactly(tmp_path: Path) -> None:
    sc = scenario(tmp_path)
    doors = story.door_names(sc)
    (door_a,) = [d for d, (r, _) in doors.items() if r == 0]
    (door_b,) = [d for d, (r, _) in doors.items() if r == 1]
    assert doors[door_a][1] == "room-a -> hall" and doors[door_b][1] == "room-b -> hall"
    a = Agents.empty(10)
    start = np.zeros(10, np.int8)
    start[9] = K.Z  # patient zero: not one of the humans
    # 0-3 hide in room-a, 4-5 in room-b; 6 runs out of the gate; 7 bitten in the hall, turns; 8 hides in
    # room-b after first hiding in room-a (the last hide counts).
    rows = [
        (60.0, K.HIDE, 0, 0), (61.0, K.HIDE, 1, 0), (62.0, K.HIDE, 2, 0), (63.0, K.HIDE, 3, 0),
        (64.0, K.HIDE, 4, 1), (65.0, K.HIDE, 5, 1), (66.0, K.HIDE, 8, 0), (70.0, K.BARRICADE, 0, door_a),
        (80.0, K.ESCAPE, 6, 0), (90.0, K.BITE, 7, 9), (95.0, K.BARRICADE, 4, door_b), (150.0, K.TURN, 7, -1),
        (200.0, K.HIDE, 8, 1), (3600.0, K.INTERVENTION, -1, 0), (7270.0, K.BREACH, -1, door_a),
        (7300.0, K.BITE, 0, 7), (7300.0, K.ROOM_FALLS, 0, 0), (7400.0, K.BITE, 1, 7),
        (9000.0, K.RESCUED, 4, 1), (9000.0, K.RESCUED, 5, 1), (9000.0, K.RESCUED, 8, 1),
        (10000.0, K.UNBARRED, -1, door_b), (10800.0, K.REACHED_BASE, 2, 0), (10900.0, K.REACHED_BASE, 1, 1),
    ]  # fmt: skip
    a.state[:] = [K.Z, K.E, K.X, K.S, K.X, K.X, K.X, K.Z, K.X, K.Z]
    a.state[1] = K.X  # bitten, yet reached the base: carries the bite, hidden (aux 1 of reached-base)
    run = Run(np.zeros(1), np.zeros((1, 7)), logged(rows), a, sc.door_state.copy(), start_state=start)
    run.fired = [(3600.0, "seal-the-school", "seal")]
    st = story.story(sc, run)
    assert st["humans"] == 9
    assert {k: st[k] for k in story.FATES} == {
        "reached_base": 2, "rescued": 3, "escaped": 1, "in_school": 1, "lost": 2,
    }  # fmt: skip
    # survivors: never bitten, alive (2 at the base, 4 5 8 rescued, 6 escaped, 3 in school); 1 reached the base bitten
    assert st["survivors"] == 6 and st["carrying_bite"] == 1 and st["survived_hiding"] == 5
    assert st["base"] == {"reached": 2, "bitten": 1, "hiding_bite": 1, "humbies": 0} and st["hiding_bite"] == 1
    assert st["rooms"]["room-a"] == {
        "hid": 4, "survived": 2, "rescued": 0, "reached_base": 2, "barricaded_h": round(70 / 3600, 3),
        "held_h": round(round(7270 / 3600, 3) - round(70 / 3600, 3), 3), "fell_h": round(7300 / 3600, 3),
    }  # fmt: skip
    assert st["rooms"]["room-b"] == {
        "hid": 3, "survived": 3, "rescued": 3, "reached_base": 0, "barricaded_h": round(95 / 3600, 3),
        "held_h": None, "fell_h": None,
    }  # fmt: skip
    bars = {b["room"]: b for b in st["barricades"]}
    assert bars["room-a"]["held_h"] == pytest.approx(7200 / 3600, abs=1e-3)
    assert bars["room-b"]["broken_h"] is None and st["barricades_broken"] == 1
    assert bars["room-b"]["taken_down_h"] == pytest.approx(10000 / 3600, abs=1e-3)
    assert bars["room-a"]["taken_down_h"] is None
    what = [e["what"] for e in st["timeline"]]
    assert what[0] == "room-a barricaded (1 door)" and "seal-the-school: seal" in what
    assert what.index("seal-the-school: seal") < what.index("room-a falls") < what.index("3 rescued")
    assert [e["clock"] for e in st["timeline"] if e["what"] == "3 rescued"] == ["+2h 30min"]
    assert what[-2:] == ["the first survivor reaches the base", "the first from room-a reaches the base (2 in all)"]
    assert story.rows([st, st], "rooms")[3] == {"replicate": 1, "room": "room-b", **st["rooms"]["room-b"]}


def test_clock_reads_the_scenario_start(tmp_path: Path) -> None:
    sc = scenario(tmp_path, time={"step": "1s", "horizon": "2min", "starts_at": "09:40"})
    assert story.clock(sc, 0.0) == "day 1 09:40"
    assert story.clock(sc, 15 * 3600.0 - 29.0) == "day 2 00:40"
    assert story.clock(scenario(tmp_path), 3 * 3600 + 5 * 60) == "+3h 05min"


def test_a_real_run_adds_up(tmp_path: Path) -> None:
    sc = scenario(tmp_path)
    run = simulate_once(sc, np.random.SeedSequence(4))
    st = story.story(sc, run)
    ev = run.events
    assert st["humans"] == 30 == sum(st[k] for k in story.FATES)
    assert st["survived_hiding"] == sum(r["survived"] for r in st["rooms"].values())
    assert sum(r["hid"] for r in st["rooms"].values()) == np.unique(ev["agent"][ev["kind"] == K.HIDE]).size > 0
    assert st["reached_base"] == np.unique(ev["agent"][ev["kind"] == K.REACHED_BASE]).size
    assert st["rescued"] == np.unique(ev["agent"][ev["kind"] == K.RESCUED]).size
    at_base = ev["agent"][ev["kind"] == K.REACHED_BASE]
    assert st["base"]["humbies"] == np.isin(at_base, ev["agent"][ev["kind"] == K.HUMBIE]).sum()
    assert st["barricades_built"] == int((ev["kind"] == K.BARRICADE).sum()) > 0
    for b in st["barricades"]:
        if b["broken_h"] is not None:
            assert b["held_h"] == pytest.approx(b["broken_h"] - b["barricaded_h"], abs=2e-3)
    alive = (run.agents.state == K.S) | (run.agents.state == K.E)
    assert st["in_school"] == int(alive.sum())


def test_the_run_writes_the_story(tmp_path: Path) -> None:
    scenario(tmp_path)
    summary = run_scenario(str(tmp_path / "wing.yaml"), tmp_path / "out", replicates=3, workers=1, plot=False)
    written = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert written["story"]["rooms"].keys() == {"room-a", "room-b"}
    assert summary["outcomes"]["story.humans"]["mean"] == 30
    md = (tmp_path / "out" / "story.md").read_text()
    assert "## Over 3 replicates" in md and "| rooms.room-a.hid | 3 |" in md
    rooms = (tmp_path / "out" / "rooms.csv").read_text().splitlines()
    assert rooms[0].startswith("replicate,room,hid,survived") and len(rooms) == 1 + 3 * 2
