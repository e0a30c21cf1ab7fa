"""Speed of the exact SSA engine: events/s on SIR N = 10^6 against GillesPy2's C++ SSA, cold start,
and an ensemble of 1,000 munz-szr replicates. Run: ``python benchmarks/bench_ssa.py [--runs 5]``.

The SIR is the issue's: S = N - 10, I = 10, beta = 0.3, gamma = 0.1, incidence beta*S*I/N, run to
extinction. Both engines are timed on the simulation only (hyosan's Numba compile and GillesPy2's
C++ build are done before the clock starts); events are counted from each run's final state
(2 * infections + I0 - I_final), the same formula for both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N, I0, BETA, GAMMA, T_END = 1_000_000, 10, 0.3, 0.1, 2000.0


def events_from_final(s_final: float, i_final: float) -> int:
    infections = (N - I0) - s_final
    return int(2 * infections + I0 - i_final)


def bench_hyosan(runs: int) -> list[tuple[int, float]]:
    from hyosan.compartmental.io import load
    from hyosan.engines.stochastic import run_replicate

    model = load("sir").with_values(S=N - I0, I=I0, R=0, beta=BETA, gamma=GAMMA)
    times = np.array([0.0, T_END])
    run_replicate("ssa", model, times, np.random.default_rng(0), 0, {})
    out = []
    for seed in range(1, runs + 1):
        rng = np.random.default_rng(seed)
        start = time.perf_counter()
        rep = run_replicate("ssa", model, times, rng, 0, {})
        elapsed = time.perf_counter() - start
        s, i, _ = rep.values[-1]
        assert rep.fired == events_from_final(s, i)
        out.append((rep.fired, elapsed))
    return out


def bench_gillespy2(runs: int) -> list[tuple[int, float]]:
    import site

    import gillespy2
    from gillespy2 import SSACSolver

    # GillesPy2 builds with the base interpreter (`python -m SCons`), which does not see this venv.
    os.environ["PYTHONPATH"] = os.pathsep.join([*site.getsitepackages(), os.environ.get("PYTHONPATH", "")])

    model = gillespy2.Model(name="sir")
    model.add_parameter(
        [gillespy2.Parameter(name="beta", expression=BETA), gillespy2.Parameter(name="gamma", expression=GAMMA)]
    )
    model.add_parameter(gillespy2.Parameter(name="N", expression=N))
    s = gillespy2.Species(name="S", initial_value=N - I0, mode="discrete")
    i = gillespy2.Species(name="I", initial_value=I0, mode="discrete")
    r = gillespy2.Species(name="R", initial_value=0, mode="discrete")
    model.add_species([s, i, r])
    model.add_reaction(
        [
            gillespy2.Reaction(
                name="infection", reactants={s: 1, i: 1}, products={i: 2}, propensity_function="beta*S*I/N"
            ),
            gillespy2.Reaction(name="recovery", reactants={i: 1}, products={r: 1}, rate="gamma"),
        ]
    )
    model.timespan(np.linspace(0, T_END, 11))
    solver = SSACSolver(model=model)
    model.run(solver=solver, seed=1)
    out = []
    for seed in range(1, runs + 1):
        start = time.perf_counter()
        res = model.run(solver=solver, seed=seed)
        elapsed = time.perf_counter() - start
        out.append((events_from_final(res["S"][-1], res["I"][-1]), elapsed))
    return out


def rate(results: list[tuple[int, float]]) -> tuple[float, float]:
    """Median events/s over runs, and total events / total seconds."""
    per_run = [n / dt for n, dt in results]
    return statistics.median(per_run), sum(n for n, _ in results) / sum(dt for _, dt in results)


def cold_start() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HYOSAN_CACHE": str(Path(tmp) / "h"), "NUMBA_CACHE_DIR": str(Path(tmp) / "nb")}
        cmd = [sys.executable, "-m", "hyosan.cli", "run", "sir", "--engine", "ssa", "--out", str(Path(tmp) / "o")]
        for label in ("cold kernel cache", "warm kernel cache"):
            start = time.perf_counter()
            res = subprocess.run(cmd, env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            status = "ok" if res.returncode == 0 else f"failed: {res.stderr.strip()[-200:]}"
            print(f"  `hyosan run sir --engine ssa`, {label}: {elapsed:.2f} s wall ({status})")


def ensemble() -> None:
    from hyosan.compartmental.io import load
    from hyosan.engines import ssa
    from hyosan.results import time_grid

    model = load("munz-szr")
    times = time_grid(5, 0.01)
    ssa.run(model, times, seed=0, replicates=2, workers=1)
    for workers in sorted({1, os.cpu_count() or 1}):
        start = time.perf_counter()
        ds = ssa.run(model, times, seed=1, replicates=1000, workers=workers)
        elapsed = time.perf_counter() - start
        print(
            f"  1,000 replicates of munz-szr (t_end 5, every 0.01), workers={workers}: {elapsed:.2f} s, "
            f"{ds.attrs['events']:,} events"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per engine (default 5)")
    args = parser.parse_args()
    print(f"SIR N={N:,}, S=N-{I0}, I={I0}, beta={BETA}, gamma={GAMMA}, to extinction; {args.runs} runs each")
    hy = bench_hyosan(args.runs)
    hy_med, hy_all = rate(hy)
    print(f"  hyosan ssa   : {hy_med / 1e6:7.2f} M events/s (median), {hy_all / 1e6:.2f} overall, one core")
    try:
        gp = bench_gillespy2(args.runs)
    except Exception as exc:
        print(f"  GillesPy2 SSACSolver could not run: {type(exc).__name__}: {exc}".splitlines()[0])
    else:
        gp_med, gp_all = rate(gp)
        print(f"  GillesPy2 C++: {gp_med / 1e6:7.2f} M events/s (median), {gp_all / 1e6:.2f} overall")
        print(f"  ratio hyosan / GillesPy2 = {hy_med / gp_med:.2f}x (medians)")
    print("Time to first result from a fresh process:")
    cold_start()
    print("Ensemble:")
    ensemble()


if __name__ == "__main__":
    main()
