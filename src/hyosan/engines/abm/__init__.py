"""The spatial agent-based engine: bodies in corridors, on a floor plan, with Numba kernels."""

from hyosan.engines.abm.engine import Run, run_scenario, simulate_once

__all__ = ["Run", "run_scenario", "simulate_once"]
