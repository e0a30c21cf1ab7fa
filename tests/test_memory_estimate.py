"""Compartment runs estimate their memory (replicates × report times × compartments) before starting."""

from __future__ import annotations

import pytest

import hyosan
from hyosan import budget, engines
from hyosan.errors import HyosanError
from hyosan.simulate import BYTES_PER_VALUE, simulate


@pytest.fixture
def machine_with_100_mb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "available_memory", lambda: 100_000_000)


def test_too_big_a_run_is_refused_before_the_engine_starts(machine_with_100_mb, monkeypatch) -> None:
    monkeypatch.setattr(engines, "get", lambda name: lambda *a, **k: pytest.fail("the engine was started"))
    with pytest.raises(HyosanError) as error:
        simulate(hyosan.load("sir"), "ssa", replicates=10_000, every=0.05, workers=1)
    message = str(error.value)
    assert "\n" not in message
    assert "--replicates 10000 × 3,201 report times × 3 compartments" in message
    needed = 10_000 * 3201 * 3 * BYTES_PER_VALUE
    assert budget.human_bytes(needed) in message and "--every" in message


def test_a_run_that_fits_is_not_refused(machine_with_100_mb) -> None:
    ds = simulate(hyosan.load("sir"), "ssa", replicates=20, workers=1)
    assert ds.sizes["replicate"] == 20


def test_cli_ten_thousand_replicates_on_a_fine_grid_is_one_line(cli, tmp_path) -> None:
    out = tmp_path / "o"
    res = cli("run", "sir", "--engine", "ssa", "--replicates", "100000", "--every", "0.0001", "--out", str(out))
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "of memory" in lines[0] and "Traceback" not in res.stderr
    assert list(tmp_path.iterdir()) == []
