"""Paired comparisons: common random numbers make identical arms agree exactly and shrink real intervals."""

from __future__ import annotations

import json

import hyosan
from hyosan.experiments.compare import compare


def test_identical_arms_have_exactly_zero_difference() -> None:
    report = compare(hyosan.load("sir"), {"beta": 0.3}, {"beta": 0.3}, engine="ssa", replicates=60, workers=1)
    for name, s in report["outcomes"].items():
        assert s["difference"] == 0.0 and s["se"] == 0.0, name


def test_common_random_numbers_shrink_the_interval_of_a_real_difference() -> None:
    model = hyosan.load("sir")
    kw = {"engine": "ssa", "replicates": 200, "workers": 1, "seed": 3}
    crn = compare(model, {"beta": 0.3}, {"beta": 0.33}, common=True, **kw)["outcomes"]["final R"]
    ind = compare(model, {"beta": 0.3}, {"beta": 0.33}, common=False, **kw)["outcomes"]["final R"]
    assert crn["difference"] > 0 and ind["difference"] > 0
    assert crn["se"] < 0.5 * ind["se"]
    assert crn["ci_low"] > 0


def test_ode_comparison_is_the_plain_difference() -> None:
    model = hyosan.load("sis")
    report = compare(model, {}, {"beta": 0.4}, engine="ode", t_end=400)
    s = report["outcomes"]["final I"]
    assert s["difference"] == s["mean_b"] - s["mean_a"]
    assert s["mean_b"] == __import__("pytest").approx(1000 * (1 - 0.1 / 0.4), rel=1e-6)


def test_cli_compare_json(cli) -> None:
    res = cli("compare", "sir", "--vs", "beta=0.35", "--engine", "ode", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["b"] == {"beta": 0.35} and report["outcomes"]["final R"]["difference"] > 0
    res = cli("compare", "sir", "--engine", "ode")
    assert res.returncode == 2 and "--vs" in res.stderr


def test_the_horizon_is_honoured_for_models_and_scenarios() -> None:
    from hyosan.experiments.compare import compare_scenario

    report = compare(hyosan.load("sis"), {}, {"beta": 0.4}, engine="ode", t_end="12h")
    assert (report["t_end"], report["time_unit"]) == (0.5, "days")
    report = compare_scenario("off-limits", {}, {"infection.bite_probability": 0.2}, replicates=2, t_end="7min")
    assert (report["t_end"], report["time_unit"]) == (7.0, "minutes") and report["replicates"] == 2


def test_options_that_would_be_ignored_are_refused() -> None:
    import pytest

    from hyosan.errors import HyosanError
    from hyosan.experiments.compare import compare_scenario

    with pytest.raises(HyosanError, match=r"^replicates=50: the ode engine is deterministic") as error:
        compare(hyosan.load("sis"), {}, {"beta": 0.4}, engine="ode", replicates=50)
    assert "--" not in str(error.value)
    with pytest.raises(HyosanError, match=r"^engine ssa: scenario off-limits runs on the agent engine"):
        compare_scenario("off-limits", {}, {"infection.bite_probability": 0.2}, replicates=2, engine="ssa")


def test_cli_refuses_what_it_would_ignore_in_one_line(cli, tmp_path) -> None:
    cases = [
        (["compare", "sir", "--vs", "beta=0.35", "--engine", "ode", "--replicates", "50"], "--replicates: the ode"),
        (["compare", "sir", "--vs", "beta=0.35", "--engine", "ode", "--seed", "3"], "--seed: the ode"),
        (["compare", "off-limits", "--vs", "infection.bite_probability=0.2", "--engine", "ssa"], "--engine ssa"),
        (["compare", "off-limits", "--vs", "infection.bite_probability=0.2", "--t-end", "0.1s"], "--t-end"),
        (["run", "sir", "--seed", "3", "--out", str(tmp_path / "o")], "--seed: the ode"),
        (["run", "sir", "--workers", "2", "--out", str(tmp_path / "o")], "--workers: the ode"),
        (["sweep", "off-limits", "--vary", "x=1,2", "--outcome", "Z > 0", "--out", str(tmp_path / "o")], "compare"),
        (["sweep", "sir", "--vary", "beta=0.2,0.3", "--outcome", "I > 0", "--engine", "ode"], "--engine ode: a sweep"),
    ]
    for args, needle in cases:
        res = cli(*args)
        lines = res.stderr.strip().splitlines()
        assert res.returncode == 2 and len(lines) == 1 and needle in lines[0], (args, res.stderr)
    assert not (tmp_path / "o").exists()
