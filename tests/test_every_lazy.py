"""An ``every`` trigger without ``until`` builds only the times a run can reach, on every engine."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import yaml

import hyosan
from hyosan.agents.scenario import load_scenario
from hyosan.engines.events import schedule
from hyosan.errors import HyosanError
from hyosan.places.patches import Patches

# A decays by a cull of one half every 0.25 days and nothing else moves: after t days (t a multiple of
# the period, the cull at t itself included) A = A0 * 0.5**(4 t), a closed form.
HALVING = {
    "name": "halving",
    "compartments": {"A": "culled", "B": "other"},
    "parameters": {"mu": 0.0},
    "initial": {"A": 4096.0, "B": 1.0},
    "transitions": ["A -> B @ mu*A"],
}


def _model(**trigger) -> hyosan.Model:
    return hyosan.Model.from_dict(HALVING).with_interventions([{"name": "halve", **trigger, "cull": {"A": 0.5}}])


def test_a_tiny_period_without_until_loads_at_once() -> None:
    started = time.process_time()
    model = _model(every=1e-7)  # 10^13 occurrences up to the old implicit end (10^6 days)
    assert time.process_time() - started < 5.0  # generous: building 10^13 times would take hours
    times = model.events[0].times
    assert times[0] == pytest.approx(1e-7) and times[3] == pytest.approx(4e-7)
    assert len(times.upto(1e-6)) == 10
    with pytest.raises(TypeError):
        len(times)  # no end: the length is only known against a run's horizon


def test_ode_fires_every_reachable_time_and_no_other() -> None:
    for t_end in (2.0, 3.0):
        ds = _model(every=0.25).run(engine="ode", t_end=t_end, every=0.25)
        assert float(ds.A.isel(time=-1, replicate=0)) == pytest.approx(4096 * 0.5 ** (4 * t_end), rel=1e-9)


def test_the_schedule_stops_at_the_horizon() -> None:
    model = _model(every=0.5, start=1)
    assert [t for t, _ in schedule(model, 3.0)] == [1.0, 1.5, 2.0, 2.5, 3.0]
    assert [n for _, [(_, n)] in schedule(model, 2.0)] == [1, 2, 3]


def test_ssa_and_tau_halve_at_every_reachable_time() -> None:
    # eight binomial halvings of I = 256 by t = 2 compose to Binomial(256, 1/256): mean 1, variance
    # about 1; over 200 replicates the SE of the mean is 0.071, and the tolerance 0.3 is 4.2 SE
    # (the library's sir with its rates off, whose kernels the suite compiles anyway)
    model = hyosan.load("sir").with_values({"S": 1, "I": 256, "beta": 0.0, "gamma": 0.0})
    model = model.with_interventions([{"name": "halve", "every": 0.25, "cull": {"I": 0.5}}])
    for engine in ("ssa", "tau"):
        ds = model.run(engine=engine, t_end=2.0, every=0.25, replicates=200, seed=1, workers=1)
        assert float(ds.I.isel(time=-1).mean()) == pytest.approx(1.0, abs=0.3)


def test_a_run_that_would_reach_too_many_times_is_refused_in_one_line() -> None:
    model = _model(every=1e-7)
    with pytest.raises(HyosanError, match=r"halve.*every.*until") as e:
        model.run(engine="ode", t_end=1.0)
    assert "\n" not in str(e.value)


def test_patches_fire_every_reachable_time() -> None:
    model = hyosan.Model.from_dict(HALVING)
    places = Patches(names=("a", "b"), population=np.array([4097, 4097]))
    ds = model.run(
        engine="patches", patches=places, method="ode", t_end=2.0, every=0.5,
        interventions=[{"name": "halve", "every": 0.25, "cull": {"A": 0.5}, "patches": ["a"]}],
    )  # fmt: skip
    a0, a = (ds.A_patch.isel(time=k, replicate=0) for k in (0, -1))
    assert float(a.sel(patch="a")) == pytest.approx(float(a0.sel(patch="a")) * 0.5**8, rel=1e-6)
    assert float(a.sel(patch="b")) == pytest.approx(float(a0.sel(patch="b")), rel=1e-6)


def test_a_scenario_every_with_a_far_until_stops_at_the_horizon(tmp_path: Path) -> None:
    legend = "legend: {'#': wall, '.': floor, 'G': {exit: gate}}"
    (tmp_path / "yard.txt").write_text(f"name: yard\nscale: 1.0\n{legend}\n---\n#####\n#...G\n#####\n")
    data = {
        "name": "yard",
        "map": "yard.txt",
        "time": {"step": "1s", "horizon": "20s", "report": "1s"},
        "kinds": {"student": {"speed": "1 m/s", "sight": "3m"}},
        "zombie": {"speed": "1 m/s", "sight": "3m"},
        "population": [{"kind": "student", "count": 1, "at": [1.5, 1.5]}],
        "behaviour": {"humans": "still", "zombies": "still"},
        "interventions": [{"name": "tick", "every": "1s", "until": "100d", "cull": {"zombie": 0.5}}],
    }
    (tmp_path / "yard.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    sc = load_scenario(tmp_path / "yard.yaml")  # 8.64 million times up to 'until'; 20 before the horizon
    assert sc.interventions[0].times == tuple(float(k) for k in range(1, 21))


def test_network_culls_at_every_reachable_time() -> None:
    # I = 512 on a graph where nothing else happens, culled by half every 0.25 days without an end: by
    # t = 1 four binomial culls compose to Binomial(512, 1/16), mean 32, variance 30; over 100
    # replicates the SE of the mean is 0.55, and the tolerance 2.2 is 4 SE
    model = hyosan.load("sir").with_values({"S": 488, "I": 512, "beta": 0.0, "gamma": 0.0})
    model = model.with_interventions([{"name": "halve", "every": 0.25, "cull": {"I": 0.5}}])
    ds = model.run("network", graph="er:n=1000,k=4", t_end=1, every=0.25, replicates=100, seed=2, workers=1)
    assert abs(float(ds.I.isel(time=-1).mean()) - 32) < 2.2
    assert (ds.I.isel(time=1).values < 512).all()


def test_an_events_entry_every_without_until_runs() -> None:
    data = {**HALVING, "events": [{"name": "halve", "every": 0.25, "set": {"A": "0.5*A", "B": "B + 0.5*A"}}]}
    model = hyosan.Model.from_dict(data)
    assert "every 0.25" in str(model.events[0].times)
    ds = model.run(engine="ode", t_end=1.0, every=0.25)
    assert float(ds.A.isel(time=-1, replicate=0)) == pytest.approx(4096 * 0.5**4, rel=1e-9)
