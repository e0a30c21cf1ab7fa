"""ABC-SMC for the stochastic engines: adaptive population Monte Carlo (Beaumont et al. 2009,
Biometrika 96:983; Del Moral, Doucet & Jasra 2012, Stat. Comput. 22:1009).

Generation 0 draws ``population`` particles from the prior and keeps them all; each later
generation t proposes particles drawn from generation t-1 by weight and moved by a Gaussian
kernel with covariance twice the weighted sample covariance, keeps those whose simulated data
lie within epsilon_t of the observed, and weighs them prior / kernel mixture. The kernel acts on
z = log(theta) for parameters with a positive prior support (theta itself otherwise), with the
prior's density on z (the Jacobian) in the weight, so a prior over several decades is explored. epsilon_t is the
weighted ``quantile`` of generation t-1's distances, stepping past an atom of equal distances
(:func:`next_epsilon`). With ``replicates`` = R > 1 each particle is
simulated R times and weighed by the fraction of replicates within epsilon (Del Moral et al.
2012), an unbiased estimate of the ABC likelihood, so the target is the same as with R = 1.

No common random numbers: particles of a generation get independent streams, because a shared
noise realisation would make the accepted set, and so the posterior, depend on that one draw.
Determinism: proposals of round r of generation t come from the stream (0, t, r) of the seed,
the simulations of block b from (1, t, r, b) (:mod:`hyosan.fit.abc_sim`), and a round's accepted
particles are taken in proposal order; the result is the same whatever the workers, executor,
chunking, or interruptions (:mod:`hyosan.fit.resume`).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.fit import abc_sim, resume
from hyosan.fit.priors import FitError
from hyosan.fit.problem import Problem


@dataclass(frozen=True)
class AbcSettings:
    """What an ABC-SMC fit does; every field is reported in fit.json."""

    population: int = 500
    generations: int = 10
    quantile: float = 0.5
    replicates: int = 1
    distance: str = "sse"
    min_epsilon: float = 0.0
    min_acceptance: float = 0.005
    observation_noise: bool | None = None
    budget_sims: int | None = None
    budget_seconds: float | None = None

    def check(self) -> None:
        def need(ok: bool, what: str) -> None:
            if not ok:
                raise FitError(what)

        need(self.population >= 10, f"--population {self.population}: give at least 10 particles")
        need(self.generations >= 1, f"--generations {self.generations}: give at least 1")
        need(0 < self.quantile < 1, f"--quantile {self.quantile}: the epsilon quantile is in (0, 1), e.g. 0.5")
        need(self.replicates >= 1, f"--replicates {self.replicates}: give at least 1 simulation per particle")
        need(self.min_epsilon >= 0, f"--min-epsilon {self.min_epsilon}: give a distance >= 0")
        need(0 <= self.min_acceptance < 1, f"--min-acceptance {self.min_acceptance}: give a rate in [0, 1)")
        if self.budget_sims is not None:
            need(self.budget_sims >= 1, "--budget: give a positive number of simulations, e.g. 20000sims")
        if self.budget_seconds is not None:
            need(self.budget_seconds > 0, "--budget: give a positive time, e.g. 5min")


@dataclass
class AbcResult:
    """The last complete generation (weighted particles) and the history of the run."""

    names: list[str]
    theta: np.ndarray
    weight: np.ndarray
    distance: np.ndarray
    history: list[dict[str, Any]]
    simulations: int
    seconds: float
    stopped: str
    settings: AbcSettings
    seed: int
    engine: str
    batched: bool
    workers: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ess(self) -> float:
        return float(self.weight.sum() ** 2 / (self.weight**2).sum())

    def samples(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` draws from the weighted population (multinomial resampling)."""
        rng = np.random.default_rng(seed)
        return self.theta[rng.choice(len(self.theta), size=n, p=self.weight / self.weight.sum())]

    def mean(self) -> np.ndarray:
        return (self.weight[:, None] * self.theta).sum(0) / self.weight.sum()

    def sd(self) -> np.ndarray:
        w = self.weight / self.weight.sum()
        return np.sqrt((w[:, None] * (self.theta - self.mean()) ** 2).sum(0))

    def quantiles(self, q: Sequence[float]) -> np.ndarray:
        """Weighted quantiles, shape (len(q), parameters)."""
        return np.stack([weighted_quantile(self.theta[:, k], self.weight, q) for k in range(self.theta.shape[1])], 1)

    def summary(self) -> dict[str, Any]:
        """For fit.json: estimates, 95% intervals, the settings, the distances and diagnostics."""
        lo, med, hi = self.quantiles([0.025, 0.5, 0.975])
        mean, sd = self.mean(), self.sd()
        return {
            "method": "abc-smc",
            "estimates": {
                n: {"mean": mean[k], "sd": sd[k], "median": med[k], "q2.5": lo[k], "q97.5": hi[k]}
                for k, n in enumerate(self.names)
            },
            "settings": asdict(self.settings) | {"seed": self.seed, "engine": self.engine},
            "simulations": self.simulations,
            "seconds": self.seconds,
            "simulations_per_s": self.simulations / self.seconds if self.seconds > 0 else None,
            "batched_kernel": self.batched,
            "workers": self.workers,
            "stopped": self.stopped,
            "epsilon": self.history[-1]["epsilon"] if self.history else None,
            "ess": self.ess,
            "generations": self.history,
            "common_random_numbers": False,
        } | self.extra


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: Sequence[float] | float) -> np.ndarray:
    """The smallest x whose cumulative normalised weight reaches q."""
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order]) / w.sum()
    idx = np.searchsorted(cum, np.atleast_1d(q) - 1e-12)
    return x[order][np.minimum(idx, len(x) - 1)]


def next_epsilon(d: np.ndarray, w: np.ndarray, q: float) -> float:
    """The distance whose accepted share (the weight of distances <= it) is closest to ``q``; on a
    tie, the smaller. A plain weighted quantile stalls on an atom, many simulations at one distance
    (every outbreak that dies out at once lies at the same distance from the data): while the atom
    holds more than ``1 - q`` of the weight, the quantile is the atom itself and epsilon never falls
    below it, so generations pass without the tolerance going down."""
    order = np.argsort(d, kind="stable")
    ds, cum = d[order], np.cumsum(w[order]) / w.sum()
    last = np.r_[ds[1:] != ds[:-1], True]
    return float(ds[last][np.argmin(np.abs(cum[last] - q))])


def log_prior(problem: Problem, theta: np.ndarray) -> np.ndarray:
    """The log prior density of each row, vectorised (-inf outside the support)."""
    total = np.zeros(len(theta))
    for k, f in enumerate(problem.free):
        x, a = theta[:, k], f.prior.args
        lo, hi = f.prior.support
        inside = (x > lo) & (x < hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            if f.prior.kind in ("uniform", "flat"):
                lp = np.full(len(x), -math.log(a[1] - a[0]) if f.prior.proper else 0.0)
            elif f.prior.kind == "loguniform":
                lp = -np.log(x) - math.log(math.log(a[1] / a[0]))
            elif f.prior.kind == "lognormal":
                lp = -np.log(x * a[1] * math.sqrt(2 * math.pi)) - (np.log(x) - a[0]) ** 2 / (2 * a[1] ** 2)
            elif f.prior.kind == "normal":
                lp = -math.log(a[1] * math.sqrt(2 * math.pi)) - (x - a[0]) ** 2 / (2 * a[1] ** 2)
            else:
                lp = math.log(2 / (a[0] * math.sqrt(2 * math.pi))) - x**2 / (2 * a[0] ** 2)
        total += np.where(inside, lp, -np.inf)
    return total


def _kernel_cov(theta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Twice the weighted sample covariance (Beaumont et al. 2009), kept positive definite."""
    w = w / w.sum()
    mu = (w[:, None] * theta).sum(0)
    dev = theta - mu
    cov = 2.0 * (w[:, None] * dev).T @ dev
    scale = np.maximum(np.abs(np.diag(cov)), np.abs(mu) * 1e-6 + 1e-12)
    return cov + np.diag(scale * 1e-9)


def _mixture_logpdf(new: np.ndarray, old: np.ndarray, w: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """log sum_j w_j N(new_i; old_j, cov) for every row of ``new``: both sets whitened once, the
    squared distances by one product, in slices of rows to bound memory."""
    chol = np.linalg.cholesky(cov)
    d = new.shape[1]
    const = -0.5 * d * math.log(2 * math.pi) - np.log(np.diag(chol)).sum()
    logw = np.log(w / w.sum())
    zn = np.linalg.solve(chol, new.T).T
    zo = np.linalg.solve(chol, old.T).T
    half_o = 0.5 * (zo**2).sum(1) - logw
    out = np.empty(len(new))
    step = max(1, 4_000_000 // max(1, len(old)))
    for lo in range(0, len(new), step):
        z = zn[lo : lo + step]
        a = z @ zo.T - half_o[None, :] - 0.5 * (z**2).sum(1)[:, None]
        top = a.max(axis=1)
        out[lo : lo + step] = np.log(np.exp(a - top[:, None]).sum(axis=1)) + top + const
    return out


def _logged(problem: Problem) -> np.ndarray:
    """Which parameters the kernel moves on the log scale: those whose prior lives on x > 0 or x >= 0."""
    return np.array([f.prior.support[0] >= 0 for f in problem.free])


def _to_z(problem: Problem, theta: np.ndarray) -> np.ndarray:
    z = np.array(theta, dtype=float)
    logged = _logged(problem)
    with np.errstate(divide="ignore"):
        z[:, logged] = np.log(z[:, logged])
    return z


def _from_z(problem: Problem, z: np.ndarray) -> np.ndarray:
    theta = np.array(z, dtype=float)
    logged = _logged(problem)
    theta[:, logged] = np.exp(theta[:, logged])
    return theta


def _propose(problem: Problem, state: resume.State, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` proposals inside the prior's support: from the prior (generation 0), else particles moved
    by the Gaussian kernel in z (log of positive parameters, so one kernel suits priors over decades)."""
    if state.generation == 0:
        return np.stack([f.prior.sample(rng, n) for f in problem.free], axis=1)
    assert state.theta is not None and state.weight is not None
    z_old = _to_z(problem, state.theta)
    chol = np.linalg.cholesky(_kernel_cov(z_old, state.weight))
    p = state.weight / state.weight.sum()
    out = np.empty((n, state.theta.shape[1]))
    todo = np.arange(n)
    for _ in range(1000):
        picks = rng.choice(len(p), size=len(todo), p=p)
        z = z_old[picks] + rng.standard_normal((len(todo), out.shape[1])) @ chol.T
        out[todo] = _from_z(problem, z)
        todo = todo[~np.isfinite(log_prior(problem, out[todo]))]
        if not len(todo):
            return out
    raise FitError("abc: the perturbation kernel keeps leaving the prior's support; widen the prior")


@contextmanager
def _pool(workers: int, executor: Any) -> Iterator[Any]:
    """One process pool for the whole fit (not one per round), or the executor given."""
    if executor is not None or workers <= 1:
        yield executor
        return
    from hyosan.parallel import pool_executor, worker_pool

    with worker_pool(workers) as pool:
        yield pool_executor(pool)


def abc_smc(
    problem: Problem,
    settings: AbcSettings | None = None,
    *,
    seed: int = 0,
    workers: int | None = None,
    executor: Any = None,
    checkpoint: str | Path | None = None,
    progress: bool = False,
    options: dict[str, Any] | None = None,
) -> AbcResult:
    """Fit ``problem`` by ABC-SMC; ``checkpoint`` (if given) is written after every round and, if it
    exists, continued from. ``options`` go to the engine's batch kernel (``max_events``, ``epsilon``)."""
    import os

    settings = settings or AbcSettings()
    settings.check()
    abc_sim.check(problem, settings.distance)
    noise = settings.observation_noise
    if noise is None:  # the ode's only randomness is the noise; a fitted noise parameter needs it drawn
        noise = problem.engine == "ode" or problem.noise.parameter is not None
    opts = dict(problem.options) | dict(options or {})
    workers = 1 if executor is not None else max(1, workers or os.cpu_count() or 1)
    print_ = _printer(progress)
    digest = resume.fingerprint({
        "model": problem.model.digest(), "engine": problem.engine,
        "y": {c: list(map(float, problem.y[c])) for c in problem.columns},
        "times": list(map(float, problem.times)), "free": [(f.name, str(f.prior)) for f in problem.free],
        "settings": {k: v for k, v in asdict(settings).items() if k not in ("budget_sims", "budget_seconds")},
        "seed": seed, "noise": [problem.noise.name, noise], "options": opts,
    })  # fmt: skip
    path = Path(checkpoint) if checkpoint is not None else None
    state = resume.load(path, digest) if path is not None and path.exists() else resume.State(digest)
    if state.history:
        print_(f"abc: resuming at generation {state.generation}, round {state.round} ({state.simulations:,} sims)")
    batched = abc_sim.fast_path(problem)
    _warm(problem, settings, noise, opts, seed)
    started = time.perf_counter() - state.seconds
    stopped = "generations"
    try:
        with _pool(workers, executor) as run_on:
            while True:
                stop = _generation(problem, settings, state, noise, opts, seed, workers, run_on, started, path)
                if stop is not None:
                    stopped = stop
                    break
                h = state.history[-1]
                print_(
                    f"abc generation {h['generation']}: epsilon {h['epsilon']:.4g}, {h['accepted']} accepted of "
                    f"{h['simulations']:,} simulations ({100 * h['acceptance']:.2g}%), ESS {h['ess']:.0f}, "
                    f"{h['seconds']:.2f} s"
                )
                stopped = _stop_reason(settings, state)
                if stopped:
                    break
        if stopped == "budget" and path is not None:
            resume.save(path, state)
    except KeyboardInterrupt:
        if path is not None:
            sys.stderr.write(f"abc: stopped; the fit so far is in {path}; rerun with the same options to resume\n")
        raise
    if not state.history:
        raise FitError(
            f"--budget: it ran out before the first generation of {settings.population} particles was complete; "
            "raise it or lower --population"
        )
    assert state.theta is not None and state.weight is not None and state.dist is not None
    if path is not None and stopped != "budget":
        resume.remove(path)
    return AbcResult(
        names=list(problem.names), theta=state.theta, weight=state.weight, distance=state.dist,
        history=state.history, simulations=state.simulations, seconds=time.perf_counter() - started,
        stopped=stopped, settings=settings, seed=seed, engine=problem.engine, batched=batched, workers=workers,
        extra={"observation_noise_simulated": noise, "distance": settings.distance},
    )  # fmt: skip


def _stop_reason(settings: AbcSettings, state: resume.State) -> str:
    h = state.history[-1]
    if len(state.history) >= settings.generations:
        return "generations"
    if h["epsilon"] <= settings.min_epsilon:
        return "min_epsilon"
    if h["generation"] > 0 and h["acceptance"] < settings.min_acceptance:
        return "min_acceptance"
    return ""


def _warm(problem: Problem, settings: AbcSettings, noise: bool, opts: dict, seed: int) -> None:
    """Compile (or load) the batch kernel in this process before any worker is forked."""
    if abc_sim.fast_path(problem):
        rng = np.random.default_rng(seed)
        theta = np.stack([f.prior.sample(rng, 1) for f in problem.free], axis=1)
        abc_sim.BlockTask(problem, theta, settings.distance, noise, opts).block(0, np.random.SeedSequence(0))


def _generation(problem, settings, state, noise, opts, seed, workers, run_on, started, path) -> str | None:
    """Fill generation ``state.generation`` round by round; None when it is complete, else why it stopped."""
    need_total = settings.population
    R = settings.replicates
    t0 = time.perf_counter()
    prev = state.history[-1] if state.history else None
    if state.acc_theta is None:
        d = len(problem.free)
        state.acc_theta, state.acc_frac, state.acc_dist = np.empty((0, d)), np.empty(0), np.empty((0, R))
        state.round_sims = 0
    while len(state.acc_theta) < need_total:
        need = need_total - len(state.acc_theta)
        if state.generation == 0:
            rate = 1.0
        elif state.round_sims:
            rate = max(len(state.acc_theta) * R / state.round_sims, 1e-3)
        else:
            rate = max(prev["acceptance"], 1e-3)
        size = min(math.ceil(need * (1.0 if state.generation == 0 else 1.2) / rate), 50 * need_total)
        size = -(-max(size, 1) // abc_sim.BLOCK) * abc_sim.BLOCK if state.generation else size
        if settings.budget_sims is not None and state.simulations + size * R > settings.budget_sims:
            return "budget"  # a round is never cut short: a resumed fit must repeat the same rounds
        if settings.budget_seconds is not None and time.perf_counter() - started > settings.budget_seconds:
            return "budget"
        stream = np.random.SeedSequence(seed, spawn_key=(0, state.generation, state.round))
        rng = np.random.Generator(np.random.PCG64(stream))
        thetas = _propose(problem, state, size, rng)
        rows = np.repeat(thetas, R, axis=0)
        task = abc_sim.BlockTask(problem, rows, settings.distance, noise, opts)
        dist = abc_sim.simulate_round(task, seed, state.generation, state.round, workers=workers, executor=run_on)
        dist = dist.reshape(size, R)
        frac = (dist <= state.epsilon).mean(axis=1)
        keep = np.flatnonzero(frac > 0)[:need]
        state.acc_theta = np.concatenate([state.acc_theta, thetas[keep]])
        state.acc_frac = np.concatenate([state.acc_frac, frac[keep]])
        state.acc_dist = np.concatenate([state.acc_dist, dist[keep]])
        state.simulations += size * R
        state.round_sims += size * R
        state.round += 1
        state.seconds = time.perf_counter() - started
        if path is not None:
            resume.save(path, state)
    _finish(problem, settings, state, time.perf_counter() - t0)
    if path is not None:
        resume.save(path, state)
    return None


def _finish(problem: Problem, settings: AbcSettings, state: resume.State, seconds: float) -> None:
    """Weigh the accepted particles, set the next epsilon and start the next generation."""
    theta, frac, dist = state.acc_theta, state.acc_frac, state.acc_dist
    assert theta is not None and frac is not None and dist is not None
    if state.generation == 0:
        logw = np.log(frac)
    else:
        assert state.theta is not None and state.weight is not None
        z_old, z_new = _to_z(problem, state.theta), _to_z(problem, theta)
        jacobian = z_new[:, _logged(problem)].sum(axis=1)  # prior density of z = prior(theta) * theta
        mixture = _mixture_logpdf(z_new, z_old, state.weight, _kernel_cov(z_old, state.weight))
        logw = np.log(frac) + log_prior(problem, theta) + jacobian - mixture
    w = np.exp(logw - logw.max())
    w /= w.sum()
    flat = dist.ravel()
    within = np.isfinite(flat)
    next_eps = next_epsilon(flat[within], np.repeat(w, dist.shape[1])[within], settings.quantile)
    ess = float(w.sum() ** 2 / (w**2).sum())
    state.history.append({
        "generation": state.generation, "epsilon": state.epsilon, "accepted": len(theta),
        "simulations": int(state.round_sims), "acceptance": len(theta) * dist.shape[1] / state.round_sims,
        "ess": ess, "seconds": seconds, "distance_median": float(np.median(flat[within])) if within.any() else None,
    })  # fmt: skip
    state.theta, state.weight, state.dist = theta, w, dist.mean(axis=1)
    state.generation += 1
    state.round = 0
    state.epsilon = max(min(next_eps, state.epsilon), settings.min_epsilon)
    state.acc_theta = state.acc_frac = state.acc_dist = None
    state.round_sims = 0


def _printer(show: bool):
    def say(text: str) -> None:
        if show:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    return say
