"""The ODE engine against closed forms and exact relations derived by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

import hyosan
from hyosan.compartmental.io import read_yaml
from hyosan.compartmental.model import Model


def test_sir_final_size_relation() -> None:
    # dS/dR = -R0 S / N  =>  S_inf = S0 exp(-R0 (R_inf - R0_init) / N), with R_inf = N - S_inf.
    model = hyosan.load("sir").with_values(beta=0.25, gamma=0.1, S=990, I=10, R=0)
    ds = model.run(t_end=2000, every=10).isel(replicate=0)
    n, s0, r0 = 1000.0, 990.0, 2.5
    s_inf = brentq(lambda s: s - s0 * math.exp(-r0 * (n - s) / n), 1e-9, s0)
    assert float(ds.S[-1]) == pytest.approx(s_inf, rel=1e-6)
    assert float(ds.I[-1]) < 1e-6


def test_alemi_well_mixed_closed_form() -> None:
    # S' = -b S Z / N, Z' = b (1 - a) S Z / N  =>  Z + (1 - a) S = C and S' = -(b C/N) S + b (1-a)/N S^2,
    # a Bernoulli equation: 1/S = q/p + (1/S0 - q/p) exp(p t), p = b C / N, q = b (1 - a) / N.
    beta, alpha, s0, z0, n = 0.8, 0.5, 999.0, 1.0, 1000.0
    ds = hyosan.load("alemi-szr").with_values(beta=beta, alpha=alpha).run(t_end=40, every=0.5).isel(replicate=0)
    t = ds.time.values
    c = z0 + (1 - alpha) * s0
    p, q = beta * c / n, beta * (1 - alpha) / n
    s = 1.0 / (q / p + (1.0 / s0 - q / p) * np.exp(p * t))
    z = c - (1 - alpha) * s
    np.testing.assert_allclose(ds.S.values, s, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ds.Z.values, z, rtol=1e-6)
    np.testing.assert_allclose(ds.R.values, n - s - z, rtol=1e-6, atol=1e-7)


def test_sis_settles_at_the_endemic_level() -> None:
    ds = hyosan.load("sis").with_values(beta=0.4, gamma=0.1).run(t_end=400, every=1).isel(replicate=0)
    assert float(ds.I[-1]) == pytest.approx(1000 * (1 - 0.1 / 0.4), rel=1e-6)


@pytest.mark.parametrize(
    "name, values",
    [
        ("sir", {}),
        ("seir", {}),
        ("sis", {}),
        ("alemi-szr", {}),
        ("munz-szr", {"Pi": 0}),
        ("munz-sizr", {}),
        ("munz-sizrq", {}),
        ("munz-cure", {}),
        ("hyosan", {}),
    ],
)
def test_closed_models_conserve_their_total(name: str, values: dict) -> None:
    model = hyosan.load(name).with_values(values)
    ds = model.run().isel(replicate=0)
    total = sum(ds[c].values for c in model.compartments)
    np.testing.assert_allclose(total, sum(model.initial), rtol=1e-7)


def test_births_break_conservation_by_exactly_pi_t() -> None:
    model = hyosan.load("munz-szr").with_values(Pi=2.0, beta=0, alpha=0)
    ds = model.run(t_end=5, every=1).isel(replicate=0)
    total = ds.S.values + ds.Z.values + ds.R.values
    np.testing.assert_allclose(total, 500 + 2.0 * ds.time.values, rtol=1e-8)
    assert not model.conserves_population


def test_munz_basic_outbreak_overwhelms_humans_within_days() -> None:
    ds = hyosan.load("munz-szr").run().isel(replicate=0)
    assert float(ds.time[-1]) == 5.0
    assert float(ds.S.sel(time=1.0)) > 400
    assert float(ds.S[-1]) < 0.01 * 499
    assert float(ds.Z[-1]) > 200


def _without_events(model: Model) -> Model:
    from dataclasses import replace

    return replace(model, events=())


def test_impulsive_attacks_fire_exactly_at_their_times() -> None:
    model = hyosan.load("munz-impulsive").with_values(beta=0.0095, alpha=0.005)
    ds = model.run(t_end=12, every=0.5).isel(replicate=0)
    free = _without_events(model).run(t_end=2.5, every=0.5).isel(replicate=0)
    # The first attack (n = 1) destroys the fraction k = 0.25 of the zombies present at t = 2.5.
    assert float(ds.Z.sel(time=2.5)) == pytest.approx(0.75 * float(free.Z.sel(time=2.5)), rel=1e-6)
    assert float(ds.Z.sel(time=2.0)) == pytest.approx(float(free.Z.sel(time=2.0)), rel=1e-6)
    # The fourth attack has k n = 1: no zombie survives it.
    assert float(ds.Z.sel(time=10.0)) == 0.0
    assert float(ds.Z.sel(time=9.5)) > 0.0


def test_output_times_follow_every_and_t_end() -> None:
    ds = hyosan.load("sir").run(t_end=10, every=3).isel(replicate=0)
    assert ds.time.values.tolist() == [0, 3, 6, 9, 10]
    assert ds.attrs["engine"] == "ode"
    assert ds.S.sel(time=0).item() == 990


def test_model_built_in_python_equals_the_yaml_one() -> None:
    text = """
compartments: [S, I, R]
parameters: {beta: 0.3, gamma: 0.1}
initial: {S: 990, I: 10}
transitions:
  - S + I -> I + I @ beta*S*I/N
  - I -> R @ gamma*I
"""
    data, lines = read_yaml(text, "inline.yaml")
    mine = Model.from_dict(data, source="inline.yaml", lines=lines)
    a = mine.run(t_end=50, every=5).isel(replicate=0)
    b = hyosan.load("sir").run(t_end=50, every=5).isel(replicate=0)
    np.testing.assert_allclose(a.I.values, b.I.values, rtol=1e-9)
