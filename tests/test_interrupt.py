"""Ctrl-C during a long ensemble: one line, exit code 130, no output folder, no worker left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def test_interrupted_ensemble_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "long"
    args = [
        "run",
        "alemi-szr",
        "--engine",
        "ssa",
        "--replicates",
        "2000000",
        "--t-end",
        "100000",
        "--every",
        "50000",
        "--workers",
        "2",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hyosan.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(6)
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "hyosan: interrupted; nothing was written"
    assert "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    leftover = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert leftover == []
