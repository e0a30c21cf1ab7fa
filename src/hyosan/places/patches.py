"""The patches a country run is made of, and how they are coupled: the one object both the place
builders (:mod:`hyosan.places`) and the ``patches`` engine (:mod:`hyosan.engines.patches`) speak.

A country run holds one copy of a model's compartments per patch. Patches are coupled in two ways:

- *movement*: individuals of a compartment hop from patch ``i`` to patch ``j`` at the per-capita
  rate ``movement[i, j] * mobility[compartment]`` per day (zombies walking to neighbouring cells,
  evacuees on the road); a compartment missing from ``mobility`` does not move;
- *mixing*: the force of infection felt in patch ``i`` uses the effective counts
  ``X_eff[i] = sum_j mixing[i, j] * X[j]`` (and ``N_eff`` likewise), ``mixing`` row-stochastic
  (commuting, as LASER and GLEAM do); ``None`` means each patch mixes only within itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Patches:
    """Patches with names, positions, populations and couplings (see the module docstring)."""

    names: tuple[str, ...]
    population: np.ndarray  # int64 (P,), people living in each patch at the start
    lat: np.ndarray | None = None  # float64 (P,) degrees, or None for abstract patches
    lon: np.ndarray | None = None
    movement: sp.csr_matrix | None = None  # (P, P) per-capita hop rates per day, zero diagonal
    mobility: Mapping[str, float] = field(default_factory=dict)  # compartment -> multiplier of movement
    mixing: sp.csr_matrix | None = None  # (P, P) row-stochastic, or None
    description: str = ""  # one line: where the patches and couplings came from, for result attrs

    @property
    def size(self) -> int:
        return len(self.names)
