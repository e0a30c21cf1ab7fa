"""Network engine speed and memory, side by side with EoN (Epidemics on Networks).

The peers' workload (issue 11): SIR on ``networkx.fast_gnp_random_graph(N, 10/(N-1), seed=12345)``,
per-edge rate 0.05/day, recovery 0.1/day, 10 initial infected at random, to extinction. Both engines
run on the same graph; hyosan's Numba kernel is compiled before timing. Prints, from one run:
seconds of simulation (wall and CPU), events, final size, and the memory of hyosan's graph + state;
then the time to load a 5·10^6-edge CSV list; with ``--huge``, N = 10^7 (er generator) in a fresh
process with its peak RSS. Install the peers with ``pip install -e '.[bench]'``.

    python benchmarks/bench_network.py [--sizes 100000 1000000] [--no-peers] [--huge]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import hyosan
from hyosan.engines.network.engine import prepare
from hyosan.graphs import graph as as_graph

TAU, GAMMA, SEEDS, K = 0.05, 0.1, 10, 10


def hyosan_run(g, seed: int = 1) -> dict:
    """One replicate of the workload on hyosan's kernel (compiled first), timed."""
    model = hyosan.load("sir")
    times = np.array([0.0, 10_000.0])
    setup = prepare(model, times, g, seed_nodes=f"random:{SEEDS}", edge_rates={"infection": TAU})
    setup.replicate(np.random.default_rng(0)) if g.n <= 200_000 else _warm(setup)
    wall, cpu = time.perf_counter(), time.process_time()
    out = setup.replicate(np.random.default_rng(seed))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    cap = max(4 * SEEDS + 1024, 1024)
    while cap < out.heap:
        cap *= 2
    state = g.n * (8 + 8 + 8)  # packed state+stamp, next node-event time, the state handed back
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "events": out.fired,
        "final_R": int(out.values[-1, 2]),
        "graph_MB": g.nbytes / 1e6,
        "state_MB": state / 1e6,
        "heap_MB": cap * 24 / 1e6,
    }


def _warm(setup) -> None:
    small = prepare(hyosan.load("sir"), setup.times, as_graph("er:n=2000,k=10"), edge_rates={"infection": TAU})
    small.replicate(np.random.default_rng(0))


def eon_run(G, seed: int = 1) -> dict:
    import EoN

    rng = np.random.default_rng(seed)
    initial = rng.choice(G.number_of_nodes(), SEEDS, replace=False).tolist()
    wall, cpu = time.perf_counter(), time.process_time()
    recovered = EoN.fast_SIR(G, TAU, GAMMA, initial_infecteds=initial)[3]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall_s": wall, "cpu_s": cpu, "events": int(2 * recovered[-1] - SEEDS), "final_R": int(recovered[-1])}


def load_csv(g) -> dict:
    """Write g's edges (u < v) as CSV and time reading them back into a graph."""
    src = np.repeat(np.arange(g.n), g.degrees)
    keep = src < g.indices
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "edges.csv"
        np.savetxt(path, np.column_stack([src[keep], g.indices[keep]]), fmt="%d", delimiter=",")
        start = time.perf_counter()
        back = as_graph(str(path))
        return {"edges": back.edges, "load_s": time.perf_counter() - start, "MB": path.stat().st_size / 1e6}


HUGE = """
import resource, time, numpy as np, hyosan
from hyosan.engines.network.engine import prepare
from hyosan.graphs import graph
t = time.perf_counter(); g = graph("er:n=10000000,k=10"); built = time.perf_counter() - t
s = prepare(hyosan.load("sir"), np.array([0.0, 1e4]), g, seed_nodes="random:10", edge_rates={"infection": 0.05})
t = time.perf_counter(); out = s.replicate(np.random.default_rng(1)); run = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
print(__import__("json").dumps(
    {"edges": g.edges, "graph_s": built, "run_s": run, "events": out.fired, "peak_rss_MB": rss}
))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--no-peers", action="store_true", help="hyosan only")
    ap.add_argument("--huge", action="store_true", help="also N = 10^7 (er generator), hyosan only")
    args = ap.parse_args()
    import networkx as nx

    from hyosan.graphs.convert import from_networkx

    rows = []
    for n in args.sizes:
        start = time.perf_counter()
        G = nx.fast_gnp_random_graph(n, K / (n - 1), seed=12345)
        made = time.perf_counter() - start
        start = time.perf_counter()
        g = from_networkx(G, name=f"gnp n={n}")
        conv = time.perf_counter() - start
        print(f"N={n:,}: networkx graph {made:.1f} s, {g.edges:,} edges; converted to CSR in {conv:.1f} s", flush=True)
        h = hyosan_run(g)
        print(f"  hyosan {json.dumps(h)}", flush=True)
        e = None
        if not args.no_peers:
            try:
                e = eon_run(G)
                print(f"  EoN    {json.dumps(e)}", flush=True)
            except ImportError:
                print("  EoN not installed (pip install -e '.[bench]')")
        rows.append((n, h, e))
        if g.edges >= 4_000_000:
            c = load_csv(g)
            print(f"  edge list: {c['edges']:,} edges, {c['MB']:.0f} MB CSV loaded in {c['load_s']:.2f} s", flush=True)
        del G
    if args.huge:
        done = subprocess.run([sys.executable, "-c", HUGE], capture_output=True, text=True)
        print("N=10,000,000 (er generator):", done.stdout.strip() or done.stderr.strip().splitlines()[-1])
    print("\n| N | hyosan wall (cpu) | EoN fast_SIR wall (cpu) | ratio (wall) | hyosan graph + state + heap |")
    print("|---|---|---|---|---|")
    for n, h, e in rows:
        peer = f"{e['wall_s']:.2f} s ({e['cpu_s']:.2f} s)" if e else "-"
        ratio = f"{e['wall_s'] / h['wall_s']:.0f}x" if e else "-"
        mem = h["graph_MB"] + h["state_MB"] + h["heap_MB"]
        print(f"| {n:,} | {h['wall_s']:.2f} s ({h['cpu_s']:.2f} s) | {peer} | {ratio} | {mem:.0f} MB |")


if __name__ == "__main__":
    main()
