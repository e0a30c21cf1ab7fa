"""The patches engine against closed forms, exact distributions and published equations.

Statistical tests use fixed seeds; tolerances are derived from the standard error (said where).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats
from scipy.integrate import solve_ivp

import hyosan
from hyosan.compartmental.model import Model
from hyosan.engines.patches.mean_field import crossing
from hyosan.errors import HyosanError
from hyosan.places.patches import Patches


def sir(n: int, i0: int = 1, beta: float = 0.2, gamma: float = 0.1) -> Model:
    return hyosan.load("sir").with_values(S=n - i0, I=i0, R=0, beta=beta, gamma=gamma)


def line(p: int, pop: int, hop: float, mobility: dict | None = None, mixing=None) -> Patches:
    """``p`` patches in a line, each hopping to each neighbour at ``hop`` per day."""
    rows = np.r_[np.arange(p - 1), np.arange(1, p)]
    cols = np.r_[np.arange(1, p), np.arange(p - 1)]
    movement = sp.csr_matrix((np.full(len(rows), hop), (rows, cols)), shape=(p, p))
    return Patches(
        names=tuple(f"p{i}" for i in range(p)),
        population=np.full(p, pop, dtype=np.int64),
        movement=movement,
        mobility=mobility if mobility is not None else {"S": 1.0, "I": 1.0, "R": 1.0},
        mixing=mixing,
    )


def exact_final_size(n: int, i0: int, beta: float, gamma: float) -> np.ndarray:
    """P(final number ever infected = k), k = 0..n, of the Markov SIR with rate beta*S*I/N (embedded chain)."""
    prob = np.zeros((n + 1, n + 1))  # prob[s, i]
    prob[n - i0, i0] = 1.0
    final = np.zeros(n + 1)
    for s in range(n - i0, -1, -1):
        for i in range(n - s, -1, -1):
            q = prob[s, i]
            if q == 0.0:
                continue
            if i == 0:
                final[n - s] += q
                continue
            inf, rec = beta * s * i / n, gamma * i
            if s:
                prob[s - 1, i + 1] += q * inf / (inf + rec)
            prob[s, i - 1] += q * rec / (inf + rec)
    return final


def chi2_p(sample: np.ndarray, expected_p: np.ndarray) -> float:
    """Chi-square goodness-of-fit p-value, pooling adjacent bins until each expects at least 5."""
    counts = np.bincount(sample, minlength=len(expected_p)).astype(float)
    exp = expected_p * len(sample)
    obs_b, exp_b, o, e = [], [], 0.0, 0.0
    for k in range(len(exp)):
        o, e = o + counts[k], e + exp[k]
        if e >= 5:
            obs_b.append(o)
            exp_b.append(e)
            o = e = 0.0
    obs_b[-1] += o
    exp_b[-1] += e
    return float(stats.chisquare(obs_b, np.array(exp_b) * sum(obs_b) / sum(exp_b)).pvalue)


def test_one_patch_ode_is_the_ode_engine() -> None:
    model = sir(1000, 10, beta=0.3)
    one = Patches(names=("only",), population=np.array([1000]))
    a = model.run(engine="patches", patches=one, method="ode", t_end=160, every=1)
    b = model.run(engine="ode", t_end=160, every=1)
    for c in "SIR":
        assert np.abs(a[c].values - b[c].values).max() < 1e-6 * 1000
        assert np.array_equal(a[c].values, a[f"{c}_patch"].values[..., 0])


def test_one_patch_ssa_final_size_is_exact() -> None:
    n, i0, beta, gamma = 30, 1, 0.25, 0.1
    model = sir(n, i0, beta, gamma)
    one = Patches(names=("only",), population=np.array([n]))
    ds = model.run(engine="patches", patches=one, method="ssa", t_end=2000, every=1000, replicates=3000, seed=1)
    final = (n - ds.S.values[:, -1]).astype(int)
    assert (ds.I.values[:, -1] == 0).all()
    # fixed seed; p > 0.001 rejects a wrong law of 3,000 draws almost surely (checked: a beta 10 % off fails)
    assert chi2_p(final, exact_final_size(n, i0, beta, gamma)) > 1e-3


def test_uncoupled_patches_are_independent_copies() -> None:
    n, beta, gamma, reps = 30, 0.25, 0.1, 3000
    model = sir(n, 0, beta, gamma)
    two = Patches(names=("a", "b"), population=np.array([n, n]))
    ds = model.run(
        engine="patches",
        patches=two,
        method="ssa",
        t_end=2000,
        every=1000,
        replicates=reps,
        seed=2,
        initial={"a": {"I": 1}, "b": {"I": 1}},
    )
    finals = n - ds.S_patch.values[:, -1, :]
    law = exact_final_size(n, 1, beta, gamma)
    for j in range(2):
        assert chi2_p(finals[:, j].astype(int), law) > 1e-3
    # independent: correlation within 4 standard errors (1/sqrt(reps)) of 0
    assert abs(np.corrcoef(finals[:, 0], finals[:, 1])[0, 1]) < 4 / math.sqrt(reps)


@pytest.mark.parametrize("method", ["ssa", "tau"])
def test_movement_conserves_people_exactly(method: str) -> None:
    model = sir(500, 5, beta=0.4)
    places = line(6, 500, hop=0.3)
    ds = model.run(engine="patches", patches=places, method=method, t_end=60, every=0.5, replicates=4, seed=3)
    people = ds.S_patch + ds.I_patch + ds.R_patch
    assert (people.sum("patch") == 3000).all()
    assert (people.values >= 0).all() and (ds.I_patch.values >= 0).all()
    assert people.isel(time=-1).std("patch").max() > 0  # people did move
    assert (ds.first_arrival.values[:, 0] == 0).all()


def test_ssa_and_tau_means_approach_the_ode_per_patch() -> None:
    n, reps = 20_000, 24
    model = sir(n, 0, beta=0.3)
    places = line(2, n, hop=0.05, mobility={"I": 1.0})
    kw = dict(engine="patches", patches=places, t_end=40, every=10, initial={"p0": {"I": 200}})
    ode = model.run(method="ode", **kw)
    for method in ("ssa", "tau"):
        ds = model.run(method=method, replicates=reps, seed=4, **kw)
        for c in ("S", "I"):
            mean = ds[f"{c}_patch"].mean("replicate").values
            se = ds[f"{c}_patch"].std("replicate").values / math.sqrt(reps)
            # 4 standard errors, plus 0.5 % of a patch for the O(1/N) gap between the mean and the mean field
            assert (np.abs(mean - ode[f"{c}_patch"].values[0]) <= 4 * se + 0.005 * n).all(), (method, c)


def test_ssa_with_mixing_approaches_its_mean_field() -> None:
    """Patch b catches the infection only through mixing with a (no one moves)."""
    n, reps = 20_000, 24
    model = sir(n, 0, beta=0.3)
    mixing = sp.csr_matrix(np.array([[0.9, 0.1], [0.3, 0.7]]))
    places = Patches(names=("a", "b"), population=np.array([n, n]), mixing=mixing)
    kw = dict(engine="patches", patches=places, t_end=40, every=10, initial={"a": {"I": 200}})
    ode = model.run(method="ode", **kw)
    ds = model.run(method="ssa", replicates=reps, seed=7, **kw)
    assert (ds.I_patch.sel(patch="b", time=40).values > 100).all()
    assert ((ds.S_patch + ds.I_patch + ds.R_patch).values == n).all()
    for c in ("S", "I"):
        mean = ds[f"{c}_patch"].mean("replicate").values
        se = ds[f"{c}_patch"].std("replicate").values / math.sqrt(reps)
        # as above: 4 standard errors plus 0.5 % of a patch
        assert (np.abs(mean - ode[f"{c}_patch"].values[0]) <= 4 * se + 0.005 * n).all(), c


def test_ode_front_speed_approaches_fisher_kpp() -> None:
    """S + I -> 2I at beta*S*I/N with S, I hopping at h to each neighbour: i = I/N obeys
    i_t = D i_xx + r i (1 - i) with D = h dx^2 and r = beta, whose front moves at 2 sqrt(D r)."""
    p, h, beta = 260, 4.0, 1.0
    model = Model.from_dict(
        {
            "compartments": {"S": "s", "I": "i"},
            "parameters": {"beta": beta},
            "initial": {"S": 999, "I": 1},
            "transitions": [{"reaction": "S + I -> I + I", "rate": "beta*S*I/N"}],
        }
    )
    places = line(p, 1000, hop=h, mobility={"S": 1.0, "I": 1.0})
    ds = model.run(engine="patches", patches=places, method="ode", solver="RK45", rtol=1e-7, t_end=55, every=0.05)
    half = crossing(ds.time.values, ds.I_patch.values[0], np.full(p, 500.0), above=True)
    x = np.arange(p)
    window = (half > 25) & (half < 55)
    speed = np.polyfit(half[window], x[window], 1)[0]
    theory = 2 * math.sqrt(h * beta)
    # the pulled front's Bramson delay (3/(2 lambda t), lambda = sqrt(r/D)) costs about 2 % over this window,
    # the lattice adds about +1 % (measured: 3.99 against 4.0); 2 % holds both
    assert abs(speed - theory) / theory < 0.02, (speed, theory)


def test_cordon_holds_exactly() -> None:
    model = sir(200, 0, beta=0.5)
    places = line(8, 200, hop=0.2, mobility={"S": 1.0, "I": 1.0})
    inside = ["p0", "p1"]
    cordon = {"name": "martial law", "at": 3, "cordon": {"patches": inside, "mixing": True}}
    kw = dict(engine="patches", patches=places, method="ssa", t_end=80, every=1, replicates=60, seed=5)
    kw["initial"] = {"p0": {"I": 5}}
    sealed = model.run(interventions=[cordon], **kw)
    free = model.run(**kw)
    arrival = sealed.first_arrival.values[:, 2:]
    clean = np.all(np.isnan(arrival) | (arrival > 3), axis=1)  # replicates clean outside at the cordon
    assert clean.sum() > 10
    assert np.isnan(arrival[clean]).all()
    assert (sealed.I_patch.values[clean][:, 3:, 2:] == 0).all()
    assert (~np.isnan(free.first_arrival.values[:, 2:])).mean() > 0.5  # without it the outbreak spreads


def test_triggered_cordon_and_patch_cull() -> None:
    model = sir(300, 0, beta=0.5)
    places = line(4, 300, hop=0.1, mobility={"I": 1.0})
    acts = [
        {"name": "seal", "when": "I > 20", "cordon": {"patches": ["p0"]}},
        {"name": "strike", "at": 10, "cull": {"I": 1}, "patches": ["p3"]},
    ]
    for method in ("ssa", "ode"):
        kw = dict(replicates=5, seed=6) if method == "ssa" else {}
        ds = model.run(
            engine="patches", patches=places, method=method, t_end=30, every=1, interventions=acts,
            initial={"p0": {"I": 3}}, **kw,
        )  # fmt: skip
        assert (ds.I_patch.sel(time=10, patch="p3").values == 0).all()
        if method == "ssa":
            # the trigger fires in every replicate whose outbreak passed I > 20 (an outbreak from 3 cases
            # may die out first: then it must not fire)
            peak = ds.I_patch.sum("patch").max("time").values
            fired = ~np.isnan(ds.t_trigger_0.values)
            assert fired[peak > 20].all() and fired.sum() >= 3
            assert (ds.t_trigger_0.values[fired] > 0).all()
        else:
            assert "seal" in ds.attrs["interventions"]


def test_mixing_ode_matches_the_written_equations() -> None:
    """Two patches; patch b's contacts are half at home, half in a: lambda_b = beta*(0.5 I_a + 0.5 I_b)/N_eff_b."""
    beta, gamma = 0.4, 0.1
    model = sir(1000, 0, beta=beta, gamma=gamma)
    mixing = sp.csr_matrix(np.array([[1.0, 0.0], [0.5, 0.5]]))
    places = Patches(names=("a", "b"), population=np.array([1000, 500]), mixing=mixing)
    ds = model.run(engine="patches", patches=places, method="ode", t_end=60, every=1, initial={"a": {"I": 10}})

    def rhs(t, y):
        sa, ia, _, sb, ib, _ = y
        na, nb = 1000.0, 500.0
        la = beta * ia / na
        lb = beta * (0.5 * ia + 0.5 * ib) / (0.5 * na + 0.5 * nb)
        return [-la * sa, la * sa - gamma * ia, gamma * ia, -lb * sb, lb * sb - gamma * ib, gamma * ib]

    ref = solve_ivp(rhs, (0, 60), [990, 10, 0, 500, 0, 0], t_eval=np.arange(61), rtol=1e-10, atol=1e-9)
    got = np.stack([ds[f"{c}_patch"].values[0] for c in "SIR"], axis=-1)  # (time, patch, c)
    assert np.abs(got[:, 0, :] - ref.y[:3].T).max() < 1e-4
    assert np.abs(got[:, 1, :] - ref.y[3:].T).max() < 1e-4


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"colour": 1}, "unknown option"),
        ({"method": "gillespie"}, "method="),
        ({"interventions": [{"name": "x", "at": 1, "cordon": {"patches": ["nowhere"]}}]}, "no patch named"),
        ({"initial": {"p0": {"I": 10**6}}}, "seed fewer"),
        ({"epsilon": 0.01}, "only method tau"),
        ({"fall_below": 2}, "fall_below"),
    ],
)
def test_bad_options_are_refused_in_one_line(kw: dict, match: str) -> None:
    kw = {"method": "ssa", **kw}
    with pytest.raises(HyosanError, match=match) as e:
        sir(100).run(engine="patches", patches=line(3, 100, 0.1), t_end=5, **kw)
    assert "\n" not in str(e.value)


def test_bad_couplings_are_refused() -> None:
    bad_mix = sp.csr_matrix(np.array([[0.5, 0.2], [0.0, 1.0]]))
    with pytest.raises(HyosanError, match="row-stochastic"):
        sir(100).run(engine="patches", patches=Patches(("a", "b"), np.array([50, 50]), mixing=bad_mix), t_end=5)
    with pytest.raises(HyosanError, match="not a compartment"):
        sir(100).run(engine="patches", patches=line(2, 50, 0.1, mobility={"Z": 1.0}), t_end=5)


def test_save_writes_the_patch_result(tmp_path) -> None:
    ds = sir(100).run(engine="patches", patches=line(3, 100, 0.1), method="tau", t_end=10, replicates=2)
    hyosan.save(ds, out=tmp_path / "out")
    assert (tmp_path / "out" / "plot.png").exists()
    back = hyosan.open_result(tmp_path / "out" / "result.nc")
    assert list(back.patch.values) == ["p0", "p1", "p2"]
    assert back.I_patch.dims == ("replicate", "time", "patch")


def test_cli_runs_a_model_on_patches(tmp_path, capsys) -> None:
    from hyosan.cli import main

    out = tmp_path / "grid"
    args = ["run", "sir", "--engine", "patches", "--method", "ode", "--patches", "grid:n=2x2,pop=500"]
    main([*args, "--mobility", "walk:speed=5km/h,radius=3km", "--moves", "I", "--t-end", "20", "--out", str(out)])
    ds = hyosan.open_result(out / "result.nc")
    assert ds.sizes["patch"] == 4 and abs(float(ds.S[0, 0]) + float(ds.I[0, 0]) - 2000) < 1e-6
    with pytest.raises(SystemExit) as done:
        main(["run", "sir", "--engine", "patches", "--out", str(tmp_path / "no")])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "--patches SPEC" in err and err.count("\n") == 1
    assert not (tmp_path / "no").exists()


def test_same_seed_same_result_whatever_the_workers() -> None:
    model, places = sir(300, 3, beta=0.4), line(3, 300, hop=0.2)
    kw = dict(engine="patches", patches=places, method="ssa", t_end=20, every=5, replicates=4, seed=11)
    one, two = model.run(workers=1, **kw), model.run(workers=2, **kw)
    assert np.array_equal(one.I_patch.values, two.I_patch.values)
    assert not np.array_equal(one.I_patch.values[0], one.I_patch.values[1])
