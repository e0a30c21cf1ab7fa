"""One intervention vocabulary: the same entry means the same on a model and a scenario; units parse to
closed values; actions are refused by engines that do not apply them, naming those that do."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

import hyosan
from hyosan import Intervention
from hyosan.agents.scenario import load_scenario
from hyosan.errors import HyosanError, ModelError, ScenarioError
from hyosan.interventions import ACTIONS, supported
from hyosan.units import days, duration

MAP = textwrap.dedent(
    """\
    name: yard
    scale: 1.0
    legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}}
    zones: {west: [1, 1, 8, 6], east: [10, 1, 18, 6]}
    ---
    ####################
    #........#.........#
    #........#.........#
    #........+.........G
    #........#.........#
    #........#.........#
    #........#.........#
    ####################
    """
)
MODEL = {
    "name": "still",
    "compartments": ["S", "Z"],
    "parameters": {"mu": 0.0},
    "initial": {"S": 0, "Z": 100},
    "transitions": ["Z -> @ mu*Z"],
}


def scenario(tmp_path: Path, interventions: list, zombies: int = 200, humans: int = 10):
    (tmp_path / "yard.txt").write_text(MAP)
    data = {
        "name": "yard",
        "map": "yard.txt",
        "time": {"step": "1s", "horizon": "20s", "report": "1s"},
        "kinds": {"student": {"speed": "1 m/s", "sight": "3m"}},
        "zombie": {"speed": "1 m/s", "sight": "3m"},
        "population": [
            {"kind": "student", "count": humans, "zone": "east"},
            {"kind": "student", "count": zombies, "zone": "west", "state": "zombie"},
        ],
        "behaviour": {"humans": "still", "zombies": "still"},
        "infection": {"bite_probability": 0.0},
        "interventions": interventions,
    }
    path = tmp_path / "yard.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_scenario(path)


def test_durations_parse_to_closed_values() -> None:
    assert days("2.5d", "x") == 2.5
    assert days("90s", "x") == 90 / 86400
    assert days("12h", "x") == 0.5
    assert days("20min", "x") == 20 / 1440
    assert days(3, "x") == 3.0 and days("3", "x") == 3.0
    assert duration("20min", "x") == 1200.0 and duration("2.5d", "x") == 216000.0
    with pytest.raises(ModelError, match="not a duration"):
        days("3 fortnights", "x")
    with pytest.raises(ScenarioError, match="write a number and a unit"):
        duration(30, "x")  # a scenario's bare number has no documented unit: refused, as before


def test_model_times_take_units_and_bare_numbers_are_days() -> None:
    m = hyosan.Model.from_dict(MODEL).with_interventions(
        [
            Intervention("a", at=["36h", 2, "90s"], cull={"Z": 0.1}),
            Intervention("b", every="12h", start="1d", until="2.5d", set={"mu": 0.1}),
        ]
    )
    assert m.events[0].times == (90 / 86400, 1.5, 2.0)
    assert m.events[1].times == (1.0, 1.5, 2.0, 2.5)
    data = {**MODEL, "defaults": {"t_end": "2w", "every": "6h"}}
    assert hyosan.Model.from_dict(data).defaults == {"t_end": 14.0, "every": 0.25}


def test_a_python_intervention_equals_the_same_entry_in_a_file() -> None:
    entry = {"name": "halve", "when": "Z < 40", "cull": {"Z": 0.5}}
    from_file = hyosan.Model.from_dict({**MODEL, "interventions": [entry]}).events[0]
    from_python = hyosan.Model.from_dict(MODEL).with_interventions(Intervention(**entry)).events[0]
    keys = ("name", "times", "assign", "params", "when", "kind", "changes_total")
    assert [getattr(from_file, k) for k in keys] == [getattr(from_python, k) for k in keys]


CONDITIONS = [("Z > 60", 2, "above"), ("60 < zombie", 2, "above"), ("healthy < 4.2", 0, "below"),
              ("zombie > 60.5", 2, "above")]  # fmt: skip


@pytest.mark.parametrize("text, state, trigger", CONDITIONS)
def test_a_count_condition_means_the_same_on_a_model_and_a_scenario(
    tmp_path: Path, text: str, state: int, trigger: str
) -> None:
    """The model's condition (root of its margin) and the scenario's integer test agree on every count."""
    model_text = text.replace("zombie", "Z").replace("healthy", "S")
    cond = (
        hyosan.Model.from_dict(MODEL)
        .with_interventions(Intervention("x", when=model_text, set={"mu": 1}))
        .events[0]
        .when
    )
    (iv,) = scenario(tmp_path, [{"name": "x", "when": text, "open": {"zones": ["west"]}}]).interventions
    assert (iv.state, iv.trigger) == (state, trigger)
    letter = "Z" if state == 2 else "S"
    for n in range(0, 80):
        holds = cond.margin({"S": n, "Z": n, "mu": 0.0, "N": 2 * n}) > 0
        assert holds == (n > iv.value if trigger == "above" else n < iv.value), (text, n, letter)


def test_long_and_short_agent_conditions_compile_alike(tmp_path: Path) -> None:
    ivs = scenario(
        tmp_path,
        [
            {"name": "a", "when": {"count": {"state": "zombie", "above": 60}}, "open": {"zones": ["west"]}},
            {"name": "b", "when": "zombie > 60", "open": {"zones": ["west"]}},
            {"name": "c", "when": {"enters": {"zone": "east", "state": "zombie"}}, "open": {"zones": ["west"]}},
            {"name": "d", "when": "Z in east", "open": {"zones": ["west"]}},
        ],
    ).interventions
    assert (ivs[0].trigger, ivs[0].state, ivs[0].value) == (ivs[1].trigger, ivs[1].state, ivs[1].value)
    assert (ivs[2].trigger, ivs[2].state, ivs[2].zone) == (ivs[3].trigger, ivs[3].state, ivs[3].zone) == (
        "enters", 2, "east"
    )  # fmt: skip


def test_a_timed_intervention_is_at_the_same_moment_on_a_model_and_a_scenario(tmp_path: Path) -> None:
    iv = Intervention("halve", at=["30s", "2min"], cull={"Z": 0.5})
    model_times = hyosan.Model.from_dict(MODEL).with_interventions(iv).events[0].times
    sc_times = scenario(tmp_path, []).with_interventions(iv).interventions[0].times
    np.testing.assert_allclose(np.array(model_times) * 86400, sc_times, rtol=1e-12)


def test_interventions_added_in_python_survive_with_values(tmp_path: Path) -> None:
    sc = scenario(tmp_path, []).with_interventions([Intervention("halve", at="5s", cull={"Z": 0.5})])
    again = sc.with_values({"infection.bite_probability": 0.1})
    assert [iv.name for iv in again.interventions] == ["halve"] and again.bite_probability == pytest.approx(0.1)


def test_cull_halves_in_expectation_on_ode_ssa_tau_and_abm(tmp_path: Path) -> None:
    """ode: Z <- Z/2 exactly. ssa, tau and abm: each individual destroyed with probability 1/2 (binomial).

    ssa, tau: 400 replicates of Binomial(100, 1/2), mean 50, SE 5/20 = 0.25; tolerance 4 SE.
    abm: one run of Binomial(200, 1/2), mean 100, SD 7.07; tolerance 4 SD (seed fixed).
    """
    model = hyosan.Model.from_dict(MODEL).with_interventions(Intervention("halve", at="12h", cull={"Z": 0.5}))
    ode = model.run("ode", t_end=1, every=0.25)
    np.testing.assert_allclose(ode.Z.values.ravel(), [100, 100, 50, 50, 50])
    for engine in ("ssa", "tau"):
        ds = model.run(engine, t_end=1, every=0.25, replicates=400, seed=3, workers=1)
        after = ds.Z.sel(time=1.0).values
        assert abs(after.mean() - 50) < 4 * 0.25 and after.std() > 0, engine
    from hyosan.engines.abm.engine import simulate_once

    sc = scenario(tmp_path, [{"name": "halve", "at": "5s", "cull": {"Z": 0.5}}])
    run = simulate_once(sc, np.random.SeedSequence(7))
    z = run.counts[:, 2]
    assert (z[:5] == 200).all() and len(set(z[5:])) == 1
    assert abs(int(z[5]) - 100) < 4 * math.sqrt(50)
    assert run.counts[-1, 4] == 200 - z[5] and run.counts[-1, 0] == 10


def test_a_cull_in_a_zone_spares_those_outside(tmp_path: Path) -> None:
    from hyosan.engines.abm.engine import simulate_once

    sc = scenario(tmp_path, [{"name": "clear", "at": "2s", "cull": {"zombie": 1.0, "healthy": 0.0, "zone": "west"}}])
    sc.groups[0].state = 2  # the east group are zombies too
    run = simulate_once(sc, np.random.SeedSequence(1))
    assert run.counts[1, 2] == 210 and run.counts[-1, 2] == 10 and run.counts[-1, 4] == 200


def test_action_table_and_engines() -> None:
    assert supported("ode") == supported("ssa") == supported("tau") == {"set", "cull"}
    assert supported("abm") == {"cull", "seal", "open", "evacuate", "sweep", "noise", "rescue"}
    assert all(a.engines for a in ACTIONS.values())


def test_unsupported_actions_are_refused_in_one_line_naming_the_engines(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"'sweep' .* is applied by engine abm, not ode, ssa, tau") as e:
        hyosan.Model.from_dict(MODEL).with_interventions(Intervention("s", at=1, sweep={"zone": "x"}))
    assert "\n" not in str(e.value) and "--" not in str(e.value)
    with pytest.raises(ScenarioError, match=r"'set' .* is applied by engine ode, ssa, tau(, [a-z]+)*, not abm") as e:
        scenario(tmp_path, [{"name": "s", "at": "1s", "set": {"mu": 1}}])
    assert "\n" not in str(e.value)
    with pytest.raises(ScenarioError, match="compares one count with a finite number"):
        scenario(tmp_path, [{"name": "s", "when": "zombie + healthy > 3", "open": {"zones": ["west"]}}])
    with pytest.raises(ScenarioError, match="culls a fixed fraction"):
        scenario(tmp_path, [{"name": "s", "at": "1s", "cull": {"zombie": "k*n"}}])
    with pytest.raises(HyosanError, match="exactly one of at=, every= or when="):
        Intervention("twice", at=1, when="Z > 3", cull={"Z": 0.5})
