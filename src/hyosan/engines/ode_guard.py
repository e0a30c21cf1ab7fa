"""Keeping the ODE engine honest: rates watched on the accepted trajectory, round-off clipped.

The solver evaluates the right-hand side at trial points off the solution, so a rate is judged only
on accepted steps: ``solve_ivp`` evaluates event functions there and root-finds between them on
the dense output. A rate counts as negative when, at the state with negative counts clipped to 0,
it is below ``-(RATE_RTOL × its largest magnitude so far + RATE_ATOL × population)``. So a rate
that is 0 by construction (``S*I`` at ``I = 0``) or that only approaches 0 (logistic growth near
its capacity) is accepted, while one that turns negative stops the run, reported at the time it
crossed 0. Counts below ``-STATE_TOL × population`` are not round-off and are refused; counts
between that and 0 are reported as 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.optimize import brentq

from hyosan.compartmental.model import Model
from hyosan.engines.events import _values
from hyosan.errors import EngineError

RATE_RTOL = 1e-7
RATE_ATOL = 1e-9
STATE_TOL = 1e-6
ARITHMETIC = (ArithmeticError, ValueError)


class BadRate(Exception):
    """Transition ``j`` turns negative (finite ``value``) or is not finite at time ``t``, state ``x``.

    ``j = -1``: the solver's state itself stopped being finite.
    """

    def __init__(self, t: float, x: np.ndarray, j: int, value: float) -> None:
        super().__init__(t, j, value)
        self.t, self.x, self.j, self.value = t, np.array(x, dtype=float), j, value


class RateWatch:
    """Rates of ``model`` judged on the accepted trajectory, and the first bad one at a trial point."""

    def __init__(self, model: Model, rates: Callable, scale: float) -> None:
        self.model, self.rates = model, rates
        self.scale = scale
        self.peak = np.zeros(len(model.transitions))
        self.buf = np.empty(len(model.transitions))
        self.trial: BadRate | None = None

    def values(self, t: float, x: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Every rate at (t, x); NaN for one whose arithmetic fails (overflow, log of a negative)."""
        try:
            return self.rates(t, x, params, self.buf).copy()
        except ARITHMETIC:
            values = _values(self.model, 0, t, np.asarray(x, dtype=float), params)
            out = np.empty(len(self.model.transitions))
            for j, tr in enumerate(self.model.transitions):
                try:
                    out[j] = tr.rate.evaluate(values)
                except ARITHMETIC:
                    out[j] = math.nan
            return out

    def clipped(self, t: float, y: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Rates with round-off negative counts read as 0 (or as they are, where 0 is not finite)."""
        r = self.values(t, np.maximum(y, 0.0), params)
        bad = ~np.isfinite(r)
        if bad.any():
            r[bad] = self.values(t, y, params)[bad]
        return r

    def margin(self, t: float, y: np.ndarray, params: np.ndarray) -> float:
        """Positive while every rate is non-negative up to round-off; raises on a non-finite rate."""
        if not np.isfinite(y).all():
            raise BadRate(t, y, -1, math.nan)
        r = self.clipped(t, y, params)
        finite = np.isfinite(r)
        if not finite.all():
            j = int(np.argmin(finite))
            raise BadRate(t, y, j, float(r[j]))
        self.peak = np.maximum(self.peak, np.abs(r))
        slack = r + RATE_RTOL * self.peak + RATE_ATOL * self.scale
        return float(slack.min())

    def worst(self, t: float, y: np.ndarray, params: np.ndarray) -> int:
        r = self.clipped(t, y, params)
        return int(np.argmin(r + RATE_RTOL * self.peak + RATE_ATOL * self.scale))

    def note(self, t: float, x: np.ndarray, params: np.ndarray) -> None:
        """Remember the first non-finite rate met at a finite trial point, to explain a later failure."""
        if self.trial is None and np.isfinite(x).all():
            r = self.values(t, x, params)
            bad = ~np.isfinite(r)
            j = int(np.argmax(bad)) if bad.any() else int(np.argmax(np.abs(r)))
            self.trial = BadRate(t, x, j, float(r[j]))

    def crossing(self, ts: np.ndarray, dense: Callable, j: int, params: np.ndarray) -> BadRate:
        """Where rate ``j`` last crossed 0 before going negative at ``ts[-1]`` (``dense``: the solution)."""

        def rate(t: float) -> float:
            return float(self.clipped(t, dense(t), params)[j])

        t = float(ts[0])
        if rate(float(ts[-1])) >= 0:
            t = float(ts[-1])
        else:
            for i in range(len(ts) - 2, -1, -1):
                if rate(float(ts[i])) >= 0:
                    t = brentq(rate, float(ts[i]), float(ts[i + 1]), xtol=1e-13, rtol=1e-15)
                    break
        return BadRate(t, np.maximum(dense(t), 0.0), j, 0.0)

    def error(self, bad: BadRate) -> EngineError:
        """The one-line error, worded as the stochastic engines word theirs."""
        if bad.j < 0:
            if self.trial is not None:
                return self.error(self.trial)
            return EngineError(
                f"ode: the solution stopped being finite at t={bad.t:.6g} days; check the rates for overflow "
                "(exp, powers) or end the run earlier (t_end)"
            )
        tr = self.model.transitions[bad.j]
        state = ", ".join(f"{c}={v:.6g}" for c, v in zip(self.model.compartments, bad.x.tolist(), strict=True))
        if math.isfinite(bad.value):
            what = "turns negative"
        else:
            what = f"has rate {bad.value:g} (overflow or invalid arithmetic)"
        return EngineError(
            f"ode: transition '{tr.name}' ({tr}) {what} at t={bad.t:.6g} days (state {state}); rates must "
            "stay finite and non-negative, so fix its expression or parameters"
        )

    def failure(self, t: float, y: np.ndarray, params: np.ndarray, message: str) -> EngineError:
        """Why the solver gave up: a non-finite rate met on the way, or the fastest transition."""
        if self.trial is not None:
            return self.error(self.trial)
        r = self.values(t, y, params)
        j = int(np.argmax(np.where(np.isfinite(r), np.abs(r), np.inf)))
        if not math.isfinite(r[j]):
            return self.error(BadRate(t, y, j, float(r[j])))
        tr = self.model.transitions[j]
        state = ", ".join(f"{c}={v:.6g}" for c, v in zip(self.model.compartments, y.tolist(), strict=True))
        return EngineError(
            f"ode: integration failed at t={t:.6g} days ({message}); the fastest transition there is "
            f"'{tr.name}' ({tr}) with a rate of size {abs(r[j]):.3g} per day (state {state}): the model is "
            "too stiff or explodes there; check that rate or end the run earlier (t_end)"
        )


def clip_counts(model: Model, times: np.ndarray, out: np.ndarray, scale: float) -> np.ndarray:
    """Report round-off negatives as 0; refuse counts too negative to be round-off."""
    tol = STATE_TOL * max(scale, float(np.max(np.abs(out), initial=0.0)))
    low = out < -tol
    if low.any():
        i, c = np.argwhere(low)[0]
        raise EngineError(
            f"ode: {model.compartments[c]} reached {out[i, c]:.6g} at t={times[i]:.6g} days, below what "
            "round-off explains; tighten the solver (e.g. rtol=1e-12) or check the model's rates"
        )
    return np.maximum(out, 0.0) + 0.0
