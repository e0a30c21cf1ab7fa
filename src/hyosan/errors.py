"""Errors a user can act on: each names the place and the fix."""

from __future__ import annotations


class HyosanError(Exception):
    """Base of every error caused by user input; the CLI prints it on one line and exits 2.

    Line breaks inside the message (they come from quoted user text) are written as ``\\n`` so
    that the message stays one line wherever it is shown.
    """

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (args[0].translate(_ONE_LINE),)
        super().__init__(*args)


_ONE_LINE = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


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
