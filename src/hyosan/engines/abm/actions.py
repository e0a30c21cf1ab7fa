"""Applying a scenario intervention to a running agent world (see :mod:`hyosan.agents.interventions`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from scipy import ndimage

from hyosan.engines.abm import step as K
from hyosan.engines.abm.agents import Agents

SEALED = 3


def apply(iv: Any, t: float, a: Agents, w: Any, rng: np.random.Generator) -> bool:
    """Carry out intervention ``iv`` at ``t`` seconds; True when doors or exits changed (fields need a refresh).

    A cull destroys each agent of a culled state (in its zone, if any) independently with its fraction,
    drawn from ``rng``: the binomial thinning the stochastic engines apply to a compartment.
    """
    if iv.action in ("seal", "open"):
        seal = iv.action == "seal"
        w.door_state[iv.doors] = SEALED if seal else K.OPEN
        w.exit_sealed[iv.exits] = seal
        return True
    if iv.action == "evacuate":
        w.target = iv.target
        soldier = np.array([k.soldier for k in w.sc.kinds])[a.kind]
        civil = ((a.state == K.S) | (a.state == K.E)) & ~soldier
        a.goal[civil] = 0
        a.alert[civil] = True
        w.human_fields()
        return False
    if iv.action == "cull":
        soldier = np.array([k.soldier for k in w.sc.kinds])[a.kind]
        inside = np.ones(len(a), dtype=bool)
        if iv.target is not None:
            on = (a.state != K.X) & (a.state != K.D)
            rows, cols = np.floor(a.y[on]).astype(np.int64), np.floor(a.x[on]).astype(np.int64)
            inside[:] = False
            inside[on] = iv.target[rows, cols]
        for code, f in iv.cull:
            if code in (K.S, K.M):
                pick = (a.state == K.S) & (soldier if code == K.M else ~soldier)
            else:
                pick = a.state == code
            idx = np.flatnonzero(pick & inside)
            a.state[idx[rng.random(idx.size) < f]] = K.D
        return False
    if iv.action == "sweep":
        pick = np.isin(a.kind, iv.kinds) & (a.state == K.S)
        a.route[pick] = iv.route
        a.leg[pick] = 0
        return False
    w.noises.append(replace(iv.noise, start=t))
    w.noise_field(t)
    return False


def set_down(a: Agents, w: Any) -> None:
    """After doors or exits changed (``w.block`` refreshed): move everyone on the map standing on a cell that
    became a wall (a shut, sealed or barricaded door, a sealed exit) to the centre of the nearest free cell."""
    idx = a.off_floor(w.block == 0)
    if not idx.size:
        return
    _, (ri, ci) = ndimage.distance_transform_edt(w.block != 0, return_indices=True)
    rows, cols = np.floor(a.y[idx]).astype(np.int64), np.floor(a.x[idx]).astype(np.int64)
    a.x[idx] = ci[rows, cols] + 0.5
    a.y[idx] = ri[rows, cols] + 0.5
