"""Time of the shipped ``usa`` country scenario (3,027 cities of cities:US48 less their sections, 190 M
people, zombies walking at 20 cm/s on the Gabriel graph) on the patches engine: ``ode`` at the
scenario's tolerance (rtol 1e-4) and at rtol 1e-10 (the reference its fall times are compared with),
``tau`` and exact ``ssa`` over ``--tau-days`` / ``--ssa-days`` days. Issue 12's targets: ode under
5 s, tau under 10 s, exact under 2 min (for the 240 days).

Run: ``python benchmarks/bench_usa.py [--tau-days 240] [--ssa-days 10] [--epsilon 0.002]``; writes its
table into benchmarks/README.md. One run each, compile excluded (a short warm-up first); wall and
CPU seconds of the simulation alone (no pictures), on one core. The stochastic runs use the first
seed whose zombie survives its first encounters (one zombie dies out with probability alpha = 0.8),
found by half-day probes over seeds 0-19 (not timed); the table names it.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from readme_section import write_section

from hyosan.places import country
from hyosan.places.outbreak import simulate

TITLE = "## `python benchmarks/bench_usa.py [--tau-days 240] [--ssa-days 10] [--epsilon 0.002]`"


def surviving_seed(c: country.Country, method: str) -> int:
    """The first seed whose outbreak holds more than 30 zombies after half a day."""
    for seed in range(20):
        ds = simulate(c, method=method, t_end=0.5, seed=seed)
        if float(ds["Z_patch"].isel(time=-1).values[0].sum()) > 30:
            return seed
    raise SystemExit(f"{method}: no seed in 0-19 whose first zombie survives half a day")


def timed(c: country.Country, **kw: object):
    w, p = time.perf_counter(), time.process_time()
    ds = simulate(c, **kw)
    return time.perf_counter() - w, time.process_time() - p, ds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tau-days", type=float, default=240.0)
    ap.add_argument("--ssa-days", type=float, default=10.0)
    ap.add_argument("--epsilon", type=float, default=0.002)
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    c = country.load("usa")
    simulate(c, method="ode", t_end=1)
    simulate(c, method="tau", t_end=0.01)
    simulate(c, method="ssa", t_end=0.01)
    runs = [
        (f"ode (BDF, rtol {c.rtol:g}, the scenario's)", {"method": "ode"}),
        ("ode (BDF, rtol 1e-10, reference)", {"method": "ode", "rtol": 1e-10}),
        (f"tau (epsilon {args.epsilon:g})", {"method": "tau", "t_end": args.tau_days, "epsilon": args.epsilon}),
        ("ssa (exact)", {"method": "ssa", "t_end": args.ssa_days}),
    ]
    seeds = {m: surviving_seed(c, m) for m in ("tau", "ssa")}
    rows, falls = [], {}
    for name, kw in runs:
        if kw["method"] != "ode":
            kw["seed"] = seeds[kw["method"]]
            name += f", seed {kw['seed']}"
        wall, cpu, ds = timed(c, **kw)
        fall = ds.time_of_fall.values[0]
        falls[name] = fall
        days = kw.get("t_end", c.t_end)
        rows.append(f"| {name} | {days:g} | {wall:.2f} | {cpu:.2f} | {int(np.isfinite(fall).sum()):,} |")
        print(rows[-1], flush=True)
    fast, ref = (falls[name] for name, _ in runs[:2])
    error = float(np.nanmax(np.abs(fast - ref)))
    table = "\n".join(
        [
            TITLE,
            "",
            f"`hyosan run usa`: {c.patches.size:,} cities, {int(c.patches.population.sum()):,} people, one zombie in "
            f"New York, zombies walking at 20 cm/s. Load average of the shared machine at the start: {load:.1f}.",
            "",
            "| method | days | wall s | CPU s | cities fallen |",
            "|---|---:|---:|---:|---:|",
            *rows,
            "",
            f"Largest difference in a city's day of fall between the two ode runs: {error:.3f} days.",
            "",
        ]
    )
    print(table)
    if not args.no_readme:
        write_section(TITLE.split(" [")[0], table)


if __name__ == "__main__":
    main()
