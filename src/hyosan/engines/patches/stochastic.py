"""One replicate of a patches run on the ``ssa`` or ``tau`` kernel, cut into segments at interventions.

Interventions are applied between segments, in Python, at their exact times (timed) or at the event
after which their condition holds (triggered: the kernel stops there); the kernel then resumes from
the state, drawing fresh waiting times, which memorylessness makes exact.
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from hyosan.compartmental.model import Model
from hyosan.engines.events import event_params, realise_event, trigger_margin
from hyosan.engines.kernel_source import ABSORBED, BAD_RATE, TOO_MANY, TRIGGERED
from hyosan.engines.patches.control import Action, timeline, triggered
from hyosan.engines.patches.coupling import Arrays, arrays
from hyosan.engines.patches.leap import COUPLE
from hyosan.engines.patches.setup import Start
from hyosan.engines.patches.source import patch_module
from hyosan.engines.tau_kernel import tau_tables
from hyosan.errors import EngineError
from hyosan.parallel import generator
from hyosan.places.patches import Patches

CHUNK = 1_000_000


class Outcome(NamedTuple):
    values: np.ndarray  # (T, P, C) int64
    first: np.ndarray  # (P,)
    fall: np.ndarray  # (P,)
    t_trigger: np.ndarray
    fired: int
    leaps: int


@dataclass(frozen=True)
class Task:
    """Picklable: runs a chunk of replicates (see :func:`hyosan.parallel.map_replicates`)."""

    method: str
    model: Model  # with one event per triggered action (control.trigger_model)
    base: Model
    patches: Patches
    start: Start
    acts: tuple[Action, ...]
    times: np.ndarray
    options: dict[str, Any] = field(default_factory=dict)

    def __call__(self, chunk: list[tuple[int, np.random.SeedSequence]]) -> list[Outcome]:
        return [replicate(self, generator(seq), i) for i, seq in chunk]

    @cached_property
    def kernels(self):
        return patch_module(self.model)

    @cached_property
    def free(self) -> Arrays:
        """The couplings before any cordon."""
        return arrays(self.patches, [])


def marks(st: Start, X: np.ndarray, t: float, first: np.ndarray, fall: np.ndarray, rows=slice(None)) -> None:
    """Record first arrivals and falls that hold at ``t`` (patches ``rows``)."""
    if st.arr_c >= 0:
        hit = np.isnan(first[rows]) & (X[rows, st.arr_c] > 0)
        first[rows] = np.where(hit, t, first[rows])
    down = np.isnan(fall[rows]) & (X[rows][:, st.fallmask].sum(axis=1) < st.fall_lvl[rows])
    fall[rows] = np.where(down, t, fall[rows])


def replicate(task: Task, rng: np.random.Generator, index: int) -> Outcome:
    model, st, times = task.base, task.start, task.times
    mod = task.kernels
    P, C = st.X.shape
    X = st.X.copy()
    Pm = st.Pm.copy()
    p0 = Pm[0].copy() if P else np.zeros(0)
    E, Ne = np.zeros((P, C)), np.zeros(P)
    S = model.stoichiometry.astype(np.int64)
    cordons: list = []
    arr = task.free
    out = np.zeros((len(times), P, C), dtype=np.int64)
    totals = X.sum(axis=0)
    first, fall = np.full(P, math.nan), np.full(P, math.nan)
    marks(st, X, 0.0, first, fall)
    trig = triggered(list(task.acts))
    act = np.ones(len(trig), dtype=np.bool_)
    t_trigger = np.full(len(trig), math.nan)
    opts = task.options
    max_events = int(opts.get("max_events") or 10**12)
    deadline = opts.get("deadline")
    eps = float(opts.get("epsilon") or 0.002)
    _, hor, horc, watch = tau_tables(model)
    t_end = float(times[-1])
    t, k, fired, leaps = 0.0, 0, 0, 0

    def apply(a: Action, n: int, at: float) -> None:
        nonlocal arr, totals
        if a.cordon is not None:
            cordons.append(a.cordon)
            arr = arrays(task.patches, cordons)
            return
        ev = a.event
        rows = range(P) if a.targets is None else a.targets
        for i in rows:
            if ev.params:
                Pm[i] = event_params(model, ev, n, at, X[i].astype(np.float64), Pm[i])
            if ev.assign:
                X[i] = realise_event(model, ev, n, at, X[i], rng, Pm[i])
        if ev.params and a.targets is None:
            p0[:] = Pm[0]
        totals = X.sum(axis=0)
        marks(st, X, at, first, fall)

    def ready(at: float) -> int:
        xf = totals.astype(np.float64)
        ev = [e for e in task.model.events]
        return next((int(e) for e in np.flatnonzero(act) if trigger_margin(model, ev[e], at, xf, p0) > 0), -1)

    def fire_ready(at: float, e: int | None = None) -> None:
        e = ready(at) if e is None else e
        while e >= 0:
            act[e], t_trigger[e] = False, at
            apply(trig[e], 1, at)
            e = ready(at)

    def segment(t0: float, t_stop: float, most: int):
        common = (rng, X, E, Ne, Pm, p0, t0, t_stop, times, k, out, totals, S, st.popmask)
        if task.method == "ssa":
            res = mod.patch_ssa(
                *common,
                arr.mv_ptr, arr.mv_idx, arr.mv_cum, arr.out_rate, st.mob_c, st.mob_f, arr.mixing is not None,
                arr.mx_ptr, arr.mx_idx, arr.mx_val, arr.mc_ptr, arr.mc_idx,
                st.arr_c, first, st.fallmask, st.fall_lvl, fall, act, np.int64(most),
            )  # fmt: skip
            return (*res, 0)
        return mod.patch_tau(
            *common, hor, horc, watch,
            arr.mv_ptr, arr.mv_idx, arr.mv_cum, arr.out_rate, st.mob_c, st.mob_f, arr.mixing is not None,
            arr.mx_ptr, arr.mx_idx, arr.mx_val,
            st.arr_c, first, st.fallmask, st.fall_lvl, fall, act, eps, COUPLE, np.int64(most),
        )  # fmt: skip

    fire_ready(0.0)
    status = 0
    for t_event, group in [*timeline(list(task.acts), t_end), (math.inf, [])]:
        t_stop = min(t_event, t_end)
        while True:
            status, t, k, n, bad, where, nl = segment(t, t_stop, min(CHUNK, max_events - fired))
            fired += n
            leaps += nl
            if status == TRIGGERED:
                fire_ready(t, bad)
                continue
            if status != TOO_MANY:
                break
            if fired >= max_events:
                raise EngineError(
                    f"patches {task.method}: replicate {index} fired {fired:,} events by t={t:.6g} of {t_end:g} days, "
                    f"the most allowed (max_events, --max-events {max_events:,}); raise it or use method tau"
                )
            if deadline is not None and _time.time() > deadline:
                raise EngineError(
                    f"patches {task.method}: replicate {index} reached only t={t:.6g} of {t_end:g} days when the time "
                    "limit ran out (time_limit, --time-limit); raise it, shorten --t-end or use method tau"
                )
        if status == BAD_RATE:
            _bad_rate(model, task.patches, X, t, bad, where, index)
        if t_event > t_end:
            break
        for a, n in group:
            apply(a, n, t_event)
        t = t_event
        fire_ready(t)
    assert status in (0, ABSORBED, BAD_RATE) or status == TRIGGERED
    out[k:] = X
    return Outcome(out, first, fall, t_trigger, fired, leaps)


def _bad_rate(model: Model, patches: Patches, X: np.ndarray, t: float, j: int, i: int, index: int) -> None:
    tr = model.transitions[j]
    state = ", ".join(f"{c}={int(v)}" for c, v in zip(model.compartments, X[i], strict=True))
    raise EngineError(
        f"patches: transition '{tr.name}' ({tr}) in patch {patches.names[i]} at t={t:.6g} days (replicate {index}, "
        f"state {state}) has a negative or non-finite rate or would make a count negative; fix its rate expression"
    )
