"""Agent ensembles: every outcome of a multi-replicate run is summarised over all replicates (not replicate 0),
with the per-replicate values in outcomes.csv; workers default to all cores."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.test_abm import arena, scenario

from hyosan.agents.ensemble import flatten, outcome_table, summarise
from hyosan.agents.run import outcomes, summarize
from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm import step as K
from hyosan.engines.abm.engine import run_scenario


def small(tmp_path: Path) -> Path:
    return scenario(
        tmp_path,
        arena(tmp_path, 30),
        patient_zero={"zone": "all", "count": 3},
        population=[{"kind": "student", "count": 60, "zone": "all"}],
        time={"horizon": "40s", "report": "10s"},
    )


def test_every_outcome_is_summarised_over_all_replicates(tmp_path: Path) -> None:
    sc = load_scenario(small(tmp_path))
    ds, runs = run_scenario(sc, seed=5, replicates=6, workers=1, frames=False)
    summary = summarize(sc, ds, runs)
    bites = np.array([(r.events["kind"] == K.BITE).sum() for r in runs], dtype=float)
    assert np.unique(bites).size > 1
    got = summary["outcomes"]["bitten"]
    assert got["n"] == 6
    assert got["mean"] == pytest.approx(bites.mean())
    assert got["se"] == pytest.approx(bites.std(ddof=1) / np.sqrt(6))
    assert got["median"] == pytest.approx(np.median(bites))
    assert got["q05"] <= got["median"] <= got["q95"]
    destroyed = [((r.events["kind"] == K.KILL) | (r.events["kind"] == K.SHOT)).sum() for r in runs]
    assert summary["outcomes"]["zombies_destroyed"]["mean"] == pytest.approx(np.mean(destroyed))
    escaped = [(r.events["kind"] == K.ESCAPE).sum() for r in runs]
    assert summary["outcomes"]["escaped_by_exit.gate.escaped"]["mean"] == pytest.approx(np.mean(escaped))
    final_x = ds["X"].isel(time=-1).values
    assert summary["final_se"]["X"] == pytest.approx(final_x.std(ddof=1) / np.sqrt(6))
    single = summarize(sc, *run_scenario(sc, seed=5, replicates=1, workers=1, frames=False))
    assert single["outcomes"]["bitten"] == int(bites[0])


def test_the_table_keeps_undefined_values_missing_and_absent_zones_zero() -> None:
    rows = [
        flatten({"a": 1, "b": {"first_min": None}, "humbies_side": {"surviving_by_zone": {"hall": 2}}}),
        flatten({"a": 3, "b": {"first_min": 4.0}, "ok": True, "humbies_side": {}}),
        flatten({"interventions": [{"name": "seal", "time_min": 2.0}]}, ["seal", "open"]),
    ]
    table = outcome_table(rows)
    assert list(table["replicate"]) == [0, 1, 2]
    assert table["humbies_side.surviving_by_zone.hall"].tolist() == [2.0, 0.0, 0.0]
    assert table["interventions.seal.fired"].tolist()[2] == 1.0 and table["interventions.open.fired"][2] == 0.0
    s = summarise(table)
    assert s["a"] == {"n": 2, "mean": 2.0, "se": 1.0, "q05": 1.1, "median": 2.0, "q95": 2.9, "min": 1.0, "max": 3.0}
    assert s["b.first_min"]["n"] == 1 and s["b.first_min"]["se"] is None
    assert s["ok"]["mean"] == 1.0
    assert s["interventions.open.time_min"]["n"] == 0 and s["interventions.open.time_min"]["mean"] is None


def test_workers_default_to_all_cores_and_do_not_change_results(tmp_path: Path) -> None:
    sc = load_scenario(small(tmp_path))
    ds, _ = run_scenario(sc, seed=2, replicates=3, frames=False)
    assert ds.attrs["workers"] == min(os.cpu_count() or 1, 3)
    one, _ = run_scenario(sc, seed=2, replicates=3, workers=1, frames=False)
    for v in ds.data_vars:
        np.testing.assert_array_equal(ds[v].values, one[v].values)


def test_cli_ensemble_writes_summaries_and_the_per_replicate_table(tmp_path: Path, cli) -> None:
    path = small(tmp_path)
    out = tmp_path / "out"
    done = cli("run", str(path), "--replicates", "4", "--workers", "1", "--no-plot", "--out", str(out))
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    table = pd.read_csv(out / "outcomes.csv")
    assert len(table) == 4 and summary["outcomes_per_replicate"] == "outcomes.csv"
    assert summary["outcomes"]["bitten"]["mean"] == pytest.approx(table["bitten"].mean())
    events = pd.read_csv(out / "events.csv")
    per = events[events["kind"] == "bite"].groupby("replicate").size().reindex(range(4), fill_value=0)
    assert table["bitten"].tolist() == per.tolist()
    assert "bitten: " in done.stdout and "±" in done.stdout
    sc = load_scenario(path)
    assert outcomes(sc, run_scenario(sc, seed=0, replicates=1, frames=False)[1][0])["bitten"] == table["bitten"][0]
