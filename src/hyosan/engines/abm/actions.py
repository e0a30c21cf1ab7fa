"""Applying a scenario intervention to a running agent world (see :mod:`hyosan.scenario_interventions`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from scipy import ndimage

from hyosan.engines.abm import kernels as K
from hyosan.engines.abm.agents import Agents

SEALED = 3


def apply(iv: Any, t: float, a: Agents, w: Any) -> bool:
    """Carry out intervention ``iv`` at ``t`` seconds; True when doors or exits changed (fields need a refresh)."""
    if iv.action in ("seal", "open"):
        seal = iv.action == "seal"
        w.door_state[iv.doors] = SEALED if seal else K.OPEN
        w.exit_sealed[iv.exits] = seal
        if seal:
            _set_down(a, w)
        return True
    if iv.action == "evacuate":
        w.target = iv.target
        soldier = np.array([k.soldier for k in w.sc.kinds])[a.kind]
        civil = ((a.state == K.S) | (a.state == K.E)) & ~soldier
        a.goal[civil] = 0
        a.alert[civil] = True
        w.human_fields()
        return False
    if iv.action == "sweep":
        pick = np.isin(a.kind, iv.kinds) & (a.state == K.S)
        a.route[pick] = iv.route
        a.leg[pick] = 0
        return False
    w.noises.append(replace(iv.noise, start=t))
    w.noise_field(t)
    return False


def _set_down(a: Agents, w: Any) -> None:
    """Move agents standing on cells that just became walls to the nearest free cell, so none is inside a seal."""
    sealed_door = (w.sc.world.door_id >= 0) & (w.door_state[np.maximum(w.sc.world.door_id, 0)] == SEALED)
    sealed_exit = np.isin(w.sc.world.exit_id, np.flatnonzero(w.exit_sealed))
    bad = sealed_door | sealed_exit
    rows, cols = a.y.astype(int), a.x.astype(int)
    live = (a.state != K.X) & bad[rows, cols]
    if not live.any():
        return
    free = (
        (w.sc.world.kind != 1)
        & ~bad
        & ~((w.sc.world.door_id >= 0) & (w.door_state[np.maximum(w.sc.world.door_id, 0)] > 0))
    )
    _, (ri, ci) = ndimage.distance_transform_edt(~free, return_indices=True)
    idx = np.flatnonzero(live)
    r, c = ri[rows[idx], cols[idx]], ci[rows[idx], cols[idx]]
    a.x[idx] = c + 0.5
    a.y[idx] = r + 0.5
