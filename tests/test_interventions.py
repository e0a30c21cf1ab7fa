"""Interventions on compartment models fire exactly when declared and mean the same as hand-made runs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

import hyosan
from hyosan.errors import ModelError


def model_with(tmp_path: Path, base: str, interventions: list, drop_events: bool = False, **values):
    from importlib import resources

    data = yaml.safe_load((resources.files("hyosan.data.models") / f"{base}.yaml").read_text())
    if drop_events:
        data.pop("events", None)
    data["interventions"] = interventions
    data["parameters"].update(values)
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return hyosan.load(path)


def test_cull_matches_munz_impulsive_eradication(tmp_path: Path) -> None:
    cull = {"name": "military attack", "every": "2.5d", "until": 10, "cull": {"Z": "k*n"}}
    mine = model_with(tmp_path, "munz-impulsive", [cull], drop_events=True).with_values(beta=0.0095, alpha=0.005)
    munz = hyosan.load("munz-impulsive").with_values(beta=0.0095, alpha=0.005)
    a, b = mine.run(t_end=12, every=0.25), munz.run(t_end=12, every=0.25)
    np.testing.assert_allclose(a.Z.values, b.Z.values, rtol=1e-9, atol=1e-12)
    fired = [f["time"] for f in __import__("json").loads(a.attrs["interventions"])]
    assert fired == [2.5, 5.0, 7.5, 10.0]


def test_quarantine_switched_on_equals_a_two_stage_run(tmp_path: Path) -> None:
    q = {"kind": "quarantine", "at": 30, "set": {"kappa": 0.2, "sigma": 0.3}}
    base = hyosan.load("munz-sizrq").with_values(kappa=0, sigma=0)
    mine = model_with(tmp_path, "munz-sizrq", [q]).with_values(kappa=0, sigma=0)
    ds = mine.run(t_end=60, every=1)
    first = base.run(t_end=30, every=1)
    np.testing.assert_allclose(ds.Z.sel(time=slice(0, 30)).values, first.Z.values, rtol=1e-8)
    state = {c: first[c].isel(time=-1).item() for c in base.compartments}
    second = replace(base.with_values(kappa=0.2, sigma=0.3, **state)).run(t_end=30, every=1)
    np.testing.assert_allclose(ds.Z.sel(time=slice(30, 60)).values, second.Z.values, rtol=1e-6, atol=1e-9)


def test_trigger_fires_when_the_condition_becomes_true(tmp_path: Path) -> None:
    martial_law = {"kind": "kill", "name": "martial law", "when": "Z > 50", "set": {"delta": 0.5}}
    mine = model_with(tmp_path, "munz-szr", [martial_law])
    ds = mine.run(t_end=5, every=0.01)
    (fired,) = __import__("json").loads(ds.attrs["interventions"])
    free = hyosan.load("munz-szr").run(t_end=5, every=0.001)
    crossing = float(np.interp(50.0, free.Z.values.ravel(), free.time.values))
    assert fired["name"] == "martial law"
    assert fired["time"] == pytest.approx(crossing, abs=2e-3)
    before = ds.sel(time=slice(0, fired["time"] - 0.01))
    np.testing.assert_allclose(before.Z.values, free.Z.sel(time=before.time.values, method="nearest").values, rtol=1e-4)
    assert ds.S.isel(time=-1).item() < free.S.isel(time=-1).item()


@pytest.mark.parametrize(
    "item, fragment",
    [
        ({"kind": "nuke", "at": 1, "set": {"delta": 1}}, "unknown kind 'nuke'"),
        ({"kind": "cull", "at": 1, "cull": {"Q": 0.5}}, "unknown compartment 'Q'"),
        ({"kind": "set", "at": 1, "set": {"omega": 1}}, "neither a parameter nor a compartment"),
        ({"kind": "set", "when": "Z < 0", "set": {"delta": 1}}, "can never fire"),
        ({"kind": "set", "when": "Z >= 5", "set": {"delta": 1}}, "one '>' or '<'"),
        ({"kind": "cull", "at": 1}, "needs 'cull"),
        ({"kind": "quarantine", "at": 1, "cull": {"Z": 0.5}}, "sets rate parameters"),
        ({"kind": "sweep", "at": 1, "kill": {"Z": 0.5}}, "is 'cull' now: write cull: {Z: fraction}"),
        ({"at": 1, "kill": {"Z": 0.5}}, "is 'cull' now"),
        ({"at": 1, "seal": {"exits": ["gate"]}}, "'seal' .* is applied by engine abm, not ode, ssa, tau"),
        ({"at": 1, "start": 2, "set": {"delta": 1}}, "'start' goes with 'every'"),
        ({"when": {"count": {"state": "Z", "above": 5}}, "set": {"delta": 1}}, "belong to agent scenarios"),
        ({"at": "2 fortnights", "set": {"delta": 1}}, "not a duration"),
        ({"kind": "set", "at": 1, "every": 2, "set": {"delta": 1}}, "exactly one of"),
        ({"kind": "set", "at": 1, "set": {"delta": "__import__('os')"}}, "not allowed"),
    ],
)
def test_bad_interventions_are_refused_before_the_run(tmp_path: Path, item: dict, fragment: str) -> None:
    with pytest.raises(ModelError, match=fragment.replace("(", r"\(").replace("{", r"\{")):
        model_with(tmp_path, "munz-szr", [item])


def test_trigger_beyond_a_conserved_population_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="can never fire: the population is conserved at 1000"):
        model_with(tmp_path, "alemi-szr", [{"kind": "set", "when": "Z + R > 1000", "set": {"alpha": 1}}])
    model_with(tmp_path, "alemi-szr", [{"kind": "set", "when": "Z + R > 999", "set": {"alpha": 1}}])


def test_contradictory_interventions_are_refused(tmp_path: Path) -> None:
    a = {"kind": "kill", "at": 2, "set": {"delta": 0.1}}
    b = {"kind": "kill", "at": 2, "set": {"delta": 0.3}}
    with pytest.raises(ModelError, match="both set delta at t = 2"):
        model_with(tmp_path, "munz-szr", [a, b])
    model_with(tmp_path, "munz-szr", [a, {**b, "at": 3}])


def test_stochastic_engines_apply_timed_parameter_changes(tmp_path: Path) -> None:
    freeze = {"kind": "set", "name": "freeze", "at": 5, "set": {"beta": 0, "gamma": 0}}
    model = model_with(tmp_path, "sir", [freeze])
    for engine in ("ssa", "tau"):
        ds = model.run(engine=engine, t_end=20, every=1, replicates=20, workers=1, seed=4)
        after = ds.sel(time=slice(5, 20))
        assert (after.I == after.I.isel(time=0)).all(), engine
        assert (ds.I.sel(time=5) != ds.I.sel(time=0)).any(), engine
