"""Observed data for a fit: a table of observation times and observed columns, validated.

Times are days since the model's t = 0, in a column named ``time``, ``t``, ``day`` or ``days``
(else the first column); every other column is a series of observed counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.fit.priors import FitError

TIME_NAMES = ("time", "t", "day", "days")


@dataclass(frozen=True)
class Observations:
    """Observation ``times`` (strictly increasing, >= 0) and ``columns`` (name -> values, >= 0)."""

    times: np.ndarray
    columns: dict[str, np.ndarray]
    source: str = "<data>"
    time_column: str = "time"
    integer: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def read(cls, path: str | Path) -> Observations:
        """A CSV or Parquet file (``.parquet``/``.pq``)."""
        import pandas as pd

        path = Path(path)
        if not path.is_file():
            raise FitError(f"--data {path}: no such file; give a CSV or Parquet table of times and counts")
        try:
            if path.suffix.lower() in (".parquet", ".pq"):
                frame = pd.read_parquet(path)
            else:
                frame = pd.read_csv(path, comment="#", skipinitialspace=True)
        except Exception as exc:  # pandas raises many kinds for an unreadable table
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise FitError(f"--data {path}: cannot read the table ({first}); give a CSV with a header row") from None
        return cls.from_frame(frame, str(path))

    @classmethod
    def from_frame(cls, frame: Any, source: str = "<data>") -> Observations:
        """From a pandas DataFrame or a mapping of column -> values."""
        import pandas as pd

        frame = pd.DataFrame(frame) if isinstance(frame, Mapping) else frame
        names = [str(c) for c in frame.columns]
        if len(names) < 2:
            raise FitError(f"{source}: needs a time column and at least one observed column, got {names}")
        if len(set(names)) != len(names):
            raise FitError(f"{source}: column names repeat ({', '.join(names)}); name each column once")
        tcol = next((c for c in names if c.lower() in TIME_NAMES), names[0])
        times = _numbers(frame[frame.columns[names.index(tcol)]], source, tcol)
        if len(times) == 0:
            raise FitError(f"{source}: the table has no rows; give at least one observation")
        if np.any(times < 0):
            i = int(np.argmax(times < 0))
            raise FitError(f"{source} row {i + 1}: {tcol} {times[i]:g} is before the model's start (t = 0)")
        steps = np.diff(times)
        if np.any(steps == 0):
            i = int(np.argmax(steps == 0)) + 1
            raise FitError(f"{source} row {i + 1}: {tcol} {times[i]:g} is duplicated; give each time once")
        if np.any(steps < 0):
            i = int(np.argmax(steps < 0)) + 1
            raise FitError(
                f"{source} row {i + 1}: {tcol} {times[i]:g} comes after {times[i - 1]:g}; sort the rows by {tcol}"
            )
        columns, integer = {}, {}
        for name, col in zip(names, frame.columns, strict=True):
            if name == tcol:
                continue
            values = _numbers(frame[col], source, name)
            if np.any(values < 0):
                i = int(np.argmax(values < 0))
                raise FitError(f"{source} row {i + 1}: {name} is {values[i]:g}; observed counts cannot be negative")
            columns[name] = values
            integer[name] = bool(np.all(values == np.round(values)))
        return cls(times, columns, source, tcol, integer)

    def __len__(self) -> int:
        return len(self.times)


def _numbers(series: Any, source: str, name: str) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    raw = series.to_numpy()
    for i, v in enumerate(values):
        if not math.isfinite(v):
            shown = raw[i]
            what = "is missing (NaN)" if pd.isna(shown) or str(shown).strip().lower() == "nan" else f"is {shown!r}"
            raise FitError(f"{source} row {i + 1}: {name} {what}; give a finite number in every cell")
    return values
