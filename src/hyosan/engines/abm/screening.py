"""Screening on arrival, run beside the kernels (see :mod:`hyosan.agents.screening` for the semantics).

The engine calls :meth:`Gate.check` at the start of every chunk of steps and cuts chunks at
:meth:`Gate.next_stop`: every step while some civilian has not yet arrived (so an entry into the hall is
seen at the first step at whose start the agent stands in it), and otherwise at the next screening time
or the next turning of a held agent, so both happen at step resolution. Confinement uses the kernels'
room mechanism (``hidden``: a held human moves only inside its room); agents are escorted between rooms
by setting them down on a random floor cell of the destination. Detection draws come from the run's
numpy Generator, in agent order, so a run stays reproducible.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hyosan.engines.abm import step as K
from hyosan.engines.abm.agents import Agents
from hyosan.engines.abm.crowd import put

WAITING, HELD, ADMITTED, ISOLATED, DONE = range(5)
HEALTHY, DETECTED, MISSED = 0, 1, 2
MAX_CHUNK = 60


class Gate:
    """Per-agent screening phase (waiting, held, admitted, isolated, done) and the step it entered the hall."""

    def __init__(self, sc: Any, a: Agents, room0: int, rng: np.random.Generator) -> None:
        scr = sc.screening
        self.sc = sc
        self.scr = scr
        self.rng = rng
        self.dt = sc.step
        self.room0 = room0
        self.delay_steps = int(np.ceil(scr.delay / sc.step - 1e-9))
        soldier = np.array([k.soldier for k in sc.kinds])[a.kind]
        civil = ~soldier & ((a.state == K.S) | (a.state == K.E))
        self.phase = np.where(civil, WAITING, DONE).astype(np.int8)
        self.step_in = np.zeros(len(a), np.int64)
        floor = sc.world.kind == 0
        self.cells = {ISOLATED: np.argwhere(scr.isolation & floor), ADMITTED: np.argwhere(scr.admit & floor)}
        inside = civil & scr.admit[a.y.astype(int), a.x.astype(int)]
        self.phase[inside] = ADMITTED
        a.hidden[inside] = room0 + 2

    def check(self, step: int, a: Agents) -> dict[str, np.ndarray] | None:
        """Shoot held agents who turn, hold new entrants, screen those whose delay is over; the events."""
        t = step * self.dt
        out: list[tuple[int, np.ndarray, int | np.ndarray]] = []
        held = (self.phase == HELD) | (self.phase == ISOLATED)
        turned = held & (((a.state == K.E) & (a.turn_at <= t)) | (a.state == K.Z) | (a.state == K.H))
        if turned.any():
            idx = np.flatnonzero(turned)
            out.append((K.GUARDED, idx, (self.phase[idx] == ISOLATED).astype(np.int32)))
            a.state[idx] = K.D
            a.hidden[idx] = -1
            self.phase[idx] = DONE
        alive = (a.state == K.S) | (a.state == K.E)
        waiting = (self.phase == WAITING) & alive
        if waiting.any():
            new = waiting & self.scr.hall[a.y.astype(int), a.x.astype(int)]
            if new.any():
                idx = np.flatnonzero(new)
                self.phase[idx] = HELD
                self.step_in[idx] = step
                a.hidden[idx] = self.room0
                a.alert[idx] = True
                out.append((K.HELD, idx, -1))
        due = (self.phase == HELD) & alive & (self.step_in + self.delay_steps <= step)
        if due.any():
            idx = np.flatnonzero(due)
            bitten = a.state[idx] == K.E
            detect = np.zeros(idx.size, bool)
            detect[bitten] = self.rng.random(int(bitten.sum())) < self.scr.sensitivity
            verdict = np.where(detect, DETECTED, np.where(bitten, MISSED, HEALTHY)).astype(np.int32)
            out.append((K.SCREENED, idx, verdict))
            for phase, room, code, pick in (
                (ISOLATED, 1, K.ISOLATED, idx[detect]),
                (ADMITTED, 2, K.ADMITTED, idx[~detect]),
            ):
                if pick.size:
                    self._set_down(a, pick, self.cells[phase])
                    self.phase[pick] = phase
                    a.hidden[pick] = self.room0 + room
                    out.append((code, pick, -1))
        if not out:
            return None
        ids = np.concatenate([o[1] for o in out]).astype(np.int32)
        return {
            "t": np.full(ids.size, t, np.float64),
            "kind": np.concatenate([np.full(o[1].size, o[0], np.int8) for o in out]),
            "agent": ids,
            "x": a.x[ids].copy(),
            "y": a.y[ids].copy(),
            "aux": np.concatenate([np.broadcast_to(np.asarray(o[2], np.int32), o[1].shape) for o in out]),
        }

    def next_stop(self, step: int, stop: int, a: Agents) -> int:
        """The step before which :meth:`check` must run again (at most ``stop``)."""
        alive = (a.state == K.S) | (a.state == K.E)
        if ((self.phase == WAITING) & alive).any():
            return step + 1
        when = [stop, step + MAX_CHUNK]
        held = (self.phase == HELD) & alive
        if held.any():
            when.append(int(self.step_in[held].min()) + self.delay_steps)
        incubating = ((self.phase == HELD) | (self.phase == ISOLATED)) & (a.state == K.E)
        if incubating.any():
            when.append(int(np.ceil(a.turn_at[incubating].min() / self.dt - 1e-9)))
        return min(stop, max(step + 1, min(when)))

    def _set_down(self, a: Agents, idx: np.ndarray, cells: np.ndarray) -> None:
        put(self.sc, a, idx, cells, self.rng, f"{self.sc.source} (screening): the room they are taken to", None)
