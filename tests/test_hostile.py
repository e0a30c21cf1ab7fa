"""The hostile-input corpus: every case is refused cleanly (issue #8).

Clean: the ``hyosan`` CLI exits 2 (or 0 where a case says the input may be valid), prints exactly one
``hyosan: error: ...`` line on stderr with no traceback or exception name, leaves no output behind,
answers within the time limit and stays under the address-space cap. Cases run in-process on two
long-lived workers (tests/hostile/runner.py), so the corpus costs one import per worker, not per case.
The case files and manifest are in tests/hostile/; big and binary cases are generated at test time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "hostile"))

import corpus
import runner

#: Seconds a case may take before it counts as a hang; generous for a slow, shared machine.
TIMEOUT = 20.0
#: Address-space cap of a worker: a run that needs more should have been refused before it started.
MEMORY = 4 * 2**30


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[runner.Result], list[str]]:
    """Every case's result, and the files that appeared in the corpus folder while they ran."""
    root = tmp_path_factory.mktemp("hostile")
    cases = corpus.build(root)
    before = {p for p in (root / "corpus").rglob("*")}
    results = runner.run_all(cases, workers=2, timeout=TIMEOUT, memory=MEMORY)
    return results, sorted(str(p) for p in set((root / "corpus").rglob("*")) - before)


def test_corpus_covers_every_class(tmp_path: Path) -> None:
    cases = corpus.build(tmp_path)
    per_class = Counter(c.cls for c in cases)
    assert len(cases) >= 200
    assert set(per_class) == set(corpus.CLASSES)
    assert min(per_class.values()) >= 10, per_class


def test_base_files_are_valid() -> None:
    """The cases are one change away from these files, so each refusal is about that change."""
    from hyosan.agents.scenario import load_scenario
    from hyosan.compartmental.io import load

    common = Path(__file__).parent / "hostile" / "common"
    assert load(common / "model.yaml").compartments == ("S", "I", "R")
    assert load_scenario(common / "scenario.yaml").n_agents == 41


def test_judge_rejects_what_is_not_clean(tmp_path: Path) -> None:
    """The judge itself: a traceback, two lines, a wrong code or a left-over folder are not clean."""
    case = corpus.Case("cli-options", "x", ["run", "sir"], tmp_path, tmp_path / "out")
    ok = "hyosan: error: --t-end -1: the horizon must be positive\n"
    assert runner.judge(case, 2, "", ok) == ""
    assert runner.judge(case, 1, "", ok)
    assert runner.judge(case, 2, "", "Traceback (most recent call last):\n" + ok)
    assert runner.judge(case, 2, "", "hyosan: error: RecursionError\n")
    assert runner.judge(case, 2, "", ok + ok)
    assert runner.judge(case, 2, "", "")
    (tmp_path / "out").mkdir()
    assert runner.judge(case, 2, "", ok)


@pytest.mark.parametrize("cls", corpus.CLASSES)
def test_every_hostile_case_is_clean(corpus_run: tuple[list[runner.Result], list[str]], cls: str) -> None:
    mine = [r for r in corpus_run[0] if r.case.cls == cls]
    assert mine
    if any(r.problem for r in mine):
        pytest.fail("\n" + runner.table(mine), pytrace=False)


def test_no_case_wrote_beside_its_input(corpus_run: tuple[list[runner.Result], list[str]]) -> None:
    assert corpus_run[1] == []


def test_in_process_answers_match_the_real_cli(corpus_run: tuple[list[runner.Result], list[str]]) -> None:
    """The workers run cases in-process; a few of them, run as real ``hyosan`` processes, answer the same."""
    picks = ["alias-bomb-model-run", "lognormal-sigma-text-run", "replicates-text", "latin1-map-run"]
    for r in [r for r in corpus_run[0] if r.case.id in picks]:
        real = subprocess.run(
            [sys.executable, "-m", "hyosan.cli", *r.case.argv],
            capture_output=True,
            text=True,
            cwd=r.case.cwd,
            timeout=120,
            env={**os.environ, "COLUMNS": "120"},
        )
        assert (real.returncode, real.stderr) == (r.rc, r.stderr), r.case.id


def test_a_count_beyond_exact_integers_is_not_called_fractional() -> None:
    """1e20 people is a whole number; the refusal must say it is too many, not suggest the same value."""
    from hyosan.compartmental.io import load
    from hyosan.engines.stochastic import check_model
    from hyosan.errors import EngineError

    with pytest.raises(EngineError, match=r"initial\.S\): 1e\+20 individuals are more than the ssa engine counts"):
        check_model(load("sir").with_values(S=1e20), "ssa")
