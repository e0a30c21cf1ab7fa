"""What a fit returns, whatever the method: estimates, intervals, samples, diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class FitResult:
    """``samples`` (draws × free parameters) are posterior draws (``mcmc``, ``abc``) or, for ``mle``,
    draws from the asymptotic normal of the estimate in transformed space (``sample_kind`` says which)."""

    method: str
    names: list[str]
    estimate: dict[str, float]
    intervals: dict[str, tuple[float | None, float | None]]
    interval_kind: str
    samples: np.ndarray
    sample_kind: str
    log_likelihood: float | None = None
    diagnostics: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Per parameter: estimate, interval and the samples' median, mean, sd and 2.5/97.5% quantiles."""
        out: dict[str, Any] = {}
        for j, name in enumerate(self.names):
            entry: dict[str, Any] = {"estimate": self.estimate[name]}
            lo, hi = self.intervals.get(name, (None, None))
            entry["interval_95"] = [lo, hi]
            if len(self.samples):
                col = self.samples[:, j]
                q = np.quantile(col, [0.025, 0.5, 0.975])
                entry |= {"median": float(q[1]), "mean": float(col.mean()), "sd": float(col.std(ddof=1))}
                entry["quantiles_2.5_97.5"] = [float(q[0]), float(q[2])]
            out[name] = entry
        return out
