"""The two orders of action (``time.update: random`` and ``banded``) against the laws they must both obey, and
against each other, where the order could matter most: bands 1 m high (everyone sees 1 m), a barricaded door on a
band boundary that a crowd of zombies reaches and pushes, and a classroom emptying through a 1 m door. The scenarios
are those of ``benchmarks/update_order.py``, which runs them with many more seeds."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from benchmarks.pedestrian_validation import bottleneck
from benchmarks.update_order import siege_door, siege_scenario
from scipy import stats

from hyosan.agents.scenario import load_scenario

RUNS = 250


@pytest.fixture(scope="module")
def doors() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Breach times and probability integral transforms of ``RUNS`` seeds of the barricade, per order."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for update in ("random", "banded"):
            sc = load_scenario(siege_scenario(Path(tmp), update))
            got = [siege_door(sc, seed) for seed in range(RUNS)]
            out[update] = (np.array([g[0] for g in got]), np.array([g[1] for g in got]))
    return out


@pytest.mark.parametrize("update", ["random", "banded"])
def test_a_crowded_barricade_breaks_at_hazard_pushers_times_rate(doors: dict, update: str) -> None:
    """With k_s zombies on the cells next to the door at step s (counted from the frames, not by the kernel), the
    door breaks at hazard k_s x rate: the randomised probability integral transform of the breach step under that
    law is uniform (Kolmogorov-Smirnov, p > 0.001), whichever the order; and -ln U, Exp(1) under the law, has a
    mean within 4 standard errors (1/sqrt(RUNS) = 0.063) of 1. Checked that this fails: a door breaking at 1.5 x the
    rate the transform assumes gave a mean of 0.70 and a KS p of 0.0009 over 150 of these seeds."""
    times, pit = doors[update]
    assert np.isfinite(times).all()
    assert stats.kstest(pit, "uniform").pvalue > 1e-3
    assert abs(np.mean(-np.log(pit)) - 1.0) < 4 / np.sqrt(RUNS)


def test_both_orders_break_the_barricade_equally_fast(doors: dict) -> None:
    """Mean time to break within 4 standard errors of the difference (each mean's SE from its sample's s.d.;
    about 1.2 s here, on means of about 31 s: 2,000 seeds each gave 31.3 ± 0.35 and 30.9 ± 0.35 s)."""
    a, b = doors["random"][0], doors["banded"][0]
    se = np.hypot(a.std(ddof=1), b.std(ddof=1)) / np.sqrt(RUNS)
    assert abs(a.mean() - b.mean()) < 4 * se, (a.mean(), b.mean(), se)


def test_both_orders_pass_the_measured_door_flow_alike() -> None:
    """A 1 m door: specific flow inside the measured 1.2-2.0 /m/s for every seed of either order, and the two means
    within 4 standard errors of their difference (one run's s.d. is about 0.04 /m/s)."""
    flows = {u: np.array([bottleneck(100, seed, update=u) for seed in range(12)]) for u in ("random", "banded")}
    for f in flows.values():
        assert ((1.2 <= f) & (f <= 2.0)).all(), f
    a, b = flows["random"], flows["banded"]
    se = np.hypot(a.std(ddof=1), b.std(ddof=1)) / np.sqrt(a.size)
    assert abs(a.mean() - b.mean()) < 4 * se, (a.mean(), b.mean(), se)
