"""Outcomes read from the soldiers' and the humbies' side: shots, bites, survival of humbies, where they hide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hyosan.engines.abm import step as K


def soldier_side(sc: Any, run: Any) -> dict[str, Any]:
    """Zombies shot, humbies discovered, soldiers bitten (one replicate)."""
    ev = run.events
    soldier = np.array([k.soldier for k in sc.kinds])[run.agents.kind]
    bitten = ev["agent"][ev["kind"] == K.BITE]
    return {
        "zombies_shot_by_soldiers": int((ev["kind"] == K.SHOT).sum()),
        "humbies_discovered": int((ev["kind"] == K.DISCOVER).sum()),
        "soldiers": int(soldier.sum()),
        "soldiers_bitten": int(soldier[bitten].sum()),
    }


def survival(run: Any) -> tuple[np.ndarray, np.ndarray]:
    """(minutes, fraction of humbies alive): humbies now over humbies so far (at the start plus those turned)."""
    turned = np.sort(run.events["t"][run.events["kind"] == K.HUMBIE])
    ever = run.counts[0, 3] + np.searchsorted(turned, run.times, side="right")
    return run.times / 60.0, np.where(ever > 0, run.counts[:, 3] / np.maximum(ever, 1), np.nan)


def humbie_side(sc: Any, run: Any) -> dict[str, Any]:
    """The humbies' story: survival curve, time to discovery of each, survivors by zone (empty if no humbies)."""
    minutes, alive = survival(run)
    if not np.isfinite(alive).any():
        return {}
    ev = run.events
    found = np.sort(ev["t"][ev["kind"] == K.DISCOVER]) / 60.0
    a = run.agents
    left = a.state == K.H
    humbies = np.union1d(np.flatnonzero(run.start_state == K.H), ev["agent"][ev["kind"] == K.HUMBIE])
    escaped = np.intersect1d(humbies, ev["agent"][ev["kind"] == K.ESCAPE])
    rows, cols = a.y[left].astype(int), a.x[left].astype(int)
    zones = {z: int(m[rows, cols].sum()) for z, m in sc.world.zones.items()}
    keep = np.unique(np.linspace(0, minutes.size - 1, min(minutes.size, 60)).round().astype(int))
    return {
        "humbies_at_start": int(run.counts[0, 3]),
        "humbies_ever": int(run.counts[0, 3] + (ev["kind"] == K.HUMBIE).sum()),
        "surviving": int(left.sum()),
        "survival_curve": [[round(float(minutes[i]), 2), round(float(alive[i]), 4)] for i in keep if alive[i] >= 0],
        "discovered_min": [round(float(t), 2) for t in found],
        "median_discovery_min": round(float(np.median(found)), 2) if found.size else None,
        "never_discovered": int(left.sum() + escaped.size),
        "escaped": int(escaped.size),
        "surviving_by_zone": {z: n for z, n in sorted(zones.items(), key=lambda kv: -kv[1]) if n},
    }


def humbie_plot(sc: Any, runs: list, path: Path) -> None:
    """Survival of humbies (each replicate and their mean) and when they were discovered."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), dpi=110)
    curves = []
    for run in runs:
        minutes, alive = survival(run)
        curves.append(alive)
        left.step(minutes, alive, where="post", color="#8e5ea2", alpha=0.25 if len(runs) > 1 else 1.0, lw=1)
    if len(runs) > 1:
        left.step(minutes, np.nanmean(curves, axis=0), where="post", color="#8e5ea2", lw=2.2, label="mean")
        left.legend(frameon=False)
    left.set(xlabel="minutes", ylabel="fraction of humbies alive", ylim=(0, 1.05), title="Humbie survival")
    found = np.concatenate([r.events["t"][r.events["kind"] == K.DISCOVER] / 60.0 for r in runs])
    right.hist(found, bins=30, color="#3d9a50")
    right.set(xlabel="minutes", ylabel="humbies discovered", title="Time to discovery")
    for ax in (left, right):
        ax.grid(alpha=0.25)
    fig.suptitle(f"{sc.name}: the survival of zombies ({len(runs)} replicate{'s' if len(runs) > 1 else ''})")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
