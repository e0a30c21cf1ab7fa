"""Observation models: how an observed count y scatters around the model's value m.

* ``poisson`` (default): y ~ Poisson(m).
* ``negbin``: y ~ NegBinomial with mean m and variance m + m²/phi (``phi`` fitted; Stan's
  ``neg_binomial_2``; phi -> inf is Poisson).
* ``normal``: y ~ Normal(m, sd²) (``sd`` fitted).
* ``binomial``: y ~ Binomial(m, rho), each individual counted with probability ``rho`` (fitted); a
  non-integer m (the ode) uses the gamma-function binomial coefficient, and y > m is impossible.

A model value m is floored at ``FLOOR`` so that a count seen where the model has (almost) none is
very unlikely rather than impossible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, xlogy

from hyosan.fit.priors import FitError, Prior

FLOOR = 1e-8


@dataclass(frozen=True)
class ObservationModel:
    """One observation model: its name and the parameter it fits (with its default prior)."""

    name: str
    parameter: str | None = None
    meaning: str = ""

    def default_prior(self, scale: float) -> Prior | None:
        if self.name == "negbin":
            return Prior("loguniform", (0.01, 1e4))
        if self.name == "normal":
            return Prior("loguniform", (1e-3 * scale, 10.0 * scale))
        if self.name == "binomial":
            return Prior("uniform", (0.0, 1.0))
        return None

    def logpmf(self, y: np.ndarray, m: np.ndarray, extra: float | None) -> float:
        """Sum of log p(y | m) over all observations."""
        m = np.maximum(np.asarray(m, dtype=float), FLOOR)
        if self.name == "poisson":
            return float(np.sum(xlogy(y, m) - m - gammaln(y + 1)))
        if self.name == "negbin":
            phi = float(extra)
            return float(
                np.sum(
                    gammaln(y + phi) - gammaln(phi) - gammaln(y + 1)
                    + phi * (np.log(phi) - np.log(phi + m)) + xlogy(y, m) - xlogy(y, phi + m)
                )
            )  # fmt: skip
        if self.name == "normal":
            sd = float(extra)
            return float(np.sum(-0.5 * ((y - m) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)))
        rho = float(extra)
        if np.any(y > m + 1e-9):
            return -math.inf
        n = np.maximum(m, y)
        return float(
            np.sum(gammaln(n + 1) - gammaln(y + 1) - gammaln(n - y + 1) + xlogy(y, rho) + xlogy(n - y, 1 - rho))
        )

    def sample(self, rng: np.random.Generator, m: np.ndarray, extra: float | None) -> np.ndarray:
        """Draws of y given the model's values ``m`` (posterior-predictive checks)."""
        m = np.maximum(np.asarray(m, dtype=float), 0.0)
        if self.name == "poisson":
            return rng.poisson(m).astype(float)
        if self.name == "negbin":
            phi = float(extra)
            return rng.negative_binomial(phi, phi / (phi + m)).astype(float)
        if self.name == "normal":
            return rng.normal(m, float(extra))
        return rng.binomial(np.round(m).astype(np.int64), float(extra)).astype(float)


OBSERVATION_MODELS = {
    "poisson": ObservationModel("poisson"),
    "negbin": ObservationModel("negbin", "phi", "negative-binomial dispersion: variance = m + m²/phi"),
    "normal": ObservationModel("normal", "sd", "standard deviation of the normal noise"),
    "binomial": ObservationModel("binomial", "rho", "reporting fraction: each individual seen with probability rho"),
}


def observation_model(name: str) -> ObservationModel:
    if name not in OBSERVATION_MODELS:
        raise FitError(f"--noise {name!r}: choose one of {', '.join(OBSERVATION_MODELS)}")
    return OBSERVATION_MODELS[name]
