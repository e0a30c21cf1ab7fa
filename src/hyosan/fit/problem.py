"""A fitting problem: a model, observed data, what each column measures, the free parameters with
their priors, and the observation model; it simulates and scores a parameter vector.

Free parameters are model parameters (``beta``), initial sizes (``I0`` = the initial I) or the
observation model's own (``phi``, ``sd``, ``rho``; always fitted when that model is chosen).
Initial-condition rule: when the model conserves its population, setting ``X0`` moves the
difference out of (or into) the first compartment that is neither infected nor X (``S``), so that N
stays as the model has it; a value that would leave it negative is impossible (log-likelihood -inf).
Otherwise ``X0`` just sets X.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hyosan import engines
from hyosan.catalog import did_you_mean
from hyosan.compartmental.model import Model
from hyosan.errors import HyosanError
from hyosan.fit.data import Observations
from hyosan.fit.likelihood import ObservationModel, observation_model
from hyosan.fit.observables import Observable, parse_observable, with_counters
from hyosan.fit.priors import FitError, Prior, parse_prior

__all__ = ["Free", "Observations", "Prior", "Problem"]


@dataclass(frozen=True)
class Free:
    """One fitted quantity: ``kind`` is ``parameter``, ``initial`` or ``noise``; ``target`` what it sets."""

    name: str
    kind: str
    target: str
    prior: Prior
    center: float


class Problem:
    """Everything a fit method needs: ``simulate(theta, seed)`` and ``log_likelihood(theta)``.

    ``theta`` is a sequence ordered as :attr:`names` or a mapping name -> value.
    """

    def __init__(
        self,
        model: Model,
        observations: Observations,
        free: Mapping[str, Prior | str | tuple[float, float] | None],
        *,
        engine: str = "ode",
        noise: str = "poisson",
        observe: Mapping[str, str] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        engines.check_runs(engine, "model", model.name)
        self.base, self.data, self.engine = model, observations, engine
        self.options = dict(options or {})
        self.noise: ObservationModel = observation_model(noise)
        self.columns = list(observations.columns)
        self.observables = _map_columns(model, observations, dict(observe or {}))
        self.model, self.counters = with_counters(model, list(self.observables.values()))
        self.y = {c: observations.columns[c] for c in self.columns}
        if self.noise.name != "normal":
            for c in self.columns:
                if not observations.integer.get(c, True):
                    i = int(np.argmax(self.y[c] != np.round(self.y[c])))
                    raise FitError(
                        f"{observations.source} row {i + 1}: {c} is {self.y[c][i]:g}; --noise {self.noise.name} "
                        "counts whole individuals, so give whole numbers or use --noise normal"
                    )
        self.free = _resolve_free(model, dict(free), self.noise, max(float(np.max(v)) for v in self.y.values()))
        if not self.free:
            raise FitError("--fit: name at least one parameter to fit, e.g. --fit beta,gamma")
        self.names = [f.name for f in self.free]
        self.lower = np.array([f.prior.support[0] for f in self.free])
        self.upper = np.array([f.prior.support[1] for f in self.free])
        self.times = np.unique(np.concatenate([[0.0], observations.times]))
        self._rows = np.searchsorted(self.times, observations.times)
        self._pindex = {p.name: i for i, p in enumerate(self.model.parameters)}
        self._cindex = {c: i for i, c in enumerate(self.model.compartments)}
        self._absorber = _absorber(model)
        self._takes = {f.target: _absorber(model, f.target) for f in self.free if f.kind == "initial"}
        self._fast = engine == "ode" and not model.events and not self.options
        self.initial_rule = (
            f"X0 sets the initial X; {self._absorber} (or, for S0, the next non-infected compartment) takes up "
            f"the difference so N stays {sum(model.initial):g}"
            if self._absorber
            else "X0 sets the initial X (the model does not conserve N)"
        )

    # ---- parameter vectors -------------------------------------------------------------
    def theta(self, values: Sequence[float] | Mapping[str, float] | np.ndarray) -> np.ndarray:
        if isinstance(values, Mapping):
            missing = [n for n in self.names if n not in values]
            if missing:
                raise FitError(f"theta: give {', '.join(missing)} too (free: {', '.join(self.names)})")
            return np.array([float(values[n]) for n in self.names])
        arr = np.asarray(values, dtype=float).ravel()
        if arr.size != len(self.names):
            raise FitError(f"theta: {arr.size} values for {len(self.names)} free parameters ({', '.join(self.names)})")
        return arr

    def split(self, theta: Any) -> tuple[np.ndarray, np.ndarray, float | None]:
        """(parameter vector, initial state, noise parameter) of the augmented model at ``theta``."""
        theta = self.theta(theta)
        params = np.array([p.value for p in self.model.parameters], dtype=float)
        x0 = np.array(self.model.initial, dtype=float)
        extra = None
        for f, v in zip(self.free, theta, strict=True):
            if f.kind == "parameter":
                params[self._pindex[f.target]] = v
            elif f.kind == "initial":
                i = self._cindex[f.target]
                if self._takes[f.target]:
                    x0[self._cindex[self._takes[f.target]]] -= v - x0[i]
                x0[i] = v
            else:
                extra = float(v)
        return params, x0, extra

    def model_at(self, theta: Any) -> Model:
        """The (augmented) model with ``theta`` set, validated."""
        params, x0, _ = self.split(theta)
        if np.any(x0 < 0):
            raise FitError(f"theta: the initial state {self._state_text(x0)} has a negative compartment")
        values = {p.name: v for p, v in zip(self.model.parameters, params, strict=True)}
        return self.model.with_values(values | dict(zip(self.model.compartments, x0, strict=True)))

    def _state_text(self, x0: np.ndarray) -> str:
        return ", ".join(f"{c}={v:g}" for c, v in zip(self.model.compartments, x0, strict=False))

    # ---- simulation and scores -----------------------------------------------------------
    def simulate(self, theta: Any, seed: int | None = None) -> dict[str, np.ndarray]:
        """The observables at the observation times (the model's values, before observation noise)."""
        params, x0, _ = self.split(theta)
        if self._fast:
            states = self._ode(params, x0)
        else:
            model = self.model_at(theta)
            run = engines.get(self.engine)
            ds = run(model, self.times, seed=seed, replicates=1, workers=1, progress=False, **self.options)
            states = np.stack([ds.variables[c].values[0] for c in self.model.compartments], axis=-1)
        named = {c: states[:, i] for i, c in enumerate(self.model.compartments)}
        return {col: obs.values(named, self.counters)[self._rows] for col, obs in self.observables.items()}

    def _ode(self, params: np.ndarray, x0: np.ndarray) -> np.ndarray:
        from hyosan.fit.odefast import integrate

        return integrate(self.model, params, x0, self.times)

    def log_prior(self, theta: Any) -> float:
        theta = self.theta(theta)
        return float(sum(f.prior.logpdf(v) for f, v in zip(self.free, theta, strict=True)))

    def log_likelihood(self, theta: Any, seed: int | None = None) -> float:
        """log p(data | theta); -inf where the model cannot run there (e.g. a negative initial state)."""
        _, x0, extra = self.split(theta)
        if np.any(x0 < 0):
            return -math.inf
        try:
            sim = self.simulate(theta, seed)
        except HyosanError:
            return -math.inf
        total = 0.0
        for col in self.columns:
            m = sim[col]
            if not np.all(np.isfinite(m)):
                return -math.inf
            total += self.noise.logpmf(self.y[col], m, extra)
        return total if math.isfinite(total) else -math.inf

    def describe(self) -> dict[str, Any]:
        """The problem's settings for fit.json."""
        return {
            "model": self.base.name,
            "engine": self.engine,
            "data": self.data.source,
            "observations": len(self.data),
            "observe": {c: o.text for c, o in self.observables.items()},
            "noise": self.noise.name + (f" ({self.noise.meaning})" if self.noise.meaning else ""),
            "free": {f.name: {"sets": f"{f.kind} {f.target}", "prior": str(f.prior)} for f in self.free},
            "fixed": {p.name: p.value for p in self.base.parameters if p.name not in self.names},
            "initial": self.base.initial_state,
            "initial_rule": self.initial_rule,
        }


def _map_columns(model: Model, data: Observations, observe: dict[str, str]) -> dict[str, Observable]:
    for col in observe:
        if col not in data.columns:
            raise FitError(
                f"--observe {col}: {data.source} has no column {col!r}{did_you_mean(col, list(data.columns))}; "
                f"its columns are {', '.join(data.columns)}"
            )
    out = {}
    for col in data.columns:
        if col in observe:
            out[col] = parse_observable(observe[col], model.compartments, model, f"--observe {col}")
        elif col in model.compartments:
            out[col] = Observable(col, terms=(col,))
        else:
            raise FitError(
                f"{data.source}: column {col!r} names no observable of {model.name} "
                f"({', '.join(model.compartments)}); map it with --observe '{col}=I' or name it after a compartment"
            )
    return out


def _absorber(model: Model, target: str = "") -> str | None:
    """The compartment that takes up a change of ``target``'s initial size (None: N may change)."""
    if not model.conserves_population:
        return None
    pop = [model.compartments[i] for i in model.population_index]
    if target and target not in pop:
        return None
    return next((c for c in pop if c not in model.infected and c != target), None)


def _resolve_free(model: Model, free: dict[str, Any], noise: ObservationModel, scale: float) -> list[Free]:
    params = model.parameter_values
    initial = model.initial_state
    out: list[Free] = []
    if noise.parameter and noise.parameter in params:
        raise FitError(
            f"--noise {noise.name}: {model.name} has a parameter named {noise.parameter!r}, which the observation "
            "model needs for itself; rename the model's parameter"
        )
    for name, spec in free.items():
        where = f"--fit {name}"
        if name in params:
            kind, target, center = "parameter", name, params[name]
        elif name.endswith("0") and name[:-1] in initial and name not in params:
            kind, target, center = "initial", name[:-1], initial[name[:-1]]
        elif name == noise.parameter:
            kind, target, center = "noise", noise.name, math.nan
        else:
            names = [*params, *(f"{c}0" for c in initial)] + ([noise.parameter] if noise.parameter else [])
            raise FitError(
                f"{where}: {name!r} is not a parameter of {model.name} nor an initial size"
                f"{did_you_mean(name, names)}; fit one of {', '.join(names)}"
            )
        prior = _prior(spec, where, kind, center, model, target, noise, scale)
        out.append(Free(name, kind, target, prior, center))
    if noise.parameter and noise.parameter not in free:
        out.append(Free(noise.parameter, "noise", noise.name, noise.default_prior(scale), math.nan))
    return out


def _prior(spec: Any, where: str, kind: str, center: float, model: Model, target: str,
           noise: ObservationModel, scale: float) -> Prior:  # fmt: skip
    if isinstance(spec, Prior):
        return spec
    if isinstance(spec, str):
        return parse_prior(spec, where)
    if isinstance(spec, tuple | list) and len(spec) == 2:
        return parse_prior(f"{spec[0]}:{spec[1]}", where)
    if spec is not None:
        raise FitError(f"{where}: give a prior such as 'lognormal(0,1)', bounds 'a:b' or nothing, not {spec!r}")
    if kind == "noise":
        return noise.default_prior(scale)
    if kind == "initial":
        pop = [model.compartments[i] for i in model.population_index]
        total = sum(model.initial_state[c] for c in pop) if target in pop else math.inf
        return Prior("flat", (0.0, float(total)))
    if center < 0:
        return Prior("flat", (-math.inf, math.inf))
    return Prior("flat", (0.0, math.inf))
