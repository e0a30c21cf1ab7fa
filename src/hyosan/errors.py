"""Errors a user can act on: each names the place and the fix."""

from __future__ import annotations


class HyosanError(Exception):
    """Base of every error caused by user input; the CLI prints it on one line and exits 2."""


class ModelError(HyosanError):
    """A model definition is malformed or inconsistent."""


class ExpressionError(ModelError):
    """A rate or event expression uses something outside the safe language."""


class ParameterError(HyosanError):
    """A parameter or initial value given by the user is unknown or invalid."""


class EngineError(HyosanError):
    """An engine cannot run this model, or the run went outside the model's domain."""


class ScenarioError(HyosanError):
    """A scenario, map or intervention is malformed."""
