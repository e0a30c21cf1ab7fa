"""Many stochastic simulations in one Numba call: the batch kernels behind ABC-SMC.

A batch runs ``n`` simulations of one model, each with its own parameter vector ``P[s]`` and
initial state ``X0[s]``, one after the other inside compiled code, so no Python runs per
simulation. The loop calls the very segment kernel the ``ssa`` and ``tau`` engines run
(:mod:`hyosan.engines.straight`, :mod:`hyosan.engines.tau_kernel`): its source is the engine's
generated source with the batch loop appended, cached on disk like the engines' kernels.

A batch draws from one random stream (a block of simulations is the unit of seeding), so the
result of a block depends only on its seed and its parameters, never on who runs it.

Models the fast path cannot run (scheduled or triggered events, rates that read ``t`` on ssa,
models past the straight-line size) are simulated one at a time by the engine itself
(:func:`hyosan.engines.stochastic.run_replicate`): slower, same law.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hyosan.compartmental.model import Model
from hyosan.engines import kernel_source
from hyosan.engines.codegen import kernel_module
from hyosan.engines.stochastic_kernels import stochastic_source, tau_tables, timed_transitions
from hyosan.engines.straight import ssa_source, straight_line
from hyosan.errors import EngineError

CHUNK = 1_000_000

_LOOP = """
        while True:
            chunk = min({chunk}, max_events - fired)
            st, t, k, nf, bad, extra, t_fire, t_zero = {call}
            fired += nf
            if st != 3 or fired >= max_events:
                break
        for kk in range(k, nt):
            for i in range(x.shape[0]):
                o[kk, i] = x[i]
        status[s] = st
        where[s] = bad
    return status, where
"""

_HEAD = """

@njit(cache=True, error_model="numpy", nogil=True)
def abc_batch({args}):
    n = P.shape[0]
    nt = times.shape[0]
    t_end = times[nt - 1]
    log_t = np.empty(0)
    log_j = np.empty(0, dtype=np.int64)
    act = np.zeros(0, dtype=np.bool_)
    status = np.zeros(n, dtype=np.int64)
    where = np.full(n, -1, dtype=np.int64)
    for s in range(n):
        x = X0[s].copy()
        p = P[s].copy()
        o = out[s]
        t = 0.0
        k = 0
        fired = 0"""

_SSA_CALL = "ssa_segment(rng, x, p, t, t_end, times, k, o, log_t, log_j, 0, chunk, act)"
_TAU_CALL = (
    "tau_segment(rng, bridge, x, p, t, t_end, times, k, o, act, V, hor, horc, watch, infected, timed, "
    "is_timed, eps, nc, below, chunk)"
)
_TAU_ARGS = "rng, bridge, X0, P, times, out, max_events, V, hor, horc, watch, infected, timed, is_timed, eps, nc, below"


def batch_source(engine: str) -> str:
    """The ``abc_batch`` loop appended to the engine's kernel source."""
    args, call = ("rng, X0, P, times, out, max_events", _SSA_CALL) if engine == "ssa" else (_TAU_ARGS, _TAU_CALL)
    return _HEAD.format(args=args) + _LOOP.format(chunk=CHUNK, call=call)


def fast(model: Model, engine: str) -> bool:
    """Whether ``model`` runs on ``engine`` in the batch kernel (else one simulation at a time)."""
    if engine not in ("ssa", "tau") or model.events:
        return False
    if engine == "ssa":
        return not timed_transitions(model) and straight_line(model)
    return True


_KERNELS: dict[tuple[str, str], Any] = {}


def kernel(model: Model, engine: str) -> Any:
    """The compiled batch kernel of ``model`` on ``engine`` (compiled or loaded once per process)."""
    from hyosan.engines.codegen import structure_key

    key = (engine, structure_key(model))
    if key not in _KERNELS:
        if engine == "ssa":
            source = ssa_source(model) + batch_source("ssa")
        else:
            source = stochastic_source(model) + batch_source("tau")
        _KERNELS[key] = kernel_module(model, f"abc{engine}", source).abc_batch
    return _KERNELS[key]


def run_batch(
    model: Model,
    engine: str,
    rng: np.random.Generator,
    X0: np.ndarray,
    P: np.ndarray,
    times: np.ndarray,
    options: dict[str, Any] | None = None,
) -> np.ndarray:
    """States at ``times`` of ``len(P)`` simulations, shape ``(n, len(times), compartments)``.

    ``X0[s]`` (int64) and ``P[s]`` (the model's parameters in order) set simulation ``s``. A rate
    that turns negative or non-finite, or a run past ``max_events`` transitions, is an error.
    """
    options = options or {}
    n = len(P)
    times = np.ascontiguousarray(times, dtype=np.float64)
    out = np.zeros((n, len(times), len(model.compartments)), dtype=np.int64)
    X0 = np.ascontiguousarray(X0, dtype=np.int64)
    P = np.ascontiguousarray(P, dtype=np.float64)
    max_events = np.int64(options.get("max_events", 10**9))
    batch = kernel(model, engine)
    if engine == "ssa":
        status, where = batch(rng, X0, P, times, out, max_events)
    else:
        bridge = np.random.Generator(rng.bit_generator.jumped())
        V, hor, horc, watch = tau_tables(model)
        infected = np.array([model.compartments.index(c) for c in model.infected], dtype=np.int64)
        timed = np.array(timed_transitions(model), dtype=np.int64)
        is_timed = np.zeros(len(model.transitions), dtype=np.bool_)
        is_timed[timed] = True
        eps = float(options.get("epsilon", 0.002))
        nc, below = float(options.get("critical", 10)), float(options.get("ssa_below", 10.0))
        status, where = batch(
            rng, bridge, X0, P, times, out, max_events, V, hor, horc, watch, infected, timed, is_timed, eps, nc, below
        )
    bad = np.flatnonzero((status != kernel_source.OK) & (status != kernel_source.ABSORBED))
    if bad.size:
        s = int(bad[0])
        values = ", ".join(f"{q.name}={v:.6g}" for q, v in zip(model.parameters, P[s], strict=True))
        if status[s] == kernel_source.TOO_MANY:
            raise EngineError(
                f"{engine}: a simulation at {values} fired more than {int(max_events):,} transitions "
                "(max_events); narrow the prior or raise --max-events"
            )
        name = model.transitions[int(where[s])].name if where[s] >= 0 else "?"
        raise EngineError(
            f"{engine}: transition '{name}' got a negative or non-finite rate at {values}; "
            "narrow the prior to values where every rate stays finite and non-negative"
        )
    return out
