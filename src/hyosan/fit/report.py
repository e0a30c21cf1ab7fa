"""A fit's outputs: fit.json, posterior.csv, fit.png, corner.png and ppc.png, written all-or-nothing.

The posterior-predictive check draws observations from the observation model at up to ``DRAWS``
parameter samples and compares them with the data by the discrepancy T = Σ (y − m)² / max(m, 1)
(a χ²-like sum; m the model's value): its p-value is P(T(y_rep) ≥ T(y)), near 0 when the data
scatter more than the model allows. It also reports the share of observations inside the 95%
predictive band.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.fit.problem import Problem
from hyosan.fit.result import FitResult
from hyosan.results import _jsonable, write_outputs

DRAWS = 200


def predictive(problem: Problem, result: FitResult, seed: int = 0) -> dict[str, Any]:
    """Model values and replicated observations at up to ``DRAWS`` samples, and the check's numbers."""
    rng = np.random.default_rng(seed)
    samples = result.samples
    if len(samples) == 0:
        samples = np.array([[result.estimate[n] for n in problem.names]])
    pick = rng.choice(len(samples), size=min(DRAWS, len(samples)), replace=False)
    means = {c: [] for c in problem.columns}
    reps = {c: [] for c in problem.columns}
    t_obs, t_rep = [], []
    for k in pick:
        theta = samples[k]
        try:
            sim = problem.simulate(theta, seed=int(rng.integers(2**31)))
        except Exception:  # a draw the engine cannot run is left out of the check
            continue
        _, _, extra = problem.split(theta)
        to, tr = 0.0, 0.0
        for c in problem.columns:
            y_rep = problem.noise.sample(rng, sim[c], extra)
            means[c].append(sim[c])
            reps[c].append(y_rep)
            scale = np.maximum(sim[c], 1.0)
            to += float(np.sum((problem.y[c] - sim[c]) ** 2 / scale))
            tr += float(np.sum((y_rep - sim[c]) ** 2 / scale))
        t_obs.append(to)
        t_rep.append(tr)
    means = {c: np.array(v) for c, v in means.items()}
    reps = {c: np.array(v) for c, v in reps.items()}
    inside = []
    for c in problem.columns:
        if len(reps[c]):
            lo, hi = np.quantile(reps[c], [0.025, 0.975], axis=0)
            inside.append((problem.y[c] >= lo) & (problem.y[c] <= hi))
    t_obs_a, t_rep_a = np.array(t_obs), np.array(t_rep)
    check = {
        "discrepancy": "T = sum (y - m)^2 / max(m, 1)",
        "draws": len(t_obs),
        "p_value": float(np.mean(t_rep_a >= t_obs_a)) if len(t_obs) else None,
        "share_of_data_in_95_band": float(np.mean(np.concatenate(inside))) if inside else None,
    }
    return {"means": means, "reps": reps, "t_obs": t_obs_a, "t_rep": t_rep_a, "check": check}


def fit_json(problem: Problem, result: FitResult, derived: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    from hyosan import __version__

    return {
        "hyosan_version": __version__,
        "method": result.method,
        "settings": result.settings,
        "problem": problem.describe(),
        "estimates": result.summary(),
        "interval_kind": result.interval_kind,
        "samples": result.sample_kind,
        "log_likelihood": result.log_likelihood,
        "diagnostics": result.diagnostics,
        "derived": derived,
        "posterior_predictive_check": check,
        "elapsed_s": result.elapsed_s,
        **({"extra": result.extra} if result.extra else {}),
    }


def write(out: str | Path, problem: Problem, result: FitResult, derived: dict[str, Any], pred: dict[str, Any]) -> Path:
    """All the outputs into ``out`` at once (nothing is left half-written)."""
    summary = fit_json(problem, result, derived, pred["check"])
    writers: dict[str, Callable[[Path], None]] = {
        "fit.json": lambda p: p.write_text(json.dumps(summary, indent=2, default=_jsonable) + "\n"),
        "posterior.csv": lambda p: _posterior_csv(p, problem, result),
        "fit.png": lambda p: _fit_png(p, problem, result, pred),
        "ppc.png": lambda p: _ppc_png(p, pred),
    }
    if len(result.samples) > len(problem.names):
        writers["corner.png"] = lambda p: _corner_png(p, problem, result)
    return write_outputs(out, writers)


def _posterior_csv(path: Path, problem: Problem, result: FitResult) -> None:
    import pandas as pd

    frame = pd.DataFrame(result.samples, columns=problem.names)
    frame.to_csv(path, index_label="draw")


def _fit_png(path: Path, problem: Problem, result: FitResult, pred: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(problem.columns)
    fig, axes = plt.subplots(n, 1, figsize=(7.5, 3.6 * n), squeeze=False)
    t = problem.data.times
    for ax, c in zip(axes[:, 0], problem.columns, strict=True):
        reps, means = pred["reps"][c], pred["means"][c]
        if len(reps):
            q = np.quantile(reps, [0.025, 0.25, 0.75, 0.975], axis=0)
            ax.fill_between(t, q[0], q[3], color="tab:blue", alpha=0.18, lw=0, label="95% predictive")
            ax.fill_between(t, q[1], q[2], color="tab:blue", alpha=0.35, lw=0, label="50% predictive")
            ax.plot(t, np.median(means, axis=0), color="tab:blue", lw=2, label="model, median")
        ax.plot(t, problem.y[c], "o", color="black", ms=4, label=f"data: {c}")
        ax.set_ylabel(f"{c}  ({problem.observables[c].text})")
        ax.legend(frameon=False, fontsize=8)
        ax.grid(alpha=0.3)
    unit = getattr(problem, "time_unit", "days")
    axes[-1, 0].set_xlabel(f"time ({unit}), {problem.data.time_column}")
    est = ", ".join(f"{k} = {v:.3g}" for k, v in result.estimate.items())
    fig.suptitle(f"{problem.base.name} on {problem.engine}, {result.method}: {est}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _ppc_png(path: Path, pred: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    t_obs, t_rep = pred["t_obs"], pred["t_rep"]
    if len(t_obs):
        ax.scatter(t_obs, t_rep, s=8, alpha=0.6)
        top = max(t_obs.max(), t_rep.max()) * 1.05
        ax.plot([0, top], [0, top], color="black", lw=1)
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
    p = pred["check"]["p_value"]
    ax.set_title(f"posterior-predictive check: p = {p:.2f}" if p is not None else "posterior-predictive check")
    ax.set_xlabel("T(observed data)   [points below the line: data scatter more than the model allows]", fontsize=8)
    ax.set_ylabel("T(replicated data)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _corner_png(path: Path, problem: Problem, result: FitResult) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        import corner
    except ImportError:
        corner = None
    samples = result.samples
    if corner is not None and len(problem.names) > 1:  # corner 2.x cannot draw a single parameter
        fig = corner.corner(samples, labels=problem.names, quantiles=[0.025, 0.5, 0.975], show_titles=True,
                            title_fmt=".3g", truths=[result.estimate[n] for n in problem.names])  # fmt: skip
    else:
        k = len(problem.names)
        fig, axes = plt.subplots(k, k, figsize=(2.5 * k, 2.5 * k), squeeze=False)
        for i in range(k):
            for j in range(k):
                ax = axes[i, j]
                if i == j:
                    ax.hist(samples[:, i], bins=40)
                elif i > j:
                    ax.plot(samples[:, j], samples[:, i], ",", alpha=0.3)
                else:
                    ax.axis("off")
    fig.text(0.98, 0.98, f"{result.method}: {result.sample_kind}", ha="right", va="top", fontsize=8, wrap=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
