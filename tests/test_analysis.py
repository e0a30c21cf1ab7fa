"""Symbolic analysis: R0 by next-generation matrix, equilibria and stability, each checked against
values derived by hand from the published equations (not against earlier output of the code)."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import sympy

import hyosan
from hyosan.analysis import analyze, call_with_budget, format_report
from hyosan.compartmental.model import Model
from hyosan.errors import ModelError


def expr(text: str, *names: str) -> sympy.Expr:
    """Parse a reported expression with every name a plain symbol (beta, gamma, N, S are not functions)."""
    return sympy.parse_expr(text, local_dict={n: sympy.Symbol(n) for n in names})


def same(a: sympy.Expr, b: sympy.Expr) -> bool:
    return sympy.simplify(a - b) == 0


def find(report: dict, **coords: float) -> dict | None:
    scale = 1.0 + sum(report["equilibria"][0]["state"].values()) if report["equilibria"] else 1.0
    for e in report["equilibria"]:
        if all(abs(e["state"][k] - v) <= 1e-7 * scale for k, v in coords.items()):
            return e
    return None


def reduced_eigs(e: dict, zeros: int) -> list[complex]:
    """Eigenvalues without the ``zeros`` structural zeros (one per conservation law)."""
    eigs = sorted((complex(re, im) for re, im in e["eigenvalues"]), key=abs)
    assert all(abs(z) < 1e-9 for z in eigs[:zeros])
    return eigs[zeros:]


@pytest.mark.parametrize(("beta", "gamma"), [(0.3, 0.1), (0.7, 0.25)])
def test_sir_R0_is_beta_over_gamma_at_N_0_0(beta: float, gamma: float) -> None:
    report = analyze(hyosan.load("sir").with_values(beta=beta, gamma=gamma))
    assert same(expr(report["R0_expression"], "beta", "gamma", "N"), sympy.Symbol("beta") / sympy.Symbol("gamma"))
    assert report["R0"] == pytest.approx(beta / gamma, rel=1e-12)
    assert report["dfe"] == {"S": 1000.0, "I": 0.0, "R": 0.0}
    assert report["dfe_expression"]["S"] == "N"


def test_dfe_puts_N_in_the_compartment_infections_consume_whatever_the_order() -> None:
    model = Model.from_dict(
        {
            "compartments": ["R", "I", "S"],
            "parameters": {"beta": 0.4, "gamma": 0.1},
            "initial": {"S": 90, "I": 10, "R": 5},
            "infected": ["I"],
            "transitions": ["S + I -> I + I @ beta*S*I/N", "I -> R @ gamma*I"],
        },
        source="order.yaml",
    )
    report = analyze(model)
    assert report["dfe"] == {"R": 5.0, "I": 0.0, "S": 100.0}
    assert report["R0"] == pytest.approx(0.4 / 0.1 * 100 / 105, rel=1e-12)


def test_seir_R0_is_beta_over_gamma() -> None:
    report = analyze(hyosan.load("seir"))
    assert same(
        expr(report["R0_expression"], "beta", "gamma", "sigma", "N"), sympy.Symbol("beta") / sympy.Symbol("gamma")
    )
    assert report["R0"] == pytest.approx(0.5 / 0.1, rel=1e-12)


@pytest.mark.parametrize(
    "values",
    [
        {"Pi": 0, "delta": 0},
        {"Pi": 0, "delta": 0, "beta": 0.02, "alpha": 0.003, "rho": 0.1, "kappa": 0.02, "sigma": 0.01, "S": 800},
    ],
)
def test_munz_sizrq_R0_matches_the_paper(values: dict) -> None:
    model = hyosan.load("munz-sizrq").with_values(values)
    p = model.parameter_values
    n = sum(model.initial)
    paper = p["beta"] * n * p["rho"] / ((p["rho"] + p["kappa"]) * (p["alpha"] * n + p["sigma"]))
    report = analyze(model)
    assert report["R0"] == pytest.approx(paper, rel=1e-10)
    b, N, r, k, a, s = sympy.symbols("beta N rho kappa alpha sigma")
    names = ("beta", "N", "rho", "kappa", "alpha", "sigma")
    assert same(expr(report["R0_expression"], *names), b * N * r / ((r + k) * (a * N + s)))


def test_munz_cure_coexistence_equilibrium_has_S_equal_c_over_beta() -> None:
    model = hyosan.load("munz-cure").with_values(Pi=0, delta=0)
    p = model.parameter_values
    n = sum(model.initial)
    # With Pi = delta = 0: S' = Z (c - beta S) = 0, I' = beta S Z - rho I = 0, R' = alpha S Z - zeta R = 0,
    # and S + I + Z + R = N; so S = c/beta, I = c Z/rho, R = alpha c Z/(beta zeta), Z from the total.
    S = p["c"] / p["beta"]
    Z = (n - S) / (p["c"] / p["rho"] + 1 + p["alpha"] * p["c"] / (p["beta"] * p["zeta"]))
    infected, removed = p["c"] * Z / p["rho"], p["alpha"] * p["c"] * Z / (p["beta"] * p["zeta"])
    e = find(analyze(model), S=S)
    assert e is not None
    assert e["state"] == pytest.approx({"S": S, "I": infected, "Z": Z, "R": removed}, rel=1e-9)
    c, beta, alpha, rho, zeta, N = sympy.symbols("c beta alpha rho zeta N")
    names = ("c", "beta", "alpha", "rho", "zeta", "N")
    z_form = (N - c / beta) / (c / rho + 1 + alpha * c / (beta * zeta))
    assert same(expr(e["expression"]["S"], *names), c / beta)
    assert same(expr(e["expression"]["Z"], *names), z_form)
    assert same(expr(e["expression"]["R"], *names), alpha * c * z_form / (beta * zeta))


@pytest.mark.parametrize(("beta", "gamma"), [(0.3, 0.1), (0.5, 0.4)])
def test_sis_endemic_equilibrium_is_stable_and_dfe_unstable(beta: float, gamma: float) -> None:
    report = analyze(hyosan.load("sis").with_values(beta=beta, gamma=gamma))
    n = 1000.0
    endemic = find(report, I=n * (1 - gamma / beta))
    assert endemic is not None and endemic["stable"] is True
    # I' = beta I (N - I)/N - gamma I has slope -(beta - gamma) at I*, +(beta - gamma) at I = 0.
    assert reduced_eigs(endemic, 1) == [pytest.approx(-(beta - gamma), rel=1e-9)]
    b, g, N = sympy.symbols("beta gamma N")
    assert same(expr(endemic["expression"]["I"], "beta", "gamma", "N"), N * (1 - g / b))
    dfe = find(report, S=n, I=0)
    assert dfe is not None and dfe["stable"] is False
    assert reduced_eigs(dfe, 1) == [pytest.approx(beta - gamma, rel=1e-9)]


def test_sis_below_threshold_has_only_the_stable_dfe() -> None:
    report = analyze(hyosan.load("sis").with_values(beta=0.1, gamma=0.3))
    assert report["R0"] == pytest.approx(1 / 3, rel=1e-12)
    assert [e["state"] for e in report["equilibria"]] == [{"S": 1000.0, "I": 0.0}]
    assert report["equilibria"][0]["stable"] is True


def test_munz_szr_doomsday_found_and_disease_free_unstable() -> None:
    model = hyosan.load("munz-szr").with_values(Pi=0, delta=0)
    p, n = model.parameter_values, sum(model.initial)
    report = analyze(model)
    doom = find(report, S=0, Z=n, R=0)
    assert doom is not None and doom["stable"] is True
    assert doom["expression"] == {"S": "0", "Z": "N", "R": "0"}
    # Jacobian at (0, N, 0): eigenvalues -beta N, -zeta, and 0 from S + Z + R = N.
    assert sorted(z.real for z in reduced_eigs(doom, 1)) == pytest.approx(sorted([-p["beta"] * n, -p["zeta"]]))
    dfe = find(report, S=n, Z=0, R=0)
    assert dfe is not None and dfe["stable"] is False
    # Linearised (Z, R) block at (N, 0, 0): det = -beta N zeta < 0, a saddle whatever the values.
    bzr = np.array([[(p["beta"] - p["alpha"]) * n, p["zeta"]], [p["alpha"] * n, -p["zeta"]]])
    assert max(z.real for z in reduced_eigs(dfe, 1)) == pytest.approx(max(np.linalg.eigvals(bzr).real), rel=1e-9)


def test_munz_szr_default_R0_is_taken_at_the_initial_pool() -> None:
    # delta > 0 and Pi = 0 drain the disease-free state to nobody, where V is singular; at the initial
    # pool a zombie bites at beta*S0 and is destroyed at alpha*S0, so R0 = beta/alpha.
    report = analyze(hyosan.load("munz-szr"))
    assert report["R0_dfe"] is None and "singular" in report["R0_note"]
    assert report["R0"] == report["R0_initial"] == pytest.approx(0.0095 / 0.005, rel=1e-12)


def test_alemi_R0_is_inverse_kill_to_bite_ratio() -> None:
    report = analyze(hyosan.load("alemi-szr").with_values(alpha=0.4))
    assert report["R0"] == pytest.approx(1 / 0.4, rel=1e-12)


def test_hyosan_R0_at_start_sums_zombie_and_humbie_routes() -> None:
    model = hyosan.load("hyosan")
    p = model.parameter_values
    report = analyze(model)
    by_hand = p["beta"] * (1 - p["h"]) / (p["alpha"] + p["m"]) + p["eta"] * p["h"] / p["mh"]
    assert report["R0_initial"] == pytest.approx(by_hand, rel=1e-10)


def test_vital_dynamics_with_a_passive_sink_matches_the_textbook() -> None:
    """SIR with constant births Pi and deaths mu into D (outside N): Anderson & May's closed forms."""
    model = Model.from_dict(
        {
            "compartments": ["S", "I", "R", "D"],
            "parameters": {"beta": 0.5, "gamma": 0.1, "mu": 0.02, "Pi": 20.0},
            "initial": {"S": 990, "I": 10, "D": 7},
            "infected": ["I"],
            "population": ["S", "I", "R"],
            "transitions": [
                "-> S @ Pi",
                "S + I -> I + I @ beta*S*I/N",
                "I -> R @ gamma*I",
                "S -> D @ mu*S",
                "I -> D @ mu*I",
                "R -> D @ mu*R",
            ],
        },
        source="vital.yaml",
    )
    beta, gamma, mu, pi = 0.5, 0.1, 0.02, 20.0
    r0 = beta / (gamma + mu)
    report = analyze(model)
    assert report["passive"] == ["D"]
    assert report["dfe"] == pytest.approx({"S": pi / mu, "I": 0, "R": 0, "D": 7})
    assert report["R0"] == pytest.approx(r0, rel=1e-12)
    n = pi / mu
    s_star = n / r0
    i_star = pi * (1 - 1 / r0) / (mu + gamma)
    endemic = find(report, S=s_star, I=i_star, R=gamma * i_star / mu, D=7)
    assert endemic is not None and endemic["stable"] is True
    assert find(report, S=n, I=0, R=0)["stable"] is False


@pytest.mark.parametrize("name", sorted(hyosan.library()))
def test_every_library_model_analyses(name: str) -> None:
    report = analyze(hyosan.load(name))
    text = json.dumps(report.to_dict(), allow_nan=False)
    assert {"R0", "R0_expression", "equilibria"} <= set(json.loads(text))
    for e in report["equilibria"]:
        assert set(e) >= {"state", "eigenvalues", "stable"} and all(v >= 0 for v in e["state"].values())
    assert "R0" in format_report(report)


def test_numeric_fallback_when_sympy_runs_out_of_time() -> None:
    beta, gamma, n = 0.3, 0.1, 1000.0
    report = analyze(hyosan.load("sis"), seconds=1e-4)
    assert any("numerically" in note for note in report["notes"])
    endemic = find(report, I=n * (1 - gamma / beta))
    assert endemic is not None and endemic["stable"] is True
    assert endemic["state"]["S"] == pytest.approx(n * gamma / beta, rel=1e-9)
    assert find(report, S=n, I=0)["stable"] is False


def test_budget_stops_a_runaway_computation() -> None:
    with pytest.raises(TimeoutError):
        call_with_budget(time.sleep, (30,), 0.3)


def test_model_without_infected_is_refused() -> None:
    model = Model.from_dict(
        {
            "compartments": ["S", "I"],
            "parameters": {"b": 0.1},
            "initial": {"S": 9, "I": 1},
            "transitions": ["S + I -> I + I @ b*S*I/N"],
        },
        source="plain.yaml",
    )
    with pytest.raises(ModelError, match=r"plain.yaml \(infected\).*infected: \[I\]"):
        analyze(model)


def test_cli_analyze_json(cli) -> None:
    proc = cli("analyze", "munz-sizrq", "--json", "--set", "Pi=0", "--set", "delta=0", "--set", "kappa=0.1")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    n, b, r, k, a, s = 500, 0.0095, 0.005, 0.1, 0.005, 0.05
    assert report["R0"] == pytest.approx(b * n * r / ((r + k) * (a * n + s)), rel=1e-10)
    assert isinstance(json.loads(cli("analyze", "munz-sizrq", "--json").stdout)["R0"], float)


def test_cli_analyze_unknown_parameter(cli) -> None:
    proc = cli("analyze", "sir", "--set", "bogus=1")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "bogus" in lines[0] and "Traceback" not in proc.stderr
