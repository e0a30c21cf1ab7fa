"""The spatial agent-based engine: bodies in corridors, on a floor plan, with Numba kernels.

In the engine registry as ``abm``: ``run(scenario, seed=..., replicates=..., workers=...)``.
"""

from hyosan.kernel_cache import refresh

refresh(__file__)  # before any kernel loads: the cache does not see edits to the modules a kernel calls

from hyosan.engines.abm.engine import Run, run_scenario, simulate_once  # noqa: E402

run = run_scenario

__all__ = ["Run", "run", "run_scenario", "simulate_once"]
