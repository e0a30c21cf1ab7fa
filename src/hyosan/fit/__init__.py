"""Fitting models to data: ``hyosan.fit(model, data, free, method=...)`` and its parts.

The module itself is callable (``hyosan.fit(...)`` is :func:`hyosan.fit.api.fit`), so that the
package keeps its namespace (``hyosan.fit.Problem``) and the short call works.
"""

import sys
import types

from hyosan.fit.api import METHODS, default_method, fit
from hyosan.fit.data import Observations
from hyosan.fit.mle import Budget
from hyosan.fit.priors import FitError, Prior, parse_prior
from hyosan.fit.problem import Free, Problem
from hyosan.fit.result import FitResult

__all__ = [
    "METHODS", "Budget", "FitError", "FitResult", "Free", "Observations", "Prior", "Problem", "default_method",
    "fit", "parse_prior",
]  # fmt: skip


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs) -> FitResult:
        return fit(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
