"""Crowding against measurements: no cell ever holds more people than its capacity (counted independently from
positions), free walking follows Weidmann's fundamental diagram, a 1 m door passes the flow measured in
bottleneck experiments, zombies queue at a barricaded door, and placement and scenario fields are checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from benchmarks.pedestrian_validation import bottleneck, corridor, weidmann

from hyosan.agents.scenario import load_scenario
from hyosan.agents.scenario_crowd import Crowd
from hyosan.engines.abm import crowd
from hyosan.engines.abm import step as K
from hyosan.engines.abm.agents import Agents
from hyosan.engines.abm.engine import simulate_once
from hyosan.errors import ScenarioError


def most_per_cell(shape: tuple[int, int], x: np.ndarray, y: np.ndarray, state: np.ndarray) -> int:
    """The largest number of people (not dead, not escaped) on one cell, by a plain numpy count."""
    live = (state != K.D) & (state != K.X)
    if not live.any():
        return 0
    flat = np.floor(y[live]).astype(np.int64) * shape[1] + np.floor(x[live]).astype(np.int64)
    return int(np.bincount(flat).max())


def test_hyosan_high_never_puts_two_people_on_a_cell() -> None:
    """The school (0.5 m cells: one person a cell at 5.4 per m2) from the outbreak through the alarm's
    evacuation, every step: humans, zombies and humbies, running, fleeing, hiding, barricading."""
    step = load_scenario("hyosan-high").step
    values = {"time.horizon": "14min", "time.alarm": "5min", "animation.every": f"{step:g}s"}
    sc = load_scenario("hyosan-high", values)
    assert crowd.capacity(sc) == 1
    r = simulate_once(sc, np.random.SeedSequence(3), frames=True)
    assert len(r.frames) == round(14 * 60 / step) + 1
    worst = max(most_per_cell(sc.world.shape, x, y, s) for _, x, y, s in r.frames)
    assert worst == 1
    assert (r.events["kind"] == K.BITE).sum() > 0
    _, x0, y0, _ = r.frames[0]
    _, x1, y1, _ = r.frames[-1]
    assert np.median(np.hypot(x1 - x0, y1 - y0)) > 10


def test_crowd_off_lets_people_overlap() -> None:
    """The same school with ``crowd: off``: people share cells (the old behaviour, as the README says)."""
    sc = load_scenario("hyosan-high", {"time.horizon": "1min"})
    sc.crowd = Crowd(on=False)
    r = simulate_once(sc, np.random.SeedSequence(0), frames=True)
    assert max(most_per_cell(sc.world.shape, x, y, s) for _, x, y, s in r.frames) > 1


# Weidmann's curve, v = 1.34 [1 - exp(-1.913 (1/rho - 1/5.4))], against the mean speed in the measurement area
# (Zhang et al. 2011, method A) of a 3 m corridor, mean of two seeds. Tolerance 15% of Weidmann's speed at the
# measured density (the issue's). Over 8 seeds the relative deviation of one run has a mean of at most 4% and a
# standard deviation of 1.3-2.6%, so the two-seed mean's standard error is under 2% and the tolerance is more
# than 5 standard errors from the expected deviation; a model without the speed law fails (next test).
@pytest.mark.parametrize("rho", [0.5, 1.5, 2.5])
def test_corridor_follows_weidmanns_fundamental_diagram(rho: float) -> None:
    got = [corridor(rho, seed, length=80.0, area=(45.0, 55.0), window=(10.0, 30.0)) for seed in range(2)]
    density, speed = np.mean([g[0] for g in got]), np.mean([g[1] for g in got])
    assert abs(density - rho) < 0.5 * rho  # ~15 people in the area at 0.5 per m2: counts vary by ~25%
    expect = float(weidmann(density))
    assert abs(speed - expect) <= 0.15 * expect, (density, speed, expect)


def test_exclusion_alone_does_not_give_the_diagram() -> None:
    """The check above could fail: without Weidmann's law (``speed: free``) a corridor at 2 per m2 walks far
    faster than Weidmann's 0.6 m/s."""
    density, speed = corridor(2.0, 0, length=80.0, area=(45.0, 55.0), window=(10.0, 30.0), crowd={"speed": "free"})
    assert speed > 1.3 * float(weidmann(density))


def test_classroom_empties_through_a_1m_door_at_the_measured_specific_flow() -> None:
    """100 people, 8 m x 8 m room, one 1 m door: specific flow from the 10th to the 90th percent of the
    crossings between 1.2 and 2.0 per metre per second (Seyfried et al. 2009; Kretz et al. 2006). Over 5 seeds
    one run's flow is 1.63 on average with a standard deviation of 0.05 /m/s (benchmark), 7 s.d. inside the
    range; the bound is the measurements' range itself. Without crowding the same room empties several times faster."""
    flows = [bottleneck(100, seed) for seed in range(2)]
    assert all(1.2 <= f <= 2.0 for f in flows), flows
    assert bottleneck(100, 0, crowd="off") > 4.0


def _siege_map(tmp_path: Path) -> Path:
    """A hall with a room east of it behind one barricaded door; a noise at the door draws the zombies (a
    barricade stops sound paths, so the noise is on the hall side, where the hiders' banging would be heard)."""
    rows = ["#" * 32]
    for r in range(12):
        door = "+" if r == 6 else "#"
        rows.append("#" + "." * 20 + door + "." * 9 + ("G" if r == 0 else "#"))
    rows.append("#" * 32)
    head = (
        'name: siege\nscale: 0.5\nlegend: {"#": wall, ".": floor, "+": door, "G": {exit: back}}\n'
        "zones: {hall: [1, 1, 10, 12], front: [20, 6, 20, 8], room: [22, 1, 30, 12]}\n---\n"
    )
    (tmp_path / "siege.txt").write_text(head + "\n".join(rows) + "\n")
    data = {
        "name": "siege",
        "map": str(tmp_path / "siege.txt"),
        "time": {"step": "0.5s", "horizon": "3min", "report": "0.5s"},
        "kinds": {"student": {"speed": "1.4 m/s", "run_speed": "3 m/s", "sight": "15m"}},
        "zombie": {"speed": "1 m/s", "run_speed": "2 m/s", "sight": "1m"},
        "population": [{"kind": "student", "count": 60, "zone": "hall", "state": "zombie"}],
        "behaviour": {"humans": "escape", "zombies": "hunt"},
        "doors": {"barricaded": ["room"]},
        "noise": [{"what": "banging", "zone": "front", "start": "0s", "length": "1h", "radius": "40m"}],
        "animation": {"every": "0.5s"},
    }
    path = tmp_path / "siege.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_zombies_queue_at_a_barricaded_door_without_overlapping(tmp_path: Path) -> None:
    """60 zombies drawn to a noise behind a barricaded door pile up in front of it, one to a cell: the five
    cells around the door's hall side are all taken, and nobody shares a cell at any step."""
    sc = load_scenario(_siege_map(tmp_path))
    r = simulate_once(sc, np.random.SeedSequence(1), frames=True)
    assert max(most_per_cell(sc.world.shape, x, y, s) for _, x, y, s in r.frames) == 1
    _, x, y, _ = r.frames[-1]
    cells = set(zip(np.floor(y).astype(int).tolist(), np.floor(x).astype(int).tolist(), strict=True))
    assert {(7, 20), (6, 20), (8, 20), (7, 19)} <= cells
    near = np.hypot(x - 21.0, y - 7.5) < 4.0
    assert near.sum() >= 20


def _room(tmp_path: Path, count: int, crowd_value: object = None) -> Path:
    rows = ["######", "#....G", "#....#", "######"]
    head = (
        'name: tiny\nscale: 0.5\nlegend: {"#": wall, ".": floor, "G": {exit: gate}}\nzones: {all: [1, 1, 4, 2]}\n---\n'
    )
    (tmp_path / "tiny.txt").write_text(head + "\n".join(rows) + "\n")
    data = {
        "map": str(tmp_path / "tiny.txt"),
        "time": {"step": "1s", "horizon": "10s"},
        "kinds": {"student": {"speed": "1.4 m/s", "sight": "5m"}},
        "zombie": {"speed": "1 m/s", "sight": "5m"},
        "population": [{"kind": "student", "count": count, "zone": "all"}],
    }
    if crowd_value is not None:
        data["crowd"] = crowd_value
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_zone_too_small_for_its_people_is_refused_in_one_line(tmp_path: Path) -> None:
    """Eight cells of 0.5 m hold eight people at 5.4 per m2; nine are refused, naming the zone and the fix."""
    r = simulate_once(load_scenario(_room(tmp_path, 8)), np.random.SeedSequence(0))
    assert r.counts[0][0] == 8
    with pytest.raises(ScenarioError) as err:
        simulate_once(load_scenario(_room(tmp_path, 9)), np.random.SeedSequence(0))
    msg = str(err.value)
    assert "\n" not in msg and "zone all" in msg and "9 people do not fit" in msg and "crowd: off" in msg
    simulate_once(load_scenario(_room(tmp_path, 9, "off")), np.random.SeedSequence(0))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"max_densty": "4 per m2"}, "did you mean 'max_density'"),
        ({"max_density": "4 per m3"}, "not a density"),
        ({"max_density": 4}, "not a density"),
        ({"max_density": "2 per m2"}, "less than one person on a 0.5 m cell"),
        ({"speed": "fast"}, "unknown speed law"),
        ("sometimes", "crowd is 'off' or a mapping"),
    ],
)
def test_crowd_fields_are_checked(tmp_path: Path, value: object, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(_room(tmp_path, 2, value))
    assert words in str(err.value) and "\n" not in str(err.value) and "crowd" in str(err.value)


def test_capacity_follows_the_cell_area(tmp_path: Path) -> None:
    """floor(max_density x cell area): 1 on 0.5 m cells at 5.4 per m2, 2 at 8 per m2; crowding off: 0."""
    assert crowd.capacity(load_scenario(_room(tmp_path, 2))) == 1
    assert crowd.capacity(load_scenario(_room(tmp_path, 2, {"max_density": "8 per m2"}))) == 2
    assert crowd.capacity(load_scenario(_room(tmp_path, 2, "off"))) == 0


def test_set_down_after_a_door_shuts_leaves_no_cell_above_capacity(tmp_path: Path) -> None:
    """Four people standing on a door that shuts are moved to the nearest cells with room, one to a cell."""
    sc = load_scenario(_siege_map(tmp_path))
    sc.door_state[:] = K.OPEN
    a = Agents.empty(4)
    a.x[:] = [20.5, 21.5, 21.5, 22.5]
    a.y[:] = [7.5, 7.5, 7.5, 7.5]
    a.state[:] = K.S
    from hyosan.engines.abm.actions import set_down
    from hyosan.engines.abm.engine import World

    w = World(sc)
    w.door_state[:] = K.BARRICADED
    w.refresh(0.0)
    set_down(a, w)
    assert most_per_cell(sc.world.shape, a.x, a.y, a.state) == 1
    assert a.off_floor((w.block & 7) == 0).size == 0
    assert np.all(np.hypot(a.x - 21.5, a.y - 7.5) < 2.5)
