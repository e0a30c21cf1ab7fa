"""The siege: barricades that zombies break, night, rescue (placeholder, to be filled by the siege model)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hyosan.engines.abm.records import SiegeArrays


def siege_record(sc: Any, a: Any, w: Any) -> SiegeArrays:
    """Per door: zombies pushing on it."""
    return SiegeArrays(np.zeros(w.door_state.size, dtype=np.int32))
