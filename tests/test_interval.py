"""The rate bounds used for exact thinning hold: every value of a rate over a window lies in its interval.

Property test: for each expression of the rate language, random parameters and random windows, the
generated interval code (run here as plain Python) must contain the rate at sampled times in the
window, endpoints included, up to rounding (1e-9 relative).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyosan.compartmental import expr
from hyosan.engines.interval import HELPERS, interval_lines

EXPRESSIONS = [
    "a*t",
    "t*t - a*t",
    "t**2",
    "t**3",
    "(t - a)**2",
    "t**-1",
    "t**-2",
    "1/(1 + t*t)",
    "exp(a*t)",
    "exp(-t*t)",
    "log(1 + t*t)",
    "log(t)",
    "sqrt(abs(t))",
    "sqrt(t)",
    "sin(t)",
    "cos(a*t + b)",
    "sin(t)**2 + cos(t)**2",
    "abs(t - a)",
    "min(t, a)",
    "max(0, t - a)",
    "max(t, a, b)",
    "-t + a",
    "t**0.5",
    "(1 + t*t)**b",
    "b**t",
    "2**t",
    "t/(a*a + 1)",
    "a*max(0, 5 - t)*(1 + 0.5*sin(2*3.14159*t/7))",
    "t**b",
    "(t - t)*exp(t)",
]

_NS: dict = {"math": math, "INF": math.inf, "njit": lambda **_: lambda f: f}
exec(HELPERS, _NS)  # our own generated helpers, as plain Python


def interval_function(text: str):
    e = expr.parse(text, {"t", "a", "b"}, "test")
    lines, lo, hi = interval_lines(e, {"a": "a", "b": "b"}, "v_", "    ")
    source = "def f(tl, th, a, b):\n" + "\n".join(lines) + f"\n    return {lo}, {hi}\n"
    ns = dict(_NS)
    exec(source, ns)
    return e, ns["f"]


FUNCTIONS = [interval_function(text) for text in EXPRESSIONS]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    which=st.integers(0, len(EXPRESSIONS) - 1),
    tl=st.floats(-20, 20),
    width=st.one_of(st.just(0.0), st.floats(1e-9, 1e-3), st.floats(0, 15)),
    a=st.floats(-3, 3),
    b=st.floats(-3, 3),
)
def test_interval_contains_every_value(which: int, tl: float, width: float, a: float, b: float) -> None:
    e, f = FUNCTIONS[which]
    th = tl + width
    try:
        lo, hi = f(tl, th, a, b)
    except (ZeroDivisionError, OverflowError):  # Numba (error_model="numpy") gives inf/nan here: no bound
        return
    if isinstance(lo, complex) or isinstance(hi, complex):  # Python's (-1)**0.5; Numba gives NaN: no bound
        return
    assert not (lo > hi)
    for t in [tl, th, *np.linspace(tl, th, 41)]:
        try:
            v = e.evaluate({"t": float(t), "a": a, "b": b})
        except (OverflowError, ZeroDivisionError):
            continue
        if not math.isfinite(v):
            continue
        slack = 1e-9 * max(1.0, abs(v))
        assert lo - slack <= v <= hi + slack, (EXPRESSIONS[which], tl, th, a, b, t, v, lo, hi)


@pytest.mark.parametrize(
    "text, window, expected",
    [
        ("max(0, t - 5)", (0.0, 5.0), (0.0, 0.0)),
        ("sin(t)", (0.0, 0.1), (0.0, math.sin(0.1))),
        ("sin(t)", (1.0, 2.0), (math.sin(1.0), 1.0)),
        ("(t - t)*exp(t)", (0.0, 1.0), (-math.e, math.e)),
    ],
)
def test_bounds_are_tight_where_they_can_be(text: str, window: tuple, expected: tuple) -> None:
    lo, hi = interval_function(text)[1](*window, 0.0, 0.0)
    assert lo == pytest.approx(expected[0], abs=1e-12) and hi == pytest.approx(expected[1], abs=1e-12)
