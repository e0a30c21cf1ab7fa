"""Helpers of the viewer tests: a tiny agent scenario, a synthetic ensemble result, a served session."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import yaml

MAP = """name: court
scale: 0.5
legend: {"#": wall, ".": floor, "+": door, "G": {exit: gate}}
zones: {court: [1, 1, 30, 10], shed: [1, 12, 8, 14]}
---
################################
#..............................#
#..............................#
#..............................#
#..............................#
#..............................G
#..............................#
#..............................#
#..............................#
#..............................#
#..............................#
###+############################
#........#
#........#
#........#
##########
"""


def court(folder: Path) -> Path:
    """A 32 x 16 cell court with a shed: 80 students, 3 zombies in the shed, night at the
    start (23:58); a quarter of the bitten keep their minds (humbies) and fights destroy zombies (dead)."""
    (folder / "court.txt").write_text(MAP)
    data = {
        "name": "court",
        "map": "court.txt",
        "time": {"step": "1s", "horizon": "3min", "report": "10s", "starts_at": "23:58"},
        "day": {"sunrise": "06:00", "sunset": "20:00"},
        "kinds": {"student": {"speed": "1.4 m/s", "run_speed": "3 m/s", "sight": "10m"}},
        "zombie": {"speed": "1 m/s", "run_speed": "2.5 m/s", "sight": "8m"},
        "population": [{"kind": "student", "count": 80, "zone": "court"}],
        "patient_zero": {"zone": "shed", "count": 3},
        "infection": {
            "incubation": {"distribution": "exponential", "mean": "40s"},
            "humbie_fraction": 0.3,
            "kill_probability": 0.03,
        },
        "animation": {"every": "2s", "frames": 40, "fps": 10},
    }
    path = folder / "court.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def agent_result(folder: Path, seed: int = 3) -> Path:
    """Run the court scenario into ``folder/court-run`` (plots on, no animation file): frames.npz included."""
    from hyosan.agents.run import run_scenario

    out = folder / "court-run"
    run_scenario(str(court(folder)), out, seed=seed, animation="none")
    return out


def ensemble_values(replicates: int = 9, times: int = 21) -> np.ndarray:
    """Known curves (replicate, time, 2): I_r(t) = (r + 1) * t and R = 100 - I, so every band is exact."""
    t = np.arange(times, dtype=float)
    i = np.array([(r + 1) * t for r in range(replicates)])
    return np.stack([i, 100.0 - i], axis=-1)


def ensemble_result(folder: Path) -> Path:
    """A synthetic 9-replicate result (ssa provenance) saved with the package's own writer."""
    from hyosan.results import make_dataset
    from hyosan.simulate import save

    values = ensemble_values()
    attrs = {"engine": "ssa", "seed": 0, "model": "known", "replicates": values.shape[0]}
    ds = make_dataset(np.arange(values.shape[1], dtype=float), values, ["I", "R"], attrs)
    out = folder / "ensemble"
    save(ds, out=out, plot=False)
    return out


@contextmanager
def serving(
    folders: list[Path], runs: Path | None = None, scheduler: str | None = None
) -> Iterator[tuple[object, object, str]]:
    """A real viewer server on 127.0.0.1 in a thread: (server, session, url with token)."""
    from hyosan.view.server import Session, make_server, url_of

    session = Session(folders, runs, scheduler=scheduler)
    server = make_server(session)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, session, url_of(server, session)
    finally:
        server.shutdown()
        server.server_close()


def cli_error(*argv: str, capsys) -> str:
    """The one-line error ``hyosan ARGV`` prints (run in this process; exit code 2 checked)."""
    import pytest

    from hyosan.cli import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1, err
    return err.strip().removeprefix("hyosan: error: ")
