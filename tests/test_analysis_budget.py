"""``analyze`` is bounded in time on any model: sympy's worst cases end in a one-line ModelError."""

from __future__ import annotations

import multiprocessing

import pytest

import hyosan
from hyosan.analysis import analyze
from hyosan.errors import ModelError

HARD = {
    "compartments": ["S", "I", "R"],
    "parameters": {"beta": 0.3, "gamma": 0.1},
    "initial": {"S": 99, "I": 1},
    "infected": ["I"],
    # (S/N + I/N + R/N) is 1, but sympy expands the 300th power of a sum of three fractions first
    "transitions": ["S + I -> I + I @ beta*S*I/N*(S/N + I/N + R/N)**300", "I -> R @ gamma*I"],
}


def test_an_analysis_sympy_cannot_finish_is_stopped_with_one_line() -> None:
    model = hyosan.Model.from_dict(HARD, source="hard.yaml")
    with pytest.raises(ModelError) as info:
        analyze(model, seconds=1, total=4)
    message = str(info.value)
    assert message.startswith("hard.yaml: the symbolic analysis did not finish within 4 s")
    assert "\n" not in message
    assert multiprocessing.active_children() == []


def test_errors_inside_the_budgeted_analysis_keep_their_type_and_message() -> None:
    model = hyosan.Model.from_dict({**HARD, "infected": []}, source="plain.yaml")
    with pytest.raises(ModelError, match=r"plain.yaml \(infected\)"):
        analyze(model, total=30)


def test_a_budgeted_analysis_still_finds_r0_of_sir() -> None:
    # SIR: R0 = beta/gamma exactly (the library's sir has beta = 0.3, gamma = 0.1)
    report = analyze(hyosan.load("sir"))
    values = hyosan.load("sir").parameter_values
    assert report["R0"] == pytest.approx(values["beta"] / values["gamma"], rel=1e-12)


def test_a_crash_inside_sympy_is_one_line_without_an_exception_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import hyosan.analysis as analysis

    def crash(model: object, seconds: float) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(analysis, "_analyze", crash)
    with pytest.raises(ModelError) as info:
        analyze(hyosan.load("sir"), total=30)
    assert "sympy could not analyse" in str(info.value) and "Error" not in str(info.value)
