"""Events on integer populations: moves conserve the total exactly and are drawn once.

``set: {I: "0.5*I", R: "R + 0.5*I"}`` moves each infectious individual to R independently with
probability 1/2, so the moved count is Binomial(I, 1/2) and S + I + R never changes. An event
that changes the total must say so (``changes_total: true``), on every engine.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import hyosan
from hyosan.compartmental.model import Model
from hyosan.engines import ode, ssa, tau
from hyosan.errors import EngineError, ModelError
from hyosan.results import time_grid

Z_TOL = 4.5


def sir_with(event: dict, **initial: int) -> Model:
    return Model.from_dict(
        {
            "compartments": ["S", "I", "R"],
            "parameters": {"beta": 0.3, "gamma": 0.1, "f": 0.5},
            "initial": {"S": 1000, "I": 1000, "R": 0} | initial,
            "transitions": ["S + I -> I + I @ beta*S*I/N", "I -> R @ gamma*I"],
            "events": [event],
        },
        source="moves.yaml",
    )


MOVE = {"name": "treat", "at": [5.0], "set": {"I": "(1 - f)*I", "R": "R + f*I"}}


@pytest.mark.parametrize("engine", [ssa, tau])
def test_move_conserves_the_total_on_every_replicate(engine) -> None:
    ds = engine.run(sir_with(MOVE), time_grid(20, 1), seed=1, replicates=100, workers=1)
    total = ds["S"] + ds["I"] + ds["R"]
    assert np.all(total.values == 2000)


def test_moved_count_is_binomial() -> None:
    """With no transitions (beta = gamma = 0) the event alone acts: R(5) ~ Binomial(1000, 1/2)."""
    model = sir_with(MOVE).with_values(beta=0.0, gamma=0.0)
    reps = 2000
    ds = ssa.run(model, time_grid(6, 1), seed=2, replicates=reps, workers=1)
    moved = ds["R"].sel(time=5.0).values
    assert np.all(ds["I"].sel(time=5.0).values + moved == 1000)
    assert abs(moved.mean() - 500) <= Z_TOL * math.sqrt(250 / reps)
    assert moved.var(ddof=1) == pytest.approx(250, rel=0.15)  # SE of a variance: 250*sqrt(2/reps) = 3%
    bins = np.arange(470, 531, 10)
    observed = np.histogram(moved, bins=[0, *bins, 1001])[0]
    cdf = stats.binom.cdf([-1, *(bins - 1), 1000], 1000, 0.5)
    assert stats.chisquare(observed, np.diff(cdf) * reps).pvalue > 1e-3


def test_three_way_split_is_multinomial() -> None:
    event = {"at": [1.0], "set": {"I": "0.2*I", "R": "R + 0.5*I", "S": "S + 0.3*I"}}
    model = sir_with(event).with_values(beta=0.0, gamma=0.0)
    ds = ssa.run(model, time_grid(2, 1), seed=3, replicates=1000, workers=1)
    after = ds.sel(time=1.0)
    assert np.all(after["S"] + after["I"] + after["R"] == 2000)
    for c, share, base in (("I", 0.2, 0), ("R", 0.5, 0), ("S", 0.3, 1000)):
        v = after[c].values - base
        assert abs(v.mean() - 1000 * share) <= Z_TOL * math.sqrt(1000 * share * (1 - share) / 1000)


def test_undeclared_change_of_total_is_refused_at_load(tmp_path: Path) -> None:
    for sets, fragment in [
        ({"I": "0.5*I"}, "turns each individual of I into 0.5"),
        ({"I": "I + 10"}, "adds 10 to I"),
        ({"I": "0.5*I", "R": "R + 0.7*I"}, "into 1.2"),
        ({"I": "I*S/N"}, "not a linear"),
    ]:
        with pytest.raises(ModelError, match=rf"moves\.yaml.*event 'x' changes the number.*{fragment}.*changes_total"):
            sir_with({"name": "x", "at": [1.0], "set": sets})
    path = tmp_path / "m.yaml"
    path.write_text(
        "compartments: [S, I, R]\ninitial: {S: 10, I: 5}\ntransitions: ['I -> R @ 0.1*I']\n"
        "events:\n  - {at: [1], set: {I: '0'}}\n"
    )
    with pytest.raises(ModelError, match=r"m\.yaml:5 \(events\[0\]\): .*changes the number"):
        hyosan.load(str(path))


def test_set_that_breaks_conservation_is_refused() -> None:
    with pytest.raises(ModelError, match=r"event 'treat' changes the number.*takes from I more than I has"):
        sir_with(MOVE).with_values(f=1.2)


def test_declared_removal_is_binomial_and_the_same_on_ode() -> None:
    cull = {"at": [1.0], "set": {"I": "0.25*I"}, "changes_total": True}
    model = sir_with(cull).with_values(beta=0.0, gamma=0.0)
    ds = ssa.run(model, time_grid(2, 1), seed=4, replicates=1000, workers=1)
    kept = ds["I"].sel(time=1.0).values
    assert abs(kept.mean() - 250) <= Z_TOL * math.sqrt(1000 * 0.25 * 0.75 / 1000)
    assert ode.run(model, time_grid(2, 1))["I"].sel(time=1.0).item() == pytest.approx(250)


def test_parameter_change_that_breaks_conservation_is_refused_mid_run() -> None:
    model = Model.from_dict(
        {
            "compartments": ["S", "I", "R"],
            "parameters": {"f": 0.5, "g": 0.5},
            "initial": {"S": 10, "I": 10},
            "transitions": ["I -> R @ 0.1*I"],
            "events": [{"name": "x", "at": [1.0], "set": {"I": "g*I", "R": "R + f*I"}}],
            "interventions": [{"kind": "set", "at": 0.5, "set": {"g": 0.6}}],
        },
        source="p.yaml",
    )
    with pytest.raises(EngineError, match=r"event 'x' changes the number.*at t=1"):
        ssa.run(model, time_grid(2, 1), seed=0, replicates=1, workers=1)
