"""Pictures of results: trajectories, or for ensembles the median with 50% and 90% bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from hyosan.results import compartments_of

COLORS = {
    "S": "#2b7bba",
    "E": "#f2a541",
    "I": "#d1495b",
    "Z": "#3d9a50",
    "H": "#8e5ea2",
    "R": "#6c6c6c",
    "Q": "#e07b39",
    "D": "#222222",
}


def plot(ds: xr.Dataset, path: str | Path, title: str | None = None, xlabel: str = "time (days)") -> Path:
    """Write a PNG of every compartment over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    t = ds.time.values
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, c in enumerate(compartments_of(ds)):
        color = COLORS.get(c, cycle[i % len(cycle)])
        v = ds[c].values
        label = f"{c}: {ds[c].attrs['long_name']}" if ds[c].attrs.get("long_name") else c
        if "replicate" in ds.dims:
            q = np.nanquantile(v, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
            ax.fill_between(t, q[0], q[4], color=color, alpha=0.15, lw=0)
            ax.fill_between(t, q[1], q[3], color=color, alpha=0.3, lw=0)
            ax.plot(t, q[2], color=color, lw=1.8, label=label)
        else:
            ax.plot(t, v, color=color, lw=1.8, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ens = f", {ds.sizes['replicate']} replicates (median, 50% and 90% bands)" if "replicate" in ds.dims else ""
    ax.set_title(title or f"{ds.attrs.get('model', '')} — {ds.attrs.get('engine', '')}{ens}")
    ax.legend(loc="best", frameon=False)
    ax.grid(alpha=0.25)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)
