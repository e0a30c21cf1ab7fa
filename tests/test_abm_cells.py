"""Cell motion (``motion: cells``) and cellmate contact (``infection.contact: cell``) against closed forms and
against Mesa: the unhindered wander is the lattice random walk of Moore hops (mean square displacement
(4 x 1 + 4 x 2) / 8 = 1.5 cells^2 per hop, the 8 hops equally likely); walls keep a uniform density uniform;
agents are conserved and stand on cell centres, never on a wall; with crowding, no cell ever holds more than its
capacity; a healthy agent sharing a cell with m zombies is bitten with probability 1 - (1 - p)^m per step; the
epidemic of Mesa's grid model and of the same model as a hyosan scenario have the same law. Statistical tests use
fixed seeds; each tolerance is 4 standard errors, derived in place."""

from __future__ import annotations

import itertools
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

SCHOOL = Path(__file__).parent / "data" / "school-cells.yaml"
MOORE = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]


def grid_map(folder: Path, side: int, block: tuple[int, int, int, int] | None = None) -> Path:
    """A side x side floor of 1 m cells in a ring of walls; the exit in the ring's corner, which no hop reaches
    (a diagonal hop needs both cells beside it open); ``block`` (r0, c0, r1, c1) an inner wall."""
    rows = [["."] * side for _ in range(side)]
    if block:
        for r in range(block[0], block[2]):
            for c in range(block[1], block[3]):
                rows[r][c] = "#"
    lines = ["G" + "#" * (side + 1)] + ["#" + "".join(r) + "#" for r in rows] + ["#" * (side + 2)]
    path = folder / f"grid{side}.txt"
    path.write_text(
        f'name: grid\nscale: 1\nlegend: {{"#": wall, ".": floor, "G": {{exit: gate}}}}\n'
        f"zones: {{all: [1, 1, {side}, {side}], mid: [{side // 3}, {side // 3}, {2 * side // 3}, {2 * side // 3}]}}\n"
        "---\n" + "\n".join(lines) + "\n"
    )
    return path


def scenario(folder: Path, side: int, n: int, zombies: int = 1, zone: str = "all", **extra) -> Path:
    data = {
        "name": "cells",
        "map": str(grid_map(folder, side, extra.pop("block", None))),
        "motion": "cells",
        "time": {"step": "1s", "horizon": extra.pop("horizon", "1s"), "report": "1s"},
        "kinds": {"walker": {"speed": extra.pop("speed", "1 m/s"), "sight": "1m"}},
        "zombie": {"speed": "1 m/s", "sight": "1m"},
        "population": [{"kind": "walker", "count": n, "zone": zone}],
        "patient_zero": {"zone": zone, "count": zombies},
        "behaviour": extra.pop("behaviour", {"humans": "wander", "zombies": "wander"}),
        "crowd": extra.pop("crowd", "off"),
        "infection": {"contact": "cell", "bite_probability": extra.pop("p", 0.0)},
        "animation": {"every": "1s"},
        **extra,
    }
    path = folder / "cells.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def moves(folder: Path, hops: int, n: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    sc = load_scenario(scenario(folder, 60, n, zone="mid", speed=f"{hops} m/s"))
    r = simulate_once(sc, np.random.SeedSequence(1), frames=True)
    (_, x0, y0, _), (_, x1, y1, _) = r.frames[0], r.frames[1]
    walkers = sc.n_agents - 1
    return (x1 - x0)[:walkers], (y1 - y0)[:walkers]


def test_one_hop_is_a_uniform_moore_step(tmp_path: Path) -> None:
    """Far from walls and with crowding off nothing refuses a hop: each of the 8 neighbours with probability 1/8
    (chi-square, 7 degrees of freedom, p > 0.001), mean displacement 0 (SE sqrt(0.75 / n): a coordinate is +-1 with
    probability 3/8 each) and mean square displacement 1.5 (d^2 is 1 or 2 with probability 1/2: SE 0.5 / sqrt(n))."""
    dx, dy = moves(tmp_path, 1)
    n = dx.size
    seen = {(int(a), int(b)) for a, b in zip(dy, dx, strict=True)}
    assert seen <= set(MOORE)
    counts = np.array([np.sum((dy == dr) & (dx == dc)) for dr, dc in MOORE])
    assert stats.chisquare(counts).pvalue > 1e-3
    assert abs(dx.mean()) < 4 * np.sqrt(0.75 / n) and abs(dy.mean()) < 4 * np.sqrt(0.75 / n)
    assert abs((dx**2 + dy**2).mean() - 1.5) < 4 * 0.5 / np.sqrt(n)


def test_two_hops_a_step_add_their_squares(tmp_path: Path) -> None:
    """2 m/s on 1 m cells is two independent hops a step: mean square displacement 3.0, its SE from the exact law of
    the 64 equally likely pairs of hops."""
    dx, dy = moves(tmp_path, 2)
    d2 = np.array([(a[0] + b[0]) ** 2 + (a[1] + b[1]) ** 2 for a, b in itertools.product(MOORE, MOORE)])
    assert d2.mean() == 3.0
    assert abs((dx**2 + dy**2).mean() - 3.0) < 4 * d2.std() / np.sqrt(dx.size)
    assert np.abs(dx).max() == 2 and np.abs(dy).max() == 2


def test_walls_conserve_agents_and_keep_a_uniform_density(tmp_path: Path) -> None:
    """A 40 x 40 floor with an inner wall block: over 150 steps everyone stays on the map, on a cell centre, never on
    a wall; refused hops stay, so the uniform placement stays uniform: the share left of the middle is the share of
    open cells there (binomial SE at the end)."""
    block = (10, 5, 30, 15)
    sc = load_scenario(scenario(tmp_path, 40, 3000, block=block, horizon="150s"))
    r = simulate_once(sc, np.random.SeedSequence(2), frames=True)
    walk = sc.world.kind != 1
    for _, x, y, state in r.frames:
        assert (state != K.X).all() and (state != K.D).all()
        assert np.all(x % 1 == 0.5) and np.all(y % 1 == 0.5)
        assert walk[y.astype(int), x.astype(int)].all()
    assert (r.counts.sum(axis=1) == 3001).all()
    _, x, _, _ = r.frames[-1]
    share = walk[1:-1, 1:21].sum() / walk[1:-1, 1:-1].sum()
    left = np.mean(x < 21)
    assert abs(left - share) < 4 * np.sqrt(share * (1 - share) / x.size)


def test_capacity_is_never_exceeded(tmp_path: Path) -> None:
    """Two people a cell at most (2 per m2 on 1 m cells), 1,500 on 900 cells, zombies hunting and humans fleeing to
    the exit or wandering, every step; counted from positions with numpy. Some cells do fill (the cap binds)."""
    for humans in ("escape", "wander"):
        sc = load_scenario(
            scenario(
                tmp_path,
                30,
                1500,
                zombies=60,
                horizon="60s",
                p=0.3,
                crowd={"max_density": "2 per m2", "speed": "free"},
                behaviour={"humans": humans, "zombies": "hunt"},
            )
        )
        r = simulate_once(sc, np.random.SeedSequence(3), frames=True)
        worst = 0
        for _, x, y, state in r.frames:
            live = (state != K.D) & (state != K.X)
            flat = y[live].astype(int) * 32 + x[live].astype(int)
            worst = max(worst, np.bincount(flat).max())
        assert worst == 2
        assert (r.events["kind"] == K.BITE).sum() > 0


def cellmates(tmp_path: Path, per_cell: int, p: float, pairs: int = 900) -> tuple[int, int, int]:
    """``pairs`` cells 3 apart, each with ``per_cell`` zombies and one healthy person, and a healthy neighbour in the
    next cell; everybody still; one step. Returns (bitten cellmates, pairs, bitten neighbours)."""
    side = 3 * int(np.ceil(np.sqrt(pairs))) + 2
    sc = load_scenario(
        scenario(
            tmp_path,
            side,
            2 * pairs,
            zombies=per_cell * pairs,
            p=p,
            behaviour={"humans": "still", "zombies": "still"},
        )
    )
    a = Agents.empty(sc.n_agents)
    cells = np.array([(2 + 3 * (k // (side // 3)), 2 + 3 * (k % (side // 3))) for k in range(pairs)])
    a.state[: 2 * pairs] = K.S
    a.state[2 * pairs :] = K.Z
    a.y[:pairs], a.x[:pairs] = cells[:, 0] + 0.5, cells[:, 1] + 0.5
    a.y[pairs : 2 * pairs], a.x[pairs : 2 * pairs] = cells[:, 0] + 0.5, cells[:, 1] + 1.5
    a.y[2 * pairs :], a.x[2 * pairs :] = np.repeat(cells[:, 0], per_cell) + 0.5, np.repeat(cells[:, 1], per_cell) + 0.5
    r = simulate_once(sc, np.random.SeedSequence(4), agents=a)
    bitten = r.events["agent"][r.events["kind"] == K.BITE]
    return int(np.sum(bitten < pairs)), pairs, int(np.sum((bitten >= pairs) & (bitten < 2 * pairs)))


@pytest.mark.parametrize("per_cell", [1, 3])
def test_cellmates_are_bitten_with_the_per_step_probability(tmp_path: Path, per_cell: int) -> None:
    """With m zombies on its cell a healthy person is bitten with probability 1 - (1 - p)^m in a step (each zombie
    bites on its own; binomial SE); the neighbour one cell away never is."""
    p = 0.3
    hit, n, neighbours = cellmates(tmp_path, per_cell, p)
    q = 1 - (1 - p) ** per_cell
    assert abs(hit / n - q) < 4 * np.sqrt(q * (1 - q) / n)
    assert neighbours == 0


def mesa_final(side: int, n: int, infected: int, steps: int, p: float, seed: int) -> int:
    """Mesa's grid epidemic (as in benchmarks/bench_abm.py) on a walled grid: each agent draws one of its 8 neighbour
    cells uniformly and stays when it is off the grid (hyosan's walls refuse a hop the same way), then each infected
    agent infects each healthy cellmate with probability p. The number infected after ``steps`` steps."""
    mesa = pytest.importorskip("mesa")

    class Walker(mesa.Agent):
        def __init__(self, model: mesa.Model, sick: bool) -> None:
            super().__init__(model)
            self.sick = sick

        def move(self) -> None:
            dr, dc = self.random.choice(MOORE)
            x, y = self.pos[0] + dc, self.pos[1] + dr
            if 0 <= x < side and 0 <= y < side:
                self.model.grid.move_agent(self, (x, y))

    class Epidemic(mesa.Model):
        def __init__(self) -> None:
            super().__init__(seed=seed)
            self.grid = mesa.space.MultiGrid(side, side, torus=False)
            for i in range(n):
                self.grid.place_agent(
                    Walker(self, i < infected), (self.random.randrange(side), self.random.randrange(side))
                )

        def step(self) -> None:
            self.agents.shuffle_do("move")
            sick: dict = {}
            for a in self.agents:
                if a.sick:
                    sick[a.pos] = sick.get(a.pos, 0) + 1
            for a in self.agents:
                m = sick.get(a.pos, 0)
                if not a.sick and m and self.random.random() < 1 - (1 - p) ** m:
                    a.sick = True

    model = Epidemic()
    for _ in range(steps):
        model.step()
    return sum(a.sick for a in model.agents)


def test_the_epidemic_has_mesas_law(tmp_path: Path) -> None:
    """400 agents (4 infected) on 20 x 20 cells for 25 steps, p = 0.5: the final number infected by hyosan (cell
    motion, cellmate contact, incubation 0: the newly infected infect from the next step, as in Mesa) and by Mesa
    itself, 60 runs each: means within 4 standard errors of their difference, and a two-sample KS test. A 0.35 p in
    hyosan is told apart (the comparison has the power to fail)."""
    side, n, sick, steps, reps = 20, 400, 4, 25, 60
    mesa = np.array([mesa_final(side, n, sick, steps, 0.5, s) for s in range(reps)])

    def hyosan(p: float) -> np.ndarray:
        path = scenario(tmp_path, side, n - sick, zombies=sick, p=p, horizon=f"{steps}s")
        sc = load_scenario(path, {"time.report": f"{steps}s"})
        return np.array([n - simulate_once(sc, np.random.SeedSequence(s)).counts[-1][0] for s in range(reps)])

    ours = hyosan(0.5)
    se = np.sqrt(ours.var(ddof=1) / reps + mesa.var(ddof=1) / reps)
    assert 0.2 * n < mesa.mean() < 0.9 * n
    assert abs(ours.mean() - mesa.mean()) < 4 * se
    assert stats.ks_2samp(ours, mesa).pvalue > 1e-3
    slow = hyosan(0.35)
    assert abs(slow.mean() - mesa.mean()) > 4 * np.sqrt(slow.var(ddof=1) / reps + mesa.var(ddof=1) / reps)


def test_the_school_runs_on_cells() -> None:
    """The flagship on cells (tests/data/school-cells.yaml: the whole siege, groups, hiding, barricades): one person a
    0.5 m cell at every step of the first 20 minutes, everyone on a cell centre, and the story happens (bites,
    people reaching a safe room, escapes through a gate before it is sealed)."""
    sc = load_scenario(SCHOOL, {"time.horizon": "20min", "animation.every": "1s"})
    r = simulate_once(sc, np.random.SeedSequence(3), frames=True)
    for _, x, y, state in r.frames:
        live = (state != K.D) & (state != K.X)
        flat = y[live].astype(int) * sc.world.shape[1] + x[live].astype(int)
        assert np.bincount(flat).max() == 1
        assert np.all(x[live] % 1 == 0.5)
    kinds = r.events["kind"]
    assert (kinds == K.BITE).sum() > 100 and (kinds == K.HIDE).sum() > 0 and (kinds == K.ESCAPE).sum() > 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kinds": {"walker": {"speed": "1.5 m/s", "sight": "1m"}}}, "kinds.walker.speed"),
        ({"motion": "continuous"}, "infection.contact"),
        ({"crowd": {"speed": "weidmann"}}, "crowd.speed"),
        ({"motion": "hex"}, "motion"),
        ({"infection": {"contact": "cell", "contact_radius": "1m"}}, "infection.contact_radius"),
    ],
)
def test_what_cells_cannot_honour_is_refused(tmp_path: Path, change: dict, field: str) -> None:
    """A speed that is not whole cells per step, cellmate contact without cells, Weidmann's continuous speed law on
    cells, an unknown motion, and contact: cell with a radius: one line naming the field and the fix."""
    data = yaml.safe_load(scenario(tmp_path, 10, 10).read_text())
    data.update(change)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert field in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("hops", [1, 3])
def test_following_the_exit_field_walks_whole_cells(tmp_path: Path, hops: int) -> None:
    """A corridor one cell wide, the exit at its east end: a person d cells from the exit, walking ``hops`` cells a
    step down the distance field, escapes at the step ceil(d / hops) (the escape is logged in the step that lands on
    the exit cell, at its start time)."""
    length = 30
    path = tmp_path / "corridor.txt"
    path.write_text(
        'name: corridor\nscale: 1\nlegend: {"#": wall, ".": floor, "G": {exit: gate}}\n'
        f"zones: {{all: [1, 1, {length}, 1]}}\n---\n"
        + "#" * (length + 2)
        + "\n#"
        + "." * length
        + "G\n"
        + "#" * (length + 2)
        + "\n"
    )
    data = yaml.safe_load(scenario(tmp_path, 10, 10).read_text())
    data.update(
        map=str(path),
        kinds={"walker": {"speed": f"{hops} m/s", "sight": "1m"}},
        population=[{"kind": "walker", "count": 1, "at": [c, 1]} for c in (1, 10, 25)],
        behaviour={"humans": "escape", "zombies": "still"},
        time={"step": "1s", "horizon": "40s", "report": "1s"},
    )
    data.pop("patient_zero")
    path = tmp_path / "corridor.yaml"
    path.write_text(yaml.safe_dump(data))
    sc = load_scenario(path)
    r = simulate_once(sc, np.random.SeedSequence(5))
    ev = r.events
    escaped = sorted(ev["t"][ev["kind"] == K.ESCAPE].tolist())
    assert escaped == sorted(np.ceil((length + 1 - np.array([1, 10, 25])) / hops) - 1)


@pytest.mark.parametrize(("dx", "dy"), [(5, 2), (7, 7), (0, 9), (-6, 3), (2, -1)])
def test_a_hunter_closes_in_by_whole_hops(tmp_path: Path, dx: int, dy: int) -> None:
    """A zombie running 2 cells a step at a person standing still (dx, dy) cells away heads for the person's cell by
    hops in the person's direction: it lands there after ceil(max(|dx|, |dy|) / 2) steps (a diagonal hop covers both
    axes) and bites (probability 1) at the next step, which starts at that time."""
    data = yaml.safe_load(scenario(tmp_path, 30, 1).read_text())
    data.update(
        zombie={"speed": "1 m/s", "run_speed": "2 m/s", "sight": "20m"},
        population=[{"kind": "walker", "count": 1, "at": [15 + dx, 15 + dy]}],
        patient_zero={"at": [15, 15], "count": 1},
        behaviour={"humans": "still", "zombies": "hunt"},
        infection={"contact": "cell", "bite_probability": 1.0},
        time={"step": "1s", "horizon": "20s", "report": "1s"},
    )
    path = tmp_path / "hunt.yaml"
    path.write_text(yaml.safe_dump(data))
    r = simulate_once(load_scenario(path), np.random.SeedSequence(6))
    bites = r.events["t"][r.events["kind"] == K.BITE]
    assert bites.tolist() == [np.ceil(max(abs(dx), abs(dy)) / 2)]
