"""The agent engine against facts: walls hold, counts are conserved, seeds reproduce, chasers close in,
fleers get away, shut doors stop everyone, and the well-mixed limit matches mass action."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.special import digamma

from hyosan.agents.floorplan import DOOR, WALL
from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm.agents import Agents
from hyosan.engines.abm.engine import run_scenario, simulate_once

ARENA = "arena-20.txt"


def arena(path: Path, side: int, name: str = "arena") -> Path:
    """An open square of side ``side`` cells (0.5 m) inside a wall, an exit in the middle of the east wall."""
    rows = ["#" * (side + 2)]
    for r in range(side):
        rows.append("#" + "." * side + ("G" if r == side // 2 else "#"))
    rows.append("#" * (side + 2))
    header = (
        f'name: {name}\nscale: 0.5\nlegend: {{"#": wall, ".": floor, "G": {{exit: gate}}}}\n'
        f"zones: {{all: [1, 1, {side}, {side}]}}\n---\n"
    )
    target = path / f"{name}.txt"
    target.write_text(header + "\n".join(rows) + "\n")
    return target


ROOMS = textwrap.dedent(
    """\
    name: rooms
    scale: 0.5
    legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}}
    zones: {west: [1, 1, 10, 10], hall: [12, 1, 20, 10], cell: [22, 4, 26, 7], all: [1, 1, 30, 10]}
    ---
    ################################
    #..........#...................#
    #..........#...................#
    #..........#.........#######...#
    #..........+.........#.....#...#
    #..........+.........+.....#...#
    #..........#.........#.....#...#
    #..........#.........#.....#...G
    #..........#.........#######...#
    #..........#...................#
    #..........#...................#
    ################################
    """
)


def scenario(tmp_path: Path, map_file: str | Path, **fields) -> Path:
    """Write a scenario YAML with sensible small defaults, updated by ``fields``."""
    data = {
        "name": "test",
        "map": str(map_file),
        "time": {"step": "1s", "horizon": "2min", "report": "1s"},
        "kinds": {"student": {"speed": "1.4 m/s", "run_speed": "3 m/s", "sight": "15m"}},
        "zombie": {"speed": "1 m/s", "run_speed": "2 m/s", "sight": "12m"},
        "population": [{"kind": "student", "count": 50, "zone": "all"}],
        "behaviour": {"humans": "escape", "zombies": "hunt"},
        "infection": {"contact_radius": "0.6m", "bite_probability": 0.5, "kill_probability": 0.05},
        "animation": {"every": "1s"},
    }
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def pair(sc, human_xy, zombie_xy) -> Agents:
    """One human and one zombie at given cell positions."""
    a = Agents.empty(2)
    a.x[:] = [human_xy[0], zombie_xy[0]]
    a.y[:] = [human_xy[1], zombie_xy[1]]
    a.state[:] = [0, 2]
    a.alert[:] = True
    return a


def run(path: Path, seed: int = 1, agents: Agents | None = None, values: dict | None = None):
    sc = load_scenario(path, values)
    return sc, simulate_once(sc, np.random.SeedSequence(seed), frames=True, agents=agents)


def test_no_agent_ever_on_a_wall_or_shut_door_and_sealed_room_holds(tmp_path: Path) -> None:
    (tmp_path / "rooms.txt").write_text(ROOMS)
    path = scenario(
        tmp_path,
        tmp_path / "rooms.txt",
        population=[
            {"kind": "student", "count": 150, "zone": ["west", "hall"]},
            {"kind": "student", "count": 20, "zone": "cell"},  # full: its 20 cells hold one each (crowding)
        ],
        patient_zero={"zone": "hall", "count": 5},
        behaviour={"humans": "wander", "zombies": "hunt"},
        kinds={"student": {"speed": "3 m/s", "run_speed": "6 m/s", "sight": "15m"}},
        zombie={"speed": "3 m/s", "run_speed": "6 m/s", "sight": "12m"},
        doors={"shut": ["cell"]},
        time={"horizon": "3min"},
    )
    sc, r = run(path)
    world = sc.world
    in_cell = world.zones["cell"]
    start_inside = in_cell[r.frames[0][2].astype(int), r.frames[0][1].astype(int)]
    assert start_inside.sum() == 20
    moved = 0.0
    for _, x, y, _ in r.frames:
        rows, cols = y.astype(int), x.astype(int)
        kind = world.kind[rows, cols]
        assert not np.any(kind == WALL)
        on_door = kind == DOOR
        assert not np.any(on_door & (sc.door_state[world.door_id[rows, cols]] == 1))
        assert np.array_equal(in_cell[rows, cols], start_inside)
        moved += np.abs(x - r.frames[0][1]).sum()
    assert moved > 1000


def test_counts_are_conserved_and_the_same_seed_gives_the_same_run(tmp_path: Path) -> None:
    path = scenario(tmp_path, arena(tmp_path, 40), patient_zero={"zone": "all", "count": 3},
                    population=[{"kind": "student", "count": 200, "zone": "all"}])  # fmt: skip
    _, a = run(path, seed=7)
    _, b = run(path, seed=7)
    _, c = run(path, seed=8)
    assert np.all(a.counts.sum(axis=1) == 203)
    assert np.array_equal(a.counts, b.counts)
    for key in a.events:
        assert np.array_equal(a.events[key], b.events[key])
    assert np.array_equal(a.agents.x, b.agents.x)
    assert not np.array_equal(a.agents.x, c.agents.x)
    assert a.events["kind"].size > 0
    sc = load_scenario(path)
    quiet = simulate_once(sc, np.random.SeedSequence(7), frames=False)
    assert np.array_equal(quiet.counts, a.counts) and np.array_equal(quiet.agents.x, a.agents.x)


def test_replicates_do_not_depend_on_workers(tmp_path: Path) -> None:
    path = scenario(tmp_path, arena(tmp_path, 30), patient_zero={"zone": "all", "count": 2},
                    population=[{"kind": "student", "count": 60, "zone": "all"}], time={"horizon": "30s"})  # fmt: skip
    sc = load_scenario(path)
    one, _ = run_scenario(sc, seed=11, replicates=3, workers=1, frames=False)
    two, _ = run_scenario(sc, seed=11, replicates=3, workers=2, frames=False)
    assert one.sizes["replicate"] == 3
    for v in one.data_vars:
        np.testing.assert_array_equal(one[v].values, two[v].values)
    assert not np.array_equal(one["X"].values[0], one["X"].values[1]) or not np.array_equal(
        one["S"].values[0], one["S"].values[1]
    )


def test_a_barricaded_safe_room_keeps_zombies_out(tmp_path: Path) -> None:
    (tmp_path / "rooms.txt").write_text(ROOMS)
    path = scenario(
        tmp_path,
        tmp_path / "rooms.txt",
        population=[{"kind": "student", "count": 20, "zone": "hall"}],
        patient_zero={"zone": "west", "count": 3},
        safe_rooms=["cell"],
        hide_fraction=1.0,
        barricade_fraction=1.0,
        time={"horizon": "2min"},
    )
    sc, r = run(path)
    from hyosan.engines.abm import step as K

    hid = r.events["agent"][r.events["kind"] == K.HIDE]
    assert hid.size > 0 and (r.events["kind"] == K.BARRICADE).sum() == 1
    assert np.all(r.door_state[sc.world.zone_doors("cell")] == 2)
    t_barricade = r.events["t"][r.events["kind"] == K.BARRICADE][0]
    cell = sc.world.zones["cell"]
    for t, x, y, state in r.frames:
        inside = cell[y.astype(int), x.astype(int)]
        if t > t_barricade:
            assert not np.any(inside & (state == 2))


def test_a_zombie_closes_on_a_still_human(tmp_path: Path) -> None:
    path = scenario(tmp_path, arena(tmp_path, 40), behaviour={"humans": "still"},
                    infection={"bite_probability": 0.0, "kill_probability": 0.0}, time={"horizon": "30s"})  # fmt: skip
    sc = load_scenario(path)
    _, r = run(path, agents=pair(sc, (10.5, 20.5), (30.5, 20.5)))
    d = [np.hypot(x[1] - x[0], y[1] - y[0]) for _, x, y, _ in r.frames]
    run_cells = 2.0 * 1.0 / 0.5
    assert d[0] == pytest.approx(20.0)
    # bodies take space (crowding): refused the human's cell, the zombie stops at its edge and steps aside,
    # staying within the contact radius (0.6 m, 1.2 cells) and never closer than half a cell
    close = next(k for k, v in enumerate(d) if v < run_cells + 0.5)
    for before, after in itertools.pairwise(d[: close + 1]):
        assert after == pytest.approx(before - run_cells, abs=1e-4)
    assert all(0.5 - 1e-4 <= v <= 1.2 for v in d[close + 1 :]) and len(d) > close + 3


def test_a_human_opens_the_distance_to_a_zombie_in_sight(tmp_path: Path) -> None:
    # 6 s: walking at its full 1.4 m/s once out of sight, the human reaches the exit 30 cells east after 7 s
    path = scenario(tmp_path, arena(tmp_path, 60), behaviour={"zombies": "still"}, time={"horizon": "6s"},
                    infection={"bite_probability": 0.0, "kill_probability": 0.0})  # fmt: skip
    sc = load_scenario(path)
    _, r = run(path, agents=pair(sc, (30.5, 30.5), (20.5, 30.5)))
    d = np.array([np.hypot(x[1] - x[0], y[1] - y[0]) for _, x, y, _ in r.frames])
    in_sight = d[:-1] < 15.0 / 0.5
    assert in_sight.sum() >= 3
    assert np.all(np.diff(d)[in_sight] > 0.5 * 3.0 / 0.5)
    assert np.all(np.diff(d) > 0)
    assert r.agents.state[0] == 0


def test_a_shut_door_stops_zombie_and_human(tmp_path: Path) -> None:
    (tmp_path / "rooms.txt").write_text(ROOMS)
    path = scenario(tmp_path, tmp_path / "rooms.txt", doors={"shut": ["west"]}, time={"horizon": "1min"})
    sc = load_scenario(path)
    _, r = run(path, agents=pair(sc, (8.5, 5.0), (14.5, 5.0)))
    for _, x, _, _ in r.frames:
        assert x[0] < 11.0 and x[1] > 12.0
    assert r.agents.state[0] == 0
    path = scenario(tmp_path, tmp_path / "rooms.txt", time={"horizon": "1min"})
    _, r = run(path, agents=pair(sc, (8.5, 5.0), (14.5, 5.0)))
    assert min(x[1] for _, x, _, _ in r.frames) < 11.0


def test_a_door_shut_during_the_run_stops_everyone(tmp_path: Path) -> None:
    """The intervention hook: at t = 10 s the west room's doors shut; nobody crosses afterwards."""
    (tmp_path / "rooms.txt").write_text(ROOMS)
    path = scenario(
        tmp_path,
        tmp_path / "rooms.txt",
        population=[{"kind": "student", "count": 150, "zone": "all"}],
        behaviour={"humans": "wander"},
        kinds={"student": {"speed": "3 m/s", "run_speed": "3 m/s", "sight": "5m"}},
        time={"horizon": "2min", "report": "10s"},
    )
    sc = load_scenario(path)

    def shut(t: float, agents, world) -> bool:
        if t == 10.0:
            world.set_doors("west", "shut")
            return True
        return False

    r = simulate_once(sc, np.random.SeedSequence(4), frames=True, hooks=[shut])
    west = [(t, x < 11.0) for t, x, _, _ in r.frames]
    after = [side for t, side in west if t >= 10.0]
    assert all(np.array_equal(side, after[0]) for side in after)
    before = [side for t, side in west if t <= 10.0]
    assert not all(np.array_equal(side, before[0]) for side in before)


def square_contact(r: float, side: float) -> float:
    """P(two uniform points of a square of side ``side`` lie within ``r``), r <= side (exact)."""
    u = r / side
    return np.pi * u**2 - 8.0 / 3.0 * u**3 + 0.5 * u**4


def half_time(times: np.ndarray, healthy: np.ndarray, level: float) -> float:
    i = int(np.argmax(healthy <= level))
    t0, t1, h0, h1 = times[i - 1], times[i], healthy[i - 1], healthy[i]
    return float(t0 + (h0 - level) / (h0 - h1) * (t1 - t0)) if h0 != h1 else float(t1)


def ode_half_time(folder: Path, beta: float, s0: int, z0: int) -> float:
    """Half time of S from hyosan's ODE engine on S + Z -> Z + Z at beta*S*Z (time in seconds as 'days')."""
    import hyosan

    model = {
        "title": "SZ",
        "compartments": {"S": "humans", "Z": "zombies"},
        "parameters": {"beta": {"value": float(beta), "unit": "1/s", "meaning": "bite"}},
        "initial": {"S": s0, "Z": z0},
        "transitions": [{"reaction": "S + Z -> Z + Z", "rate": "beta*S*Z", "name": "bite"}],
    }
    (folder / "sz.yaml").write_text(yaml.safe_dump(model))
    ds = hyosan.run(str(folder / "sz.yaml"), engine="ode", t_end=2000.0, every=0.5)
    return half_time(ds.time.values, ds.S.values[0], (s0 + z0) / 2)


def test_well_mixed_limit_matches_mass_action(tmp_path: Path) -> None:
    """Zombies and humans wander fast in an open square: S + Z -> 2Z at rate beta*S*Z with
    beta = F(r) * (1 - exp(-lambda*dt)) / dt, F the exact square contact probability.

    The half time of the mass-action model, ln(S0/Z0)/(beta*N) (closed form, and hyosan's ODE engine),
    corrected for the stochastic start by (ln Z0 - digamma(Z0))/(beta*N) (Yule growth: Z ~ Z0 e^{rt} W,
    W ~ Gamma(Z0, 1/Z0)) and for the one-step turning delay (growth rate r/(1 + r*dt) to first order),
    must match the mean over 40 replicates within 5 standard errors.
    """
    side, n_s, n_z, dt = 100, 400, 20, 1.0
    path = scenario(
        tmp_path,
        arena(tmp_path, side),
        population=[{"kind": "student", "count": n_s, "zone": "all"}],
        patient_zero={"zone": "all", "count": n_z},
        behaviour={"humans": "wander", "zombies": "wander"},
        kinds={"student": {"speed": "3 m/s", "run_speed": "3 m/s", "sight": "1m"}},
        zombie={"speed": "3 m/s", "run_speed": "3 m/s", "sight": "1m"},
        infection={"contact_radius": "1m", "bite_probability": 0.02, "kill_probability": 0.0},
        time={"horizon": "25min", "report": "5s"},
        crowd="off",  # mass action is the limit of point agents; bodies that block keep pairs in contact longer
    )
    sc = load_scenario(path)
    lam = -np.log(1 - 0.02)
    beta = square_contact(2.0, side) * (1 - np.exp(-lam * dt)) / dt
    n = n_s + n_z
    t_det = np.log(n_s / n_z) / (beta * n)
    assert ode_half_time(tmp_path, beta, n_s, n_z) == pytest.approx(t_det, rel=1e-4)
    t_expected = (t_det + (np.log(n_z) - digamma(n_z)) / (beta * n)) * (1 + beta * n * dt)
    halves = []
    for k in range(40):
        r = simulate_once(sc, np.random.SeedSequence([3, k]))
        halves.append(half_time(r.times, r.counts[:, 0] + r.counts[:, 1], n / 2))
    halves = np.array(halves)
    se = halves.std(ddof=1) / np.sqrt(len(halves))
    print(f"ABM half time {halves.mean():.1f} s +- {se:.1f} (SE); mass action {t_expected:.1f} s")
    assert abs(halves.mean() - t_expected) < 5 * se, (halves.mean(), t_expected, se)
    assert 5 * se < 0.1 * t_expected
