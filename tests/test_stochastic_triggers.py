"""Triggered interventions on the ssa and tau engines fire at the firing that makes them true.

References: a pure death X -> @ mu*X from 1000 first has X < 500 after its 501st death, at the sum
of independent exponentials of rates mu*k, k = 1000..500, so the trigger time has mean
sum 1/(mu k) and variance sum 1/(mu k)^2, and X is then 499 exactly; on SIR with 10^5 people the
ssa's mean crossing time approaches the ode's, and a trigger fires once, at the first state past
its threshold. Means are tested within 4.5 standard errors (the exact SD, or the sample SD, over
sqrt(replicates)); a variance within 4.5 of its standard errors, sigma^2 sqrt(2/(n-1)) (the
trigger time is a sum of 501 exponentials, close to normal). Seeds are fixed.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from hyosan.compartmental.io import read_yaml
from hyosan.compartmental.model import Model
from hyosan.engines import straight
from hyosan.errors import EngineError

Z_TOL = 4.5


def build(text: str, name: str = "triggers.yaml") -> Model:
    data, where = read_yaml(text, name)
    return Model.from_dict(data, name, where)


def death(rate: str = "mu*X", trigger: str = '{kind: set, name: stop, when: "X < 500", set: {mu: 0}}') -> Model:
    lines = ["compartments: [X]", "parameters: {mu: 1.0}", "initial: {X: 1000}", "transitions:", f"  - X -> @ {rate}"]
    return build("\n".join([*lines, "interventions:", f"  - {trigger}"]) + "\n")


def sir(*interventions: str) -> Model:
    lines = ["compartments: [S, I, R]", "parameters: {beta: 0.5, gamma: 0.25}", "initial: {S: 99000, I: 1000, R: 0}"]
    lines += ["infected: [I]", "transitions:", "  - S + I -> I + I @ beta*S*I/N", "  - I -> R @ gamma*I"]
    return build("\n".join([*lines, "interventions:", *(f"  - {i}" for i in interventions)]) + "\n")


FREEZE = '{kind: set, name: freeze, when: "I > 5000", set: {beta: 0, gamma: 0}}'


@pytest.mark.parametrize("kernel", ["straight", "table", "thinned"])
def test_pure_death_stops_at_499_after_the_exact_time_of_the_501st_death(
    kernel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kernel == "table":
        monkeypatch.setattr(straight, "STRAIGHT_LIMIT", 0)
    model = death("mu*X*(1 + 0*t)" if kernel == "thinned" else "mu*X")
    n = 1000
    ds = model.run("ssa", t_end=3.0, every=1.0, replicates=n, seed=11, workers=1)
    assert (ds.X.values[:, -1] == 499).all()
    fired = ds["t_trigger_0"].values
    mean = sum(1.0 / k for k in range(500, 1001))
    var = sum(1.0 / k**2 for k in range(500, 1001))
    assert abs(fired.mean() - mean) < Z_TOL * math.sqrt(var / n)
    assert abs(fired.var(ddof=1) - var) < Z_TOL * var * math.sqrt(2 / (n - 1))


def test_a_trigger_fires_once_and_one_already_true_fires_at_zero() -> None:
    once = death(trigger='{kind: set, when: "X < 500", set: {mu: 0, X: "X - 100"}, changes_total: true}')
    ds = once.run("ssa", t_end=3.0, every=1.0, replicates=20, seed=2, workers=1)
    assert (ds.X.values[:, -1] == 399).all()  # 499 - 100, and not again although X < 500 still holds
    (summary,) = json.loads(ds.attrs["interventions"])
    assert summary["replicates_fired"] == 20 and summary["time_mean"] == pytest.approx(ds["t_trigger_0"].mean())
    at_zero = death(trigger='{kind: set, when: "X > 10", set: {mu: 0}}')
    ds = at_zero.run("ssa", t_end=3.0, every=1.0, replicates=5, seed=2, workers=1)
    assert (ds["t_trigger_0"].values == 0.0).all() and (ds.X.values == 1000).all()


def test_ssa_crossing_time_matches_the_ode_and_a_triggered_cull_halves_on_average() -> None:
    """Freeze and a cull killing half of I, both on I > 5000: every replicate freezes at I = 5001
    and keeps Binomial(5001, 1/2) of it (mean 2500.5, SD sqrt(5001)/2); the ode fires both at its
    crossing of 5000 and keeps 2500 exactly."""
    cull = '{name: cull, when: "I > 5000", cull: {I: 0.5}}'
    model = sir(FREEZE, cull)
    ode = model.run("ode", t_end=30.0, every=1.0)
    fired = ode.attrs["interventions"]
    fired = json.loads(fired) if isinstance(fired, str) else fired
    assert [f["name"] for f in fired] == ["freeze", "cull"] and fired[0]["time"] == fired[1]["time"]
    assert ode.I.values.ravel()[-1] == pytest.approx(2500.0, rel=1e-6)
    n = 200
    ds = model.run("ssa", t_end=30.0, every=1.0, replicates=n, seed=5, workers=1)
    t_cross = ds["t_trigger_0"].values
    np.testing.assert_array_equal(t_cross, ds["t_trigger_1"].values)
    assert abs(t_cross.mean() - fired[0]["time"]) < Z_TOL * t_cross.std(ddof=1) / math.sqrt(n)
    removed = 100_000 - (ds.S + ds.I + ds.R).values[:, -1]
    np.testing.assert_array_equal(removed, 5001 - ds.I.values[:, -1])  # the cull took only from I = 5001
    assert abs(ds.I.values[:, -1].mean() - 2500.5) < Z_TOL * math.sqrt(5001 / 4 / n)


def test_tau_crossing_is_a_single_transition_and_its_times_match_the_ssa() -> None:
    """Leaps that cross are re-run with exact steps: I freezes at 5001 exactly, as on the ssa, and
    the trigger times of 200 replicates each are one distribution (two-sample KS, fixed seeds)."""
    model = sir(FREEZE)
    tau = model.run("tau", t_end=30.0, every=1.0, replicates=200, seed=7, workers=1)
    ssa = model.run("ssa", t_end=30.0, every=1.0, replicates=200, seed=8, workers=1)
    assert tau.attrs["leaps"] > 100 * 200  # it leapt, mostly
    for ds in (tau, ssa):
        assert (ds.I.values[:, -1] == 5001).all()
    assert stats.ks_2samp(tau["t_trigger_0"].values, ssa["t_trigger_0"].values).pvalue > 1e-3
    already = model.with_values(S=94000, I=6000).run("tau", t_end=5.0, every=1.0, replicates=3, seed=1, workers=1)
    assert (already["t_trigger_0"].values == 0.0).all() and (already.I.values == 6000).all()


def test_a_condition_on_time_is_refused_on_ssa_and_tau() -> None:
    model = death(trigger='{kind: set, when: "t + X > 2000", set: {mu: 0}}')
    for engine in ("ssa", "tau"):
        with pytest.raises(EngineError, match=r"reads t; .* schedule it with 'at'"):
            model.run(engine, t_end=1.0, replicates=1)
