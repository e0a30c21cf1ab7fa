"""Scenario files: units, validation with one-line errors, and the CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hyosan.agents.run import is_scenario
from hyosan.agents.scenario import duration, length, load_scenario, probability, speed
from hyosan.errors import ScenarioError

MAP = """name: hall
scale: 0.5
legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}}
zones: {hall: [1, 1, 20, 6], room: [1, 8, 8, 10]}
---
######################
#....................#
#....................#
#....................G
#....................#
#....................#
#....................#
###+##################
#........#
#........#
#........#
##########
"""


def write(tmp_path: Path, **changes) -> Path:
    (tmp_path / "hall.txt").write_text(MAP)
    data = {
        "name": "hall",
        "map": "hall.txt",
        "time": {"step": "1s", "horizon": "3min", "report": "10s"},
        "kinds": {"student": {"speed": "1.4 m/s", "run_speed": "3 m/s", "sight": "10m"}},
        "zombie": {"speed": "1 m/s", "run_speed": "2.5 m/s", "sight": "8m"},
        "population": [{"kind": "student", "count": 40, "zone": "hall"}],
        "patient_zero": {"zone": "room"},
        "safe_rooms": ["room"],
        "hide_fraction": 0.2,
        "barricade_fraction": 1.0,
        "noise": [{"what": "phone", "zone": "room", "start": "30s", "length": "20s", "radius": "20m"}],
        "infection": {"incubation": {"distribution": "exponential", "mean": "20s"}, "humbie_fraction": 0.1},
        "animation": {"every": "5s", "scale": 2},
    }
    for key, value in changes.items():
        data[key] = value
    path = tmp_path / "hall.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_units() -> None:
    assert duration("90s", "x") == 90 and duration("2h", "x") == 7200 and duration("3d", "x") == 3 * 86400
    assert duration("2min", "x") == 120 and duration("0.5s", "x") == 0.5
    assert length("60cm", "x") == pytest.approx(0.6)
    assert speed("5 km/h", "x") == pytest.approx(5000 / 3600) and speed("1.4 m/s", "x") == 1.4
    assert probability(0.5, "x") == 0.5
    assert probability("0.3 per 10s", "x") == pytest.approx(1 - 0.7**0.1)
    for bad, fn in ((90, duration), ("2 parsecs", duration), ("3 m/fortnight", speed), (1.5, probability)):
        with pytest.raises(ScenarioError, match="here"):
            fn(bad, "here")


def test_a_scenario_loads_with_its_parts(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path))
    assert sc.n_agents == 41 and sc.step == 1.0 and sc.horizon == 180.0
    assert sc.incubation == (1, 20.0, 0.0)
    assert sc.noises[0].radius == 20.0 and sc.noises[0].cells.sum() == 24
    assert is_scenario(str(tmp_path / "hall.yaml")) and is_scenario("hyosan-high")
    assert not is_scenario("munz-szr") and not is_scenario("sir")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"patient_zero": {"at": [0.25, 0.25]}}, "(patient_zero.at): [0.25, 0.25] (row 0, column 0) is inside a wall"),
        ({"behaviour": {"zombies": "dance"}}, "unknown behaviour 'dance'; choose hunt, wander, still"),
        (
            {"population": [{"kind": "student", "zone": "hall", "state": "sleepy"}]},
            "unknown or unplaceable state 'sleepy'",
        ),
        ({"population": [{"kind": "janitor", "zone": "hall"}]}, "unknown kind 'janitor'"),
        ({"safe_rooms": ["vault"]}, "unknown zone 'vault' in map hall"),
        ({"time": {"step": "1 fortnight", "horizon": "1h"}}, "is not a duration"),
        ({"colour": "red"}, "unknown field 'colour'"),
    ],
)
def test_bad_scenarios_get_one_line_errors(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, **change))
    assert "hall.yaml" in str(err.value) and message in str(err.value) and "\n" not in str(err.value)


def test_cli_runs_a_scenario_and_writes_every_output(tmp_path: Path, cli) -> None:
    path = write(tmp_path)
    out = tmp_path / "out"
    done = cli("run", str(path), "--out", str(out), "--seed", "3")
    assert done.returncode == 0, done.stderr
    for name in ("timeseries.csv", "final.csv", "summary.json", "plot.png", "events.csv", "escapes.csv",
                 "animation.gif", "snapshot.png"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["engine"] == "abm" and summary["seed"] == 3 and summary["agents"] == 41
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts.columns) == ["time", "S", "E", "Z", "H", "D", "X"]
    assert (ts[["S", "E", "Z", "H", "D", "X"]].sum(axis=1) == 41).all()
    assert ts.time.iloc[-1] == pytest.approx(180 / 60)  # minutes, the scenario's natural unit
    escapes = pd.read_csv(out / "escapes.csv")
    assert set(escapes.exit) <= {"gate"} and len(escapes) == summary["final"]["X"]
    assert summary["outcomes"]["escaped_by_exit"]["gate"]["escaped"] == len(escapes)
    events = pd.read_csv(out / "events.csv")
    assert set(events.kind) <= {"bite", "turn", "humbie", "kill", "escape", "hide", "barricade"}
    again = cli("run", str(path), "--out", str(tmp_path / "again"), "--seed", "3")
    assert again.returncode == 0
    assert (tmp_path / "again" / "events.csv").read_text() == (out / "events.csv").read_text()


def test_cli_bad_scenario_exits_2_and_writes_nothing(tmp_path: Path, cli) -> None:
    path = write(tmp_path, behaviour={"humans": "panic"})
    done = cli("run", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "hall.yaml" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
    path = write(tmp_path)
    (tmp_path / "hall.txt").write_text(MAP.replace(".G\n", ".#\n"))
    done = cli("run", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "no exit" in done.stderr and not (tmp_path / "out").exists()


def test_hyosan_high_runs_from_the_cli(tmp_path: Path, cli) -> None:
    done = cli("run", "hyosan-high", "--t-end", "0.005", "--out", str(tmp_path / "hh"))
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "hh" / "summary.json").read_text())
    assert summary["agents"] >= 1000 and sum(summary["final"].values()) == summary["agents"]
