"""Where agents stand, and who acts first: every agent on a walkable cell of the map at every step, on any
seed; a prey that has left cannot destroy a zombie; the order in which agents act favours nobody."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.test_abm import arena, scenario

from hyosan.agents.floorplan import WALL
from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm import step as K
from hyosan.engines.abm.agents import Agents
from hyosan.engines.abm.engine import simulate_once
from hyosan.errors import ScenarioError


def off_floor(sc, x: np.ndarray, y: np.ndarray, state: np.ndarray, doors: np.ndarray) -> int:
    """How many agents still on the map (not escaped) stand off it, on a wall or on a door that is not open."""
    w = sc.world
    live = state != K.X
    rows, cols = np.floor(y[live]).astype(np.int64), np.floor(x[live]).astype(np.int64)
    h, wd = w.shape
    out = (rows < 0) | (cols < 0) | (rows >= h) | (cols >= wd)
    r, c = rows[~out], cols[~out]
    door = w.door_id[r, c]
    shut = (door >= 0) & (doors[np.maximum(door, 0)] != K.OPEN) if doors.size else door >= 0
    return int(out.sum() + (w.kind[r, c] == WALL).sum() + shut.sum())


def test_hyosan_high_every_agent_on_the_floor_at_every_step_on_many_seeds() -> None:
    """The float32 positions of old rounded a legal move into the next cell: seeds 0-2 put agents in walls
    and at x = 191.0 on the 191-column map within the first ten minutes."""
    sc = load_scenario(
        "hyosan-high",
        {"time.step": "0.5s", "time.horizon": "20min", "animation.every": "0.5s", "animation.until": "20min"},
    )
    checked = barricades = 0
    for seed in range(16):
        r = simulate_once(sc, np.random.SeedSequence(seed), frames=True)
        assert len(r.frames) == 20 * 120 + 1
        for (t, x, y, state), doors in zip(r.frames, r.frame_doors, strict=True):
            bad = off_floor(sc, x, y, state, doors)
            assert bad == 0, (seed, t)
            checked += int((state != K.X).sum())
        assert (r.events["kind"] == K.ESCAPE).sum() > 0 and (r.events["kind"] == K.HIDE).sum() > 0
        barricades += int((r.events["kind"] == K.BARRICADE).sum())
    assert checked > 16 * 1000 * 1000 and barricades > 0


@pytest.mark.parametrize("name", ["hyosan-city", "off-limits", "military-base"])
def test_shipped_scenarios_with_seals_soldiers_and_screening_keep_everyone_on_the_floor(name: str) -> None:
    """Over the whole horizon, every tenth step: seals (set down whoever stands in them), patrols, sweeps,
    escorts between screening rooms."""
    step = load_scenario(name).step
    sc = load_scenario(name, {"animation.every": f"{10 * step:g}s", "animation.until": "1d"})
    for seed in range(2):
        r = simulate_once(sc, np.random.SeedSequence(seed), frames=True)
        assert r.frames[-1][0] == sc.horizon
        for (t, x, y, state), doors in zip(r.frames, r.frame_doors, strict=True):
            bad = off_floor(sc, x, y, state, doors)
            assert bad == 0, (seed, t)
        assert name == "military-base" or r.fired


def test_zombies_on_an_exit_at_the_edge_never_walk_off_the_map(tmp_path: Path) -> None:
    """Exits on the west edge (column 0): int(-0.3) is 0, so a truncating cell test let zombies out at x < 0."""
    side = 8
    rows = ["#" * (side + 2)] + ["G" + "." * side + "#" for _ in range(side)] + ["#" * (side + 2)]
    head = 'name: edge\nscale: 0.5\nlegend: {"#": wall, ".": floor, "G": {exit: west}}\nzones: {all: [0, 1, 8, 8]}\n'
    (tmp_path / "edge.txt").write_text(head + "---\n" + "\n".join(rows) + "\n")
    path = scenario(
        tmp_path,
        tmp_path / "edge.txt",
        population=[{"kind": "student", "count": 0, "zone": "all"}],
        patient_zero={"zone": "all", "count": 40},
        behaviour={"humans": "escape", "zombies": "wander"},
        zombie={"speed": "3 m/s", "run_speed": "3 m/s", "sight": "1m"},
        time={"horizon": "3min"},
    )
    sc = load_scenario(path)
    on_exit = 0
    for seed in range(3):
        r = simulate_once(sc, np.random.SeedSequence(seed), frames=True)
        for (_, x, y, state), doors in zip(r.frames, r.frame_doors, strict=True):
            assert x.min() >= 0.0
            bad = off_floor(sc, x, y, state, doors)
            assert bad == 0
            on_exit += int((x < 1.0).sum())
    assert on_exit > 100


def three(human: tuple[float, float], zombies: list[tuple[float, float]]) -> Agents:
    """One human (index 1 of 3 when two zombies) between zombies, numbered top to bottom."""
    pts = sorted([(human, K.S), *((z, K.Z) for z in zombies)], key=lambda p: p[0][1])
    a = Agents.empty(len(pts))
    for i, ((x, y), st) in enumerate(pts):
        a.x[i], a.y[i], a.state[i] = x, y, st
    a.alert[:] = True
    return a


def test_the_order_of_action_favours_neither_top_nor_bottom(tmp_path: Path) -> None:
    """Two zombies in contact with one human, one above and one below it, equally far; each bites with
    certainty in its turn, so the biter is whoever acts first. Agents acted in index (row-major) order, and
    the zombie above bit every time; shuffled per step it is a fair coin: the share from above over 400
    seeds lies within 4 binomial standard errors (sqrt(0.25/400) = 0.025) of 1/2."""
    path = scenario(
        tmp_path,
        arena(tmp_path, 10),
        behaviour={"humans": "still", "zombies": "still"},
        infection={"bite_probability": 1.0, "kill_probability": 0.0},
        time={"horizon": "1s", "report": "1s"},
    )
    sc = load_scenario(path)
    agents = three((5.5, 5.5), [(5.5, 5.0), (5.5, 6.0)])
    top = 0
    n = 400
    for seed in range(n):
        r = simulate_once(sc, np.random.SeedSequence(seed), agents=agents)
        bites = r.events["kind"] == K.BITE
        assert bites.sum() == 1
        top += int(r.events["aux"][bites][0] == 0)
    assert abs(top / n - 0.5) < 4 * np.sqrt(0.25 / n), top


def test_a_prey_that_has_left_cannot_destroy_a_zombie(tmp_path: Path) -> None:
    """A human next to the exit flees a zombie in contact, which it destroys with certainty when it gets the
    chance (kill probability 1 per second). If the human acts first it is gone, and the zombie must survive;
    if the zombie acts first it is destroyed. So: never a kill logged after the killer's escape, and kills
    in half the seeds (within 4 binomial standard errors, sqrt(0.25/300) each)."""
    path = scenario(
        tmp_path,
        arena(tmp_path, 10),
        behaviour={"humans": "escape", "zombies": "still"},
        infection={"bite_probability": 0.0, "kill_probability": 1.0},
        time={"horizon": "2s", "report": "1s"},
    )
    sc = load_scenario(path)
    agents = three((10.5, 6.5), [(9.8, 6.5)])
    kills = 0
    n = 300
    for seed in range(n):
        r = simulate_once(sc, np.random.SeedSequence(seed), agents=agents)
        ev = r.events
        gone: set[int] = set()
        for kind, agent, other in zip(ev["kind"].tolist(), ev["agent"].tolist(), ev["aux"].tolist(), strict=True):
            gone |= {agent} if kind == K.ESCAPE else set()
            assert kind != K.KILL or other not in gone
        kills += int((ev["kind"] == K.KILL).any())
        assert int(r.agents.state[0] == K.X) == 1
    assert abs(kills / n - 0.5) < 4 * np.sqrt(0.25 / n), kills


def test_agents_given_off_the_floor_are_refused(tmp_path: Path) -> None:
    path = scenario(tmp_path, arena(tmp_path, 10), time={"horizon": "2s"})
    sc = load_scenario(path)
    for x, y in ((0.5, 5.5), (5.5, -0.2), (13.0, 5.5), (np.nan, 5.5)):
        agents = three((5.5, 5.5), [(5.5, 8.5)])
        agents.x[1], agents.y[1] = x, y
        with pytest.raises(ScenarioError, match="agent 1"):
            simulate_once(sc, np.random.SeedSequence(0), agents=agents)


def test_a_run_stops_at_its_horizon_even_with_interventions_timed_after_it() -> None:
    """off-limits times interventions after 14 min; cut to 0.01 d (864 s) the run went on to their times."""
    sc = load_scenario("off-limits", {"time.horizon": "0.01d"})
    r = simulate_once(sc, np.random.SeedSequence(0))
    assert r.times[-1] == 864.0 and r.steps == 864
    assert r.events["t"].max() < 864.0
    assert {name for _, name, _ in r.fired} < {iv.name for iv in sc.interventions}


def test_agents_given_with_indices_the_kernels_would_read_out_of_bounds_are_refused(tmp_path: Path) -> None:
    sc = load_scenario(scenario(tmp_path, arena(tmp_path, 10), time={"horizon": "2s"}))
    for field, value in (("goal", 3), ("hidden", 5), ("route", 0), ("leg", -1), ("kind", 1), ("state", 9)):
        agents = three((5.5, 5.5), [(5.5, 8.5)])
        getattr(agents, field)[0] = value
        with pytest.raises(ScenarioError, match="agents: "):
            simulate_once(sc, np.random.SeedSequence(0), agents=agents)


def test_a_zombie_between_two_humans_bites_the_upper_one_first_half_the_time(tmp_path: Path) -> None:
    """One zombie in contact with a human above and one below, equally far, biting with certainty: it bites
    both in the same step, in the order it meets them. The cell lists were built in index order, so the
    upper one came first every time; built in the step's shuffled order the upper one is first in half the
    seeds, within 4 binomial standard errors (sqrt(0.25/400) = 0.025)."""
    path = scenario(
        tmp_path,
        arena(tmp_path, 10),
        behaviour={"humans": "still", "zombies": "still"},
        infection={"bite_probability": 1.0, "kill_probability": 0.0},
        time={"horizon": "1s", "report": "1s"},
    )
    sc = load_scenario(path)
    a = Agents.empty(3)
    a.x[:], a.y[:], a.state[:] = [5.5, 5.5, 5.5], [5.0, 5.5, 6.0], [K.S, K.Z, K.S]
    upper_first = 0
    n = 400
    for seed in range(n):
        ev = simulate_once(sc, np.random.SeedSequence(seed), agents=a).events
        bitten = ev["agent"][ev["kind"] == K.BITE]
        assert sorted(bitten.tolist()) == [0, 2]
        upper_first += int(bitten[0] == 0)
    assert abs(upper_first / n - 0.5) < 4 * np.sqrt(0.25 / n), upper_first


def test_nobody_is_placed_in_a_door_barricaded_from_the_start(tmp_path: Path) -> None:
    from tests.test_abm import ROOMS

    (tmp_path / "rooms.txt").write_text(ROOMS)
    path = scenario(
        tmp_path,
        tmp_path / "rooms.txt",
        population=[{"kind": "student", "count": 269, "zone": "all"}],  # every open cell, one each (crowding)
        doors={"barricaded": ["west"]},
        behaviour={"humans": "still", "zombies": "still"},
        time={"horizon": "1s"},
    )
    sc = load_scenario(path)
    door = sc.world.door_id >= 0
    assert door[sc.world.zones["all"]].any()
    for seed in range(5):
        r = simulate_once(sc, np.random.SeedSequence(seed), frames=True)
        _, x, y, state = r.frames[0]
        assert off_floor(sc, x, y, state, r.frame_doors[0]) == 0
