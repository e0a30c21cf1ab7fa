"""A saved result describes the run that made it: parameters and initial state come from the result."""

from __future__ import annotations

import json

import pytest

import hyosan
from hyosan.errors import HyosanError
from hyosan.results import attr_dict
from hyosan.simulate import summarize

# ssa and tau build their result in the same function (engines.stochastic.run_engine): ssa stands
# for both, sparing the tau kernel's compilation.
RUNS = [("ode", {}), ("ssa", {"replicates": 3})]


@pytest.mark.parametrize(("engine", "options"), RUNS)
def test_result_carries_the_values_it_was_run_with(engine: str, options: dict) -> None:
    ds = hyosan.load("sir").with_values(beta=0.5, S=900, I=7).run(engine, t_end=5, every=1, **options)
    assert ds.attrs["parameter:beta"] == 0.5 and isinstance(ds.attrs["parameter:gamma"], float)
    assert attr_dict(ds, "parameters") == {"beta": 0.5, "gamma": 0.1}
    assert attr_dict(ds, "initial") == {"S": 900.0, "I": 7.0, "R": 0.0}


@pytest.mark.parametrize(("engine", "options"), RUNS)
def test_save_with_the_unmodified_model_reports_the_run_values(tmp_path, engine: str, options: dict) -> None:
    base = hyosan.load("sir")
    ds = base.with_values(beta=0.5, S=900, I=7).run(engine, t_end=5, every=1, **options)
    hyosan.save(ds, base, str(tmp_path / "out"))
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["parameters"]["beta"] == 0.5 and base.parameter_values["beta"] == 0.3
    assert summary["initial"] == {"S": 900.0, "I": 7.0, "R": 0.0}
    assert summary["model"] == "sir" and summary["engine"] == engine


def test_summary_needs_no_model() -> None:
    ds = hyosan.load("munz-szr").with_values(beta=0.01).run(t_end=2, every=1)
    summary = summarize(ds)
    assert summary["model"] == "munz-szr" and summary["parameters"]["beta"] == 0.01
    assert summary["initial"] == {"S": 499.0, "Z": 1.0, "R": 0.0}


def test_save_without_a_model(tmp_path) -> None:
    ds = hyosan.load("sir").with_values(gamma=0.2).run(t_end=3, every=1)
    hyosan.save(ds, out=str(tmp_path / "a"))
    hyosan.save(ds, str(tmp_path / "b"))
    for name in ("a", "b"):
        summary = json.loads((tmp_path / name / "summary.json").read_text())
        assert summary["parameters"]["gamma"] == 0.2


def test_save_refuses_a_model_with_other_compartments(tmp_path) -> None:
    ds = hyosan.load("sir").run(t_end=3, every=1)
    with pytest.raises(HyosanError, match="compartments") as err:
        hyosan.save(ds, hyosan.load("seir"), str(tmp_path / "out"))
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()
