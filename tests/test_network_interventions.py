"""Interventions on the network engine (set, cull, isolate, close; timed and triggered) against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hyosan.compartmental.io import load
from hyosan.engines.network.engine import node_events_frame
from hyosan.errors import HyosanError
from hyosan.graphs import from_edges
from hyosan.interventions import Intervention


def _sir(**values: float):
    return load("sir").with_values({"I": 10, **values})


def _pairs(m: int):
    """``m`` disjoint edges 2i -- 2i+1: mean degree 1, so the per-edge rate of beta*S*I/N is beta."""
    u = np.arange(0, 2 * m, 2)
    return from_edges(u, u + 1, 2 * m, name=f"{m} pairs")


def test_isolating_every_infected_node_stops_transmission() -> None:
    model = _sir(beta=0.6).with_interventions([Intervention("isolate", at=3, isolate={"compartments": ["I"]})])
    ds = model.run("network", graph="er:n=1500,k=10", t_end=40, replicates=3, seed=2, workers=1, node_events=True)
    ev = node_events_frame(ds)
    infections = ev[ev["from"] == "S"]
    assert (infections.time <= 3).sum() > 20  # the epidemic was growing
    assert not (infections.time > 3).any()  # nobody infected after the isolation


def test_isolating_nodes_by_id_cuts_their_edges() -> None:
    star = from_edges(np.zeros(50, dtype=np.int64), np.arange(1, 51), 51, name="star")
    model = load("sir").with_values({"I": 0, "beta": 50.0, "gamma": 0.0})
    model = model.with_interventions([Intervention("iso", at=0, isolate={"nodes": [0]})])
    ds = model.run("network", graph=star, seed_nodes="ids:0", t_end=5, replicates=2, seed=0, workers=1)
    assert (ds.S.values[:, -1] == 50).all()  # the hub infected but isolated from t = 0


def test_closing_every_edge_means_no_transmission() -> None:
    model = _sir(beta=2.0).with_interventions([Intervention("closed", at=0, close={"all": True})])
    ds = model.run("network", graph="er:n=500,k=8", t_end=30, replicates=4, seed=1, workers=1)
    assert (ds.S.values[:, -1] == 490).all()
    assert ((ds.I + ds.R).values[:, -1] == 10).all()


def test_set_of_the_rate_matches_the_piecewise_exact_law() -> None:
    """Each pair: one infected end, never recovering; P(the other infected by t) = 1 - exp(-integral of the
    rate) with beta 0.3 before t = 1 and 1.0 after. 4,000 pairs: tolerance 4 binomial standard errors."""
    m = 4000
    model = load("sir").with_values({"I": 0, "beta": 0.3, "gamma": 0.0})
    model = model.with_interventions([Intervention("up", at=1, set={"beta": 1.0})])
    ds = model.run(
        "network", graph=_pairs(m), seed_nodes=list(range(0, 2 * m, 2)), t_end=3, every=0.5, seed=4, workers=1
    )
    for t in (0.5, 1.0, 1.5, 2.0, 3.0):
        exposure = 0.3 * min(t, 1.0) + 1.0 * max(0.0, t - 1.0)
        p = 1 - math.exp(-exposure)
        got = (int(ds.I.sel(time=t).values[0]) - m) / m
        assert abs(got - p) < 4 * math.sqrt(p * (1 - p) / m), (t, got, p)


def test_a_trigger_fires_at_the_transition_that_makes_it_true_and_replays_exactly() -> None:
    base = _sir(beta=0.6)
    model = base.with_interventions([Intervention("isolate", when="I > 50", isolate={"compartments": ["I"]})])
    kw = {"graph": "er:n=2000,k=10", "t_end": 40, "replicates": 2, "seed": 7, "workers": 1, "node_events": True}
    ds, free = model.run("network", **kw), base.run("network", **kw)
    ev, ev_free = node_events_frame(ds), node_events_frame(free)
    for r in range(2):
        t_hit = float(ds.t_trigger_0.values[r])
        mine, theirs = ev[ev.replicate == r], ev_free[ev_free.replicate == r]
        before = mine[mine.time <= t_hit]
        # the same stream: up to the trigger the run is the run without the intervention, event for event
        assert before.reset_index(drop=True).equals(theirs.iloc[: len(before)].reset_index(drop=True))
        i_now = 10 + (before.to == "I").sum() - (before["from"] == "I").sum()
        last = before.iloc[-1]
        assert i_now == 51 and last.to == "I" and last.time == t_hit  # first moment I > 50
        assert not ((mine.time > t_hit) & (mine["from"] == "S")).any()


def test_cull_thins_binomially_and_removes_the_nodes() -> None:
    """I = 400 culled with f = 0.3 at t = 1, nothing else happening: I after ~ Binomial(400, 0.7);
    200 replicates, tolerance 4 standard errors of the mean."""
    model = load("sir").with_values({"I": 400, "beta": 0.0, "gamma": 0.0})
    model = model.with_interventions([Intervention("cull", at=1, cull={"I": 0.3})])
    ds = model.run("network", graph="er:n=1000,k=4", t_end=2, every=1, replicates=200, seed=3, workers=1)
    after = ds.I.sel(time=2).values
    assert (ds.I.sel(time=0).values == 400).all()
    assert abs(after.mean() - 280) < 4 * math.sqrt(400 * 0.3 * 0.7 / 200)
    assert ((ds.S + ds.I + ds.R).sel(time=2).values == 600 + after).all()


def test_a_move_conserves_the_nodes() -> None:
    model = load("sir").with_values({"I": 300, "beta": 0.0, "gamma": 0.0})
    model = model.with_interventions([Intervention("treat", at=1, set={"I": "0.5*I", "R": "R + 0.5*I"})])
    ds = model.run("network", graph="er:n=1000,k=4", t_end=2, every=1, replicates=100, seed=5, workers=1)
    final = ds.isel(time=-1)
    assert ((final.S + final.I + final.R).values == 1000).all()
    assert abs(final.R.values.mean() - 150) < 4 * math.sqrt(300 * 0.25 / 100)


def test_closing_a_class_of_the_school_cuts_its_edges() -> None:
    from hyosan.graphs import graph

    school = graph("school:hyosan-high")
    members = np.flatnonzero(school.attrs["class"] == "1-1")
    model = load("sir").with_values({"I": 0, "beta": 30.0, "gamma": 0.5})
    model = model.with_interventions([Intervention("close 1-1", at=0, close={"class": ["1-1"]})])
    ds = model.run("network", graph=school, seed_nodes=[int(members[0])], t_end=3, seed=1, workers=1, node_events=True)
    ev = node_events_frame(ds)
    inside = ev[(ev.by >= 0) & np.isin(ev.node, members) & np.isin(ev.by, members)]
    assert len(ev[ev.by >= 0]) > 50 and inside.empty


@pytest.mark.parametrize(
    ("item", "graph", "message"),
    [
        ({"at": 1, "set": {"I": "I + 5"}, "changes_total": True}, "er:n=100,k=4", "adds 5 to I from nowhere"),
        ({"at": 1, "close": {"class": ["1-1"]}}, "er:n=100,k=4", "no node attribute 'class'"),
        ({"at": 1, "close": {"class": ["9-9"]}}, "school:hyosan-high", "no node has class '9-9'"),
        ({"at": 1, "isolate": {"nodes": [5000]}}, "er:n=100,k=4", "node 5000 is not in the graph"),
    ],
)
def test_what_cannot_be_honoured_is_refused_in_one_line(item, graph, message) -> None:
    model = _sir().with_interventions([{"name": "x", **item}])
    with pytest.raises(HyosanError, match=message) as err:
        model.run("network", graph=graph, t_end=5, seed=0, workers=1)
    assert "\n" not in str(err.value)


def test_graph_actions_are_refused_off_the_network() -> None:
    model = _sir().with_interventions([Intervention("iso", at=1, isolate={"compartments": ["I"]})])
    with pytest.raises(HyosanError, match="use --engine network"):
        model.run("ssa", t_end=5)


def test_a_trigger_on_a_zombie_model_replays_exactly_on_the_general_kernel() -> None:
    """Bites and destroyed zombies (Z both causes and suffers pair transitions: the general kernel)."""
    base = load("munz-szr").with_values({"S": 499, "Z": 1})
    model = base.with_interventions([Intervention("army", when="Z > 20", cull={"Z": 0.5})])
    kw = {"graph": "er:n=500,k=8", "t_end": 30, "replicates": 3, "seed": 3, "workers": 1, "node_events": True,
          "edge_rates": {"bite": 0.5, "zombie destroyed": 0.2}}  # fmt: skip
    ds, free = model.run("network", **kw), base.run("network", **kw)
    ev, ev_free = node_events_frame(ds), node_events_frame(free)
    fired = 0
    for r in range(3):
        t_hit = float(ds.t_trigger_0.values[r])
        if math.isnan(t_hit):
            assert free.Z.values[r].max() <= 20
            continue
        fired += 1
        mine = ev[(ev.replicate == r) & (ev.time <= t_hit)]
        culled = mine[mine.to == "removed"]
        before = mine[mine.to != "removed"].reset_index(drop=True)
        theirs = ev_free[ev_free.replicate == r].iloc[: len(before)].reset_index(drop=True)
        assert before.equals(theirs)
        assert 1 + (before.to == "Z").sum() - (before["from"] == "Z").sum() == 21
        assert (culled.time == t_hit).all() and 0 < len(culled) < 21
    assert fired >= 1


def test_isolation_holds_on_every_snapshot_of_a_schedule() -> None:
    from hyosan.graphs.schedule import parse

    sched = parse("complete:n=200@12h; er:n=200,k=6@12h")
    model = _sir(beta=0.3).with_interventions([Intervention("isolate", at=2.25, isolate={"compartments": ["I"]})])
    ds = model.run("network", graph=sched, edge_rates={"infection": 0.02}, t_end=20, replicates=3, seed=1, workers=1,
                   node_events=True)  # fmt: skip
    ev = node_events_frame(ds)
    infections = ev[ev["from"] == "S"]
    assert (infections.time <= 2.25).sum() > 10 and not (infections.time > 2.25).any()


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"isolate": {"nodes": [True]}}, "node ids are whole numbers"),
        ({"isolate": {"compartments": ["Q"]}}, "unknown 'Q'"),
        ({"isolate": {}}, "write isolate"),
        ({"isolate": {"people": [1]}}, "write isolate"),
        ({"close": {"class": []}}, "list the groups to close"),
        ({"close": {"all": "yes"}}, "write all: true"),
        ({"close": "1-3"}, "write close"),
    ],
)
def test_malformed_graph_actions_are_refused_at_load_in_one_line(item, message) -> None:
    with pytest.raises(HyosanError, match=message) as err:
        _sir().with_interventions([{"name": "x", "at": 1, **item}])
    assert "\n" not in str(err.value) and "interventions.0" in str(err.value)


def test_show_names_the_graph_actions() -> None:
    from hyosan.compartmental.describe import describe

    model = _sir().with_interventions(
        [
            Intervention("iso", when="I > 50", isolate={"compartments": ["I"], "nodes": [3]}),
            Intervention("shut", at=2, close={"class": ["1-3"], "all": True}),
        ]
    )
    text = describe(model)
    assert "event 'iso' when I > 50: isolate I; nodes 3 (network)" in text
    assert "event 'shut' at t = 2: close class 1-3; all edges (network)" in text


def test_same_seed_same_result_with_interventions_on_one_or_two_workers() -> None:
    model = _sir(beta=0.6).with_interventions(
        [Intervention("iso", when="I > 50", isolate={"compartments": ["I"]}), Intervention("c", at=3, cull={"I": 0.2})]
    )
    runs = [model.run("network", graph="school:hyosan-high", t_end=20, replicates=4, seed=5, workers=w) for w in (1, 2)]
    for c in ("S", "I", "R", "t_trigger_0", "t_final"):
        np.testing.assert_array_equal(runs[0][c].values, runs[1][c].values)
