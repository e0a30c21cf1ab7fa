"""The agent step's order of action (:func:`hyosan.engines.abm.order.band_order`), the scenario's ``time.update``:
``random``, one uniformly random permutation of the agents on the map; ``banded``, bands of rows in a uniformly
random order, a uniformly random order within each band; the dead and the escaped left out of both."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from hyosan.agents.scenario import load_scenario, parse_scenario, scenario_text
from hyosan.compartmental.io import read_yaml
from hyosan.engines.abm.codes import D, E, S, X, Z
from hyosan.engines.abm.order import band_order, warm
from hyosan.errors import ScenarioError


def draw(state: np.ndarray, y: np.ndarray, B: float, nbands: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One order (the agents acting, first to last) and where each band in it ends."""
    order = np.zeros(state.size, np.int32)
    band = np.zeros(nbands, np.int32)
    bperm = np.zeros(nbands, np.int32)
    tmp = np.zeros(state.size, np.int32)
    rs = np.array([(seed * 0x9E3779B97F4A7C15) % 2**64 | 1], np.uint64)
    m = band_order(state, y, B, order, band, bperm, tmp, rs)
    return order[:m].copy(), bperm.copy()


def test_every_agent_on_the_map_acts_once_band_by_band() -> None:
    rng = np.random.default_rng(0)
    n, B, nbands = 500, 2.0, 13
    y = rng.uniform(0, B * nbands, n)
    state = rng.choice(np.array([S, E, Z, D, X], np.int8), n)
    order, ends = draw(state, y, B, nbands, 1)
    live = np.flatnonzero((state != D) & (state != X))
    assert sorted(order.tolist()) == live.tolist()
    bands = (y[order] // B).astype(int)
    runs = [k for k, _ in itertools.groupby(bands.tolist())]
    assert len(runs) == len(set(runs)), "a band's agents are not all together"
    assert ends[-1] == order.size and np.all(np.diff(ends) >= 0)
    starts = np.concatenate([[0], ends[:-1]])
    for lo, hi in zip(starts, ends, strict=True):
        assert len(set(bands[lo:hi].tolist())) <= 1


def test_either_of_two_agents_acts_first_half_the_time() -> None:
    """Four agents: 0 and 1 in one band, 2 in the next, 3 far off. For each pair, the share of 4,000 orders in which
    the first of the pair acts first lies within 4 binomial standard errors (sqrt(0.25/4000) = 0.0079) of 1/2, and
    the six orders of three agents sharing a band are equally likely (chi-square, p > 0.001)."""
    y = np.array([0.5, 1.5, 2.5, 9.0])
    state = np.full(4, S, np.int8)
    n = 4000
    pos = np.array([np.argsort(draw(state, y, 2.0, 5, s)[0]) for s in range(n)])
    for a, b in itertools.combinations(range(4), 2):
        share = np.mean(pos[:, a] < pos[:, b])
        assert abs(share - 0.5) < 4 * np.sqrt(0.25 / n), (a, b, share)
    y3 = np.array([0.2, 0.9, 1.7])
    counts: dict[tuple[int, ...], int] = {}
    for s in range(1800):
        key = tuple(draw(np.full(3, S, np.int8), y3, 2.0, 3, s)[0].tolist())
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 6
    assert stats.chisquare(list(counts.values())).pvalue > 1e-3, counts


def test_warm_sums_what_it_reads() -> None:
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([0.5, 0.5, 0.5])
    state = np.array([S, Z, S], np.int8)
    kind = np.zeros(3, np.int8)
    hidden = np.full(3, -1, np.int8)
    heading = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], np.float32)
    order = np.array([2, 0, 1], np.int32)
    assert warm(order, 1, 3, x, y, state, kind, hidden, heading) == (1 + 0.5 + 1 + S - 1) + (2 + 0.5 + 0 + Z - 1)


def test_random_update_is_a_uniform_permutation_across_the_whole_map() -> None:
    """One band (``update: random``): three agents far apart in rows interleave; all 3! = 6 orders come up equally
    often (chi-square, p > 0.001), where the banded order of the same agents with one pair sharing a band never puts
    the third between them (the schedules differ although both are fair pairwise)."""
    y = np.array([0.5, 1.5, 30.0])
    state = np.full(3, S, np.int8)
    counts: dict[tuple[int, ...], int] = {}
    for s in range(1800):
        key = tuple(draw(state, y, 2.0, 1, s)[0].tolist())
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 6
    assert stats.chisquare(list(counts.values())).pvalue > 1e-3, counts
    banded = {tuple(draw(state, y, 2.0, 16, s)[0].tolist()) for s in range(400)}
    assert banded == {(0, 1, 2), (1, 0, 2), (2, 0, 1), (2, 1, 0)}


@pytest.mark.parametrize("value", ["random", "banded"])
def test_the_scenario_names_its_update_order(value: str) -> None:
    """The default is ``random``; both names are taken; anything else is refused in one line naming the field."""
    assert load_scenario("hyosan-high").update == "random"
    data, lines = read_yaml(scenario_text("hyosan-high")[0], "hyosan-high.yaml")
    data["time"]["update"] = value
    assert parse_scenario(data, "hyosan-high.yaml", lines, None).update == value
    data["time"]["update"] = "parallel"
    with pytest.raises(ScenarioError, match=r"time.*update.*'parallel'; use random or banded") as err:
        parse_scenario(data, "hyosan-high.yaml", lines, None)
    assert "\n" not in str(err.value)
