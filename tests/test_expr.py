"""The rate-expression language accepts arithmetic over known names and refuses everything else."""

from __future__ import annotations

import math

import pytest

from hyosan.compartmental.expr import parse
from hyosan.errors import ExpressionError

NAMES = {"S", "I", "N", "beta", "t"}


def test_arithmetic_and_functions_evaluate_like_python_math() -> None:
    e = parse("beta*S*I/N + exp(-t) - sqrt(4) ** 2 + max(S, I) - abs(-1)", NAMES, "here")
    v = {"S": 3.0, "I": 2.0, "N": 5.0, "beta": 0.5, "t": 1.0}
    assert e.evaluate(v) == pytest.approx(0.5 * 3 * 2 / 5 + math.exp(-1) - 4 + 3 - 1)
    assert e.names == {"beta", "S", "I", "N", "t"}


def test_source_renames_names_for_kernels() -> None:
    e = parse("beta*S", NAMES, "here")
    # Only the parentheses precedence needs: fully parenthesised chains broke Python's 200-level limit.
    assert e.source({"S": "x[0]", "beta": "p[1]"}) == "p[1] * x[0]"


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
    _refused_in_one_line(text, fragment)


def _refused_in_one_line(text: str, fragment: str) -> str:
    with pytest.raises(ExpressionError) as info:
        parse(text, NAMES, "model.yaml:7 (transitions[0])")
    message = str(info.value)
    assert fragment in message
    assert message.startswith("model.yaml:7 (transitions[0])")
    assert "\n" not in message
    return message


def test_sympy_form_matches_numeric_value() -> None:
    import sympy

    e = parse("beta*S*I/N - 0.5*t", NAMES, "here")
    syms = {n: sympy.Symbol(n) for n in NAMES}
    expr = e.sympy(syms)
    v = {"S": 3.0, "I": 2.0, "N": 5.0, "beta": 0.5, "t": 1.0}
    assert float(expr.subs({syms[k]: val for k, val in v.items()})) == pytest.approx(e.evaluate(v))


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("1e999", "too large to be finite"),
        ("1e-999*S", "too small"),
        ("1" * 1900, "more than 40 characters"),
        ("9**9**9**9", "exponent"),
        ("S**(9**9)", "exponent"),
        ("S**1001", "exponent"),
        ("exp(1, 2, 3)", "'exp' takes 1 argument, got 3"),
        ("min(I)", "'min' takes 2 to 64 arguments, got 1"),
        ("log(S, 2)", "'log' takes 1 argument, got 2"),
        ("-" * 1990 + "1", "nested more than 100 levels"),
        ("1**" * 600 + "1", "nested more than 100 levels"),
        ("exp(" * 101 + "S" + ")" * 101, "nested more than 100 levels"),
        ("(" * 300 + "S" + ")" * 300, "cannot parse"),
        ("1/0", "no finite value"),
        ("log(0) * S", "no finite value"),
        ("exp(1000)", "no finite value"),
        ("S" + "+S" * 1000, "longer than 2000"),
        ("S\x00", "cannot parse"),
        ("1j*S", "only numbers"),
    ],
)
def test_expressions_that_pass_the_whitelist_but_cannot_be_honoured_are_refused(text: str, fragment: str) -> None:
    assert len(_refused_in_one_line(text, fragment)) < 400


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 10**400, True, None, [1]])
def test_non_finite_or_non_numeric_values_are_refused(value: object) -> None:
    with pytest.raises(ExpressionError):
        parse(value, NAMES, "here")  # type: ignore[arg-type]


def test_long_flat_chains_are_accepted_and_evaluated_without_recursion() -> None:
    product = parse("*".join(["S"] * 990), NAMES, "here")
    assert product.evaluate({"S": 1.0005}) == pytest.approx(1.0005**990, rel=1e-12)
    total = parse(" + ".join(["beta*S"] * 150) + " - " + " - ".join(["I"] * 100), NAMES, "here")
    assert total.evaluate({"S": 2.0, "beta": 0.5, "I": 1.0}) == pytest.approx(150 * 1.0 - 100)
    code = compile(product.source({"S": "x"}), "k", "eval")
    assert code is not None


@pytest.mark.parametrize(
    "text",
    ["(-2)**2", "-2**2", "2**-1", "2**3**2", "(2**3)**2", "S - (I - beta)", "S / (I * beta)", "S - -I", "-(S + I)*t"],
)
def test_canonical_text_and_kernel_source_keep_the_meaning(text: str) -> None:
    values = {"S": 3.0, "I": 2.0, "N": 5.0, "beta": 0.5, "t": 1.5}
    e = parse(text, NAMES, "here")
    exact = float(eval(text, {}, dict(values)))  # reference: Python itself, on trusted test text
    assert e.evaluate(values) == exact
    assert parse(e.canonical(), NAMES, "here").evaluate(values) == exact
    assert float(eval(e.source(), {"math": math}, dict(values))) == exact


def test_deep_expressions_survive_pickle_and_deepcopy() -> None:
    import copy
    import pickle

    e = parse("*".join(["S"] * 990) + " + beta", NAMES, "here")
    for clone in (pickle.loads(pickle.dumps(e)), copy.deepcopy(e)):
        assert clone == e and clone.names == e.names
        assert clone.evaluate({"S": 1.001, "beta": 2.0}) == e.evaluate({"S": 1.001, "beta": 2.0})
