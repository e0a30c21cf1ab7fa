"""Floor plans: the shipped school, distance fields against closed forms, and one-line errors for bad maps."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from hyosan.agents.fields import distance_field, next_cells
from hyosan.agents.floorplan import DOOR, EXIT, WALL, load_map, load_png, parse_map
from hyosan.errors import ScenarioError

GOOD = textwrap.dedent(
    """\
    name: tiny
    scale: 0.5
    legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}, "L": {zone: lab}}
    zones: {hall: [1, 1, 8, 2]}
    ---
    ##########
    #........G
    #........#
    ####+#####
    #LLLLLLLL#
    ##########
    """
)


def test_a_small_plan_parses_with_its_legend_zones_and_doors() -> None:
    plan = parse_map(GOOD, "tiny.txt")
    assert plan.shape == (6, 10)
    assert plan.kind[1, 9] == EXIT and plan.exits == ["gate"]
    assert plan.kind[3, 4] == DOOR and plan.n_doors == 1
    assert plan.zones["lab"].sum() == 8 and plan.zones["hall"].sum() == 16
    assert plan.zone_doors("lab") == [0]
    assert plan.walkable(np.array([1]))[3, 4] == np.False_


def test_the_shipped_school_is_believable() -> None:
    plan = load_map("hyosan-high")
    assert plan.scale == 0.5
    assert set(plan.exits) == {"main-gate", "back-gate"}
    rooms = [z for z in plan.zones if z.startswith("class-")]
    assert len(rooms) >= 35
    for z in ("science-lab", "library", "gym", "courtyard", "broadcasting-room"):
        assert z in plan.zones
    capacity = sum(plan.zones[z].sum() for z in rooms) * plan.scale**2
    assert capacity / 1.5 >= 1000
    dist = distance_field(plan.walkable(), plan.kind == EXIT)
    for z in plan.zones:
        assert np.isfinite(dist[plan.zones[z]]).all(), z


def test_distance_in_an_open_room_is_the_octile_distance() -> None:
    walk = np.ones((30, 40), dtype=bool)
    src = np.zeros_like(walk)
    src[3, 5] = True
    rows, cols = np.indices(walk.shape)
    dr, dc = np.abs(rows - 3), np.abs(cols - 5)
    octile = np.maximum(dr, dc) + (np.sqrt(2) - 1) * np.minimum(dr, dc)
    np.testing.assert_allclose(distance_field(walk, src), octile, rtol=1e-6)


def test_distance_goes_around_a_wall_and_steps_lead_downhill() -> None:
    walk = np.ones((11, 11), dtype=bool)
    walk[5, 0:10] = False
    src = np.zeros_like(walk)
    src[10, 0] = True
    dist = distance_field(walk, src)
    assert dist[4, 0] == pytest.approx(10 + 1 + 1 + 4 * np.sqrt(2) + 6, rel=1e-6)
    step = next_cells(dist, walk)
    r, c = 0, 0
    for _ in range(100):
        dr, dc = step[r, c]
        if dr == 0 and dc == 0:
            break
        assert dist[r + dr, c + dc] < dist[r, c]
        r, c = r + dr, c + dc
        assert walk[r, c]
    assert (r, c) == (10, 0)


@pytest.mark.parametrize(
    ("grid", "zones", "message"),
    [
        ("#####\n#...#\n#####", "", "no exit"),
        ("#####\n#...#\n#####\n##G##", "", "exit 'gate' at row 3, column 2 is unreachable"),
        (
            "####G\n#...#\n#####",
            "zones: {lab: [1, 1, 9, 1]}",
            "zone 'lab' [1, 1, 9, 1] names cells outside the 5x3 map",
        ),
        ("####G\n#.?.#\n#####", "", "tiny.txt:7:3: character '?' is not in the legend"),
    ],
)
def test_bad_maps_get_one_line_errors_naming_the_place(grid: str, zones: str, message: str) -> None:
    text = f'name: tiny\nscale: 0.5\nlegend: {{"#": wall, ".": floor, "G": {{exit: gate}}}}\n{zones}\n---\n{grid}\n'
    with pytest.raises(ScenarioError, match=r"tiny\.txt") as err:
        parse_map(text, "tiny.txt")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_png_import_and_wrong_palette(tmp_path: Path) -> None:
    from PIL import Image

    rgb = np.zeros((6, 8, 3), dtype=np.uint8)
    rgb[1:5, 1:7] = 255
    rgb[2, 7] = (0, 200, 0)
    rgb[3, 4] = (255, 0, 0)
    Image.fromarray(rgb).save(tmp_path / "school@0.25m.png")
    plan = load_png(tmp_path / "school@0.25m.png")
    assert plan.scale == 0.25 and plan.exits == ["exit-200"]
    assert plan.kind[0, 0] == WALL and plan.kind[2, 7] == EXIT and plan.kind[3, 4] == DOOR
    assert plan.walkable().sum() == 4 * 6 + 1
    rgb[4, 2] = (10, 20, 30)
    Image.fromarray(rgb).save(tmp_path / "bad.png")
    with pytest.raises(ScenarioError, match=r"bad.png: pixel at x=2, y=4 has colour \(10, 20, 30\)"):
        load_map(tmp_path / "bad.png")


def test_a_folder_named_like_a_shipped_map_does_not_shadow_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hyosan-high").mkdir()
    monkeypatch.chdir(tmp_path)
    assert load_map("hyosan-high").kind.shape == (120, 191)
