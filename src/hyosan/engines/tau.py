"""Tau-leaping engine for large populations: Cao, Gillespie & Petzold (2006), J. Chem. Phys. 124, 044109.

The leap is the largest tau for which every watched compartment's expected change and standard
deviation stay below ``max(epsilon*x/g, 1)`` (``epsilon`` = 0.03). Transitions that could exhaust
a reactant within ``critical`` (10) firings are critical: at most one of them fires per leap,
chosen exactly as in SSA. A leap that would make a compartment negative is rejected and retried
with half the step; when the step falls below ``ssa_below/a0`` (10/a0) the kernel takes 100 exact
SSA steps instead, so small populations are simulated exactly. Rates are frozen over a leap.
Leaps stop at report times so reported states are exact samples of the leaping process.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from hyosan.engines.stochastic import run_engine
from hyosan.model.spec import Model

INTERVENTIONS = frozenset({"timed"})


def run(
    model: Model,
    times: np.ndarray,
    *,
    seed: int | None = 0,
    replicates: int = 1,
    workers: int | None = None,
    progress: bool = False,
    **options: Any,
) -> xr.Dataset:
    """``replicates`` tau-leaping runs of ``model``; options ``epsilon``, ``critical``, ``ssa_below``."""
    return run_engine(
        "tau", model, times, seed=seed, replicates=replicates, workers=workers, progress=progress, options=options
    )
