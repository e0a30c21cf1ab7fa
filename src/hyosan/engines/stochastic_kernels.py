"""Numba kernels for the stochastic engines, generated per model and cached on disk.

Which kernel runs a segment: the straight-line SSA (:mod:`hyosan.engines.straight`) for models
whose rates do not read ``t``, or past its size limit the table-driven SSA
(:mod:`hyosan.engines.table`); exact thinning (:mod:`hyosan.engines.thinning`) for rates that read
``t``; Cao–Gillespie–Petzold tau-leaping (:mod:`hyosan.engines.tau_kernel`), which falls back on
exact steps. Generated rate, bound and margin functions come from
:mod:`hyosan.engines.kernel_source`. Every kernel runs one *segment* of a replicate, from ``t``
to ``t_stop`` (the next scheduled event or the horizon), so that events are applied in Python at
their exact times; waiting times are memoryless, so cutting a run into segments (or at
``max_fired``, or at a trigger) keeps it exact.

Kernel return value: ``(status, t, k, fired, bad, extra, t_fire, t_zero)`` with status ``OK``
(reached ``t_stop``), ``ABSORBED`` (no rate can fire before ``t_stop``: all are zero and, for rates
that read ``t``, certified to stay zero; ``t`` is the time of the last transition), ``BAD_RATE``
(propensity ``bad`` is negative or not finite at time ``t``), ``TOO_MANY`` (``max_fired``
transitions fired, or as many leaps or 20 times as many thinning candidates were drawn; the
state at ``t`` is exact and the run can resume from it), ``NO_BOUND``
(rate ``bad`` reads ``t`` and has no finite bound over any window from ``t``), ``BOUND_BROKEN``
(a rate exceeded its certified bound: a bug) or ``TRIGGERED`` (the transition fired at ``t`` made
pending trigger ``bad``'s condition true; the state is the one just after it). ``k`` is the next
report index still to fill; ``out[:k]`` holds the reported states; ``extra`` is the event-log
length (ssa) or the number of leaps (tau); ``t_fire`` the time of the last transition fired;
``t_zero`` the last time a transition emptied every ``infected`` compartment (-1 if none did).
"""

from __future__ import annotations

from hyosan.compartmental.model import Model
from hyosan.engines import kernel_source as src
from hyosan.engines.codegen import kernel_module
from hyosan.engines.interval import HELPERS
from hyosan.engines.kernel_source import (
    ABSORBED,
    BAD_RATE,
    BOUND_BROKEN,
    NO_BOUND,
    OK,
    TOO_MANY,
    TRIGGERED,
    timed_transitions,
)
from hyosan.engines.straight import changes, dependency_graph, ssa_kernel, ssa_source, straight_line, straight_size
from hyosan.engines.tau_kernel import TAU_LOOP, tau_tables
from hyosan.engines.thinning import THINNING

__all__ = [
    "ABSORBED",
    "BAD_RATE",
    "BOUND_BROKEN",
    "NO_BOUND",
    "OK",
    "TOO_MANY",
    "TRIGGERED",
    "changes",
    "dependency_graph",
    "ssa_kernel",
    "ssa_source",
    "stochastic_source",
    "straight_line",
    "straight_size",
    "tau_kernel",
    "tau_tables",
    "thinned_kernel",
    "timed_transitions",
]


def stochastic_source(model: Model) -> str:
    """Source of the generic kernels: exact SSA with thinning, and Cao–Gillespie–Petzold (2006) tau-leaping."""
    parts = [src.HEADER, HELPERS, src.pop_source(model), src.rates_source(model), src.bounds_source(model)]
    return "".join([*parts, src.margins_source(model), THINNING, TAU_LOOP])


def _module(model: Model):
    return kernel_module(model, "stoch", stochastic_source(model))


def tau_kernel(model: Model):
    """The compiled tau-leaping segment kernel of ``model``."""
    return _module(model).tau_segment


def thinned_kernel(model: Model):
    """The compiled exact segment kernel for models with time-dependent rates."""
    return _module(model).ssa_thinned
