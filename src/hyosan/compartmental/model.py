"""The model definition: compartments, parameters, initial state, transitions and scheduled events.

A model is one list of transitions written as reactions (``S + Z -> Z + Z @ beta*S*Z``). Every
engine and the symbolic analysis read the same :class:`Model`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from hyosan.compartmental.model_parse import _check_vanishing, _from_dict, event_times, parse_reaction
from hyosan.compartmental.model_types import (
    MAX_COEFFICIENT,
    MAX_NAME,
    RESERVED,
    Condition,
    Event,
    Parameter,
    Transition,
    _number,
    _short,
)
from hyosan.errors import ModelError, ParameterError

if TYPE_CHECKING:
    from hyosan.compartmental.builder import ModelBuilder

__all__ = [
    "MAX_COEFFICIENT", "MAX_NAME", "RESERVED", "Condition", "Event", "Model", "Parameter", "Transition",
    "event_times", "parse_reaction",
]  # fmt: skip


@dataclass(frozen=True)
class Model:
    """A compartmental model. Build it in Python or load it with :func:`hyosan.load`."""

    name: str
    compartments: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    initial: tuple[float, ...]
    transitions: tuple[Transition, ...]
    events: tuple[Event, ...] = ()
    title: str = ""
    description: str = ""
    reference: str = ""
    notes: str = ""
    infected: tuple[str, ...] = ()
    population: tuple[str, ...] = ()
    compartment_meaning: tuple[str, ...] = ()
    defaults: Mapping[str, float] = field(default_factory=dict)
    source: str = "<python>"
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], source: str = "<dict>", lines: Mapping[tuple, int] | None = None
    ) -> Model:
        """Validate a parsed model description; errors name ``source``, the field and the line."""
        return _from_dict(cls, data, source, lines or {})

    @staticmethod
    def build(name: str) -> ModelBuilder:
        """Start a model in Python: ``Model.build("sir").compartments("S", "I", "R")...model()``."""
        from hyosan.compartmental.builder import ModelBuilder

        return ModelBuilder(name)

    # ---- views ---------------------------------------------------------------------------
    @property
    def parameter_values(self) -> dict[str, float]:
        return {p.name: p.value for p in self.parameters}

    @property
    def initial_state(self) -> dict[str, float]:
        return dict(zip(self.compartments, self.initial, strict=True))

    @cached_property
    def stoichiometry(self) -> np.ndarray:
        """Integer matrix, transitions × compartments (built once per model, in linear time; read-only)."""
        index = {c: i for i, c in enumerate(self.compartments)}
        out = np.zeros((len(self.transitions), len(self.compartments)), dtype=np.int64)
        for j, tr in enumerate(self.transitions):
            for c, k in tr.products:
                out[j, index[c]] += k
            for c, k in tr.reactants:
                out[j, index[c]] -= k
        out.setflags(write=False)
        return out

    @property
    def population_index(self) -> np.ndarray:
        if not self.population:
            return np.arange(len(self.compartments), dtype=np.int64)
        index = {c: i for i, c in enumerate(self.compartments)}
        return np.array([index[c] for c in self.population], dtype=np.int64)

    @property
    def conserves_population(self) -> bool:
        """True when every transition leaves the sum over ``population`` unchanged."""
        return bool(np.all(self.stoichiometry[:, self.population_index].sum(axis=1) == 0))

    def digest(self) -> str:
        """A short hash of everything that defines the model's numbers: it keys resumed fits and sweeps
        and labels results, so events and interventions enter with every field (times, trigger,
        assignments, parameter changes, graph actions, kind), and so do the default horizon and roles."""
        blob = json.dumps(
            {
                "c": self.compartments,
                "p": self.parameter_values,
                "x0": self.initial,
                "tr": [str(t) for t in self.transitions],
                "ev": [_event_key(e) for e in self.events],
                "pop": self.population,
                "inf": self.infected,
                "roles": {k: list(v) for k, v in self.roles.items()},
                "defaults": dict(self.defaults),
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def run(self, engine: str = "ode", **options: Any):
        """Simulate on ``engine``; returns an ``xarray.Dataset`` (see :func:`hyosan.simulate.simulate`)."""
        from hyosan.simulate import simulate

        return simulate(self, engine, **options)

    # ---- changes -------------------------------------------------------------------------
    def with_values(self, values: Mapping[str, float] | None = None, **kw: float) -> Model:
        """A copy with parameters and/or initial compartment sizes changed."""
        values = {**(values or {}), **kw}
        params = {p.name: p for p in self.parameters}
        initial = dict(self.initial_state)
        for key, raw in values.items():
            value = _number(raw, str(key))
            if key in params:
                params[key] = replace(params[key], value=value)
            elif key in initial:
                if value < 0:
                    raise ParameterError(f"{key}={raw}: a compartment size cannot be negative")
                initial[key] = value
            else:
                from hyosan.catalog import did_you_mean

                names = ", ".join([*params, *initial])
                raise ParameterError(
                    f"{key}: '{key}' is neither a parameter nor a compartment of {self.name}"
                    f"{did_you_mean(key, [*params, *initial])}; use one of: {names}"
                )
        model = replace(
            self,
            parameters=tuple(params.values()),
            initial=tuple(initial[c] for c in self.compartments),
        )
        _check_vanishing(model)
        model.check_rates()
        from hyosan.engines.events import check_events

        check_events(model)
        return model

    def with_interventions(self, items: Sequence[Any]) -> Model:
        """A copy with interventions added: :class:`hyosan.Intervention` objects or mappings as in a file."""
        from hyosan.interventions import add_to_model

        return add_to_model(self, items)

    def rates_at(self, state: Mapping[str, float], t: float = 0.0) -> np.ndarray:
        values = {**self.parameter_values, **state, "t": t}
        values["N"] = sum(state[self.compartments[i]] for i in self.population_index)
        return np.array([tr.rate.evaluate(values) for tr in self.transitions])

    def check_rates(self) -> None:
        """Every rate must be finite and non-negative at the initial state."""
        for tr, r in zip(self.transitions, self.rates_at(self.initial_state), strict=True):
            if not math.isfinite(r) or r < 0:
                raise ModelError(
                    f"{self.source}: transition '{_short(tr.name)}' ({_short(str(tr))}) has rate {r} at the initial "
                    "state; rates must be finite and non-negative (check its parameters and signs)"
                )


def _event_key(e: Event) -> dict[str, Any]:
    """Every field of an event that decides what it does, as JSON (``where`` only places messages)."""
    return {
        "name": e.name,
        "times": e.times.key(),
        "assign": [(k, str(v)) for k, v in e.assign],
        "params": [(k, str(v)) for k, v in e.params],
        "when": None if e.when is None else e.when.text,
        "kind": e.kind,
        "changes_total": e.changes_total,
        "graph": e.graph,
    }
