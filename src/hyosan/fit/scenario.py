"""Fitting agent scenarios (the ``abm`` engine) by ABC-SMC: each simulation is one agent run.

Free parameters are scenario fields by dotted name, as ``hyosan run SCENARIO --set`` takes them
(``infection.bite_probability``); each needs bounds or a prior. A data column is a state count over
time: a state by letter or by name (``Z``, ``zombie``) or a sum (``Z + H``). Data times are in the
scenario's time unit and must fall on its report times. Agent runs have no likelihood, so only
``abc`` fits them; :class:`ScenarioProblem` offers what :mod:`hyosan.fit.abc` and
:mod:`hyosan.fit.report` use of :class:`hyosan.fit.problem.Problem`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.fit.data import Observations
from hyosan.fit.likelihood import observation_model
from hyosan.fit.priors import FitError, Prior, parse_prior
from hyosan.fit.problem import Free
from hyosan.fit.result import FitResult


@dataclass(frozen=True)
class _Label:
    """Stands in for the model where the ABC code names it or fingerprints a checkpoint."""

    name: str
    text: str

    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StateSum:
    """A data column's observable: the sum of some agent states."""

    text: str
    terms: tuple[str, ...]


class ScenarioProblem:
    """An agent scenario, observed counts and the scenario fields fitted (see the module)."""

    engine = "abm"

    def __init__(
        self,
        target: str,
        observations: Observations,
        free: Mapping[str, Prior | str | tuple[float, float] | None],
        *,
        noise: str = "poisson",
        observe: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        from hyosan.agents.run import execute
        from hyosan.agents.scenario import scenario_text

        self.target, self.data, self.values = str(target), observations, dict(values or {})
        self.noise = observation_model(noise)
        if self.noise.parameter:
            raise FitError(
                f"--noise {noise}: agent fits take poisson or binomial-free noise models; use --noise poisson"
            )
        self.options: dict[str, Any] = {}
        self.free = [_free(name, spec) for name, spec in dict(free).items()]
        if not self.free:
            raise FitError("--fit: name a scenario field to fit, e.g. --fit infection.bite_probability=0:1")
        self.names = [f.name for f in self.free]
        mid = {f.name: float(np.mean(_finite(f.prior))) for f in self.free}
        sc, ds, _ = execute(self.target, seed=0, values=self.values | mid, workers=1)  # checks every field
        self.scenario = sc
        self.states = {k: str(v) for k, v in json.loads(ds.attrs.get("states", "{}")).items()}
        self.columns = list(observations.columns)
        self.observables = {c: self._observable(c, dict(observe or {}).get(c, c)) for c in self.columns}
        self.y = {c: observations.columns[c] for c in self.columns}
        self.times = np.asarray(observations.times, dtype=float)
        self.time_unit = str(ds.attrs.get("time_unit", "days"))
        self._rows = self._rows_of(ds.time.values, self.time_unit)
        self.lower = np.array([f.prior.support[0] for f in self.free])
        self.upper = np.array([f.prior.support[1] for f in self.free])
        text = scenario_text(self.target)[0]  # a shipped scenario's file too, not its name only
        self.model = self.base = _Label(sc.name, json.dumps([text, sorted(self.values.items())], default=str))

    def _observable(self, column: str, text: str) -> StateSum:
        by_name = {v: k for k, v in self.states.items()}
        terms = []
        for part in text.split("+"):
            name = part.strip()
            state = name if name in self.states else by_name.get(name)
            if state is None:
                known = ", ".join(f"{k} ({v})" for k, v in self.states.items())
                raise FitError(
                    f"{self.data.source}: column {column!r} (observable {text!r}) names no agent state; "
                    f"map it with --observe '{column}=Z' to one of {known}, or a sum such as Z + H"
                )
            terms.append(state)
        return StateSum(text, tuple(terms))

    def _rows_of(self, grid: np.ndarray, unit: str) -> np.ndarray:
        rows = np.searchsorted(grid, self.times - 1e-9)
        rows = np.minimum(rows, len(grid) - 1)
        bad = ~np.isclose(grid[rows], self.times, rtol=0, atol=1e-6 * max(1.0, float(grid[-1])))
        if bad.any():
            t = float(self.times[np.argmax(bad)])
            raise FitError(
                f"{self.data.source}: time {t:g} is not a report time of {self.target} (every "
                f"{grid[1] - grid[0]:.4g} {unit} up to {grid[-1]:g}); give data at report times or "
                "--set time.report / time.horizon to match"
            )
        return rows

    def theta(self, values: Any) -> np.ndarray:
        if isinstance(values, Mapping):
            return np.array([float(values[n]) for n in self.names])
        return np.asarray(values, dtype=float).ravel()

    def split(self, theta: Any) -> tuple[np.ndarray, np.ndarray, None]:
        """No compartment parameters or initial state here: (theta, an empty state, no noise parameter)."""
        return self.theta(theta), np.zeros(0), None

    def simulate(self, theta: Any, seed: int | None = None) -> dict[str, np.ndarray]:
        """The observed state counts of one agent run at ``theta``, at the data times."""
        from hyosan.agents.run import execute

        values = dict(zip(self.names, (float(v) for v in self.theta(theta)), strict=True))
        _, ds, _ = execute(self.scenario, seed=int(seed or 0), values=values, workers=1)
        return {
            c: sum(ds[s].values[0] for s in obs.terms)[self._rows].astype(float) for c, obs in self.observables.items()
        }

    def describe(self) -> dict[str, Any]:
        return {
            "scenario": self.target,
            "engine": "abm",
            "data": self.data.source,
            "observations": len(self.data),
            "observe": {c: o.text for c, o in self.observables.items()},
            "noise": self.noise.name,
            "free": {f.name: {"sets": f"scenario field {f.target}", "prior": str(f.prior)} for f in self.free},
            "set": {k: str(v) for k, v in self.values.items()},
        }


def _free(name: str, spec: Any) -> Free:
    where = f"--fit {name}"
    if isinstance(spec, Prior):
        prior = spec
    elif isinstance(spec, str):
        prior = parse_prior(spec, where)
    elif isinstance(spec, tuple | list) and len(spec) == 2:
        prior = parse_prior(f"{spec[0]}:{spec[1]}", where)
    else:
        raise FitError(f"{where}: a scenario field needs bounds or a prior, e.g. --fit {name}=0:1")
    return Free(name, "parameter", name, prior, float("nan"))


def _finite(prior: Prior) -> tuple[float, float]:
    lo, hi = prior.support
    if np.isfinite(lo) and np.isfinite(hi):
        return lo, hi
    return tuple(float(v) for v in np.quantile(prior.sample(np.random.default_rng(0), 101), [0.5, 0.5]))


def fit_scenario(
    target: str,
    data: Observations | str | Path | Any,
    free: Mapping[str, Any],
    *,
    method: str | None = None,
    noise: str = "poisson",
    observe: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    seed: int = 0,
    budget: Any = None,
    progress: bool = False,
    out: str | Path | None = None,
    **options: Any,
) -> FitResult:
    """Fit scenario fields of ``target`` to ``data`` by ABC-SMC; writes the outputs to ``out`` if given."""
    from hyosan.fit import report
    from hyosan.fit.api import METHODS
    from hyosan.fit.mle import Budget

    if method not in (None, "abc"):
        raise FitError(
            f"--method {method}: an agent scenario has no likelihood to {'maximise' if method == 'mle' else 'sample'}; "
            "use --method abc (the default for scenarios)"
        )
    obs = data if isinstance(data, Observations) else (
        Observations.read(data) if isinstance(data, str | Path) else Observations.from_frame(data)
    )  # fmt: skip
    problem = ScenarioProblem(target, obs, free, noise=noise, observe=observe, values=values)
    result = METHODS["abc"](problem, seed=seed, budget=budget or Budget(), progress=progress, **options)
    pred = report.predictive(problem, result, seed)
    result.extra["posterior_predictive_check"] = pred["check"]
    if out is not None:
        report.write(out, problem, result, {}, pred)
    result.extra["problem"] = problem
    return result
