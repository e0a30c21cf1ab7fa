"""Time of the shipped ``usa`` country scenario (3,355 cities of cities:US48, 215 M people, zombies
walking at 1 km/h) on the patches engine: ``ode`` at the default tolerances and at ``rtol=1e-6``, and
``tau`` over ``--tau-days`` days. Issue 12's targets: ode under 5 s, tau under 10 s, exact under 2 min.
Run: ``python benchmarks/bench_usa.py [--tau-days 30] [--epsilon 0.002]``; writes its table into
benchmarks/README.md. One run each, compile excluded (a short warm-up first); wall and CPU seconds of
the simulation alone (no pictures), on one core.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from readme_section import write_section

from hyosan.places import country
from hyosan.places.outbreak import simulate

TITLE = "## `python benchmarks/bench_usa.py [--tau-days 30] [--epsilon 0.002]`"


def timed(c: country.Country, **kw: object) -> tuple[float, float, int]:
    w, p = time.perf_counter(), time.process_time()
    ds = simulate(c, **kw)
    fallen = int((~np.isnan(ds.time_of_fall.values[0])).sum())
    return time.perf_counter() - w, time.process_time() - p, fallen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tau-days", type=float, default=30.0)
    ap.add_argument("--epsilon", type=float, default=0.002)
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    c = country.load("usa")
    simulate(c, method="ode", t_end=1)
    simulate(c, method="tau", t_end=0.01)
    runs = [
        ("ode (BDF, rtol 1e-10, default)", {"method": "ode"}),
        ("ode (BDF, rtol 1e-6)", {"method": "ode", "rtol": 1e-6}),
        (f"tau (epsilon {args.epsilon:g})", {"method": "tau", "t_end": args.tau_days, "epsilon": args.epsilon}),
    ]
    rows = []
    for name, kw in runs:
        wall, cpu, fallen = timed(c, **kw)
        days = kw.get("t_end", c.t_end)
        rows.append(f"| {name} | {days:g} | {wall:.2f} | {cpu:.2f} | {fallen:,} |")
        print(rows[-1], flush=True)
    table = "\n".join(
        [
            TITLE,
            "",
            f"`hyosan run usa`: {c.patches.size:,} cities, {int(c.patches.population.sum()):,} people, one zombie in "
            f"New York, zombies walking at 1 km/h. Load average of the shared machine at the start: {load:.1f}.",
            "",
            "| method | days | wall s | CPU s | cities fallen |",
            "|---|---:|---:|---:|---:|",
            *rows,
            "",
        ]
    )
    print(table)
    if not args.no_readme:
        write_section(TITLE, table)


if __name__ == "__main__":
    main()
