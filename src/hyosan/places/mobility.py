"""How people move between patches: gravity, radiation and walking, as sparse per-capita hop rates.

Each builder returns the (P, P) CSR matrix ``movement`` of :class:`~hyosan.places.patches.Patches`:
``movement[i, j]`` is the rate (per person per day) at which someone in patch ``i`` hops to ``j``.
Distances are great-circle (haversine) km. Neighbours come from a k-d tree over points on the unit
sphere (k nearest, or all within a radius), so 34,000 cities never need a dense P x P matrix.

- :func:`gravity`: flux ``F_ij = m_i^a m_j^b / d_ij^g`` over the k nearest neighbours (made mutual),
  scaled so that the whole population travels at ``rate`` per person per day on average:
  ``sum_ij m_i movement[i, j] = rate * sum_i m_i``. With ``a == b`` the fluxes are symmetric.
- :func:`radiation`: Simini et al. (2012), ``T_ij = T_i m_i n_j / ((m_i + s_ij)(m_i + n_j + s_ij))``
  with ``T_i = rate * m_i`` and ``s_ij`` the people living closer to ``i`` than ``j`` is (neither ``i``
  nor ``j``). Over all destinations the fractions telescope to ``1 - m_i / M`` (M everyone); hyosan
  divides by that sum over the destinations kept (the finite-size correction of Masucci et al. 2013),
  so each place sends out exactly ``T_i``. Places equally far are ranked by index.
- :func:`walk`: a walker leaves place ``i`` at the total rate ``speed / L_i``, ``L_i`` the mean
  distance to its neighbours, and picks one neighbour uniformly; neighbours are the Gabriel graph of
  the places (or, with ``radius``, every place within it). Derived in :func:`walk`'s docstring.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from hyosan.errors import ScenarioError
from hyosan.places.patches import Patches
from hyosan.places.sources import EARTH_KM, haversine


def _points(patches: Patches, what: str) -> np.ndarray:
    if patches.lat is None or patches.lon is None:
        raise ScenarioError(
            f"{what}: the patches have no positions (lat, lon); build them from cities, a table or a grid"
        )
    lat, lon = np.radians(patches.lat), np.radians(patches.lon)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def nearest(patches: Patches, k: int, what: str = "mobility") -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest other patches of each patch, nearest first: indices and km, both (P, k)."""
    n = patches.size
    k = min(int(k), n - 1)
    if k < 1:
        return np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0))
    tree = cKDTree(_points(patches, what))
    _, idx = tree.query(_points(patches, what), k=k + 1)
    idx = np.asarray(idx).reshape(n, k + 1)
    keep = np.argsort(idx == np.arange(n)[:, None], axis=1, kind="stable")[:, :k]
    idx = np.take_along_axis(idx, keep, axis=1)
    dist = haversine(patches.lat[:, None], patches.lon[:, None], patches.lat[idx], patches.lon[idx])
    order = np.lexsort((idx, dist), axis=-1)
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(dist, order, axis=1)


def within(patches: Patches, radius_km: float, what: str = "walk") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i, j), i != j, at most ``radius_km`` apart, with their distance in km."""
    pts = _points(patches, what)
    chord = 2.0 * np.sin(min(radius_km / (2.0 * EARTH_KM), np.pi / 2))
    tree = cKDTree(pts)
    pairs = tree.query_pairs(chord * (1 + 1e-12), output_type="ndarray")
    i = np.concatenate([pairs[:, 0], pairs[:, 1]]).astype(np.int64)
    j = np.concatenate([pairs[:, 1], pairs[:, 0]]).astype(np.int64)
    d = haversine(patches.lat[i], patches.lon[i], patches.lat[j], patches.lon[j])
    ok = d <= radius_km * (1 + 1e-9)
    return i[ok], j[ok], d[ok]


def _positive(value: float, what: str, example: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ScenarioError(f"{what}: {value!r} must be a finite number >= 0, e.g. {example}")
    return value


def gravity(
    patches: Patches, rate: float, a: float = 1.0, b: float = 1.0, g: float = 2.0, k: int = 30, min_km: float = 1.0
) -> sp.csr_matrix:
    """Gravity-model hop rates (see the module docstring); ``rate`` per person per day, distances
    below ``min_km`` count as ``min_km`` (two places at one point would otherwise attract infinitely)."""
    rate = _positive(rate, "gravity: rate", "rate=0.05/d")
    for name, v in (("a", a), ("b", b), ("g", g)):
        _positive(v, f"gravity: {name}", f"{name}=1")
    if not min_km > 0:
        raise ScenarioError("gravity: min distance must be > 0 km, e.g. min=1km")
    n = patches.size
    idx, dist = nearest(patches, k, "gravity")
    rows = np.repeat(np.arange(n), idx.shape[1])
    pairs = sp.coo_matrix((np.maximum(dist.ravel(), min_km), (rows, idx.ravel())), shape=(n, n)).tocsr()
    pairs = pairs.maximum(pairs.T).tocoo()
    m = patches.population.astype(float)
    i, j, d = pairs.row, pairs.col, pairs.data
    with np.errstate(divide="ignore", invalid="ignore"):
        per_capita = np.where(m[i] > 0, m[i] ** (a - 1.0) * m[j] ** b / d**g, 0.0)
    flux = per_capita * m[i]
    total = flux.sum()
    scale = rate * m.sum() / total if total > 0 else 0.0
    return sp.csr_matrix((per_capita * scale, (i, j)), shape=(n, n))


def radiation_fractions(patches: Patches, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Simini's unnormalised fractions ``m_i n_j / ((m_i + s_ij)(m_i + n_j + s_ij))`` to the ``k``
    nearest destinations (all when None): destination indices and fractions, both (P, k)."""
    n = patches.size
    idx, _ = nearest(patches, n - 1 if k is None else k, "radiation")
    m = patches.population.astype(float)
    dest = m[idx]
    s = np.cumsum(dest, axis=1) - dest
    mi = m[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(mi > 0, mi * dest / ((mi + s) * (mi + dest + s)), 0.0)
    return idx, frac


def radiation(patches: Patches, rate: float, k: int | None = 50) -> sp.csr_matrix:
    """Radiation-model hop rates: each place sends ``rate`` per person per day, split by Simini's law
    over its ``k`` nearest places (all when None), normalised over those (see the module docstring).
    A place whose kept destinations are all empty sends nobody."""
    rate = _positive(rate, "radiation: rate", "rate=0.05/d")
    n = patches.size
    idx, frac = radiation_fractions(patches, k)
    total = frac.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, frac / total, 0.0)
    rows = np.repeat(np.arange(n), idx.shape[1])
    out = sp.csr_matrix((rate * share.ravel(), (rows, idx.ravel())), shape=(n, n))
    out.eliminate_zeros()
    return out


def spanning_pairs(patches: Patches) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both directions of the edges of the minimum spanning tree of great-circle distances (the tree
    lies in the spherical Delaunay triangulation, the convex hull of the points on the unit sphere)."""
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial import ConvexHull, QhullError

    n = patches.size
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    try:
        faces = ConvexHull(_points(patches, "walk")).simplices
        a = np.concatenate([faces[:, 0], faces[:, 1], faces[:, 2]])
        b = np.concatenate([faces[:, 1], faces[:, 2], faces[:, 0]])
    except (QhullError, ValueError):  # too few or degenerate (collinear) points: every pair
        a, b = np.triu_indices(n, 1)
    d = haversine(patches.lat[a], patches.lon[a], patches.lat[b], patches.lon[b])
    tree = minimum_spanning_tree(sp.coo_matrix((np.maximum(d, 1e-9), (a, b)), shape=(n, n)).tocsr()).tocoo()
    i, j = tree.row.astype(np.int64), tree.col.astype(np.int64)
    dist = haversine(patches.lat[i], patches.lon[i], patches.lat[j], patches.lon[j])
    return np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([dist, dist])


def gabriel_pairs(patches: Patches, k: int = 16) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both directions of the edges of the Gabriel graph of the places, with their length in km.

    ``i`` and ``j`` are Gabriel neighbours when no other place lies in the ball whose diameter is the
    chord ``ij`` (on the unit sphere: the spherical disc with diameter ``ij``); a place exactly on its
    rim also blocks it, so a square grid keeps its four axis neighbours and drops the diagonals. The
    graph is a subgraph of the Delaunay triangulation (mean degree about 4 in the plane), holds the
    minimum spanning tree (so every place is reachable) and never jumps over a place lying between two
    others. Candidates: each place's ``k`` nearest and the spanning tree's edges.
    """
    n = patches.size
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    pts = _points(patches, "walk")
    idx, _ = nearest(patches, k, "walk")
    tree_i, tree_j, _ = spanning_pairs(patches)
    a = np.concatenate([np.repeat(np.arange(n), idx.shape[1]), tree_i])
    b = np.concatenate([idx.ravel(), tree_j])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = np.unique(lo * n + hi)
    a, b = key // n, key % n
    mid = 0.5 * (pts[a] + pts[b])
    half = 0.5 * np.linalg.norm(pts[a] - pts[b], axis=1)
    inside = cKDTree(pts).query_ball_point(mid, half * (1 + 1e-9), return_length=True)
    keep = np.asarray(inside) <= 2  # only the two ends themselves
    a, b = a[keep], b[keep]
    d = haversine(patches.lat[a], patches.lon[a], patches.lat[b], patches.lon[b])
    return np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([d, d])


def walk(
    patches: Patches,
    speed_km_per_day: float,
    radius_km: float | None = None,
    k: int = 0,
    connect: bool = False,
    min_km: float = 0.0,
    step_km: float | None = None,
) -> sp.csr_matrix:
    """Walking hop rates (per day): a walker leaves place ``i`` at the total rate ``speed / L_i``, with
    ``L_i`` the mean distance from ``i`` to its neighbours, and goes to one of its ``k_i`` neighbours
    chosen uniformly, so ``movement[i, j] = speed / (k_i L_i) = speed / sum_j d_ij``.

    Why: a walker covers ``speed`` km a day, so the trip to a neighbour ``d`` km away takes ``d / speed``
    days; with exponential holding times the mean time spent per trip is ``1 / (total rate) = L_i /
    speed``, the mean trip length over the uniform choice divided by the speed. When all neighbours
    lie ``d`` away (a line or grid of equally spaced places) each hop takes ``d / speed`` on average,
    the walking speed exactly; on a square grid of spacing ``a`` the hops are ``a`` long at rate
    ``speed / a``, so the mean squared displacement grows as ``speed * a * t``: the diffusion
    coefficient is ``D = speed * a / 4`` (``speed * a / 2`` on a line). The total rate does not grow
    with the number of neighbours: a walker in a dense region leaves no faster than one can walk.

    With ``step_km`` = ℓ the walker wanders instead of heading straight for the next place: it turns
    at random every ℓ km (Alemi et al.'s zombies step between 2-mile cells), so its diffusion
    coefficient is ``D = speed ℓ / 4`` whatever the spacing of the places, and reaching a place
    ``d > ℓ`` away takes about ``d² / (speed ℓ)``. The total rate becomes ``min(speed / L_i, speed ℓ /
    M_i)``, ``M_i`` the mean squared distance to the neighbours: each hop's squared length then adds
    ``speed ℓ`` per day to the mean squared displacement (``speed · a`` below ℓ, on a grid of spacing a).

    Neighbours are the Gabriel graph (:func:`gabriel_pairs`), or, with ``radius_km``, every place within
    it, plus the ``k`` nearest however far and, with ``connect``, the minimum spanning tree's edges.
    Distances below ``min_km`` count as ``min_km`` (places are not points: the walk between twin towns
    takes the time to cross them).
    """
    speed = _positive(speed_km_per_day, "walk: speed", "speed=5km/h")
    if radius_km is not None and not radius_km > 0:
        raise ScenarioError(f"walk: radius {radius_km!r} km must be positive, e.g. radius=3km")
    n = patches.size
    if radius_km is None:
        i, j, d = gabriel_pairs(patches)
    else:
        i, j, d = within(patches, radius_km)
    if k:
        idx, dist = nearest(patches, k, "walk")
        rows = np.repeat(np.arange(n), idx.shape[1])
        i = np.concatenate([i, rows, idx.ravel()])
        j = np.concatenate([j, idx.ravel(), rows])
        d = np.concatenate([d, dist.ravel(), dist.ravel()])
    if connect:
        a, b, dist = spanning_pairs(patches)
        i, j, d = np.concatenate([i, a]), np.concatenate([j, b]), np.concatenate([d, dist])
    keep = np.unique(i * n + j, return_index=True)[1]
    i, j, d = i[keep], j[keep], d[keep]
    d = np.maximum(d, min_km)
    if np.any(d <= 0):
        raise ScenarioError("walk: two patches share one position; a walk between them would be instant (set min=1km)")
    total = np.bincount(i, weights=d, minlength=n)
    rate = speed / total[i]  # speed / (k_i L_i)
    if step_km is not None:
        if not (np.isfinite(step_km) and step_km > 0):
            raise ScenarioError(f"walk: step {step_km!r} km must be positive, e.g. step=3.2km")
        square = np.bincount(i, weights=d * d, minlength=n)
        rate = np.minimum(rate, speed * step_km / square[i])  # speed ℓ / (k_i M_i)
    return sp.csr_matrix((rate, (i, j)), shape=(n, n))


def couple(
    patches: Patches,
    movement: sp.csr_matrix | None = None,
    mobility: Mapping[str, float] | None = None,
    mixing: sp.csr_matrix | None = None,
    description: str = "",
) -> Patches:
    """``patches`` with the given couplings (and one more clause in the description)."""
    changes: dict = {}
    if movement is not None:
        changes["movement"] = movement.tocsr()
    if mobility is not None:
        for name, value in mobility.items():
            _positive(value, f"mobility {name}", f"{name}: 1")
        changes["mobility"] = dict(mobility)
    if mixing is not None:
        changes["mixing"] = mixing.tocsr()
    if description:
        changes["description"] = "; ".join(p for p in (patches.description, description) if p)
    return dataclasses.replace(patches, **changes)
