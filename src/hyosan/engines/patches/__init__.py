"""The ``patches`` engine: a compartment model in every patch of a country, coupled by movement and
mixing, exact (``ssa``), leaped (``tau``) or mean-field (``ode``); see :mod:`.engine`."""

from hyosan.engines.patches.engine import INTERVENTIONS, run

__all__ = ["INTERVENTIONS", "run"]
