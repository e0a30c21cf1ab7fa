"""Place and mobility specs as one-line strings (the CLI's ``--patches`` / ``--mobility`` / ``--moves``).

``--patches``:  ``cities:KR`` | ``cities:US,min=50000`` | ``cities:US48,sections=5000/km2`` |
``cities:world,min=1000000`` |
``grid:n=20x20,pop=1000[,spacing=2km,lat=37.5,lon=127]`` | ``FILE.csv`` / ``FILE.parquet``
(columns name, lat, lon, population). ``sections=DENSITY`` drops the places that are sections of a
larger place (boroughs, neighbourhoods), by the rule of :func:`hyosan.places.sources.sections`.

``--mobility``: ``radiation:rate=0.05/d[,k=50]`` | ``gravity:rate=0.05/d[,a=1,b=1,g=2,k=30,min=1km]`` |
``walk:speed=5km/h[,radius=3km,k=4,connect=yes,min=5km,step=3.2km]`` | ``none`` (a walker leaves a place at
speed / mean distance to its neighbours and picks one uniformly; neighbours: the Gabriel graph, or
with ``radius`` every place within it; ``k``: also the k nearest places however far; ``connect=yes``:
also the minimum spanning tree of distances; ``min``: shorter distances count as this one; ``step``:
the walker turns at random every ``step``, a diffusion coefficient speed·step/4).
Rates are per person: ``0.05/d``, ``1/w``, ``0.002/h`` (a unit is required); speeds ``5km/h`` or
``1.4m/s``; distances ``3km``.

``--moves``: which compartments move and how much: ``Z`` or ``Z=1,S=0.2`` (multipliers of the hop rates).

Keys are whitelisted per kind; anything else is refused in one line naming the option and the fix.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import scipy.sparse as sp

from hyosan.catalog import did_you_mean
from hyosan.errors import ScenarioError
from hyosan.places import mobility as mob
from hyosan.places import sources
from hyosan.places.patches import Patches
from hyosan.units import NUM, SECONDS, length, speed

PATCH_KEYS = {"cities": {"min", "sections"}, "grid": {"n", "pop", "spacing", "lat", "lon"}}
MOBILITY_KEYS = {
    "radiation": ({"rate"}, {"k"}),
    "gravity": ({"rate"}, {"a", "b", "g", "k", "min"}),
    "walk": ({"speed"}, {"radius", "k", "connect", "min", "step"}),
}


def _split(text: str, flag: str, kinds: dict) -> tuple[str, str, dict[str, str]]:
    kind, _, rest = str(text).strip().partition(":")
    kind = kind.strip().lower()
    if kind not in kinds:
        raise ScenarioError(
            f"{flag} {str(text)[:60]}: unknown kind '{kind[:20]}'{did_you_mean(kind, kinds)}; use {' | '.join(kinds)}"
        )
    head, pairs = "", {}
    for item in (p.strip() for p in rest.split(",") if p.strip()):
        key, sep, value = item.partition("=")
        if not sep:
            if head or pairs:
                raise ScenarioError(f"{flag} {text[:60]}: '{item[:20]}' needs a value (KEY=VALUE)")
            head = item
            continue
        key = key.strip().lower()
        if key in pairs:
            raise ScenarioError(f"{flag} {text[:60]}: '{key}' is given twice; give it once")
        pairs[key] = value.strip()
    return kind, head, pairs


def _unknown_keys(flag: str, text: str, pairs: dict, allowed: set[str]) -> None:
    for key in pairs:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            raise ScenarioError(
                f"{flag} {text[:60]}: unknown key '{key[:20]}'{hint}; allowed: {', '.join(sorted(allowed))}"
            )


def _number(flag: str, key: str, value: str, whole: bool = False) -> float:
    try:
        x = float(value)
    except ValueError:
        raise ScenarioError(f"{flag}: {key}={value[:20]} is not a number") from None
    if whole and (x != int(x) or x < 0):
        raise ScenarioError(f"{flag}: {key}={value[:20]} must be a whole number >= 0")
    return x


def patches(text: str, flag: str = "--patches") -> Patches:
    """The patches a ``--patches`` spec names (see the module docstring)."""
    text = str(text).strip()
    kind = text.partition(":")[0].strip().lower()
    if text.lower().endswith((".csv", ".parquet", ".pq")) or ("/" in text and kind not in PATCH_KEYS):
        return sources.from_table(Path(text))
    kind, head, pairs = _split(text, flag, PATCH_KEYS)
    _unknown_keys(flag, text, pairs, PATCH_KEYS[kind])
    if kind == "cities":
        minimum = _number(flag, "min", pairs["min"], whole=True) if "min" in pairs else 15000
        density = density_per_km2(pairs["sections"], f"{flag} sections") if "sections" in pairs else None
        return sources.cities(None if head.lower() in ("", "world") else head, int(minimum), density)
    if head:
        raise ScenarioError(f"{flag} {text[:60]}: grid takes KEY=VALUE only, e.g. grid:n=20x20,pop=1000")
    m = re.fullmatch(r"(\d{1,5})x(\d{1,5})", pairs.get("n", ""))
    if not m:
        raise ScenarioError(f"{flag} {text[:60]}: write the grid size as n=ROWSxCOLUMNS, e.g. n=20x20")
    shape = (int(m.group(1)), int(m.group(2)))
    if shape[0] * shape[1] > 10**7:
        raise ScenarioError(f"{flag}: n={pairs['n']} is more than 10^7 cells; use a coarser grid")
    pop = int(_number(flag, "pop", pairs.get("pop", "1000"), whole=True))
    spacing = length(pairs.get("spacing", "2km"), f"{flag} spacing", ScenarioError) / 1000.0
    lat, lon = (_number(flag, key, pairs.get(key, "0")) for key in ("lat", "lon"))
    return sources.grid(pop, shape, spacing, lat, lon)


def density_per_km2(raw: str, where: str) -> float:
    """People per km² from ``5000/km2``, ``5000/km²`` or ``5000 per km2``."""
    m = re.fullmatch(NUM + r"\s*(?:/|per\s+)\s*km(?:2|²|\^2)", str(raw).strip().lower())
    value = float(m.group(1)) if m else math.nan
    if not (math.isfinite(value) and value > 0):
        raise ScenarioError(
            f"{where}: {str(raw)[:30]!r} is not a density; write people per km², e.g. sections=5000/km2"
        )
    return value


def rate_per_day(raw: str, where: str) -> float:
    """Per-person rate per day from ``0.05/d``, ``1/w``, ``0.002/h``, ``0.05 per day``."""
    m = re.fullmatch(NUM + r"\s*(?:/|per\s+)\s*([a-z]+)", str(raw).strip().lower())
    if not m or m.group(2) not in SECONDS:
        raise ScenarioError(
            f"{where}: {str(raw)[:30]!r} is not a rate; write a number per time, e.g. 0.05/d or 0.002/h"
        )
    value = float(m.group(1)) * 86400.0 / SECONDS[m.group(2)]
    if not 0 <= value < 1e9:
        raise ScenarioError(f"{where}: {raw!r} must be >= 0 and finite, e.g. 0.05/d")
    return value


def mobility(text: str, places: Patches, flag: str = "--mobility") -> tuple[sp.csr_matrix | None, str]:
    """The movement matrix a ``--mobility`` spec names, over ``places``, and a one-line description."""
    text = str(text).strip()
    if text.lower() == "none":
        return None, "no movement"
    kind, head, pairs = _split(text, flag, MOBILITY_KEYS)
    required, optional = MOBILITY_KEYS[kind]
    _unknown_keys(flag, text, pairs, required | optional)
    if head:
        raise ScenarioError(f"{flag} {text[:60]}: '{head[:20]}' needs a key, e.g. {kind}:rate=0.05/d")
    missing = sorted(required - set(pairs))
    if missing:
        raise ScenarioError(f"{flag} {text[:60]}: give {', '.join(missing)} (e.g. {_EXAMPLES[kind]})")
    if kind == "walk":
        v = speed(pairs["speed"], f"{flag} speed", ScenarioError) * 86.4  # m/s -> km/day
        r = length(pairs["radius"], f"{flag} radius", ScenarioError) / 1000.0 if "radius" in pairs else None
        k = int(_number(flag, "k", pairs["k"], whole=True)) if "k" in pairs else 0
        connect = pairs.get("connect", "no").lower()
        if connect not in ("yes", "no"):
            raise ScenarioError(f"{flag}: connect={connect[:10]}; write connect=yes (add the spanning tree) or no")
        near = (f", to the {k} nearest" if k else "") + (", along the spanning tree" if connect == "yes" else "")
        where = f"places within {pairs['radius']}" if r is not None else "Gabriel neighbours"
        text = f"walking at {pairs['speed']} to {where}{near}"
        floor = length(pairs["min"], f"{flag} min", ScenarioError) / 1000.0 if "min" in pairs else 0.0
        step = length(pairs["step"], f"{flag} step", ScenarioError) / 1000.0 if "step" in pairs else None
        text += f", turning every {pairs['step']}" if step is not None else ""
        return mob.walk(places, v, r, k, connect == "yes", floor, step), text
    rate = rate_per_day(pairs["rate"], f"{flag} rate")
    k = int(_number(flag, "k", pairs["k"], whole=True)) if "k" in pairs else None
    if k is not None and k < 1:
        raise ScenarioError(f"{flag}: k={k} must be 1 or more (the nearest places each sends people to)")
    if kind == "radiation":
        return mob.radiation(places, rate, k=k or 50), f"radiation model, {rate:g} trips per person per day"
    exps = {key: _number(flag, key, pairs[key]) for key in ("a", "b", "g") if key in pairs}
    if "min" in pairs:
        exps["min_km"] = length(pairs["min"], f"{flag} min", ScenarioError) / 1000.0
        if exps["min_km"] <= 0:
            raise ScenarioError(f"{flag}: min={pairs['min']} must be > 0, e.g. min=1km")
    return mob.gravity(places, rate, k=k or 30, **exps), f"gravity model, {rate:g} trips per person per day"


_EXAMPLES = {
    "radiation": "radiation:rate=0.05/d",
    "gravity": "gravity:rate=0.05/d,g=2",
    "walk": "walk:speed=5km/h",
}


def moves(text: str, flag: str = "--moves") -> dict[str, float]:
    """``Z`` or ``Z=1,S=0.2``: compartment -> multiplier of the hop rates (a bare name is 1)."""
    out: dict[str, float] = {}
    for item in (p.strip() for p in str(text).split(",") if p.strip()):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not name.isidentifier():
            raise ScenarioError(f"{flag} {text[:60]}: '{name[:20]}' is not a compartment name")
        out[name] = _number(flag, name, value) if sep else 1.0
        if not 0 <= out[name] < 1e9:
            raise ScenarioError(f"{flag}: {name}={value[:20]} must be a multiplier >= 0")
    if not out:
        raise ScenarioError(f"{flag}: name the compartments that move, e.g. --moves Z or --moves Z=1,S=0.1")
    return out


def build(places: str, movement: str | None = None, who: str | dict | None = None) -> Patches:
    """Patches from a ``--patches`` spec, coupled by a ``--mobility`` spec, moving the ``--moves`` compartments."""
    out = patches(places)
    if movement is None:
        return out
    matrix, text = mobility(movement, out)
    walkers = moves(who) if isinstance(who, str) else who
    return mob.couple(out, movement=matrix, mobility=walkers, description=text)
