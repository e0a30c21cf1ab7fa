"""Signals: SIGTERM is handled like Ctrl-C, and pool workers never outlive a parent killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

LONG_RUN = [
    "run",
    "sir",
    "--engine",
    "ssa",
    "--replicates",
    "400000",
    "--set",
    "S=200000",
    "--every",
    "80",
    "--workers",
    "2",
    "--no-plot",
]


def _children(pid: int) -> list[int]:
    """Live (non-zombie) processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _start(out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hyosan.cli", *LONG_RUN, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for_workers(proc: subprocess.Popen, count: int = 2) -> list[int]:
    for _ in range(1200):
        workers = _children(proc.pid)
        if len(workers) >= count:
            return workers
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the ensemble never started its worker processes")


def _gone_soon(pids: list[int]) -> bool:
    for _ in range(100):
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def test_sigterm_is_handled_like_ctrl_c(tmp_path: Path) -> None:
    out = tmp_path / "long"
    proc = _start(out)
    try:
        workers = _wait_for_workers(proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == ["hyosan: terminated; nothing was written"]
    assert _gone_soon(workers)
    assert list(tmp_path.iterdir()) == []


def test_workers_die_with_a_parent_killed_by_sigkill(tmp_path: Path) -> None:
    proc = _start(tmp_path / "long")
    try:
        workers = _wait_for_workers(proc)
        proc.kill()
        proc.wait(timeout=30)
        assert _gone_soon(workers), "pool workers outlived their parent"
    finally:
        for pid in _children(proc.pid):
            os.kill(pid, signal.SIGKILL)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
