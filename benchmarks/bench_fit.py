"""Speed of the ode fit of the 1978 boarding-school influenza (SIR, bed count as I, Poisson noise).

Times, each the median of ``--runs`` (wall clock and process CPU), after one warm-up fit:
1. the maximum-likelihood fit with profile-likelihood intervals (``hyosan.fit.mle.maximize``, 5 starts)
   — the issue's target is under 2 s;
2. the whole ``hyosan.fit(...)`` call: the same plus derived R0 and infectious period (the sympy
   analysis, in a child process) and the posterior-predictive check (200 simulations);
3. MCMC (emcee, 16 walkers × ``--steps``), once, with model evaluations per second.
The table is written into benchmarks/README.md (its own section) and printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from readme_section import write_between

import hyosan
from hyosan.fit import Observations, Problem, fit
from hyosan.fit.mcmc import sample
from hyosan.fit.mle import maximize

HERE = Path(__file__).parent
DATA = HERE.parent / "src" / "hyosan" / "data" / "fits" / "boarding-school.csv"
BEGIN, END = "<!-- bench_fit:begin -->", "<!-- bench_fit:end -->"


def timed(fn, runs: int) -> tuple[float, float, object]:
    walls, cpus, out = [], [], None
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--no-readme", action="store_true", help="print only")
    args = ap.parse_args()
    model = hyosan.load("sir").with_values(S=762, I=1, R=0)
    obs = Observations.read(DATA)
    problem = Problem(model, obs, {"beta": None, "gamma": None}, observe={"B": "I"})
    maximize(problem)
    w1, c1, r = timed(lambda: maximize(problem), args.runs)
    w2, c2, _ = timed(lambda: fit(model, obs, ["beta", "gamma"], observe={"B": "I"}), args.runs)
    w3, c3, m = timed(lambda: sample(problem, steps=args.steps), 1)
    evals = m.settings["walkers"] * m.settings["steps"]
    est = ", ".join(f"{k} {v:.3f} ({r.intervals[k][0]:.3f}–{r.intervals[k][1]:.3f})" for k, v in r.estimate.items())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = [
        "| what | wall s | CPU s | notes |",
        "|---|---:|---:|---|",
        f"| MLE + profile intervals (5 starts) | {w1:.2f} | {c1:.2f} | {r.diagnostics['evaluations']} "
        f"likelihood evaluations; {est} |",
        f"| `hyosan.fit` (MLE, intervals, R0, PPC) | {w2:.2f} | {c2:.2f} | sympy R0 analysis in a child process |",
        f"| MCMC, 16 walkers × {m.settings['steps']} steps | {w3:.2f} | {c3:.2f} | {evals / w3:,.0f} evaluations/s |",
    ]
    text = "\n".join(
        [
            BEGIN,
            "## `python benchmarks/bench_fit.py [--runs 5] [--steps 2000]`",
            "",
            "The ode fit of the boarding-school influenza (SIR, B = I, Poisson), medians of the runs after a "
            "warm-up; the issue's target for MLE + intervals is under 2 s. No peer is timed: the peers' "
            f"calibration is for their stochastic engines (see the ABC benchmark). Load average at the run: {load}.",
            "",
            *rows,
            END,
        ]
    )
    print(text)
    if not args.no_readme:
        write_between(BEGIN, END, text)


if __name__ == "__main__":
    main()
