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
