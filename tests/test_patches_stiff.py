"""The stiff path of the patches mean field: BDF/Radau with the sparse Jacobian (engines/patches/jacobian.py)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp

import hyosan
from hyosan.engines.patches.jacobian import local_jacobian, movement_jacobian
from hyosan.places.patches import Patches

BETA, GAMMA = 0.5, 0.1


def sir_rhs(t: float, X: np.ndarray, E: np.ndarray, Ne: np.ndarray) -> np.ndarray:
    """The SIR rates per patch as the patches engine defines them: S's partner I read from E, N from Ne."""
    inf = BETA * X[:, 0] * E[:, 1] / Ne
    return np.stack([-inf, inf - GAMMA * X[:, 1], GAMMA * X[:, 1]], axis=1)


def test_jacobian_matches_central_differences_with_mixing_and_movement() -> None:
    rng = np.random.default_rng(3)
    P, C = 5, 3
    X = rng.uniform(10, 1000, size=(P, C))
    mix = rng.uniform(size=(P, P)) * (rng.uniform(size=(P, P)) < 0.5) + np.eye(P)
    mix = sp.csr_matrix(mix / mix.sum(axis=1, keepdims=True))
    mv = sp.csr_matrix(rng.uniform(0, 50, size=(P, P)) * (1 - np.eye(P)))
    out = np.asarray(mv.sum(axis=1)).ravel()
    mob = np.array([0.3, 1.0, 0.0])
    popmask = np.ones(C, dtype=bool)

    def full(y: np.ndarray) -> np.ndarray:
        Y = y.reshape(P, C)
        n = Y.sum(axis=1)
        F = Y * mob
        return (sir_rhs(0.0, Y, mix @ Y, mix @ n) - F * out[:, None] + mv.T @ F).ravel()

    J = (local_jacobian(sir_rhs, 0.0, X, mix, popmask) + movement_jacobian(mv, out, mob)).toarray()
    y, h = X.ravel(), 1e-4
    ref = np.stack([(full(y + h * e) - full(y - h * e)) / (2 * h) for e in np.eye(P * C)], axis=1)
    # forward differences with a relative step of 1.5e-8 carry an error near 1e-7 of the entries' scale
    assert np.abs(J - ref).max() < 1e-5 * max(1.0, np.abs(ref).max())


def test_bdf_with_sparse_jacobian_matches_a_dense_reference_on_a_stiff_walk() -> None:
    """Four patches in a ring hopping at 200/day (stiff) with mixing; the reference is written out here."""
    P, hop = 4, 200.0
    rows, cols = np.r_[np.arange(P), np.arange(P)], np.r_[np.arange(1, P + 1) % P, np.arange(-1, P - 1) % P]
    ring = sp.csr_matrix((np.full(2 * P, hop), (rows, cols)), shape=(P, P))
    mix = sp.csr_matrix(0.8 * np.eye(P) + 0.2 / P)
    pop = np.array([1000, 2000, 500, 4000])
    places = Patches(names=tuple("abcd"), population=pop, movement=ring, mixing=mix, mobility={"I": 1.0})
    model = hyosan.load("sir").with_values(S=1000, I=0, R=0, beta=BETA, gamma=GAMMA)
    kw = {"engine": "patches", "patches": places, "method": "ode", "t_end": 60, "every": 1, "initial": {"a": {"I": 10}}}
    ds = model.run(**kw, solver="BDF", rtol=1e-9, atol=1e-12)

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        Y = y.reshape(P, 3)
        n = Y.sum(axis=1)
        d = sir_rhs(t, Y, mix @ Y, mix @ n)
        d[:, 1] += ring.T @ Y[:, 1] - hop * 2 * Y[:, 1]
        return d.ravel()

    y0 = np.stack([pop, np.zeros(P), np.zeros(P)], axis=1).astype(float)
    y0[0] = [990, 10, 0]
    ref = solve_ivp(rhs, (0, 60), y0.ravel(), method="Radau", t_eval=np.arange(61), rtol=1e-11, atol=1e-9)
    got = np.stack([ds[f"{c}_patch"].values[0] for c in "SIR"], axis=-1).reshape(61, -1)
    assert ds.attrs["solver"] == "BDF"
    # both solvers hold a relative error near their rtol; 1e-4 people of 7,500 leaves room for both
    assert np.abs(got - ref.y.T).max() < 1e-4 * 10
    assert np.allclose(got.reshape(61, P, 3).sum(axis=(1, 2)), pop.sum(), rtol=1e-9)


def test_auto_solver_picks_by_size() -> None:
    model = hyosan.load("sir").with_values(S=990, I=10, R=0)
    one = Patches(names=("x",), population=np.array([1000]))
    ds = model.run(engine="patches", patches=one, method="ode", t_end=5, every=1)
    assert ds.attrs["solver"] == "LSODA"


def test_missing_patches_message_suggests_specs_the_parsers_accept() -> None:
    import re

    import pytest

    from hyosan.errors import HyosanError
    from hyosan.places import spec

    with pytest.raises(HyosanError) as err:
        hyosan.load("sir").run(engine="patches", method="ode", t_end=1)
    text = str(err.value)
    assert "\n" not in text and "hop=" not in text
    grid = re.search(r"--patches (\S+)", text).group(1)
    walk = re.search(r"--mobility (\S+)", text).group(1)
    places = spec.patches(grid)
    assert places.size == 100
    assert spec.mobility(walk, places)[0].nnz > 0


def test_tau_with_fast_hops_keeps_the_ode_means() -> None:
    """Infectious walk at 50/day (leap ~0.003 d: each leap moves ~15 % of them); the split stays on the mean field."""
    import math

    n, p, reps, hop = 20_000, 3, 24, 50.0
    rows, cols = np.r_[np.arange(p - 1), np.arange(1, p)], np.r_[np.arange(1, p), np.arange(p - 1)]
    mv = sp.csr_matrix((np.full(len(rows), hop), (rows, cols)), shape=(p, p))
    places = Patches(names=("a", "b", "c"), population=np.full(p, n), movement=mv, mobility={"I": 1.0})
    model = hyosan.load("sir").with_values(S=n, I=0, R=0, beta=0.3, gamma=0.1)
    kw = {"engine": "patches", "patches": places, "t_end": 40, "every": 10, "initial": {"a": {"I": 200}}}
    ode = model.run(method="ode", **kw)
    ds = model.run(method="tau", replicates=reps, seed=5, **kw)
    assert ((ds.S_patch + ds.I_patch + ds.R_patch).sum("patch").values == p * n).all()
    for c in ("S", "I"):
        mean = ds[f"{c}_patch"].mean("replicate").values
        se = ds[f"{c}_patch"].std("replicate").values / math.sqrt(reps)
        # fixed seed; 4 standard errors plus 0.5 % of a patch for the O(1/N) gap and the O(tau) splitting error
        assert (np.abs(mean - ode[f"{c}_patch"].values[0]) <= 4 * se + 0.005 * n).all(), c
