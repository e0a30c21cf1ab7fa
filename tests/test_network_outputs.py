"""The network engine's transmission tree and day/night schedules written as text on the command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hyosan.compartmental.io import load
from hyosan.engines.network.engine import transmission_tree
from hyosan.errors import HyosanError
from hyosan.graphs import from_edges
from hyosan.graphs.schedule import Schedule, parse


def test_the_transmission_tree_of_a_path_is_the_path() -> None:
    path = from_edges(np.arange(7), np.arange(1, 8), 8, name="path")
    model = load("sir").with_values({"I": 0, "beta": 5.0, "gamma": 0.0})
    ds = model.run("network", graph=path, seed_nodes="ids:0", t_end=50, replicates=3, seed=2, workers=1,
                   node_events=True)  # fmt: skip
    tree = transmission_tree(ds)
    for r in range(3):
        mine = tree[tree.replicate == r]
        assert mine.infector.tolist() == list(range(7)) and mine.infected.tolist() == list(range(1, 8))
        assert (np.diff(mine.time) > 0).all() and set(mine["from"]) == {"S"} and set(mine["to"]) == {"I"}


def test_the_transmission_tree_leaves_out_recoveries_and_covers_every_infection() -> None:
    model = load("sir").with_values({"I": 5, "beta": 0.5})
    ds = model.run("network", graph="er:n=400,k=6", t_end=80, replicates=2, seed=1, workers=1, node_events=True)
    tree = transmission_tree(ds)
    for r in range(2):
        infected = int(400 - ds.S.values[r, -1]) - 5
        mine = tree[tree.replicate == r]
        assert len(mine) == infected and mine.infected.is_unique
        assert not set(mine.infected) & set(mine.infector[:1])  # the first infector was a seed


def test_cli_writes_the_tree_and_reads_a_schedule(cli, tmp_path) -> None:
    out = tmp_path / "school"
    done = cli("run", "sir", "--engine", "network", "--graph", "school:hyosan-high@8h; er:n=1111,k=2@16h",
               "--edge-rate", "infection=0.5", "--seed-nodes", "ids:999", "--t-end", "20", "--node-events",
               "--out", str(out), "--no-plot")  # fmt: skip
    assert done.returncode == 0, done.stderr
    tree = pd.read_parquet(out / "transmission_tree.parquet")
    assert len(tree) > 0 and tree.infector.iloc[0] == 999
    bad = cli("run", "sir", "--engine", "network", "--graph", "school:hyosan-high@8h; er:n=10,k=2",
              "--out", str(tmp_path / "no"))  # fmt: skip
    assert bad.returncode == 2 and "SPEC@DURATION" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "no").exists()


def test_a_schedule_transmits_only_while_its_edges_exist() -> None:
    """A complete graph for the first 12 h of each day, no edges for the other 12 h: every infection
    happens in the first half of a day."""
    sched = parse("complete:n=60@12h; er:n=60,k=0@0.5")
    assert isinstance(sched, Schedule) and sched.durations == (0.5, 0.5)
    model = load("sir").with_values({"I": 2, "beta": 0.3, "gamma": 0.05})
    ds = model.run("network", graph=sched, edge_rates={"infection": 0.05}, t_end=30, replicates=3, seed=0,
                   workers=1, node_events=True)  # fmt: skip
    t = transmission_tree(ds).time.to_numpy()
    assert len(t) > 20 and (t % 1.0 < 0.5).all()


@pytest.mark.parametrize("text", ["er:n=10,k=2@", "@8h", "er:n=10,k=2@8h; er:n=11,k=2@8h", "er:n=10,k=2@-1h"])
def test_bad_schedules_are_refused_in_one_line(text: str) -> None:
    with pytest.raises(HyosanError) as err:
        parse(text)
    assert str(err.value).startswith("--graph") and "\n" not in str(err.value)


def test_compare_and_sweep_run_on_the_network(cli, tmp_path) -> None:
    """With beta = 0 only the 5 seeds ever leave S (final R = 5 exactly at t = 200); beta = 0.6 on a
    mean degree of 6 (T = 0.5, R0 = 3) infects most of the graph."""
    import json

    net = ["--engine", "network", "--graph", "er:n=300,k=6", "--set", "I=5", "--t-end", "200", "--workers", "1"]
    done = cli("compare", "sir", *net, "--vs", "beta=0", "--replicates", "10", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["engine"] == "network" and report["outcomes"]["final R"]["mean_b"] == 5.0
    assert report["outcomes"]["final R"]["mean_a"] > 100
    done = cli("sweep", "sir", *net, "--vary", "beta=0,0.6", "--outcome", "R > 5", "--replicates", "10",
               "--out", str(tmp_path / "sw"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert rows["P(R > 5)"].tolist()[0] == 0.0 and rows["P(R > 5)"].tolist()[1] > 0.5
    bad = cli("sweep", "sir", "--graph", "er:n=300,k=6", "--vary", "beta=0,0.6", "--outcome", "R > 5")
    assert bad.returncode == 2 and "--engine network" in bad.stderr
