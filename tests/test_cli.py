"""The command line as a user meets it: real subprocesses, real files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest


def test_run_writes_the_four_outputs(cli, tmp_path: Path) -> None:
    out = tmp_path / "munz"
    res = cli("run", "munz-szr", "--out", str(out), "--set", "beta=0.0095")
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "final.csv",
        "plot.png",
        "result.nc",
        "summary.json",
        "timeseries.csv",
    ]
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts.columns) == ["time", "S", "Z", "R"]
    assert ts.time.iloc[-1] == 5.0
    final = pd.read_csv(out / "final.csv")
    assert list(final.columns) == ["replicate", "time", "S", "Z", "R"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["engine"] == "ode" and summary["parameters"]["beta"] == 0.0095
    assert summary["elapsed_s"] > 0
    assert (out / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_models_and_show(cli) -> None:
    res = cli("models")
    assert res.returncode == 0
    for name in [
        "sir",
        "seir",
        "sis",
        "munz-szr",
        "munz-sizr",
        "munz-sizrq",
        "munz-cure",
        "munz-impulsive",
        "alemi-szr",
        "hyosan",
    ]:
        assert name in res.stdout.split()
    res = cli("show", "munz-szr")
    assert res.returncode == 0
    assert "dS/dt = (Pi) - (delta*S) - (beta*S*Z)" in res.stdout
    assert "Munz" in res.stdout


BAD_MODEL = "compartments: [S, I]\ntransitions:\n  - S + I -> I + I @ beta*S*I\n"


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["run", "no-such-model"], "unknown model"),
        (["run", "missing.yaml"], "no such file"),
        (["run", "sir", "--set", "betta=1"], "neither a parameter"),
        (["run", "sir", "--set", "beta=abc"], "expected a number"),
        (["run", "sir", "--set", "beta"], "NAME=VALUE"),
        (["run", "sir", "--set", "beta=-0.3"], "non-negative"),
        (["run", "sir", "--t-end", "-1"], "positive"),
        (["run", "sir", "--engine", "warp"], "unknown engine"),
        (["run", "sir", "--seed", "-3"], "seed"),
        (["run", "sir", "--replicates", "0"], "replicates"),
        (["run", "BAD"], "unknown name 'beta'"),
        (["run", "sir", "--t-end", "abc"], "--t-end"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(cli, tmp_path: Path, args: list, fragment: str) -> None:
    (tmp_path / "bad.yaml").write_text(BAD_MODEL)
    args = [str(tmp_path / "bad.yaml") if a == "BAD" else a for a in args]
    out = tmp_path / "out"
    res = cli(*args, "--out", str(out), cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert fragment in lines[0]
    assert "Traceback" not in res.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "bad.yaml"]


def test_existing_output_folder_is_replaced_whole(cli, tmp_path: Path) -> None:
    out = tmp_path / "sir"
    assert cli("run", "sir", "--out", str(out), "--no-plot").returncode == 0
    assert cli("run", "sir", "--out", str(out), "--no-plot", "--set", "beta=0.5").returncode == 0
    assert json.loads((out / "summary.json").read_text())["parameters"]["beta"] == 0.5
    assert [p.name for p in tmp_path.iterdir()] == ["sir"]
