"""Walking between places against closed forms, the rule that drops sections of cities (on the real
geonames lists: New York City counted once), and the ode tolerances of a country file.

Walking: a walker leaves a place at speed / (mean distance to its neighbours) and picks a neighbour
uniformly (hyosan.places.mobility.walk). Closed forms: on a line of places ``a`` apart, one hop takes
``a / v`` on average and the mean first-passage time from one reflecting end across ``n`` hops is
``n² a / v``; on a square grid the mean squared displacement grows as ``v a t`` (D = v a / 4).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import expm_multiply, spsolve

from hyosan.errors import HyosanError, ScenarioError
from hyosan.places import country, outbreak, sources, spec
from hyosan.places import mobility as mob
from hyosan.places.patches import Patches

V = 24.0  # 1 km/h in km per day


def _generator(moves: sp.csr_matrix) -> sp.csr_matrix:
    return (moves - sp.diags(np.asarray(moves.sum(axis=1)).ravel())).tocsr()


def test_one_hop_takes_distance_over_speed_and_first_passage_is_n_squared_a_over_v():
    a, n = 3.0, 12
    line = sources.grid(100, (1, n + 1), spacing_km=a)  # on the equator: exact great-circle spacing
    moves = mob.walk(line, V)
    assert np.array_equal(np.diff(moves.indptr), [1] + [2] * (n - 1) + [1])  # nearest neighbours only
    hop_time = 1.0 / np.asarray(moves.sum(axis=1)).ravel()
    assert np.allclose(hop_time, a / V, rtol=1e-9)
    # mean first-passage time from place 0 (reflecting end) to place n (absorbing): -Q_TT tau = 1
    q = _generator(moves)[:n, :n]
    tau = spsolve(-q.tocsc(), np.ones(n))
    assert tau[0] == pytest.approx(n * n * a / V, rel=1e-9)
    assert np.allclose(tau, (n * n - np.arange(n) ** 2) * a / V, rtol=1e-9)  # from place k: (n² - k²) a / v


@pytest.mark.parametrize("step", [None, 0.5, 8.0])
def test_walkers_spread_on_a_grid_with_diffusion_coefficient_v_a_over_4(step):
    a, m = 2.0, 41
    g = sources.grid(1, (m, m), spacing_km=a)
    moves = mob.walk(g, V, step_km=step)
    assert np.diff(moves.indptr).max() == 4  # Gabriel graph of a square grid: no diagonals
    # D = v a / 4 (straight to the next place, or turning at steps longer than a), v step / 4 below a
    ell = a if step is None else min(a, step)
    assert np.allclose(np.asarray(moves.sum(axis=1)).ravel(), V * ell / a**2, rtol=2e-4)
    centre = (m // 2) * m + m // 2
    t = 16 * a * a / (V * ell)  # sqrt(MSD) = 4a; the border is 20a away (7 standard deviations per axis)
    p = expm_multiply(_generator(moves).T.tocsc() * t, np.eye(m * m)[centre])
    r, c = np.divmod(np.arange(m * m), m)
    msd = float(np.sum(p * a**2 * ((r - m // 2) ** 2 + (c - m // 2) ** 2)))
    # 4 D t; tolerance: the grid's east-west spacing shrinks by cos(0.7 deg) - 1 < 1e-4
    assert msd == pytest.approx(V * ell * t, rel=2e-4)


def test_the_patches_mean_field_walks_at_the_same_diffusion_coefficient():
    import hyosan

    a, m = 2.0, 21
    g = sources.grid(1000, (m, m), spacing_km=a)
    places = mob.couple(g, movement=mob.walk(g, V), mobility={"Z": 1.0})
    centre = places.names[(m // 2) * m + m // 2]
    model = hyosan.load("alemi-szr").with_values({"beta": 0.0})  # nothing happens but walking
    t = 8 * a / V
    ds = model.run(engine="patches", patches=places, method="ode", t_end=t, every=t, initial={centre: {"Z": 1000}})
    z = ds["Z_patch"].isel(time=-1).values.reshape(-1)
    assert z.sum() == pytest.approx(1000, rel=1e-9)
    r, c = np.divmod(np.arange(m * m), m)
    msd = float(np.sum(z / 1000 * a**2 * ((r - m // 2) ** 2 + (c - m // 2) ** 2)))
    # border at 10a, sqrt(MSD/2) = 2a per axis: 5 standard deviations; ode rtol 1e-10
    assert msd == pytest.approx(V * a * t, rel=1e-3)


def test_gabriel_edges_have_empty_diametral_balls_and_connect_every_place():
    rng = np.random.default_rng(3)
    n = 300
    places = Patches(
        tuple(f"p{i}" for i in range(n)), np.ones(n, np.int64), rng.uniform(30, 40, n), rng.uniform(-100, -85, n)
    )
    i, j, d = mob.gabriel_pairs(places)
    assert connected_components(sp.coo_matrix((d, (i, j)), shape=(n, n)), directed=False)[0] == 1
    la, lo = np.radians(places.lat), np.radians(places.lon)
    pts = np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    full = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    gabriel = np.ones((n, n), bool)
    for x in range(n):  # brute force: no third point in the ball with diameter xy
        mid = 0.5 * (pts[x] + pts)
        inside = np.linalg.norm(mid[:, None] - pts[None], axis=2) <= 0.5 * full[x][:, None] * (1 + 1e-9)
        gabriel[x] = inside.sum(axis=1) <= 2
    np.fill_diagonal(gabriel, False)
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == set(zip(*np.nonzero(gabriel), strict=True))
    moves = mob.walk(places, V)
    mean_d = np.bincount(i, weights=d, minlength=n) / np.bincount(i, minlength=n)
    assert np.allclose(np.asarray(moves.sum(axis=1)).ravel(), V / mean_d, rtol=1e-12)


def test_sections_rule_on_footprints_of_known_size():
    density = 5000.0
    big = 4_000_000
    r = math.sqrt(big / (math.pi * density))  # 15.96 km
    km = 1 / sources.KM_PER_DEGREE
    lat = np.array([0.0, 0.99 * r * km, 1.01 * r * km, 0.0, 0.0, -1.5 * r * km])
    lon = np.array([0.0, 0.0, 0.0, 0.5 * r * km, -0.5 * r * km, 0.0])
    pop = np.array([big, 50_000, 50_000, 60_000, 70_000, 3_000_000])
    region = ["US.NY", "US.NY", "US.NY", "US.NJ", "US.NY", "US.NY"]
    # inside and same state: dropped; just outside: kept; inside but across the state line: kept;
    # the 3 M place 1.5 r south is outside the big one's footprint and is a city in its own right
    assert sources.sections(lat, lon, pop, region, density).tolist() == [False, True, False, False, True, False]


def test_new_york_city_is_counted_once_on_the_real_list():
    before = sources.cities("US48")
    after = sources.cities("US48", sections_density=5000)
    # the five boroughs, by name and population (a Manhattan in Kansas keeps its place)
    boroughs = {("Brooklyn", 2736074), ("Queens", 2316841), ("Manhattan", 1487536), ("The Bronx", 1385108)}
    boroughs.add(("Staten Island", 468730))

    def listed(p: Patches) -> set:
        return {(n.split(" (")[0], int(k)) for n, k in zip(p.names, p.population, strict=True)}

    assert boroughs <= listed(before) and not boroughs & listed(after)
    names = {n for n, _ in listed(after)}
    assert {"New York City", "Jersey City", "Newark", "Yonkers", "Chicago", "Los Angeles"} <= names
    assert (before.size, int(before.population.sum())) == (3355, 215_094_693)
    assert (after.size, int(after.population.sum())) == (3027, 190_094_114)
    kept = spec.patches("cities:KR,sections=5000/km2")
    assert kept.size == 135 and "Uijeongbu-si" in kept.names and "Seoul" in kept.names
    with pytest.raises(ScenarioError, match="is not a density"):
        spec.patches("cities:US48,sections=5000")


LINE = """
title: three towns
model: alemi-szr
set: {beta: 2.0, alpha: 0.2}
places: grid:n=1x3,pop=200,spacing=3km
mobility: walk:speed=0.2km/h
moves: {Z: 1}
seed: {city: r0c0, Z: 5}
method: ode
t_end: 5
every: 1
"""


def test_country_ode_tolerances_from_the_file_and_the_command_line(tmp_path: Path, capsys):
    from hyosan.cli import main

    path = tmp_path / "line.yaml"
    path.write_text(LINE + "rtol: 1e-5\n")
    c = country.load(path)
    assert c.rtol == 1e-5 and c.atol is None
    assert outbreak.simulate(c).attrs["rtol"] == 1e-5
    path.write_text(LINE + "rtol: loose\n")
    with pytest.raises(HyosanError, match=r"line.yaml \(rtol\): 'loose'"):
        country.load(path)
    path.write_text(LINE)
    out = tmp_path / "out"
    main(["run", str(path), "--out", str(out), "--rtol", "1e-7", "--animation", "none", "--no-plot"])
    assert json.loads((out / "summary.json").read_text())["engine"] == "patches (ode)"
    import xarray as xr

    with xr.open_dataset(out / "result.nc") as ds:
        assert ds.attrs["rtol"] == 1e-7
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["run", str(path), "--out", str(tmp_path / "no"), "--rtol", "1e-7", "--method", "tau"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.count("\n") == 1 and "--rtol" in err and not (tmp_path / "no").exists()
