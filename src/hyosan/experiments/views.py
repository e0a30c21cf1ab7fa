"""Three views of one school: its compartment model (ode, ssa), the same model on its contact network,
and the agent scenario, on one clock, with the same outcomes over replicates.

The school's scenario declares its compartment model (``model:``); the well-mixed views run it with the
school's people (everyone susceptible but patient zero, who starts in the zombie compartment, as in the
scenario). The network view runs the same model on ``school:NAME`` (classes, grades, clubs, staff) with
patient zero on node 999, the science-lab student of the story. Its pair transitions get the per-edge
rate c / (mean weighted degree), where c is the transition's coefficient (``beta`` for
``beta*S*Z/N``): every node then meets the same total contact rate as in the well-mixed model (the
rule of the network engine, with edge weights counted). The agent view runs the scenario itself.
Outcomes, per replicate: *ever infected* (people who did not end healthy or evacuated: N - S - Q for
the model, N - S - X for the agents), the peak of the zombie compartment and the hour of the peak.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.errors import HyosanError

HEALTHY, ZOMBIE, SAFE = "S", "Z", ("Q", "X")
VIEWS = ("compartments (ode)", "compartments (ssa)", "contact network", "agents")


def _edge_rates(model, g) -> dict[str, float]:
    """Per-edge rates c / (mean weighted degree) for the model's pair transitions (see the module)."""
    strength = float(g.weights.sum() if g.weights is not None else len(g.indices)) / g.n
    rates = {}
    for tr in model.transitions:
        names = [c for c, _ in tr.reactants]
        if len(names) != 2 or len(set(names)) != 2:
            continue
        values = {**model.parameter_values, **dict.fromkeys(model.compartments, 0.0), "N": float(g.n), "t": 0.0}
        values |= {names[0]: 1.0, names[1]: 1.0}
        rates[tr.name] = tr.rate.evaluate(values) * g.n / strength
    return rates


def _outcomes(times_h: np.ndarray, data: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Per replicate: ever infected, the zombie peak and its hour."""
    safe = next(data[c] for c in SAFE if c in data)
    z = data[ZOMBIE]
    return {
        "ever infected": n - data[HEALTHY][:, -1] - safe[:, -1],
        "peak zombies": z.max(axis=1),
        "peak hour": times_h[np.argmax(z, axis=1)],
    }


def views(
    target: str = "hyosan-high",
    *,
    replicates: int = 20,
    agent_replicates: int = 3,
    seed: int = 0,
    t_end: str | float | None = None,
    workers: int | None = None,
    progress: bool = False,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the three views of school scenario ``target``; returns their curves (hours) and outcomes.
    ``values`` change the compartment model's parameters (its initial state is the school's)."""
    from hyosan.agents.run import execute
    from hyosan.agents.scenario import Scenario
    from hyosan.catalog import declared_model, load
    from hyosan.graphs import graph
    from hyosan.graphs.school import PATIENT_ZERO
    from hyosan.simulate import simulate
    from hyosan.units import days

    sc = load(target)
    if not isinstance(sc, Scenario):
        raise HyosanError(f"views {target}: give a school scenario (hyosan-high); {target} is a compartment model")
    try:
        school = graph(f"school:{sc.name}")
    except HyosanError:
        raise HyosanError(f"views {target}: no contact network is built for this scenario; try hyosan-high") from None
    if not isinstance(replicates, int) or not 2 <= replicates <= 10_000:
        raise HyosanError(f"--replicates {replicates}: give 2 to 10,000 (the spread needs two)")
    if not isinstance(agent_replicates, int) or not 0 <= agent_replicates <= 1000:
        raise HyosanError(f"--agent-replicates {agent_replicates}: give 0 (no agent view) to 1,000")
    horizon = days(t_end if t_end is not None else sc.raw["time"]["horizon"], "--t-end", HyosanError)
    if not horizon > 0:
        raise HyosanError(f"--t-end {t_end}: give a positive duration, e.g. 28h")
    model = declared_model(sc).with_values(dict(values or {}))
    for c in (HEALTHY, ZOMBIE):
        if c not in model.compartments:
            raise HyosanError(f"views {target}: its model {model.name} has no compartment {c}; views compares S and Z")
    n = school.n
    start = dict.fromkeys(model.compartments, 0) | {HEALTHY: n - 1, ZOMBIE: 1}
    model = model.with_values(start)
    every = horizon / 168
    runs: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
    common = {"t_end": horizon, "every": every, "seed": seed, "progress": progress}
    ode = simulate(model, "ode", t_end=horizon, every=every)
    times_h = ode.time.values * 24.0
    runs[VIEWS[0]] = (times_h, {c: np.atleast_2d(ode[c].values) for c in model.compartments})
    ssa = simulate(model, "ssa", replicates=replicates, workers=workers, **common)
    runs[VIEWS[1]] = (ssa.time.values * 24.0, {c: ssa[c].values for c in model.compartments})
    zero = f"{ZOMBIE}=ids:{PATIENT_ZERO}"
    net = simulate(model.with_values({ZOMBIE: 0}), "network", replicates=replicates, workers=workers, graph=school,
                   seed_nodes=zero, edge_rates=_edge_rates(model, school), **common)  # fmt: skip
    runs[VIEWS[2]] = (net.time.values * 24.0, {c: net[c].values for c in model.compartments})
    if not agent_replicates:
        return _found(sc, model, school, horizon, seed, runs)
    _, abm, _ = execute(sc, seed=seed, replicates=agent_replicates, workers=workers, t_end=f"{horizon * 24}h",
                        progress=progress, flags=True)  # fmt: skip
    to_h = {"minutes": 1 / 60, "hours": 1.0, "seconds": 1 / 3600, "days": 24.0}[abm.attrs.get("time_unit", "minutes")]
    runs[VIEWS[3]] = (abm.time.values * to_h, {str(c): abm[c].values for c in abm.data_vars if abm[c].ndim == 2})
    return _found(sc, model, school, horizon, seed, runs)


def _found(sc, model, school, horizon: float, seed: int, runs: dict) -> dict[str, Any]:
    n = school.n
    rows = []
    for view, (th, data) in runs.items():
        out = _outcomes(th, data, n)
        row: dict[str, Any] = {"view": view, "replicates": len(out["peak zombies"])}
        for key, v in out.items():
            row[f"{key} mean"] = float(np.mean(v))
            row[f"{key} sd"] = float(np.std(v, ddof=1)) if len(v) > 1 else 0.0
            row[f"{key} 5%"], row[f"{key} 95%"] = (float(q) for q in np.percentile(v, [5, 95]))
        rows.append(row)
    return {
        "scenario": sc.name,
        "model": model.name,
        "graph": school.describe(),
        "edge_rates": _edge_rates(model, school),
        "people": n,
        "model_parameters": model.parameter_values,
        "hours": horizon * 24,
        "seed": seed,
        "rows": rows,
        "curves": runs,
    }


def plot_views(found: Mapping[str, Any], path: Path) -> None:
    """Healthy people and zombies over the hours, one colour per view: the median and the 5-95% band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharex=True)
    colours = dict(zip(VIEWS, ("black", "tab:blue", "tab:orange", "tab:green"), strict=True))
    for ax, comp, title in zip(axes, (HEALTHY, ZOMBIE), ("healthy (S)", "zombies (Z)"), strict=True):
        for view, (th, data) in found["curves"].items():
            y = data[comp]
            mid = np.median(y, axis=0)
            style = "--" if view == VIEWS[0] else "-"
            ax.plot(th, mid, style, color=colours[view], label=f"{view} (n={len(y)})", lw=1.6)
            if len(y) > 1:
                lo, hi = np.percentile(y, [5, 95], axis=0)
                ax.fill_between(th, lo, hi, color=colours[view], alpha=0.15, lw=0)
        ax.set_title(title)
        ax.set_xlabel("hours after patient zero turns")
        ax.set_ylabel("people")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{found['scenario']}: three views of one school ({found['people']:,} people; median, 5-95%)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
