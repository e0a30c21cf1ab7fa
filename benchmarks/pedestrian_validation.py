"""Validation of the crowd model (:mod:`hyosan.engines.abm.crowd`) against pedestrian measurements.

1. Fundamental diagram: a 3 m wide corridor, everyone walking east at v0 = 1.34 m/s towards an exit; a
   measurement area in the middle (method A of Zhang et al. 2011: density = people in the area / its area,
   speed = mean walking speed of the people in it, each averaged over the frames of a time window early
   enough that neither end of the crowd has reached the area). Compared with Weidmann (1993),
   v = 1.34 [1 - exp(-1.913 (1/rho - 1/5.4))].
2. Bottleneck: a 8 m x 8 m classroom emptying through one 1 m door; specific flow (people per metre of
   door per second) from the 10th to the 90th percent of the crossings. Measured range in bottleneck
   experiments at 1 m: about 1.2-2.0 /m/s (Seyfried et al. 2009, Kretz et al. 2006).

``python benchmarks/pedestrian_validation.py [--seeds 5]`` prints both and writes
``benchmarks/fundamental_diagram.png``. ``tests/test_crowd.py`` runs the same functions at a smaller size.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import yaml

from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm.engine import simulate_once

SCALE = 0.5
STEP = 0.5
V0 = 1.34


def weidmann(rho: np.ndarray | float, v0: float = V0) -> np.ndarray:
    """Weidmann's (1993) walking speed (m/s) at density ``rho`` (per m2)."""
    rho = np.asarray(rho, dtype=float)
    return np.maximum(v0 * (1.0 - np.exp(-1.913 * (1.0 / np.maximum(rho, 1e-9) - 1.0 / 5.4))), 0.0)


def _write(
    folder: Path, name: str, rows: list[str], zones: dict, count: int, horizon: float, crowd: object, update: str
) -> Path:
    legend = '{"#": wall, ".": floor, "G": {exit: gate}}'
    head = f"name: {name}\nscale: {SCALE}\nlegend: {legend}\nzones: {yaml.safe_dump(zones, default_flow_style=True)}"
    (folder / f"{name}.txt").write_text(head + "---\n" + "\n".join(rows) + "\n")
    data = {
        "name": name,
        "map": str(folder / f"{name}.txt"),
        "time": {"step": f"{STEP}s", "horizon": f"{horizon:g}s", "report": f"{STEP}s", "update": update},
        "kinds": {"walker": {"speed": f"{V0} m/s", "run_speed": f"{V0} m/s", "sight": "1m"}},
        "zombie": {"speed": "1 m/s", "run_speed": "1 m/s", "sight": "1m"},
        "population": [{"kind": "walker", "count": count, "zone": "crowd"}],
        "behaviour": {"humans": "escape", "zombies": "hunt"},
        "animation": {"every": f"{STEP}s"},
        "crowd": crowd,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def corridor(rho: float, seed: int = 0, length: float = 100.0, width: float = 3.0, window: tuple = (10.0, 40.0),
             area: tuple = (60.0, 70.0), crowd: object = None,
             update: str = "random") -> tuple[float, float]:  # fmt: skip
    """(density per m2, speed m/s) measured in ``area`` (x from, to; metres) of a corridor ``width`` wide
    whose first ``length`` metres hold ``rho`` people per m2 at the start, over the time ``window`` (s)."""
    cols, rows_n = round(length / SCALE) + 10, round(width / SCALE)
    rows = ["#" * (cols + 2)] + ["#" + "." * cols + "G" for _ in range(rows_n)] + ["#" * (cols + 2)]
    zones = {"crowd": [1, 1, round(length / SCALE), rows_n]}
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "corridor", rows, zones, round(rho * length * width), window[1], crowd, update)
        sc = load_scenario(path)
    r = simulate_once(sc, np.random.SeedSequence(seed), frames=True)
    lo, hi = (area[0] / SCALE + 1, area[1] / SCALE + 1)
    counts, speeds = [], []
    for (t, x, _, state), (_, x2, _, state2) in zip(r.frames, r.frames[1:], strict=False):
        if not window[0] <= t < window[1]:
            continue
        inside = (x >= lo) & (x < hi) & (state == 0)
        counts.append(int(inside.sum()))
        moved = inside & (state2 == 0)
        speeds.extend(((x2[moved] - x[moved]) * SCALE / STEP).tolist())
    return float(np.mean(counts)) / ((area[1] - area[0]) * width), float(np.mean(speeds)) if speeds else V0


def bottleneck(
    people: int = 100, seed: int = 0, door: float = 1.0, crowd: object = None, update: str = "random"
) -> float:
    """Specific flow (people per metre per second) of an 8 m x 8 m room emptying through a ``door`` wide gap in
    its east wall into a 5 m deep yard with an exit along its far side, from the 10th to the 90th percent of
    the crossings of the door line."""
    side, yard, d = 16, 10, round(door / SCALE)
    top = (side - d) // 2
    rows = ["#" * (side + yard + 3)]
    for r in range(side):
        gap = top <= r < top + d
        rows.append("#" + "." * side + ("." if gap else "#") + "." * yard + "G")
    rows.append("#" * (side + yard + 3))
    zones = {"crowd": [1, 1, side, side]}
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "room", rows, zones, people, 600.0, crowd, update)
        sc = load_scenario(path)
    r = simulate_once(sc, np.random.SeedSequence(seed), frames=True)
    line = side + 1.0
    crossed = np.full(people, np.inf)
    for t, x, _, state in r.frames:
        new = ((x >= line) | (state == 5)) & ~np.isfinite(crossed)
        crossed[new] = t
    times = np.sort(crossed)
    if not np.isfinite(times[-1]):
        raise RuntimeError(f"only {np.isfinite(times).sum()} of {people} left the room in 600 s")
    a, b = round(0.1 * people), round(0.9 * people)
    return (b - a) / (times[b] - times[a]) / door


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    print("fundamental diagram (corridor 3 m x 100 m, measurement area 60-70 m, t = 10-40 s)")
    print(f"{'start rho':>10} {'rho /m2':>8} {'v m/s':>7} {'Weidmann':>9} {'diff':>6}")
    points = []
    for rho in (0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0):
        got = [corridor(rho, seed) for seed in range(args.seeds)]
        d, v = np.mean([g[0] for g in got]), np.mean([g[1] for g in got])
        points.append((d, v))
        print(f"{rho:>10.2f} {d:>8.2f} {v:>7.3f} {float(weidmann(d)):>9.3f} {v - float(weidmann(d)):>+6.3f}")
    flows = [bottleneck(100, seed) for seed in range(args.seeds)]
    print(f"bottleneck: 100 people, 1 m door: specific flow {np.mean(flows):.2f} /m/s "
          f"(seeds: {', '.join(f'{f:.2f}' for f in flows)}); measured 1.2-2.0 /m/s")  # fmt: skip
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=120)
    rho = np.linspace(0.05, 5.4, 200)
    ax.plot(rho, weidmann(rho), "k-", label="Weidmann (1993)")
    ax.fill_between(rho, 0.85 * weidmann(rho), 1.15 * weidmann(rho), color="0.85", label="±15%")
    ax.plot(*zip(*points, strict=True), "o", color="tab:red", label="hyosan corridor (Zhang method A)")
    ax.set_xlabel("density (people per m²)")
    ax.set_ylabel("speed (m/s)")
    ax.set_xlim(0, 5.5)
    ax.set_ylim(0, 1.5)
    ax.legend(frameon=False, loc="upper right", fontsize=8)
    ax.set_title(f"Fundamental diagram; door flow {np.mean(flows):.2f} /m/s", fontsize=9)
    fig.tight_layout()
    out = Path(__file__).with_name("fundamental_diagram.png")
    fig.savefig(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
