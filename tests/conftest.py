"""Shared fixtures: the CLI run as a real subprocess, and a kernel cache private to the test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    if "HYOSAN_CACHE" not in os.environ:
        os.environ["HYOSAN_CACHE"] = str(tmp_path_factory.mktemp("hyosan-cache"))


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``hyosan ARGS`` in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "hyosan.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "120"},
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="module")
def scheduler():
    """The address of a real Dask cluster on loopback (a scheduler and two worker processes), per module."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
