"""Parameter sweeps: one ensemble per value, outcomes as probabilities with standard errors.

Every point of a sweep reuses the same seed, so neighbouring points are compared with common random
numbers and the curve is smoother than independent ensembles would give; it also makes a point's
result independent of which points ran before it, so an interrupted sweep can resume from a
:class:`Journal` of finished points and end exactly where an uninterrupted one would.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from hyosan import __version__
from hyosan.compartmental.model import Condition, Model
from hyosan.errors import HyosanError
from hyosan.interventions import parse_condition
from hyosan.simulate import simulate


def parse_values(text: str) -> tuple[str, list[float]]:
    """``"sensitivity=0.5,0.7,0.9"`` or ``"beta=0.1:0.5:5"`` (start:stop:count) to a name and values."""
    name, sep, rest = text.partition("=")
    if not sep or not name.strip() or not rest.strip():
        raise HyosanError(f"--vary {text}: write NAME=V1,V2,... or NAME=START:STOP:COUNT")
    try:
        if ":" in rest:
            if rest.count(":") != 2:
                raise HyosanError(f"--vary {text}: a range is START:STOP:COUNT, e.g. {name.strip()}=0.1:0.5:5")
            start, stop, count = rest.split(":")
            n = int(count)
            if not 1 <= n <= 1000:
                raise HyosanError(f"--vary {text}: COUNT must be from 1 to 1000")
            values = np.linspace(float(start), float(stop), n).tolist()
        else:
            values = [float(v) for v in rest.split(",")]
    except ValueError:
        raise HyosanError(f"--vary {text}: values must be numbers, e.g. {name.strip()}=0.5,0.9") from None
    if not values or len(values) > 1000:
        raise HyosanError(f"--vary {text}: give between 1 and 1000 values")
    if not all(math.isfinite(v) for v in values):
        raise HyosanError(f"--vary {text}: every value must be a finite number")
    return name.strip(), values


class Journal:
    """Finished sweep points, one JSON line each, appended and fsync-ed as each point completes.

    A line torn by a kill is dropped on opening, so the file always ends after a whole point.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.done: dict[int, dict[str, Any]] = {}
        self.computed = 0
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        whole = data[: data.rfind(b"\n") + 1]
        for line in whole.splitlines():
            try:
                entry = json.loads(line)
                self.done[int(entry["index"])] = dict(entry["row"])
            except (ValueError, KeyError, TypeError):
                continue
        if len(whole) < len(data):
            with open(self.path, "r+b") as f:
                f.truncate(len(whole))

    def record(self, index: int, row: Mapping[str, Any]) -> None:
        """Make point ``index`` durable before going on."""
        try:
            with open(self.path, "a") as f:
                f.write(json.dumps({"index": index, "row": row}) + "\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise HyosanError(
                f"sweep journal {self.path}: cannot record a finished point ({exc.strerror or exc}); "
                "free some space or choose another --out"
            ) from None
        self.done[index] = dict(row)
        self.computed += 1


def sweep_key(model: Model, name: str, values: Sequence[float], outcomes: Sequence[str], **inputs: Any) -> str:
    """A short hash of everything that decides a sweep's numbers (not the worker count)."""
    blob = json.dumps(
        {"model": model.digest(), "vary": name, "values": list(values), "outcomes": list(outcomes), **inputs},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(f"{__version__}\n{blob}".encode()).hexdigest()[:16]


def final_condition(ds: xr.Dataset, cond: Condition, model: Model) -> np.ndarray:
    """Per replicate: whether ``cond`` holds in its final state."""
    final = ds.isel(time=-1)
    pop = [model.compartments[i] for i in model.population_index]
    columns = {c: np.atleast_1d(final[c].values).astype(float) for c in model.compartments}
    n = len(columns[model.compartments[0]])
    out = np.empty(n, dtype=bool)
    params = {**model.parameter_values, "t": float(ds.time[-1])}
    for r in range(n):
        values = {**params, **{c: float(col[r]) for c, col in columns.items()}}
        values["N"] = sum(values[c] for c in pop)
        out[r] = cond.margin(values) > 0
    return out


def sweep(
    model: Model,
    name: str,
    values: Sequence[float],
    outcomes: Sequence[str],
    *,
    engine: str = "ssa",
    replicates: int = 1000,
    seed: int = 0,
    base: Mapping[str, Any] | None = None,
    journal: Journal | None = None,
    **options: Any,
) -> list[dict[str, Any]]:
    """For each value of ``name``: the fraction of replicates whose final state meets each outcome.

    With a ``journal``, points it already holds are taken from it and each newly finished point is
    recorded as soon as it is done.
    """
    allowed = {*model.compartments, *(p.name for p in model.parameters), "N", "t"}
    conditions = [parse_condition(text, allowed, f"--outcome {text}") for text in outcomes]
    arms = [model.with_values({**(base or {}), name: value}) for value in values]  # every value checked first
    rows = []
    for index, (value, arm) in enumerate(zip(values, arms, strict=True)):
        if journal is not None and index in journal.done:
            rows.append(journal.done[index])
            continue
        ds = simulate(arm, engine, replicates=replicates, seed=seed, **options)
        row: dict[str, Any] = {name: value, "replicates": int(ds.sizes.get("replicate", 1))}
        for text, cond in zip(outcomes, conditions, strict=True):
            hits = final_condition(ds, cond, arm)
            p = float(hits.mean())
            row[f"P({text})"] = p
            row[f"se P({text})"] = float(np.sqrt(p * (1 - p) / len(hits)))
        final = ds.isel(time=-1)
        for c in model.compartments:
            row[f"mean final {c}"] = float(final[c].mean())
        if journal is not None:
            journal.record(index, row)
        rows.append(row)
    return rows


def write_sweep(
    folder: Path, rows: list[dict[str, Any]], name: str, outcomes: Sequence[str], title: str, summary: dict[str, Any]
) -> None:
    """Write a finished sweep all-or-nothing (sweep.csv, sweep.png, summary.json), then drop its resume journals."""
    import glob

    import pandas as pd

    from hyosan.outputs import sibling
    from hyosan.results import summary_json, write_outputs

    write_outputs(
        folder,
        {
            "sweep.csv": lambda p: pd.DataFrame(rows).to_csv(p, index=False),
            "sweep.png": lambda p: plot_sweep(rows, name, outcomes, p, title),
            "summary.json": lambda p: summary_json(p, summary),
        },
    )
    prefix = sibling(folder, "sweep-")
    for stale in prefix.parent.glob(f"{glob.escape(prefix.name)}*.jsonl"):
        stale.unlink(missing_ok=True)


def plot_sweep(rows: list[dict[str, Any]], name: str, outcomes: Sequence[str], path: Path, title: str) -> None:
    """Each outcome's probability against the swept value, with 95% error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    x = [r[name] for r in rows]
    for text in outcomes:
        y = np.array([r[f"P({text})"] for r in rows])
        se = np.array([r[f"se P({text})"] for r in rows])
        ax.errorbar(x, y, yerr=1.96 * se, marker="o", capsize=3, label=f"P({text})")
    ax.set_xlabel(name)
    ax.set_ylabel("probability")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.25)
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
