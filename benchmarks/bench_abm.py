"""Agent engine speed, side by side, from one run of this script (numbers depend on the machine).

1. 10^6 agents (1% zombies, humans wandering) on an open 1,500 x 1,500 m map at 1 m per cell, crowding
   on (at most 5 people a cell, Weidmann's density-limited speed): agent-steps per second of the step
   kernel on one core (``Run.kernel_s``: set-up, distance fields and outputs excluded; and by CPU time,
   less sensitive to a loaded machine), zombies wandering, then hunting by sight; bytes per agent. With
   ``--motion cells`` (or ``both``) the same map with ``motion: cells`` (hops of whole cells, crowding as exclusion).
2. The Mesa comparison model, 10^4 agents x 100 steps on a 100 x 100 grid: Mesa 3 (``MultiGrid``) against
   the same model written as an ordinary hyosan scenario (``benchmarks/mesa/grid-epidemic.yaml``) run by
   the normal agent engine, by wall clock and by CPU time. benchmarks/README.md lists how the two differ.
3. Wall time of ``hyosan run hyosan-high`` (the whole flagship, animation included) in a subprocess, with a
   warm Numba cache (a first run fills it).

Sections 1 and 2 run each order of action asked for (``--update random|banded|both``, the scenario's
``time.update``: ``random`` is a uniformly random permutation of the agents each step, ``banded`` bands of rows;
see :mod:`hyosan.engines.abm.order`); section 3 runs the flagship as shipped.

Run: ``python benchmarks/bench_abm.py [--agents 1000000] [--steps 20] [--update both] [--motion both]
[--skip-school]``.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm.agents import Agents
from hyosan.engines.abm.engine import World, simulate_once
from hyosan.engines.abm.estimate import BUFFER_EVENT_BYTES

MESA_SCENARIO = Path(__file__).parent / "mesa" / "grid-epidemic.yaml"


def open_map(folder: Path, side: int, scale: float) -> Path:
    rows = ["#" * (side + 2)] + ["#" + "." * side + "#"] * (side - 1) + ["#" + "." * side + "G", "#" * (side + 2)]
    header = (
        f'name: open\nscale: {scale}\nlegend: {{"#": wall, ".": floor, "G": {{exit: gate}}}}\n'
        f"zones: {{all: [1, 1, {side}, {side}]}}\n---\n"
    )
    path = folder / "open.txt"
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def scenario(
    folder: Path,
    side: int,
    scale: float,
    n: int,
    steps: int,
    zombies: str,
    sight: str,
    update: str = "random",
    motion: str = "continuous",
) -> Path:
    """The open map's scenario. ``motion: cells`` keeps the model but for the motion: hops of whole cells (1 and 2
    cells a step), crowding as exclusion only (5 a cell; Weidmann's continuous speed law does not apply to hops), and
    the 0.5 m contact radius then means cellmates."""
    data = {
        "name": "open",
        "motion": motion,
        "map": str(open_map(folder, side, scale)),
        "time": {"step": "1s", "horizon": f"{steps}s", "report": f"{steps}s", "update": update},
        "kinds": {"walker": {"speed": "1 m/s", "run_speed": "2 m/s", "sight": sight}},
        "zombie": {"speed": "1 m/s", "run_speed": "2 m/s", "sight": sight},
        "population": [{"kind": "walker", "count": n - n // 100, "zone": "all"}],
        "patient_zero": {"zone": "all", "count": n // 100},
        "behaviour": {"humans": "wander", "zombies": zombies},
        "infection": {"contact_radius": "0.5m", "bite_probability": 0.2, "kill_probability": 0.02},
        "crowd": {"max_density": "5.4 per m2", "speed": "weidmann" if motion == "continuous" else "free"},
    }
    path = folder / f"open-{steps}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def engine_rate(
    n: int, side: int, scale: float, steps: int, zombies: str, sight: str, update: str = "random", motion: str = ""
) -> tuple[float, float, float, float]:
    """Agent-steps per second inside the step kernel (wall clock, set-up and outputs excluded) and on the CPU
    (process time of a (1 + steps)-step run less that of a 1-step run: less sensitive to a loaded machine),
    bytes per agent of the agent arrays (with the kernels' scratch), and of the world arrays at this density."""
    with tempfile.TemporaryDirectory() as tmp:
        warm = scenario(Path(tmp), 20, scale, 100, 2, zombies, sight, update, motion or "continuous")
        simulate_once(load_scenario(warm), np.random.SeedSequence(0))
        cpu = []
        for k in (1, 1 + steps):
            sc = load_scenario(scenario(Path(tmp), side, scale, n, k, zombies, sight, update, motion or "continuous"))
            c0 = time.process_time()
            run = simulate_once(sc, np.random.SeedSequence(1))
            cpu.append(time.process_time() - c0)
    per_agent = Agents.empty(1).nbytes + 4 + 8 + 8 + 4  # + cell-list link, start-of-step x, y, order of action
    world = sum(v.nbytes for v in vars(World(sc)).values() if isinstance(v, np.ndarray))
    world += 2 * sc.world.kind.size  # crowding's int16 occupancy grid
    assert run.counts[-1].sum() == n
    spent = cpu[1] - cpu[0]
    return n * (1 + steps) / run.kernel_s, n * steps / spent if spent > 0 else float("nan"), per_agent, world / n


def mesa_rate(n: int, steps: int, side: int, p: float, seed: int = 0) -> tuple[float, float, int]:
    """Mesa 3: each agent steps to a random one of its 8 neighbours on a torus, then each infected agent
    infects each healthy cellmate with probability ``p``; agent-steps per second (wall clock, CPU time) and
    how many were infected at the end."""
    import mesa

    class Walker(mesa.Agent):
        def __init__(self, model: mesa.Model, infected: bool) -> None:
            super().__init__(model)
            self.infected = infected

        def move(self) -> None:
            cells = self.model.grid.get_neighborhood(self.pos, moore=True, include_center=False)
            self.model.grid.move_agent(self, self.random.choice(cells))

    class Epidemic(mesa.Model):
        def __init__(self) -> None:
            super().__init__(seed=seed)
            self.grid = mesa.space.MultiGrid(side, side, torus=True)
            for i in range(n):
                a = Walker(self, i < n // 100)
                self.grid.place_agent(a, (self.random.randrange(side), self.random.randrange(side)))

        def step(self) -> None:
            self.agents.shuffle_do("move")
            infected = {}
            for a in self.agents:
                if a.infected:
                    infected[a.pos] = infected.get(a.pos, 0) + 1
            for a in self.agents:
                m = infected.get(a.pos, 0)
                if not a.infected and m and self.random.random() < 1 - (1 - p) ** m:
                    a.infected = True

    model = Epidemic()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        model.step()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return n * steps / wall, n * steps / cpu, sum(a.infected for a in model.agents)


def scenario_rate(path: Path, seed: int = 1, update: str = "random") -> tuple[float, float, int, int, int]:
    """Agent-steps per second inside the step kernel (wall clock) and for the whole run on the CPU, for the
    scenario at ``path`` with order of action ``update`` (one warm-up run first); the agents, the steps and how
    many were infected at the end."""
    sc = load_scenario(path)
    sc.update = update
    simulate_once(sc, np.random.SeedSequence(0))
    c0 = time.process_time()
    run = simulate_once(sc, np.random.SeedSequence(seed))
    cpu = time.process_time() - c0
    n = sc.n_agents
    return n * run.steps / run.kernel_s, n * run.steps / cpu, n, run.steps, int(n - run.counts[-1][0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--update", choices=("random", "banded", "both"), default="both",
                    help="order of action for sections 1 and 2 (the scenario's time.update)")  # fmt: skip
    ap.add_argument("--motion", choices=("continuous", "cells", "both"), default="both",
                    help="motion of section 1's open map (the scenario's motion)")  # fmt: skip
    ap.add_argument("--skip-school", action="store_true")
    args = ap.parse_args()
    updates = ("random", "banded") if args.update == "both" else (args.update,)

    print(f"1. {args.agents:,} agents on an open 1500 x 1500 m map, {args.steps} steps, one core")
    motions = ("continuous", "cells") if args.motion == "both" else (args.motion,)
    for motion, update in itertools.product(motions, updates):
        for zombies, sight in (("wander", "2m"), ("hunt", "10m")):
            rate, cpu_rate, per_agent, world = engine_rate(
                args.agents, 1500, 1.0, args.steps, zombies, sight, update, motion
            )
            print(
                f"   motion {motion:10s} update {update:6s}, zombies {zombies:6s} (sight {sight:>3s}): "
                f"{rate / 1e6:6.2f} M agent-steps/s",
                end="",
            )
            print(f" ({cpu_rate / 1e6:.2f} M by CPU time)")
    print(f"   memory: agent arrays {per_agent} bytes per agent (with cell-list link and step snapshot),")
    slot = BUFFER_EVENT_BYTES
    print(f"           event-log scratch {slot} bytes x (2 + 1/8) = {slot * 17 / 8:.0f} bytes per agent;")
    print(f"           world arrays (grids, fields, cell lists) {world:.0f} bytes per agent at this density")
    print(f"           peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    ours = {}
    for update in updates:
        e_rate, e_cpu, n, steps, e_inf = ours[update] = scenario_rate(MESA_SCENARIO, update=update)
        if update == updates[0]:
            print(f"2. Mesa comparison model, {n:,} agents x {steps} steps on a 100 x 100 grid (p = 0.5)")
        print(
            f"   hyosan {MESA_SCENARIO.name} (abm engine, update {update}): {e_rate / 1e6:7.2f} M agent-steps/s in ",
            end="",
        )
        print(f"the kernel, {e_cpu / 1e6:.2f} M by CPU time of the whole run ({e_inf:,} infected at the end)")
    try:
        import mesa

        m_rate, m_cpu, m_inf = mesa_rate(n, steps, 100, 0.5)
        print(
            f"   Mesa {mesa.__version__}: {m_rate / 1e6:7.3f} M agent-steps/s, {m_cpu / 1e6:.3f} M by CPU time ", end=""
        )
        print(f"({m_inf:,} infected at the end)")
        for update, (e_rate, e_cpu, *_) in ours.items():
            print(
                f"   ratio hyosan ({update}) / Mesa: {e_rate / m_rate:,.0f}x (wall clock), "
                f"{e_cpu / m_cpu:,.0f}x (CPU time)"
            )
    except ImportError as exc:
        print(f"   Mesa not installed ({exc}); pip install -e '.[bench]'")

    if not args.skip_school:
        walls, cpus = [], []
        for _ in range(2):
            with tempfile.TemporaryDirectory() as tmp:
                t0, c0 = time.perf_counter(), child_cpu()
                done = subprocess.run(
                    [sys.executable, "-m", "hyosan.cli", "run", "hyosan-high", "--out", str(Path(tmp) / "hh")],
                    capture_output=True,
                    text=True,
                )
                walls.append(time.perf_counter() - t0)
                cpus.append(child_cpu() - c0)
        status = "ok" if done.returncode == 0 else f"failed: {done.stderr.strip()}"
        print(f"3. hyosan run hyosan-high (the whole flagship, animation included), warm Numba cache: {walls[1]:.1f} s")
        print(
            f"   wall, {cpus[1]:.1f} s CPU ({walls[0]:.1f} s wall for the first run, which fills the cache) ({status})"
        )


def child_cpu() -> float:
    """CPU seconds (user + system) used so far by this process's finished children."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


if __name__ == "__main__":
    main()
