"""The mean-field ODE for fitting: LSODA through ``scipy.integrate.odeint`` (compiled loop, one Python
call per right-hand side), a few times faster than ``solve_ivp`` on short horizons. Only for models
without events; results agree with the ode engine to the tolerances below.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.integrate import odeint

from hyosan.compartmental.model import Model
from hyosan.engines.codegen import python_rates
from hyosan.errors import EngineError

RTOL = 1e-8
#: Absolute tolerance relative to the initial population.
ATOL = 1e-9


def integrate(model: Model, params: np.ndarray, x0: np.ndarray, times: np.ndarray) -> np.ndarray:
    """States (time × compartment) at ``times`` (starting at 0)."""
    rates = python_rates(model)
    stoich_t = model.stoichiometry.T.astype(float)
    buf = np.empty(len(model.transitions))
    if not np.all(np.isfinite(rates(0.0, x0, params, buf))) or np.any(buf < 0):
        raise EngineError(f"fit: a rate of {model.name} is negative or not finite at the start")

    def rhs(x: np.ndarray, t: float) -> np.ndarray:
        return stoich_t @ rates(t, x, params, buf)

    scale = max(1.0, float(np.sum(x0)))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out, info = odeint(rhs, x0, times, rtol=RTOL, atol=ATOL * scale, full_output=True, mxstep=50_000)
    if info["message"] != "Integration successful." or not np.all(np.isfinite(out)):
        raise EngineError(f"fit: the ode of {model.name} could not be integrated at these parameters")
    return out
