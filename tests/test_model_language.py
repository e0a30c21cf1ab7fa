"""Model files: what a valid one means, and a one-line error naming the place for each bad one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hyosan
from hyosan.errors import ModelError, ParameterError

GOOD = """\
name: tiny
compartments: [S, I, R]
parameters:
  beta: {value: 0.3, unit: 1/day, meaning: transmission}
  gamma: 0.1
initial: {S: 99, I: 1}
infected: [I]
transitions:
  - S + I -> I + I @ beta*S*I/N
  - {reaction: "I -> R", rate: "gamma*I", name: recovery}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text(text)
    return path


def test_reactions_give_the_stoichiometry(tmp_path: Path) -> None:
    model = hyosan.load(write(tmp_path, GOOD))
    assert model.compartments == ("S", "I", "R")
    assert model.stoichiometry.tolist() == [[-1, 1, 0], [0, -1, 1]]
    assert model.transitions[1].name == "recovery"
    assert model.initial_state == {"S": 99.0, "I": 1.0, "R": 0.0}
    assert model.conserves_population


def test_coefficients_and_empty_sides(tmp_path: Path) -> None:
    text = GOOD.replace("  - {reaction", "  - -> S @ 1.5\n  - 2 S -> @ 0.01*S*(S-1)\n  - {reaction")
    model = hyosan.load(write(tmp_path, text))
    assert model.stoichiometry.tolist()[1:3] == [[1, 0, 0], [-2, 0, 0]]


def test_with_values_changes_parameters_and_initial_state() -> None:
    model = hyosan.load("sir").with_values({"beta": "0.5", "I": 20})
    assert model.parameter_values["beta"] == 0.5
    assert model.initial_state["I"] == 20
    assert hyosan.load("sir").parameter_values["beta"] == 0.3


@pytest.mark.parametrize(
    "edit, fragment, line",
    [
        (("initial: {S: 99, I: 1}", "initial: {S: 99, I: 1"), "malformed YAML", None),
        (("S + I -> I + I", "S + X -> I + I"), "unknown compartment 'X'", ":9"),
        (("beta*S*I/N", "beta*S*I/M"), "unknown name 'M'", ":9"),
        (("beta*S*I/N", "__import__('os')"), "not allowed", ":9"),
        (("beta*S*I/N", "S.__class__"), "not allowed", ":9"),
        (("gamma: 0.1", "gamma: -0.1"), "rate -", None),
        (("gamma*I", "gamma"), "not zero when I = 0", None),
        (("gamma: 0.1", "gamma: fast"), "expected a number", ":5"),
        (("initial: {S: 99, I: 1}", "initial: {S: 99, Q: 1}"), "unknown compartment 'Q'", ":6"),
        (("name: tiny", "nmae: tiny"), "unknown field 'nmae'", ":1"),
        (("S + I -> I + I @", "S + I => I + I @"), "exactly one '->'", ":9"),
        (("S + I -> I + I @ beta*S*I/N", "S + I -> I + I"), "has no rate", ":9"),
        (("initial: {S: 99, I: 1}", "initial: {S: -5, I: 1}"), "cannot be negative", ":6"),
    ],
)
def test_bad_models_are_refused_with_the_place(tmp_path: Path, edit: tuple, fragment: str, line: str | None) -> None:
    old, new = edit
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ModelError) as info:
        hyosan.load(path)
    message = str(info.value)
    assert fragment in message
    assert message.startswith(str(path) + (line or ""))
    assert "\n" not in message


def test_bad_events_are_refused(tmp_path: Path) -> None:
    for event, fragment in [
        ("  - {every: 2, set: {Q: '0'}}", "unknown compartment 'Q'"),
        ("  - {every: -2, set: {I: '0'}}", "must be positive"),
        ("  - {set: {I: '0'}}", "either 'at"),
        ("  - {at: 3, set: {I: 'open(1)'}}", "not allowed"),
    ]:
        path = write(tmp_path, GOOD + "events:\n" + event + "\n")
        with pytest.raises(ModelError, match=fragment):
            hyosan.load(path)


def test_set_of_unknown_name_or_non_number() -> None:
    with pytest.raises(ParameterError, match="neither a parameter nor a compartment"):
        hyosan.load("sir").with_values(betta=1)
    with pytest.raises(ParameterError, match="expected a number"):
        hyosan.load("sir").with_values(beta="abc")
    with pytest.raises(ModelError, match="rate"):
        hyosan.load("sir").with_values(beta=-1)


def test_unknown_target() -> None:
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        hyosan.load("nope")
    with pytest.raises(ModelError, match="no such file"):
        hyosan.load("missing.yaml")


@pytest.mark.parametrize("name", sorted(hyosan.library()))
def test_every_library_model_is_documented_and_runs(name: str) -> None:
    model = hyosan.load(name)
    assert model.reference and model.description and model.infected
    assert all(p.meaning and p.unit for p in model.parameters)
    ds = model.run()
    for c in model.compartments:
        assert np.all(np.isfinite(ds[c].values))
        assert ds[c].values.min() > -1e-6


def test_a_model_of_5000_compartments_and_2000_transitions_validates_and_generates_linear_code() -> None:
    from hyosan.compartmental.io import read_yaml
    from hyosan.engines.codegen import rates_source

    n_comp, n_tr = 5000, 2000
    lines = ["compartments: [" + ", ".join(f"X{i}" for i in range(n_comp)) + "]", "parameters: {k: 0.1}"]
    lines += ["initial: {" + ", ".join(f"X{i}: 10" for i in range(n_comp)) + "}", "transitions:"]
    lines += [f"  - X{j} -> X{j + 1} @ k*X{j}" for j in range(n_tr)]
    data, where = read_yaml("\n".join(lines) + "\n", "big.yaml")
    model = hyosan.Model.from_dict(data, "big.yaml", where)
    assert len(model.compartments) == n_comp and len(model.transitions) == n_tr
    stoich = model.stoichiometry
    assert stoich.shape == (n_tr, n_comp) and stoich.sum() == 0
    assert stoich[1999, 1999] == -1 and stoich[1999, 2000] == 1 and np.count_nonzero(stoich) == 2 * n_tr
    assert model.stoichiometry is stoich  # built once per model
    source = rates_source(model)
    # one read per compartment and parameter, one line per transition: linear in the model's size
    assert source.count("\n") == n_comp + 1 + 1 + n_tr + 2
    assert len(source) < 60 * (n_comp + n_tr)
    assert model.rates_at(model.initial_state)[5] == pytest.approx(0.1 * 10)
