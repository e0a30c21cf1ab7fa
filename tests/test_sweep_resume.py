"""Sweeps resume: a sweep killed with SIGKILL picks up where it stopped and recomputes no finished point."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hyosan
from hyosan.errors import HyosanError
from hyosan.experiments.sweep import Journal, sweep

POINTS = 8
ARGS = [
    "sweep",
    "sir",
    "--vary",
    f"beta=0.15:0.5:{POINTS}",
    "--outcome",
    "R > 300",
    "--replicates",
    "1000",
    "--set",
    "S=2000",
    "--seed",
    "4",
    "--workers",
    "1",
]


def _lines(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


def test_killed_sweep_resumes_without_recomputing_a_point(cli, tmp_path: Path) -> None:
    out = tmp_path / "swept"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hyosan.cli", *ARGS, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    journals: list[Path] = []
    try:
        for _ in range(3000):
            journals = list(tmp_path.glob(".swept.hyosan-sweep-*.jsonl"))
            if journals and _lines(journals[0]) >= 2:
                break
            assert proc.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not out.exists()
    finished = _lines(journals[0])
    assert 2 <= finished < POINTS

    res = cli(*ARGS, "--out", str(out))
    assert res.returncode == 0, res.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["points_resumed"] == finished
    assert summary["points_computed"] == POINTS - finished
    assert sorted(p.name for p in tmp_path.iterdir()) == ["swept"]

    fresh = tmp_path / "fresh"
    res = cli(*ARGS, "--out", str(fresh))
    assert res.returncode == 0, res.stderr
    assert json.loads((fresh / "summary.json").read_text())["points_computed"] == POINTS
    assert (out / "sweep.csv").read_text() == (fresh / "sweep.csv").read_text()


def test_journal_points_are_taken_not_recomputed_and_a_torn_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    model = hyosan.load("sir")
    kw = {"engine": "ssa", "replicates": 50, "seed": 1, "workers": 1}
    rows = sweep(model, "beta", [0.2, 0.3], ["R > 100"], journal=Journal(path), **kw)
    assert _lines(path) == 2
    marked = dict(rows[0], replicates=-1)
    path.write_text(json.dumps({"index": 0, "row": marked}) + "\n" + '{"index": 1, "ro')
    journal = Journal(path)
    assert set(journal.done) == {0}
    again = sweep(model, "beta", [0.2, 0.3], ["R > 100"], journal=journal, **kw)
    assert again[0] == marked and again[1] == rows[1]
    assert journal.computed == 1


def test_a_full_disk_while_journalling_is_one_line(tmp_path: Path, monkeypatch) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(HyosanError, match=r"sweep journal .*No space left on device.*--out$"):
        Journal(tmp_path / "j.jsonl").record(0, {"beta": 0.1})
