"""The engines behind one registry, each returning the common result schema.

``ode``, ``ssa`` and ``tau`` run compartment models (``run(model, times, ...)``); ``abm`` runs agent
scenarios (``run(scenario, ...)``); ``network`` runs compartment models on a contact graph
(``graph=`` option); ``patches`` runs them on coupled patches (``patches=`` option). :data:`RUNS` says which. Engines
are imported on first use so that ``import hyosan`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Protocol

import numpy as np
import xarray as xr

from hyosan.compartmental.model import Model
from hyosan.errors import EngineError

ENGINES = {
    "ode": "hyosan.engines.ode",
    "ssa": "hyosan.engines.ssa",
    "tau": "hyosan.engines.tau",
    "abm": "hyosan.engines.abm",
    "network": "hyosan.engines.network",
    "patches": "hyosan.engines.patches",
}
#: What each engine runs: compartment models or agent scenarios.
RUNS = {"ode": "model", "ssa": "model", "tau": "model", "abm": "scenario", "network": "model", "patches": "model"}


def for_kind(kind: str) -> list[str]:
    """The engines that run a ``"model"`` or a ``"scenario"``."""
    return [name for name, runs in RUNS.items() if runs == kind]


def check_runs(name: str, kind: str, target: str) -> None:
    """Refuse, in one line, an engine that does not run this kind of target."""
    _module_name(name)
    if RUNS[name] != kind:
        what = "compartment models" if RUNS[name] == "model" else "agent scenarios"
        raise EngineError(
            f"engine {name} runs {what}, and {target} is a {'model' if kind == 'model' else 'scenario'}; "
            f"choose one of: {', '.join(for_kind(kind))}"
        )


class Engine(Protocol):
    def __call__(
        self, model: Model, times: np.ndarray, *, seed: int | None, replicates: int, workers: int | None, progress: bool
    ) -> xr.Dataset: ...


def get(name: str) -> Engine:
    """The ``run`` function of engine ``name``."""
    return _module(name).run


def interventions_supported(name: str) -> frozenset[str]:
    """Which interventions engine ``name`` applies: "timed" (parameter-setting at set times), "triggered"."""
    return frozenset(getattr(_module(name), "INTERVENTIONS", ()))


def actions_supported(name: str) -> frozenset[str]:
    """The intervention actions engine ``name`` applies (the table of :mod:`hyosan.interventions`)."""
    from hyosan.interventions import supported

    return supported(name)


def _module_name(name: str) -> str:
    if name not in ENGINES:
        from hyosan.catalog import did_you_mean

        hint = did_you_mean(name, ENGINES)
        raise EngineError(f"unknown engine '{str(name)[:40]}'{hint}; choose one of: {', '.join(ENGINES)}")
    return ENGINES[name]


def _module(name: str):
    _module_name(name)
    try:
        module = importlib.import_module(ENGINES[name])
    except ModuleNotFoundError as exc:
        if exc.name == ENGINES[name]:
            raise EngineError(f"--engine {name}: this engine is not built yet; use --engine ode") from None
        raise
    return module
