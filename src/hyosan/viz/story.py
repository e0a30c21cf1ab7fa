"""The story's time: the scenario clock, when to draw frames, the most eventful moment, and the overview figure.

The clock: t = 0 is ``time.starts_at`` of day 1 when the scenario gives one (else labels count elapsed
time); night runs from ``day.sunset`` to ``day.sunrise``.

The frame schedule (:func:`frame_schedule`) lets time run fast through quiet stretches and slow where
things happen. Each event is spread evenly over ``[t - spread, t + spread]``; the "story measure" of an
interval is ``duration / T_q + weighted events / E_q``; frames are placed one unit of that measure apart,
so a frame advances the clock by ``T_q`` where nothing happens and covers about ``E_q`` events where a lot
does. ``T_q`` and ``E_q`` are set so that a third of the frames go to time and two thirds to events; a
story event (a barricade breaking, a room falling, an intervention, a rescue) weighs as much as eight
frames' worth of ordinary events, so time slows around it. Each gap is then rounded down to a rung of a
ladder (``every`` times 1, 2, 3, 6, 12, 30, 60, ...), the median rung of ``SMOOTH`` frames either side
(so the speed shown on the frame, gap x fps, is a round number that does not flicker), and shortened a
rung at a time while it would step over a slower stretch (so no burst is jumped, and time eases into
it); no gap is below ``every``. The measure's
unit is stretched (bisection) until the frames fit in ``frames``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.engines.abm import codes as K

#: Events that tell the story: time slows around them and the overview marks them.
STORY_EVENTS = (K.INTERVENTION, K.BREACH, K.ROOM_FALLS, K.RESCUED)
#: Multiples of ``every`` a frame may advance the clock by.
LADDER = (1, 2, 3, 6, 12, 30, 60, 120, 180, 360, 720, 1440, 2880, 4320, 8640, 17280, 34560, 69120)
#: Share of the frames spent on time passing rather than on events.
TIME_SHARE = 1.0 / 3.0
#: A story event weighs as many frames of ordinary events.
STORY_WEIGHT = 8.0
#: The pace at a frame is the median of its neighbours' within this many frames (no flicker between rungs).
SMOOTH = 1
DAY = 86400.0
#: Rows of the overview's event strip: label, event kind, marker, colour (only those that happened are drawn).
ROWS = [
    ("bites", K.BITE, "|", "#f2a541"),
    ("bite revealed", K.REVEALED, "|", "#b45f06"),
    ("zombies shot", K.SHOT, "|", "#2ea043"),
    ("humbies found", K.DISCOVER, "|", "#9650af"),
    ("isolated", K.ISOLATED, "|", "#555555"),
    ("reached base", K.REACHED_BASE, "|", "#46b9be"),
    ("escaped", K.ESCAPE, "|", "#777777"),
    ("rescued", K.RESCUED, "o", "#c81e78"),
    ("barricaded", K.BARRICADE, "s", "#6e1414"),
    ("room falls", K.ROOM_FALLS, "X", "#8c1e1e"),
    ("barricade broken", K.BREACH, "v", "#e23c3c"),
    ("interventions", K.INTERVENTION, "D", "#2b2b2b"),
]


@dataclass(frozen=True)
class Clock:
    """The scenario clock: ``starts_at`` (seconds after midnight of day 1, None: elapsed time only) and the
    night (``sunset`` to ``sunrise``, seconds after midnight; None: no night)."""

    starts_at: float | None = None
    sunrise: float | None = None
    sunset: float | None = None

    def label(self, t: float, seconds: bool = False) -> str:
        """``"day 2, 07:15"`` (``07:15:20`` with ``seconds``) at ``t`` seconds into the run; ``"+1 d 02:15:30"``
        without a start time."""
        if self.starts_at is None:
            s = round(t)
            d, s = divmod(s, 86400)
            h, s = divmod(s, 3600)
            m, s = divmod(s, 60)
            return f"+{d} d {h:02d}:{m:02d}:{s:02d}" if d else f"+{h:02d}:{m:02d}:{s:02d}"
        unit = 1.0 if seconds else 60.0
        clock = round((self.starts_at + t) / unit) * unit
        day = int(clock // DAY) + 1
        h, rest = divmod(int(clock % DAY), 3600)
        m, s = divmod(rest, 60)
        return f"day {day}, {h:02d}:{m:02d}" + (f":{s:02d}" if seconds else "")

    def is_night(self, t: float | np.ndarray) -> bool | np.ndarray:
        """Whether the clock at ``t`` (seconds into the run) is between sunset and sunrise."""
        if self.starts_at is None or self.sunrise is None or self.sunset is None:
            return np.zeros(np.shape(t), dtype=bool) if np.ndim(t) else False
        tod = (self.starts_at + np.asarray(t, dtype=float)) % DAY
        night = (tod >= self.sunset) | (tod < self.sunrise)
        return night if np.ndim(t) else bool(night)

    def nights(self, start: float, end: float) -> list[tuple[float, float]]:
        """The nights overlapping ``[start, end]`` as (from, to) in seconds into the run."""
        if self.starts_at is None or self.sunrise is None or self.sunset is None:
            return []
        out = []
        first = int((self.starts_at + start) // DAY) - 1
        for d in range(first, int((self.starts_at + end) // DAY) + 1):
            a = d * DAY + self.sunset - self.starts_at
            b = (d + 1) * DAY + self.sunrise - self.starts_at
            if b > start and a < end:
                out.append((max(a, start), min(b, end)))
        return out


def clock_of(sc: Any) -> Clock:
    """The clock of scenario ``sc``: ``time.starts_at`` and the ``day`` section's sunrise and sunset, if given."""
    siege, raw = getattr(sc, "siege", None), getattr(sc, "raw", {}) or {}
    timed = isinstance(raw.get("time"), dict) and "starts_at" in raw["time"]
    if siege is None or not timed:
        return Clock()
    day = "day" in raw
    return Clock(float(siege.starts_at), float(siege.sunrise) if day else None, float(siege.sunset) if day else None)


def event_weights(kinds: np.ndarray, per_frame: float = 1.0) -> np.ndarray:
    """Weight of each event in the schedule: 1, ``STORY_WEIGHT * per_frame`` for a story event, 0 for reaching
    the base (the same moment is logged as an escape)."""
    kinds = np.asarray(kinds)
    w = np.where(np.isin(kinds, STORY_EVENTS), STORY_WEIGHT * per_frame, 1.0)
    return np.where(kinds == K.REACHED_BASE, 0.0, w)


def frame_schedule(
    times: np.ndarray,
    kinds: np.ndarray,
    start: float,
    end: float,
    every: float,
    frames: int,
    step: float | None = None,
) -> np.ndarray:
    """Frame times in ``[start, end]``: dense where events are, sparse where nothing happens (see the module
    docstring for the rule); at most ``frames`` of them, never closer than ``every``, multiples of ``step``."""
    step = step or every
    if end <= start or frames < 2:
        return np.array([start])
    times = np.asarray(times, dtype=float)
    keep = (times >= start) & (times <= end)
    times, kinds = times[keep], np.asarray(kinds)[keep]
    spread = 10.0 * every
    plain = float((~np.isin(kinds, STORY_EVENTS)).sum())
    per_frame = max(plain / ((1 - TIME_SHARE) * frames), 1.0)
    w = event_weights(kinds, per_frame)
    grid = np.linspace(start, end, max(2, min(200_000, int((end - start) / every) + 1)))
    lo = np.searchsorted(grid, times - spread)
    hi = np.searchsorted(grid, times + spread)
    dens = np.zeros(grid.size + 1)
    np.add.at(dens, lo, w / np.maximum(hi - lo, 1))
    np.add.at(dens, hi, -w / np.maximum(hi - lo, 1))
    point = np.cumsum(dens)[: grid.size]
    mass = np.concatenate([[0.0], np.cumsum(point)[:-1]])
    t_q = (end - start) / (TIME_SHARE * frames)
    e_q = max(float(w.sum()), 1e-9) / ((1 - TIME_SHARE) * frames)
    mu = (grid - start) / t_q + mass / e_q
    rungs = np.array(LADDER, dtype=float) * every

    def walk(c: float) -> np.ndarray:
        ideal = np.interp(np.arange(0.0, mu[-1], c), mu, grid)
        gaps = np.diff(
            ideal, append=ideal[-1] + c * (grid[-1] - grid[-2]) if ideal.size == 1 else 2 * ideal[-1] - ideal[-2]
        )
        rung = np.maximum(np.searchsorted(rungs, gaps, side="right") - 1, 0)
        window = np.lib.stride_tricks.sliding_window_view(np.pad(rung, SMOOTH, mode="edge"), 2 * SMOOTH + 1)
        pace = rungs[np.median(window, axis=1).astype(int)]
        out, t = [start], start
        while t < end and len(out) <= frames:
            j = max(int(np.searchsorted(ideal, t, side="right")) - 1, 0)
            r = int(np.searchsorted(rungs, pace[j]))
            while r > 0 and pace[j : max(int(np.searchsorted(ideal, t + rungs[r])), j + 1)].min() < rungs[r]:
                r -= 1
            t = min(end, round((t + rungs[r]) / step) * step)
            out.append(t)
        return np.array(out)

    lo_c, hi_c = 1.0, 1.0
    while len(walk(hi_c)) > frames:
        lo_c, hi_c = hi_c, hi_c * 2
    if hi_c == 1.0:
        return walk(1.0)
    for _ in range(30):
        mid = 0.5 * (lo_c + hi_c)
        lo_c, hi_c = (lo_c, mid) if len(walk(mid)) <= frames else (mid, hi_c)
    return walk(hi_c)


def speeds(frame_times: np.ndarray, fps: float) -> np.ndarray:
    """Playback speed at each frame: simulated seconds per second of video (the gap to the next frame x fps)."""
    gaps = np.diff(frame_times)
    gaps = np.append(gaps, gaps[-1] if gaps.size else 0.0)
    return gaps * fps


def speed_label(speed: float) -> str:
    """``"x60  (1 min a second)"``: the speed badge."""
    if speed <= 0:
        return "x0"
    for unit, s in (("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0)):
        if speed >= s:
            v = speed / s
            said = f"{v:.0f}" if abs(v - round(v)) < 0.05 else f"{v:.1f}"
            return f"x{speed:,.0f}  ({said} {unit} a second)"
    return f"x{speed:.2g}  (slow motion)"


def most_eventful(times: np.ndarray, kinds: np.ndarray, window: float) -> float | None:
    """The end of the window of length ``window`` holding the most (weighted) events; None when there are none.

    Ties go to the earliest window."""
    times = np.asarray(times, dtype=float)
    if times.size == 0:
        return None
    order = np.argsort(times, kind="stable")
    t = times[order]
    w = np.cumsum(event_weights(np.asarray(kinds)[order], 1.0))
    first = np.searchsorted(t, t - window, side="right")
    inside = w - np.concatenate([[0.0], w])[first]
    return float(t[int(np.argmax(inside))])


def overview(
    sc: Any,
    ds: Any,
    runs: Sequence[Any],
    path: str | Path,
    colours: dict[str, tuple[int, int, int]],
) -> Path:
    """overview.png: counts per state over time on the scenario clock (median and 5-95% band over replicates),
    with the story's events of replicate 0 above it (interventions, barricades broken, rooms falling, rescues,
    arrivals at the base, bites) and the nights shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clock = clock_of(sc)
    t = np.asarray(ds.time, dtype=float) * 60.0
    end = float(t[-1])
    rows = [r for r in ROWS if (runs[0].events["kind"] == r[1]).any()]
    top_h = 0.4 + 0.2 * len(rows)
    fig, (top, ax) = plt.subplots(
        2, 1, figsize=(12, 4.8 + top_h), sharex=True, gridspec_kw={"height_ratios": [top_h, 4.2], "hspace": 0.06}
    )
    names = {"S": "healthy", "E": "bitten", "Z": "zombie", "H": "humbie", "D": "dead", "X": "escaped", "M": "soldier"}
    for c in ds.data_vars:
        v = np.asarray(ds[c], dtype=float).reshape(-1, t.size)
        if not v.any():
            continue
        colour = np.array(colours[names.get(c, c)]) / 255.0
        ax.step(t, np.median(v, axis=0), where="post", color=colour, lw=1.8, label=names.get(c, c))
        if v.shape[0] > 1:
            ax.fill_between(t, *np.quantile(v, [0.05, 0.95], axis=0), step="post", color=colour, alpha=0.2, lw=0)
    ax.set_yscale("symlog", linthresh=1, linscale=0.4)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("agents" + (f" (median, 5-95% of {len(runs)} runs)" if len(runs) > 1 else ""))
    ax.legend(loc="center left", bbox_to_anchor=(1.005, 0.5), frameon=False)
    ax.grid(alpha=0.3)
    _event_rows(sc, runs[0], top, rows)
    top.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    top.tick_params(axis="y", length=0)
    top.set_title(f"{sc.title}" + ("" if len(runs) == 1 else " (events: replicate 0)"), fontsize=11, loc="left")
    for a in (top, ax):
        for n0, n1 in clock.nights(0.0, end):
            a.axvspan(n0, n1, color="#1c2a4a", alpha=0.12, lw=0)
    forward, inverse = story_axis(runs[0].events["t"], runs[0].events["kind"], end)
    for a in (top, ax):
        a.set_xscale("function", functions=(forward, inverse))
    ticks = _ticks(end, clock.starts_at or 0.0, forward)
    ax.set_xticks(ticks, [clock.label(x).replace(", ", "\n") for x in ticks])
    ax.set_xlim(0, end)
    ax.set_xlabel("scenario clock; the axis is stretched where events are dense (half its width follows them)")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return Path(path)


def _event_rows(sc: Any, run: Any, ax: Any, rows: list) -> None:
    """Draw ``rows`` of replicate 0's story events as marks."""
    ev = run.events
    labels = []
    for i, (label, kind, marker, colour) in enumerate(rows):
        hit = ev["kind"] == kind
        ts = ev["t"][hit]
        ax.scatter(ts, np.full(ts.size, i), marker=marker, color=colour, s=22 if marker == "|" else 30, lw=1)
        labels.append(f"{label} ({int(hit.sum())})")
        if kind == K.INTERVENTION:
            seen: list[float] = []
            for tt, aux in zip(ts.tolist(), ev["aux"][hit].tolist(), strict=True):
                name = sc.interventions[aux].name if 0 <= aux < len(sc.interventions) else "?"
                up = sum(abs(tt - s) < 0.04 * float(run.times[-1]) for s in seen) % 2
                ax.annotate(name, (tt, i), xytext=(6, -7 + 9 * up), textcoords="offset points", fontsize=7)
                seen.append(tt)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)


def story_axis(times: np.ndarray, kinds: np.ndarray, end: float) -> tuple[Any, Any]:
    """A time axis on ``[0, end]`` stretched where events are dense: half of its length is even in time, half
    follows the square root of the density of (weighted, as in :func:`frame_schedule`) events, so that a
    burst of a thousand escapes does not take all of it; (forward, inverse) for matplotlib."""
    grid = np.linspace(0.0, end, 4001)
    keep = (np.asarray(times) >= 0) & (np.asarray(times) <= end)
    kinds = np.asarray(kinds)[keep]
    plain = max(float((~np.isin(kinds, STORY_EVENTS)).sum()) / 200.0, 1.0)
    mass, _ = np.histogram(np.asarray(times)[keep], bins=grid, weights=event_weights(kinds, plain))
    cum = np.concatenate([[0.0], np.cumsum(np.sqrt(mass))])
    u = grid / end if cum[-1] == 0 else 0.5 * grid / end + 0.5 * cum / cum[-1]

    def forward(t: np.ndarray) -> np.ndarray:
        return np.interp(t, grid, u, left=np.nan, right=np.nan) if np.ndim(t) else np.interp(t, grid, u)

    def inverse(v: np.ndarray) -> np.ndarray:
        return np.interp(v, u, grid)

    return forward, inverse


def _ticks(end: float, offset: float, forward: Any) -> list[float]:
    """Round clock times over ``[0, end]`` seconds (the clock reads ``offset`` at 0), coarse ones first, each at
    least 7% of the (stretched) axis from the others; a finer step only where the axis stretches it that far."""
    out: list[float] = [0.0]
    for step in (86400, 43200, 21600, 10800, 3600, 1800, 600, 300, 60):
        for t in np.arange(np.ceil(offset / step) * step - offset, end + 1e-9, step):
            at = float(forward(t))
            wide = max(float(forward(min(t + step, end))) - at, at - float(forward(max(t - step, 0.0)))) >= 0.07
            if wide and all(abs(at - float(forward(o))) >= 0.07 for o in out):
                out.append(float(t))
    return sorted(out)
