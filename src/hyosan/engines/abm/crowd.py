"""Crowding: bodies take space (placeholder, to be filled by the crowd model)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hyosan.engines.abm.records import CrowdArrays


def crowd_record(sc: Any, a: Any, w: Any) -> CrowdArrays:
    """The crowding state of a run: agents per cell."""
    return CrowdArrays(np.zeros(w.grid.shape, dtype=np.int16))
