"""The ``network`` engine: compartment models run exactly on contact graphs (see :mod:`.engine`)."""

from hyosan.engines.network.engine import INTERVENTIONS, run

__all__ = ["INTERVENTIONS", "run"]
