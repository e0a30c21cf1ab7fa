"""Hostile scenario and map fields: every wrong type, non-finite number or oversized request is refused with
one line naming the field, before anything large is allocated; nothing else ever escapes."""

from __future__ import annotations

import copy
import math
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.test_scenario import write

from hyosan.agents.floorplan import load_map, parse_map
from hyosan.agents.scenario import load_scenario, parse_scenario
from hyosan.engines.abm.engine import run_scenario
from hyosan.errors import HyosanError, ScenarioError

MAP = """name: post
scale: 0.5
legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}}
zones: {yard: [1, 1, 14, 4], hut: [1, 6, 6, 8], den: [9, 6, 14, 8]}
---
################
#..............#
#..............#
#..............G
#..............#
###+######+#####
#......#.......#
#......#.......#
#......#.......#
################
"""

FULL: dict[str, Any] = {
    "name": "post",
    "map": "post.txt",
    "time": {"step": "1s", "horizon": "2min", "report": "10s", "alarm": "5s"},
    "kinds": {
        "student": {"speed": "1.4 m/s", "run_speed": "3 m/s", "sight": "10m"},
        "guard": {"speed": "1 m/s", "sight": "10m", "role": "soldier", "range": "8m", "hit_probability": 0.5},
    },
    "zombie": {"speed": "1 m/s", "run_speed": "2 m/s", "sight": "8m"},
    "humbie": {"speed": "1 m/s", "run_speed": "2 m/s", "sight": "8m"},
    "population": [
        {"kind": "student", "count": 10, "zone": "yard"},
        {"kind": "guard", "count": 1, "zone": "yard", "patrol": ["hut", [3.0, 1.0]]},
    ],
    "patient_zero": {"zone": "den", "count": 1},
    "behaviour": {"humans": "escape", "zombies": "hunt", "humbies": "hide"},
    "hideouts": ["den"],
    "infection": {
        "contact_radius": "0.6m",
        "bite_probability": "0.3 per 10s",
        "humbie_fraction": 0.5,
        "incubation": {"distribution": "lognormal", "median": "20s", "sigma": 0.5},
    },
    "safe_rooms": ["hut"],
    "hide_fraction": 0.3,
    "barricade_fraction": 0.5,
    "light": {"default": 1.0, "zones": {"den": 0.5}},
    "noise": [{"what": "bell", "zone": "yard", "start": "10s", "length": "20s", "radius": "10m"}],
    "doors": {"shut": ["den"]},
    "animation": {"every": "5s", "until": "1min", "scale": 2},
    "interventions": [
        {"name": "lock", "at": "30s", "seal": {"zones": ["hut"]}},
        {"name": "alarm", "when": {"count": {"state": "zombie", "above": 3}}, "noise": {"zone": "yard"}},
        {"name": "run", "when": {"enters": {"zone": "yard", "state": "zombie"}}, "evacuate": {"to": "gate"}},
    ],
}
HOSTILE = [True, "abc", [], {"a": 1}, [1, 2], -1, 0, math.inf, math.nan, 1e308, None, 10**30, "1e400s"]


def leaves(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += leaves(v, (*path, i))
    return out


def test_the_full_scenario_loads(tmp_path: Path) -> None:
    (tmp_path / "post.txt").write_text(MAP)
    sc = parse_scenario(copy.deepcopy(FULL), "post.yaml", {}, tmp_path)
    assert sc.n_agents == 12 and len(sc.interventions) == 3 and sc.incubation == (2, 20.0, 0.5)


def test_every_field_given_any_wrong_value_is_refused_in_one_line_or_accepted(tmp_path: Path) -> None:
    """Each field of a scenario using every section, replaced by each hostile value: the scenario loads or a
    HyosanError of one line is raised, never another exception (a traceback at the command line)."""
    (tmp_path / "post.txt").write_text(MAP)
    refused = 0
    for path in leaves(FULL):
        for value in HOSTILE:
            data = copy.deepcopy(FULL)
            node = data
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
            try:
                parse_scenario(data, "post.yaml", {}, tmp_path)
            except HyosanError as exc:
                assert "\n" not in str(exc), str(exc)
                refused += 1
    assert refused > 0.8 * len(leaves(FULL)) * len(HOSTILE)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"population": [{"kind": "student", "count": True, "zone": "hall"}]}, r"\(population.0.count\): True"),
        ({"population": [{"kind": "student", "per_zone": 2.5, "zone": "hall"}]}, r"per_zone.*whole number"),
        ({"patient_zero": {"zone": "room", "count": False}}, r"patient_zero.count.*whole number"),
        ({"infection": {"incubation": {"distribution": "lognormal", "median": "1min", "sigma": "abc"}}}, "sigma"),
        ({"infection": {"incubation": {"distribution": "gamma", "mean": "1min", "shape": 0}}}, "gamma shape"),
        ({"infection": {"incubation": {"distribution": "fixed", "delay": "1s", "sigma": 1}}}, "unknown field 'sigma'"),
        ({"time": {"step": "1s", "horizon": "1e400s"}}, r"time.horizon.*too large"),
        ({"time": {"step": "1s", "horizon": "3min", "report": "2.5s"}}, r"time.report.*whole number of steps"),
        ({"time": {"step": "0.5s", "horizon": "1.2s"}}, r"time.horizon.*whole number of steps.*'1s'"),
        ({"hide_fraction": 1.0e400}, "hide_fraction"),
        ({"animation": {"every": "1ms"}}, r"animation.every.*whole number of steps"),
        ({"animation": {"scale": math.inf}}, r"animation.scale"),
        ({"animation": {"scale": "abc"}}, r"animation.scale"),
        ({"animation": {"fsp": 3}}, r"unknown field 'fsp' \(did you mean 'fps'\?\)"),
        ({"safe_rooms": True}, r"safe_rooms.*zone name"),
        ({"name": ["a", "b"]}, r"\(name\): name must be text"),
        ({"title": {"a": 1}}, r"\(title\): title must be text"),
        ({"interventions": [{"name": ["x"], "at": "1min", "noise": {"zone": "room"}}]}, r"interventions.0.name"),
        ({"safe_rooms": "room"}, None),
        ({"doors": {"shut": "room"}}, None),
        ({"doors": {"shut": [1]}}, r"doors.shut.*zone name"),
        ({"light": {"zones": ["room"]}}, r"light.zones.*maps a zone"),
        ({"noise": [1, 2]}, r"noise.0.*each noise"),
        ({"noise": {"zone": "room"}}, r"noise.*a list"),
        ({"kinds": {f"k{i}": {"speed": "1 m/s", "sight": "1m"} for i in range(200)}}, "200 kinds; at most 127"),
        ({"zombie": {"speed": "1 m/s", "run_speed": "1e300 m/s", "sight": "1m"}}, r"zombie.run_speed.*whole map"),
    ],
)
def test_hostile_fields_get_one_line_errors(tmp_path: Path, change: dict, message: str | None) -> None:
    path = write(tmp_path, **change)
    if message is None:
        load_scenario(path)
        return
    with pytest.raises(ScenarioError, match=message) as info:
        load_scenario(path)
    assert "\n" not in str(info.value) and str(info.value).startswith(str(path))


@pytest.mark.parametrize(
    "header, message",
    [
        ("scale: .inf", "scale must be a positive number"),
        ("scale: 1.0e400", "scale must be a positive number"),
        ("scale: 0.5\nzones: [[1, 1, 2, 2]]", "zones maps a name"),
        ("scale: 0.5\nzones: {a: [true, 1, 2, 2]}", r"zone 'a' must be \[col0"),
        ("scale: 0.5\nfloor: 3", "unknown field 'floor'"),
        ("scale: 0.5\nname: {a: 1}", "name must be text"),
        ('scale: 0.5\nlegend: {"#": wall, "G": {exit: [a, b]}}', "exit name must be text"),
    ],
)
def test_hostile_map_headers(header: str, message: str) -> None:
    legend = "" if "legend" in header else '\nlegend: {"#": wall, ".": floor, "G": {exit: g}}'
    text = f"{header}{legend}\n---\n####\n#..G\n####\n"
    with pytest.raises(ScenarioError, match=message) as info:
        parse_map(text, "m.txt")
    assert "\n" not in str(info.value) and str(info.value).startswith("m.txt")


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width`` x ``height`` RGB pixels, with one tiny image chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")))
    return path


def test_a_huge_png_is_refused_from_its_header(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"20,000 x 20,000 cells, more than 25,000,000") as info:
        load_map(png_header_only(tmp_path / "big.png", 20_000, 20_000))
    assert "\n" not in str(info.value)
    (tmp_path / "fake.png").write_bytes(b"GIF89a" + b"\0" * 40)
    with pytest.raises(ScenarioError, match="not a PNG file"):
        load_map(tmp_path / "fake.png")
    with pytest.raises(ScenarioError, match="not a readable PNG"):
        load_map(png_header_only(tmp_path / "small.png", 4, 4))


def test_a_huge_text_map_is_refused_before_it_is_allocated() -> None:
    text = 'scale: 0.5\nlegend: {"#": wall, "G": {exit: g}}\n---\n' + "#" * 6000 + "\n" + "G\n" * 4999
    with pytest.raises(ScenarioError, match="6,000 x 5,000 cells"):
        parse_map(text, "wide.txt")


@pytest.mark.parametrize(
    "change, replicates, message",
    [
        ({"population": [{"kind": "student", "count": 1_000_000_000, "zone": "hall"}]}, 1, "place fewer agents"),
        ({"time": {"step": "1s", "horizon": "100d", "report": "1s"}}, 10_000, "report less often"),
        ({"time": {"step": "1s", "horizon": "1000000000d", "report": "1000000000d"}}, 1, "more than a day's work"),
    ],
)
def test_runs_too_big_for_the_machine_are_refused_before_they_start(
    tmp_path: Path, change: dict, replicates: int, message: str
) -> None:
    sc = load_scenario(write(tmp_path, **change))
    with pytest.raises(HyosanError, match=message) as info:
        run_scenario(sc, replicates=replicates, workers=1, frames=True)
    assert "\n" not in str(info.value)


def test_cli_refuses_t_end_1e9_in_one_line_and_writes_nothing(tmp_path: Path, cli) -> None:
    out = tmp_path / "out"
    done = cli("run", "hyosan-high", "--t-end", "1e9", "--out", str(out))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "needs about" in done.stderr or "day's work" in done.stderr
    assert not out.exists()
    done = cli("run", "hyosan-high", "--every", "0.0000001", "--out", str(out))
    assert done.returncode == 2 and "(time" in done.stderr and done.stderr.count("\n") == 1
    assert not out.exists()


def test_every_map_header_field_given_any_wrong_value_is_refused_in_one_line_or_accepted() -> None:
    head, grid = MAP.split("---\n")
    header = yaml.safe_load(head)
    paths = [("scale",), ("name",), ("legend",), ("zones",)]
    paths += [("legend", k) for k in header["legend"]] + [("zones", k) for k in header["zones"]]
    refused = 0
    for path in paths:
        for value in [*HOSTILE, [True, 1, 2, 3], [0, 0, 10**9, 1], "x"]:
            h = copy.deepcopy(header)
            node = h
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
            try:
                parse_map(yaml.safe_dump(h) + "---\n" + grid, "m.txt")
            except HyosanError as exc:
                assert "\n" not in str(exc) and str(exc).startswith("m.txt"), str(exc)
                refused += 1
    assert refused > 0.6 * len(paths) * (len(HOSTILE) + 3)
