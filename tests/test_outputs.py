"""Output folders: checked before simulating, replaced whole, one writer at a time, disk errors on one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import hyosan.simulate
from hyosan import cli as hcli
from hyosan.errors import HyosanError
from hyosan.outputs import claim
from hyosan.results import write_outputs


def _one_line_error(res: subprocess.CompletedProcess, fragment: str) -> None:
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], res.stderr
    assert "Traceback" not in res.stderr


def test_rerun_leaves_no_file_of_the_earlier_run(cli, tmp_path: Path) -> None:
    out = tmp_path / "sir"
    assert cli("run", "sir", "--out", str(out)).returncode == 0
    (out / "notes-from-earlier.txt").write_text("stale")
    assert cli("run", "sir", "--out", str(out), "--no-plot").returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["final.csv", "result.nc", "summary.json", "timeseries.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["sir"]


def test_leftovers_of_a_killed_run_are_cleaned_by_the_next(cli, tmp_path: Path) -> None:
    for leftover in (".sir.hyosan-tmp-4194000", ".sir.hyosan-old-4194000"):
        (tmp_path / leftover).mkdir()
        (tmp_path / leftover / "timeseries.csv").write_text("half")
    (tmp_path / ".sir.hyosan-lock").write_text("4194000")
    (tmp_path / ".other.hyosan-tmp-4194000").mkdir()
    assert cli("run", "sir", "--out", str(tmp_path / "sir"), "--no-plot").returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.hyosan-tmp-4194000", "sir"]


def test_a_folder_that_is_not_an_output_is_never_replaced(cli, tmp_path: Path) -> None:
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("precious")
    res = cli("run", "sir", "--out", str(mine))
    _one_line_error(res, "--out")
    assert [p.name for p in mine.iterdir()] == ["chapter1.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]


def test_out_that_is_a_file_is_refused(cli, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    _one_line_error(cli("run", "sir", "--out", str(tmp_path / "f")), "not a folder")
    assert (tmp_path / "f").read_text() == "x"


def test_unwritable_out_is_refused_before_any_simulation(tmp_path: Path, monkeypatch, capsys) -> None:
    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr(hyosan.simulate, "simulate", no_simulation)
    (tmp_path / "file").write_text("x")
    with pytest.raises(SystemExit) as exit_:
        hcli.main(["run", "sir", "--out", str(tmp_path / "file" / "sub" / "out")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--out" in err[0] and "Not a directory" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_second_run_into_a_busy_out_fails_and_the_first_result_survives(cli, tmp_path: Path) -> None:
    out = tmp_path / "sir"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom hyosan.outputs import claim\n"
            "with claim(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)\n",
            str(out),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        res = cli("run", "sir", "--out", str(out), "--no-plot")
        _one_line_error(res, f"pid {holder.pid}")
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
    assert cli("run", "sir", "--out", str(out), "--no-plot").returncode == 0


def test_claim_is_reentrant_in_one_process_and_released_after(tmp_path: Path) -> None:
    out = tmp_path / "o"
    with claim(out):
        write_outputs(out, {"summary.json": lambda p: p.write_text("{}")})
        assert (out / "summary.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]
    with pytest.raises(HyosanError, match="boom"), claim(tmp_path / "x" / "y"):
        raise HyosanError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_a_failing_writer_leaves_the_earlier_output_intact(tmp_path: Path) -> None:
    out = tmp_path / "o"
    write_outputs(out, {"summary.json": lambda p: p.write_text('{"run": 1}')})

    def broken(path: Path) -> None:
        path.write_text("half")
        raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError):
        write_outputs(out, {"summary.json": lambda p: p.write_text('{"run": 2}'), "plot.png": broken})
    assert json.loads((out / "summary.json").read_text()) == {"run": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def _in_own_mount(tmp_path: Path, options: str, *cli_args: str) -> subprocess.CompletedProcess:
    """Run the CLI inside a private mount namespace with a small tmpfs at tmp_path/mnt; list it after."""
    if not shutil.which("unshare") or subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode:
        pytest.skip("needs unshare with user and mount namespaces")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = (
        f'mount -t tmpfs -o {options} tmpfs "$1" || exit 99; shift; '
        '"$@"; rc=$?; echo "LEFT:$(ls -A "$MNT" | tr "\\n" " ")"; exit $rc'
    )
    env = {**os.environ, "MNT": str(mnt), "COLUMNS": "120"}
    res = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(mnt), sys.executable, "-m", "hyosan.cli", *cli_args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if res.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    return res


def test_read_only_disk_is_one_line(tmp_path: Path) -> None:
    res = _in_own_mount(tmp_path, "size=1m,ro", "run", "sir", "--out", str(tmp_path / "mnt" / "sir"))
    _one_line_error(res, "Read-only file system")
    assert res.stdout.rstrip().endswith("LEFT:"), res.stdout


def test_full_disk_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    args = ["run", "sir", "--every", "0.01", "--no-plot", "--out", str(tmp_path / "mnt" / "sir")]
    res = _in_own_mount(tmp_path, "size=16k", *args)
    _one_line_error(res, "No space left on device")
    assert res.stdout.rstrip().endswith("LEFT:"), res.stdout


def test_a_symlinked_out_stays_a_link_to_the_new_output(tmp_path: Path) -> None:
    real, link = tmp_path / "real", tmp_path / "link"
    write_outputs(real, {"summary.json": lambda p: p.write_text('{"run": 1}'), "old.csv": lambda p: p.write_text("")})
    link.symlink_to(real)
    write_outputs(link, {"summary.json": lambda p: p.write_text('{"run": 2}')})
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert sorted(p.name for p in real.iterdir()) == ["summary.json"]
    assert json.loads((link / "summary.json").read_text()) == {"run": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]
