"""The rate-expression language accepts arithmetic over known names and refuses everything else."""

from __future__ import annotations

import math

import pytest

from hyosan.errors import ExpressionError
from hyosan.model.expr import parse

NAMES = {"S", "I", "N", "beta", "t"}


def test_arithmetic_and_functions_evaluate_like_python_math() -> None:
    e = parse("beta*S*I/N + exp(-t) - sqrt(4) ** 2 + max(S, I) - abs(-1)", NAMES, "here")
    v = {"S": 3.0, "I": 2.0, "N": 5.0, "beta": 0.5, "t": 1.0}
    assert e.evaluate(v) == pytest.approx(0.5 * 3 * 2 / 5 + math.exp(-1) - 4 + 3 - 1)
    assert e.names == {"beta", "S", "I", "N", "t"}


def test_source_renames_names_for_kernels() -> None:
    e = parse("beta*S", NAMES, "here")
    assert e.source({"S": "x[0]", "beta": "p[1]"}) == "(p[1] * x[0])"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("__import__('os').system('true')", "__import__"),
        ("S.__class__", "Attribute"),
        ("(lambda: 1)()", "not allowed"),
        ("[x for x in S]", "ListComp"),
        ("open('f')", "open"),
        ("beta if S else I", "IfExp"),
        ("S[0]", "Subscript"),
        ("'text'", "only numbers"),
        ("gamma*S", "unknown name 'gamma'"),
        ("S +", "cannot parse"),
        ("", "empty"),
        ("exp(x=1)", "positional"),
        ("S < I", "Compare"),
    ],
)
def test_hostile_or_unknown_expressions_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text, NAMES, "model.yaml:7 (transitions[0])")
    message = str(info.value)
    assert fragment in message
    assert message.startswith("model.yaml:7 (transitions[0])")
    assert "\n" not in message


def test_sympy_form_matches_numeric_value() -> None:
    import sympy

    e = parse("beta*S*I/N - 0.5*t", NAMES, "here")
    syms = {n: sympy.Symbol(n) for n in NAMES}
    expr = e.sympy(syms)
    v = {"S": 3.0, "I": 2.0, "N": 5.0, "beta": 0.5, "t": 1.0}
    assert float(expr.subs({syms[k]: val for k, val in v.items()})) == pytest.approx(e.evaluate(v))
