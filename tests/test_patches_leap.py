"""The patches engine's ``tau`` (engines/patches/leap.py): hop intervals, per-patch leaps, active patches.

Checked against what does not come from the leap itself: the walk's stationary law (the null vector of
its generator), the exact ``ssa`` kernel, the mean field, and closed forms of interventions.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.sparse as sp

import hyosan
from hyosan.places.patches import Patches


def _line(p: int, pop: int, hop: float, mobility: dict) -> Patches:
    rows, cols = np.r_[np.arange(p - 1), np.arange(1, p)], np.r_[np.arange(1, p), np.arange(p - 1)]
    mv = sp.csr_matrix((np.full(len(rows), hop), (rows, cols)), shape=(p, p))
    return Patches(names=tuple(f"p{i}" for i in range(p)), population=np.full(p, pop), movement=mv, mobility=mobility)


def test_walk_on_uneven_rates_keeps_its_stationary_law_and_every_person() -> None:
    """Exit rates from 0.2 to 40 per day (a hub, a chain, asymmetric rates): the hop step is set by the
    fastest patch; the walk's Euler step must keep the generator's stationary law exactly."""
    rates = {(0, 1): 40.0, (1, 0): 5.0, (0, 2): 10.0, (2, 0): 1.0, (2, 3): 0.5, (3, 2): 0.2, (3, 4): 2.0, (4, 3): 3.0}
    p, n, reps = 5, 20_000, 12
    mv = sp.csr_matrix((list(rates.values()), tuple(np.array(list(rates)).T)), shape=(p, p))
    q = mv.toarray() - np.diag(mv.toarray().sum(axis=1))
    pi = scipy.linalg.null_space(q.T)[:, 0]
    pi = pi / pi.sum()
    places = Patches(names=tuple("abcde"), population=np.full(p, n), movement=mv, mobility={"I": 1.0})
    model = hyosan.load("sir").with_values(S=n, I=0, R=0, beta=0.0, gamma=0.0)
    start = {"c": {"I": n // 2}}
    ds = model.run(engine="patches", patches=places, method="tau", t_end=60, every=30, replicates=reps, seed=3,
                   initial=start)  # fmt: skip
    people = (ds.S_patch + ds.I_patch + ds.R_patch).values
    assert (people.sum(axis=2) == p * n).all() and (ds.I_patch.values >= 0).all()
    walkers = ds.I_patch.isel(time=-1).values
    assert (walkers.sum(axis=1) == n // 2).all()
    # at t = 60 (the slowest relaxation time is under 8 days) the counts are multinomial(n/2, pi):
    # 5 standard errors of the replicate mean (sd from that law) plus 1 walker
    se = np.sqrt(n / 2 * pi * (1 - pi) / reps)
    assert (np.abs(walkers.mean(axis=0) - n / 2 * pi) <= 5 * se + 1).all(), (walkers.mean(axis=0), n / 2 * pi)


def test_fast_front_matches_the_exact_ssa_patch_by_patch() -> None:
    """Alemi's SZR growing at 9.6 per day in a line of 10 cities, zombies walking: the day each city
    falls on tau, patch by patch, against the exact kernel."""
    model = hyosan.load("alemi-szr").with_values(beta=48.0, alpha=0.8)
    places = _line(10, 20_000, 0.3, {"Z": 1.0})
    kw = dict(engine="patches", patches=places, t_end=5, every=0.25, initial={"p0": {"Z": 20}}, replicates=16)
    exact = model.run(method="ssa", seed=1, **kw).time_of_fall.values
    leapt = model.run(method="tau", seed=2, **kw).time_of_fall.values
    assert not np.isnan(exact).any() and not np.isnan(leapt).any()
    reps = exact.shape[0]
    se = np.sqrt(exact.var(axis=0, ddof=1) / reps + leapt.var(axis=0, ddof=1) / reps)
    # 4 standard errors of the difference of two means, plus 0.05 day for the O(H) splitting (measured on
    # 24 cities, 20 replicates: within 0.05 day of the exact mean at every city)
    gap = np.abs(leapt.mean(axis=0) - exact.mean(axis=0))
    assert (gap <= 4 * se + 0.05).all(), (leapt.mean(axis=0), exact.mean(axis=0), se)


def test_tau_with_mixing_approaches_its_mean_field() -> None:
    """Patch b catches the infection only through mixing with a (no one moves)."""
    n, reps = 20_000, 24
    model = hyosan.load("sir").with_values(S=n, I=0, R=0, beta=0.3, gamma=0.1)
    mixing = sp.csr_matrix(np.array([[0.9, 0.1], [0.3, 0.7]]))
    places = Patches(names=("a", "b"), population=np.array([n, n]), mixing=mixing)
    kw = dict(engine="patches", patches=places, t_end=40, every=10, initial={"a": {"I": 200}})
    ode = model.run(method="ode", **kw)
    ds = model.run(method="tau", replicates=reps, seed=7, **kw)
    assert ((ds.S_patch + ds.I_patch + ds.R_patch).values == n).all()
    for c in ("S", "I"):
        mean = ds[f"{c}_patch"].mean("replicate").values
        se = ds[f"{c}_patch"].std("replicate").values / math.sqrt(reps)
        # 4 standard errors, plus 0.5 % of a patch for the O(1/N) gap between the mean and the mean field
        assert (np.abs(mean - ode[f"{c}_patch"].values[0]) <= 4 * se + 0.005 * n).all(), c


def test_cordon_holds_exactly_on_tau_and_frozen_patches_stay_as_they_were() -> None:
    model = hyosan.load("sir").with_values(S=200, I=0, R=0, beta=0.5, gamma=0.1)
    places = _line(8, 200, 0.2, {"S": 1.0, "I": 1.0})
    cordon = {"name": "martial law", "at": 3, "cordon": {"patches": ["p0", "p1"], "mixing": True}}
    kw = dict(engine="patches", patches=places, method="tau", t_end=60, every=1, replicates=40, seed=5)
    sealed = model.run(interventions=[cordon], initial={"p0": {"I": 5}}, **kw)
    arrival = sealed.first_arrival.values[:, 2:]
    clean = np.all(np.isnan(arrival) | (arrival > 3), axis=1)
    assert clean.sum() > 5
    assert np.isnan(arrival[clean]).all()
    assert (sealed.I_patch.values[clean][:, 3:, 2:] == 0).all()
    assert (sealed.R_patch.values[clean][:, :, 2:] == 0).all()
    # outside the cordon nobody is ever infected, but people still walk there: counts move, totals stay
    outside = (sealed.S_patch.values[clean][:, :, 2:]).sum(axis=2)
    assert (outside[:, 3:] == outside[:, 3:4]).all()


def test_a_rate_set_at_a_known_time_is_honoured_exactly() -> None:
    """beta set to 0 at t = 5: from then on no one is infected, in any patch, in any replicate."""
    model = hyosan.load("sir").with_values(S=5000, I=0, R=0, beta=0.6, gamma=0.1)
    places = _line(4, 5000, 0.5, {"I": 1.0})
    stop = {"name": "stop", "at": 5, "set": {"beta": 0}}
    ds = model.run(engine="patches", patches=places, method="tau", t_end=20, every=0.5, replicates=6, seed=9,
                   interventions=[stop], initial={"p0": {"I": 50}})  # fmt: skip
    s = ds.S_patch.sum("patch")
    assert (s.sel(time=slice(5, None)) == s.sel(time=5)).all()
    assert (s.sel(time=5) < s.sel(time=0)).all()  # it was spreading before
