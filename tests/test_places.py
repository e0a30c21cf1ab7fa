"""Places and mobility against closed forms: haversine, Simini's radiation totals, gravity scaling,
walking neighbours on a known grid, the shipped city lists, and one-line refusals of bad tables/specs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hyosan.errors import HyosanError, ScenarioError
from hyosan.places import mobility as mob
from hyosan.places import sources, spec
from hyosan.places.patches import Patches


def _random_places(n: int = 60, seed: int = 1) -> Patches:
    rng = np.random.default_rng(seed)
    return Patches(
        names=tuple(f"p{i}" for i in range(n)),
        population=rng.integers(0, 50_000, n).astype(np.int64),
        lat=rng.uniform(33, 39, n),
        lon=rng.uniform(125, 130, n),
    )


def test_haversine_quarter_meridian_and_equator():
    # pole to equator is a quarter of a great circle: pi/2 * R
    assert sources.haversine(0.0, 0.0, 90.0, 0.0) == pytest.approx(math.pi / 2 * sources.EARTH_KM, rel=1e-12)
    assert sources.haversine(0.0, 10.0, 0.0, 11.0) == pytest.approx(sources.KM_PER_DEGREE, rel=1e-12)


def test_radiation_fractions_telescope_to_one_minus_mi_over_m():
    # Simini: sum_j m n_j / ((m + s)(m + n_j + s)) over every destination = 1 - m_i / M exactly.
    places = _random_places()
    _, frac = mob.radiation_fractions(places, None)
    m = places.population.astype(float)
    expect = np.where(m > 0, 1.0 - m / m.sum(), 0.0)
    assert np.allclose(frac.sum(axis=1), expect, rtol=1e-12, atol=1e-15)


def test_radiation_sends_exactly_t_i_and_prefers_the_nearer_of_equal_towns():
    places = _random_places()
    rate = 0.07
    moves = mob.radiation(places, rate, k=10)
    out = np.asarray(moves.sum(axis=1)).ravel()
    sending = places.population > 0
    assert np.allclose(out[sending], rate, rtol=1e-12)  # T_i = rate * m_i, per capita: rate
    assert np.all(out[~sending] == 0)
    # three towns on a line, equal sizes: the middle one intervenes, so 0 -> 1 carries more than 0 -> 2
    line = Patches(("a", "b", "c"), np.array([100, 100, 100]), np.zeros(3), np.array([0.0, 0.1, 0.2]))
    row = mob.radiation(line, 1.0, k=None).toarray()[0]
    # closed form: T_01 ∝ 100*100/(100*200) = 1/2, T_02 ∝ 100*100/(200*300) = 1/6 -> shares 3/4 and 1/4
    assert row[1:] == pytest.approx([0.75, 0.25], rel=1e-12)


def test_gravity_is_symmetric_and_carries_the_stated_total():
    places = _random_places()
    places = Patches(places.names, np.maximum(places.population, 1), places.lat, places.lon)
    rate = 0.05
    moves = mob.gravity(places, rate, a=1, b=1, g=2, k=8)
    flux = moves.multiply(places.population[:, None]).tocsr()
    assert abs(flux - flux.T).max() <= 1e-9 * flux.max()
    assert flux.sum() == pytest.approx(rate * places.population.sum(), rel=1e-12)
    # flux between one pair follows m_i m_j / d^2 relative to another pair
    i, j = flux.nonzero()
    d = sources.haversine(places.lat[i], places.lon[i], places.lat[j], places.lon[j])
    law = places.population[i] * places.population[j] / np.maximum(d, 1.0) ** 2
    assert np.allclose(np.asarray(flux[i, j]).ravel() / law, rate * places.population.sum() / law.sum(), rtol=1e-9)


def test_walk_neighbours_on_a_known_grid_at_the_equator():
    g = sources.grid(10, (4, 5), spacing_km=2.0)
    v = 5.0 * 24  # 5 km/h in km/day
    rows, cols = np.divmod(np.arange(20), 5)
    expect = (rows > 0).astype(int) + (rows < 3) + (cols > 0) + (cols < 4)
    for moves in (mob.walk(g, v), mob.walk(g, v, radius_km=2.05)):  # Gabriel graph; the 4 nearest cells
        assert np.array_equal(np.diff(moves.indptr), expect)
        # every neighbour is 2 km away: total exit rate speed / 2 km, split evenly over the neighbours
        exit_rate = np.asarray(moves.sum(axis=1)).ravel()
        assert np.allclose(exit_rate, v / 2.0, rtol=1e-5)
        assert np.allclose(moves[6].data, v / 2.0 / 4, rtol=1e-5)
    wide = mob.walk(g, v, radius_km=2.9)  # the diagonals too: mean distance (4*2 + 4*2.83)/8 km
    assert np.diff(wide.indptr)[6] == 8
    mean_d = (4 * 2 + 4 * 2 * math.sqrt(2)) / 8
    assert wide[6].sum() == pytest.approx(v / mean_d, rel=1e-5)


def test_shipped_city_lists():
    kr = sources.cities("KR")
    assert kr.size == 147 and kr.names[0] == "Seoul" and 47e6 < kr.population.sum() < 48e6
    us = sources.cities("US", min_population=1_000_000)
    assert {"New York City", "Los Angeles", "Chicago"} <= set(us.names)
    assert np.all(us.population >= 1_000_000) and len(set(us.names)) == us.size
    assert np.all((-90 <= us.lat) & (us.lat <= 90))


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("b,91,0,10", "lat '91' is outside"),
        ("b,0,0,-3", "population '-3' is negative"),
        ("a,0,1,5", "repeats row 2"),
        ("b,0,x,5", "lon 'x' is not a number"),
        ("b,0,1,2.5", "not a whole number"),
    ],
)
def test_bad_tables_are_refused_in_one_line(tmp_path, row, fragment):
    path = tmp_path / "towns.csv"
    path.write_text(f"name,lat,lon,population\na,0,0,10\n{row}\n")
    with pytest.raises(ScenarioError) as err:
        sources.from_table(path)
    assert fragment in str(err.value) and "row 3" in str(err.value) and "\n" not in str(err.value)


def test_table_reads_and_missing_column(tmp_path):
    path = tmp_path / "towns.csv"
    path.write_text("name,lat,lon,population\nUp,1,2,30\nDown,-1,-2,40\n")
    places = sources.from_table(path)
    assert places.names == ("Up", "Down") and list(places.population) == [30, 40]
    pq = tmp_path / "towns.parquet"
    pd.DataFrame({"name": ["Up", "Down"], "lat": [1.0, -1.0], "lon": [2.0, -2.0], "population": [30, 40]}).to_parquet(
        pq
    )
    assert sources.from_table(pq).names == ("Up", "Down")
    assert spec.patches(str(pq)).population.sum() == 70
    path.write_text("name,lat,population\nUp,1,30\n")
    with pytest.raises(ScenarioError, match="missing column"):
        sources.from_table(path)


def test_specs_build_and_refuse():
    places = spec.build("grid:n=3x3,pop=50,spacing=1km", "walk:speed=4km/h,radius=1.01km", "Z=1,S=0.5")
    assert places.size == 9 and places.population.sum() == 450 and places.mobility == {"Z": 1.0, "S": 0.5}
    # 96 km a day over 1 km hops: 96 hops a day out of the centre cell, 24 to each of its 4 neighbours
    assert places.movement[4].nnz == 4 and np.allclose(places.movement[4].data, 24.0, rtol=1e-5)
    assert spec.rate_per_day("0.5/h", "x") == pytest.approx(12.0)
    assert spec.rate_per_day("1 per w", "x") == pytest.approx(1 / 7)
    for bad, fragment in [
        ("citys:KR", "did you mean 'cities'"),
        ("grid:n=3x3,pops=1", "did you mean 'pop'"),
        ("grid:n=three", "n=ROWSxCOLUMNS"),
    ]:
        with pytest.raises(HyosanError, match=fragment):
            spec.patches(bad)
    for bad, fragment in [("radiation:rate=0.05", "not a rate"), ("walk:radius=1km", "give speed")]:
        with pytest.raises(HyosanError, match=fragment):
            spec.mobility(bad, places)
