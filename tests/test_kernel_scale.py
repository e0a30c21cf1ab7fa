"""Large models on the stochastic engines: code generation stays linear and the table-driven SSA
kernel (:mod:`hyosan.engines.table`) is exact.

References: the table kernel must take the straight-line kernel's path draw for draw (same stream,
same transitions, times and states); a rate program must equal the expression evaluated in plain
Python; a particle moving down a chain at rate mu per stage is at stage Poisson(mu t) at time t;
a pure death at rate mu(1 + sin t / 2) survives to t with probability exp(-mu (t + (1 - cos t) / 2)).
Statistical tolerances are 4.5 standard errors of the statistic under the closed form (fixed seeds).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import hyosan
from hyosan.compartmental.io import read_yaml
from hyosan.compartmental.model import Model
from hyosan.engines import kernel_source, straight, table
from hyosan.engines import stochastic_kernels as kernels
from hyosan.errors import EngineError

Z_TOL = 4.5
NO_TRIGGERS = np.zeros(0, dtype=np.bool_)


def build(lines: list[str], name: str = "big.yaml") -> Model:
    data, where = read_yaml("\n".join(lines) + "\n", name)
    return Model.from_dict(data, name, where)


def chain(n: int, x0: int, mu: float) -> Model:
    """X0 -> X1 -> ... -> X(n-1), each step at rate mu per individual; everyone starts in X0."""
    lines = ["compartments: [" + ", ".join(f"X{i}" for i in range(n)) + "]", f"parameters: {{mu: {mu}}}"]
    lines += ["initial: {" + ", ".join(f"X{i}: {x0 if i == 0 else 0}" for i in range(n)) + "}", "transitions:"]
    return build(lines + [f"  - X{j} -> X{j + 1} @ mu*X{j}" for j in range(n - 1)])


def strains(g: int) -> Model:
    """One susceptible pool and g strains: 2g transitions, every infection rate reads S and N."""
    comps = ["S", *(f"I{i}" for i in range(g)), "R"]
    lines = ["compartments: [" + ", ".join(comps) + "]", "parameters: {beta: 0.3, gamma: 0.1}"]
    lines += ["initial: {S: 20000, " + ", ".join(f"I{i}: 1" for i in range(g)) + ", R: 0}"]
    lines += ["infected: [" + ", ".join(comps[1:-1]) + "]", "transitions:"]
    for i in range(g):
        lines += [f"  - S + I{i} -> I{i} + I{i} @ beta*S*I{i}/N", f"  - I{i} -> R @ gamma*I{i}"]
    return build(lines)


def vital() -> Model:
    """SIR with births and deaths: N changes, so every rate reading N depends on every transition."""
    return build(
        [
            "compartments: [S, I, R]",
            "parameters: {beta: 0.5, gamma: 0.1, mu: 0.02}",
            "initial: {S: 300, I: 5, R: 0}",
            "infected: [I]",
            "transitions:",
            "  - S + I -> I + I @ beta*S*I/max(N, 1)",
            "  - I -> R @ gamma*I",
            "  - -> S @ mu*N",
            "  - S -> @ mu*S",
            "  - I -> @ (mu + 0.01)*I",
            "  - R -> @ mu*R",
        ]
    )


def segment(model: Model, use_table: bool, seed: int, t_end: float, n_times: int = 41) -> tuple:
    """One segment from the initial state on the chosen SSA kernel: its return value, state,
    reports and event log."""
    kernel = kernels.ssa_kernel(model, table=use_table)
    x = np.array(model.initial, dtype=np.int64)
    p = np.array([q.value for q in model.parameters], dtype=np.float64)
    times = np.linspace(0.0, t_end, n_times)
    out = np.zeros((n_times, len(x)), dtype=np.int64)
    log_t, log_j = np.empty(50_000), np.empty(50_000, dtype=np.int64)
    res = kernel(
        np.random.default_rng(seed), x, p, 0.0, t_end, times, 0, out, log_t, log_j, 0, np.int64(10**7), NO_TRIGGERS
    )
    return res, x, out, log_t[: res[5]].copy(), log_j[: res[5]].copy()


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(hyosan.load("sir"), id="sir"),
        pytest.param(hyosan.load("hyosan"), id="hyosan"),
        pytest.param(hyosan.load("munz-sizrq").with_values(S=400, Z=30), id="munz-sizrq"),
        pytest.param(vital(), id="vital"),
    ],
)
@pytest.mark.parametrize("recompute_all", [False, True])
def test_table_kernel_takes_the_straight_line_path_draw_for_draw(
    model: Model, recompute_all: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if recompute_all:
        monkeypatch.setattr(table, "DEPS_CAP", 0)
    assert kernels.straight_line(model)
    for seed in (1, 2):
        straight = segment(model, False, seed, 30.0)
        tabled = segment(model, True, seed, 30.0)
        assert straight[0][3] > 100  # a real path: over a hundred transitions
        assert straight[0] == tabled[0]
        for a, b in zip(straight[1:], tabled[1:], strict=True):
            np.testing.assert_array_equal(a, b)


def test_rate_programs_equal_the_expression_evaluated_in_python() -> None:
    text = "k*X*(exp(-t/3) + log(1 + X) - sqrt(Y)/2 + sin(t)**2 + cos(X*t) + abs(Y - X) + min(X, Y, 3) + max(-X, +N))"
    model = build(
        [
            "compartments: [X, Y]",
            "parameters: {k: 0.7}",
            "initial: {X: 4, Y: 9}",
            "transitions:",
            f'  - "X -> Y @ {text}"',
            "  - Y -> X @ k**1.5*Y/N",
        ]
    )
    prog_ptr, op, arg, val, depth = table.programs(model)
    p = np.array([0.7])
    for state, t in [((4.0, 9.0), 0.0), ((0.0, 3.0), 1.3), ((17.0, 2.0), 40.0)]:
        x = np.array(state)
        values = {"X": state[0], "Y": state[1], "N": sum(state), "t": t, "k": 0.7}
        for j, tr in enumerate(model.transitions):
            got = table.rate(j, prog_ptr, op, arg, val, np.empty(depth), t, x, p, sum(state))
            assert got == pytest.approx(tr.rate.evaluate(values), rel=1e-14, abs=0.0)


def test_a_chain_of_5000_compartments_puts_each_particle_at_a_poisson_stage() -> None:
    """X0 = 400 particles, mu = 1, t = 8: each particle's stage is Poisson(8) (the chain is far
    longer than any particle gets). 6 replicates, 2,400 particles: the mean stage has standard
    error sqrt(8 / 2400) = 0.058; the histogram is tested by chi-square."""
    n, x0, mu, t_end, reps = 5000, 400, 1.0, 8.0, 6
    model = chain(n, x0, mu)
    assert not kernels.straight_line(model)
    ds = model.run("ssa", t_end=t_end, every=t_end / 2, seed=11, replicates=reps, workers=1)
    final = np.stack([ds[f"X{i}"].values[:, -1] for i in range(n)], axis=1)
    assert final.shape == (reps, n) and np.all(final.sum(axis=1) == x0)
    counts = final.sum(axis=0)
    total = reps * x0
    mean = float(np.arange(n) @ counts) / total
    assert abs(mean - mu * t_end) < Z_TOL * math.sqrt(mu * t_end / total)
    edges = np.arange(0, 17)
    expected = stats.poisson.pmf(edges, mu * t_end) * total
    expected[-1] += stats.poisson.sf(edges[-1], mu * t_end) * total
    observed = np.append(counts[: len(edges) - 1], counts[len(edges) - 1 :].sum())
    assert stats.chisquare(observed, expected).pvalue > 1e-4


def test_2000_transitions_over_one_susceptible_pool_run_and_conserve_the_population() -> None:
    model = strains(1000)
    assert len(model.transitions) == 2000 and not kernels.straight_line(model)
    ds = model.run("ssa", t_end=2.0, every=0.5, seed=5, replicates=2, workers=1, log_events=True)
    values = np.stack([ds[c].values for c in model.compartments], axis=-1)
    assert np.all(values.sum(axis=-1) == 21000)
    assert np.all(np.diff(ds["S"].values, axis=1) <= 0) and np.all(np.diff(ds["R"].values, axis=1) >= 0)
    assert ds.attrs["events"] > 1000
    fired = ds["event_transition"].values
    assert fired[fired >= 0].min() >= 0 and fired.max() < 2000
    assert len(np.unique(fired[fired >= 0])) > 500  # many different strains infect and recover


def test_a_rate_that_turns_negative_is_reported_alike_by_both_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["compartments: [X, Y]", "parameters: {k: 0.5}", "initial: {X: 10, Y: 0}", "transitions:"]
    lines += ["  - X -> Y @ k*X*(X - 2*Y + 1)", "  - Y -> X @ 0.001*k*Y"]
    messages = []
    for limit in (straight.STRAIGHT_LIMIT, 0):
        monkeypatch.setattr(straight, "STRAIGHT_LIMIT", limit)
        with pytest.raises(EngineError) as err:
            build(lines).run("ssa", t_end=50.0, seed=3)
        messages.append(str(err.value))
    assert "X -> Y" in messages[0] and "non-negative" in messages[0] and messages[0] == messages[1]


def test_generated_code_is_linear_in_the_model_size() -> None:
    small, large = chain(500, 10, 1.0), chain(5000, 10, 1.0)
    assert len(kernels.stochastic_source(large)) < 12 * len(kernels.stochastic_source(small))
    pieces = table.programs(large)
    assert len(pieces[1]) == 3 * (5000 - 1)  # mu, X_j, *: three steps a rate
    deps = kernels.dependency_graph(large)
    assert deps[0] == [0, 1] and deps[-1] == [4998] and sum(map(len, deps)) == 2 * 4999 - 1
    assert len(kernels.ssa_source(chain(300, 10, 1.0))) < 12 * len(kernels.ssa_source(chain(30, 10, 1.0)))


@pytest.mark.parametrize("form", ["chunks", "programs"])
def test_time_dependent_rates_in_chunks_or_programs_keep_exact_thinning(
    form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five death processes at rate mu(1 + sin(t)/2) per individual; rates and bounds generated two
    a function, or rates evaluated from their programs (as for models of over 200 transitions).
    500 individuals x 40 replicates survive to t = 3 with p = exp(-mu (3 + (1 - cos 3)/2)); the
    standard error of the surviving fraction is sqrt(p (1 - p) / 20000)."""
    monkeypatch.setattr(kernel_source, "RATES_CHUNK", 2)
    if form == "programs":
        monkeypatch.setattr(kernel_source, "INTERPRET_ABOVE", 0)
    mu, t_end = 0.3, 3.0
    lines = ["compartments: [" + ", ".join(f"X{i}" for i in range(5)) + "]", f"parameters: {{mu: {mu}}}"]
    lines += ["initial: {" + ", ".join(f"X{i}: 100" for i in range(5)) + "}", "transitions:"]
    lines += [f"  - X{i} -> @ mu*(1 + sin(t)/2)*X{i}" for i in range(5)]
    model = build(lines, "timed.yaml")
    source = kernels.stochastic_source(model)
    assert "def _bounds_2(" in source and ("def _rates_2(" in source) == (form == "chunks")
    ds = model.run("ssa", t_end=t_end, every=t_end, seed=4, replicates=40, workers=1)
    alive = sum(int(ds[f"X{i}"].values[:, -1].sum()) for i in range(5)) / (500 * 40)
    p = math.exp(-mu * (t_end + (1 - math.cos(t_end)) / 2))
    assert abs(alive - p) < Z_TOL * math.sqrt(p * (1 - p) / 20000)
