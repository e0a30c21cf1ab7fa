"""The ODE engine refuses what it cannot honour: negative or non-finite rates, unknown options.

Crossing times are checked against closed forms; round-off below zero never reaches the outputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import hyosan
from hyosan.compartmental.io import read_yaml
from hyosan.compartmental.model import Model
from hyosan.errors import EngineError


def inline(text: str) -> Model:
    data, lines = read_yaml(text, "inline.yaml")
    return Model.from_dict(data, source="inline.yaml", lines=lines)


SIR_FADING = """
compartments: [S, I, R]
parameters: {beta: 0.3, gamma: 0.1}
initial: {S: 990, I: 10}
infected: [I]
transitions:
  - {reaction: "S + I -> I + I", rate: "beta*S*I/N*(1 - t/50)", name: infection}
  - {reaction: "I -> R", rate: "gamma*I", name: recovery}
"""


def test_rate_turning_negative_in_time_stops_at_the_crossing() -> None:
    # (1 - t/50) changes sign at t = 50 exactly while S*I > 0.
    with pytest.raises(EngineError) as err:
        inline(SIR_FADING).run(t_end=100, every=1)
    msg = str(err.value)
    assert "\n" not in msg
    assert "transition 'infection'" in msg and "at t=50 days" in msg
    assert "S=" in msg and "I=" in msg and "non-negative" in msg


def test_rate_turning_negative_with_the_state_stops_at_the_closed_form_time() -> None:
    # A' = -k A, so A = A0 exp(-k t) and the rate A - 200 crosses 0 at t = ln(A0/200)/k.
    model = inline(
        """
compartments: [A, B, C]
parameters: {k: 0.1}
initial: {A: 1000}
transitions:
  - {reaction: "A -> B", rate: "k*A", name: decay}
  - {reaction: "-> C", rate: "A - 200", name: production}
"""
    )
    with pytest.raises(EngineError, match="transition 'production'") as err:
        model.run(t_end=40, every=1)
    t_star = math.log(1000 / 200) / 0.1
    assert f"t={t_star:.6g} days" in str(err.value)


def test_horizon_before_the_crossing_runs() -> None:
    ds = inline(SIR_FADING).run(t_end=49.5, every=0.5)
    assert float(ds.time[-1]) == 49.5


def test_round_off_never_reaches_outputs_as_negative_counts() -> None:
    for name, t_end in (("sir", 2000), ("munz-szr", 50), ("seir", 3000), ("munz-sizrq", 60)):
        ds = hyosan.load(name).run(t_end=t_end)
        for c in ds.data_vars:
            assert float(ds[c].min()) >= 0.0, (name, c, float(ds[c].min()))


def test_rate_at_zero_from_round_off_is_not_an_error() -> None:
    # Logistic growth: S' = r S (1 - S/K), S = K / (1 + (K/S0 - 1) exp(-r t)). Near S = K the rate
    # is round-off around 0 and must be accepted; the trajectory matches the closed form.
    model = inline(
        """
compartments: [S]
parameters: {r: 0.5, K: 1000}
initial: {S: 1}
transitions:
  - {reaction: "S -> S + S", rate: "r*S*(1 - S/K)", name: growth}
"""
    )
    ds = model.run(t_end=300, every=1).isel(replicate=0)
    t = ds.time.values
    exact = 1000 / (1 + 999 * np.exp(-0.5 * t))
    np.testing.assert_allclose(ds.S.values, exact, rtol=1e-7)


def test_rate_that_is_legitimately_zero_throughout() -> None:
    ds = hyosan.load("sir").with_values(I=0, R=0).run(t_end=50, every=5).isel(replicate=0)
    assert ds.S.values.tolist() == [990.0] * 11


def test_overflowing_rate_gets_a_named_error() -> None:
    model = inline(
        """
compartments: [S, I]
parameters: {a: 1}
initial: {S: 10, I: 1}
transitions:
  - {reaction: "-> I", rate: "a*exp(t)", name: surge}
  - {reaction: "I -> S", rate: "I", name: back}
"""
    )
    with pytest.raises(EngineError) as err:
        model.run(t_end=1000, every=1)
    msg = str(err.value)
    assert "\n" not in msg and "transition 'surge'" in msg and "t=" in msg


def test_stiff_blow_up_names_a_transition() -> None:
    with pytest.raises(EngineError) as err:
        inline(SIR_FADING.replace("(1 - t/50)", "exp(t)")).run(t_end=1000, every=1)
    msg = str(err.value)
    assert "\n" not in msg and "integration failed" in msg and "'infection'" in msg


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"method": "Euler"}, "method"),
        ({"rtol": -1.0}, "rtol"),
        ({"atol": math.nan}, "atol"),
        ({"stepsize": 0.1}, "stepsize"),
    ],
)
def test_unknown_or_bad_options_are_refused(options: dict, needle: str) -> None:
    with pytest.raises(EngineError, match=needle):
        hyosan.load("sir").run(t_end=10, **options)


def test_cli_negative_rate_is_one_line_and_leaves_nothing(cli, tmp_path) -> None:
    path = tmp_path / "fading.yaml"
    path.write_text(SIR_FADING)
    out = tmp_path / "out"
    res = cli("run", str(path), "--t-end", "100", "--out", str(out), "--no-plot")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "infection" in lines[0] and "t=50 days" in lines[0]
    assert "Traceback" not in res.stderr and not out.exists()


def test_rate_made_negative_by_an_intervention_stops_at_its_time() -> None:
    model = inline(
        """
compartments: [S, I, R]
parameters: {beta: 0.3, c: 0, gamma: 0.1}
initial: {S: 990, I: 10}
infected: [I]
interventions:
  - {kind: set, name: overreach, at: 5, set: {c: 1}}
transitions:
  - {reaction: "S + I -> I + I", rate: "(beta - c)*S*I/N", name: infection}
  - {reaction: "I -> R", rate: "gamma*I", name: recovery}
"""
    )
    with pytest.raises(EngineError, match=r"transition 'infection' .* at t=5 days"):
        model.run(t_end=20, every=1)
