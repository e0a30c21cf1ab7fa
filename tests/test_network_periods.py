"""Non-Markovian periods on the network engine against exact distributions computed in the test.

On a star seeded at its centre, each leaf is infected independently given the centre's infectious
period D (a leaf's only neighbour is the centre, already infected), so the number of infected leaves
is a Binomial(L, 1 - exp(-r D)) mixed over the law of D: exactly binomial for a fixed period,
over-dispersed for a gamma one (computed here by quadrature)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats
from tests.test_network import _chi2

import hyosan
from hyosan.errors import EngineError
from hyosan.graphs import from_edges


def _star(leaves: int):
    return from_edges(np.zeros(leaves, dtype=np.int64), np.arange(1, leaves + 1), leaves + 1)


def _leaves_infected(period: str, leaves: int, rate: float, reps: int, seed: int) -> np.ndarray:
    model = hyosan.load("sir")
    ds = model.run(
        engine="network", graph=_star(leaves), seed_nodes="ids:0", edge_rates={"infection": rate},
        periods={"recovery": period}, t_end=1000, replicates=reps, seed=seed, workers=1,
    )  # fmt: skip
    assert (ds["I"].isel(time=-1).values == 0).all()
    return ds["R"].isel(time=-1).values - 1


def test_fixed_period_on_a_star_gives_exactly_binomial_leaves():
    leaves, rate, d = 8, 0.1, 4.0
    got = _leaves_infected(f"fixed:{d}", leaves, rate, 3000, 1)
    exact = stats.binom.pmf(np.arange(leaves + 1), leaves, 1 - math.exp(-rate * d))
    # chi-square at the 0.1% level over 3000 replicates (fails by chance once in a thousand seeds)
    assert _chi2(np.bincount(got, minlength=leaves + 1).astype(float), exact) > 1e-3


def test_gamma_period_on_a_star_gives_the_gamma_mixed_binomial():
    leaves, rate, mean, shape = 8, 0.1, 4.0, 2.0
    got = _leaves_infected(f"gamma:{mean},{shape}", leaves, rate, 3000, 2)
    law = stats.gamma(shape, scale=mean / shape)
    exact = np.array([
        integrate.quad(lambda x, k=k: stats.binom.pmf(k, leaves, 1 - math.exp(-rate * x)) * law.pdf(x), 0, np.inf)[0]
        for k in range(leaves + 1)
    ])  # fmt: skip
    observed = np.bincount(got, minlength=leaves + 1).astype(float)
    assert _chi2(observed, exact) > 1e-3
    # and the fixed-period binomial of the same mean is rejected by the same data (the test can fail)
    assert _chi2(observed, stats.binom.pmf(np.arange(leaves + 1), leaves, 1 - math.exp(-rate * mean))) < 1e-3


def test_lognormal_period_on_one_edge_transmits_with_the_laplace_transform_probability():
    mean, sd, rate, reps = 5.0, 2.0, 0.1, 4000
    got = _leaves_infected(f"lognormal:{mean},{sd}", 1, rate, reps, 3)
    s2 = math.log1p((sd / mean) ** 2)
    law = stats.lognorm(math.sqrt(s2), scale=math.exp(math.log(mean) - s2 / 2))
    p = 1 - integrate.quad(lambda x: math.exp(-rate * x) * law.pdf(x), 0, np.inf)[0]
    assert abs(got.mean() - p) < 4 * math.sqrt(p * (1 - p) / reps)  # 4 binomial standard errors


@pytest.mark.parametrize(
    ("periods", "words"),
    [
        ({"infection": "fixed:3"}, "only a node transition"),
        ({"recovery": "weibull:3"}, "write fixed:D"),
        ({"recovery": "gamma:3"}, "takes 2 values"),
        ({"recovery": "fixed:-3"}, "positive"),
        ({"recovry": "fixed:3"}, "no transition 'recovry'"),
    ],
)
def test_periods_that_cannot_be_honoured_are_refused(periods, words):
    with pytest.raises(EngineError) as err:
        hyosan.load("sir").run(engine="network", graph="complete:n=20", periods=periods, t_end=10)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_a_period_on_a_state_with_competing_node_transitions_is_refused():
    with pytest.raises(EngineError, match="competing"):
        hyosan.load("munz-sizr").run(engine="network", graph="complete:n=20", periods={"turning": "fixed:1"}, t_end=1)
