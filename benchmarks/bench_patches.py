"""Speed of the patches engine: events/s of exact ``ssa`` with P = 1, 10^2, 10^4 patches holding the
same total population, and the times of ``tau`` and ``ode`` on the largest grid.
Run: ``python benchmarks/bench_patches.py [--people 1000000] [--days 30] [--usa-days 10]``; writes its
table into benchmarks/README.md.

The model is the SIS of the library (beta 0.3, gamma 0.1, so I* = 2/3 N) started at its endemic
level in every patch, so that every run fires events at the same rate per person whatever P;
patches form a square grid (P = 1: one patch) where S and I hop to each of the 4 neighbours at
``--hop`` per day. The issue's target: at P = 10^4 at least half the events/s of P = 1. Timings
exclude the Numba compile (a short warm-up run first); on one core. The machine may be shared, so
events/s are counted on the process's CPU time, and each ssa size is run ``--repeat`` times,
interleaved (1, 10^2, 10^4, 1, ...), keeping each size's least CPU time: the ratio then compares
like with like even if the load changes during the benchmark (wall times are listed too).

The exact US (issue 12: ``hyosan run usa --method ssa`` in under 2 minutes on one core) is measured
on its first ``--usa-days`` days (seed 1: at seed 0 New York's one zombie is destroyed before it
bites, as happens with probability alpha = 0.8 of the first event) and extrapolated to the
scenario's horizon by the mean field's count of events (bites + kills + hops: S0 - S, R, and
sum over cities of out-rate times the integral of Z), at the measured events/s.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
import scipy.sparse as sp
from readme_section import write_section

from hyosan.compartmental.io import load
from hyosan.places.patches import Patches

TITLE = "## `python benchmarks/bench_patches.py [--people 1000000] [--days 30] [--usa-days 10]`"


def grid(p: int, people: int, hop: float) -> Patches:
    n = math.isqrt(p)
    assert n * n == p
    idx = np.arange(p).reshape(n, n)
    pairs = [(idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])]
    rows = np.concatenate([a.ravel() for a, b in pairs] + [b.ravel() for a, b in pairs])
    cols = np.concatenate([b.ravel() for a, b in pairs] + [a.ravel() for a, b in pairs])
    movement = sp.csr_matrix((np.full(len(rows), hop), (rows, cols)), shape=(p, p))
    return Patches(
        names=tuple(f"c{i}" for i in range(p)),
        population=np.full(p, people // p, dtype=np.int64),
        movement=movement if p > 1 else None,
        mobility={"S": 1.0, "I": 1.0} if p > 1 else {},
        description=f"{n}x{n} grid, hop {hop}/day to each neighbour",
    )


def run(p: int, people: int, days: float, hop: float, method: str) -> tuple[float, float, int]:
    model = load("sis")
    places = grid(p, people, hop)
    each = people // p
    initial = {name: {"I": round(2 * each / 3)} for name in places.names}
    kw = dict(engine="patches", patches=places, method=method, initial=initial, every=days)
    model.run(t_end=min(days, 0.01), **kw)  # compile / load kernels
    start, cpu = time.perf_counter(), time.process_time()
    ds = model.run(t_end=days, **kw)
    return time.perf_counter() - start, time.process_time() - cpu, int(ds.attrs.get("events", 0))


def mean_field_events(country, days: float) -> tuple[float, float]:
    """Expected events (bites + kills + hops) of ``country`` by ``days`` and by its horizon, on the ode."""
    from hyosan.places.outbreak import simulate

    ds = simulate(country, method="ode", every=0.25)
    t = ds.time.values
    S, Z, R = (ds[f"{c}_patch"].values.reshape(len(t), -1) for c in ("S", "Z", "R"))
    out = np.asarray(country.patches.movement.sum(axis=1)).ravel() * country.patches.mobility.get("Z", 0.0)
    dz = np.diff(t)[:, None] * (Z[1:] + Z[:-1]) / 2
    hops = np.concatenate([[0.0], np.cumsum(dz @ out)])
    total = (S[0].sum() - S.sum(axis=1)) + (R.sum(axis=1) - R[0].sum()) + hops
    return float(np.interp(days, t, total)), float(total[-1])


def usa(days: float, seed: int = 1) -> str:
    from hyosan.places.country import load as load_country
    from hyosan.places.outbreak import simulate

    country = load_country("usa")
    simulate(country, method="ssa", seed=seed, t_end=0.01, every=0.01)  # compile
    start, cpu = time.perf_counter(), time.process_time()
    ds = simulate(country, method="ssa", seed=seed, t_end=days, every=days)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    events = int(ds.attrs["events"])
    by_days, by_end = mean_field_events(country, days)
    return (
        f"Exact US (`hyosan run usa --method ssa`, {country.patches.size:,} cities, seed {seed}): the first {days:g} "
        f"days fired {events:,} events in {cpu:.1f} s CPU ({wall:.1f} s wall), {events / cpu / 1e6:.2f} M events/s "
        f"(the mean field expects {by_days:,.0f} by then). The whole {country.t_end:g} days are {by_end:,.0f} events "
        f"on the mean field: about {by_end / (events / cpu):,.0f} s of CPU at that rate, against the target of 120 s."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--hop", type=float, default=0.01)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--usa-days", type=float, default=10.0, help="0: skip the exact US run")
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    rows, rate, best = [], {}, {}
    load = os.getloadavg()[0]
    sizes = (1, 100, 10_000)
    for _ in range(max(args.repeat, 1)):
        for p in sizes:
            res = run(p, args.people, args.days, args.hop, "ssa")
            print(f"ssa P={p:,}: {res[2]:,} events, {res[1]:.3f} s CPU", flush=True)
            if p not in best or res[1] < best[p][1]:
                best[p] = res
    for p in sizes:
        wall, cpu, events = best[p]
        rate[p] = events / cpu
        rows.append(
            f"| ssa | {p:,} | {events:,} | {wall:.2f} | {cpu:.2f} | {rate[p] / 1e6:.2f} M | "
            f"{rate[p] / rate.get(1, rate[p]):.2f} |"
        )
        print(rows[-1], flush=True)
    for method in ("tau", "ode"):
        wall, cpu, events = run(10_000, args.people, args.days, args.hop, method)
        rows.append(f"| {method} | 10,000 | {events:,} | {wall:.2f} | {cpu:.2f} | | |")
        print(rows[-1], flush=True)
    us = usa(args.usa_days) if args.usa_days > 0 else ""
    print(us, flush=True)
    table = "\n".join(
        [
            TITLE,
            "",
            f"SIS at its endemic level, {args.people:,} people in total, {args.days:g} days, S and I hopping to grid "
            f"neighbours at {args.hop}/day (ssa: least CPU time of {args.repeat} interleaved runs per size; "
            "tau and ode: one run; compile excluded). Target (issue 12): ssa at 10^4 patches "
            "keeps at least half the events/s of one patch. Load average of the shared machine at the start: "
            f"{load:.1f}.",
            "",
            "| method | patches | events | wall s | CPU s | events/s (CPU) | ratio to 1 patch |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            *([us, ""] if us else []),
        ]
    )
    print(table)
    if not args.no_readme:
        write_section(TITLE, table)


if __name__ == "__main__":
    main()
