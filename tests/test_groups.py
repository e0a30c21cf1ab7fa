"""Groups of friends: they keep together unless split, wait for a straggler and split after the patience
time, choose to hide when zombies stand on their way out, and reproduce with the seed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm.agents import Agents, place
from hyosan.engines.abm.codes import ESCAPE, HIDE, REGROUP, SPLIT
from hyosan.engines.abm.engine import World, simulate_once
from hyosan.engines.abm.groups import group_record
from hyosan.errors import ScenarioError

SCHOOL = textwrap.dedent(
    """\
    name: school
    scale: 0.5
    legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}, "c": {zone: class}, "s": {zone: store}}
    zones: {hall: [1, 8, 28, 10]}
    ---
    ##############################
    #cccccccccccc#ssssss#........#
    #cccccccccccc#ssssss#........#
    #cccccccccccc#ssssss#........#
    #cccccccccccc#ssssss#........#
    #cccccccccccc#ssssss#........#
    #cccccccccccc#ssssss#........#
    #####++########++#######++####
    #............................G
    #............................G
    #............................G
    ##############################
    """
)
# two corridors 20 m long joined at the west end; the gate is at the east end of the upper one
DETOUR = textwrap.dedent(
    """\
    name: detour
    scale: 0.5
    legend: {"#": wall, ".": floor, "G": {exit: gate}}
    zones: {all: [1, 1, 40, 7]}
    ---
    ##########################################
    #........................................G
    #........................................G
    #.########################################
    #.########################################
    #........................................#
    #........................................#
    ##########################################
    """
)
# a corridor to the gate with a safe room off its west end
CORRIDOR = textwrap.dedent(
    """\
    name: corridor
    scale: 0.5
    legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}, "s": {zone: store}}
    zones: {all: [1, 5, 22, 7]}
    ---
    ########################
    #ssss###################
    #ssss###################
    #ssss###################
    #++++###################
    #......................G
    #......................G
    #......................G
    ########################
    """
)

# a corridor to the gate with a side room whose door is shut at the start
SIDE_ROOM = textwrap.dedent(
    """\
    name: side-room
    scale: 0.5
    legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}, "r": {zone: room}}
    zones: {all: [1, 1, 40, 7]}
    ---
    ##########################################
    ##################rrrr####################
    ##################rrrr####################
    ##################rrrr####################
    ##################++++####################
    #........................................G
    #........................................G
    #........................................G
    ##########################################
    """
)


def scenario(tmp_path: Path, plan: str, **fields) -> Path:
    (tmp_path / "plan.txt").write_text(plan)
    data = {
        "map": "plan.txt",
        "time": {"step": "0.5s", "horizon": "2min", "report": "0.5s"},
        "kinds": {"student": {"speed": "1.4 m/s", "run_speed": "3 m/s", "sight": "15m"}},
        "zombie": {"speed": "0.8 m/s", "run_speed": "2 m/s", "sight": "10m"},
        "population": [{"kind": "student", "count": 24, "zone": "class"}],
        "behaviour": {"humans": "escape", "zombies": "hunt"},
        "infection": {"bite_probability": 0.8, "kill_probability": 0.05},
        "groups": {"size": "2-4", "keep": "3m", "wait": "20s"},
    }
    data.update(fields)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def membership(gr, events, n_agents: int, t: float) -> np.ndarray:
    """Each agent's group at the start of the step at ``t``, from its home group and the split and regroup
    events logged before ``t`` (events at ``t`` happen after the report of ``t``)."""
    group = gr.home.copy()
    kind, agent, when = events["kind"], events["agent"], events["t"]
    for k in np.flatnonzero(((kind == SPLIT) | (kind == REGROUP)) & (when < t)):
        group[agent[k]] = -1 if kind[k] == SPLIT else gr.home[agent[k]]
    return group


def test_groups_keep_together_unless_split(tmp_path: Path) -> None:
    # 24 classmates in groups of 2-4 leave (or hide) at once through one door, bodies taking space; every
    # report (each 0.5 s step) each group's moving members are within keep of their centre, except while it
    # waits; a wait of the same members lasts at most the patience (10 s) and ends in a split within one
    # report (plus one for a member turning during that step, whom the report still counts as bitten).
    # Without the split (wait 1000 s) the longest wait in this run is 29 s: the bound is not met by chance.
    path = scenario(
        tmp_path, SCHOOL, safe_rooms=["store"], hide_fraction=0.3, groups={"size": "2-4", "keep": "1.5m", "wait": "10s"}
    )
    sc = load_scenario(path)
    seed = np.random.SeedSequence(5)
    rng = np.random.default_rng(seed)
    gr = group_record(sc, place(sc, rng), World(sc), rng)
    shots: list[tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def look(t, a, w) -> bool:
        shots.append((t, a.x.copy(), a.y.copy(), a.state.copy(), a.hidden.copy()))
        return False

    run = simulate_once(sc, seed, hooks=[look])
    assert gr.ptr.size - 1 >= 6 and np.all(np.diff(gr.ptr) >= 2) and np.all(np.diff(gr.ptr) <= 4)
    keep = 1.5 / sc.world.scale
    apart_since: dict[int, float] = {}
    longest = 0.0
    together = 0
    before = gr.home
    for t, x, y, state, hidden in shots:
        group = membership(gr, run.events, x.size, t)
        for b in range(gr.ptr.size - 1):
            m = np.flatnonzero((group == b) & (state <= 1) & (hidden < 0))
            if not np.array_equal(group == b, before == b):
                apart_since.pop(b, None)
            if m.size < 2:
                apart_since.pop(b, None)
                continue
            d = np.hypot(x[m] - x[m].mean(), y[m] - y[m].mean())
            if d.max() <= keep:
                together += 1
                apart_since.pop(b, None)
            else:
                longest = max(longest, t - apart_since.setdefault(b, t))
        before = group
    assert 5.0 < longest <= 10.0 + 2 * sc.step
    assert together > 100
    assert (run.events["kind"] == SPLIT).sum() >= 1


def test_groups_are_drawn_within_each_entry_at_the_stated_sizes_and_share(tmp_path: Path) -> None:
    # two entries (40 students, 10 teachers) with size 3-5 and share 0.5: 20 students and 5 teachers are
    # drawn, banded into groups of 3 to 5 of one entry each, fewer than 3 left over stay alone; the drawn
    # sizes cover the range (each size has probability 1/3 per group).
    path = scenario(
        tmp_path, SCHOOL, groups={"size": "3-5", "keep": "3m", "wait": "20s", "share": 0.5},
        kinds={"student": {"speed": "1.4 m/s", "sight": "15m"}, "teacher": {"speed": "1.3 m/s", "sight": "15m"}},
        population=[
            {"kind": "student", "count": 40, "zone": "class"}, {"kind": "teacher", "count": 10, "zone": "hall"},
        ],
    )  # fmt: skip
    sc = load_scenario(path)
    sizes: list[int] = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        a = place(sc, rng)
        gr = group_record(sc, a, World(sc), rng)
        size = np.diff(gr.ptr)
        assert np.all((size >= 3) & (size <= 5))
        for kind, drawn in ((0, 20), (1, 5)):
            banded = np.flatnonzero((gr.group >= 0) & (a.kind == kind))
            assert drawn - 2 <= banded.size <= drawn
        for b in range(size.size):
            m = gr.members[gr.ptr[b] : gr.ptr[b + 1]]
            assert np.unique(a.kind[m]).size == 1 and np.all(a.goal[m] == a.goal[m[0]])
        sizes += size.tolist()
    assert set(sizes) == {3, 4, 5}


def test_a_straggler_makes_the_group_wait_then_split(tmp_path: Path) -> None:
    # three friends, two in the upper corridor, one below them in the lower (a 30 m detour to them): the two slow to
    # a quarter of their pace (0.35 cells a step) while the third walks away, and exactly at the patience
    # (10 s) the straggler is left behind; then the two walk on at full pace (1.4 cells a step).
    path = scenario(
        tmp_path, DETOUR, population=[{"kind": "student", "count": 3, "zone": "all"}],
        groups={"size": 3, "keep": "1m", "wait": "10s"}, time={"step": "0.5s", "horizon": "1min", "report": "0.5s"},
        crowd={"speed": "free"},
    )  # fmt: skip
    sc = load_scenario(path)
    a = Agents.empty(3)
    a.x[:] = [30.5, 30.5, 30.5]
    a.y[:] = [1.5, 2.5, 5.5]
    shots: list[tuple[float, np.ndarray]] = []
    run = simulate_once(sc, np.random.SeedSequence(1), agents=a, hooks=[lambda t, a, w: shots.append((t, a.x.copy()))])
    split = run.events["kind"] == SPLIT
    assert run.events["agent"][split].tolist() == [2]
    assert run.events["t"][split].tolist() == [10.0]
    x = dict(shots)
    slow, full = 0.25 * 1.4, 1.4
    for t in np.arange(0.5, 10.25, 0.5):
        np.testing.assert_allclose(x[t][:2] - x[t - 0.5][:2], slow, rtol=1e-9)
    np.testing.assert_allclose(x[11.0][:2] - x[10.5][:2], full, rtol=1e-9)
    assert x[10.0][2] < 20.0
    escape = run.events["kind"] == ESCAPE
    assert {0, 1} <= set(run.events["agent"][escape].tolist())
    assert np.all(run.events["t"][escape] > 10.0)


def test_a_member_cut_off_splits_at_once_and_regroups_when_they_meet(tmp_path: Path) -> None:
    # the third friend is in a side room whose door is shut: it cannot reach the gate, so it leaves the group
    # at the first step; the door opens at 6 s, as the two pass below it (3.5 cells from their centre,
    # within keep/2 = 4 cells), and it rejoins at that step; the three then reach the gate together.
    path = scenario(
        tmp_path, SIDE_ROOM, population=[{"kind": "student", "count": 3, "zone": "all"}],
        groups={"size": 3, "keep": "4m", "wait": "30s"}, time={"step": "0.5s", "horizon": "1min", "report": "10s"},
        crowd={"speed": "free"}, doors={"shut": ["room"]},
        interventions=[{"name": "open up", "at": "6s", "open": {"zones": ["room"]}}],
    )  # fmt: skip
    sc = load_scenario(path)
    a = Agents.empty(3)
    a.x[:] = [2.5, 2.5, 19.5]
    a.y[:] = [5.5, 6.5, 2.5]
    ev = simulate_once(sc, np.random.SeedSequence(1), agents=a).events
    for kind, when in ((SPLIT, 0.0), (REGROUP, 6.0)):
        assert ev["agent"][ev["kind"] == kind].tolist() == [2] and ev["t"][ev["kind"] == kind].tolist() == [when]
    out = ev["t"][ev["kind"] == ESCAPE]
    assert out.size == 3 and out.max() - out.min() <= 1.0


def test_a_group_nobody_can_lead_out_stays_together(tmp_path: Path) -> None:
    # all three are shut in the side room: none can reach the gate, so none is cut off from the others and
    # nobody leaves the group (the patience, 30 s, is longer than the run); they mill about the room.
    path = scenario(
        tmp_path, SIDE_ROOM, population=[{"kind": "student", "count": 3, "zone": "all"}],
        groups={"size": 3, "keep": "1m", "wait": "30s"}, time={"step": "0.5s", "horizon": "20s", "report": "10s"},
        doors={"shut": ["room"]},
    )  # fmt: skip
    sc = load_scenario(path)
    a = Agents.empty(3)
    a.x[:] = [18.5, 19.5, 20.5]
    a.y[:] = [1.5, 2.5, 3.5]
    ev = simulate_once(sc, np.random.SeedSequence(5), agents=a).events
    assert not (ev["kind"] == SPLIT).any()


def test_a_member_cut_off_by_a_zombie_leaves_at_once(tmp_path: Path) -> None:
    # a still zombie stands between a straggler (west) and its two friends (east, nearer the gate): the
    # straggler, farther than keep from the centre, sees it on its way to them and leaves at the first step,
    # not after the patience (30 s); the two, who see it behind them, run for the gate.
    path = scenario(
        tmp_path, CORRIDOR, population=[{"kind": "student", "count": 3, "zone": "all"}],
        behaviour={"humans": "escape", "zombies": "still"}, groups={"size": 3, "keep": "1m", "wait": "30s"},
        time={"step": "0.5s", "horizon": "1min", "report": "10s"},
    )  # fmt: skip
    sc = load_scenario(path)
    a = Agents.empty(4)
    a.x[:] = [3.5, 14.5, 14.5, 8.5]
    a.y[:] = [6.5, 5.5, 7.5, 6.5]
    a.state[3] = 2
    ev = simulate_once(sc, np.random.SeedSequence(3), agents=a).events
    assert ev["agent"][ev["kind"] == SPLIT].tolist() == [0] and ev["t"][ev["kind"] == SPLIT].tolist() == [0.0]
    assert {1, 2} <= set(ev["agent"][ev["kind"] == ESCAPE].tolist())


def test_an_evacuation_order_overrides_the_groups_plan(tmp_path: Path) -> None:
    # three friends set out to hide in the store room (hide_fraction 1); at 1 s everyone is ordered out to the
    # gate: the group takes that as its plan and keeps it, so all three escape and none hides.
    path = scenario(
        tmp_path, CORRIDOR, population=[{"kind": "student", "count": 3, "zone": "all"}], safe_rooms=["store"],
        hide_fraction=1.0, groups={"size": 3, "keep": "2m", "wait": "30s"},
        time={"step": "0.5s", "horizon": "1min", "report": "10s"},
        interventions=[{"name": "out", "at": "1s", "evacuate": {"to": "gate"}}],
    )  # fmt: skip
    sc = load_scenario(path)
    a = Agents.empty(3)
    a.x[:] = [9.5, 10.5, 9.5]
    a.y[:] = [5.5, 6.5, 7.5]
    a.goal[:] = 1
    ev = simulate_once(sc, np.random.SeedSequence(4), agents=a).events
    assert sorted(ev["agent"][ev["kind"] == ESCAPE].tolist()) == [0, 1, 2] and not (ev["kind"] == HIDE).any()


@pytest.mark.parametrize("zombie_x, choice", [(15.5, HIDE), (0.5 + 1, ESCAPE)])
def test_a_group_hides_when_zombies_stand_on_its_way_out(tmp_path: Path, zombie_x: float, choice: int) -> None:
    # three friends whose plan is to leave (hide_fraction 0) see a zombie that keeps still: between them and
    # the gate they hide in the store room beside them; behind them they run for the gate.
    path = scenario(
        tmp_path, CORRIDOR, population=[{"kind": "student", "count": 3, "zone": "all"}], safe_rooms=["store"],
        behaviour={"humans": "escape", "zombies": "still"}, groups={"size": 3, "keep": "2m", "wait": "30s"},
        time={"step": "0.5s", "horizon": "1min", "report": "10s"},
    )  # fmt: skip
    sc = load_scenario(path)
    a = Agents.empty(4)
    start = 5.5 if choice == HIDE else 7.5
    a.x[:] = [start, start + 1, start, zombie_x]
    a.y[:] = [5.5, 6.5, 7.5, 6.5]
    a.state[3] = 2
    run = simulate_once(sc, np.random.SeedSequence(2), agents=a)
    acted = run.events["agent"][run.events["kind"] == choice]
    assert sorted(acted.tolist()) == [0, 1, 2]
    assert not (run.events["kind"] == (ESCAPE if choice == HIDE else HIDE)).any()


def test_same_seed_same_groups_and_run(tmp_path: Path) -> None:
    path = scenario(tmp_path, SCHOOL, patient_zero={"at": [7, 4.5]}, time={"step": "0.5s", "horizon": "1min"})
    sc = load_scenario(path)
    one, two = (simulate_once(sc, np.random.SeedSequence(8)) for _ in range(2))
    for k in one.events:
        np.testing.assert_array_equal(one.events[k], two.events[k])
    np.testing.assert_array_equal(one.counts, two.counts)


@pytest.mark.parametrize(
    "groups, message",
    [
        ({"size": "2-5", "keep": "3m", "wiat": "20s"}, "did you mean 'wait'"),
        ({"size": "5-2", "keep": "3m", "wait": "20s"}, "the smaller first"),
        ({"size": 1, "keep": "3m", "wait": "20s"}, "2 to 10,000"),
        ({"size": "2-5", "keep": 3, "wait": "20s"}, "not a length"),
        ({"size": "2-5", "keep": "3m"}, "missing 'wait'"),
        ({"size": "2-5", "keep": "10cm", "wait": "20s"}, "less than one cell"),
        ({"size": "2-5", "keep": "3m", "wait": "20s", "share": 1.5}, "between 0 and 1"),
        ("friends", "groups is a mapping"),
    ],
)
def test_bad_groups_are_refused_in_one_line(tmp_path: Path, groups, message: str) -> None:
    path = scenario(tmp_path, SCHOOL, groups=groups)
    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario(path)
    assert "groups" in str(err.value) and "\n" not in str(err.value)


def test_groups_need_escaping_humans(tmp_path: Path) -> None:
    path = scenario(tmp_path, SCHOOL, behaviour={"humans": "wander"})
    with pytest.raises(ScenarioError, match="humans: escape"):
        load_scenario(path)
