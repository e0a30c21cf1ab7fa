"""One face: load/run/save/analyze on models and scenarios alike, the CLI's models/show/analyze,
--version and "did you mean"; Python errors name keywords, never command-line flags."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import sympy

import hyosan
from hyosan.agents.scenario import Scenario
from hyosan.analysis import Analysis
from hyosan.errors import EngineError, HyosanError, ModelError, ParameterError, ScenarioError


def test_load_returns_a_model_or_a_scenario() -> None:
    assert isinstance(hyosan.load("sir"), hyosan.Model)
    sc = hyosan.load("hyosan-high")
    assert isinstance(sc, Scenario) and sc.name == "hyosan-high" and sc.n_agents > 1000
    assert hyosan.Scenario is Scenario and hyosan.Analysis is Analysis
    assert set(hyosan.models()) >= {"sir", "hyosan"} and set(hyosan.scenarios()) >= {"hyosan-high", "off-limits"}
    assert not set(hyosan.models()) & set(hyosan.scenarios())


def test_a_scenario_file_is_a_scenario_and_a_bare_name_is_never_a_file(tmp_path: Path, monkeypatch) -> None:
    shipped = resources.files("hyosan.data.scenarios") / "off-limits.yaml"
    (tmp_path / "mine.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copy(tmp_path / "mine.yaml", tmp_path / "sir")
    monkeypatch.chdir(tmp_path)
    assert isinstance(hyosan.load("mine.yaml"), Scenario)
    assert isinstance(hyosan.load("sir"), hyosan.Model)  # the library's, not the file called sir
    with pytest.raises(ModelError, match=r"unknown model 'mine'"):
        hyosan.load("mine")  # a name, not the file mine.yaml


def test_run_a_scenario_by_name_returns_the_result_schema() -> None:
    ds = hyosan.run("hyosan-high", t_end="2min", workers=1)
    assert ds.sizes["replicate"] == 1 and ds.attrs["engine"] == "abm"
    assert list(ds.data_vars)[:6] == ["S", "E", "Z", "H", "D", "X"]
    assert float(ds.time[-1]) == pytest.approx(2.0)  # minutes, the scenario's natural unit
    total = sum(ds[c] for c in ("S", "E", "Z", "H", "D", "X"))
    np.testing.assert_array_equal(total.values, 1111)  # every agent is in exactly one state at every report


def test_scenario_run_is_reproducible_and_takes_days_or_units() -> None:
    sc = hyosan.load("hyosan-high")
    a = sc.run(t_end="90s", seed=3, workers=1)
    b = sc.run(t_end=90 / 86400, seed=3, workers=1)  # a bare number is days, as --t-end
    assert float(a.time[-1]) == pytest.approx(1.5) and a.equals(b)


def test_scenario_with_values_changes_a_field_and_keeps_earlier_ones() -> None:
    sc = hyosan.load("hyosan-high").with_values({"infection.bite_probability": 0})
    assert sc.bite_probability == 0
    again = sc.with_values({"hiding.fraction": 0.5})
    assert again.bite_probability == 0 and again.hide_fraction == 0.5


def test_save_writes_a_scenario_result(tmp_path: Path) -> None:
    sc = hyosan.load("off-limits")
    ds = sc.run(t_end="1min", workers=1)
    hyosan.save(ds, sc, tmp_path / "out")
    final = (tmp_path / "out" / "final.csv").read_text().splitlines()
    assert final[0].startswith("replicate,time,S") and len(final) == 2
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["engine"] == "abm"


def test_python_errors_name_keywords_not_flags() -> None:
    sc = hyosan.load("hyosan-high")
    for call, kind in [
        (lambda: sc.run(engine="ode"), EngineError),
        (lambda: sc.run(t_end=-1), HyosanError),
        (lambda: sc.run(seed=-2), HyosanError),
        (lambda: sc.with_values({"infection.bite_prob": 1}), ScenarioError),
        (lambda: hyosan.load("sir").with_values(betta=1), ParameterError),
        (lambda: hyosan.load("sir").run(engine="sssa"), EngineError),
    ]:
        with pytest.raises(kind) as info:
            call()
        message = str(info.value)
        assert "--" not in message and "\n" not in message, message


@pytest.mark.parametrize(
    ("call", "suggestion"),
    [
        (lambda: hyosan.load("hyosan-hihg"), "hyosan-high"),
        (lambda: hyosan.load("munz-srz"), "munz-szr"),
        (lambda: hyosan.load("sir").with_values(betta=1), "beta"),
        (lambda: hyosan.load("sir").run(engine="sssa"), "ssa"),
        (lambda: hyosan.load("hyosan-high").with_values({"infection.bite_prob": 1}), "bite_probability"),
        (
            lambda: (
                hyosan.Model.build("x").compartments("Sus", "I").transition("Sus -> I", "Sus").initial(Suss=1).model()
            ),
            "Sus",
        ),
    ],
)
def test_did_you_mean(call, suggestion: str | None) -> None:
    with pytest.raises(HyosanError) as info:
        call()
    if suggestion:
        assert f"did you mean '{suggestion}'" in str(info.value)


def test_analysis_is_typed_and_says_where_r0_is_taken() -> None:
    report = hyosan.analyze("sir")
    assert isinstance(report, Analysis) and isinstance(report.R0_expression, sympy.Expr)
    plain = {s: sympy.Symbol(str(s)) for s in report.R0_expression.free_symbols}  # drop assumptions
    assert sympy.simplify(report.R0_expression.subs(plain) - sympy.Symbol("beta") / sympy.Symbol("gamma")) == 0
    assert report.R0 == pytest.approx(0.3 / 0.1, rel=1e-12) and report.R0_at == "disease-free equilibrium"
    assert report["R0"] == report.R0 and json.loads(json.dumps(report.to_dict()))["R0_at"] == report.R0_at
    assert all(isinstance(e.eigenvalues[0], complex) for e in report.equilibria)
    drained = hyosan.analyze("munz-szr")  # births 0: the disease-free state is empty
    assert drained.R0_at == "initial pool" and drained.R0 == drained.R0_initial and drained.R0_dfe is None
    assert "R0 (at the initial pool)" in str(drained)


def test_analyze_a_scenario_through_its_declared_model() -> None:
    # Equilibria notes depend on whether sympy beat its wall-clock budget, so compare what does not.
    school, model = hyosan.analyze("hyosan-high").to_dict(), hyosan.analyze("hyosan").to_dict()
    for key in ("model", "R0", "R0_expression", "equations", "parameters", "conservation_laws"):
        assert school[key] == model[key], key
    with pytest.raises(ScenarioError, match="off-limits' declares no compartment model") as info:
        hyosan.analyze("off-limits")
    assert "\n" not in str(info.value)


def test_cli_models_lists_two_sections(cli) -> None:
    out = cli("models").stdout
    models, scenarios = out.split("Scenarios")
    assert "Models" in models and "sir " in models and "hyosan-high" not in models
    assert "hyosan-high" in scenarios and "off-limits" in scenarios and "munz-szr" not in scenarios


def test_cli_show_describes_a_scenario(cli) -> None:
    res = cli("show", "hyosan-city")
    assert res.returncode == 0, res.stderr
    text = res.stdout
    assert "Map: hyosan-city, 150 × 100 cells of 2 m (300 m × 200 m)" in text
    assert "zones (32): base (" in text and "exits: highway-north, highway-east, barracks" in text
    assert "Population (632 agents)" in text and "soldier" in text
    assert "infection.contact_radius = 0.8m" in text
    assert "evacuation: at 5min -> evacuate {to: barracks}" in text
    assert "martial-law: when " in text and "-> seal {exits: [highway-north, highway-east]}" in text
    assert "Compartment model: hyosan" in text
    flagship = cli("show", "hyosan-high").stdout
    assert "seal-the-school: when zombie > 5 -> seal {exits: [main-gate, back-gate]}" in flagship
    assert "Interventions: none" in cli("show", "military-base").stdout


def test_cli_analyze_a_scenario_and_version(cli) -> None:
    res = cli("analyze", "hyosan-high")
    assert res.returncode == 0 and "declares, 'hyosan'" in res.stdout and "R0 (at the" in res.stdout
    res = cli("analyze", "off-limits")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"hyosan {hyosan.__version__}"


def test_cli_did_you_mean_and_set_names_the_flag(cli, tmp_path: Path) -> None:
    res = cli("show", "hyosan-hihg")
    assert res.returncode == 2 and "did you mean 'hyosan-high'" in res.stderr
    res = cli("run", "sir", "--set", "betta=1", "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and res.stderr.startswith("hyosan: error: --set betta:") and "'beta'" in res.stderr
    assert not (tmp_path / "o").exists()


def test_one_registry_holds_every_engine_and_says_what_it_runs() -> None:
    from hyosan import engines
    from hyosan.errors import EngineError

    assert set(engines.ENGINES) == {"ode", "ssa", "tau", "abm", "network", "patches"}
    assert engines.for_kind("scenario") == ["abm"]
    with pytest.raises(EngineError, match="runs agent scenarios"):
        hyosan.run("sir", engine="abm")
