"""The network engine's records of single nodes: each state change (``node_events``) and the
transmission tree (who infected whom, when), as result variables and as tidy tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from hyosan.budget import require_memory
from hyosan.compartmental.model import Model
from hyosan.engines.network.interventions import REMOVED


def add_node_events(ds: xr.Dataset, results: list[Any], model: Model) -> None:
    """Each replicate's state changes as (replicate, event) variables, padded with NaN / -1."""
    width = max(1, max(len(r.log_t) for r in results))
    require_memory(len(results) * width * 48, f"node events: {len(results)} replicates x {width:,} changes",
                   "run fewer replicates or drop node_events")  # fmt: skip
    t = np.full((len(results), width), np.nan)
    cols = np.full((4, len(results), width), -1, dtype=np.int64)
    for i, r in enumerate(results):
        t[i, : len(r.log_t)] = r.log_t
        cols[:, i, : len(r.log_t)] = r.log_i.T
    names = ", ".join([*model.compartments, REMOVED])
    ds["node_event_time"] = (("replicate", "event"), t, {"units": "days"})
    ds["node_event_node"] = (("replicate", "event"), cols[0], {"long_name": "node that changed state"})
    ds["node_event_from"] = (("replicate", "event"), cols[1], {"compartments": names})
    ds["node_event_to"] = (
        ("replicate", "event"),
        cols[2],
        {"compartments": names, "infected": ", ".join(model.infected)},
    )
    ds["node_event_by"] = (("replicate", "event"), cols[3], {"long_name": "neighbour that caused it (-1: none)"})


def node_events_frame(ds: xr.Dataset):
    """The node events of a result as a tidy table: replicate, time, node, from, to, by (the
    transmission tree is the rows with by >= 0)."""
    import pandas as pd

    names = np.array(ds["node_event_from"].attrs["compartments"].split(", "))
    t = ds["node_event_time"].values
    keep = ~np.isnan(t)
    rep = np.broadcast_to(ds["replicate"].values[:, None], t.shape)[keep]
    return pd.DataFrame({
        "replicate": rep,
        "time": t[keep],
        "node": ds["node_event_node"].values[keep],
        "from": names[ds["node_event_from"].values[keep]],
        "to": names[ds["node_event_to"].values[keep]],
        "by": ds["node_event_by"].values[keep],
    })  # fmt: skip


def transmission_tree(ds: xr.Dataset):
    """Who infected whom, when: the node events in which a neighbour moved a node from a state outside the
    model's infected compartments into one of them (replicate, time, infector, infected, from, to)."""
    frame = node_events_frame(ds)
    infected = set(filter(None, ds["node_event_to"].attrs.get("infected", "").split(", ")))
    rows = frame[(frame.by >= 0) & frame["to"].isin(infected) & ~frame["from"].isin(infected)]
    rows = rows.rename(columns={"by": "infector", "node": "infected"})
    return rows[["replicate", "time", "infector", "infected", "from", "to"]].reset_index(drop=True)
