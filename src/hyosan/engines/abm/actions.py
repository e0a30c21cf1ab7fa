"""Applying a scenario intervention to a running agent world (see :mod:`hyosan.agents.interventions`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from hyosan.engines.abm import step as K
from hyosan.engines.abm.agents import Agents
from hyosan.engines.abm.crowd import nearest_room
from hyosan.engines.abm.siege import rescue

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
    if iv.action == "rescue":
        w.events.append(rescue(iv, t, a, w))
        return False
    w.noises.append(replace(iv.noise, start=t))
    w.noise_field(t)
    return False


def set_down(a: Agents, w: Any) -> None:
    """After doors or exits changed (``w.block`` refreshed): move everyone on the map standing on a cell that
    became a wall (a shut, sealed or barricaded door, a sealed exit) to the centre of the nearest free cell with
    room (:func:`hyosan.engines.abm.crowd.nearest_room`)."""
    idx = a.off_floor((w.block & 7) == 0)
    nearest_room(w.sc, a, idx, (w.block & 7) == 0)
