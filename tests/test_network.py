"""The network engine against exact results: the well-mixed chain on complete graphs, the EBCM final
size on configuration-model graphs, single-edge probabilities; determinism; refusals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import hyosan
from hyosan.analysis.ebcm import final_size, transmissibility
from hyosan.compartmental.model import Model
from hyosan.errors import EngineError
from hyosan.graphs import from_edges, graph


def _sir_exact(n: int, i0: int, r: float, g: float) -> np.ndarray:
    """P(final recovered = m), m = 0..n, of the well-mixed chain with rates r*S*I and g*I (embedded chain)."""
    p = np.zeros((n + 1, n + 1))
    p[n - i0, i0] = 1.0
    final = np.zeros(n + 1)
    for s in range(n, -1, -1):
        for i in range(n - s, -1, -1):
            q = p[s, i]
            if q == 0.0:
                continue
            if i == 0:
                final[n - s] += q
                continue
            up = r * s / (r * s + g)
            if s:
                p[s - 1, i + 1] += q * up
            p[s, i - 1] += q * (1 - up)
    return final


def _chi2(observed: np.ndarray, expected_p: np.ndarray) -> float:
    """p-value of a chi-square test, bins with fewer than 5 expected pooled into their neighbour."""
    expected = expected_p * observed.sum()
    obs, exp, o, e = [], [], 0.0, 0.0
    for a, b in zip(observed, expected, strict=True):
        o, e = o + a, e + b
        if e >= 5:
            obs.append(o)
            exp.append(e)
            o = e = 0.0
    obs[-1] += o
    exp[-1] += e
    return float(stats.chisquare(obs, exp).pvalue)


def test_complete_graph_sir_matches_the_exact_well_mixed_final_size_distribution():
    # sir's infection is beta*S*I/N, so the per-edge rate is beta / mean degree = beta / (n - 1) on K_n:
    # the exact chain to compare with has infection rate beta/(n-1) * S * I.
    n, beta, gamma = 12, 0.3, 0.1
    model = hyosan.load("sir").with_values(S=n - 1, I=1, R=0)
    ds = model.run(engine="network", graph=f"complete:n={n}", t_end=2000, replicates=3000, seed=5, workers=1)
    final = ds["R"].isel(time=-1).values
    assert (ds["I"].isel(time=-1).values == 0).all()
    observed = np.bincount(final, minlength=n + 1)
    exact = _sir_exact(n, 1, beta / (n - 1), gamma)
    # 3000 replicates: a chi-square test at the 0.1% level fails by chance once in a thousand seeds
    assert _chi2(observed, exact) > 1e-3


def _zombie_exact(n: int, z0: int, bite: float, kill: float) -> dict[tuple[int, int], float]:
    """Final (S, Z) of the well-mixed chain S+Z->2Z (bite*S*Z), S+Z->S+R (kill*S*Z) from (n - z0, z0)."""
    p = {(n - z0, z0): 1.0}
    final: dict[tuple[int, int], float] = {}
    for total in range(n, -1, -1):  # s + z never grows: bite keeps it, kill lowers it
        for s in range(total, -1, -1):
            z = total - s
            q = p.pop((s, z), 0.0)
            if not q:
                continue
            if s == 0 or z == 0:
                final[(s, z)] = final.get((s, z), 0.0) + q
                continue
            b = bite / (bite + kill)
            p[(s - 1, z + 1)] = p.get((s - 1, z + 1), 0.0) + q * b
            p[(s, z - 1)] = p.get((s, z - 1), 0.0) + q * (1 - b)
    return final


def test_complete_graph_zombies_bite_and_are_destroyed_as_in_the_exact_chain():
    # the two zombie pair transitions change opposite ends of an edge: S->Z next to Z, Z->R next to S
    model = Model.from_dict(
        {
            "compartments": {"S": "humans", "Z": "zombies", "R": "removed"},
            "parameters": {"b": 0.02, "a": 0.015},
            "initial": {"S": 9, "Z": 1, "R": 0},
            "infected": ["Z"],
            "transitions": [
                {"reaction": "S + Z -> Z + Z", "rate": "b*S*Z", "name": "bite"},
                {"reaction": "S + Z -> S + R", "rate": "a*S*Z", "name": "destroyed"},
            ],
        }
    )
    ds = model.run(
        engine="network", graph="complete:n=10", edge_rates={"bite": 0.2, "destroyed": 0.15},
        t_end=1000, replicates=3000, seed=2, workers=1,
    )  # fmt: skip
    s, z = ds["S"].isel(time=-1).values, ds["Z"].isel(time=-1).values
    exact = _zombie_exact(10, 1, 0.2, 0.15)
    keys = sorted(exact)
    assert set(zip(s.tolist(), z.tolist(), strict=True)) <= set(keys)
    observed = np.array([np.sum((s == a) & (z == b)) for a, b in keys], dtype=float)
    assert _chi2(observed, np.array([exact[k] for k in keys])) > 1e-3


def test_one_weighted_edge_transmits_before_recovery_with_the_competing_exponential_probability():
    # one S--I edge of weight w: infection at rate r*w competes with recovery at g
    g = from_edges(np.array([0]), np.array([1]), 2, np.array([2.5]))
    model = hyosan.load("sir").with_values(S=1, I=1, R=0)
    reps = 4000
    ds = model.run(engine="network", graph=g, edge_rates={"infection": 0.04}, t_end=500, replicates=reps, seed=9)
    hit = (ds["R"].isel(time=-1).values == 2).mean()
    p = 0.04 * 2.5 / (0.04 * 2.5 + 0.1)
    assert abs(hit - p) < 4 * np.sqrt(p * (1 - p) / reps)  # 4 binomial standard errors


def test_sir_on_a_configuration_graph_matches_the_ebcm_final_size():
    n, k, tau, gamma, seeds = 20000, 4, 0.1, 0.1, 20
    g = graph(f"config:n={n},k={k}")
    model = hyosan.load("sir")
    ds = model.run(
        engine="network", graph=g, edge_rates={"infection": tau}, seed_nodes=f"random:{seeds}",
        t_end=1000, replicates=8, seed=3, workers=1,
    )  # fmt: skip
    attack = ds["R"].isel(time=-1).values / n
    theory = final_size(g.degrees, transmissibility(tau, gamma), seeds / n).attack
    se = attack.std(ddof=1) / np.sqrt(len(attack))
    # 4 standard errors of the mean over replicates, plus 1/sqrt(n) for the finite graph (EBCM is n -> inf)
    assert abs(attack.mean() - theory) < 4 * se + 1 / np.sqrt(n), (attack, theory)


def test_same_seed_same_result_with_one_or_two_workers():
    model = hyosan.load("sir")
    runs = [
        model.run(engine="network", graph="er:n=3000,k=6", t_end=100, replicates=4, seed=11, workers=w) for w in (1, 2)
    ]
    for c in "SIR":
        np.testing.assert_array_equal(runs[0][c].values, runs[1][c].values)
    np.testing.assert_array_equal(runs[0]["t_final"].values, runs[1]["t_final"].values)


def test_the_graph_sets_the_population_and_seed_nodes_choose_who_starts_infected():
    g = graph("ba:n=500,m=2")
    model = hyosan.load("sir")
    ds = model.run(engine="network", graph=g, seed_nodes="degree:3", t_end=1, every=1, seed=1)
    first = ds.isel(time=0, replicate=0)
    assert int(first["S"]) == 497 and int(first["I"]) == 3
    ds = model.run(engine="network", graph=g, seed_nodes="ids:0,1", t_end=1, every=1, seed=1)
    assert int(ds["I"].isel(time=0, replicate=0)) == 2
    ds = model.run(engine="network", graph=g, t_end=1, every=1, seed=1)
    first = ds.isel(time=0, replicate=0)
    assert int(first["S"]) == 490 and int(first["I"]) == 10  # sir's I=10, S the rest


def _model(rate: str, reaction: str = "S + I -> I + I") -> Model:
    return Model.from_dict(
        {
            "compartments": {"S": "s", "I": "i", "R": "r"},
            "parameters": {"beta": 0.3, "gamma": 0.1},
            "initial": {"S": 90, "I": 10, "R": 0},
            "infected": ["I"],
            "transitions": [
                {"reaction": reaction, "rate": rate, "name": "infection"},
                {"reaction": "I -> R", "rate": "gamma*I", "name": "recovery"},
            ],
        }
    )


@pytest.mark.parametrize(
    ("rate", "reaction", "words"),
    [
        ("beta*S*I/(1 + I)", "S + I -> I + I", "--edge-rate infection=VALUE"),
        ("beta*S*I*t", "S + I -> I + I", "--edge-rate infection=VALUE"),
        ("beta*S*S/N", "S -> I", "per-capita"),
        ("beta*S*R", "S -> I", "per-capita"),
        ("beta", "-> S", "neither a node transition"),
        ("beta*S*I", "S + I -> I", "neither a node transition"),
    ],
)
def test_rates_the_graph_cannot_honour_are_refused_in_one_line(rate, reaction, words):
    with pytest.raises(EngineError) as err:
        _model(rate, reaction).run(engine="network", graph="er:n=100,k=4", t_end=10)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_mass_action_and_override_rules():
    from hyosan.engines.network.rules import tables

    tb = tables(_model("beta*S*I"), 100, 4.0)
    assert tb.pair_rate[0, 1, 0] == pytest.approx(0.3 * 100 / 4)
    tb = tables(_model("beta*S*I/N"), 100, 4.0, {"infection": 0.7})
    assert tb.pair_rate[0, 1, 0] == 0.7
    with pytest.raises(EngineError, match="no transition 'infectoin'"):
        tables(_model("beta*S*I/N"), 100, 4.0, {"infectoin": 0.7})


def test_options_that_cannot_be_honoured_are_refused():
    model = hyosan.load("sir")
    with pytest.raises(EngineError, match="give the contact graph"):
        model.run(engine="network", t_end=10)
    with pytest.raises(EngineError, match="places 10 nodes"):
        model.run(engine="network", graph="complete:n=5", t_end=10)
    with pytest.raises(EngineError, match="random:K"):
        model.run(engine="network", graph="complete:n=50", seed_nodes="some:3", t_end=10)
    with pytest.raises(EngineError, match="from 0 to 49"):
        model.run(engine="network", graph="complete:n=50", seed_nodes="ids:3,70", t_end=10)
    with pytest.raises(EngineError, match="adds 5 to I from nowhere"):
        add = {"name": "add", "at": 1, "set": {"I": "I + 5"}, "changes_total": True}
        model.with_interventions([add]).run(engine="network", graph="complete:n=50", t_end=10)


def test_cli_runs_on_a_graph_and_refuses_a_bad_one_without_output(cli, tmp_path):
    done = cli("run", "sir", "--engine", "network", "--graph", "er:n=2000,k=8", "--edge-rate", "infection=0.05",
               "--seed-nodes", "random:5", "--t-end", "50", "--out", str(tmp_path / "ok"), "--no-plot")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ok" / "timeseries.csv").exists()
    bad = tmp_path / "loop.csv"
    bad.write_text("0,1\n1,1\n")
    done = cli("run", "sir", "--engine", "network", "--graph", str(bad), "--out", str(tmp_path / "no"))
    assert done.returncode == 2 and "self-loop" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "no").exists()


def test_ebcm_reduces_to_the_classical_final_size_for_poisson_degrees():
    from scipy.optimize import brentq

    k, T = 6.0, 0.4
    support = np.arange(60)
    counts = np.round(stats.poisson.pmf(support, k) * 1e7).astype(np.int64)
    degrees = np.repeat(support, counts)  # the Poisson law to 1e-7, as a degree sequence
    z = brentq(lambda z: 1 - np.exp(-T * k * z) - z, 1e-9, 1)
    found = final_size(degrees, T)
    assert found.attack == pytest.approx(z, abs=1e-5) and found.r0 == pytest.approx(T * k, rel=1e-5)
    assert final_size(degrees, 0.9 / k).attack == 0.0  # below the threshold R0 = 1 no large outbreak


def test_cli_analyze_on_a_graph_gives_network_r0_and_final_size(cli):
    import json

    done = cli("analyze", "sir", "--graph", "config:n=5000,k=4", "--edge-rate", "infection=0.1", "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["transmissibility"] == pytest.approx(0.5)
    assert found["network_R0"] == pytest.approx(0.5 * 3, rel=0.01)  # regular k=4: excess degree 3
    done = cli("analyze", "munz-szr", "--graph", "er:n=500,k=4", "--json")
    assert done.returncode == 0 and "not given" in json.loads(done.stdout)["ebcm"]


def test_node_events_add_up_to_the_counts_and_form_a_transmission_tree(cli, tmp_path):
    from hyosan.engines.network.engine import node_events_frame

    ds = hyosan.load("sir").run(engine="network", graph="er:n=400,k=6", replicates=2, node_events=True, seed=3)
    frame = node_events_frame(ds)
    for rep, events in frame.groupby("replicate"):
        final = ds.isel(replicate=rep, time=-1)
        assert (events["to"] == "R").sum() == int(final["R"])
        infections = events[events["to"] == "I"]
        assert (infections["by"] >= 0).all() and (events[events["to"] == "R"]["by"] == -1).all()
        # each infector was infectious at that moment: infected before (or at t = 0) and not yet recovered
        got_i = dict(zip(infections["node"], infections["time"], strict=True))
        got_r = dict(zip(events[events["to"] == "R"]["node"], events[events["to"] == "R"]["time"], strict=True))
        for _, row in infections.iterrows():
            assert got_i.get(row["by"], 0.0) < row["time"] < got_r.get(row["by"], np.inf)
    done = cli("run", "sir", "--engine", "network", "--graph", "er:n=300,k=4", "--node-events", "--no-plot",
               "--out", str(tmp_path / "ne"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ne" / "node_events.parquet").exists()
    done = cli("run", "sir", "--engine", "ssa", "--node-events", "--out", str(tmp_path / "no"))
    assert done.returncode == 2 and "--node-events: only for models on --engine network" in done.stderr
