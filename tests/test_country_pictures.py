"""Country pictures read as plain numbers: the fall map's logarithmic colour bar is labelled 1, 2, 5,
10 ... days (not 4×10⁰), and curves lying on one another stay told apart (own marker, wider beneath)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _view():
    from hyosan.viz.country import CountryView

    n = 30
    return CountryView(
        names=tuple(f"p{i}" for i in range(n)),
        lat=np.linspace(34, 38, n),
        lon=np.linspace(126, 129, n),
        population=np.full(n, 1000),
        times=np.linspace(0, 60, 61),
        infected=np.zeros((61, n)),
        first=np.linspace(0.1, 40, n),
        fall=np.geomspace(0.7, 45, n),
        totals={"R": np.linspace(0, 1e8, 61), "Z": np.linspace(0, 1e8, 61)},  # Z exactly on R
        title="test",
    )


def test_fall_map_colour_bar_has_plain_day_labels(tmp_path: Path, monkeypatch) -> None:
    import matplotlib.pyplot as plt

    from hyosan.viz import country as pictures

    seen = {}
    monkeypatch.setattr(plt, "close", lambda fig: seen.setdefault("fig", fig))
    pictures.fall_map(_view(), tmp_path / "f.png")
    bar = seen["fig"].axes[-1]
    labels = [t.get_text() for t in bar.get_yticklabels() if t.get_text()]
    assert labels == ["1", "2", "5", "10", "20"]
    assert not bar.yaxis.get_minorticklabels() or all(not t.get_text() for t in bar.yaxis.get_minorticklabels())


def test_curves_lying_on_one_another_stay_apart(tmp_path: Path, monkeypatch) -> None:
    import matplotlib.pyplot as plt

    from hyosan.viz import country as pictures

    seen = {}
    monkeypatch.setattr(plt, "close", lambda fig: seen.setdefault("fig", fig))
    pictures.curves(_view(), tmp_path / "c.png")
    lines = {ln.get_label(): ln for ln in seen["fig"].axes[0].get_lines()}
    r, z = lines["R"], lines["Z"]
    assert (
        r.get_marker() != z.get_marker() and r.get_linewidth() > z.get_linewidth() and z.get_zorder() > r.get_zorder()
    )
    assert (tmp_path / "c.png").stat().st_size > 0
