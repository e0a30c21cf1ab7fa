"""Tau-leaping engine for large populations: Cao, Gillespie & Petzold (2006), J. Chem. Phys. 124, 044109.

The procedure is the published one. The leap tau' is the largest step for which every watched
compartment's expected change and standard deviation stay below ``max(epsilon*x/g, 1)``;
transitions that could exhaust a reactant within ``critical`` (10) firings are critical and at
most one of them fires per leap, at an exact exponential time tau''. If tau' < ``ssa_below/a0``
(10/a0) the kernel takes 100 exact SSA steps instead, so small populations are simulated exactly; a
leap that would make a compartment negative is rejected, tau' is halved and the procedure returns
to that test (with a fresh tau''). Rates are frozen over a leap; a rate that reads ``t`` also
bounds the leap so that it moves by at most ``epsilon*a0`` over it (certified by interval
arithmetic), and while every rate is zero the exact time-dependent SSA takes over. A leap after
which a pending trigger's condition holds is rejected and its span re-run with exact steps, so a
trigger fires at one transition, as on the ssa engine (:mod:`hyosan.engines.tau_kernel`).

``epsilon`` defaults to 0.002: on SIR with R0 = 3 and N = 10^5 (S, I = 99990, 10) the mean final
S is then within 0.2% of the exact SSA mean (600 replicates each: 5944.9 ± 4.7 against
5951.8 ± 4.8), where 0.03 gave 1.9% too few. Larger values are faster and less accurate.

Leaps are chosen without regard to the report times, so the path does not depend on ``--every``
(same seed, same final state). A report time inside a leap gets the leap's own state there: each
transition's count in the leap is split binomially at the report time (exact for the Poisson
counts of the leap), drawn from a separate stream so that the path is unaffected; in the rare
case that split makes a compartment negative the state before the leap is reported instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from hyosan.compartmental.model import Model
from hyosan.engines.stochastic import run_engine

INTERVENTIONS = frozenset({"timed", "triggered"})


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
    """``replicates`` tau-leaping runs of ``model``; options ``epsilon``, ``critical``, ``ssa_below``,
    ``max_events`` and ``time_limit`` (seconds of wall clock for the whole run)."""
    return run_engine(
        "tau", model, times, seed=seed, replicates=replicates, workers=workers, progress=progress, options=options
    )
