"""The film of a run: frames at the times the story needs, recorded by running replicate 0 a second time.

The first pass (the ordinary run) gives the event log; :func:`hyosan.viz.story.frame_schedule` turns it
into frame times (dense where things happen) and :func:`hyosan.viz.story.most_eventful` picks the
snapshot's moment (the end of the busiest minute). The engine gives the same run for the same seed
however it is chunked, so a second pass of replicate 0 with ``frame_times`` records exactly those
moments; its event log is checked against the first pass. Memory stays bounded: at most
``animation.frames`` frames of positions are kept, and frames are drawn one at a time when written.
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
from hyosan.viz.story import clock_of, frame_schedule, most_eventful, overview, speeds

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
    return writers


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


def animation_settings(sc: Any) -> tuple[float, int, float]:
    """(shortest gap between frames in s, most frames, frames per second) of scenario ``sc``."""
    every = float(sc.animation_every)
    frames = int(getattr(sc, "animation_frames", DEFAULT_FRAMES))
    fps = float(getattr(sc, "animation_fps", DEFAULT_FPS))
    return every, frames, fps


def make_film(sc: Any, run: Any, seed: int) -> Film:
    """Choose frame times from ``run``'s events (replicate 0 of ``seed``), run it again recording them, and
    prepare their pictures."""
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
    again = simulate_once(sc, np.random.SeedSequence(seed).spawn(1)[0], frame_times=[*times.tolist(), snap])
    if not all(np.array_equal(again.events[k], ev[k]) for k in ev):
        raise EngineError(f"{sc.name}: the frame pass of replicate 0 differs from the run; please report this")
    breach_t, breach_door = ev["t"][ev["kind"] == K.BREACH], ev["aux"][ev["kind"] == K.BREACH]
    speed = speeds(times, fps)
    by_time = {
        round(t / sc.step): (t, x, y, s, d) for (t, x, y, s), d in zip(again.frames, again.frame_doors, strict=True)
    }
    pictures = []
    for i, t in enumerate([*times.tolist(), snap]):
        t0, x, y, s, doors = by_time[round(t / sc.step)]
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
