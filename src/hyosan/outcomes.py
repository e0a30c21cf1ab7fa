"""Outcome statistics of an ensemble: who won, how big the outbreak got, when it ended.

Definitions (all from each replicate's state at the end of its run):
- the infection dies out: every ``infected`` compartment is 0;
- humans are wiped out: the first compartment (S, the humans in every library model) is 0;
- humans win: the infection dies out while humans remain;
- extinction time: the exact time the infected compartments last became empty, over the
  replicates in which the infection died out.
Fractions come with their binomial standard error sqrt(p(1-p)/n).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hyosan.model.spec import Model


def _fraction(hits: np.ndarray) -> tuple[float, float]:
    n = hits.size
    p = float(hits.mean()) if n else math.nan
    return p, math.sqrt(p * (1 - p) / n) if n else math.nan


def outcomes(model: Model, final: np.ndarray, extinction: np.ndarray) -> dict[str, Any]:
    """Statistics over the final states (replicate, compartment) and extinction times (NaN: none)."""
    comps = model.compartments
    result: dict[str, Any] = {}
    infected = [comps.index(c) for c in model.infected]
    humans = final[:, 0] == 0
    if infected:
        dies = np.all(final[:, infected] == 0, axis=1)
        p, se = _fraction(dies)
        result["infection_dies_out_fraction"], result["infection_dies_out_se"] = p, se
        p, se = _fraction(dies & ~humans)
        result["humans_win_fraction"], result["humans_win_se"] = p, se
        ext = np.asarray(extinction, dtype=float)[dies]
        if ext.size:
            result["extinction_time_mean"] = float(ext.mean())
            result["extinction_time_median"] = float(np.median(ext))
    p, se = _fraction(humans)
    result["humans_compartment"] = comps[0]
    result["humans_wiped_out_fraction"], result["humans_wiped_out_se"] = p, se
    q = np.quantile(final, [0.05, 0.5, 0.95], axis=0)
    result["final_mean"] = {c: float(final[:, i].mean()) for i, c in enumerate(comps)}
    result["final_q05"] = {c: float(q[0, i]) for i, c in enumerate(comps)}
    result["final_median"] = {c: float(q[1, i]) for i, c in enumerate(comps)}
    result["final_q95"] = {c: float(q[2, i]) for i, c in enumerate(comps)}
    return result
