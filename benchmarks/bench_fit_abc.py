"""ABC-SMC speed on munz-szr (N = 500, ssa): hyosan's own ABC-SMC against pyabc on the same model and data.

Workload (issue 13): the data are S and Z at t = 0.5, 1, ..., 5 days from one ssa run of munz-szr
at its library values (the first seed whose outbreak takes off); beta and alpha are fitted with
uniform(0, 0.05) priors; 1,000 particles, 8 generations, adaptive epsilon (the median), distance
the sum of squared differences (pyabc: its Euclidean PNormDistance, the same ordering).

- hyosan: :func:`hyosan.fit.abc.abc_smc` with all cores (and with one), blocks of particles in
  one Numba call, after a warm-up fit (compile).
- pyabc: ``pyabc.ABCSMC`` with its defaults (multivariate normal transition, median epsilon) and
  ``MulticoreEvalParallelSampler`` on all cores; its model function runs one simulation on hyosan's
  compiled batch kernel per call (the fastest simulator pyabc can be given through its interface),
  history in a temporary SQLite file, as pyabc requires.

Simulations per second are total simulations (accepted or not) over the wall time of the fit, and
over its CPU time (this process and its reaped workers); the ratio (wall clock) is from this one run.
Install pyabc with ``pip install -e '.[bench-fit]'``.

    python benchmarks/bench_fit_abc.py [--population 1000] [--generations 8] [--no-pyabc] [--no-readme]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from readme_section import write_between

import hyosan
from hyosan.fit import Observations, Problem
from hyosan.fit.abc import AbcSettings, abc_smc
from hyosan.fit.abc_kernel import run_batch

HERE = Path(__file__).parent
BEGIN, END = "<!-- bench_fit_abc:begin -->", "<!-- bench_fit_abc:end -->"
TIMES = np.round(np.arange(0.5, 5.01, 0.5), 10)
PRIOR = (0.0, 0.05)


def data() -> tuple[hyosan.Model, dict[str, np.ndarray]]:
    model = hyosan.load("munz-szr")
    for seed in range(100):
        ds = model.run(engine="ssa", t_end=5, every=0.5, replicates=1, seed=seed, workers=1)
        if ds.Z.values[0, -1] > 50:
            rows = np.searchsorted(ds.time.values, TIMES)
            return model, {"S": ds.S.values[0, rows].astype(float), "Z": ds.Z.values[0, rows].astype(float)}
    raise RuntimeError("no outbreak in 100 seeds")


def run_hyosan(model, obs, population: int, generations: int, workers: int) -> dict:
    frame = {"time": TIMES, **obs}
    problem = Problem(model, Observations.from_frame(frame), {"beta": "uniform(0, 0.05)", "alpha": "uniform(0, 0.05)"},
                      engine="ssa")  # fmt: skip
    settings = AbcSettings(population=population, generations=generations, min_acceptance=0.0)
    abc_smc(problem, AbcSettings(population=50, generations=2), seed=1, workers=1)  # compile / load the kernel
    t0, c0 = time.perf_counter(), _cpu()
    res = abc_smc(problem, settings, seed=2, workers=workers)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    return {"sims": res.simulations, "wall": wall, "cpu": cpu, "mean": res.mean()}


def run_pyabc(model, obs, population: int, generations: int, workers: int) -> dict:
    import pyabc

    P0 = np.array([[q.value for q in model.parameters]])
    X0 = np.array([model.initial], dtype=np.int64)
    ib, ia = [q.name for q in model.parameters].index("beta"), [q.name for q in model.parameters].index("alpha")
    times = np.concatenate([[0.0], TIMES])
    state = {}

    def simulate(par):
        rng = state.get(os.getpid())
        if rng is None:
            rng = state[os.getpid()] = np.random.default_rng(os.getpid())
        p = P0.copy()
        p[0, ib], p[0, ia] = par["beta"], par["alpha"]
        out = run_batch(model, "ssa", rng, X0, p, times)[0]
        return {"S": out[1:, 0].astype(float), "Z": out[1:, 1].astype(float)}

    simulate({"beta": 0.01, "alpha": 0.005})
    prior = pyabc.Distribution(beta=pyabc.RV("uniform", *PRIOR), alpha=pyabc.RV("uniform", *PRIOR))
    abc = pyabc.ABCSMC(
        simulate,
        prior,
        pyabc.PNormDistance(p=2),
        population_size=population,
        sampler=pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers),
    )
    with tempfile.TemporaryDirectory() as tmp:
        abc.new(f"sqlite:///{tmp}/pyabc.db", obs)
        t0, c0 = time.perf_counter(), _cpu()
        history = abc.run(max_nr_populations=generations)
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
        frame, w = history.get_distribution()
        mean = np.array([(frame["beta"] * w).sum(), (frame["alpha"] * w).sum()])
        sims = int(history.total_nr_simulations)
    return {"sims": sims, "wall": wall, "cpu": cpu, "mean": mean}


def _cpu() -> float:
    """CPU seconds of this process and of its reaped children (pool workers are joined at the end)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _row(label: str, r: dict) -> str:
    return (
        f"| {label} | {r['sims']:,} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['sims'] / r['wall']:,.0f} | "
        f"{r['sims'] / r['cpu']:,.0f} | {r['mean'][0]:.4f}, {r['mean'][1]:.4f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=1000)
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--no-pyabc", action="store_true")
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    model, obs = data()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = [
        "| run | simulations | wall s | CPU s | simulations/s (wall) | per CPU-second | posterior mean beta, alpha |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    results = {}
    for workers in sorted({1, cores}):
        r = run_hyosan(model, obs, args.population, args.generations, workers)
        results[f"hyosan {workers}"] = r
        rows.append(_row(f"hyosan ABC-SMC, {workers} worker{'s' if workers > 1 else ''}", r))
    ratio = ""
    if not args.no_pyabc:
        try:
            r = run_pyabc(model, obs, args.population, args.generations, cores)
        except ImportError:
            rows.append("| pyabc | not installed (pip install -e '.[bench-fit]') | | | | | |")
        else:
            ours = results[f"hyosan {cores}"]
            ratio = (
                f" hyosan / pyabc on {cores} cores: **{(ours['sims'] / ours['wall']) / (r['sims'] / r['wall']):.0f}×**."
            )
            rows.append(_row(f"pyabc {_pyabc_version()} (MulticoreEvalParallelSampler, {cores} procs)", r))
    text = "\n".join([
        BEGIN,
        "## `python benchmarks/bench_fit_abc.py [--population 1000] [--generations 8] [--no-pyabc]`",
        "",
        f"ABC-SMC on munz-szr (N = 500, ssa; S and Z at 10 times; beta, alpha fitted), {args.population} "
        f"particles, {args.generations} generations, one run on {cores} cores (load average at the start: "
        f"{load}). The issue's target is 10,000 simulations/s on 2 cores; on a shared machine the wall-clock "
        f"rate depends on the others' load, the rate per CPU-second (parent and workers) much less.{ratio} "
        "Posterior means differ between the two because the runs are separate draws with different kernels "
        "and epsilon schedules (true values: beta 0.0095, alpha 0.005); after 8 generations neither is "
        "converged (epsilon is still large; see abc_convergence.py below).",
        "",
        *rows,
        END,
    ])  # fmt: skip
    print(text)
    if not args.no_readme:
        write_between(BEGIN, END, text)


def _pyabc_version() -> str:
    import pyabc

    return pyabc.__version__


if __name__ == "__main__":
    main()
