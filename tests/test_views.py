"""``hyosan compare-views``: the school's compartment model, contact network and agents side by side."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hyosan.compartmental.io import load
from hyosan.errors import HyosanError
from hyosan.experiments.views import VIEWS, _edge_rates, views
from hyosan.graphs import graph


def test_the_per_edge_rate_is_the_well_mixed_rate_over_the_weighted_degree() -> None:
    """On a complete unweighted graph every node has n - 1 neighbours: the per-edge rate of
    beta*S*Z/max(N, 1) must be beta / (n - 1), the network engine's rule; weights count."""
    model = load("hyosan")
    rates = _edge_rates(model, graph("complete:n=50"))
    values = model.parameter_values
    assert rates["bite"] == pytest.approx(values["beta"] / 49)
    assert rates["zombie destroyed by humans"] == pytest.approx(values["alpha"] / 49)
    assert set(rates) == {"bite", "humbie bite", "zombie destroyed by humans"}
    school = graph("school:hyosan-high")
    strength = school.weights.sum() / school.n
    assert _edge_rates(model, school)["bite"] == pytest.approx(values["beta"] / strength)


def test_the_model_views_start_from_the_school_and_share_one_clock() -> None:
    found = views("hyosan-high", replicates=4, agent_replicates=0, t_end="6h", seed=1, workers=1,
                  values={"beta": 200.0})  # fmt: skip
    assert [r["view"] for r in found["rows"]] == list(VIEWS[:3])
    for th, data in found["curves"].values():
        assert th[0] == 0 and th[-1] == pytest.approx(6.0)
        assert (data["S"][:, 0] == 1110).all() and (data["Z"][:, 0] == 1).all()
        np.testing.assert_allclose(data["S"] + data["E"] + data["Z"] + data["H"] + data["R"] + data["Q"], 1111)
    ode = found["rows"][0]
    assert ode["replicates"] == 1 and ode["ever infected sd"] == 0.0
    net = found["rows"][2]
    assert net["replicates"] == 4 and net["ever infected mean"] > 10  # beta 200/day spreads within 6 h
    assert found["model_parameters"]["beta"] == 200.0


def test_cli_writes_the_table_and_the_figure_and_refuses_a_model(cli, tmp_path) -> None:
    out = tmp_path / "v"
    done = cli("compare-views", "hyosan-high", "--replicates", "3", "--agent-replicates", "0", "--t-end", "2h",
               "--workers", "1", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "views.csv")
    assert list(table.view) == list(VIEWS[:3]) and np.isfinite(table["peak hour mean"]).all()
    assert (out / "views.png").stat().st_size > 10_000
    assert json.loads((out / "summary.json").read_text())["people"] == 1111
    bad = cli("compare-views", "sir", "--out", str(tmp_path / "no"))
    assert bad.returncode == 2 and "give a school scenario" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "no").exists()


def test_bad_options_are_refused() -> None:
    with pytest.raises(HyosanError, match="--replicates 1"):
        views("hyosan-high", replicates=1, agent_replicates=0)
    with pytest.raises(HyosanError, match="--t-end"):
        views("hyosan-high", agent_replicates=0, t_end="-2h")
