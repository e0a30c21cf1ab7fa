"""Property-based tests of the expression language and the loaders (hypothesis, derandomized).

Generated expression trees carry a reference value computed while they are built, with Python's
float arithmetic and ``math`` directly, so the parser and evaluator are checked against an
independent computation, not against their own earlier output. Garbage text, bytes and YAML must
only ever produce a ``HyosanError``.
"""

from __future__ import annotations

import ast
import math
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import hyosan
from hyosan.compartmental.expr import parse
from hyosan.compartmental.io import read_yaml
from hyosan.errors import ExpressionError, HyosanError

SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

ENV = {"S": 3.0, "I": 0.5, "N": 7.25, "beta": 0.3, "t": 2.0}
Ref = Callable[[dict[str, float]], float]

numbers = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(lambda n: (str(n), float(n))),
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False).map(lambda x: (repr(x), x)),
)
leaves = st.one_of(
    numbers.map(lambda tv: (tv[0], lambda env, v=tv[1]: v)),
    st.sampled_from(sorted(ENV)).map(lambda n: (n, lambda env, n=n: env[n])),
)

_OPS: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}
_FUNCS: dict[str, Callable[..., float]] = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "abs": abs,
}


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    binary = st.tuples(st.sampled_from(sorted(_OPS)), children, children).map(
        lambda t: (f"({t[1][0]}) {t[0]} ({t[2][0]})", lambda env, t=t: _OPS[t[0]](t[1][1](env), t[2][1](env)))
    )
    unary = children.map(lambda c: (f"-({c[0]})", lambda env, c=c: -c[1](env)))
    call = st.tuples(st.sampled_from(sorted(_FUNCS)), children).map(
        lambda t: (f"{t[0]}({t[1][0]})", lambda env, t=t: _FUNCS[t[0]](t[1][1](env)))
    )
    minmax = st.tuples(st.sampled_from(["min", "max"]), st.lists(children, min_size=2, max_size=4)).map(
        lambda t: (
            f"{t[0]}({', '.join(a for a, _ in t[1])})",
            lambda env, t=t: (min if t[0] == "min" else max)(f(env) for _, f in t[1]),
        )
    )
    return st.one_of(binary, unary, call, minmax)


expressions = st.recursive(leaves, _extend, max_leaves=25)


def reference(ref: Ref) -> float | None:
    """The reference value, or None where Python's float arithmetic has no finite real answer."""
    try:
        value = ref(ENV)
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    if isinstance(value, complex) or not math.isfinite(value):
        return None
    return float(value)


@SETTINGS
@given(expressions)
def test_generated_expressions_evaluate_like_python_floats(expr: tuple[str, Ref]) -> None:
    text, ref = expr
    try:
        e = parse(text, ENV, "here")
    except ExpressionError:
        return  # refused in one line (e.g. a constant part without a finite value): allowed
    want = reference(ref)
    assume(want is not None)
    assert e.evaluate(ENV) == want


@SETTINGS
@given(expressions)
def test_canonical_text_round_trips_and_kernel_source_compiles(expr: tuple[str, Ref]) -> None:
    text, _ = expr
    try:
        e = parse(text, ENV, "here")
    except ExpressionError:
        return
    again = parse(e.canonical(), ENV, "here")
    assert again.canonical() == e.canonical()
    assert ast.dump(_floats(again.tree)) == ast.dump(_floats(e.tree))
    value = e.evaluate(ENV)
    assert again.evaluate(ENV) == value or (math.isnan(value) and math.isnan(again.evaluate(ENV)))
    source = e.source({name: f"x[{i}]" for i, name in enumerate(ENV)})
    compile(source, "kernel", "eval")


def _floats(tree: ast.expr) -> ast.expr:
    """The tree with integer literals as floats (the canonical text writes every number as a float)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            node.value = float(node.value)
    return tree


EXPRESSION_CHARS = "SIN betaxpmlogqrtminax0123456789.e_+-*/(),%<>=[]'\"!@#:\\\n\t"


@SETTINGS
@given(st.one_of(st.text(max_size=300), st.text(EXPRESSION_CHARS, max_size=300)))
def test_garbage_text_only_ever_raises_expression_error(text: str) -> None:
    try:
        e = parse(text, ENV, "here")
    except ExpressionError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("here")
        return
    assert isinstance(e.evaluate(ENV), float)


YAML_CHARS = "abcSIR01 :-,[]{}&*!|>?#'\"%@`\n\t.\\<>=+eE"


@SETTINGS
@given(st.one_of(st.text(max_size=400), st.text(YAML_CHARS, max_size=400)))
def test_garbage_yaml_only_ever_raises_hyosan_error(text: str) -> None:
    try:
        read_yaml(text, "fuzz.yaml")
    except HyosanError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.yaml")


@SETTINGS
@given(st.binary(max_size=600))
def test_arbitrary_bytes_as_a_model_file_only_ever_raise_hyosan_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        try:
            hyosan.load(path)
        except HyosanError as exc:
            assert "\n" not in str(exc)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["S", "I", "R", "beta", "S + I -> I + I @ beta*S*I/N", "I -> R @ 0.1*I", "-1", "1e999", ""]),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(["S", "I", "value"]), scalars), inner, max_size=4),
    ),
    max_leaves=12,
)
FIELDS = [
    "name",
    "compartments",
    "parameters",
    "initial",
    "transitions",
    "events",
    "infected",
    "population",
    "defaults",
    "interventions",
    "roles",
]
BASE = {
    "compartments": ["S", "I", "R"],
    "parameters": {"k": 0.1},
    "initial": {"S": 9},
    "transitions": ["S + I -> I + I @ 0.3*S*I/N"],
}
ITEM_KEYS = ["name", "kind", "at", "every", "start", "until", "when", "set", "kill", "changes_total"]
items = st.lists(st.dictionaries(st.sampled_from(ITEM_KEYS), values, max_size=5), max_size=3)


@SETTINGS
@given(st.dictionaries(st.sampled_from(FIELDS), values, max_size=len(FIELDS)), items, items)
def test_arbitrary_model_structures_only_ever_raise_hyosan_error(data: dict, interventions: list, events: list) -> None:
    for candidate in (data, {**BASE, **data}, {**BASE, "interventions": interventions}, {**BASE, "events": events}):
        try:
            hyosan.Model.from_dict(candidate, "fuzz.yaml")
        except HyosanError as exc:
            assert "\n" not in str(exc)


side = st.dictionaries(st.sampled_from(["S", "I", "R", "Z"]), st.integers(min_value=1, max_value=1000), max_size=4)


@SETTINGS
@given(side, side, st.randoms(use_true_random=False))
def test_reactions_read_back_the_coefficients_they_were_written_with(left: dict, right: dict, rnd) -> None:
    from hyosan.compartmental.model import parse_reaction

    assume(left or right)

    def write(counts: dict) -> str:
        terms = []
        for name, k in counts.items():  # split a count over several terms, e.g. 3 S as 'S + 2 S'
            first = rnd.randint(0, k - 1)
            terms += [f"{first} {name}"] if first else []
            terms += [name if k - first == 1 else f"{k - first} {name}"]
        rnd.shuffle(terms)
        return " + ".join(terms)

    reactants, products = parse_reaction(f"{write(left)} -> {write(right)}", ["S", "I", "R", "Z"], "here")
    assert dict(reactants) == left and dict(products) == right
    assert [c for c, _ in reactants] == [c for c in "SIRZ" if c in left]
