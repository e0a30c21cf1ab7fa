"""The analysis prints the expressions a student expects: a rate's guard ``max(N, 1)`` is written N."""

from __future__ import annotations

import pytest
import sympy

import hyosan
from hyosan.analysis import analyze, format_report


@pytest.fixture(scope="module")
def report():
    return analyze(hyosan.load("hyosan"))  # its bites read beta*S*Z/max(N, 1)


def test_no_guard_is_printed(report) -> None:
    assert "Max" not in format_report(report)
    for key in ("R0_expression", "R0_initial_expression"):
        assert "Max" not in str(report[key])
    assert all("Max" not in e for e in report["equations"].values())
    names = {n: sympy.Symbol(n) for n in ("H", "S", "Z", "eta", "beta", "q", "N")}
    dS = sympy.parse_expr(report["equations"]["S"], local_dict=names)
    H, S, Z, eta, beta, q, N = names.values()
    assert sympy.expand(dS - (-H * S * eta / N - S * Z * beta / N - S * q)) == 0


def test_the_printed_R0_is_the_textbook_sum_and_gives_the_reported_number(report) -> None:
    # at the initial pool (everyone susceptible but the first zombie), a zombie bites beta per day and
    # is destroyed at alpha + m; a fraction 1 - h of the bitten turn zombie, h turn humbie, who bite
    # at eta for 1/mh days: R0 = beta (1 - h) / (alpha + m) + eta h / mh, free of N
    names = {n: sympy.Symbol(n) for n in ("beta", "alpha", "eta", "h", "m", "mh", "N")}
    printed = sympy.parse_expr(str(report["R0_initial_expression"]), local_dict=names)
    b, a, e, h, m, mh = (names[n] for n in ("beta", "alpha", "eta", "h", "m", "mh"))
    assert sympy.simplify(printed - (b * (1 - h) / (a + m) + e * h / mh)) == 0
    p = report["parameters"]
    value = float(printed.subs({names[k]: v for k, v in p.items() if k in names}))
    assert value == pytest.approx(report["R0_initial"], rel=1e-12)
    assert any("max(N, 1)" in note for note in report["notes"])
