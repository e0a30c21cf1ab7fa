"""Does the agents' order of action matter? ``time.update: random`` against ``banded``, mechanism by mechanism.

Each experiment runs many seeds of a small scenario with each order and reports the mean and its standard error;
``diff/SE`` is the difference of the two means over the standard error of that difference (|diff/SE| > 3 would
say the orders differ). All agents see 1 m, so the cell-list bins, and with them the bands of the ``banded`` order,
are 2 cells (1 m) high: the most band boundaries a map can have, the worst case for ``banded``.

1. Barricade: 24 zombies in the west of a hall hear three people hidden behind a barricaded 1 m door (a noise
   every step) and walk to it; those on the 4 cells next to the door push (hazard ``rate`` per pusher). The door
   straddles a band boundary. Time to break, pushers over time, and the exponential law itself: with k_s pushers
   at step s (counted from the frames, independently of the kernel), the randomised probability integral transform
   U = S(s_b) + V (S(s_b - 1) - S(s_b)), S(s) = exp(-rate dt sum_{s' <= s} k_s'), is uniform on (0, 1) if the door
   breaks at hazard k rate; Kolmogorov-Smirnov p-value per order.
2. Bottleneck: the classroom of ``pedestrian_validation.py`` (100 people, 8 m x 8 m, one 1 m door): specific flow.
3. Corridor: the fundamental diagram of ``pedestrian_validation.py`` at 0.5, 1.5 and 2.5 per m2: mean speed.
4. Hideout (:func:`hideout_scenario`): a small siege of two barricaded rooms with three people hiding in each,
   16 zombies, sight 3 m (bands 3 m high): hiders never bitten, reaching the base, doors broken; 10x the seeds,
   as these outcomes are noisy (400 seeds gave -2.5 SE where 4,000 others gave -0.2 SE).

``python benchmarks/update_order.py [--seeds 200] [--write]`` (``--write``: the table into benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.pedestrian_validation import bottleneck, corridor

from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm import step as K
from hyosan.engines.abm.agents import Agents
from hyosan.engines.abm.engine import simulate_once

UPDATES = ("random", "banded")
HALL_W, HALL_H, DEN_W = 24, 20, 6
DOOR_ROWS = (9, 10)
"""Door cells' rows (map rows, the border wall is row 0): rows 9 and 10 lie in bands 4 and 5 when bands are 2
rows high, so the door and the 4 cells next to it straddle a band boundary."""
DOOR_COL = HALL_W + 1
BREAK_RATE = 1 / 60.0
HORIZON = 300


def siege_map() -> str:
    rows = ["#" * (HALL_W + DEN_W + 3)]
    for r in range(1, HALL_H + 1):
        wall = "+" if r in DOOR_ROWS else "#"
        rows.append("#" + "." * HALL_W + wall + "." * DEN_W + ("G" if r == 1 else "#"))
    rows.append("#" * (HALL_W + DEN_W + 3))
    head = (
        'name: door\nscale: 0.5\nlegend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}}\n'
        f"zones: {{hall: [1, 1, {HALL_W}, {HALL_H}], den: [{DOOR_COL + 1}, 1, {DOOR_COL + DEN_W}, {HALL_H}]}}\n---\n"
    )
    return head + "\n".join(rows) + "\n"


def siege_scenario(folder: Path, update: str, rate: float = BREAK_RATE) -> Path:
    """The barricade scenario's YAML, breaking at ``rate`` per pusher per second (the agents are placed by
    :func:`siege_agents`)."""
    (folder / "door.txt").write_text(siege_map())
    data = {
        "map": "door.txt",
        "time": {"step": "1s", "horizon": f"{HORIZON}s", "report": "10s", "alarm": "1h", "update": update},
        "kinds": {"student": {"speed": "1.4 m/s", "run_speed": "3 m/s", "sight": "1m"}},
        "zombie": {"speed": "1 m/s", "run_speed": "2 m/s", "sight": "1m"},
        "population": [{"kind": "student", "count": 1, "zone": "den"}],
        "behaviour": {"humans": "escape", "zombies": "hunt"},
        "infection": {"bite_probability": 0.0, "incubation": {"distribution": "fixed", "delay": "1h"}},
        "safe_rooms": ["den"],
        "doors": {"barricaded": ["den"]},
        "barricades": {"break_rate": f"1 per {1 / rate:g}s", "memory": "1h"},
        "hiding": {"noise": "1 per 0.05s", "heard_within": "100m"},
        "animation": {"every": "1s"},
    }
    path = folder / f"door-{update}-{rate:g}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def siege_agents(zombies: int, seed: int) -> Agents:
    """Three people hidden in the den; ``zombies`` zombies on distinct random cells of the hall's west third."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(8 * HALL_H, zombies, replace=False)
    a = Agents.empty(3 + zombies)
    a.x[:3] = DOOR_COL + 3.5
    a.y[:3] = [5.5, 10.5, 15.5]
    a.x[3:] = 1 + cells % 8 + 0.5
    a.y[3:] = 1 + cells // 8 + 0.5
    a.heading[:, 0] = 1.0
    a.state[3:] = K.Z
    a.hidden[:3] = 0
    a.goal[:3] = 1
    a.alert[:3] = True
    return a


def pushers(x: np.ndarray, y: np.ndarray, state: np.ndarray) -> int:
    """Zombies on the cells next to the door (the 3 x 3 neighbourhood of a door cell on the hall side)."""
    r, c = np.floor(y).astype(int), np.floor(x).astype(int)
    near = (c == DOOR_COL - 1) & (r >= DOOR_ROWS[0] - 1) & (r <= DOOR_ROWS[-1] + 1)
    return int((near & (state == K.Z)).sum())


def siege_door(sc, seed: int, zombies: int = 24) -> tuple[float, float, np.ndarray]:
    """(breach time s, the randomised PIT U of the breach step under hazard k rate, pushers per step up to the
    breach or the horizon)."""
    run = simulate_once(sc, np.random.SeedSequence(seed), frames=True, agents=siege_agents(zombies, seed))
    k = np.array([pushers(x, y, s) for _, x, y, s in run.frames])
    k[0] = 0  # nobody is drawn before the first noise, at the end of step 0
    pick = run.events["kind"] == K.BREACH
    if not pick.any():
        return np.inf, np.nan, k
    sb = round(float(run.events["t"][pick][0]) / sc.step)
    cum = np.cumsum(k[: sb + 1]) * sc.siege.break_rate * sc.step
    before = np.exp(-cum[sb - 1]) if sb > 0 else 1.0
    u = np.exp(-cum[sb]) + np.random.default_rng(seed).uniform() * (before - np.exp(-cum[sb]))
    return sb * sc.step, float(u), k[: sb + 1]


HIDEOUT_MAP = """\
name: hideout
scale: 0.5
legend: {"#": wall, ".": floor, "+": door, "B": {exit: base}}
zones: {hall: [1, 1, 12, 24], a: [32, 1, 39, 11], b: [32, 13, 39, 24]}
---
"""


def hideout_map() -> str:
    """A 15 m x 12 m hall with a base exit in its west wall and two rooms east of it, each behind a 1 m door."""
    rows = ["#" * 41]
    for r in range(1, 25):
        door = "+" if r in (5, 6, 18, 19) else "#"
        west = "B" if r == 12 else "#"
        rows.append(west + "." * 30 + door + ("#" * 8 if r == 12 else "." * 8) + "#")
    rows.append("#" * 41)
    return HIDEOUT_MAP + "\n".join(rows) + "\n"


def hideout_scenario(folder: Path, update: str, sight: str = "3m") -> Path:
    """A small siege: three people hide behind the barricade of each room, make noises; 16 zombies hunting in the
    hall hear them, push the doors (1 per 3 min each) and bite whoever they reach; a room quiet for 3 min is left
    for the base exit. Thirty minutes. Everyone sees ``sight`` (3 m: bands of 6 rows; door a, rows 5-6, straddles
    a band boundary)."""
    (folder / "hideout.txt").write_text(hideout_map())
    data = {
        "map": "hideout.txt",
        "time": {"step": "1s", "horizon": "30min", "report": "1min", "alarm": "0s", "update": update},
        "kinds": {"student": {"speed": "1.4 m/s", "run_speed": "3 m/s", "sight": sight}},
        "zombie": {"speed": "1 m/s", "run_speed": "2 m/s", "sight": sight},
        "population": [{"kind": "student", "count": 1, "zone": "a"}],
        "behaviour": {"humans": "escape", "zombies": "hunt"},
        "infection": {"bite_probability": 0.5, "incubation": {"distribution": "fixed", "delay": "1h"}},
        "safe_rooms": ["a", "b"],
        "doors": {"barricaded": ["a", "b"]},
        "barricades": {"break_rate": "1 per 3min", "memory": "3min"},
        "hiding": {"noise": "1 per 1min", "heard_within": "12m", "quiet": "3min", "moves": "quiet"},
        "base": ["base"],
    }
    path = folder / f"hideout-{update}-{sight}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def hideout(sc, seed: int) -> tuple[int, int, int]:
    """(hiders never bitten, hiders who reached the base, doors broken) of one run."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(12 * 24, 16, replace=False)
    a = Agents.empty(22)
    a.x[:6] = [35.5, 36.5, 37.5, 35.5, 36.5, 37.5]
    a.y[:6] = [4.5, 6.5, 8.5, 16.5, 18.5, 20.5]
    a.hidden[:6] = [0, 0, 0, 1, 1, 1]
    a.goal[:6] = 1
    a.alert[:6] = True
    a.x[6:] = 1 + cells % 12 + 0.5
    a.y[6:] = 1 + cells // 12 + 0.5
    a.state[6:] = K.Z
    a.heading[:, 0] = 1.0
    ev = simulate_once(sc, np.random.SeedSequence(seed), agents=a).events
    bitten = set(ev["agent"][ev["kind"] == K.BITE].tolist())
    base = ev["kind"] == K.REACHED_BASE
    return 6 - len(bitten & set(range(6))), int(base.sum()), int((ev["kind"] == K.BREACH).sum())


def compare(a: np.ndarray, b: np.ndarray) -> tuple[str, str, str]:
    """Mean ± SE of each sample and the difference over its standard error."""
    sa, sb = a.std(ddof=1) / np.sqrt(a.size), b.std(ddof=1) / np.sqrt(b.size)
    se = np.hypot(sa, sb)
    z = f"{(a.mean() - b.mean()) / se:+.2f}" if se > 0 else ("0" if a.mean() == b.mean() else "inf")
    return f"{a.mean():.3f} ± {sa:.3f}", f"{b.mean():.3f} ± {sb:.3f}", z


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--write", action="store_true", help="write the table into benchmarks/README.md")
    args = ap.parse_args()
    n = args.seeds
    t0, c0 = time.perf_counter(), time.process_time()
    rows = []
    breach, pit, full, at = {}, {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for u in UPDATES:
            sc = load_scenario(siege_scenario(Path(tmp), u))
            got = [siege_door(sc, s) for s in range(n)]
            breach[u] = np.array([g[0] for g in got])
            pit[u] = np.array([g[1] for g in got])
            held = load_scenario(siege_scenario(Path(tmp), u, 1e-9))  # the door holds: how the crowd fills in
            k = np.array([siege_door(held, s)[2] for s in range(n)])
            full[u] = np.argmax(k == 4, axis=1).astype(float)
            at[u] = k
    unbroken = {u: int(np.isinf(breach[u]).sum()) for u in UPDATES}
    rows.append(("barricade: time to break (s)", *compare(*(breach[u][np.isfinite(breach[u])] for u in UPDATES))))
    rows.append(("door held: first step with 4 pushers", *compare(full["random"], full["banded"])))
    for when in (15, 20, 30, 60):
        rows.append((f"door held: pushers at {when} s", *compare(at["random"][:, when], at["banded"][:, when])))
    ks = {u: stats.kstest(pit[u][np.isfinite(pit[u])], "uniform").pvalue for u in UPDATES}
    rows.append(("barricade: exponential law, KS p of U", *(f"{ks[u]:.2f}" for u in UPDATES), ""))
    with tempfile.TemporaryDirectory() as tmp:
        out = {
            u: np.array([hideout(load_scenario(hideout_scenario(Path(tmp), u)), s) for s in range(10 * n)])
            for u in UPDATES
        }
    names = ("hiders never bitten (of 6)", "reached the base", "doors broken")
    for q, what in enumerate(f"hideout, {10 * n} seeds: {name}" for name in names):
        rows.append((what, *compare(out["random"][:, q], out["banded"][:, q])))
    flows = {u: np.array([bottleneck(100, s, update=u) for s in range(n)]) for u in UPDATES}
    rows.append(("1 m door: specific flow (/m/s)", *compare(flows["random"], flows["banded"])))
    for rho in (0.5, 1.5, 2.5):
        m = max(10, n // 10)
        v = {u: np.array([corridor(rho, s, update=u)[1] for s in range(m)]) for u in UPDATES}
        rows.append((f"corridor {rho} /m2: speed (m/s), {m} seeds", *compare(v["random"], v["banded"])))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    lines = [
        f"## `python benchmarks/update_order.py --seeds {n}`",
        "",
        "The order of action, `time.update: random` against `banded` (bins and bands 1 m high: the worst case for",
        f"`banded`), {n} seeds each unless stated; mean ± standard error; diff/SE = difference of the means over",
        "its standard error. Barricade: 24 zombies walk to a 1 m barricaded door on a band boundary, 1 per 60 s",
        f"per pusher ({unbroken['random']} and {unbroken['banded']} doors unbroken after {HORIZON} s).",
        "",
        "| measure | random | banded | diff/SE |",
        "|---|---:|---:|---:|",
        *(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |" for r in rows),
        "",
        f"{wall:.0f} s wall, {cpu:.0f} s CPU.",
    ]
    print("\n".join(lines))
    if args.write:
        from benchmarks.readme_section import write_section

        write_section("## `python benchmarks/update_order.py", "\n".join(lines))


if __name__ == "__main__":
    main()
