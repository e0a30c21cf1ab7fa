"""Time-varying contact graphs (a repeating schedule of snapshots) on the network engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hyosan
from hyosan.errors import EngineError
from hyosan.graphs import GraphError, from_edges
from hyosan.graphs.schedule import Schedule


def _pair_schedule() -> Schedule:
    day = from_edges(np.array([0]), np.array([1]), 2, name="day")
    night = from_edges(np.array([], dtype=np.int64), np.array([], dtype=np.int64), 2, name="night")
    return Schedule([(day, "12h"), (night, "12h")])


def test_an_edge_present_by_day_only_transmits_by_day_with_the_exposure_probability():
    # fixed infectious period 2.25 d from t = 0: the edge exists for 0.5 + 0.5 + 0.25 = 1.25 d of it
    rate, reps = 0.4, 3000
    model = hyosan.load("sir").with_values(S=1, I=1, R=0)
    ds = model.run(
        engine="network", graph=_pair_schedule(), edge_rates={"infection": rate},
        periods={"recovery": "fixed:2.25"}, t_end=3, every=0.05, replicates=reps, seed=4, workers=1,
    )  # fmt: skip
    s = ds["S"].values
    hit = s[:, -1] == 0
    p = 1 - math.exp(-rate * 1.25)
    assert abs(hit.mean() - p) < 4 * math.sqrt(p * (1 - p) / reps)  # 4 binomial standard errors
    # the report after each infection is the first with S = 0: it must close a day window
    first = np.argmax(s[hit] == 0, axis=1)
    t = ds["time"].values[first]
    assert np.all((t - 1e-9) % 1.0 <= 0.5 + 1e-9) and np.all(t <= 2.25 + 0.05 + 1e-9)


def test_a_schedule_needs_explicit_per_edge_rates_and_matching_nodes():
    model = hyosan.load("sir").with_values(S=1, I=1, R=0)
    with pytest.raises(EngineError, match="no single mean degree"):
        model.run(engine="network", graph=_pair_schedule(), t_end=1)
    with pytest.raises(GraphError, match="nodes, but the first snapshot has"):
        Schedule([("complete:n=3", 1), ("complete:n=4", 1)])
    with pytest.raises(GraphError, match="positive"):
        Schedule([("complete:n=3", 0)])


def test_a_timed_parameter_change_switches_the_per_edge_rate_at_its_time():
    # one S--I edge (mean degree 1, so the per-edge rate is beta): beta 0.3 until t = 2, then 0;
    # P(infected) = P(the edge fires before both recovery and t = 2) = r/(r+g) (1 - exp(-(r+g) 2))
    r, g, reps = 0.3, 0.1, 4000
    model = hyosan.load("sir").with_values(S=1, I=1, R=0)
    model = model.with_interventions([{"name": "lockdown", "at": 2, "set": {"beta": 0}}])
    ds = model.run(engine="network", graph="complete:n=2", t_end=50, every=0.5, replicates=reps, seed=6, workers=1)
    s = ds["S"].values
    p = r / (r + g) * (1 - math.exp(-(r + g) * 2))
    hit = (s[:, -1] == 0).mean()
    assert abs(hit - p) < 4 * math.sqrt(p * (1 - p) / reps)  # 4 binomial standard errors
    assert (s[:, ds["time"].values >= 2] == s[:, -1:]).all()  # nobody is infected after the lockdown


def test_interventions_the_network_engine_cannot_apply_are_refused():
    sir = hyosan.load("sir")
    refused = (
        ({"name": "grow", "at": 3, "set": {"I": "2*I"}, "changes_total": True}, "more than one node"),
        ({"name": "panic", "when": "t > 2", "set": {"beta": 0}}, "reads t"),
    )
    for item, words in refused:
        with pytest.raises(EngineError) as err:
            sir.with_interventions([item]).run(engine="network", graph="complete:n=30", t_end=10)
        assert words in str(err.value) and "\n" not in str(err.value)


def test_a_parameter_change_that_an_explicit_per_edge_rate_would_hide_is_refused():
    model = hyosan.load("sir").with_interventions([{"name": "lockdown", "at": 2, "set": {"beta": 0}}])
    with pytest.raises(EngineError, match="'lockdown' sets beta, but transition 'infection'"):
        model.run(engine="network", graph="complete:n=20", edge_rates={"infection": 0.1}, t_end=5)
