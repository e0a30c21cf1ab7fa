"""The siege against its stated laws: barricades break at hazard k * rate (exponential law), night cuts sight
to night_light, a bite is hidden with probability bite_hidden (binomial), quiet rooms are left for the base,
rescue takes the hidden out, hidden bites are revealed when their bearers turn; bad keys are refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm import step as K
from hyosan.engines.abm.agents import Agents
from hyosan.engines.abm.engine import simulate_once
from hyosan.errors import ScenarioError

# the den (cols 14-18, rows 4-7) has a two-cell door at column 13, rows 5-6; four floor cells outside touch it
SIEGE_MAP = """\
name: siege
scale: 0.5
legend: {"#": wall, ".": floor, "+": door, "B": {exit: base}, "G": {exit: gate}}
zones: {hall: [1, 1, 12, 10], den: [14, 4, 18, 7], all: [1, 1, 20, 10]}
---
######################
#....................#
#....................#
#............#######.#
#............#.....#.#
#............+.....#.#
#............+.....#.#
#............#.....#.#
#............#######.#
#....................#
#....................B
#########G############
"""
OUTSIDE = [(12.5, 5.5), (12.5, 6.5), (12.5, 4.5), (12.5, 7.5)]
INSIDE = [(15.5, 5.5), (16.5, 6.5), (17.5, 4.5), (15.5, 7.5), (17.5, 6.5)]


def scenario(tmp_path: Path, **fields) -> Path:
    (tmp_path / "siege.txt").write_text(SIEGE_MAP)
    data = {
        "map": "siege.txt",
        "time": {"step": "1s", "horizon": "10min", "report": "10s", "alarm": "1h"},
        "kinds": {"student": {"speed": "1.4 m/s", "run_speed": "3 m/s", "sight": "10m"}},
        "zombie": {"speed": "0.8 m/s", "run_speed": "3 m/s", "sight": "10m"},
        "population": [{"kind": "student", "count": 1, "zone": "hall"}],
        "behaviour": {"humans": "escape", "zombies": "still"},
        "infection": {"bite_probability": 0.0, "incubation": {"distribution": "fixed", "delay": "1h"}},
        "safe_rooms": ["den"],
    }
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def people(humans: list, zombies: list, hidden: int = 0, bitten: tuple = (), turn_at: float = np.inf) -> Agents:
    """Humans at ``humans`` hidden in room ``hidden`` (-1: not hiding), zombies at ``zombies``; ``bitten`` are
    indices of humans placed bitten, turning at ``turn_at``."""
    a = Agents.empty(len(humans) + len(zombies))
    xy = np.array(humans + zombies, dtype=float)
    a.x[:], a.y[:] = xy[:, 0], xy[:, 1]
    a.heading[:, 0] = 1.0
    nh = len(humans)
    a.state[nh:] = K.Z
    a.hidden[:nh] = hidden
    a.goal[:nh] = 1 if hidden >= 0 else 0
    a.alert[:nh] = True
    for i in bitten:
        a.state[i] = K.E
        a.turn_at[i] = turn_at
    return a


def events(run, kind: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pick = run.events["kind"] == kind
    return run.events["t"][pick], run.events["agent"][pick], run.events["aux"][pick]


@pytest.mark.parametrize("k", [1, 4])
def test_barricades_break_at_hazard_k_times_the_rate(tmp_path: Path, k: int) -> None:
    path = scenario(
        tmp_path,
        time={"horizon": "25min", "report": "5min"},
        doors={"barricaded": ["den"]},
        barricades={"break_rate": "1 per 2min"},
        hiding={"noise": "1 per 0.05s"},
    )
    sc = load_scenario(path)
    a = people(INSIDE, OUTSIDE[:k])
    n = 240
    seeds = np.random.SeedSequence(7).spawn(n)
    times = []
    for ss in seeds:
        t, _, aux = events(simulate_once(sc, ss, agents=a), K.BREACH)
        assert t.size == 1 and aux[0] == 0
        times.append(t[0])
    times = np.array(times)
    # The first noise is heard at step 0, so zombies push from step 1: the break step is Geometric(p) with
    # p = 1 - exp(-k rate dt), i.e. the exponential law of hazard k * rate read at whole steps.
    lam, dt = k / 120.0, 1.0
    p = -np.expm1(-lam * dt)
    se = dt * np.sqrt(1 - p) / p / np.sqrt(n)
    assert abs(times.mean() - dt / p) < 4 * se  # 4 standard errors of the mean of n geometric times
    assert abs(times.mean() - 1 / lam) < 4 * se + dt  # the continuous law, within one step of rounding
    # Kolmogorov-Smirnov against Exp(k * rate): 1.95/sqrt(n) is the 0.1% critical value; rounding the time up
    # to the step moves the empirical cdf by at most p.
    assert stats.kstest(times, stats.expon(scale=1 / lam).cdf).statistic < 1.95 / np.sqrt(n) + p


def test_zombies_who_hear_the_hidden_gather_at_the_barricade(tmp_path: Path) -> None:
    """Six hunting zombies 1.5-3 m from the den's door hear the people inside (within 5 m) and walk to it: within
    a minute they stand at the door, the four cells touching it taken (a cell holds one body), the rest queued."""
    path = scenario(
        tmp_path,
        time={"horizon": "1min"},
        behaviour={"humans": "escape", "zombies": "hunt"},
        doors={"barricaded": ["den"]},
        barricades={"break_rate": "1 per 100d"},
        hiding={"noise": "1 per 10s", "heard_within": "5m"},
    )
    zombies = [(9.5, 3.5), (9.5, 8.5), (8.5, 5.5), (7.5, 6.5), (9.5, 2.5), (8.5, 8.5)]
    run = simulate_once(load_scenario(path), np.random.SeedSequence(9), agents=people(INSIDE, zombies))
    zx, zy = run.agents.x[len(INSIDE) :], run.agents.y[len(INSIDE) :]
    at_door = {(int(x), int(y)) for x, y in zip(zx, zy, strict=True)} & {(int(x), int(y)) for x, y in OUTSIDE}
    assert len(at_door) == 4
    assert (np.hypot(zx - 13.0, zy - 6.0) < 3.5).all()
    assert (run.door_state == K.BARRICADED).all()


def test_without_noise_no_zombie_pushes_and_barricades_hold(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        doors={"barricaded": ["den"]},
        barricades={"break_rate": "1 per 10s"},
        hiding={"noise": "1 per 100d"},
    )
    run = simulate_once(load_scenario(path), np.random.SeedSequence(1), agents=people(INSIDE, OUTSIDE))
    assert not events(run, K.BREACH)[0].size
    assert (run.door_state == K.BARRICADED).all()


@pytest.mark.parametrize(("clock", "distance", "seen"), [("12:00", 4.0, True), ("23:00", 4.0, False),
                                                         ("23:00", 2.5, True)])  # fmt: skip
def test_night_multiplies_sight_by_night_light(tmp_path: Path, clock: str, distance: float, seen: bool) -> None:
    """Sight 10 m, night_light 0.3: 3 m at night. A hunting zombie that sees its prey runs at it (3 m/s, one
    step of 1 s: it closes in by more than 1.5 m); one that does not walks at most 0.8 m. A human who sees a
    zombie becomes alert."""
    path = scenario(
        tmp_path,
        time={"starts_at": clock, "horizon": "1s", "report": "1s"},
        day={"sunrise": "06:00", "sunset": "20:00", "night_light": 0.3},
        behaviour={"humans": "still", "zombies": "hunt"},
    )
    cells = distance / 0.5
    zombie, human = (2.5, 9.5), (2.5 + cells, 9.5)
    run = simulate_once(load_scenario(path), np.random.SeedSequence(2), agents=people([human], [zombie], -1))
    gap = np.hypot(run.agents.x[1] - run.agents.x[0], run.agents.y[1] - run.agents.y[0]) * 0.5
    assert (gap < distance - 1.5) if seen else (gap > distance - 0.8 - 1e-9)
    path = scenario(
        tmp_path,
        time={"starts_at": clock, "horizon": "1s", "report": "1s"},
        day={"sunrise": "06:00", "sunset": "20:00", "night_light": 0.3},
    )
    a = people([human], [zombie], -1)
    a.alert[:] = False
    run = simulate_once(load_scenario(path), np.random.SeedSequence(2), agents=a)
    assert bool(run.agents.alert[0]) == seen


def test_bites_are_hidden_with_probability_bite_hidden(tmp_path: Path) -> None:
    """Placed bitten and bitten in the run: each hides the bite with probability 0.4, so the hidden count is
    Binomial(n, 0.4); accepted within 4 standard deviations."""
    seen: dict[str, object] = {}

    def hook(t, a, w) -> bool:
        seen["hid"], seen["state"] = w.siege.hid_bite.copy(), a.state.copy()
        return False

    side = 60
    rows = ["#" * (side + 2), *(["#" + "." * side + "#"] * side), "#" * (side + 1) + "G"]
    (tmp_path / "arena.txt").write_text(
        'name: arena\nscale: 0.5\nlegend: {"#": wall, ".": floor, "G": {exit: gate}}\n'
        f"zones: {{all: [1, 1, {side}, {side}]}}\n---\n" + "\n".join(rows) + "\n"
    )
    path = scenario(
        tmp_path,
        map="arena.txt",
        time={"horizon": "2min"},
        population=[{"kind": "student", "count": 300, "zone": "all", "state": "bitten"},
                    {"kind": "student", "count": 400, "zone": "all"}],
        safe_rooms=[],
        behaviour={"humans": "still", "zombies": "hunt"},
        infection={"bite_probability": 1.0, "incubation": {"distribution": "fixed", "delay": "5s"}},
        bite_hidden=0.4,
    )  # fmt: skip
    sc = load_scenario(path)
    run = simulate_once(sc, np.random.SeedSequence(3), hooks=[hook])
    placed = run.start_state == K.E
    _, bitten, _ = events(run, K.BITE)
    for who in (np.flatnonzero(placed), bitten):
        n, hid = who.size, int(seen["hid"][who].sum())
        assert n >= 200
        assert abs(hid - 0.4 * n) < 4 * np.sqrt(n * 0.4 * 0.6)
    assert not seen["hid"][~placed & ~np.isin(np.arange(len(placed)), bitten)].any()


@pytest.mark.parametrize("moves", ["quiet", "night"])
def test_hidden_people_leave_when_it_is_quiet_and_reach_the_base(tmp_path: Path, moves: str) -> None:
    """Quiet for 2 min (no zombie anywhere): the room is left at t = 120 s; with moves: night only after sunset
    (18:05, t = 300 s). All five reach the base exit, one carrying a hidden bite that is revealed when it turns."""
    path = scenario(
        tmp_path,
        time={"starts_at": "18:00", "horizon": "15min"},
        day={"sunrise": "06:00", "sunset": "18:05", "night_light": 1.0},
        doors={"barricaded": ["den"]},
        hiding={"quiet": "2min", "moves": moves},
        bite_hidden=1.0,
        base=["base"],
    )
    a = people(INSIDE, [], bitten=(0,), turn_at=700.0)
    sc = load_scenario(path)
    run = simulate_once(sc, np.random.SeedSequence(4), agents=a)
    t, who, aux = events(run, K.REACHED_BASE)
    leave = 120.0 if moves == "quiet" else 300.0
    assert sorted(who) == list(range(5)) and t.min() > leave
    assert sorted(aux) == [0, 0, 0, 0, 1]
    t_esc, _, exits = events(run, K.ESCAPE)
    assert (exits == sc.world.exits.index("base")).all() and t_esc.size == 5
    t_rev, who_rev, _ = events(run, K.REVEALED)
    assert list(who_rev) == [0] and t_rev[0] == 700.0
    t_down, _, doors = events(run, K.UNBARRED)  # the barricade comes down when they leave, unbroken
    assert t_down.size == doors.size >= 1 and (t_down >= leave).all() and t_down.max() < t.min()
    assert events(run, K.BREACH)[0].size == 0


def test_hidden_people_stay_while_the_base_is_sealed_off(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        doors={"barricaded": ["den"]},
        hiding={"quiet": "1min", "moves": "quiet"},
        base=["base"],
        interventions=[{"name": "lockdown", "at": "0s", "seal": {"exits": ["base"]}},
                       {"name": "road", "at": "5min", "open": {"exits": ["base"]}}],
    )  # fmt: skip
    run = simulate_once(load_scenario(path), np.random.SeedSequence(4), agents=people(INSIDE, []))
    t, who, _ = events(run, K.REACHED_BASE)
    assert sorted(who) == list(range(5)) and t.min() > 300.0


def test_rescue_takes_everyone_alive_out_of_the_zone(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        doors={"barricaded": ["den"]},
        bite_hidden=1.0,
        hiding={"noise": "1 per 1h"},
        interventions=[{"name": "airlift", "at": "1min", "rescue": {"zones": ["den"]}}],
    )
    a = people([*INSIDE, (3.5, 3.5)], [], bitten=(1,), turn_at=200.0)
    a.hidden[5], a.goal[5], a.alert[5] = -1, 0, False
    run = simulate_once(load_scenario(path), np.random.SeedSequence(5), agents=a)
    t, who, aux = events(run, K.RESCUED)
    assert (t == 60.0).all() and sorted(who) == list(range(5))
    assert dict(zip(who.tolist(), aux.tolist(), strict=True)) == {0: 0, 1: 1, 2: 0, 3: 0, 4: 0}
    assert (run.agents.state[:5] == K.X).all() and run.agents.state[5] == K.S
    assert list(events(run, K.REVEALED)[1]) == [1] and events(run, K.REVEALED)[0][0] == 200.0


def test_a_room_falls_at_the_first_bite_of_someone_hiding_there(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        behaviour={"humans": "still", "zombies": "hunt"},
        infection={"bite_probability": 0.2, "incubation": {"distribution": "fixed", "delay": "10s"}},
        hiding={"noise": "1 per 1h"},
    )
    run = simulate_once(load_scenario(path), np.random.SeedSequence(6), agents=people(INSIDE, [(14.5, 4.5)]))
    t_bite, bitten, _ = events(run, K.BITE)
    t_fall, _, room = events(run, K.ROOM_FALLS)
    assert bitten.size >= 2 and list(room) == [0] and t_fall[0] == t_bite.min()


def test_a_hidden_bite_brought_into_a_room_is_revealed_when_its_bearer_turns_and_the_room_falls(
    tmp_path: Path,
) -> None:
    path = scenario(
        tmp_path,
        bite_hidden=1.0,
        hiding={"noise": "1 per 1h"},
        infection={"bite_probability": 1.0},
        behaviour={"humans": "still", "zombies": "hunt"},
    )
    a = people(INSIDE, [], bitten=(0,), turn_at=60.0)
    run = simulate_once(load_scenario(path), np.random.SeedSequence(8), agents=a)
    t_rev, who, room = events(run, K.REVEALED)
    assert list(who) == [0] and list(room) == [0] and t_rev[0] == 60.0
    t_fall, _, room = events(run, K.ROOM_FALLS)
    assert list(room) == [0] and t_fall[0] > 60.0
    assert events(run, K.REVEALED)[0].size == 1  # bites in a fallen room are no secret: nothing more revealed


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"barricades": {"break_rate": "1 per 30min"}}, "give hiding.noise"),
        ({"day": {"night_light": 0.3}}, "time.starts_at"),
        ({"time": {"starts_at": "25:00"}}, "not a clock time"),
        ({"barricades": {"break_rat": "1/h"}}, "did you mean"),
        ({"hiding": {"noise": "fast"}}, "not a rate"),
        ({"hiding": {"quiet": "2h", "moves": "night"}}, "needs a day section"),
        ({"hiding": {"moves": "quiet"}}, "needs hiding.quiet"),
        ({"hiding": {"fraction": 0.2}, "hide_fraction": 0.1}, "keep hiding.fraction"),
        ({"base": ["nowhere"]}, "unknown exit 'nowhere'"),
        ({"interventions": [{"name": "r", "at": "1min", "rescue": {"zone": "den", "by": 2}}]}, "rescue: {zones"),
    ],
)
def test_bad_siege_keys_are_refused_with_the_place_and_the_fix(tmp_path: Path, fields: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario(scenario(tmp_path, **fields))
    assert "\n" not in str(err.value) and "s.yaml" in str(err.value)
