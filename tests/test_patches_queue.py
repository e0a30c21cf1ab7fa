"""The exact patches ``ssa``'s event queue (a calendar queue) against closed forms.

Uncoupled patches whose rates differ by four orders of magnitude and fall 55-fold during the run
(so the queue's bucket width is rebuilt several times) must still fire every event in time order:
each patch's pure decay ``I -> R`` at rate ``gamma*I`` leaves ``Binomial(I0, exp(-gamma t))`` at t.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy import stats

import hyosan
from hyosan.places.patches import Patches


def decay_run(seed: int):
    rng = np.random.default_rng(seed)
    p = 1000
    i0 = np.round(np.exp(rng.uniform(0.0, math.log(3000.0), p))).astype(np.int64)
    names = tuple(f"q{i}" for i in range(p))
    model = hyosan.load("sir").with_values(S=1, I=0, R=0, beta=0.0, gamma=1.0)
    places = Patches(names=names, population=i0)
    times = np.array([0.05, 0.3, 1.0, 2.0, 4.0])
    ds = model.run(
        engine="patches",
        patches=places,
        method="ssa",
        t_end=4.0,
        every=0.05,
        initial={n: {"I": int(k)} for n, k in zip(names, i0, strict=True)},
        replicates=2,
        seed=seed,
    )
    return i0, times, ds


def test_every_patch_decays_binomially_at_every_time() -> None:
    i0, times, ds = decay_run(11)
    assert int(ds.attrs["events"]) > 0
    for t in times:
        q = math.exp(-t)
        mean, var = i0 * q, i0 * q * (1 - q)
        x = ds.I_patch.sel(time=t, method="nearest").values  # (replicate, patch)
        assert abs(float(ds.time.sel(time=t, method="nearest")) - t) < 1e-9
        # the total: a sum of independent binomials, within 4 standard errors
        z = (x.sum(axis=1) - mean.sum()) / math.sqrt(var.sum())
        assert (np.abs(z) < 4).all(), (t, z)
        # patch by patch: sum of squared standardised residuals ~ chi-square with P degrees of freedom
        # (normal approximation: mean P, sd sqrt(2P); 5 sd allowed, excess kurtosis of small counts included)
        ok = var > 0
        chi = (((x[:, ok] - mean[ok]) ** 2) / var[ok]).sum(axis=1)
        dof = ok.sum()
        assert (np.abs(chi - dof) < 5 * math.sqrt(2 * dof) + 0.05 * dof).all(), (t, chi, dof)


def test_people_are_conserved_and_no_event_is_lost() -> None:
    i0, _, ds = decay_run(12)
    final = ds.I_patch.isel(time=-1).values + ds.R_patch.isel(time=-1).values
    assert (final == i0).all()
    # every recovery fired: the events counted are the people recovered in both replicates
    assert int(ds.attrs["events"]) == int(ds.R_patch.isel(time=-1).values.sum())


def test_arrivals_rescale_the_pending_wait_exactly() -> None:
    """Patch b's recovery clock is rescaled (not redrawn) at every arrival from a; each person
    independently recovers at gamma and, while in a, walks to b at h, so I_b(t) is exactly
    Binomial(n, exp(-gamma t) (1 - exp(-h t))) and I_a(t) Binomial(n, exp(-(gamma + h) t)) (b holds one
    susceptible, so that its N is not 0; beta is 0)."""
    n, reps, gamma, h, t = 20, 1500, 1.0, 1.5, 0.8
    model = hyosan.load("sir").with_values(S=1, I=0, R=0, beta=0.0, gamma=gamma)
    movement = sp.csr_matrix((np.array([h]), (np.array([0]), np.array([1]))), shape=(2, 2))
    places = Patches(names=("a", "b"), population=np.array([n, 1]), movement=movement, mobility={"I": 1.0})
    ds = model.run(
        engine="patches", patches=places, method="ssa", t_end=t, every=t, initial={"a": {"I": n}},
        replicates=reps, seed=21,
    )  # fmt: skip
    for patch, p in (("a", math.exp(-(gamma + h) * t)), ("b", math.exp(-gamma * t) * (1 - math.exp(-h * t)))):
        x = ds.I_patch.sel(patch=patch).isel(time=-1).values.astype(int)
        assert binomial_p(x, n, p) > 1e-3, patch


def binomial_p(sample: np.ndarray, n: int, p: float) -> float:
    """Chi-square p-value of ``sample`` against Binomial(n, p), adjacent bins pooled to expect >= 5."""
    exp = stats.binom.pmf(np.arange(n + 1), n, p) * len(sample)
    obs = np.bincount(sample, minlength=n + 1).astype(float)
    eo, ee, o, e = [], [], 0.0, 0.0
    for k in range(n + 1):
        o, e = o + obs[k], e + exp[k]
        if e >= 5:
            eo.append(o)
            ee.append(e)
            o = e = 0.0
    eo[-1] += o
    ee[-1] += e
    return float(stats.chisquare(eo, np.array(ee) * sum(eo) / sum(ee)).pvalue)
