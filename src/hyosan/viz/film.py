"""The film of a run: frames at the times the story needs, recorded while replicate 0 runs.

A :class:`Recorder` rides along with replicate 0 (``hyosan.engines.abm.engine.simulate_once(...,
recorder=...)``): it takes a candidate frame every ``animation.every`` seconds and, whenever it holds more
than its budget, thins them where little happens, so memory stays bounded however long the run. After
the run :func:`hyosan.viz.story.frame_schedule` turns the event log into frame times (dense where things
happen) and each takes the nearest candidate; :func:`hyosan.viz.story.most_eventful` picks the snapshot's
moment (the end of the busiest minute). Without a recorder (a run made elsewhere), replicate 0 is run a
second time with ``frame_times`` (the engine gives the same run for the same seed however it is chunked;
the event logs are checked to agree). Frames are drawn one at a time when written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.budget import require_memory
from hyosan.engines.abm import codes as K
from hyosan.errors import EngineError, HyosanError
from hyosan.viz.animate import STATE_COLOURS, Painter, Picture, write_gif, write_mp4, write_png
from hyosan.viz.story import clock_of, event_weights, frame_schedule, most_eventful, overview, speeds

#: The snapshot shows the end of the minute with the most events.
SNAPSHOT_WINDOW = 60.0
DEFAULT_FRAMES, DEFAULT_FPS = 300, 10.0
ANIMATIONS = {"gif": ("gif",), "mp4": ("mp4",), "both": ("gif", "mp4"), "none": ()}


def pictures(sc: Any, ds: Any, runs: list, seed: int, animation: str = "both") -> dict[str, Callable[[Path], Any]]:
    """Writers (file name -> function of the path) of overview.png, snapshot.png and the animation as
    ``animation`` says (gif, mp4, both or none); the frame pass runs once, when the first needs it."""
    if animation not in ANIMATIONS:
        raise HyosanError(f"--animation {animation}: write gif, mp4, both or none")
    film = functools.cache(lambda: make_film(sc, runs[0], seed))
    writers: dict[str, Callable[[Path], Any]] = {
        "overview.png": lambda p: overview(sc, ds, runs, p, STATE_COLOURS),
        "snapshot.png": lambda p: film().snapshot(p),
    }
    for kind in ANIMATIONS[animation]:
        writers[f"animation.{kind}"] = lambda p, kind=kind: getattr(film(), kind)(p)
    writers["frames.npz"] = lambda p: _frames(p, sc, runs[0], film(), seed)
    return writers


def _frames(path: Path, sc: Any, run: Any, film: Film, seed: int) -> Path:
    """frames.npz, the film's frames as arrays for the browser viewer (:mod:`hyosan.view.frames`)."""
    from hyosan.view.frames import frame_arrays, write_frames

    return write_frames(path, frame_arrays(sc, run, film, seed))


@dataclass
class Film:
    """Frames of replicate 0 (``pictures``; the last one is the snapshot) and the painter that draws them."""

    painter: Painter
    pictures: list[Picture]
    fps: float

    def frames(self) -> Iterator[np.ndarray]:
        """The animation's RGB frames, drawn one at a time."""
        for p in self.pictures[:-1]:
            yield self.painter.frame(p)

    def gif(self, path: Path) -> Path:
        """The animation as a looping GIF."""
        return write_gif(path, self.frames(), self.fps)

    def mp4(self, path: Path) -> Path:
        """The animation as an H.264 MP4."""
        return write_mp4(path, self.frames(), self.fps)

    def snapshot(self, path: Path) -> Path:
        """The most eventful moment as a PNG."""
        return write_png(path, self.painter.frame(self.pictures[-1]))


class Recorder:
    """Candidate frames of one run, taken every ``animation.every`` seconds while it runs and thinned whenever
    more than ``budget`` are held: the quarter of the inner candidates whose removal merges the quietest
    neighbouring gaps goes (no two neighbours at once), a gap measured as its duration over the mean gap
    plus its events over the mean events a gap (a story event counts as ``4 * STORY_WEIGHT``), so the
    candidates stay dense where events are and sparse where nothing happens."""

    def __init__(self, sc: Any) -> None:
        every, frames, _ = animation_settings(sc)
        n = max(sc.n_agents, 1)
        self.every = every
        self.budget = max(2 * frames, min(4 * frames, int(2e8 // (17 * n))))
        require_memory(
            self.budget * (17 * n + 64),
            f"{sc.source}: {self.budget} candidate frames of {n:,} agents for the animation",
            "set a smaller animation.frames, or run with --no-plot",
        )
        self.t: list[float] = []
        self.weight: list[float] = []
        self.shots: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._seen, self._total = 0, 0.0

    def add(self, t: float, a: Any, doors: np.ndarray, chunks: list[dict[str, np.ndarray]]) -> None:
        """Take a candidate at ``t`` seconds (``chunks``: the run's event chunks so far, only ever appended to)."""
        for c in chunks[self._seen :]:
            self._total += float(event_weights(c["kind"], 4.0).sum())
        self._seen = len(chunks)
        self.t.append(float(t))
        self.weight.append(self._total)
        self.shots.append((a.x.copy(), a.y.copy(), a.state.copy(), np.asarray(doors).copy()))
        if len(self.t) > self.budget:
            self._thin()

    def _thin(self) -> None:
        t, e = np.array(self.t), np.array(self.weight)
        span_t = max((t[-1] - t[0]) / self.budget, 1e-9)
        span_e = max((e[-1] - e[0]) / self.budget, 1e-9)
        merged = (t[2:] - t[:-2]) / span_t + (e[2:] - e[:-2]) / span_e
        drop: set[int] = set()
        for i in np.argsort(merged, kind="stable") + 1:
            if len(drop) >= len(t) // 4:
                break
            if i - 1 not in drop and i + 1 not in drop:
                drop.add(int(i))
        keep = [i for i in range(len(t)) if i not in drop]
        self.t = [self.t[i] for i in keep]
        self.weight = [self.weight[i] for i in keep]
        self.shots = [self.shots[i] for i in keep]

    def nearest(self, times: np.ndarray) -> np.ndarray:
        """Index of the candidate nearest each of ``times``."""
        t = np.array(self.t)
        i = np.clip(np.searchsorted(t, times), 1, max(t.size - 1, 1))
        left = np.maximum(i - 1, 0)
        return np.where(np.abs(times - t[left]) <= np.abs(t[np.minimum(i, t.size - 1)] - times), left, i)


def animation_settings(sc: Any) -> tuple[float, int, float]:
    """(shortest gap between frames in s, most frames, frames per second) of scenario ``sc``."""
    every = float(sc.animation_every)
    frames = int(getattr(sc, "animation_frames", DEFAULT_FRAMES))
    fps = float(getattr(sc, "animation_fps", DEFAULT_FPS))
    return every, frames, fps


def make_film(sc: Any, run: Any, seed: int) -> Film:
    """Choose frame times from ``run``'s events (replicate 0 of ``seed``) and prepare their pictures: the
    nearest candidates of its :class:`Recorder`, or, without one, a second pass recording those times."""
    from hyosan.engines.abm.engine import World, simulate_once

    every, n_frames, fps = animation_settings(sc)
    until = min(float(sc.animation_until), float(sc.horizon))
    ev = run.events
    times = frame_schedule(ev["t"], ev["kind"], 0.0, until, every, n_frames, sc.step)
    busiest = most_eventful(ev["t"], ev["kind"], SNAPSHOT_WINDOW)
    snap = float(run.times[-1]) if busiest is None else min(float(sc.horizon), np.ceil(busiest / sc.step) * sc.step)
    n = sc.n_agents
    rooms = World(sc).room >= 0
    soldier = np.array([k.soldier for k in sc.kinds])[run.agents.kind]
    painter = Painter(
        sc.world, rooms, sc.light, sc.title, clock_of(sc), sc.animation_scale, bool(soldier.any()),
        "escaped/base" if getattr(getattr(sc, "siege", None), "base", None) else "escaped",
    )  # fmt: skip
    require_memory(
        (times.size + 1) * (n * 17 + painter.width * painter.height) + 8 * painter.width * painter.height,
        f"{sc.source}: the animation's {times.size} frames of {n:,} agents at {painter.width} x {painter.height}",
        "set a smaller animation.frames or animation.scale, or run with --no-plot",
    )
    rec = run.recorder
    if rec is not None and rec.t:
        pick = rec.nearest(np.array([*times.tolist(), snap]))
        keep = np.concatenate([[True], np.diff(pick[:-1]) != 0, [True]])
        pick = pick[keep]
        shots = [(rec.t[i], *rec.shots[i]) for i in pick]
        times, snap = np.array([rec.t[i] for i in pick[:-1]]), rec.t[pick[-1]]
    else:
        again = simulate_once(sc, np.random.SeedSequence(seed).spawn(1)[0], frame_times=[*times.tolist(), snap])
        if not all(np.array_equal(again.events[k], ev[k]) for k in ev):
            raise EngineError(f"{sc.name}: the frame pass of replicate 0 differs from the run; please report this")
        by_time = {round(f[0] / sc.step): (*f, d) for f, d in zip(again.frames, again.frame_doors, strict=True)}
        shots = [by_time[round(t / sc.step)] for t in [*times.tolist(), snap]]
    breach_t, breach_door = ev["t"][ev["kind"] == K.BREACH], ev["aux"][ev["kind"] == K.BREACH]
    speed = speeds(times, fps)
    pictures = []
    for i, (t0, x, y, s, doors) in enumerate(shots):
        broken = np.zeros(doors.size, dtype=bool)
        broken[breach_door[breach_t <= t0]] = True
        state = np.where(soldier & (s == K.S), K.M, s)
        counts = np.bincount(state, minlength=7)
        names = ("healthy", "bitten", "zombie", "humbie", "dead", "escaped", "soldier")
        note = None
        if i == len(times):
            inside = int(((ev["t"] > t0 - SNAPSHOT_WINDOW) & (ev["t"] <= t0) & (ev["kind"] != K.REACHED_BASE)).sum())
            note = f"the busiest minute: {inside} events" if busiest is not None else "the end"
        pictures.append(
            Picture(t0, x, y, state, doors, broken & (doors == K.OPEN),
                    None if note else float(speed[min(i, speed.size - 1)]),
                    dict(zip(names, map(int, counts), strict=True)), note)
        )  # fmt: skip
    return Film(painter, pictures, fps)
