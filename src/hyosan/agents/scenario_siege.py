"""The siege keys of an agent scenario: the clock, night, barricades zombies break, hiding, hidden bites, the base.

::

    time: {starts_at: "09:40", step: "0.5s", horizon: "3d"}   # clock time at t = 0 (day 1)
    day: {sunrise: "06:30", sunset: "19:00", night_light: 0.3}
    barricades: {fraction: 0.7, break_rate: "1 per 30min", memory: "30min"}
    hiding: {fraction: 0.15, noise: "1 per 20min", heard_within: "15m", quiet: "2h", moves: night}
    bite_hidden: 0.4
    base: [main-gate]

``day``: between ``sunset`` and ``sunrise`` (clock time ``starts_at`` + t) the sight of zombies, humans
and humbies is multiplied by ``night_light`` (on top of the map's ``light``); needs ``time.starts_at``.
``barricades.fraction`` (the old ``barricade_fraction``): the chance that someone hiding bars the room.
``barricades.break_rate``: the hazard with which ONE zombie pushing breaks a barricaded door; k zombies
pushing break it at hazard k * rate (per step ``1 - exp(-k rate dt)``), and the door opens. A zombie
pushes while it stands next to a barricaded door of a room it has heard people in (within ``memory`` of
the last noise it heard, default 30 min) and sees no prey. ``hiding.fraction`` (the old ``hide_fraction``):
the share of humans heading for a safe room. ``hiding.noise``: each person hidden in a safe room makes a
noise at this rate; zombies within ``heard_within`` (path metres through open doors, to the room's
doors; default 15 m) hear it and are drawn to the room's doors. ``hiding.quiet``: a hidden person who
has neither seen a zombie nor had one at the room's doors (within ``heard_within``) for this long
leaves the room for the base exits (``moves: quiet``), only at night (``moves: night``) or never
(``moves: never``, the default without ``quiet``). ``bite_hidden``: the probability that a bitten
human hides the bite (rescued or reaching the base, they carry it; it is revealed when they turn).
``base``: exits leading to the military base; escaping through one is ``reached-base``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hyosan.agents.scenario_types import known_fields
from hyosan.errors import ScenarioError
from hyosan.units import NUM, SECONDS, duration, fraction, length

KEYS = ("day", "barricades", "hiding", "bite_hidden", "base")
MOVES = ("never", "quiet", "night")
DAY = 86400.0


@dataclass
class Siege:
    """The siege's quantities in seconds and metres (rates per second); defaults change nothing."""

    starts_at: float = 0.0
    sunrise: float = 6.5 * 3600.0
    sunset: float = 19.0 * 3600.0
    night_light: float = 1.0
    break_rate: float = 0.0
    memory: float = 1800.0
    noise_rate: float = 0.0
    heard_within: float = 15.0
    quiet: float = math.inf
    moves: str = "never"
    bite_hidden: float = 0.0
    base: list[int] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Does any siege mechanism differ from a scenario without these keys?"""
        return bool(
            self.night_light < 1.0 or self.break_rate > 0 or self.noise_rate > 0 or self.moves != "never"
            or self.bite_hidden > 0 or self.base
        )  # fmt: skip

    def is_night(self, t: float) -> bool:
        """Is it night at ``t`` seconds after the start?"""
        c = (self.starts_at + t) % DAY
        return not self.sunrise <= c < self.sunset


def clock(raw: Any, where: str) -> float:
    """Seconds after midnight from ``"HH:MM"`` (or ``"HH:MM:SS"``), quoted in YAML."""
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*", raw) if isinstance(raw, str) else None
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59 or int(m.group(3) or 0) > 59:
        raise ScenarioError(f"{where}: {raw!r} is not a clock time; write it quoted as 'HH:MM', e.g. '09:40'")
    return int(m.group(1)) * 3600.0 + int(m.group(2)) * 60.0 + int(m.group(3) or 0)


def rate(raw: Any, where: str) -> float:
    """Events per second from ``"1 per 30min"`` or ``"2/h"`` (a count over a duration)."""
    m = re.fullmatch(NUM + r"\s*(?:per\s+|/\s*)(.+)", raw.strip()) if isinstance(raw, str) else None
    if not m:
        raise ScenarioError(f"{where}: {raw!r} is not a rate; write a count per duration, e.g. '1 per 30min' or '2/h'")
    unit = m.group(2).strip()
    span = SECONDS[unit] if unit in SECONDS else duration(unit, where)
    count = float(m.group(1))
    if count < 0 or span <= 0 or not math.isfinite(count / span):
        raise ScenarioError(f"{where}: {raw!r}: a rate is a finite count >= 0 per positive duration")
    return count / span


def _section(data: dict, key: str, allowed: tuple[str, ...], at: Callable[..., str]) -> dict:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ScenarioError(f"{at(key)}: '{key}' is a mapping with {', '.join(allowed)}")
    known_fields(value, allowed, at, key)
    return value


def parse_siege(sc: Any, data: dict[str, Any], at: Callable[..., str]) -> Siege:
    """Read the siege keys of scenario mapping ``data``; sets ``sc.hide_fraction`` and ``sc.barricade_fraction``
    from ``hiding.fraction`` and ``barricades.fraction`` (refusing them next to the old top-level keys)."""
    out = Siege()
    time = data.get("time") or {}
    if "starts_at" in time:
        out.starts_at = clock(time["starts_at"], at("time", "starts_at"))
    day = _section(data, "day", ("sunrise", "sunset", "night_light"), at)
    if day:
        if "starts_at" not in time:
            raise ScenarioError(f"{at('day')}: day and night need the clock time of t = 0: time.starts_at: '09:40'")
        out.sunrise = clock(day.get("sunrise", "06:30"), at("day", "sunrise"))
        out.sunset = clock(day.get("sunset", "19:00"), at("day", "sunset"))
        if out.sunset <= out.sunrise:
            raise ScenarioError(f"{at('day', 'sunset')}: sunset must come after sunrise on the same day")
        out.night_light = fraction(day.get("night_light", 1.0), at("day", "night_light"))
    bar = _section(data, "barricades", ("fraction", "break_rate", "memory"), at)
    hid = _section(data, "hiding", ("fraction", "noise", "heard_within", "quiet", "moves"), at)
    for new, old, target in ((bar, "barricade_fraction", "barricades"), (hid, "hide_fraction", "hiding")):
        if "fraction" in new:
            if old in data:
                raise ScenarioError(f"{at(old)}: {old} and {target}.fraction say the same; keep {target}.fraction")
            setattr(sc, old, fraction(new["fraction"], at(target, "fraction")))
    if "break_rate" in bar:
        out.break_rate = rate(bar["break_rate"], at("barricades", "break_rate"))
    if "memory" in bar:
        out.memory = duration(bar["memory"], at("barricades", "memory"))
    if "noise" in hid:
        out.noise_rate = rate(hid["noise"], at("hiding", "noise"))
    if "heard_within" in hid:
        out.heard_within = length(hid["heard_within"], at("hiding", "heard_within"))
    if out.break_rate > 0 and out.noise_rate == 0:
        raise ScenarioError(
            f"{at('barricades', 'break_rate')}: zombies push only on doors they hear people behind; "
            "give hiding.noise (e.g. '1 per 20min')"
        )
    if out.break_rate > 0 and not sc.safe_rooms:
        raise ScenarioError(f"{at('barricades', 'break_rate')}: there are no safe_rooms to barricade; name some")
    if "quiet" in hid:
        out.quiet = duration(hid["quiet"], at("hiding", "quiet"))
    moves = str(hid.get("moves", "quiet" if "quiet" in hid else "never"))
    if moves not in MOVES:
        raise ScenarioError(f"{at('hiding', 'moves')}: unknown '{moves}'; hidden people move {', '.join(MOVES)}")
    if moves != "never" and "quiet" not in hid:
        raise ScenarioError(f"{at('hiding', 'moves')}: moving when it is quiet needs hiding.quiet, e.g. '2h'")
    if moves == "never" and "quiet" in hid:
        raise ScenarioError(f"{at('hiding', 'quiet')}: with moves: never, quiet changes nothing; drop one")
    if moves == "night" and not day:
        raise ScenarioError(f"{at('hiding', 'moves')}: moves: night needs a day section (sunrise, sunset)")
    out.moves = moves
    if "bite_hidden" in data:
        out.bite_hidden = fraction(data["bite_hidden"], at("bite_hidden"))
    exits = sc.world.exits
    raw_base = data.get("base") or []
    for e in raw_base if isinstance(raw_base, list) else [raw_base]:
        if str(e) not in exits:
            raise ScenarioError(f"{at('base')}: unknown exit '{e}'; exits of {sc.world.name}: {', '.join(exits)}")
        out.base.append(exits.index(str(e)))
    return out
