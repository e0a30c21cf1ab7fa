"""Screening on arrival at the military base, against facts: detection follows Binomial(n, sensitivity);
nobody leaves isolation and the detected never enter the base; the delay is honoured to the step; a
perfect screen with no turning in the hall leaves zero bites inside the base (and a blind one does not);
a bitten agent who turns while held is destroyed before it acts; bad input fails with file:line, exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from hyosan.agents.scenario import load_scenario
from hyosan.engines.abm import step as K
from hyosan.engines.abm.engine import simulate_once
from hyosan.engines.abm.screening import DETECTED, MISSED
from hyosan.errors import ScenarioError
from hyosan.viz.screening import screening_side

STEP = 5.0


def write(tmp_path: Path, healthy: int, bitten: int, incubation: str, screening: dict, horizon: str = "5min",
          zombies: int = 0) -> Path:  # fmt: skip
    population = [
        {"kind": "survivor", "count": healthy, "zone": "approach"},
        {"kind": "survivor", "count": bitten, "zone": "approach", "state": "bitten"},
    ]
    if zombies:
        population.append({"kind": "survivor", "count": zombies, "zone": "approach", "state": "zombie"})
    data = {
        "name": "b",
        "map": "military-base",
        "time": {"step": f"{STEP:g}s", "horizon": horizon, "report": "1min"},
        "kinds": {"survivor": {"speed": "1.2 m/s", "run_speed": "3 m/s", "sight": "15m"}},
        "zombie": {"speed": "0.8 m/s", "run_speed": "3 m/s", "sight": "15m"},
        "population": population,
        "behaviour": {"humans": "escape", "zombies": "hunt"},
        "infection": {"contact_radius": "0.8m", "bite_probability": 0.5,
                      "incubation": {"distribution": "fixed", "delay": incubation}},
        "doors": {"shut": ["escort", "isolation"]},
        "screening": {"zone": "screening-hall", "delay": "1min", "sensitivity": 0.7, "isolation": "isolation",
                      "admit": "base"} | screening,
        "animation": {"every": f"{STEP:g}s"},
    }  # fmt: skip
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run(path: Path, seed: int = 3):
    sc = load_scenario(path)
    return sc, simulate_once(sc, np.random.SeedSequence(seed), frames=True)


def of(r, kind: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hit = r.events["kind"] == kind
    return r.events["agent"][hit], r.events["t"][hit].astype(float), r.events["aux"][hit]


def test_detection_follows_binomial_n_sensitivity(tmp_path: Path) -> None:
    n, p = 400, 0.7
    # 20 min: 400 people queue through the hall's doors (bodies take space); in 5 min half had arrived
    sc, r = run(write(tmp_path, 0, n, "10d", {"sensitivity": p}, horizon="20min"))
    _, _, verdict = of(r, K.SCREENED)
    assert verdict.size == n and set(verdict.tolist()) <= {DETECTED, MISSED}
    detected = int((verdict == DETECTED).sum())
    assert abs(detected - n * p) <= 4.5 * np.sqrt(n * p * (1 - p))
    assert of(r, K.ISOLATED)[0].size == detected and of(r, K.ADMITTED)[0].size == n - detected
    side = screening_side(sc, r)
    assert (side["detected"], side["missed"], side["isolated_end"]) == (detected, n - detected, detected)


def test_isolated_stay_isolated_and_the_detected_never_enter_the_base(tmp_path: Path) -> None:
    sc, r = run(write(tmp_path, 40, 40, "10d", {"sensitivity": 0.5}))
    iso_ids, iso_t, _ = of(r, K.ISOLATED)
    adm_ids, adm_t, _ = of(r, K.ADMITTED)
    assert iso_ids.size > 5 and adm_ids.size > 40 and not np.isin(iso_ids, adm_ids).any()
    base = sc.screening.admit | sc.world.zones["barracks"] | sc.world.zones["base"]
    checked = 0
    for t, x, y, _ in r.frames:
        rows, cols = y.astype(int), x.astype(int)
        assert not base[rows[iso_ids], cols[iso_ids]].any()
        inside = iso_ids[iso_t < t]
        assert sc.screening.isolation[rows[inside], cols[inside]].all()
        confined = adm_ids[adm_t < t]
        assert sc.screening.admit[rows[confined], cols[confined]].all()
        checked += inside.size
    assert checked > 100


def test_the_delay_is_honoured_from_the_first_step_in_the_hall(tmp_path: Path) -> None:
    delay = 90.0
    sc, r = run(write(tmp_path, 30, 30, "10d", {"delay": "90s"}))
    held_ids, held_t, _ = of(r, K.HELD)
    scr_ids, scr_t, _ = of(r, K.SCREENED)
    assert held_ids.size == 60 and sorted(scr_ids.tolist()) == sorted(held_ids.tolist())
    when = dict(zip(held_ids.tolist(), held_t.tolist(), strict=True))
    wait = scr_t - np.array([when[i] for i in scr_ids.tolist()])
    assert (wait >= delay - 1e-3).all() and (wait < delay + STEP).all()
    frames = {round(t): (x, y) for t, x, y, _ in r.frames}
    for i, t in when.items():
        x, y = frames[round(t)]
        assert sc.screening.hall[int(y[i]), int(x[i])]
        if t > 0:
            x, y = frames[round(t - STEP)]
            assert not sc.screening.hall[int(y[i]), int(x[i])]


def test_a_perfect_screen_leaves_no_bites_inside_the_base_and_a_blind_one_does_not(tmp_path: Path) -> None:
    sides = {}
    for sens in (1.0, 0.0):
        sc, r = run(write(tmp_path, 60, 15, "40min", {"sensitivity": sens, "delay": "5min"}, horizon="2h"))
        sides[sens] = screening_side(sc, r)
    perfect, blind = sides[1.0], sides[0.0]
    assert perfect["detected"] == 15 and perfect["turned_in_isolation"] == 15 and perfect["turned_in_hall"] == 0
    assert perfect["bites_inside_base"] == 0 and perfect["turned_inside_base"] == 0 and not perfect["outbreak_inside"]
    assert perfect["confined_healthy_end"] == 60
    assert blind["missed"] == 15 and blind["turned_inside_base"] >= 15 and blind["outbreak_inside"]


def test_who_turns_while_held_is_destroyed_before_acting(tmp_path: Path) -> None:
    sc, r = run(write(tmp_path, 20, 20, "3min", {"delay": "10min"}, horizon="15min"))
    ids, t, where = of(r, K.GUARDED)
    assert ids.size == 20 and (where == 0).all() and np.allclose(t, 180.0)
    assert (r.agents.state[ids] == K.D).all() and of(r, K.BITE)[0].size == 0 and of(r, K.TURN)[0].size == 0
    side = screening_side(sc, r)
    assert side["arrivals_screened"] == side["passed_healthy"] == 20 and side["turned_in_hall"] == 20


def test_same_seed_same_run(tmp_path: Path) -> None:
    path = write(tmp_path, 20, 20, "20min", {"sensitivity": 0.5}, horizon="40min")
    _, a = run(path, seed=9)
    _, b = run(path, seed=9)
    for k in a.events:
        np.testing.assert_array_equal(a.events[k], b.events[k])


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"zone": "nowhere"}, "zone", "unknown zone 'nowhere'"),
        ({"sensitivity": 1.5}, "sensitivity", "between 0 and 1"),
        ({"delay": "-5min"}, "delay", "negative"),
    ],
)
def test_bad_screening_fails_with_file_line_and_exit_2(tmp_path: Path, cli, change: dict, field: str,
                                                        message: str) -> None:  # fmt: skip
    path = write(tmp_path, 5, 5, "10d", change)
    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario(path)
    assert re.search(rf"b\.yaml:\d+ \(screening\.{field}\)", str(err.value)) and "\n" not in str(err.value)
    done = cli("run", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "b.yaml:" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_military_base_runs_end_to_end(tmp_path: Path, cli) -> None:
    done = cli("run", "military-base", "--out", str(tmp_path / "mb"))
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "mb" / "summary.json").read_text())
    side = summary["outcomes"]["base_side"]
    assert side["arrivals_held"] == 200 == side["arrivals_screened"] + side["turned_in_hall"]
    assert side["detected"] + side["missed"] + side["turned_in_hall"] == 15
    assert summary["outcomes"]["outbreak_inside"] == (side["bites_inside_base"] > 0)
    assert sum(summary["final"].values()) == summary["agents"] == 208
