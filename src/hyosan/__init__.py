"""hyosan: outbreak simulation, from the blackboard to the school corridor.

One face for compartment models and agent scenarios:

>>> import hyosan
>>> model = hyosan.load("munz-szr")                                  # a Model
>>> result = model.with_values(beta=0.01).run(engine="ode", t_end=5)   # an xarray.Dataset
>>> hyosan.analyze(model).R0                                         # doctest: +SKIP
>>> school = hyosan.load("hyosan-high")                              # a Scenario   # doctest: +SKIP
>>> result = school.run(t_end="20min")                               # the agent engine  # doctest: +SKIP
>>> sir = (hyosan.Model.build("sir").compartments("S", "I", "R")     # doctest: +SKIP
...        .parameters(beta=0.3, gamma=0.1)
...        .transition("S + I -> 2 I", rate="beta*S*I/N").transition("I -> R", rate="gamma*I")
...        .initial(S=990, I=10).model())
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyosan._version import __version__
from hyosan.catalog import did_you_mean, load, models, scenarios
from hyosan.compartmental.builder import ModelBuilder
from hyosan.compartmental.io import library
from hyosan.compartmental.model import Model
from hyosan.errors import (
    EngineError,
    ExpressionError,
    HyosanError,
    ModelError,
    ParameterError,
    ScenarioError,
)
from hyosan.interventions import Intervention

if TYPE_CHECKING:
    import xarray as xr

    from hyosan.agents.scenario import Scenario
    from hyosan.analysis.report import Analysis

__all__ = [
    "Analysis",
    "EngineError",
    "ExpressionError",
    "HyosanError",
    "Intervention",
    "Model",
    "ModelBuilder",
    "ModelError",
    "ParameterError",
    "Scenario",
    "ScenarioError",
    "__version__",
    "analyze",
    "did_you_mean",
    "library",
    "load",
    "models",
    "open_result",
    "run",
    "save",
    "scenarios",
]


def run(target: Model | Scenario | str | Path, engine: str | None = None, **options: Any) -> xr.Dataset:
    """Run a model or a scenario (or a library name / YAML path); the result Dataset.

    Models: see :func:`hyosan.simulate.simulate` (``engine`` defaults to ode). Scenarios run on the
    agent engine: see :func:`hyosan.agents.run.execute`.
    """
    obj = load(target) if isinstance(target, (str, Path)) else target
    return obj.run(**({"engine": engine} if engine is not None else {}), **options)


def save(result: xr.Dataset, model: Model | Scenario | str | None = None, out: str | Path | None = None) -> None:
    """Write a result's CSVs, summary, NetCDF and plot into the folder ``out``.

    What was run is read from the result (``save(result, "folder")`` works); ``model``, if given,
    must be a Model with the result's compartments, or the Scenario it came from.
    """
    from hyosan.agents.scenario import Scenario
    from hyosan.simulate import save as _save

    _save(result, None if isinstance(model, Scenario) else model, out)


def analyze(target: Model | Scenario | str | Path, **values: float) -> Analysis:
    """R0 by next-generation matrix, equilibria and their stability (an :class:`~hyosan.analysis.Analysis`).

    A scenario is analysed through the compartment model it declares (``model:`` in its YAML).
    """
    from hyosan.agents.scenario import Scenario
    from hyosan.analysis import analyze as _analyze
    from hyosan.catalog import declared_model

    obj = load(target) if isinstance(target, (str, Path)) else target
    if isinstance(obj, Scenario):
        obj = declared_model(obj)
    return _analyze(obj.with_values(values) if values else obj)


def open_result(path: str | Path) -> xr.Dataset:
    """A saved result (``result.nc``, or the folder holding it) as the Dataset the run returned."""
    from hyosan.results import open_result as _open

    return _open(path)


def __getattr__(name: str) -> Any:
    """``hyosan.Scenario`` and ``hyosan.Analysis``, imported on first use (they pull in scipy and sympy)."""
    if name == "Scenario":
        from hyosan.agents.scenario import Scenario

        return Scenario
    if name == "Analysis":
        from hyosan.analysis.report import Analysis

        return Analysis
    if name == "fit":
        import hyosan.fit

        return hyosan.fit
    raise AttributeError(f"module 'hyosan' has no attribute {name!r}")
