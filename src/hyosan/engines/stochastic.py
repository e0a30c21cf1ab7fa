"""What the ``ssa`` and ``tau`` engines share: one replicate cut into segments at scheduled events,
ensembles through :mod:`hyosan.parallel`, and the result dataset.

Scheduled events on integer populations (:func:`hyosan.engines.events.realise_event`): an event
that moves individuals (``set: {I: "0.5*I", R: "R + 0.5*I"}``) splits each source compartment
by one multinomial draw, so the total is conserved exactly; an event declared with
``changes_total`` may also remove (binomially) or add (rounded stochastically) individuals. The
expected state after an event is the assigned value.

Result: always a ``replicate`` dimension (even for one replicate), int64 counts, a ``t_final``
variable (absorption time, or the horizon when the run did not absorb), ``t_extinction`` (when the
infected compartments last became empty, NaN where infection remains) and the boolean outcomes of
each replicate (:func:`hyosan.outcomes.per_replicate`). The state reported at a time ``t``
includes every transition at or before ``t``; at an event time it is the state after the event.
A triggered event fires once, at the transition after which its condition holds (or at t = 0, or
just after an event that makes it hold); ``t_trigger_K`` holds each replicate's firing time of the
K-th trigger (NaN if it never fired).
"""

from __future__ import annotations

import json
import math
import sys
import time as _time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import xarray as xr

from hyosan import __version__
from hyosan.compartmental.model import Model
from hyosan.engines import stochastic_kernels as kernels
from hyosan.engines import triggers
from hyosan.engines.events import event_params, event_values, realise_event, schedule, trigger_margin
from hyosan.errors import EngineError
from hyosan.outcomes import add_outcomes
from hyosan.parallel import generator, map_replicates, replicate_seeds
from hyosan.results import make_dataset

MAX_CELLS = 500_000_000
MAX_COUNT = 2.0**53


class Replicate(NamedTuple):
    """One finished replicate."""

    values: np.ndarray
    t_final: float
    t_extinct: float
    fired: int
    steps: int
    log_t: np.ndarray
    log_j: np.ndarray
    t_trigger: np.ndarray = np.empty(0)


def check_model(model: Model, engine: str) -> None:
    """Stochastic engines count individuals: every initial size must be a whole number."""
    for c, v in model.initial_state.items():
        if abs(v) > MAX_COUNT:
            raise EngineError(
                f"{model.source} (initial.{c}): {v:g} individuals are more than the {engine} engine counts exactly "
                f"(at most 2^53 = {MAX_COUNT:.4g}); use the ode engine, or a smaller --set {c}"
            )
        if not float(v).is_integer():
            raise EngineError(
                f"{model.source} (initial.{c}): {v:g} is not a whole number of individuals; the {engine} "
                f"engine counts individuals, so give e.g. --set {c}={round(v)}"
            )


@dataclass(frozen=True)
class ReplicateTask:
    """Picklable work item: runs a chunk of replicates of ``model`` on engine ``engine``."""

    engine: str
    model: Model
    times: np.ndarray
    options: dict[str, Any] = field(default_factory=dict)

    def __call__(self, chunk: list[tuple[int, np.random.SeedSequence]]) -> list[Replicate]:
        return [run_replicate(self.engine, self.model, self.times, generator(seq), i, self.options) for i, seq in chunk]


_COMPILED: dict[tuple[str, int], tuple[Model, Any, Any]] = {}
CHUNK = 250_000
DEFAULT_EPSILON = 0.002


def _compiled(engine: str, model: Model) -> tuple[Any, Any]:
    """The kernel (and its tables) of ``model``, looked up once per process and model object."""
    key = (engine, id(model))
    if key not in _COMPILED:
        if len(_COMPILED) > 64:
            _COMPILED.clear()
        timed = np.array(kernels.timed_transitions(model), dtype=np.int64)
        if engine == "ssa" and not len(timed):
            _COMPILED[key] = (model, kernels.ssa_kernel(model), None)
            return _COMPILED[key][1:]
        is_timed = np.zeros(len(model.transitions), dtype=np.bool_)
        is_timed[timed] = True
        infected = np.array([model.compartments.index(c) for c in model.infected], dtype=np.int64)
        V, hor, horc, watch = kernels.tau_tables(model)
        if engine == "ssa":
            _COMPILED[key] = (model, kernels.thinned_kernel(model), (V, timed, is_timed, infected))
        else:
            _COMPILED[key] = (model, kernels.tau_kernel(model), (V, hor, horc, watch, infected, timed, is_timed))
    return _COMPILED[key][1:]


def _segment(engine: str, model: Model, options: dict[str, Any]):
    """``run(rng, bridge, x, p, t, t_stop, times, k, out, nlog, max_fired, act)`` for one segment (``act``:
    which triggers are pending), and the log arrays."""
    kernel, tables = _compiled(engine, model)
    if engine == "ssa":
        cap = int(options.get("log_capacity", 100_000)) if options.get("log_events") else 0
        log_t, log_j = np.empty(cap), np.empty(cap, dtype=np.int64)
        extra = () if tables is None else tables

        def run(rng, bridge, x, p, t, t_stop, times, k, out, nlog, max_fired, act):
            return kernel(rng, x, p, t, t_stop, times, k, out, log_t, log_j, nlog, np.int64(max_fired), act, *extra)

        return run, log_t, log_j
    eps, nc = float(options.get("epsilon", DEFAULT_EPSILON)), float(options.get("critical", 10))
    below = float(options.get("ssa_below", 10.0))

    def run(rng, bridge, x, p, t, t_stop, times, k, out, nlog, max_fired, act):
        return kernel(rng, bridge, x, p, t, t_stop, times, k, out, act, *tables, eps, nc, below, np.int64(max_fired))

    return run, np.empty(0), np.empty(0, dtype=np.int64)


def run_replicate(
    engine: str, model: Model, times: np.ndarray, rng: np.random.Generator, index: int, options: dict[str, Any]
) -> Replicate:
    """One replicate from t = 0 to ``times[-1]``, events applied in between.

    The kernel runs in chunks of at most ``CHUNK`` transitions so that ``max_events`` and the
    wall-clock ``time_limit`` are enforced and a long single run can show its progress.
    """
    segment, log_t, log_j = _segment(engine, model, options)
    bridge = np.random.Generator(rng.bit_generator.jumped())
    times = np.asarray(times, dtype=np.float64)
    t_end = float(times[-1])
    max_events = int(options.get("max_events", 10**10 if engine == "ssa" else 10**12))
    deadline = options.get("deadline")
    watch = _Progress(engine, index, t_end) if options.get("progress_single") else None
    x = np.array(model.initial, dtype=np.int64)
    p = np.array([q.value for q in model.parameters], dtype=np.float64)
    out = np.zeros((len(times), len(model.compartments)), dtype=np.int64)
    t, k, fired, steps, nlog, changed = 0.0, 0, 0, 0, 0, 0.0
    infected = [model.compartments.index(c) for c in model.infected]
    t_zero = 0.0 if infected and not x[infected].any() else math.nan
    status = kernels.OK
    pending = triggers.triggered(model)
    act = np.ones(len(pending), dtype=np.bool_)
    t_trigger = np.full(len(pending), math.nan)

    def fire(items: list, at: float) -> None:
        nonlocal changed, t_zero
        before = x.copy()
        for event, n_occ in items:
            if event.params:
                p[:] = event_params(model, event, n_occ, at, x.astype(np.float64), p)
            _apply(model, event, n_occ, at, x, rng, p)
        if not np.array_equal(before, x):
            changed = at
            if infected and before[infected].any() and not x[infected].any():
                t_zero = at

    def ready(at: float) -> int:
        xf = x.astype(np.float64)
        return next((int(i) for i in np.flatnonzero(act) if trigger_margin(model, pending[i], at, xf, p) > 0), -1)

    def fire_ready(at: float, first: int | None = None) -> None:
        """Fire trigger ``first`` (if given), then each pending one whose condition holds, each once."""
        e = ready(at) if first is None else first
        while e >= 0:
            act[e], t_trigger[e] = False, at
            fire([(pending[e], 1)], at)
            e = ready(at)

    fire_ready(0.0)
    for t_event, group in [*schedule(model, t_end), (math.inf, [])]:
        t_stop = min(t_event, t_end)
        while True:
            chunk = min(CHUNK, max_events - fired)
            status, t, k, n, bad, extra, t_fire, zero = segment(
                rng, bridge, x, p, t, t_stop, times, k, out, nlog, chunk, act
            )
            fired += n
            if zero >= 0:
                t_zero = zero
            if engine == "ssa":
                nlog = extra
            else:
                steps += extra
            if n:
                changed = max(changed, t_fire)
            if status == kernels.TRIGGERED:
                fire_ready(t, bad)
                continue
            if status != kernels.TOO_MANY:
                break
            if fired >= max_events:
                raise EngineError(
                    f"{engine}: replicate {index} fired {fired:,} transitions by t={t:.6g} of {t_end:g} days, the most "
                    f"allowed (max_events, --max-events {max_events:,}); raise it, shorten the horizon (--t-end)"
                    + (" or use the tau engine" if engine == "ssa" else "")
                )
            if deadline is not None and _time.time() > deadline:
                raise EngineError(
                    f"{engine}: replicate {index} reached only t={t:.6g} of {t_end:g} days after {fired:,} transitions "
                    f"when the time limit ran out (time_limit, --time-limit {options.get('time_limit'):g} s); "
                    "raise it, shorten the horizon (--t-end)" + (" or use the tau engine" if engine == "ssa" else "")
                )
            if watch is not None:
                watch.update(t, fired)
        if status == kernels.BAD_RATE:
            _bad_rate(engine, model, x, t, bad, index)
        if status == kernels.NO_BOUND:
            tr = model.transitions[bad]
            raise EngineError(
                f"{engine}: transition '{tr.name}' has rate '{tr.rate}', which reads t and has no finite bound "
                f"just after t={t:.6g} days (replicate {index}), so it cannot be sampled exactly; use the ode engine "
                "(--engine ode) or rewrite the rate"
            )
        if status == kernels.BOUND_BROKEN:
            raise EngineError(f"{engine}: internal error: a rate exceeded its certified bound at t={t:.6g}")
        if t_event > t_end:
            break
        t = t_event
        fire(group, t_event)
        fire_ready(t)
    if watch is not None:
        watch.close()
    out[k:] = x
    t_final = changed if status == kernels.ABSORBED else t_end
    t_extinct = t_zero if infected and not x[infected].any() else math.nan
    return Replicate(out, t_final, t_extinct, fired, steps, log_t[:nlog].copy(), log_j[:nlog].copy(), t_trigger)


class _Progress:
    """A one-line note on stderr, at most once a second, while one long replicate runs."""

    EVERY = 1.0

    def __init__(self, engine: str, index: int, t_end: float) -> None:
        self.label, self.t_end = f"{engine} replicate {index}", t_end
        self.last = _time.monotonic()
        self.shown = False

    def update(self, t: float, fired: int) -> None:
        now = _time.monotonic()
        if now - self.last >= self.EVERY:
            self.last, self.shown = now, True
            sys.stderr.write(f"\r{self.label}: t = {t:.4g} of {self.t_end:g} days, {fired:,} transitions ")
            sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _apply(model: Model, event, n: int, t: float, x: np.ndarray, rng: np.random.Generator, p: np.ndarray) -> None:
    xf = x.astype(np.float64)
    for c, v in event_values(model, event, n, t, xf, p).items():
        if v > MAX_COUNT:
            raise EngineError(f"event '{event.name}' at t={t:g}: {c} <- {v:g} is too large to count")
    x[:] = realise_event(model, event, n, t, x, rng, p)


def _bad_rate(engine: str, model: Model, x: np.ndarray, t: float, j: int, index: int) -> None:
    tr = model.transitions[j]
    state = dict(zip(model.compartments, x.astype(float).tolist(), strict=True))
    value = model.rates_at(state, t)[j]
    raise EngineError(
        f"{engine}: transition '{tr.name}' ({tr}) has rate {value:g} at t={t:.6g} days (replicate {index}, "
        f"state {', '.join(f'{c}={int(v)}' for c, v in state.items())}); rates must stay finite and "
        "non-negative, so fix its expression or parameters"
    )


def run_engine(
    engine: str,
    model: Model,
    times: np.ndarray,
    *,
    seed: int | None,
    replicates: int,
    workers: int | None,
    progress: bool,
    options: dict[str, Any],
) -> xr.Dataset:
    """An ensemble of ``replicates`` runs of ``model`` on ``engine`` as the common result schema."""
    check_model(model, engine)
    triggers.check_stochastic(model, engine)
    options = {key: value for key, value in options.items() if value is not None}
    executor = options.pop("executor", None)
    sink = options.pop("sink", None)
    times = np.asarray(times, dtype=np.float64)
    cells = replicates * len(times) * len(model.compartments)
    if cells > MAX_CELLS and sink is None:
        raise EngineError(
            f"--replicates {replicates} x {len(times):,} report times: {cells:,} values is too many to hold; "
            "use a larger --every or fewer replicates"
        )
    _check_options(engine, options)
    setup = _time.perf_counter()
    rng0 = np.random.default_rng(0)
    _segment(engine, model, options)[0](  # compile or load the kernel before timing and forking
        rng0,
        rng0,
        np.array(model.initial, dtype=np.int64),
        np.array([q.value for q in model.parameters]),
        0.0,
        0.0,
        times,
        0,
        np.zeros((len(times), len(model.compartments)), dtype=np.int64),
        0,
        1,
        np.zeros(len(triggers.triggered(model)), dtype=np.bool_),
    )
    if options.get("time_limit") is not None:
        options["deadline"] = _time.time() + float(options["time_limit"])
    options["progress_single"] = bool(progress) and replicates == 1
    start = _time.perf_counter()
    root, seeds = replicate_seeds(seed, replicates)
    used = max(1, min(workers or _cpus(), replicates))
    task = ReplicateTask(engine, model, times, dict(options))
    stream = {} if sink is None else {"most": sink.chunk, "on_part": sink.take}
    results: list[Replicate] = map_replicates(
        task if sink is None else sink.wrap(task),
        seeds,
        workers=used,
        progress=progress,
        executor=executor,
        label=f"{engine} replicates",
        **stream,
    )
    values = np.stack([r.values for r in results])
    if sink is not None:
        times = times[-1:]
    elapsed = _time.perf_counter() - start
    attrs = {
        "hyosan_version": __version__,
        "engine": engine,
        "model": model.name,
        "model_digest": model.digest(),
        "seed": seed if seed is not None else str(root),
        "rng": "PCG64 streams from SeedSequence(seed).spawn(replicates)",
        "parameters": model.parameter_values,
        "initial": model.initial_state,
        "elapsed_s": elapsed,
        "kernel_s": start - setup,
        "events": int(sum(r.fired for r in results)),
        "replicates": replicates,
        "workers": used,
    }
    if engine == "tau":
        attrs |= {
            "leaps": int(sum(r.steps for r in results)),
            "epsilon": float(options.get("epsilon", DEFAULT_EPSILON)),
        }
    ds = make_dataset(times, values, model.compartments, attrs)
    add_outcomes(ds, model, values[:, -1, :])
    ds["t_final"] = ("replicate", np.array([r.t_final for r in results]), {"units": "days"})
    ds["t_extinction"] = ("replicate", np.array([r.t_extinct for r in results]), {"units": "days"})
    fired_summary = []
    for e, ev in enumerate(triggers.triggered(model)):
        fired_at = np.array([r.t_trigger[e] for r in results])
        ds[f"t_trigger_{e}"] = ("replicate", fired_at, {"units": "days", "long_name": f"time '{ev.name}' fired"})
        hit = fired_at[~np.isnan(fired_at)]
        mean = float(hit.mean()) if hit.size else None
        fired_summary.append({"name": ev.name, "kind": ev.kind, "replicates_fired": int(hit.size), "time_mean": mean})
    if fired_summary:
        ds.attrs["interventions"] = json.dumps(fired_summary)
    if options.get("log_events"):
        width = max(1, max(len(r.log_t) for r in results))
        log_t = np.full((replicates, width), np.nan)
        log_j = np.full((replicates, width), -1, dtype=np.int64)
        for i, r in enumerate(results):
            log_t[i, : len(r.log_t)], log_j[i, : len(r.log_j)] = r.log_t, r.log_j
        ds["event_time"] = (("replicate", "event"), log_t, {"units": "days"})
        ds["event_transition"] = (
            ("replicate", "event"),
            log_j,
            {"names": ", ".join(t.name for t in model.transitions)},
        )
    return ds


_OPTIONS = {"log_events", "log_capacity", "max_events", "time_limit", "epsilon", "critical", "ssa_below"}


def _check_options(engine: str, options: dict[str, Any]) -> None:
    """Refuse unknown options and values that could not be honoured."""
    unknown = set(options) - _OPTIONS
    if unknown:
        raise EngineError(f"{engine}: unknown option(s) {sorted(unknown)}; options: {', '.join(sorted(_OPTIONS))}")

    def number(name: str, flag: str, ok, need: str) -> None:
        value = options.get(name)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise EngineError(f"{name} ({flag}) {value!r}: expected a number ({need})")
        if not math.isfinite(float(value)) or not ok(float(value)):
            raise EngineError(f"{name} ({flag}) {value}: {need}")

    number("max_events", "--max-events", lambda v: v >= 1 and v.is_integer(), "give a whole number >= 1")
    number("time_limit", "--time-limit", lambda v: v > 0, "give a positive number of seconds")
    number("epsilon", "--epsilon", lambda v: 0 < v < 1, "the tau step control is a number in (0, 1), e.g. 0.01")
    number("critical", "critical", lambda v: v >= 0, "give a count >= 0")
    number("ssa_below", "ssa_below", lambda v: v > 0, "give a positive multiple of 1/a0")
    if engine != "tau":
        for name in ("epsilon", "critical", "ssa_below"):
            if options.get(name) is not None:
                raise EngineError(
                    f"{name} (--{name.replace('_', '-')}): only the tau engine takes this option (--engine tau)"
                )


def _cpus() -> int:
    import os

    return os.cpu_count() or 1
