"""Sweeps of a country scenario: one ensemble per value of a model parameter, with the probability of
each outcome condition and the mean of each country outcome (``hyosan sweep korea --vary beta=...``).

A condition reads the final totals (``Z > 0``), the parameters, and the per-replicate outcomes of
:func:`hyosan.places.outbreak.outcomes` (``breached > 0``, ``places_fallen > 100``,
``people_saved > 1e6``). Every value reuses the seed (common random numbers, as model sweeps do) and
the replicates spread over the same executors (local workers or a Dask scheduler), so a point's
numbers do not depend on the workers; the twin without the cordon runs only when a condition reads
one of its outcomes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyosan.errors import HyosanError
from hyosan.places import outbreak
from hyosan.places.country import Country

#: Outcomes that need the twin run without the cordon.
TWIN = ("humans_at_end_no_cordon", "people_saved", "places_fallen_no_cordon")
#: Every per-replicate outcome a condition may read (those of a country without a cordon are a subset).
OUTCOMES = (
    "places_reached", "places_fallen", "humans_at_end", "cordon_closed_day", "breached", "breach_day",
    "outside_reached_before_seal", "outside_reached", *TWIN,
)  # fmt: skip


def names(country: Country) -> set[str]:
    """The names a sweep condition may read for ``country``."""
    model = country.model
    outs = OUTCOMES if country.cordon is not None else OUTCOMES[:3]
    return {*model.compartments, *(p.name for p in model.parameters), "N", "t", *outs}


def sweep_country(
    country: Country,
    name: str,
    values: Sequence[float],
    conditions: Sequence[str],
    *,
    replicates: int,
    seed: int = 0,
    base: Mapping[str, Any] | None = None,
    journal: Any = None,
    **options: Any,
) -> list[dict[str, Any]]:
    """For each value of the parameter ``name``: the share of replicates meeting each condition (with
    its standard error, sqrt(p(1-p)/n)) and the mean of each outcome over the replicates where defined."""
    from hyosan.interventions import parse_condition

    model = country.model
    params = [p.name for p in model.parameters]
    if name not in params:
        raise HyosanError(f"--vary {name}: a country sweep varies a parameter of {model.name}: {', '.join(params)}")
    allowed = names(country)
    parsed = [parse_condition(text, allowed, f"--outcome {text}", HyosanError) for text in conditions]
    arms = [dataclasses.replace(country, model=model.with_values({**(base or {}), name: v})) for v in values]
    twin = country.cordon is not None and any(set(c.left.names | c.right.names) & set(TWIN) for c in parsed)
    rows = []
    for index, (value, arm) in enumerate(zip(values, arms, strict=True)):
        if journal is not None and index in journal.done:
            rows.append(journal.done[index])
            continue
        ds = outbreak.simulate(arm, cordon=True, seed=seed, replicates=replicates, **options)
        other = outbreak.simulate(arm, cordon=False, seed=seed, replicates=replicates, **options) if twin else None
        per = outbreak.outcomes(arm, ds, other)
        final = ds.isel(time=-1)
        columns = {c: np.asarray(final[c].values, dtype=float) for c in model.compartments}
        population = sum(columns[model.compartments[i]] for i in model.population_index)
        row: dict[str, Any] = {name: value, "replicates": int(ds.sizes["replicate"])}
        for text, cond in zip(conditions, parsed, strict=True):
            hits = np.array(
                [
                    cond.margin(
                        {**arm.model.parameter_values, "t": float(ds.time[-1]), "N": float(population[r])}
                        | {c: float(col[r]) for c, col in columns.items()}
                        | {k: float(v[r]) for k, v in per.items()}
                    )
                    > 0
                    for r in range(row["replicates"])
                ]
            )
            p = float(hits.mean())
            row[f"P({text})"] = p
            row[f"se P({text})"] = float(np.sqrt(p * (1 - p) / len(hits)))
        for key, v in per.items():
            row[f"mean {key}"] = outbreak.stat(v)["mean"]
        if journal is not None:
            journal.record(index, row)
        rows.append(row)
    return rows
