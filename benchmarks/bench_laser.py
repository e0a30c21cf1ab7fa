"""hyosan's ``patches`` engine beside IDM's LASER (laser-generic) on a patch SIR with gravity coupling.

100 patches on a 10 x 10 lattice of points 50 km apart, populations from a Zipf law (largest first)
summing to N = 10^6 and 10^7, 365 days, beta = 0.3/d, infectious period 7 d (R0 = 2.1), 10 infectious
in the largest patch. The coupling is LASER's own: its gravity network (k=500, a=1, b=1, c=2,
rows normalised to at most 3/32) taken from the LASER model and given to hyosan as the row-stochastic
mixing matrix ``M = diag(1 - rowsum) + network``.

How the two models differ (said in the table too):
- LASER steps one day at a time, infects with probability 1 - exp(-force) per day, and keeps each
  agent infectious for exactly 7 days; hyosan's ``ssa`` is exact continuous time with exponential
  infectious periods (rate 1/7), ``tau`` leaps, ``ode`` is the mean field.
- LASER moves force of infection along the matrix (force in j = sum_i M_ij beta I_i / N_i, columns of
  M); hyosan mixes counts along its rows (force in j = beta (M I)_j / (M N)_j: row j is where j's
  people make their contacts). They agree for a symmetric M and equal patches; here neither holds.
- In the mean field both would reach the final size z = 1 - exp(-R0 z) in every patch (it holds for
  any infectious-period distribution): 0.8221 for R0 = 2.1. The table gives each run's attack rate
  and the R0 it implies, -ln(1 - z) / z.

Usage: ``python benchmarks/bench_laser.py [--sizes 1e6 1e7] [--write]`` (``--write`` puts the table in
benchmarks/README.md). Install LASER with ``pip install -e '.[bench-country]'``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from readme_section import write_section
from scipy.optimize import brentq

P, DAYS, BETA, DURATION, SEEDS = 100, 365, 0.3, 7, 10
SPACING_KM = 50.0


def layout(n_people: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitudes, longitudes (a 10 x 10 lattice near the equator) and Zipf populations summing to n."""
    side = int(np.sqrt(P))
    r, c = np.divmod(np.arange(P), side)
    deg = SPACING_KM / 111.195
    weights = 1.0 / np.arange(1, P + 1)
    pop = np.floor(n_people * weights / weights.sum()).astype(np.int64)
    pop[0] += n_people - pop.sum()
    return r * deg, c * deg, pop


def final_size(r0: float) -> float:
    return brentq(lambda z: z - 1 + np.exp(-r0 * z), 1e-9, 1.0)


def run_laser(n_people: int, seed: int = 1) -> tuple[float, float, np.ndarray]:
    """Wall seconds (model build excluded, run included), overall attack rate, LASER's network."""
    import geopandas as gpd
    from laser.core import PropertySet
    from laser.core.distributions import constant_int
    from laser.generic import SIR
    from laser.generic.model import Model
    from shapely.geometry import Point

    lat, lon, pop = layout(n_people)
    infected = np.zeros(P, dtype=np.int64)
    infected[0] = SEEDS
    scenario = gpd.GeoDataFrame(
        {"nodeid": np.arange(P), "population": pop, "S": pop - infected, "I": infected, "R": 0},
        geometry=[Point(x, y) for x, y in zip(lon, lat, strict=True)],
        crs="EPSG:4326",
    )
    params = PropertySet({"nticks": DAYS, "beta": BETA, "prng_seed": seed})
    model = Model(scenario, params)
    dur = constant_int(DURATION)
    model.components = [
        SIR.Susceptible(model),
        SIR.Recovered(model),
        SIR.Infectious(model, dur),
        SIR.Transmission(model, dur),
    ]
    t0 = time.perf_counter()
    model.run("LASER")
    wall = time.perf_counter() - t0
    recovered = model.nodes.R[DAYS].sum() + model.nodes.I[DAYS].sum()
    return wall, float(recovered) / n_people, np.asarray(model.network, dtype=float)


def run_hyosan(n_people: int, network: np.ndarray, method: str, seed: int = 1) -> tuple[float, float]:
    """Wall seconds of ``model.run(engine='patches', method=...)`` (after a warm-up compile), attack rate."""
    import scipy.sparse as sp

    import hyosan
    from hyosan.places.patches import Patches

    lat, lon, pop = layout(n_people)
    m = np.diag(1.0 - network.sum(axis=1)) + network  # row-stochastic; LASER: force_j = sum_i m[i, j] force_i
    places = Patches(
        names=tuple(f"p{i}" for i in range(P)),
        population=pop,
        lat=lat,
        lon=lon,
        mixing=sp.csr_matrix(m),
        description="LASER's gravity network as mixing",
    )
    model = hyosan.load("sir").with_values(
        {"beta": BETA, "gamma": 1.0 / DURATION, "S": int(pop.sum()) - SEEDS, "I": SEEDS}
    )
    seeds = {"p0": {"I": SEEDS}}
    kw = dict(engine="patches", patches=places, method=method, t_end=DAYS, every=1.0, seed=seed, initial=seeds)
    model.run(**(kw | {"t_end": 1.0}))  # compile and warm
    t0 = time.perf_counter()
    ds = model.run(**kw)
    wall = time.perf_counter() - t0
    final = float(ds["R"].isel(time=-1).mean()) + float(ds["I"].isel(time=-1).mean())
    return wall, final / n_people


def _r0(z: float) -> float:
    return float(-np.log1p(-z) / z) if 0 < z < 1 else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e7])
    ap.add_argument("--methods", nargs="+", default=["ode", "tau", "ssa"])
    ap.add_argument("--ssa-max", type=float, default=1e6, help="run ssa only up to this many people")
    ap.add_argument("--write", action="store_true", help="write the table into benchmarks/README.md")
    args = ap.parse_args()
    z = final_size(BETA * DURATION)
    rows = [
        "| people | engine | wall s (365 d) | attack rate | implied R0 | LASER time / this |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size in args.sizes:
        n = int(size)
        lw, lz, net = run_laser(n)
        rows.append(
            f"| {n:.0e} | LASER (agents, daily ticks, 7-day period) | {lw:.2f} | {lz:.4f} | {_r0(lz):.3f} | 1.00 |"
        )
        print(rows[-1], flush=True)
        for method in args.methods:
            if method == "ssa" and n > args.ssa_max:
                rows.append(f"| {n:.0e} | hyosan patches `ssa` | not run (over --ssa-max) | | | |")
                continue
            hw, hz = run_hyosan(n, net, method)
            rows.append(
                f"| {n:.0e} | hyosan patches `{method}` | {hw:.2f} | {hz:.4f} | {_r0(hz):.3f} | {lw / hw:.2f} |"
            )
            print(rows[-1], flush=True)
    load = os.getloadavg()
    text = "\n".join(
        [
            *rows,
            "",
            f"Mean-field final size for R0 = {BETA * DURATION:.1f} (every patch reached): {z:.4f}. "
            f"Load average during the run: {load[0]:.1f}. Machine: {os.cpu_count()} cores.",
        ]
    )
    print(text)
    if args.write:
        _write(text)


def _write(table: str) -> None:
    head = "## `python benchmarks/bench_laser.py`"
    body = (
        f"{head}\n\nhyosan's `patches` engine beside LASER (laser-generic): patch SIR, 100 patches, gravity "
        "coupling, 365 days (see the script's docstring for how the two models differ). One run of the "
        "script; hyosan's Numba compile is warmed first, LASER's model build is excluded.\n\n" + table + "\n"
    )
    write_section(head, body)


if __name__ == "__main__":
    main()
