"""Pictures of results: trajectories, or for ensembles the median with 50% and 90% bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from hyosan.results import QUANTILES, compartments_of

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
#: More lines than this get no legend: it would cover the plot, and placing it costs lines × entries.
LEGEND_MAX = 20


def bands(ds: xr.Dataset) -> xr.Dataset:
    """Each compartment's quantiles over replicates at every time: dimensions (quantile, time)."""
    comps = compartments_of(ds)
    q = {c: (("quantile", "time"), np.nanquantile(ds.variables[c].values, QUANTILES, axis=0)) for c in comps}
    out = xr.Dataset(q, coords={"quantile": list(QUANTILES), "time": ds.time}, attrs=ds.attrs)
    for c in comps:
        out.variables[c].attrs = dict(ds.variables[c].attrs)
    return out


def active_end(t: np.ndarray, series: list[np.ndarray]) -> float:
    """Where things stop happening: the last time any series still differs from its final value,
    plus 20%; the whole horizon when that is most of it."""
    last = 0.0
    for v in series:
        moving = np.nonzero(np.any(np.atleast_2d(v) != np.atleast_2d(v)[..., -1:], axis=0))[0]
        if moving.size:
            last = max(last, float(t[min(moving[-1] + 1, len(t) - 1)]))
    end = float(t[-1])
    cut = max(1.2 * last, float(t[min(1, len(t) - 1)]))
    return end if cut >= 0.8 * end else cut


def plot(
    ds: xr.Dataset,
    path: str | Path,
    title: str | None = None,
    xlabel: str | None = None,
    quantiles: xr.Dataset | None = None,
) -> Path:
    """Write a PNG of every compartment over time: one run as lines, an ensemble as its median with
    50% and 90% bands (from ``quantiles`` if given, see :func:`bands`); the time axis ends where
    things stop happening."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = ds.sizes.get("replicate", 1) if quantiles is None else int(ds.attrs.get("replicates", 1))
    if quantiles is None and n > 1:
        quantiles = bands(ds)
    shown = quantiles if quantiles is not None else ds
    t = shown.time.values
    unit = shown.time.attrs.get("units", "days")
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    series = []
    names = (
        compartments_of(ds)
        if quantiles is None
        else [v for v in quantiles.data_vars if "quantile" in quantiles.variables[v].dims]
    )
    for i, c in enumerate(names):
        color = COLORS.get(c, cycle[i % len(cycle)])
        meaning = shown.variables[c].attrs.get("long_name")
        label = f"{c}: {meaning}" if meaning else c
        if quantiles is not None:
            q = quantiles.variables[c].values
            ax.fill_between(t, q[0], q[4], color=color, alpha=0.15, lw=0)
            ax.fill_between(t, q[1], q[3], color=color, alpha=0.3, lw=0)
            ax.plot(t, q[2], color=color, lw=1.8, label=label)
            series.append(q)
        else:
            v = ds.variables[c].values.reshape(-1, len(t))[0]
            ax.plot(t, v, color=color, lw=1.8, label=label)
            series.append(v)
    ax.set_xlim(float(t[0]), active_end(t, series))
    ax.set_xlabel(xlabel or f"time ({unit})")
    ax.set_ylabel("count")
    ens = f", {n:,} replicates (median, 50% and 90% bands)" if quantiles is not None else ""
    ax.set_title(title or f"{ds.attrs.get('model', '')} — {ds.attrs.get('engine', '')}{ens}")
    if len(names) <= LEGEND_MAX:
        ax.legend(loc="best", frameon=False)
    ax.grid(alpha=0.25)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)
