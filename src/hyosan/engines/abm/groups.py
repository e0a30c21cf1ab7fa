"""Groups of friends who move together (placeholder, to be filled by the groups model)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hyosan.engines.abm.records import GroupArrays


def group_record(sc: Any, a: Any, w: Any) -> GroupArrays:
    """Each agent's group, -1 for none."""
    return GroupArrays(np.full(len(a), -1, dtype=np.int32))
