"""Non-Markovian periods: a node transition that fires after a drawn duration instead of at a rate.

``periods={"recovery": "gamma:10,2"}`` (``--period recovery=gamma:10,2``) makes each node leave the
transition's source state after a duration drawn, when it enters the state, from

* ``fixed:D``            exactly D days,
* ``gamma:MEAN,SHAPE``   a gamma law of that mean and shape,
* ``lognormal:MEAN,SD``  a lognormal law of that mean and standard deviation,
* ``exp:MEAN``           an exponential law (the Markovian case, written as a period);

durations are days or carry a unit (``fixed:12h``). The transition's rate expression is then not
used. The state must have no other node transition (competing clocks of general laws are not
offered); pair transitions out of the state still fire at their rates, and cancel the period.
Edges from a node in such a state transmit at a constant per-edge rate while it stays, so the
process stays exact: the period is one drawn number, not a daily step.
"""

from __future__ import annotations

import math

from hyosan.errors import EngineError
from hyosan.units import days

EXPONENTIAL, FIXED, GAMMA, LOGNORMAL = 0, 1, 2, 3
_KINDS = {"fixed": (FIXED, 1), "gamma": (GAMMA, 2), "lognormal": (LOGNORMAL, 2), "exp": (EXPONENTIAL, 1)}


def parse(name: str, spec: str) -> tuple[int, float, float, float]:
    """(kind, a, b, mean) of a period spec; a, b are the kernel's parameters (see :func:`kernel draw`)."""
    where = f"--period {name}={str(spec)[:40]}"
    kind, _, rest = str(spec).partition(":")
    if kind not in _KINDS or not rest:
        raise EngineError(f"{where}: write fixed:D, gamma:MEAN,SHAPE, lognormal:MEAN,SD or exp:MEAN (days or 12h)")
    code, count = _KINDS[kind]
    parts = rest.split(",")
    if len(parts) != count:
        raise EngineError(f"{where}: {kind} takes {count} value{'s' if count > 1 else ''}, e.g. {_example(kind)}")
    mean = days(parts[0].strip(), where, EngineError)
    if not (mean > 0 and math.isfinite(mean)):
        raise EngineError(f"{where}: the mean duration must be a positive number of days")
    if code == FIXED or code == EXPONENTIAL:
        return code, mean, 0.0, mean
    try:
        second = float(parts[1]) if code == GAMMA else days(parts[1].strip(), where, EngineError)
    except ValueError:
        raise EngineError(f"{where}: {parts[1][:20]} is not a number") from None
    if not (second > 0 and math.isfinite(second)):
        raise EngineError(f"{where}: the {'shape' if code == GAMMA else 'standard deviation'} must be positive")
    if code == GAMMA:
        return code, second, mean / second, mean  # shape, scale
    sigma2 = math.log1p((second / mean) ** 2)
    return code, math.log(mean) - sigma2 / 2, math.sqrt(sigma2), mean  # mu, sigma of the log


def _example(kind: str) -> str:
    return {"fixed": "fixed:10", "gamma": "gamma:10,2", "lognormal": "lognormal:10,3", "exp": "exp:10"}[kind]
