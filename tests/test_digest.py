"""Model.digest keys resumed fits and sweeps: anything that changes a run's numbers must change it."""

from __future__ import annotations

import hyosan
from hyosan.experiments.sweep import sweep_key


def _with(item: dict) -> hyosan.Model:
    return hyosan.load("sir").with_interventions([item])


def test_same_model_same_digest() -> None:
    item = {"name": "lock", "at": 5, "set": {"beta": 0.1}}
    assert _with(item).digest() == _with(dict(item)).digest()


def test_intervention_parameters_and_actions_change_the_digest() -> None:
    base = {"name": "lock", "at": 5, "set": {"beta": 0.1}}
    variants = [
        base,
        {**base, "set": {"beta": 0.2}},  # the parameter a set action writes
        {**base, "at": 6},
        {"name": "lock", "when": "I > 10", "set": {"beta": 0.1}},
        {"name": "lock", "when": "I > 20", "set": {"beta": 0.1}},
        {"name": "lock", "at": 5, "kind": "quarantine", "set": {"beta": 0.1}},
        {"name": "cut", "at": 5, "cull": {"I": 0.5}},
        {"name": "cut", "at": 5, "cull": {"I": 0.6}},
        {"name": "cut", "at": 5, "set": {"I": "0.5*I"}, "changes_total": True},
        {"name": "iso", "at": 5, "isolate": {"compartments": ["I"]}},
        {"name": "iso", "at": 5, "isolate": {"nodes": [3]}},
        {"name": "iso", "at": 5, "close": {"class": [1]}},
        {"name": "iso", "at": 5, "close": {"class": [2]}},
        {"name": "tick", "every": 2, "set": {"beta": 0.1}},
        {"name": "tick", "every": 3, "set": {"beta": 0.1}},
        {"name": "tick", "every": 2, "until": 10, "set": {"beta": 0.1}},
    ]
    digests = [_with(v).digest() for v in variants]
    assert len(set(digests)) == len(variants)
    assert hyosan.load("sir").digest() not in digests


def test_default_horizon_changes_the_digest() -> None:
    from dataclasses import replace

    model = hyosan.load("sir")
    assert replace(model, defaults={**model.defaults, "t_end": 7.0}).digest() != model.digest()


def test_sweep_key_follows_the_intervention() -> None:
    a = _with({"name": "lock", "at": 5, "set": {"beta": 0.1}})
    b = _with({"name": "lock", "at": 5, "set": {"beta": 0.2}})
    args = ("gamma", [0.1, 0.2], ["extinct"])
    assert sweep_key(a, *args) != sweep_key(b, *args)


def test_a_fit_fingerprint_sees_every_value_of_a_large_array_option() -> None:
    # numpy prints only the ends of a long array, so str() of two graphs that differ in the middle is
    # the same; the checkpoint fingerprint must see the whole content
    import numpy as np

    from hyosan.fit.resume import fingerprint

    a = np.arange(5000)
    b = a.copy()
    b[2500] += 1
    assert str(a) == str(b)
    assert fingerprint({"options": {"x": a}}) != fingerprint({"options": {"x": b}})
    assert fingerprint({"options": {"x": a}}) == fingerprint({"options": {"x": a.copy()}})
