"""Is hyosan's ABC-SMC biased or unconverged on the bench_fit_abc workload? The tolerance sequence taken
down, and each check against the rejection-ABC posterior at the same epsilon (its exact target).

The data and priors are bench_fit_abc's (munz-szr, N = 500, ssa; S and Z at 10 times; beta, alpha
uniform(0, 0.05); truth 0.0095, 0.005). hyosan's ABC-SMC runs ``--generations`` generations of
``--population`` particles; its weighted mean and sd are printed after ``--check`` generations and at
the end, each beside plain rejection ABC at that generation's epsilon (prior draws kept when their
distance is <= epsilon; up to ``--rejection`` simulations, fewer once 400 are accepted).

    python benchmarks/abc_convergence.py [--population 2000] [--generations 20] [--check 8] [--no-readme]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from bench_fit_abc import TIMES, data
from readme_section import write_between

from hyosan.fit import Observations, Problem, abc_sim
from hyosan.fit.abc import AbcSettings, abc_smc

BEGIN, END = "<!-- abc_convergence:begin -->", "<!-- abc_convergence:end -->"


def rejection(problem: Problem, eps: float, most: int) -> tuple[np.ndarray, int]:
    """Prior draws whose simulation lies within ``eps``, from up to ``most`` simulations."""
    rng = np.random.default_rng(7)
    kept, n, batch = [], 0, 200_000
    while n < most and sum(len(k) for k in kept) < 400:
        theta = np.stack([f.prior.sample(rng, batch) for f in problem.free], axis=1)
        task = abc_sim.BlockTask(problem, theta, "sse", False, {})
        dist = abc_sim.simulate_round(task, 99, 1000 + n // batch, 0, workers=1, executor=None)
        kept.append(theta[dist <= eps])
        n += batch
    return np.concatenate(kept), n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=2000)
    ap.add_argument("--generations", type=int, default=20)
    ap.add_argument("--check", type=int, default=8)
    ap.add_argument("--rejection", type=int, default=6_000_000)
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    model, obs = data()
    problem = Problem(model, Observations.from_frame({"time": TIMES, **obs}),
                      {"beta": "uniform(0, 0.05)", "alpha": "uniform(0, 0.05)"}, engine="ssa")  # fmt: skip
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = [
        "| generations | epsilon (SSE) | simulations | ESS | ABC-SMC beta | ABC-SMC alpha "
        "| rejection ABC at that epsilon (accepted of simulated) |",
        "|---:|---:|---:|---:|---|---|---|",
    ]  # fmt: skip
    t0 = time.perf_counter()
    for gens in sorted({args.check, args.generations}):
        res = abc_smc(problem, AbcSettings(population=args.population, generations=gens, min_acceptance=0.0),
                      seed=2, workers=1)  # fmt: skip
        eps = res.history[-1]["epsilon"]
        kept, n = rejection(problem, eps, args.rejection)
        m, s = res.mean(), res.sd()
        rej = (f"beta {kept[:, 0].mean():.5f} ± {kept[:, 0].std():.5f}, alpha {kept[:, 1].mean():.5f} ± "
               f"{kept[:, 1].std():.5f} ({len(kept):,} of {n:,})") if len(kept) else f"none of {n:,}"  # fmt: skip
        rows.append(f"| {gens} | {eps:,.0f} | {res.simulations:,} | {res.ess:.0f} | {m[0]:.5f} ± {s[0]:.5f} | "
                    f"{m[1]:.5f} ± {s[1]:.5f} | {rej} |")  # fmt: skip
        print(rows[-1], flush=True)
    text = "\n".join([
        BEGIN,
        "## `python benchmarks/abc_convergence.py [--population 2000] [--generations 20] [--check 8]`",
        "",
        f"bench_fit_abc's fit (truth beta 0.0095, alpha 0.005) taken to {args.generations} generations of "
        f"{args.population} particles, against rejection ABC at the same epsilon, its exact target "
        f"(means ± posterior sd; load average at the start {load}; {time.perf_counter() - t0:.0f} s). "
        "After 8 generations epsilon is still large (an RMS residual of about 100 per observation, of a "
        "population of 500) and the posterior wide; taking epsilon down moves it onto the truth, and at each "
        "epsilon ABC-SMC agrees with rejection ABC (only roughly at the smallest, where rejection keeps few "
        "draws): unconverged, not biased. A plain weighted-quantile epsilon stalled at the distance every "
        "extinct run shares (tests/test_fit_abc_target.py); next_epsilon steps past it.",
        "",
        *rows,
        END,
    ])  # fmt: skip
    print(text)
    if not args.no_readme:
        write_between(BEGIN, END, text)


if __name__ == "__main__":
    main()
