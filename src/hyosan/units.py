"""Quantities with units: the one parser of durations, lengths, speeds and probabilities.

Durations are written ``"90s"``, ``"2min"``, ``"8h"``, ``"2.5d"`` everywhere. A bare number keeps the
unit its place documents: days in compartment models (:func:`days`); agent scenarios ask for a unit
(:func:`duration`, seconds). Lengths ``"0.6m"``; speeds ``"1.4 m/s"`` or ``"5 km/h"``; a probability
per second of contact ``0.5`` or ``"0.3 per 10s"``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from hyosan.errors import HyosanError, ModelError, ScenarioError

SECONDS = {
    "ms": 1e-3, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0, "d": 86400.0, "day": 86400.0,
    "days": 86400.0, "w": 604800.0, "wk": 604800.0,
}  # fmt: skip
METRES = {"m": 1.0, "cm": 0.01, "km": 1000.0}
NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
DURATION_EXAMPLES = "'90s', '20min', '12h', '2.5d'"


def quantity(
    raw: Any, where: str, units: dict[str, float], what: str, examples: str, error: type[HyosanError] = ScenarioError
) -> float:
    """``raw`` (a number and a unit from ``units``) times its unit's factor; >= 0 and finite."""
    m = re.fullmatch(NUM + r"\s*([a-z]+)", str(raw).strip())
    if not m or m.group(2) not in units or isinstance(raw, (int, float)):
        raise error(f"{where}: {raw!r} is not a {what}; write a number and a unit: {examples}")
    return _in_range(
        float(m.group(1)) * units[m.group(2)], raw, where, what, f"a finite number, e.g. {examples}", error
    )


def _in_range(value: float, raw: Any, where: str, what: str, write: str, error: type[HyosanError]) -> float:
    """``value`` if it is >= 0 and finite; else one line naming ``raw`` and what to ``write`` instead."""
    if value < 0:
        raise error(f"{where}: {raw!r} is negative; a {what} is >= 0")
    if not math.isfinite(value):
        raise error(f"{where}: {raw!r} is too large to be a {what}; write {write}")
    return value


def duration(raw: Any, where: str, error: type[HyosanError] = ScenarioError) -> float:
    """Seconds from ``"90s"``, ``"2min"``, ``"8h"``, ``"3d"`` (a unit is required)."""
    return quantity(raw, where, SECONDS, "duration", DURATION_EXAMPLES, error)


def days(raw: Any, where: str, error: type[HyosanError] = ModelError) -> float:
    """Days from a bare number (days) or a duration with its unit: ``"2.5d"`` = 2.5, ``"90s"`` = 90/86400."""
    if isinstance(raw, bool):
        raise error(f"{where}: expected a number of days or a duration such as {DURATION_EXAMPLES}, got {raw!r}")
    if isinstance(raw, str) and re.fullmatch(r"\s*" + NUM + r"\s*[a-z]+\s*", raw):
        return duration(raw, where, error) / 86400.0
    try:
        value = float(raw)
    except (TypeError, ValueError):
        shown = repr(raw) if len(repr(raw)) <= 60 else repr(raw)[:57] + "..."
        raise error(
            f"{where}: expected a number of days or a duration such as {DURATION_EXAMPLES}, got {shown}"
        ) from None
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise error(f"{where}: expected a finite number of days, got {raw!r}")
    return value


def length(raw: Any, where: str, error: type[HyosanError] = ScenarioError) -> float:
    """Metres from ``"0.6m"``, ``"20 m"``, ``"50cm"``."""
    return quantity(raw, where, METRES, "length", "'0.6m', '20m', '50cm'", error)


def speed(raw: Any, where: str, error: type[HyosanError] = ScenarioError) -> float:
    """Metres per second from ``"1.4 m/s"`` or ``"5 km/h"``."""
    m = re.fullmatch(NUM + r"\s*([a-z]+)\s*/\s*([a-z]+)", str(raw).strip())
    if not m or m.group(2) not in METRES or m.group(3) not in SECONDS or isinstance(raw, (int, float)):
        raise error(f"{where}: {raw!r} is not a speed; write e.g. '1.4 m/s' or '5 km/h'")
    value = float(m.group(1)) * METRES[m.group(2)] / SECONDS[m.group(3)]
    return _in_range(value, raw, where, "speed", "e.g. '1.4 m/s' or '5 km/h'", error)


def probability(raw: Any, where: str, error: type[HyosanError] = ScenarioError) -> float:
    """A probability per second: ``0.5`` (per second) or ``"0.3 per 10s"`` (converted to per second)."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        p, span = float(raw), 1.0
    else:
        m = re.fullmatch(NUM + r"\s+per\s+(.+)", str(raw).strip())
        if not m:
            raise error(f"{where}: {raw!r} is not a probability; write 0.5 (per second) or '0.3 per 10s'")
        p, span = float(m.group(1)), duration(m.group(2), where, error)
    if not 0 <= p <= 1 or span <= 0:
        raise error(f"{where}: {raw!r}: a probability lies in [0, 1] over a positive duration")
    return 1.0 - (1.0 - p) ** (1.0 / span) if p < 1 else 1.0


def fraction(raw: Any, where: str, error: type[HyosanError] = ScenarioError) -> float:
    """A plain probability (no time unit) in [0, 1]."""
    if not isinstance(raw, (int, float)) or isinstance(raw, bool) or not 0 <= raw <= 1:
        raise error(f"{where}: {raw!r} must be a probability between 0 and 1")
    return float(raw)
