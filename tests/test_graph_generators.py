"""The fast Erdős–Rényi generator (geometric skipping in Numba) against the law of G(n, p)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from hyosan.graphs import graph


def test_er_degree_distribution_is_binomial():
    # in G(n, p) each degree is Binomial(n - 1, p); across nodes the degrees are nearly independent
    # (each pair is shared by two nodes), so a chi-square on 50,000 degrees at the 0.1% level fails by
    # chance about once in a thousand seeds; a generator that skipped pairs wrongly shifts the law
    n, k = 50_000, 6.0
    g = graph(f"er:n={n},k={k},seed=7")
    p = k / (n - 1)
    assert g.indices.dtype == np.int32 and g.edges * 2 == len(g.indices)
    observed = np.bincount(g.degrees)
    expected = stats.binom.pmf(np.arange(len(observed)), n - 1, p) * n
    obs, exp, o, e = [], [], 0.0, 0.0
    for a, b in zip(observed, expected, strict=True):  # pool bins under 5 expected into the next
        o, e = o + a, e + b
        if e >= 5:
            obs, exp, o, e = [*obs, o], [*exp, e], 0.0, 0.0
    obs[-1] += o
    exp[-1] += e + n - expected.sum()  # the tail beyond the largest degree seen
    assert stats.chisquare(obs, exp).pvalue > 1e-3


def test_er_pairs_are_each_present_with_probability_p():
    # every pair u < v equally likely: edges between the first and second half of the nodes are a
    # Binomial((n/2)^2, p) count (5 standard deviations), and no pair appears twice (checked by CSR build)
    n, k = 4000, 10.0
    g = graph(f"er:n={n},k={k},seed=3")
    p = k / (n - 1)
    src = np.repeat(np.arange(n), g.degrees)
    cross = np.sum((src < n // 2) & (g.indices >= n // 2))
    m = (n // 2) ** 2
    assert abs(cross - m * p) < 5 * np.sqrt(m * p * (1 - p))
