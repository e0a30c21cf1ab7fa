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
