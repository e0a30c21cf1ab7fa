"""One safe YAML reader for models, scenarios and map headers: hostile files are refused in one line.

Alias bombs, recursive aliases, deep nesting, duplicate keys, text that is not UTF-8 and oversized
files each get a ``HyosanError`` naming the file (and line or byte) and the fix, quickly and without
a traceback; a library name is never shadowed by a file or folder of the same name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import hyosan
from hyosan.compartmental import io as load_mod
from hyosan.compartmental.io import read_file, read_yaml
from hyosan.errors import HyosanError, ModelError

GOOD = """\
name: tiny
compartments: [S, I, R]
parameters:
  beta: 0.3
  gamma: 0.1
initial: {S: 99, I: 1}
infected: [I]
transitions:
  - S + I -> I + I @ beta*S*I/N
  - I -> R @ gamma*I
"""

BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def one_line_error(fn, *args) -> str:
    with pytest.raises(HyosanError) as info:
        fn(*args)
    message = str(info.value)
    assert "\n" not in message and len(message) < 500, message
    return message


@pytest.mark.parametrize(
    "text, fragment, line",
    [
        (BOMB, "alias", ":2"),
        ("a: &a [*a]\n", "alias", ":1"),
        ("x: 1\nmerge: {<<: *x}\n", "alias", ":2"),
        ("[" * 5000 + "]" * 5000, "nested deeper than", ":1"),
        ("a:\n" + "".join(" " * k + "- \n" for k in range(1, 200)), "nested deeper than", None),
        ("gamma: 0.1\nbeta: 2\ngamma: 5\n", "'gamma' appears twice (lines 1 and 3)", ":3"),
        ("a: {x: 1, x: 2}\n", "'x' appears twice", ":1"),
        ("gamma: 1" + "0" * 5000 + "\n", "number", ":1"),
        ("a: [1, 2\n", "malformed YAML", ":2"),
        ("a: \x00\n", "malformed YAML", ":1"),
    ],
)
def test_hostile_yaml_is_refused_with_the_line(text: str, fragment: str, line: str | None) -> None:
    message = one_line_error(read_yaml, text, "m.yaml")
    assert fragment in message
    assert message.startswith("m.yaml" + (line or ""))


def test_yaml_text_over_the_size_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load_mod, "MAX_YAML_CHARS", 1000)
    assert "larger than" in one_line_error(read_yaml, "a: 1\n" * 300, "m.yaml")


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("# café\n".encode("latin-1") + GOOD.encode(), "not UTF-8 (byte 0xe9 at offset 5, line 1)"),
        (GOOD.encode("utf-16"), "not UTF-8 (byte 0xff at offset 0, line 1)"),
        (GOOD.encode() + b"\x00\x01\x02\xfe\xff" * 10, "not UTF-8"),
        (GOOD.encode() + b"x: \x00\x01\n", "malformed YAML"),
        (bytes(range(256)) * 4, "not UTF-8"),
    ],
)
def test_files_that_are_not_utf8_text_are_refused(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "model.yaml"
    path.write_bytes(content)
    message = one_line_error(hyosan.load, path)
    assert message.startswith(str(path))
    assert fragment in message


def test_utf8_with_bom_and_accents_is_read(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_bytes(b"\xef\xbb\xbf# caf\xc3\xa9\n" + GOOD.encode())
    assert hyosan.load(path).compartments == ("S", "I", "R")


def test_oversized_file_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load_mod, "MAX_FILE_BYTES", 100)
    path = tmp_path / "model.yaml"
    path.write_text(GOOD)
    assert "larger than" in one_line_error(read_file, path)


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (("gamma: 0.1", "gamma: 0.1\n  gamma: 5"), "'gamma' appears twice"),
        (("[S, I, R]", "[S, I, R, S]"), "'S' is listed twice"),
        (("[S, I, R]", "{S: a, I: b, R: c, S: d}"), "'S' appears twice"),
        (("[S, I, R]", "[S, I, R, 3]"), "'3' is not a usable name"),
        (("[S, I, R]", "[S, I, R, yes]"), "is not a usable name"),
        (("[S, I, R]", "[S, I, R, [A]]"), "is not a usable name"),
        (("  beta: 0.3", "  1: 0.3\n  beta: 0.3"), "'1' is reserved or not a name"),
        (("I -> R @", "1001 I -> R @"), "coefficient 1001"),
        (("I -> R @", "9" * 2000 + " I -> R @"), "coefficient"),
        (("I -> R @", "I -> 99999999999999999999999999 R @"), "coefficient"),
        (("I -> R @", "0 I -> R @"), "coefficient 0 of I"),
        (("I -> R @", "600 I + 600 I -> R @"), "I appears 1200 times"),
        (("  - I -> R @ gamma*I", "  - {reaction: I -> R, rate: gamma*I, name: [a, b]}"), "are text"),
        (("name: tiny", "name: {a: 1}"), "'name' is text"),
        (("  gamma: 0.1", "  gamma: 1" + "0" * 400), "finite number"),
        (("initial: {S: 99, I: 1}", "initial: {S: 1" + "0" * 400 + ", I: 1}"), "finite number"),
        (("[S, I, R]", "[S, I, R, " + "A" * 65 + "]"), "is not a usable name"),
        (("infected: [I]", "infected: [I]\ndefaults: {t_end: 10, every: 0}"), "every must be a positive"),
        (("beta*S*I/N", "beta*S*I/N*\u00e9"), "character '\\xe9' at position 12"),
    ],
)
def test_duplicate_and_odd_names_are_refused(tmp_path: Path, edit: tuple, fragment: str) -> None:
    old, new = edit
    assert old in GOOD
    path = tmp_path / "model.yaml"
    path.write_text(GOOD.replace(old, new, 1))
    message = one_line_error(hyosan.load, path)
    assert fragment in message
    assert message.startswith(str(path))


def test_a_coefficient_up_to_the_cap_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(GOOD.replace("I -> R @", "I -> 1000 R @"))
    assert hyosan.load(path).stoichiometry.tolist()[1] == [0, -1, 1000]


def test_alias_bomb_in_a_scenario_and_a_map_header_is_refused(tmp_path: Path) -> None:
    from hyosan.agents.floorplan import parse_map
    from hyosan.agents.scenario import load_scenario

    scenario = tmp_path / "bomb.yaml"
    scenario.write_text(BOMB + "map: school\n")
    assert "alias" in one_line_error(load_scenario, scenario)
    assert "alias" in one_line_error(parse_map, BOMB + "scale: 1\n---\n#.#\n", "bomb.txt")


def test_library_names_win_over_files_and_folders_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sir").mkdir()
    (tmp_path / "sir" / "timeseries.csv").write_text("t\n0\n")
    (tmp_path / "seir").write_text("not a model")
    assert hyosan.load("sir").name == "sir"
    assert hyosan.load("seir").name == "seir"
    (tmp_path / "mine").write_text(GOOD)
    assert "./mine" in one_line_error(hyosan.load, "mine")
    assert hyosan.load("./mine").compartments == ("S", "I", "R")
    (tmp_path / "mine.yaml").write_text(GOOD)
    assert hyosan.load("mine.yaml").name == "tiny"
    assert "not a file" in one_line_error(hyosan.load, "./sir")


def test_library_model_errors_are_model_errors() -> None:
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        hyosan.load("nope")


def test_cli_refuses_an_alias_bomb_in_one_line_and_writes_nothing(cli, tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(BOMB)
    res = cli("run", "bomb.yaml", "--out", "out", cwd=tmp_path, timeout=60)
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "alias" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert not (tmp_path / "out").exists()


def test_scenario_override_values_go_through_the_safe_reader() -> None:
    from hyosan.agents.scenario import load_scenario

    message = one_line_error(load_scenario, "hyosan-high", {"infection.bite_probability": "[0.3"})
    assert message.startswith("infection.bite_probability") and "malformed YAML" in message
    message = one_line_error(load_scenario, "hyosan-high", {"infection.bite_probability": "&a [*a]"})
    assert "alias" in message


def test_a_scenario_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    from hyosan.agents.scenario import load_scenario

    path = tmp_path / "s.yaml"
    path.write_bytes(b"map: school\n# \xe9\n")
    assert "not UTF-8 (byte 0xe9 at offset 14, line 2)" in one_line_error(load_scenario, path)


def test_run_sir_with_out_sir_works_again_and_again(cli, tmp_path: Path) -> None:
    for _ in range(2):
        res = cli("run", "sir", "--out", "sir", "--no-plot", cwd=tmp_path, timeout=120)
        assert res.returncode == 0, res.stderr
        assert (tmp_path / "sir" / "final.csv").is_file()


def test_a_map_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    from hyosan.agents.floorplan import load_map

    path = tmp_path / "m.txt"
    path.write_bytes(b"scale: 1\n# \xe9\n---\n#.#\n")
    assert "not UTF-8 (byte 0xe9 at offset 11, line 2)" in one_line_error(load_map, path)


def test_a_rate_undefined_when_its_reactant_is_empty_is_refused(tmp_path: Path) -> None:
    # S/S is 1 for S > 0 but nan at S = 0: a stochastic run would reach that state and stop mid-way
    path = tmp_path / "model.yaml"
    path.write_text(GOOD.replace("beta*S*I/N", "beta*I*(S/S)"))
    assert "is nan (undefined) when S = 0" in one_line_error(hyosan.load, path)
