"""The node-keyed kernel (engines/network/frontier.py) is the same process as the general kernel:
final-size and prevalence distributions compared by a two-sample chi-square test, for SIR, SEIR
with a gamma latent period, SIS and a weighted graph; the condition under which it is used."""

from __future__ import annotations

import numpy as np
from scipy import stats

import hyosan
from hyosan.engines.network import frontier
from hyosan.engines.network.rules import tables
from hyosan.graphs import from_edges, graph

REPS = 1500


def _two_sample(a: np.ndarray, b: np.ndarray) -> float:
    """p-value of the chi-square test that two samples of whole numbers share one law; values are
    pooled, in order, into bins of at least 10 expected per sample (the test's usual validity rule)."""
    values = np.union1d(a, b)
    ca = np.array([np.sum(a == x) for x in values], dtype=float)
    cb = np.array([np.sum(b == x) for x in values], dtype=float)
    rows, oa, ob = [], 0.0, 0.0
    for x, y in zip(ca, cb, strict=True):
        oa, ob = oa + x, ob + y
        if oa + ob >= 20:
            rows.append((oa, ob))
            oa = ob = 0.0
    if oa + ob:
        rows[-1] = (rows[-1][0] + oa, rows[-1][1] + ob)
    if len(rows) < 2:
        return 1.0
    return float(stats.chi2_contingency(np.array(rows).T)[1])


def _both(monkeypatch, model, **options) -> tuple:
    """The runs on the node-keyed kernel and, forced, on the general one."""
    fast = model.run(engine="network", replicates=REPS, seed=21, workers=1, **options)
    with monkeypatch.context() as m:
        m.setattr(frontier, "applies", lambda *_: False)
        slow = model.run(engine="network", replicates=REPS, seed=22, workers=1, **options)
    return fast, slow


def _same(a: np.ndarray, b: np.ndarray) -> None:
    """Two samples of one law: chi-square at the 0.1% level (fails by chance once in a thousand seeds)
    and means within 4 standard errors of their difference (from the two sample variances)."""
    assert _two_sample(a, b) > 1e-3
    assert abs(a.mean() - b.mean()) < 4 * np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))


def test_the_condition_picks_models_whose_pair_transitions_cannot_be_undone():
    g = graph("er:n=50,k=4")
    for name, expected in (("sir", True), ("seir", True), ("sis", True), ("munz-szr", False)):
        tb = tables(hyosan.load(name), g.n, g.mean_degree)
        assert frontier.applies(tb.pair_total, g.n) is expected, name
    tb = tables(hyosan.load("sir"), g.n, g.mean_degree)
    assert not frontier.applies(tb.pair_total, frontier.MAX_NODES + 1)


# Each test below: 1500 replicates per kernel on a 100-200 node graph. Checked by hand: drawing the
# node-keyed kernel's edge clocks at 1.1 times their rate moves the SIR final size by 8 standard
# errors (chi-square p ~ 1e-37), so a wrong rate of that size is caught.


def test_sir_final_size_and_course_are_the_same_on_both_kernels(monkeypatch):
    model = hyosan.load("sir").with_values(S=196, I=4, R=0)
    opts = {"graph": "er:n=200,k=5,seed=3", "edge_rates": {"infection": 0.05}, "t_end": 1000}
    fast, slow = _both(monkeypatch, model, **opts)
    for t in (20.0, 1000.0):
        a, b = ((d["R"] + d["I"]).sel(time=t, method="nearest").values for d in (fast, slow))
        _same(a, b)
    assert 20 < fast["R"].isel(time=-1).mean() < 180  # neither always dying out nor all infected: power


def test_seir_with_a_gamma_latent_period_on_a_weighted_graph_is_the_same_on_both_kernels(monkeypatch):
    rng = np.random.default_rng(4)
    base = graph("ws:n=200,k=4,p=0.2,seed=2")
    src = np.repeat(np.arange(base.n), base.degrees)
    keep = src < base.indices
    g = from_edges(src[keep], base.indices[keep], base.n, rng.uniform(0.2, 2.0, keep.sum()), name="ws weighted")
    model = hyosan.load("seir").with_values(S=196, E=0, I=4, R=0)
    opts = {"graph": g, "edge_rates": {"infection": 0.1}, "periods": {"onset": "gamma:3,2"}, "t_end": 2000}
    fast, slow = _both(monkeypatch, model, **opts)
    a, b = (d["R"].isel(time=-1).values for d in (fast, slow))
    assert 20 < a.mean() < 180
    _same(a, b)


def test_sis_prevalence_at_a_fixed_time_is_the_same_on_both_kernels(monkeypatch):
    # recovered nodes become susceptible again: a target state re-entered by a node transition
    model = hyosan.load("sis").with_values(S=97, I=3)
    opts = {"graph": "er:n=100,k=4,seed=5", "edge_rates": {"infection": 0.06}, "t_end": 30}
    fast, slow = _both(monkeypatch, model, **opts)
    a, b = (d["I"].isel(time=-1).values for d in (fast, slow))
    assert a.std() > 3
    _same(a, b)


def test_sis_on_a_complete_graph_matches_the_exact_prevalence_law():
    # K_n, per-edge rate r, recovery g: the number infected is a birth-death chain, rates r*i*(n-i) and
    # g*i; its law at time T is expm(Q T) applied to the start (an independent, closed computation).
    from scipy.linalg import expm

    n, r, g, i0, t_end = 7, 0.15, 0.3, 2, 4.0
    q = np.zeros((n + 1, n + 1))
    for i in range(1, n + 1):
        q[i, i - 1] = g * i
        if i < n:
            q[i, i + 1] = r * i * (n - i)
    q -= np.diag(q.sum(axis=1))
    exact = expm(q * t_end)[i0]
    model = hyosan.load("sis").with_values(S=n - i0, I=i0, gamma=g)
    ds = model.run(
        engine="network", graph=f"complete:n={n}", edge_rates={"infection": r}, t_end=t_end, replicates=3000,
        seed=8, workers=1,
    )  # fmt: skip
    observed = np.bincount(ds["I"].isel(time=-1).values, minlength=n + 1).astype(float)
    obs, exp, o, e = [], [], 0.0, 0.0
    for a, b in zip(observed, exact * observed.sum(), strict=True):  # pool bins under 5 expected, in order
        o, e = o + a, e + b
        if e >= 5:
            obs, exp, o, e = [*obs, o], [*exp, e], 0.0, 0.0
    obs[-1], exp[-1] = obs[-1] + o, exp[-1] + e
    # 3000 replicates, chi-square at the 0.1% level: fails by chance once in a thousand seeds
    assert stats.chisquare(obs, exp).pvalue > 1e-3
