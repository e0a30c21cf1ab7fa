"""Distances of simulated data to the observed, for blocks of parameter vectors: the work unit of ABC-SMC.

A *block* is up to :data:`BLOCK` consecutive simulations of one round, seeded by its own
``SeedSequence``; a block's distances depend only on that seed and its parameter vectors, so a
round gives the same distances whatever the workers, the chunking or the executor (a process
pool or a Dask cluster). On the ``ssa`` and ``tau`` engines a block runs in one Numba call
(:mod:`hyosan.fit.abc_kernel`); on the others (``ode``, ``network``, ...) each simulation goes
through :meth:`hyosan.fit.problem.Problem.simulate`.

Distances over the observed columns: ``sse`` is the sum of squared differences; ``poisson`` the
Poisson deviance 2 Σ [y log(y/m) - (y - m)] with the simulated value m floored at 0.5 (so that a
zero simulated count against an observed one is a large, finite distance), which weighs each
residual by the size of the count, as a Poisson likelihood would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import xlogy

from hyosan.fit import abc_kernel
from hyosan.fit.priors import FitError
from hyosan.fit.problem import Problem
from hyosan.parallel import generator

BLOCK = 64
DISTANCES = ("sse", "poisson")
FAST_OPTIONS = {"max_events", "epsilon", "critical", "ssa_below"}


def block_seed(seed: int, generation: int, round_: int, block: int) -> np.random.SeedSequence:
    """The stream of one block: a child of the fit's seed keyed by (generation, round, block)."""
    return np.random.SeedSequence(seed, spawn_key=(1, generation, round_, block))


def distance(kind: str, y: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Distances between observed ``y`` (columns, times) and simulated ``m`` (n, columns, times)."""
    if kind == "sse":
        d = ((m - y) ** 2).sum(axis=(1, 2))
    else:
        mm = np.maximum(m, 0.5)
        d = 2.0 * (xlogy(y, y) - xlogy(y, mm) - (y - mm)).sum(axis=(1, 2))
    return np.where(np.isfinite(d), d, np.inf)


def parameters_of(problem: Problem, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row of ``thetas``: the model's parameter vector, initial state and noise parameter
    (NaN if none), as :meth:`Problem.split` gives them, computed for all rows at once."""
    n = len(thetas)
    P = np.repeat(np.array([p.value for p in problem.model.parameters], dtype=float)[None, :], n, 0)
    X0 = np.repeat(np.array(problem.model.initial, dtype=float)[None, :], n, 0)
    extra = np.full(n, math.nan)
    absorber = problem._absorber
    cindex = {c: i for i, c in enumerate(problem.model.compartments)}
    pindex = {q.name: i for i, q in enumerate(problem.model.parameters)}
    for k, f in enumerate(problem.free):
        v = thetas[:, k]
        if f.kind == "parameter":
            P[:, pindex[f.target]] = v
        elif f.kind == "initial":
            i = cindex[f.target]
            if absorber:
                X0[:, cindex[absorber]] -= v - X0[:, i]
            X0[:, i] = v
        else:
            extra = v.astype(float)
    return P, X0, extra


@dataclass(frozen=True)
class BlockTask:
    """Picklable: the distances of every simulation in a chunk of blocks; rows of ``thetas``
    ``[b*BLOCK, (b+1)*BLOCK)`` belong to block ``b``."""

    problem: Problem
    thetas: np.ndarray
    kind: str
    noise: bool
    options: dict[str, Any]

    def __call__(self, chunk: list[tuple[int, np.random.SeedSequence]]) -> list[np.ndarray]:
        return [self.block(b, seq) for b, seq in chunk]

    def block(self, b: int, seq: np.random.SeedSequence) -> np.ndarray:
        rows = self.thetas[b * BLOCK : (b + 1) * BLOCK]
        rng = generator(seq)
        p = self.problem
        y = np.stack([np.asarray(p.y[c], dtype=float) for c in p.columns])
        if fast_path(p):
            sims = self._batch(rows, rng)
        else:
            sims = self._one_by_one(rows, seq)
        d = np.full(len(rows), np.inf)
        ok = np.isfinite(sims).all(axis=(1, 2))
        if self.noise:
            extra = parameters_of(p, rows)[2]
            for s in np.flatnonzero(ok):
                sims[s] = np.stack([p.noise.sample(rng, sims[s, i], extra[s]) for i in range(len(p.columns))])
        d[ok] = distance(self.kind, y, sims[ok])
        return d

    def _batch(self, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        p = self.problem
        P, X0, _ = parameters_of(p, rows)
        X0 = np.rint(X0)
        bad = (X0 < 0).any(axis=1)
        X0[bad] = 0
        traj = abc_kernel.run_batch(p.model, p.engine, rng, X0.astype(np.int64), P, p.times, self.options)
        named = {c: traj[:, :, i] for i, c in enumerate(p.model.compartments)}
        sims = np.stack([p.observables[c].values(named, p.counters)[:, p._rows] for c in p.columns], axis=1)
        sims[bad] = np.nan
        return sims

    def _one_by_one(self, rows: np.ndarray, seq: np.random.SeedSequence) -> np.ndarray:
        p = self.problem
        out = np.full((len(rows), len(p.columns), len(p._rows)), np.nan)
        for s, theta in enumerate(rows):
            _, x0, _ = p.split(theta)
            if np.any(x0 < 0):
                continue
            child = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, s))
            sim = p.simulate(_counting(p, theta), seed=int(child.generate_state(1)[0]))
            out[s] = np.stack([np.asarray(sim[c], dtype=float) for c in p.columns])
        return out


def _counting(problem: Problem, theta: np.ndarray) -> np.ndarray:
    """On an engine that counts individuals a fitted initial size is rounded to a whole number."""
    if problem.engine == "ode":
        return theta
    theta = np.array(theta, dtype=float)
    for k, f in enumerate(problem.free):
        if f.kind == "initial":
            theta[k] = np.rint(theta[k])
    return theta


def fast_path(problem: Problem) -> bool:
    """Whether the problem's simulations run in the batch kernel."""
    return abc_kernel.fast(problem.model, problem.engine) and set(problem.options) <= FAST_OPTIONS


def check(problem: Problem, kind: str) -> None:
    """Refuse what ABC cannot honour, before any simulation."""
    if kind not in DISTANCES:
        raise FitError(f"--distance {kind!r}: choose one of {', '.join(DISTANCES)}")
    for f in problem.free:
        lo, hi = f.prior.support
        if not (math.isfinite(lo) and math.isfinite(hi)) and f.prior.kind == "flat":
            raise FitError(
                f"--fit {f.name}: ABC draws its first particles from the prior, and a flat prior on "
                f"({lo:g}, {hi:g}) cannot be drawn from; give bounds or a prior, e.g. --fit {f.name}=0:5"
            )


def simulate_round(
    task: BlockTask,
    seed: int,
    generation: int,
    round_: int,
    *,
    workers: int,
    executor: Any,
) -> np.ndarray:
    """Distances of every row of ``task.thetas``, blocks spread over the executor, in row order: two
    chunks of blocks per local worker (a chunk carries the task once), 16 on a Dask cluster."""
    from hyosan.parallel import map_replicates

    blocks = -(-len(task.thetas) // BLOCK)
    seeds = [block_seed(seed, generation, round_, b) for b in range(blocks)]
    most = -(-blocks // (16 if executor is not None else 2 * workers))
    parts = map_replicates(task, seeds, workers=workers, executor=executor, label="abc", most=most)
    return np.concatenate(parts) if parts else np.empty(0)
