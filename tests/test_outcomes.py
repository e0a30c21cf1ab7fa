"""Outcome names fit the model: zombie-story outcomes only where the model declares those roles."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hyosan
from hyosan.compartmental.io import library, read_yaml
from hyosan.compartmental.model import Model
from hyosan.errors import ModelError
from hyosan.outcomes import outcomes, statistics

ZOMBIE_WORDS = ("humans", "zombies")


def inline(text: str) -> Model:
    data, lines = read_yaml(text, "inline.yaml")
    return Model.from_dict(data, source="inline.yaml", lines=lines)


def test_sir_reports_only_generic_outcomes() -> None:
    ds = hyosan.load("sir").with_values(S=40, I=2).run("ssa", t_end=400, every=10, replicates=20, seed=3)
    out = statistics(ds)
    assert not [k for k in out if any(w in k for w in ZOMBIE_WORDS)]
    assert {"infection_dies_out_fraction", "infection_dies_out_se", "extinction_time_mean"} <= set(out)
    # The fraction is recomputed from the replicates' own final states (I = 0 at the end).
    final = np.stack([ds[c].values[:, -1] for c in ("S", "I", "R")], axis=1)
    assert out["infection_dies_out_fraction"] == float(np.mean(final[:, 1] == 0))


def test_outcomes_follow_the_declared_roles() -> None:
    # Humbie-style model: humans at large (S) and safe on a base (Q); S = 0 alone is not a defeat.
    model = inline(
        """
compartments: [S, Q, Z, R]
parameters: {beta: 0.01}
initial: {S: 10, Z: 1}
infected: [Z]
roles: {humans: [S, Q], zombies: [Z]}
transitions:
  - S + Z -> Z + Z @ beta*S*Z
"""
    )
    final = np.array([[0, 5, 0, 1], [0, 0, 3, 0], [2, 0, 0, 4], [0, 0, 0, 9]])
    out = outcomes(model, final, np.array([1.0, np.nan, 3.0, 2.0]))
    assert out["humans_compartments"] == ["S", "Q"]
    assert out["humans_wiped_out_fraction"] == 0.5
    assert out["humans_win_fraction"] == 0.5
    assert out["humans_win_se"] == pytest.approx(math.sqrt(0.25 / 4))
    assert out["infection_dies_out_fraction"] == 0.75
    assert out["extinction_time_mean"] == pytest.approx(2.0)


def test_zombies_role_alone_defines_the_infection_for_humans_win() -> None:
    model = inline(
        """
compartments: [S, Z]
parameters: {a: 0.1}
initial: {S: 10, Z: 1}
roles: {humans: [S], zombies: [Z]}
transitions:
  - S + Z -> S @ a*S*Z
"""
    )
    out = outcomes(model, np.array([[3, 0], [0, 2]]), np.array([np.nan, np.nan]))
    assert out["humans_win_fraction"] == 0.5 and out["humans_wiped_out_fraction"] == 0.5
    assert "infection_dies_out_fraction" not in out


def test_no_roles_no_zombie_outcomes_even_with_the_first_compartment_at_zero() -> None:
    out = outcomes(hyosan.load("seir"), np.array([[0, 0, 0, 10], [0, 0, 1, 9]]), np.array([5.0, np.nan]))
    assert not [k for k in out if any(w in k for w in ZOMBIE_WORDS)]
    assert out["infection_dies_out_fraction"] == 0.5 and out["extinction_time_median"] == 5.0


@pytest.mark.parametrize("name", sorted(library()))
def test_library_zombie_models_declare_roles(name: str) -> None:
    model = hyosan.load(name)
    zombie_story = "Z" in model.compartments
    assert bool(model.roles) == zombie_story
    if zombie_story:
        assert model.roles["zombies"] == ("Z",) and "S" in model.roles["humans"]


@pytest.mark.parametrize(
    ("roles", "needle"),
    [
        ("{heroes: [S]}", "roles.heroes"),
        ("{humans: [X]}", "roles.humans"),
        ("{humans: []}", "roles.humans"),
        ("[S]", "roles"),
        ("{humans: S}", "roles.humans"),
    ],
)
def test_bad_roles_are_refused_with_the_place(roles: str, needle: str) -> None:
    text = f"""
compartments: [S, Z]
parameters: {{a: 0.1}}
initial: {{S: 10, Z: 1}}
roles: {roles}
transitions:
  - S + Z -> S @ a*S*Z
"""
    with pytest.raises(ModelError, match=needle) as err:
        inline(text)
    assert "\n" not in str(err.value) and "inline.yaml:5" in str(err.value)


def test_hyosan_evacuated_humans_are_not_wiped_out() -> None:
    # Evacuation empties S in every run; the humans confined in Q survived, so they are not wiped out.
    model = hyosan.load("hyosan").with_values(S=30, Z=1)
    ds = model.run("ssa", t_end=200, every=10, replicates=10, seed=1)
    out = statistics(ds)
    s, q = ds.S.values[:, -1], ds.Q.values[:, -1]
    assert out["humans_wiped_out_fraction"] == float(np.mean((s == 0) & (q == 0)))
    assert out["humans_wiped_out_fraction"] < 1.0
