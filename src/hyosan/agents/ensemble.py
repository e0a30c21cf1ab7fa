"""Outcomes of a multi-replicate scenario run: one row per replicate, and their summary over all replicates.

Every outcome of :func:`hyosan.agents.run.outcomes` becomes a number under a dotted name
(``escaped_by_exit.main-gate.escaped``; yes/no as 1/0; undefined, e.g. the median escape time where
nobody escaped, as missing). Fired interventions become ``interventions.NAME.fired`` (1/0) and
``interventions.NAME.time_min``. Lists (a humbie survival curve, discovery times) are left to
``humbies.png`` and ``events.csv``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: Dotted prefixes whose absent keys mean zero (a zone nobody survived in is not listed).
ZERO_IF_ABSENT = ("humbies_side.surviving_by_zone.",)


def flatten(out: Mapping[str, Any], interventions: Sequence[str] = ()) -> dict[str, float]:
    """One replicate's outcomes as ``{dotted name: number}`` (NaN where undefined)."""
    flat: dict[str, float] = {}
    if "interventions" in out:
        fired = {f["name"]: f["time_min"] for f in out["interventions"]}
        for name in interventions:
            flat[f"interventions.{name}.fired"] = float(name in fired)
            flat[f"interventions.{name}.time_min"] = float(fired.get(name, math.nan))

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            if key in ("interventions", "interventions_not_fired") and not prefix:
                continue
            if isinstance(value, Mapping):
                walk(value, f"{name}.")
            elif value is None:
                flat[name] = math.nan
            elif isinstance(value, (bool, int, float, np.integer, np.floating, np.bool_)):
                flat[name] = float(value)

    walk(out, "")
    return flat


def outcome_table(rows: Sequence[Mapping[str, float]]) -> Any:
    """The per-replicate table (``outcomes.csv``): a ``replicate`` column, then one column per outcome."""
    import pandas as pd

    columns: dict[str, None] = {}
    for row in rows:
        columns |= dict.fromkeys(row)
    frame = pd.DataFrame([{c: row.get(c, math.nan) for c in columns} for row in rows], columns=list(columns))
    for c in frame.columns:
        if c.startswith(ZERO_IF_ABSENT):
            frame[c] = frame[c].fillna(0.0)
    frame.insert(0, "replicate", np.arange(len(rows)))
    return frame


def summarise(table: Any) -> dict[str, dict[str, float | int | None]]:
    """Per outcome over the replicates where it is defined: n, mean, standard error of the mean (s.d. over
    sqrt(n), n >= 2), the 5%, 50% and 95% quantiles (linear interpolation), min and max."""
    out: dict[str, dict[str, float | int | None]] = {}
    for c in table.columns[1:]:
        v = table[c].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        n = int(v.size)
        if n == 0:
            out[c] = {"n": 0, "mean": None, "se": None, "q05": None, "median": None, "q95": None}
            continue
        q05, q50, q95 = np.quantile(v, [0.05, 0.5, 0.95])
        out[c] = {
            "n": n,
            "mean": float(v.mean()),
            "se": float(v.std(ddof=1) / math.sqrt(n)) if n > 1 else None,
            "q05": float(q05),
            "median": float(q50),
            "q95": float(q95),
            "min": float(v.min()),
            "max": float(v.max()),
        }
    return out
