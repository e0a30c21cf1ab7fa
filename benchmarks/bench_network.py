"""Network engine speed and memory, side by side with EoN, FastGEMF and epiworld (issue 11).

The peers' workload: SIR on ``networkx.fast_gnp_random_graph(N, 10/(N-1), seed=12345)``, per-edge
rate 0.05/day, recovery 0.1/day, 10 initial infected at random, to extinction. Every engine runs on
the same edge list, each in its own fresh process (so its peak RSS is its own); building each
engine's graph structure is not timed, and hyosan's Numba kernel is compiled first. epiworld steps
in whole days (transmission probability 0.05 per contact-day, recovery 0.1 per day): the same
epidemic approximately, not exactly. Then, hyosan alone: N = 10^7 (the ``er`` generator, 5·10^7
edges) and loading the 5·10^6-edge list of N = 10^6 from CSV and from Parquet. One table from one
run, printed and written into benchmarks/README.md (its own section). Install the peers with
``pip install -e '.[bench-network]'``.

    python benchmarks/bench_network.py [--sizes 100000 1000000] [--no-peers] [--no-huge] [--no-readme]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from itertools import chain
from pathlib import Path

import numpy as np
from readme_section import write_section

TAU, GAMMA, SEEDS, K = 0.05, 0.1, 10, 10
PEERS = ("hyosan", "EoN", "FastGEMF", "epiworld")
HEAD = "## `python benchmarks/bench_network.py"


def _rss_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would include the parent's at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e3
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def _timed(run) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = run()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _initial(n: int) -> np.ndarray:
    return np.random.default_rng(1).choice(n, SEEDS, replace=False)


def worker_hyosan(u: np.ndarray | None, v: np.ndarray | None, n: int) -> dict:
    import hyosan
    from hyosan.engines.network.engine import prepare
    from hyosan.graphs import from_edges, graph

    model, times = hyosan.load("sir"), np.array([0.0, 10_000.0])
    ids = ",".join(map(str, _initial(n)))
    warm = prepare(model, times, graph("er:n=2000,k=10"), seed_nodes="random:10", edge_rates={"infection": TAU})
    warm.replicate(np.random.default_rng(0))
    g, _, build = _timed(lambda: graph(f"er:n={n},k={K}") if u is None else from_edges(u, v, n))
    setup = prepare(model, times, g, seed_nodes=f"ids:{ids}", edge_rates={"infection": TAU})
    out, wall, cpu = _timed(lambda: setup.replicate(np.random.default_rng(1)))
    state = n * (4 * 8 + 8 + 8)  # the kernel's node rows (next event, own clock, state), ss, t_node
    return {
        "wall_s": wall, "cpu_s": cpu, "events": out.fired, "final_R": int(out.values[-1, 2]),
        "graph_state_heap_MB": (g.nbytes + state + 16 * out.heap) / 1e6, "graph_s": build, "edges": g.edges,
    }  # fmt: skip


def worker_eon(u: np.ndarray, v: np.ndarray, n: int) -> dict:
    import EoN
    import networkx as nx

    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
    initial = _initial(n).tolist()
    rec, wall, cpu = _timed(lambda: EoN.fast_SIR(G, TAU, GAMMA, initial_infecteds=initial)[3])
    return {"wall_s": wall, "cpu_s": cpu, "events": int(2 * rec[-1] - SEEDS), "final_R": int(rec[-1])}


def worker_fastgemf(u: np.ndarray, v: np.ndarray, n: int) -> dict:
    import contextlib
    import io

    import fastgemf as fg
    import scipy.sparse as sp

    a = sp.coo_array((np.ones(2 * len(u)), (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()
    schema = (
        fg.ModelSchema("SIR").define_compartment(["S", "I", "R"]).add_network_layer("contacts")
        .add_node_transition(name="recovery", from_state="I", to_state="R", rate="gamma")
        .add_edge_interaction(name="infection", from_state="S", to_state="I", inducer="I",
                              network_layer="contacts", rate="beta")
    )  # fmt: skip
    conf = fg.ModelConfiguration(schema).add_parameter(beta=TAU, gamma=GAMMA).get_networks(contacts=a)
    x0 = np.zeros(n, dtype=int)
    x0[_initial(n)] = 1
    sim = fg.Simulation(conf, initial_condition={"exact": x0}, stop_condition={"time": 1e12}, nsim=1)
    with contextlib.redirect_stdout(io.StringIO()):  # it prints "Loop terminated" at extinction
        _, wall, cpu = _timed(sim.run)
        _, counts, *_ = sim.get_results()
    final = int(counts[2, -1])
    return {"wall_s": wall, "cpu_s": cpu, "events": 2 * final - SEEDS, "final_R": final}


def worker_epiworld(u: np.ndarray, v: np.ndarray, n: int) -> dict:
    from epiworldpy import epimodels

    m = epimodels.ModelSIR("sir", prevalence=SEEDS / n, transmission_rate=TAU, recovery_rate=GAMMA)
    m.verbose_off()
    m.agents_from_edgelist(u.tolist(), v.tolist(), n, False)
    _, wall, cpu = _timed(lambda: m.run(ndays=1000, seed=1))
    final = int(m.get_db().get_today_total()["counts"][2])
    return {"wall_s": wall, "cpu_s": cpu, "events": 2 * final - SEEDS, "final_R": final}


def worker_load(path: str) -> dict:
    """Seconds to load an edge list into a graph (pyarrow and the Numba cache warmed on a small file)."""
    from hyosan.graphs import graph

    small = Path(path).with_name("small" + Path(path).suffix)
    graph(str(small))
    g, wall, cpu = _timed(lambda: graph(path))
    return {"wall_s": wall, "cpu_s": cpu, "edges": g.edges}


WORKERS = {"hyosan": worker_hyosan, "EoN": worker_eon, "FastGEMF": worker_fastgemf, "epiworld": worker_epiworld}


def _spawn(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--worker", *args], capture_output=True, text=True)
    lines = [s for s in done.stdout.splitlines() if s.startswith("{")]
    if done.returncode or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": tail[:120]}
    return json.loads(lines[-1])


def _edges(n: int) -> tuple[np.ndarray, np.ndarray, float]:
    import networkx as nx

    start = time.perf_counter()
    G = nx.fast_gnp_random_graph(n, K / (n - 1), seed=12345)
    ends = np.fromiter(chain.from_iterable(G.edges), dtype=np.int64, count=2 * G.number_of_edges())
    return ends[0::2].copy(), ends[1::2].copy(), time.perf_counter() - start


def _write_lists(tmp: Path, u: np.ndarray, v: np.ndarray) -> list[Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = []
    for name, a, b in (("edges", u, v), ("small", u[:1000], v[:1000])):
        csv = tmp / f"{name}.csv"
        with open(csv, "w") as f:
            f.write("u,v\n")
            np.savetxt(f, np.column_stack([a, b]), fmt="%d", delimiter=",")
        pq.write_table(pa.table({"u": a, "v": b}), tmp / f"{name}.parquet")
        paths += [csv, tmp / f"{name}.parquet"]
    return paths[:2]


def _cell(r: dict | None) -> str:
    if r is None:
        return "-"
    if "error" in r:
        return f"failed: {r['error']}"
    return f"{r['cpu_s']:.2f} s ({r['wall_s']:.2f} s), {r['peak_rss_MB']:,.0f} MB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--no-peers", action="store_true", help="hyosan only")
    ap.add_argument("--no-huge", action="store_true", help="skip N = 10^7")
    ap.add_argument("--no-readme", action="store_true", help="print only; leave benchmarks/README.md alone")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "load":
            out = worker_load(rest[0])
        elif kind == "huge":
            out = worker_hyosan(None, None, int(rest[0]))
        else:
            data = np.load(rest[0])
            out = WORKERS[kind](data["u"], data["v"], int(data["n"]))
        print(json.dumps({**out, "peak_rss_MB": _rss_mb()}))
        return
    load = os.getloadavg()[0]
    peers = PEERS[:1] if args.no_peers else PEERS
    rows: dict[int, dict[str, dict]] = {}
    loads: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            u, v, made = _edges(n)
            path = Path(tmp) / f"g{n}.npz"
            np.savez(path, u=u, v=v, n=n)
            print(f"N={n:,}: {len(u):,} edges (networkx, {made:.1f} s)", flush=True)
            rows[n] = {}
            for peer in peers:
                rows[n][peer] = r = _spawn(peer, str(path))
                print(f"  {peer:9s} {json.dumps(r)}", flush=True)
            if len(u) >= 4_000_000 and not loads:
                for p in _write_lists(Path(tmp), u, v):
                    loads[p.suffix] = r = {**_spawn("load", str(p)), "MB": p.stat().st_size / 1e6}
                    print(f"  load {p.suffix}: {json.dumps(r)}", flush=True)
    if not args.no_huge:
        rows[10_000_000] = {"hyosan": _spawn("huge", "10000000")}
        print(f"N=10,000,000 (er generator): {json.dumps(rows[10_000_000]['hyosan'])}", flush=True)
    text = _report(rows, loads, peers, load)
    print(text)
    if not args.no_readme:
        _write(text)


def _report(rows: dict, loads: dict, peers: tuple, load: float) -> str:
    speedup = "peer CPU / hyosan CPU (" + ", ".join(peers[1:]) + ")" if len(peers) > 1 else "-"
    finals = "final R (" + ", ".join(peers) + ")"
    head = "| N | " + " | ".join(f"{p} CPU (wall), peak RSS" for p in peers) + f" | {speedup} | {finals} |"
    lines = [head, "|" + "---|" * (len(peers) + 3)]
    for n, r in rows.items():
        h = r.get("hyosan", {})
        ratios = [
            f"{r[p]['cpu_s'] / h['cpu_s']:.0f}×" if p in r and "error" not in r[p] and "cpu_s" in h else "-"
            for p in peers[1:]
        ]
        finals = [str(r[p].get("final_R", "-")) if p in r else "-" for p in peers]
        cells = [_cell(r.get(p)) for p in peers]
        lines.append(f"| {n:,} | " + " | ".join(cells) + f" | {', '.join(ratios) or '-'} | {', '.join(finals)} |")
    notes = []
    for n, r in rows.items():
        h = r.get("hyosan", {})
        if "events" in h:
            notes.append(
                f"N = {n:,}: hyosan fired {h['events']:,} events; its graph + node state + heap "
                f"{h['graph_state_heap_MB']:.0f} MB; graph built in {h['graph_s']:.1f} s ({h['edges']:,} edges)."
            )
    for suffix, r in loads.items():
        if "error" not in r:
            notes.append(
                f"Loading the {r['edges']:,}-edge list from {suffix[1:].upper()} ({r['MB']:.0f} MB): "
                f"{r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU."
            )
    body = (
        f"{HEAD} [--sizes 100000 1000000] [--no-peers] [--no-huge]`\n\n"
        "Network engine speed (`network`) beside EoN 2.0 `fast_SIR`, FastGEMF and epiworld (`epiworldpy`,\n"
        "daily steps: approximate), from one run of the script, one core, each engine in its own process\n"
        "(peak RSS is the whole process: interpreter, libraries, graph and state). Workload of issue 11:\n"
        "SIR on `networkx.fast_gnp_random_graph(N, 10/(N-1), seed=12345)`, per-edge rate 0.05/day, recovery\n"
        "0.1/day, 10 initial infected, to extinction; N = 10^7 is hyosan alone on `er:n=10000000,k=10`.\n"
        "hyosan runs SIR on its node-keyed kernel (`engines/network/frontier.py`). CPU seconds are the\n"
        f"comparable figures: the shared 2-core machine had load average {load:.1f} at the start.\n\n"
    )
    return body + "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"


def _write(text: str) -> None:
    write_section(HEAD, text)


if __name__ == "__main__":
    main()
