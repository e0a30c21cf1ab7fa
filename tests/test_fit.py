"""Fitting: data checks, observables, priors, MLE recovery and interval coverage, MCMC against an
exact posterior, the boarding-school estimates and the command's one-line refusals."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import hyosan
from hyosan.cli import main
from hyosan.fit import FitError, Observations, Problem, fit, parse_prior
from hyosan.fit.mle import maximize
from hyosan.fit.priors import parse_assignments, transform, untransform

BOARDING = "src/hyosan/data/fits/boarding-school.csv"


def sir(**values: float) -> hyosan.Model:
    return hyosan.load("sir").with_values(values)


# ---- priors, data, observables -------------------------------------------------------------
def test_priors_parse_and_refuse():
    p = parse_prior("lognormal(0, 1)", "--prior beta")
    assert p.support == (0.0, math.inf)
    assert p.logpdf(1.0) == pytest.approx(-0.5 * math.log(2 * math.pi))
    assert parse_prior("0:5", "--fit beta").kind == "uniform"
    assert parse_prior("0:", "--fit beta").kind == "flat"
    assert parse_assignments(["beta=uniform(0,2),gamma", "I0"], "--fit") == {"beta": "uniform(0,2)", "gamma": None,
                                                                             "I0": None}  # fmt: skip
    for bad in ("__import__('os')", "lognormal(0)", "uniform(2,1)", "beta(1,2)", "5:1", "normal(0,-1)"):
        with pytest.raises(FitError) as err:
            parse_prior(bad, "--prior x")
        assert "\n" not in str(err.value) and str(err.value).startswith("--prior x")
    lo, hi = np.array([0.0, 0.0, -np.inf]), np.array([1.0, np.inf, np.inf])
    x = np.array([0.3, 7.0, -2.0])
    assert np.allclose(untransform(transform(x, lo, hi), lo, hi), x)


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ("day,I\n1,3\n2,-1\n", ["row 2", "negative"]),
        ("day,I\n2,3\n1,4\n", ["row 2", "sort"]),
        ("day,I\n1,3\n1,4\n", ["row 2", "duplicated"]),
        ("day,I\n1,3\n2,\n", ["row 2", "NaN"]),
        ("day,I\n1,3\n2,x\n", ["row 2", "'x'"]),
    ],
)
def test_bad_data_is_refused_on_one_line(tmp_path, rows, words):
    path = tmp_path / "d.csv"
    path.write_text(rows)
    with pytest.raises(FitError) as err:
        Observations.read(path)
    assert "\n" not in str(err.value) and all(w in str(err.value) for w in words)


def test_observables_sum_and_incidence_match_closed_forms():
    # beta = 0: I decays as I0 exp(-gamma t), so the recoveries in (a, b] are I0 (e^-ga - e^-gb).
    model = sir(beta=0.0, gamma=0.3, S=100, I=50, R=0)
    times = np.array([0.5, 1.0, 2.5, 4.0])
    obs = Observations.from_frame({"t": times, "rec": [1, 1, 1, 1], "IR": [1, 1, 1, 1], "I": [1, 1, 1, 1]})
    p = Problem(model, obs, {"gamma": None}, observe={"rec": "new(I -> R)", "IR": "I + R"})
    sim = p.simulate([0.3])
    edges = np.concatenate([[0.0], times])
    exact = 50 * (np.exp(-0.3 * edges[:-1]) - np.exp(-0.3 * edges[1:]))
    assert np.allclose(sim["rec"], exact, rtol=1e-6)
    assert np.allclose(sim["I"], 50 * np.exp(-0.3 * times), rtol=1e-6)
    assert np.allclose(sim["IR"], 50.0, rtol=1e-7)
    assert np.allclose(Problem(model, obs, {"gamma": None}, observe={"rec": "new(recovery)", "IR": "I"}).simulate(
        [0.3])["rec"], exact, rtol=1e-6)  # fmt: skip


def test_observables_that_the_model_cannot_produce_are_refused():
    obs = Observations.from_frame({"t": [1, 2], "cases": [1, 2]})
    cases = [
        ({}, "names no observable"),
        ({"cases": "new(R -> S)"}, "cannot produce"),
        ({"cases": "Q"}, "Q"),
        ({"cases": "2*I"}, "not a sum"),
        ({"cases": "new(births)"}, "no transition named"),
    ]
    for observe, words in cases:
        with pytest.raises(FitError) as err:
            Problem(sir(), obs, {"beta": None}, observe=observe)
        assert words in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(FitError, match="not a parameter"):
        Problem(sir(), obs, {"bta": None}, observe={"cases": "I"})


def test_initial_condition_keeps_n():
    obs = Observations.from_frame({"t": [1.0], "I": [5]})
    p = Problem(sir(S=990, I=10, R=0), obs, {"I0": None, "beta": None})
    _, x0, _ = p.split([25.0, 0.3])
    assert x0[:3].tolist() == [975.0, 25.0, 0.0]
    assert p.log_likelihood([1001.0, 0.3]) == -math.inf


# ---- maximum likelihood ------------------------------------------------------------------
TRUTH = {"beta": 0.6, "gamma": 0.25}


def synthetic(rng: np.random.Generator) -> Observations:
    model = sir(S=495, I=5, R=0, **TRUTH)
    times = np.arange(2.0, 32.0, 2.0)
    p = Problem(model, Observations.from_frame({"t": times, "I": np.ones_like(times)}), {"beta": None})
    mean = p.simulate([TRUTH["beta"]])["I"]
    return Observations.from_frame({"t": times, "I": rng.poisson(mean)})


def test_mle_recovers_known_parameters():
    obs = synthetic(np.random.default_rng(1))
    r = maximize(Problem(sir(S=495, I=5, R=0), obs, {"beta": None, "gamma": None}), starts=3)
    for name, value in TRUTH.items():
        lo, hi = r.intervals[name]
        assert lo < value < hi
        assert r.estimate[name] == pytest.approx(value, rel=0.1)


def test_profile_intervals_cover_the_truth_95_percent():
    # 120 data sets, beta fitted (a one-dimensional profile keeps this fast): the share of 95%
    # intervals covering the truth has binomial standard error sqrt(.95 × .05 / 120) = 0.020; allow 3 SE.
    rng = np.random.default_rng(2026)
    model = sir(S=495, I=5, R=0, gamma=TRUTH["gamma"])
    hits = []
    for _ in range(120):
        r = maximize(Problem(model, synthetic(rng), {"beta": "0.05:5"}), starts=1)
        hits.append(r.intervals["beta"][0] < TRUTH["beta"] < r.intervals["beta"][1])
    share = np.mean(hits)
    assert abs(share - 0.95) <= 3 * math.sqrt(0.95 * 0.05 / len(hits)), share


def test_boarding_school_matches_the_published_fits():
    model = sir(S=762, I=1, R=0, beta=1.5, gamma=0.5)
    # Least squares (normal noise) is the classic fit: Murray, Mathematical Biology (2002) §10.2,
    # r = 2.18e-3/day (beta = r N = 1.66), a = 0.44/day, R0 = 3.77.
    r = fit(model, BOARDING, ["beta", "gamma"], observe={"B": "I"}, noise="normal", starts=1)
    assert r.estimate["beta"] == pytest.approx(1.66, abs=0.03)
    assert r.estimate["gamma"] == pytest.approx(0.44, abs=0.02)
    assert r.extra["derived"]["R0"]["estimate"] == pytest.approx(3.77, abs=0.15)
    # Negative binomial: Grinsztajn et al. (2021, Stat Med) beta 1.73, gamma 0.54, R0 3.2 (posterior medians).
    assert r.extra["derived"]["mean_time_in_I"]["estimate"] == pytest.approx(1 / r.estimate["gamma"])
    problem = Problem(model, Observations.read(BOARDING), {"beta": None, "gamma": None}, observe={"B": "I"},
                      noise="negbin")  # fmt: skip
    r = maximize(problem, starts=1)
    assert r.estimate["beta"] == pytest.approx(1.73, abs=0.05)
    assert r.estimate["gamma"] == pytest.approx(0.54, abs=0.04)


# ---- MCMC against an exact posterior ---------------------------------------------------------
def test_mcmc_matches_the_exact_gamma_posterior():
    # No transmission, no recovery: I stays at I0, so y_i ~ Poisson(I0) and a flat prior gives the
    # posterior Gamma(sum y + 1, rate n). Tolerance: 4 Monte Carlo standard errors (sd / sqrt(ESS));
    # split-R-hat over an ensemble's walkers is a rough check, so the classic 1.2 threshold.
    rng = np.random.default_rng(7)
    y = rng.poisson(20.0, 12)
    obs = Observations.from_frame({"t": np.arange(1.0, 13.0), "I": y})
    model = sir(beta=0.0, gamma=0.0, S=980, I=20, R=0)
    r = fit(model, obs, {"I0": "0:1000"}, method="mcmc", steps=500, walkers=16, seed=3)
    draws = r.samples[:, 0]
    shape, rate = y.sum() + 1, len(y)
    mean, sd = shape / rate, math.sqrt(shape) / rate
    ess = r.diagnostics["parameters"]["I0"]["ess"]
    assert ess > 200
    assert abs(draws.mean() - mean) < 4 * sd / math.sqrt(ess)
    assert draws.std() == pytest.approx(sd, rel=0.15)
    assert 0.2 < r.diagnostics["acceptance_mean"] < 0.9
    assert r.diagnostics["parameters"]["I0"]["r_hat"] < 1.2


# ---- the command ---------------------------------------------------------------------------------
def test_cli_writes_every_output(tmp_path, capsys):
    out = tmp_path / "fit"
    main(["fit", "sir", "--data", "boarding-school", "--observe", "B=I", "--set", "S=762", "--set", "I=1",
          "--fit", "beta,gamma", "--starts", "2", "--out", str(out)])  # fmt: skip
    assert {p.name for p in out.iterdir()} >= {"fit.json", "posterior.csv", "fit.png", "corner.png", "ppc.png"}
    summary = json.loads((out / "fit.json").read_text())
    assert summary["method"] == "mle" and summary["problem"]["observe"] == {"B": "I"}
    assert summary["estimates"]["beta"]["interval_95"][0] < summary["estimates"]["beta"]["estimate"]
    assert 0 <= summary["posterior_predictive_check"]["p_value"] <= 1
    (out / "fit.json").write_text("{}")
    main(["fit", "sir", "--data", "boarding-school", "--observe", "B=I", "--set", "S=762", "--set", "I=1",
          "--fit", "beta", "--starts", "1", "--out", str(out)])  # fmt: skip
    assert json.loads((out / "fit.json").read_text())["method"] == "mle"  # a fit folder is replaced whole


@pytest.mark.parametrize(
    ("rows", "args", "words"),
    [
        ("day,I\n1,3\n2,-4\n", [], "negative"),
        ("day,I\n2,3\n1,4\n", [], "sort"),
        ("day,cases\n1,3\n2,4\n", [], "names no observable"),
        ("day,cases\n1,3\n2,4\n", ["--observe", "cases=new(R -> S)"], "cannot produce"),
        ("day,I\n1,3\n2,4\n", ["--prior", "beta=exp(1)"], "unknown prior"),
        ("day,I\n1,3\n2,4\n", ["--noise", "gaussian"], "--noise"),
        ("day,I\n1,3.5\n2,4\n", [], "whole numbers"),
        ("day,I\n1,3\n2,4\n", ["--budget", "soon"], "--budget"),
    ],
)
def test_cli_refuses_bad_input_on_one_line(tmp_path, capsys, rows, args, words):
    data = tmp_path / "d.csv"
    data.write_text(rows)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(["fit", "sir", "--data", str(data), "--fit", "beta", "--out", str(out), *args])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and words in err and "\n" not in err and "Traceback" not in err
    assert not out.exists()


def test_observation_models_match_scipy_distributions():
    from scipy import stats

    from hyosan.fit.likelihood import observation_model

    y, m = np.array([0.0, 3.0, 17.0, 40.0]), np.array([2.0, 5.0, 20.0, 41.0])
    expected = {
        "poisson": (None, stats.poisson.logpmf(y, m)),
        "negbin": (4.0, stats.nbinom.logpmf(y, 4.0, 4.0 / (4.0 + m))),
        "normal": (3.0, stats.norm.logpdf(y, m, 3.0)),
        "binomial": (0.7, stats.binom.logpmf(y, m.astype(int), 0.7)),
    }
    for name, (extra, logp) in expected.items():
        assert observation_model(name).logpmf(y, m, extra) == pytest.approx(float(np.sum(logp)), rel=1e-10)
    assert observation_model("binomial").logpmf(np.array([5.0]), np.array([4.0]), 0.5) == -math.inf
    # the variance of negbin draws is m + m²/phi (20,000 draws: the sample variance has SE ≈ 35·sqrt(3.7/20000)
    # ≈ 0.48 with excess kurtosis ≈ 2.7 here, so 5% is about 3.5 SE)
    draws = observation_model("negbin").sample(np.random.default_rng(0), np.full(20_000, 10.0), 4.0)
    assert draws.var() == pytest.approx(10 + 100 / 4, rel=0.05)


def test_parquet_data_read_like_csv(tmp_path):
    import pandas as pd

    pd.DataFrame({"days": [0.5, 1.5], "I": [3, 8]}).to_parquet(tmp_path / "d.parquet")
    obs = Observations.read(tmp_path / "d.parquet")
    assert obs.times.tolist() == [0.5, 1.5] and obs.columns["I"].tolist() == [3.0, 8.0]
    assert obs.time_column == "days"


def test_fit_integrator_agrees_with_the_ode_engine():
    model = hyosan.load("seir").with_values(beta=0.9, sigma=0.4, gamma=0.2)
    times = np.arange(1.0, 61.0)
    obs = Observations.from_frame({"t": times, "I": np.ones_like(times), "E": np.ones_like(times)})
    sim = Problem(model, obs, {"beta": None}).simulate([0.9])
    ds = model.run("ode", t_end=60, every=1)
    for c in ("I", "E"):
        assert np.allclose(sim[c], ds[c].values[0, 1:], rtol=1e-5, atol=1e-6 * 1000)


def test_budget_stops_mcmc_early():
    from hyosan.fit import Budget

    obs = Observations.from_frame({"t": [1.0, 2.0, 3.0], "I": [18, 22, 20]})
    model = sir(beta=0.0, gamma=0.0, S=980, I=20, R=0)
    r = fit(model, obs, {"I0": "0:1000"}, method="mcmc", steps=5000, walkers=8, budget=Budget(evaluations=8 * 40))
    assert r.settings["steps"] == 40 and r.settings["steps_asked"] == 5000
