"""The spatial agent-based engine: bodies in corridors, on a floor plan, with Numba kernels.

In the engine registry as ``abm``: ``run(scenario, seed=..., replicates=..., workers=...)``.
"""

from hyosan.engines.abm.engine import Run, run_scenario, simulate_once

run = run_scenario

__all__ = ["Run", "run", "run_scenario", "simulate_once"]
