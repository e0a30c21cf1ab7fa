"""Agent-scenario interventions and soldiers against facts: each fires at its step (timed) or at the first
step its trigger holds (checked against the per-step counts and positions); sealed borders and exits are
never crossed; soldiers' hit and detection times follow the declared hazard (the exact geometric law of a
per-second probability applied per step); sweeps visit every waypoint; bad input fails before the run."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm import step as K
from hyosan.engines.abm.agents import Agents
from hyosan.engines.abm.engine import run_scenario, simulate_once
from hyosan.errors import ScenarioError

ROOMS = textwrap.dedent(
    """\
    name: rooms
    scale: 0.5
    legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}}
    zones: {west: [1, 1, 10, 10], hall: [12, 1, 20, 10], cell: [22, 4, 26, 7], all: [1, 1, 30, 10],
            pocket: [33, 2, 35, 4]}
    ---
    ######################################
    #..........#...................#######
    #..........#...................##...##
    #..........#.........#######...##...##
    #..........+.........#.....#...##...##
    #..........+.........+.....#...#######
    #..........#.........#.....#...#######
    #..........#.........#.....#...G######
    #..........#.........#######...#######
    #..........#...................#######
    #..........#...................#######
    ######################################
    """
)
SOLDIER = {"role": "soldier", "speed": "1.5 m/s", "sight": "10m", "range": "8m"}


def write(tmp_path: Path, **fields) -> Path:
    (tmp_path / "rooms.txt").write_text(ROOMS)
    data = {
        "name": "t",
        "map": "rooms.txt",
        "time": {"step": "1s", "horizon": "1min", "report": "1s"},
        "kinds": {"student": {"speed": "3 m/s", "run_speed": "3 m/s", "sight": "5m"}},
        "zombie": {"speed": "1 m/s", "run_speed": "2 m/s", "sight": "6m"},
        "population": [{"kind": "student", "count": 120, "zone": "all"}],
        "behaviour": {"humans": "wander", "zombies": "hunt"},
        "infection": {"contact_radius": "0.6m", "bite_probability": 0.5, "kill_probability": 0.05},
        "animation": {"every": "1s"},
    }
    data.update(fields)
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run(path: Path, seed: int = 1, agents: Agents | None = None):
    sc = load_scenario(path)
    return sc, simulate_once(sc, np.random.SeedSequence(seed), frames=True, agents=agents)


def fired(r, name: str) -> list[float]:
    return [t for t, n, _ in r.fired if n == name]


def test_timed_interventions_fire_at_their_step_and_are_logged(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        time={"step": "0.5s", "horizon": "30s", "report": "5s"},
        interventions=[
            {"name": "lock", "at": "7.5s", "seal": {"zones": ["west"]}},
            {"name": "unlock", "at": "12s", "open": {"zones": ["west"]}},
        ],
    )
    sc, r = run(path)
    assert fired(r, "lock") == [7.5] and fired(r, "unlock") == [12.0]
    doors = sc.world.zone_doors("west")
    for (t, *_), state in zip(r.frames, r.frame_doors, strict=True):
        assert np.all((state[doors] == 3) == (7.5 <= t < 12.0)), t
    ev = r.events
    iv = ev["kind"] == K.INTERVENTION
    assert np.allclose(ev["t"][iv], [7.5, 12.0]) and list(ev["aux"][iv]) == [0, 1]


def test_listed_and_periodic_times_fire_at_each_step(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        time={"step": "0.5s", "horizon": "30s", "report": "5s"},
        interventions=[
            {"name": "knock", "at": ["3s", "1.5s", "0.2min"], "noise": {"zone": "hall", "length": "1s"}},
            {"name": "lock", "every": "10s", "start": "5s", "until": "25s", "seal": {"zones": ["west"]}},
            {"name": "late", "every": "40s", "open": {"zones": ["west"]}},
        ],
    )
    _, r = run(path)
    assert fired(r, "knock") == [1.5, 3.0, 12.0] and fired(r, "lock") == [5.0, 15.0, 25.0]
    assert fired(r, "late") == []


@pytest.mark.parametrize("short", [False, True])
def test_count_triggers_fire_at_the_first_step_the_count_holds_whatever_the_chunking(
    tmp_path: Path, short: bool
) -> None:
    law = "zombie > 12" if short else {"count": {"state": "zombie", "above": 12}}
    few = "S < 90" if short else {"count": {"state": "healthy", "below": 90}}
    path = write(
        tmp_path,
        patient_zero={"zone": "hall", "count": 3},
        infection={
            "contact_radius": "1m",
            "bite_probability": 0.9,
            "incubation": {"distribution": "fixed", "delay": "3s"},
        },
        interventions=[
            {"name": "law", "when": law, "seal": {"exits": "gate"}},
            {"name": "few", "when": few, "open": {"exits": "gate"}},
        ],
    )
    for seed in (1, 2, 3):
        sc, r = run(path, seed)
        zombies, healthy = r.counts[:, K.Z], r.counts[:, K.S]
        assert zombies.max() > 12 and fired(r, "law") == [r.times[np.argmax(zombies > 12)]]
        assert healthy.min() < 90 and fired(r, "few") == [r.times[np.argmax(healthy < 90)]]
        quiet = simulate_once(sc, np.random.SeedSequence(seed), frames=False)
        assert quiet.fired == r.fired and np.array_equal(quiet.agents.x, r.agents.x)


def test_a_zone_entry_trigger_fires_when_the_first_agent_enters(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        population=[{"kind": "student", "count": 60, "zone": "west"}],
        interventions=[
            {"name": "spotted", "when": {"enters": {"zone": "cell", "state": "healthy"}}, "seal": {"zones": ["cell"]}}
        ],
        time={"step": "1s", "horizon": "3min", "report": "1s"},
    )
    sc, r = run(path, 5)
    cell = sc.world.zones["cell"]
    inside = [bool((cell[y.astype(int), x.astype(int)] & (s == 0)).any()) for _, x, y, s in r.frames]
    assert any(inside)
    assert fired(r, "spotted") == [r.frames[inside.index(True)][0]]


def test_sealed_borders_and_exits_are_never_crossed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        population=[{"kind": "student", "count": 150, "zone": "all"}],
        patient_zero={"zone": "hall", "count": 4},
        time={"step": "1s", "horizon": "2min", "report": "1s"},
        interventions=[{"name": "lock", "at": "10s", "seal": {"zones": ["west", "cell"]}}],
    )
    sc, r = run(path, 3)
    west = sc.world.zones["west"]
    cell = sc.world.zones["cell"]
    sides = [(t, west[y.astype(int), x.astype(int)], cell[y.astype(int), x.astype(int)]) for t, x, y, _ in r.frames]
    after = [(w, c) for t, w, c in sides if t >= 10.0]
    assert all(np.array_equal(w, after[0][0]) and np.array_equal(c, after[0][1]) for w, c in after)
    before = [w for t, w, _ in sides if t <= 10.0]
    assert not all(np.array_equal(w, before[0]) for w in before)
    path = write(
        tmp_path,
        behaviour={"humans": "escape", "zombies": "hunt"},
        interventions=[{"name": "close", "at": "4s", "seal": {"exits": "gate"}}],
    )
    _, r = run(path, 3)
    escapes = r.events["t"][r.events["kind"] == K.ESCAPE]
    assert escapes.size > 0 and escapes.max() < 4.0
    assert np.all(r.counts[r.times >= 4.0, K.X] == escapes.size)


def test_evacuation_sends_humans_to_the_named_target(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        behaviour={"humans": "escape", "zombies": "hunt"},
        population=[{"kind": "student", "count": 40, "zone": "hall"}],
        interventions=[{"name": "go", "at": "0s", "evacuate": {"to": "west"}}],
        time={"step": "1s", "horizon": "40s", "report": "1s"},
    )
    sc, r = run(path, 2)
    _, x, y, _ = r.frames[-1]
    assert sc.world.zones["west"][y.astype(int), x.astype(int)].mean() > 0.9
    assert (r.events["kind"] == K.ESCAPE).sum() == 0


def soldier_and_targets(n: int, state: int, rng: np.random.Generator) -> Agents:
    """A soldier (kind 1) in the middle of the open hall (cells 12-20 x 1-10) and ``n`` targets spread over it:
    all within range and in sight."""
    a = Agents.empty(n + 1)
    a.x[:] = [16.5, *rng.uniform(12.05, 20.95, n)]
    a.y[:] = [5.5, *rng.uniform(1.05, 10.95, n)]
    a.kind[0] = 1
    a.state[1:] = state
    return a


@pytest.mark.parametrize(("state", "field", "p", "dt"), [(K.H, "detect_probability", 0.05, 0.5),
                                                         (K.Z, "hit_probability", 0.2, 1.0)])  # fmt: skip
def test_soldiers_hit_and_detect_at_the_declared_hazard(tmp_path: Path, state: int, field: str, p: float,
                                                        dt: float) -> None:  # fmt: skip
    """A target held in a soldier's sight within range is destroyed in step k (k = 0, 1, ...) with
    probability (1 - q)^k q, q = 1 - (1 - p)^dt: the per-second probability p over a step of dt seconds;
    so the mean time is dt (1 - q) / q. The mean over 600 independent targets must match within 4.5 SE."""
    path = write(
        tmp_path,
        kinds={"student": {"speed": "1 m/s", "sight": "5m"}, "soldier": {**SOLDIER, field: p}},
        humbie={"speed": "0 m/s", "sight": "0m"},
        behaviour={"humans": "still", "zombies": "still"},
        infection={"contact_radius": "0.1m", "bite_probability": 0.0, "kill_probability": 0.0},
        population=[{"kind": "soldier", "count": 1, "zone": "hall"}],
        time={"step": f"{dt}s", "horizon": "8min", "report": "1min"},
    )
    n = 600
    sc = load_scenario(path)
    a = soldier_and_targets(n, state, rng=np.random.default_rng(0))
    r = simulate_once(sc, np.random.SeedSequence(9), agents=a)
    ev = r.events
    kind = K.DISCOVER if state == K.H else K.SHOT
    t = ev["t"][ev["kind"] == kind]
    assert t.size == n and np.all(ev["aux"][ev["kind"] == kind] == 0)
    q = 1 - (1 - p) ** dt
    mean = dt * (1 - q) / q
    se = dt * np.sqrt(1 - q) / q / np.sqrt(n)
    assert abs(t.mean() - mean) < 4.5 * se, (t.mean(), mean, se)
    assert abs(mean - 1 / -np.log1p(-p)) < 1.0


def test_a_sweep_visits_every_waypoint_in_serpentine_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        kinds={"student": {"speed": "1 m/s", "sight": "5m"}, "soldier": SOLDIER},
        population=[{"kind": "soldier", "count": 1, "zone": "hall"}],
        behaviour={"humans": "still", "zombies": "still"},
        time={"step": "0.5s", "horizon": "3min", "report": "1s"},
        animation={"every": "0.5s"},
        interventions=[{"name": "sweep", "at": "2s", "sweep": {"zone": "west", "spacing": "1.5m"}}],
    )
    sc, r = run(path)
    route = np.array(sc.routes[sc.interventions[0].route]) + 0.5
    assert len(route) >= 9 and np.all(sc.world.zones["west"][tuple((route - 0.5).astype(int).T)])
    xs = np.array([x[0] for _, x, _, _ in r.frames])
    ys = np.array([y[0] for _, _, y, _ in r.frames])
    d = np.hypot(ys[:, None] - route[None, :, 0], xs[:, None] - route[None, :, 1])
    visit = -1
    for k in range(len(route)):
        later = np.flatnonzero(d[visit + 1 :, k] < 0.75)
        assert later.size, f"waypoint {k} {route[k]} not reached after waypoint {k - 1}"
        visit += 1 + later[0]


def test_soldier_runs_do_not_depend_on_workers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        kinds={"student": {"speed": "1 m/s", "sight": "5m"}, "soldier": {**SOLDIER, "hit_probability": 0.2}},
        population=[
            {"kind": "soldier", "count": 5, "zone": "west", "patrol": ["hall", "west"]},
            {"kind": "student", "count": 40, "zone": "all"},
        ],
        patient_zero={"zone": "hall", "count": 5},
        interventions=[{"name": "sweep", "at": "20s", "sweep": {"zone": "hall", "spacing": "2m"}}],
        time={"step": "1s", "horizon": "40s", "report": "5s"},
    )
    sc = load_scenario(path)
    one, _ = run_scenario(sc, seed=3, replicates=2, workers=1, frames=False)
    two, _ = run_scenario(sc, seed=3, replicates=2, workers=2, frames=False)
    assert list(one.data_vars) == ["S", "E", "Z", "H", "D", "X", "M"]
    for v in one.data_vars:
        np.testing.assert_array_equal(one[v].values, two[v].values)


def test_a_patrol_soldier_is_bitten_like_anyone_and_humans_ignore_soldiers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        kinds={"student": {"speed": "1 m/s", "sight": "5m"}, "soldier": {**SOLDIER, "hit_probability": 0.0}},
        population=[{"kind": "soldier", "count": 20, "zone": "west", "patrol": ["hall", "west"]}],
        patient_zero={"zone": "hall", "count": 5},
        infection={"contact_radius": "1m", "bite_probability": 0.9, "kill_probability": 0.0},
        time={"step": "1s", "horizon": "2min", "report": "1s"},
    )
    _, r = run(path, 4)
    bitten = r.events["agent"][r.events["kind"] == K.BITE]
    assert bitten.size > 0 and np.all(r.agents.kind[bitten] == 1)
    assert np.all(r.counts.sum(axis=1) == 25) and r.counts[0, 6] == 20 and r.counts[-1, 6] < 20
    assert r.counts[0, 0] == 0


BAD = [
    ({"at": "1s", "seal": {"zones": ["nowhere"]}}, "unknown zone 'nowhere'"),
    ({"at": "1s", "seal": {"exits": ["back"]}}, "unknown exit 'back'"),
    ({"when": {"count": {"state": "vampire", "above": 1}}, "open": {"exits": "gate"}}, "unknown state 'vampire'"),
    ({"at": "1s", "sweep": {"zone": "west", "kind": "marine"}}, "unknown kind 'marine'"),
    ({"at": "1s", "sweep": {"zone": "west", "kind": "student"}}, "is not a soldier"),
    ({"when": {"count": {"state": "zombie", "above": 120}}, "seal": {"exits": "gate"}}, "can never hold"),
    ({"when": {"enters": {"zone": "pocket", "state": "zombie"}}, "seal": {"exits": "gate"}}, "can never fire"),
    ({"when": {"count": {"state": "soldier", "below": 3}}, "seal": {"exits": "gate"}}, "has none"),
    ({"at": "1s", "seal": {"exits": "gate"}, "open": {"exits": "gate"}}, "exactly one action"),
    ({"when": "zombie > 120", "seal": {"exits": "gate"}}, "can never hold"),
    ({"when": "zombie in pocket", "seal": {"exits": "gate"}}, "can never fire"),
    ({"when": "vampire > 3", "seal": {"exits": "gate"}}, "unknown name|not allowed"),
    ({"at": 30, "seal": {"exits": "gate"}}, "write a number and a unit"),
    ({"at": "1s", "until": "5s", "seal": {"exits": "gate"}}, "'until' goes with 'every'"),
    ({"at": "1s", "cull": {"dead": 0.5}}, "cannot cull 'dead'"),
    ({"at": "1s", "cull": {"zombie": 1.5}}, "between 0 and 1"),
]


@pytest.mark.parametrize(("entry", "message"), BAD)
def test_bad_interventions_fail_before_the_run(tmp_path: Path, entry: dict, message: str) -> None:
    path = write(tmp_path, interventions=[{"name": "x", **entry}])
    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario(path)
    assert "t.yaml:" in str(err.value) and "\n" not in str(err.value)


def test_contradictory_interventions_are_refused_and_the_cli_exits_2(tmp_path: Path, cli) -> None:
    path = write(
        tmp_path,
        interventions=[
            {"name": "a", "at": "10s", "seal": {"zones": ["west"]}},
            {"name": "b", "at": "10s", "open": {"zones": ["west", "cell"]}},
        ],
    )
    with pytest.raises(ScenarioError, match="opens what 'a' seals"):
        load_scenario(path)
    done = cli("run", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "t.yaml:" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["off-limits", "hyosan-city"])
def test_shipped_aftermath_scenarios_run_from_the_cli(tmp_path: Path, cli, name: str) -> None:
    done = cli("run", name, "--t-end", "0.01", "--out", str(tmp_path / name))
    assert done.returncode == 0, done.stderr
    out = tmp_path / name
    for f in ("timeseries.csv", "final.csv", "summary.json", "plot.png", "events.csv", "animation.gif",
              "snapshot.png"):  # fmt: skip
        assert (out / f).stat().st_size > 0, f
    summary = json.loads((out / "summary.json").read_text())
    assert sum(summary["final"].values()) == summary["agents"]
    fired_names = {f["name"] for f in summary["outcomes"]["interventions"]}
    assert fired_names | set(summary["outcomes"]["interventions_not_fired"]) == {
        iv["name"] for iv in load_scenario(name).raw["interventions"]
    }
    if name == "off-limits":
        side = summary["outcomes"]["humbies_side"]
        assert side["humbies_at_start"] == 12 and (out / "humbies.png").stat().st_size > 0
        assert side["surviving"] + side["escaped"] + len(side["discovered_min"]) == 12


def test_hiding_humbies_go_to_a_hideout_keep_still_and_run_from_soldiers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        kinds={"student": {"speed": "1 m/s", "sight": "5m"}, "soldier": {**SOLDIER, "detect_probability": 0.0}},
        humbie={"speed": "1 m/s", "run_speed": "3 m/s", "sight": "6m"},
        behaviour={"humans": "still", "zombies": "still", "humbies": "hide"},
        hideouts=["cell"],
        population=[{"kind": "student", "count": 1, "zone": "hall"}],
        time={"step": "1s", "horizon": "40s", "report": "1s"},
    )
    sc = load_scenario(path)
    a = Agents.empty(1)
    a.x[:], a.y[:], a.state[:] = 13.5, 2.5, K.H
    _, r = run(path, agents=a)
    xs = np.array([f[1][0] for f in r.frames])
    ys = np.array([f[2][0] for f in r.frames])
    inside = sc.world.zones["cell"][ys.astype(int), xs.astype(int)]
    arrived = int(np.argmax(inside))
    assert inside.any() and inside[arrived:].all()
    assert np.all(xs[arrived + 2 :] == xs[-1]) and np.all(ys[arrived + 2 :] == ys[-1])
    a = Agents.empty(2)
    a.x[:], a.y[:], a.state[:], a.kind[:] = [16.5, 19.5], [5.5, 5.5], [K.H, K.S], [0, 1]
    _, r = run(path, agents=a)
    d = np.array([np.hypot(x[1] - x[0], y[1] - y[0]) for _, x, y, _ in r.frames])
    seen = d[:-1] <= 12.0
    assert seen[0] and np.all(np.diff(d)[seen] > 0) and not seen.all()
    assert d[int(np.argmax(~seen)) :].min() > 12.0 - 2.0 - 0.5
