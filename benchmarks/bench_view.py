"""The browser viewer's speed, measured in Chromium (headless, software drawing, as the tests run it).

Three figures: the time to open the hyosan-high result (from navigation to the page's first drawn frame,
the server reading result.nc, frames.npz and events.csv included; then again after a reload, the result
held by the server), the frames per second playing it (speed "max": one film frame per
requestAnimationFrame, counted over a few seconds), and the same with 10^5 synthetic agents on a 400 x 200
cell floor. The table is printed and written into benchmarks/README.md (its own section).

    python benchmarks/bench_view.py [--result out/hyosan-high] [--agents 100000] [--seconds 4]

Without --result, hyosan-high is run first (``hyosan run hyosan-high --animation none``; minutes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from readme_section import write_section

HEAD = "## `python benchmarks/bench_view.py"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def synthetic(folder: Path, n: int, frames: int = 60, seed: int = 1) -> Path:
    """A result folder of ``n`` agents random-walking on a 400 x 200 open floor for ``frames`` frames."""
    from hyosan.results import make_dataset
    from hyosan.simulate import save
    from hyosan.view.frames import write_frames

    rng = np.random.default_rng(seed)
    w, h = 400, 200
    x = np.empty((frames, n), np.float32)
    y = np.empty((frames, n), np.float32)
    x[0], y[0] = rng.uniform(1, w - 1, n), rng.uniform(1, h - 1, n)
    for f in range(1, frames):
        x[f] = np.clip(x[f - 1] + rng.normal(0, 0.7, n), 1, w - 1)
        y[f] = np.clip(y[f - 1] + rng.normal(0, 0.7, n), 1, h - 1)
    state = np.zeros((frames, n), np.uint8)
    turn = rng.uniform(0, frames, n)
    for f in range(frames):
        state[f] = np.where(turn < f, 2, np.where(turn < f + 5, 1, 0))
    cells = np.full((h, w, 3), 236, np.uint8)
    cells[[0, -1], :] = 52
    cells[:, [0, -1]] = 52
    from hyosan.viz.animate import MAP_COLOURS, STATE_COLOURS, STATE_ORDER

    meta = {
        "title": f"{n:,} synthetic agents", "name": "synthetic", "target": "synthetic", "seed": seed,
        "scale_m": 0.5, "starts_at": 9 * 3600.0, "sunrise": None, "sunset": None, "states": list(STATE_ORDER),
        "colours": {k: list(v) for k, v in STATE_COLOURS.items()},
        "door_colours": [list(MAP_COLOURS[k]) for k in ("open door", "shut door", "barricaded door")],
        "kinds": ["walker"], "groups": ["floor"], "exits": [], "zones": {},
    }  # fmt: skip
    out = folder / f"synthetic-{n}"
    counts = np.stack([(state == c).sum(axis=1) for c in range(6)], axis=-1).astype(float)
    ds = make_dataset(np.arange(frames) / 60.0, counts, ["S", "E", "Z", "H", "D", "X"],
                      {"engine": "abm", "seed": seed, "model": "synthetic"}, time_units="minutes")  # fmt: skip
    save(ds, out=out, plot=False)
    write_frames(out / "frames.npz", {
        "t": np.arange(frames, dtype=np.float64), "x": x, "y": y, "state": state,
        "doors": np.zeros((frames, 0), np.uint8), "cells": cells, "door_cells": np.zeros((0, 3), np.int32),
        "kind": np.zeros(n, np.int16), "group": np.zeros(n, np.int16), "meta": np.array(json.dumps(meta)),
    })  # fmt: skip
    return out


def measure(browser, folder: Path, seconds: float) -> dict[str, float]:
    """Open ``folder`` in a fresh server (cold), reload (warm), then play at max speed for ``seconds``."""
    from hyosan.view.server import Session, make_server, url_of

    session = Session([folder])
    server = make_server(session)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        t0 = time.perf_counter()
        page.goto(url_of(server, session))
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        page.reload()
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        warm = time.perf_counter() - t0
        page.select_option("#speed", "max")
        count = page.evaluate(
            """(ms) => new Promise((done) => {
                const v = window.hyosanView; v.index = 0;
                document.getElementById('play').click();
                const f0 = v.frames, t0 = performance.now();
                let raf = 0;
                const loop = (ts) => {
                  if (v.index >= v.timeline.length - 2) { v.index = 0; v.playing = true; }
                  raf++;
                  if (performance.now() - t0 < ms) requestAnimationFrame(loop);
                  else done([v.frames - f0, raf, performance.now() - t0]);
                };
                requestAnimationFrame(loop);
            })""",
            seconds * 1000,
        )
        drawn, rafs, ms = count
        page.close()
        return {"open_s": cold, "reopen_s": warm, "fps": drawn / (ms / 1000), "raf_hz": rafs / (ms / 1000)}
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--result", type=Path, help="a hyosan-high result folder (default: run it first)")
    ap.add_argument("--agents", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--no-readme", action="store_true", help="print only; leave benchmarks/README.md alone")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        result = a.result
        if result is None:
            result = Path(tmp) / "hyosan-high"
            cmd = [sys.executable, "-m", "hyosan.cli", "run", "hyosan-high", "--animation", "none"]
            cmd += ["--out", str(result)]
            subprocess.run(cmd, check=True, capture_output=True)
        frames = np.load(result / "frames.npz")
        hh = (int(frames["x"].shape[1]), int(frames["t"].size))
        synth = synthetic(Path(tmp), a.agents)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            rows = [
                (f"hyosan-high ({hh[0]:,} agents, {hh[1]} frames)", measure(browser, result, a.seconds)),
                (f"synthetic ({a.agents:,} agents, 60 frames, 400 x 200 cells)", measure(browser, synth, a.seconds)),
            ]
            version = browser.version
            browser.close()
    lines = [
        "| result | open (s) | reopen (s) | frames per second playing | requestAnimationFrame rate (Hz) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        lines.append(f"| {name} | {r['open_s']:.2f} | {r['reopen_s']:.2f} | {r['fps']:.1f} | {r['raf_hz']:.1f} |")
    text = (
        f"{HEAD} [--result out/hyosan-high] [--agents 100000] [--seconds 4]`\n\n"
        f"The viewer in headless Chromium {version} (software drawing, `--disable-gpu`), on this machine while "
        "other work ran. *open*: navigation to the first drawn frame, the server reading the result folder; "
        "*reopen*: a reload, the result held by the server; *frames per second*: film frames drawn per second "
        f'at speed "max" (one per animation frame), over {a.seconds:g} s; the browser\'s animation-frame rate '
        "caps it. Targets (issue 14): open under 2 s, 30 fps for hyosan-high, 20 fps for 10^5 agents.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    print(text)
    if not a.no_readme:
        write_section(HEAD, text)


if __name__ == "__main__":
    main()
