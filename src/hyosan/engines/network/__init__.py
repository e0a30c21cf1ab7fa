"""The ``network`` engine: compartment models run exactly on contact graphs (see :mod:`.engine`)."""

from hyosan.kernel_cache import refresh

refresh(__file__)  # before any kernel loads: the cache does not see edits to the modules a kernel calls

from hyosan.engines.network.engine import INTERVENTIONS, run  # noqa: E402

__all__ = ["INTERVENTIONS", "run"]
