"""Exact stochastic engine: Gillespie's direct method, compiled per model with Numba.

Each replicate draws from its own PCG64 stream (``SeedSequence(seed).spawn(replicates)``), so a
result depends on the seed only, never on ``workers``. Waiting times are exact exponentials
(Numba's ziggurat ``standard_exponential``), the transition is chosen by one uniform against the
cumulative propensities, and after a transition only the propensities that read a changed
compartment (or ``N``) are recomputed. Rates that read ``t`` are sampled exactly by thinning
against a certified bound over a look-ahead window (see :mod:`hyosan.engines.thinning`); a rate
without a finite bound is refused. Triggered interventions are checked after every transition and
fire, once, at the transition that makes their condition true (:mod:`hyosan.engines.triggers`).
A run stops at the horizon or at absorption (every rate zero and certified to stay zero until the
next event). Options: ``log_events=True`` keeps up to
``log_capacity`` (100,000) transition times and indices per replicate as
``event_time``/``event_transition``; ``max_events`` (10^10 per replicate) and ``time_limit``
(seconds of wall clock for the run) stop a runaway run with an error saying how far it got;
``executor`` (see :mod:`hyosan.parallel`) replaces the process pool, e.g. with a Dask one. See
:mod:`hyosan.engines.stochastic` for events and the schema.
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
    """``replicates`` exact runs of ``model`` reported at ``times`` (days); dims (replicate, time)."""
    return run_engine(
        "ssa", model, times, seed=seed, replicates=replicates, workers=workers, progress=progress, options=options
    )
