"""A model, scenario or country YAML named on the command line is read from disk once per command,
so the kind it is taken for and what is loaded come from one version of the file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from hyosan.cli import main
from hyosan.compartmental import io

MODEL = """name: decay
compartments: {A: left, B: gone}
parameters: {mu: 0.5}
initial: {A: 10, B: 0}
transitions: ["A -> B @ mu*A"]
"""


@pytest.fixture
def reads(monkeypatch) -> dict[str, int]:
    counts: dict[str, int] = {}
    real = io._read_bytes

    def counting(path: Path) -> bytes:
        key = str(Path(path).resolve())
        counts[key] = counts.get(key, 0) + 1
        return real(path)

    monkeypatch.setattr(io, "_read_bytes", counting)
    return counts


def test_a_model_file_is_read_once_by_run(reads, tmp_path: Path) -> None:
    model = tmp_path / "decay.yaml"
    model.write_text(MODEL)
    main(["run", str(model), "--no-plot", "--t-end", "1", "--out", str(tmp_path / "out")])
    assert (tmp_path / "out" / "summary.json").exists()
    assert reads[str(model.resolve())] == 1


def test_scenario_and_country_files_are_read_once_by_show(reads, tmp_path: Path, capsys) -> None:
    country = tmp_path / "korea.yaml"
    country.write_text((resources.files("hyosan.data.countries") / "korea.yaml").read_text())
    main(["show", str(country)])
    assert "Uijeongbu" in capsys.readouterr().out
    assert reads[str(country.resolve())] == 1
    model = tmp_path / "decay.yaml"
    model.write_text(MODEL)
    main(["show", str(model)])
    assert "mu*A" in capsys.readouterr().out
    assert reads[str(model.resolve())] == 1


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MODEL)
    with io.one_read():
        assert io.read_file(path) == MODEL
        path.write_text(MODEL.replace("0.5", "0.25") + "# edited\n")
        assert "0.25" in io.read_file(path)
