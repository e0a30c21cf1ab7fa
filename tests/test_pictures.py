"""Pictures of an agent run: the clock, the frame schedule, the snapshot's moment, and the written GIF, MP4 and
PNGs of a tiny scenario (decoded, their size and frame count, the same bytes for the same seed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from hyosan.engines.abm import codes as K
from hyosan.viz.story import LADDER, Clock, frame_schedule, most_eventful, speed_label

MAP = """name: yard
scale: 0.5
legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}}
zones: {yard: [1, 1, 24, 8], room: [1, 10, 8, 12]}
---
##########################
#........................#
#........................#
#........................G
#........................#
#........................#
#........................#
#........................#
#........................#
###+######################
#........#
#........#
#........#
##########
"""


def test_the_clock_reads_day_and_time_from_starts_at() -> None:
    c = Clock(starts_at=9 * 3600 + 40 * 60, sunrise=6.5 * 3600, sunset=19 * 3600)
    assert c.label(0) == "day 1, 09:40"
    assert c.label(20 * 60) == "day 1, 10:00"
    assert c.label(14 * 3600 + 20 * 60) == "day 2, 00:00"  # midnight belongs to the next day
    assert c.label(86400 + 3 * 3600) == "day 2, 12:40"
    assert c.label(29.9) == "day 1, 09:40" and c.label(30.1) == "day 1, 09:41"  # to the nearest minute
    assert c.label(20 * 60 + 5.4, seconds=True) == "day 1, 10:00:05"
    assert not c.is_night(0) and c.is_night(9 * 3600 + 20 * 60) and not c.is_night(20 * 3600 + 50 * 60)
    assert c.nights(0, 2 * 86400) == [(33600.0, 75000.0), (120000.0, 161400.0)]  # 19:00 to 06:30
    bare = Clock()
    assert bare.label(3725) == "+01:02:05" and bare.label(86400 + 60) == "+1 d 00:01:00" and not bare.is_night(1e5)


def test_the_speed_badge_says_how_fast_time_runs() -> None:
    assert speed_label(60) == "x60  (1 min a second)"
    assert speed_label(1800) == "x1,800  (30 min a second)"
    assert speed_label(5400) == "x5,400  (1.5 h a second)"
    assert speed_label(5) == "x5  (5 s a second)"


def synthetic_log(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A quiet 8 hours (100 events spread evenly at random) with a burst of 600 events in 10:00-10:05 of t."""
    rng = np.random.default_rng(seed)
    t = np.concatenate([rng.uniform(0, 8 * 3600, 100), rng.uniform(3600, 3900, 600)])
    return t, np.full(t.size, K.BITE)


def test_frames_are_dense_where_events_are_dense() -> None:
    t, kinds = synthetic_log()
    every, step, n = 5.0, 0.5, 300
    f = frame_schedule(t, kinds, 0.0, 8 * 3600, every, n, step)
    gaps = np.diff(f)
    assert f[0] == 0 and f[-1] == 8 * 3600 and len(f) <= n
    assert gaps.min() >= every and np.allclose(f / step, np.round(f / step))
    assert set(np.round(gaps[:-1] / every).astype(int)) <= set(LADDER)  # round speeds (the last gap may be cut)
    burst = (f[:-1] >= 3600) & (f[:-1] < 3900)
    # 600 of 700 events in 300 s of 28,800: the burst gets far more frames per second than the rest
    assert burst.sum() >= 30 and gaps[burst].mean() * 10 < gaps[~burst].mean()


def test_without_events_time_runs_at_one_even_pace() -> None:
    f = frame_schedule(np.array([]), np.array([], dtype=int), 0.0, 3600.0, 5.0, 100, 1.0)
    gaps = np.diff(f)[:-1]
    assert len(f) <= 100 and np.all(gaps == gaps[0]) and 36 < gaps[0] <= 60  # a rung: 12 x 5 s


def test_a_story_event_slows_time_around_it() -> None:
    t = np.array([5000.0])
    f = frame_schedule(t, np.array([K.BREACH]), 0.0, 10_000.0, 5.0, 100, 1.0)
    gaps = np.diff(f)
    near = np.abs(f[:-1] - 5000) < 60
    assert near.any() and gaps[near].max() < np.median(gaps)
    # it slows on the event, not through the quiet before it: a few frames ease into it
    assert ((f > 3000) & (f < 4800)).sum() <= 8
    far = frame_schedule(t * 10, np.array([K.BREACH]), 0.0, 100_000.0, 5.0, 100, 1.0)
    assert ((far > 40_000) & (far < 49_500)).sum() <= 8 and (np.abs(far - 50_000) < 60).sum() >= 8


def test_the_snapshot_is_the_end_of_the_busiest_window() -> None:
    t, kinds = synthetic_log()
    best = most_eventful(t, kinds, 60.0)
    assert 3600 <= best <= 3900
    # brute force over every window ending at an event
    counts = [((t > e - 60) & (t <= e)).sum() for e in t]
    assert ((t > best - 60) & (t <= best)).sum() == max(counts)
    assert most_eventful(np.array([]), np.array([]), 60.0) is None
    assert most_eventful(np.array([10.0, 500.0]), np.array([K.BITE, K.BITE]), 60.0) == 10.0  # ties: the earliest


def tiny(tmp_path: Path) -> Path:
    (tmp_path / "yard.txt").write_text(MAP)
    data = {
        "name": "yard",
        "map": "yard.txt",
        "time": {"step": "1s", "horizon": "4min", "report": "10s", "starts_at": "23:58"},
        "day": {"sunrise": "06:00", "sunset": "20:00"},
        "kinds": {"student": {"speed": "1.4 m/s", "run_speed": "3 m/s", "sight": "10m"}},
        "zombie": {"speed": "1 m/s", "run_speed": "2.5 m/s", "sight": "8m"},
        "population": [{"kind": "student", "count": 60, "zone": "yard"}],
        "patient_zero": {"zone": "room", "count": 2},
        "safe_rooms": ["room"],
        "infection": {"incubation": {"distribution": "exponential", "mean": "20s"}},
        "animation": {"every": "2s", "frames": 40, "fps": 10},
    }
    path = tmp_path / "yard.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    from hyosan.agents.run import execute, run_scenario
    from hyosan.viz.film import Recorder, make_film

    base = tmp_path_factory.mktemp("pictures")
    path = tiny(base)
    run_scenario(str(path), base / "a", seed=4)
    run_scenario(str(path), base / "b", seed=4, animation="gif")
    sc, _, runs = execute(str(path), seed=4, recorder=Recorder)
    return base / "a", base / "b", (sc, runs, make_film(sc, runs[0], 4))


def test_the_gif_and_mp4_decode_to_the_scheduled_frames_at_full_size(written) -> None:
    import imageio.v2 as imageio
    from PIL import Image

    a, _, (sc, _, film) = written
    n = len(film.pictures) - 1  # the last picture is the snapshot
    assert 10 <= n <= 40
    w, h = film.painter.width, film.painter.height
    assert w >= 1000 and w % 16 == 0 and h % 16 == 0
    with Image.open(a / "animation.gif") as gif:
        # Pillow merges a frame identical to the one before into it, lengthening its duration (centiseconds)
        shown = 0
        for i in range(gif.n_frames):
            gif.seek(i)
            shown += gif.info["duration"]
        assert shown == n * round(1000 / sc.animation_fps) and gif.size == (w, h)
    with imageio.get_reader(a / "animation.mp4", format="FFMPEG") as reader:
        mp4 = [frame.shape for frame in reader]
    assert len(mp4) == n and set(mp4) == {(h, w, 3)}
    for name in ("snapshot.png", "overview.png"):
        assert (a / name).stat().st_size > 10_000
    with Image.open(a / "snapshot.png") as png:
        assert png.size == (w, h)


def test_frames_show_the_run_at_their_times(written) -> None:
    """The frame pass records replicate 0 at the scheduled times: the same positions as a run keeping a frame
    at every step, and a clock that reads the frame's time (23:58 + t, past midnight into day 2)."""
    from hyosan.engines.abm.engine import simulate_once

    _, _, (sc, _, film) = written
    every_step = simulate_once(sc.with_values({"animation.every": "1s"}), np.random.SeedSequence(4).spawn(1)[0], True)
    by_t = {round(t): (x, y, s) for t, x, y, s in every_step.frames}
    times = [p.t for p in film.pictures]
    assert times[0] == 0 and times[-2] == sc.horizon
    for p in film.pictures:
        x, y, s = by_t[round(p.t)]
        assert np.array_equal(p.x, x) and np.array_equal(p.y, y)
        assert np.array_equal(np.where(p.state == K.M, K.S, p.state), s)
    assert film.painter.clock.label(film.pictures[0].t) == "day 1, 23:58"
    assert film.painter.clock.label(180) == "day 2, 00:01"
    assert film.painter.clock.is_night(0)


def test_the_snapshot_is_the_busiest_minute_of_the_run(written) -> None:
    _, _, (sc, runs, film) = written
    ev = runs[0].events
    snap = film.pictures[-1]
    assert abs(snap.t - most_eventful(ev["t"], ev["kind"], 60.0)) <= sc.animation_every / 2  # nearest candidate
    assert snap.note.startswith("the busiest minute")


def test_pictures_are_the_same_for_the_same_seed(written) -> None:
    a, b, _ = written
    for name in ("animation.gif", "snapshot.png"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert not (b / "animation.mp4").exists()


def test_the_cli_refuses_an_unknown_animation_in_one_line_and_writes_nothing(tmp_path: Path, cli) -> None:
    out = tmp_path / "out"
    done = cli("run", str(tiny(tmp_path)), "--animation", "avi", "--out", str(out))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "gif, mp4, both or none" in done.stderr
    assert not out.exists()


def test_the_recorder_keeps_candidates_dense_where_events_are_and_within_its_budget() -> None:
    """Two hours of candidates every 5 s (1,440) into a budget of 200, with 50 events a candidate in one
    ten-minute stretch and one event an hour elsewhere."""
    from types import SimpleNamespace

    from hyosan.viz.film import Recorder

    sc = SimpleNamespace(animation_every=5.0, animation_frames=50, n_agents=3, source="x")
    rec = Recorder(sc)
    a = SimpleNamespace(x=np.zeros(3), y=np.zeros(3), state=np.zeros(3, np.int8))
    chunks: list[dict] = []
    for i in range(1441):
        t = 5.0 * i
        busy = 3000 <= t < 3600
        if busy or i % 720 == 0:
            chunks.append({"t": np.full(50 if busy else 1, t), "kind": np.full(50 if busy else 1, K.BITE)})
        rec.add(t, a, np.zeros(2, np.int8), chunks)
    t = np.array(rec.t)
    assert len(t) <= rec.budget == 200 and t[0] == 0 and t[-1] == 7200
    inside = ((t >= 3000) & (t < 3600)).sum()
    # half of the measure is events, all of them in the stretch: it keeps a quarter of the budget or more
    # (thinning halves a stretch at a time); thinning evenly in time would leave it 200 / 12 = 17
    assert inside >= 50 and inside / 600 > 3 * (len(t) - inside) / 6600  # (the newest are not thinned yet)
    assert np.diff(t[(t > 3700) & (t < 6000)]).min() > 5 * 5  # thinned where nothing happens
    assert list(rec.nearest(np.array([0.0, 3301.0, 7200.0]))) == [0, int(np.argmin(abs(t - 3301))), len(t) - 1]


def test_with_replicates_the_overview_is_drawn_and_no_animation_is_written_when_asked(tmp_path: Path) -> None:
    from hyosan.agents.run import run_scenario

    out = tmp_path / "out"
    run_scenario(str(tiny(tmp_path)), out, seed=2, replicates=2, workers=1, animation="none")
    assert (out / "overview.png").stat().st_size > 10_000 and (out / "snapshot.png").exists()
    assert not (out / "animation.gif").exists() and not (out / "animation.mp4").exists()
