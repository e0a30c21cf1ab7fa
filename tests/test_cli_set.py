"""``--set a=1,b=2`` is two settings on every command; a malformed piece is refused in one line naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hyosan.cli import main
from viewhelp import cli_error


def test_comma_separated_settings_are_each_applied(tmp_path: Path) -> None:
    out = tmp_path / "sir"
    main(["run", "sir", "--set", "beta=0.5,gamma=0.25", "--set", "I=3", "--no-plot", "--t-end", "1", "--out", str(out)])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["parameters"]["beta"] == 0.5 and summary["parameters"]["gamma"] == 0.25
    assert summary["initial"]["I"] == 3


DATA = "time,I\n1,3\n2,5\n"


@pytest.mark.parametrize(
    "argv, flag, piece",
    [
        (["run", "sir", "--set", "beta=0.5,gamma"], "--set", "gamma"),
        (["run", "sir", "--set", "beta=0.5,,gamma=0.2"], "--set", ""),
        (["run", "sir", "--set", "beta=0.5,=3"], "--set", "=3"),
        (["compare", "sir", "--set", "gamma=0.2", "--vs", "beta=0.4,gamma"], "--vs", "gamma"),
        (["compare", "sir", "--set", "beta=0.5,gamma", "--vs", "beta=0.4"], "--set", "gamma"),
        (
            [
                "sweep",
                "sir",
                "--vary",
                "beta=0.1:0.5:3",
                "--engine",
                "ssa",
                "--outcome",
                "I > 0",
                "--set",
                "gamma=0.2,g",
            ],
            "--set",
            "g",
        ),
        (["fit", "sir", "--data", "DATA", "--fit", "beta", "--set", "gamma=0.2,g"], "--set", "g"),
    ],
)
def test_a_malformed_piece_is_named(argv: list[str], flag: str, piece: str, tmp_path: Path, capsys) -> None:
    (tmp_path / "d.csv").write_text(DATA)
    argv = [str(tmp_path / "d.csv") if a == "DATA" else a for a in argv]
    out = tmp_path / "out"
    message = cli_error(*argv, *(["--out", str(out)] if argv[0] != "compare" else []), capsys=capsys)
    assert message.startswith(flag) and "NAME=VALUE" in message and f"'{piece}'" in message, message
    assert not out.exists()


def test_one_name_given_two_values_is_refused(capsys, tmp_path: Path) -> None:
    message = cli_error("run", "sir", "--set", "beta=0.5,beta=0.6", "--out", str(tmp_path / "o"), capsys=capsys)
    assert message.startswith("--set") and "beta" in message and "0.5" in message and "0.6" in message


def test_commas_inside_brackets_and_quotes_stay_in_the_value() -> None:
    from hyosan.cli import _values

    assert _values(["a=[1, 2],b={x: 1, y: 2}", "c='p, q',d=(1,2)"]) == {
        "a": "[1, 2]", "b": "{x: 1, y: 2}", "c": "'p, q'", "d": "(1,2)"
    }  # fmt: skip
