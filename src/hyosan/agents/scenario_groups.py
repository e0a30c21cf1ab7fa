"""The ``groups`` key of an agent scenario: friends and classmates who move together.

::

    groups: {size: "2-5", keep: "3m", wait: "20s", share: 1.0}

``size``: each group's size, a whole number or a range ``"LO-HI"`` (drawn uniformly, at least 2);
``keep``: the distance within which members keep to the group's centre; ``wait``: how long a group waits
for a straggler before it splits; ``share``: the fraction of eligible people who are in a group. The
rules (who is in a group, how it waits, chooses and splits) are in :mod:`hyosan.engines.abm.groups`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hyosan.agents.scenario_types import known_fields
from hyosan.errors import ScenarioError
from hyosan.units import duration, fraction, length

FIELDS = ("size", "keep", "wait", "share")
EXAMPLE = "groups: {size: '2-5', keep: '3m', wait: '20s'}"


@dataclass
class Bands:
    """Validated groups: sizes from ``low`` to ``high``, ``keep`` in metres, ``wait`` in seconds."""

    low: int
    high: int
    keep: float
    wait: float
    share: float = 1.0


def parse_groups(sc: Any, raw: Any, at: Callable[..., str]) -> Bands | None:
    """Validate the ``groups`` section of scenario ``sc``; errors name the file, line and fix."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{at('groups')}: groups is a mapping, e.g. {EXAMPLE}")
    known_fields(raw, FIELDS, at, "groups")
    for key in ("size", "keep", "wait"):
        if key not in raw:
            raise ScenarioError(f"{at('groups')}: missing '{key}' in groups; write e.g. {EXAMPLE}")
    low, high = _size(raw["size"], at("groups", "size"))
    keep = length(raw["keep"], at("groups", "keep"))
    if not keep >= sc.world.scale:
        raise ScenarioError(
            f"{at('groups', 'keep')}: keep {keep:g} m is less than one cell ({sc.world.scale:g} m); make it larger"
        )
    wait = duration(raw["wait"], at("groups", "wait"))
    if sc.human_behaviour != 0:
        raise ScenarioError(f"{at('groups')}: groups move only with behaviour: {{humans: escape}}; drop groups")
    return Bands(low, high, keep, wait, fraction(raw.get("share", 1.0), at("groups", "share")))


def _size(raw: Any, where: str) -> tuple[int, int]:
    """``3`` or ``"2-5"``: the smallest and largest group, both at least 2."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        low = high = raw
    else:
        m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(raw)) if isinstance(raw, str) else None
        if not m:
            raise ScenarioError(f"{where}: {raw!r} is not a group size; write a whole number or a range, e.g. '2-5'")
        low, high = int(m.group(1)), int(m.group(2))
    if not 2 <= low <= high <= 10_000:
        raise ScenarioError(f"{where}: {raw!r}: a group has 2 to 10,000 people, the smaller first, e.g. '2-5'")
    return low, high
