"""Fitting models to data: the problem (data, observables, priors, likelihood) and the methods."""

from hyosan.fit.data import Observations
from hyosan.fit.priors import FitError, Prior, parse_prior
from hyosan.fit.problem import Free, Problem

__all__ = ["FitError", "Free", "Observations", "Prior", "Problem", "parse_prior"]
