"""The network engine against network theory: the EBCM epidemic curve and the epidemic threshold.

Closed forms: the edge-based compartmental model (Miller, Slim & Volz 2012) for the curve and final
size on configuration-model graphs; for the threshold, the branching process on a random k-regular
graph (locally a tree): a case infectious for D ~ Exp(gamma) infects each of its k (the seed) or k - 1
(later cases) susceptible neighbours with probability p(D) = 1 - exp(-tau D) (mean T = tau / (tau +
gamma)), so below T (k - 1) = 1 the mean outbreak is 1 + kT / (1 - (k - 1)T), and above it a major
outbreak happens with probability 1 - E[(1 - p(D) + p(D) q)^k], where q = E[(1 - p(D) + p(D) q)^(k - 1)]
(the transmissions of one case are not independent: they share its D), and reaches the EBCM size.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq

import hyosan
from hyosan.analysis.ebcm import curve, final_size, network_r0, transmissibility
from hyosan.graphs import graph

N = 20_000
GAMMA = 0.1


def _run(g, tau: float, seeds: int, replicates: int, t_end: float, every: float = 5.0, seed: int = 1):
    model = hyosan.load("sir").with_values({"gamma": GAMMA})
    return model.run(engine="network", graph=g, edge_rates={"infection": tau}, seed_nodes=f"random:{seeds}",
                     t_end=t_end, every=every, replicates=replicates, seed=seed, workers=1)  # fmt: skip


def test_the_epidemic_curve_matches_the_ebcm() -> None:
    """Poisson degrees of mean 5, T = 0.5 (R0 about 2.5), 1% seeded at random. At each report time the
    mean over 8 replicates is within 4 of its standard errors plus 1/sqrt(N) (the EBCM is N -> infinity)."""
    g = graph(f"config:n={N},k=5,dist=poisson")
    tau = GAMMA
    ds = _run(g, tau, N // 100, 8, t_end=80, every=10)
    theory = curve(g.degrees, tau, GAMMA, 0.01, ds.time.values)
    for c in "SIR":
        frac = ds[c].values / N
        se = frac.std(axis=0, ddof=1) / np.sqrt(frac.shape[0])
        gap = np.abs(frac.mean(axis=0) - theory[c])
        assert (gap < 4 * se + 1 / np.sqrt(N)).all(), (c, gap, se)
    assert theory["R"][-1] == pytest_approx(final_size(g.degrees, transmissibility(tau, GAMMA), 0.01).attack)


def pytest_approx(x: float):
    import pytest

    return pytest.approx(x, abs=2e-3)  # the curve at t = 80 is within 0.002 of its end


def test_below_the_threshold_outbreaks_stay_small_with_the_branching_mean() -> None:
    """4-regular, T = 0.2: T x mean excess degree = 0.6 < 1; the mean final size from one seed is
    1 + 4T / (1 - 3T) = 3 (1,000 replicates, 4 standard errors)."""
    g = graph(f"config:n={N},k=4,dist=regular")
    T = 0.2
    assert network_r0(g.degrees, T) < 1
    ds = _run(g, GAMMA * T / (1 - T), 1, 1000, t_end=400, every=400)
    size = ds["R"].isel(time=-1).values + ds["I"].isel(time=-1).values
    expected = 1 + 4 * T / (1 - 3 * T)
    assert abs(size.mean() - expected) < 4 * size.std(ddof=1) / np.sqrt(len(size)), size.mean()
    assert size.max() < 0.01 * N


def test_above_the_threshold_a_giant_outbreak_of_the_ebcm_size_with_the_branching_probability() -> None:
    """4-regular, T = 0.5: T x mean excess degree = 1.5 > 1. Over 200 one-seed replicates, the share of
    major outbreaks (over 1% of the nodes) is the branching probability within 4 binomial standard
    errors, and their mean size is the EBCM final size within 4 standard errors plus 1/sqrt(N)."""
    g = graph(f"config:n={N},k=4,dist=regular")
    T, reps = 0.5, 200
    assert network_r0(g.degrees, T) > 1
    tau = GAMMA * T / (1 - T)
    ds = _run(g, tau, 1, reps, t_end=2000, every=2000, seed=2)
    size = ds["R"].isel(time=-1).values / N
    major = size > 0.01

    def mixed(q: float, k: int) -> float:
        def f(d: float) -> float:
            p = 1 - np.exp(-tau * d)
            return (1 - p + p * q) ** k * GAMMA * np.exp(-GAMMA * d)

        return quad(f, 0, np.inf, epsabs=1e-12)[0]

    q = brentq(lambda q: mixed(q, 3) - q, 0.0, 1 - 1e-9)
    p_major = 1 - mixed(q, 4)
    assert abs(major.mean() - p_major) < 4 * np.sqrt(p_major * (1 - p_major) / reps), (major.mean(), p_major)
    assert size[~major].max() < 0.005 and size[major].min() > 0.2  # nothing of middling size
    theory = final_size(g.degrees, T, 0.0).attack
    se = size[major].std(ddof=1) / np.sqrt(major.sum())
    assert abs(size[major].mean() - theory) < 4 * se + 1 / np.sqrt(N), (size[major].mean(), theory)
