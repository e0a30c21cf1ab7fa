"""hyosan: outbreak simulation, from the blackboard to the school corridor.

>>> import hyosan
>>> model = hyosan.load("munz-szr")
>>> result = model.with_values(beta=0.01).run(engine="ode", t_end=5)   # an xarray.Dataset
>>> hyosan.analyze(model)["R0"]                                       # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hyosan._version import __version__
from hyosan.compartmental.io import library, load
from hyosan.compartmental.model import Model
from hyosan.errors import EngineError, ExpressionError, HyosanError, ModelError, ParameterError
from hyosan.interventions import Intervention

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "EngineError",
    "ExpressionError",
    "HyosanError",
    "Intervention",
    "Model",
    "ModelError",
    "ParameterError",
    "__version__",
    "analyze",
    "library",
    "load",
    "open_result",
    "run",
    "save",
]


def run(model: Model | str, engine: str = "ode", **options: Any) -> xr.Dataset:
    """Simulate a model (or library name / YAML path); see :func:`hyosan.simulate.simulate`."""
    from hyosan.simulate import simulate

    return simulate(load(model) if isinstance(model, str) else model, engine, **options)


def save(result: xr.Dataset, model: Model | str | None = None, out: str | None = None) -> None:
    """Write a result's CSVs, summary and plot into the folder ``out``.

    Parameters and initial state are those the result was run with; ``model`` is optional
    (``save(result, "folder")`` works) and, if given, must have the result's compartments.
    """
    from hyosan.simulate import save as _save

    _save(result, model, out)


def analyze(model: Model | str, **values: float) -> dict[str, Any]:
    """R0 by next-generation matrix, equilibria and their stability; see :mod:`hyosan.analysis`."""
    from hyosan.analysis import analyze as _analyze

    model = load(model) if isinstance(model, str) else model
    return _analyze(model.with_values(values) if values else model)


def open_result(path: str) -> xr.Dataset:
    """A saved result (``result.nc``, or the folder holding it) as the Dataset the run returned."""
    from hyosan.results import open_result as _open

    return _open(path)
