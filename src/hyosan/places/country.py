"""Country scenarios: a library model run in every city of a country, coupled by mobility, with a
seed city and, optionally, a cordon (martial law) — the third kind of target beside models and agent
scenarios (``hyosan run korea``).

A country file (``src/hyosan/data/countries/*.yaml``, or any YAML with a ``places`` section)::

    title: one line
    description: what it is and where its numbers come from
    model: hyosan                       # a library model or a model YAML
    set: {q: 0}                         # parameter overrides
    places: cities:KR                   # a --patches spec (hyosan.places.spec)
    mobility: radiation:rate=0.05/d,k=30
    moves: {E: 1, Z: 0.3}               # compartments that move, multipliers of the hop rates
    seed: {city: Uijeongbu-si, Z: 5}    # where the outbreak starts, and with whom
    cordon: {name: martial law, around: Uijeongbu-si, ring: 8, when: "Z > 1000", mixing: false}
    method: tau                         # ssa | tau | ode
    t_end: 60                           # days
    every: 0.5
    fall_below: 0.5                     # a city has fallen when fewer than this fraction is still human
    rtol: 1e-6                          # ode only: relative and absolute (a fraction of everyone)
    atol: 1e-12                         #   tolerances of the solver (default 1e-10 and 1e-12)

The cordon seals ``around`` and its ``ring`` nearest cities (or every city within ``radius``):
movement across its border stops at ``at`` (days) or when ``when`` first holds (counts over the
country). With a cordon, the run is repeated without it on the same random streams (common random
numbers: replicate k of both arms draws from the same seed) to count the people it saved.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.catalog import did_you_mean
from hyosan.errors import HyosanError, ScenarioError
from hyosan.places import spec
from hyosan.places.mobility import nearest
from hyosan.places.patches import Patches
from hyosan.places.sources import haversine

PACKAGE = "hyosan.data.countries"
FIELDS = {
    "title", "description", "reference", "model", "set", "places", "mobility", "moves", "seed", "cordon",
    "method", "t_end", "every", "fall_below", "rtol", "atol",
}  # fmt: skip
CORDON_FIELDS = {"name", "around", "ring", "radius", "at", "when", "mixing"}
METHODS = ("ssa", "tau", "ode")


@dataclasses.dataclass(frozen=True)
class Country:
    """A country scenario, validated and built (its places and couplings are ready to run)."""

    name: str
    source: str
    title: str
    model: Any
    patches: Patches
    seed: dict[str, dict[str, int]]
    cordon: dict[str, Any] | None  # the patches engine's intervention, or None
    inside: np.ndarray  # bool (P,): inside the cordon
    method: str
    t_end: float
    every: float
    fall_below: float
    raw: Mapping[str, Any]
    rtol: float | None = None  # ode tolerances; None: the engine's defaults
    atol: float | None = None

    @property
    def seed_city(self) -> str:
        return next(iter(self.seed))


def shipped() -> list[str]:
    from hyosan.compartmental.io import shipped_names

    return shipped_names(PACKAGE)


def titles() -> dict[str, str]:
    from hyosan.compartmental.io import titles as _titles

    return _titles(PACKAGE)


def is_country(target: str | Path) -> bool:
    """True for a shipped country name, or a YAML file with a ``places`` section."""
    from hyosan.compartmental.io import is_path, read_file, read_yaml

    if not is_path(target):
        return str(target) in shipped()
    path = Path(target)
    try:
        data, _ = read_yaml(read_file(path), str(path)) if path.is_file() else (None, {})
    except (HyosanError, OSError, ValueError):
        return False
    return isinstance(data, dict) and "places" in data and "map" not in data


def load(target: str | Path) -> Country:
    """A country scenario by shipped name or path; every field checked, the places built."""
    from importlib import resources

    from hyosan.compartmental.io import is_path, read_file, read_yaml

    if is_path(target):
        source = str(target)
        text = read_file(Path(target), ScenarioError)
    elif str(target) in shipped():
        source = f"{target}.yaml"
        text = (resources.files(PACKAGE) / source).read_text(encoding="utf-8")
    else:
        raise ScenarioError(
            f"unknown country '{str(target)[:40]}'{did_you_mean(target, shipped())}; shipped: {', '.join(shipped())}"
        )
    data, _ = read_yaml(text, source)
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a country scenario is a mapping of fields ({', '.join(sorted(FIELDS))})")
    extra = sorted(str(k) for k in data if k not in FIELDS)
    if extra:
        raise ScenarioError(
            f"{source}: unknown field '{extra[0][:30]}'{did_you_mean(extra[0], FIELDS)}; "
            f"fields: {', '.join(sorted(FIELDS))}"
        )
    for key in ("model", "places", "seed"):
        if key not in data:
            raise ScenarioError(f"{source}: the field '{key}' is missing; see 'hyosan show korea' for one")
    name = Path(source).stem
    model = _model(data, source)
    try:
        patches = spec.patches(str(data["places"]), f"{source} (places)")
        if data.get("mobility") is not None:
            matrix, text = spec.mobility(str(data["mobility"]), patches, f"{source} (mobility)")
            moves = _moves(data.get("moves"), model, source)
            patches = dataclasses.replace(
                patches,
                movement=matrix,
                mobility=moves,
                description=f"{patches.description}; {text}; moving: {_listed(moves)}",
            )
    except HyosanError as exc:
        raise ScenarioError(str(exc) if str(exc).startswith(source) else f"{source}: {exc}") from None
    seed = _seed(data["seed"], model, patches, source)
    cordon, inside = _cordon(data.get("cordon"), model, patches, source)
    method = data.get("method", "tau")
    if method not in METHODS:
        raise ScenarioError(f"{source} (method): {method!r}; choose one of {', '.join(METHODS)}")
    from hyosan.units import days

    t_end = days(data.get("t_end", model.defaults.get("t_end", 60)), f"{source} (t_end)", ScenarioError)
    every = days(data.get("every", 0.5), f"{source} (every)", ScenarioError)
    if not (t_end > 0 and 0 < every <= t_end):
        raise ScenarioError(f"{source} (t_end, every): need 0 < every <= t_end; got {t_end:g} and {every:g}")
    fall = data.get("fall_below", 0.5)
    if isinstance(fall, bool) or not isinstance(fall, (int, float)) or not 0 < fall <= 1:
        raise ScenarioError(f"{source} (fall_below): {fall!r}; a fraction in (0, 1], e.g. 0.5")
    rtol, atol = (_tolerance(data.get(key), key, source) for key in ("rtol", "atol"))
    return Country(
        name, source, str(data.get("title", name)), model, patches, seed, cordon, inside, method, t_end, every,
        float(fall), data, rtol, atol,
    )  # fmt: skip


def _tolerance(value: Any, key: str, source: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1e-13 <= value < 1:
        raise ScenarioError(f"{source} ({key}): {value!r}; the ode solver's tolerance, a number from 1e-13 to below 1")
    return float(value)


def _listed(moves: Mapping[str, float]) -> str:
    return ", ".join(f"{k}×{v:g}" for k, v in moves.items())


def _model(data: Mapping, source: str) -> Any:
    from hyosan.compartmental.io import load as load_model

    try:
        model = load_model(str(data["model"]))
        values = data.get("set") or {}
        if not isinstance(values, Mapping):
            raise ScenarioError("write set: {NAME: VALUE}")
        return model.with_values(dict(values))
    except HyosanError as exc:
        raise ScenarioError(f"{source} (model/set): {exc}") from None


def _moves(raw: Any, model: Any, source: str) -> dict[str, float]:
    if raw is None:
        raise ScenarioError(f"{source} (moves): name the compartments that move, e.g. moves: {{Z: 1}}")
    if isinstance(raw, str):
        raw = spec.moves(raw, f"{source} (moves)")
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{source} (moves): write moves: {{COMPARTMENT: multiplier}}, e.g. {{Z: 1}}")
    out = {}
    for c, v in raw.items():
        if c not in model.compartments:
            raise ScenarioError(
                f"{source} (moves.{c}): not a compartment of {model.name}; use {', '.join(model.compartments)}"
            )
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1e9:
            raise ScenarioError(f"{source} (moves.{c}): {v!r}; a multiplier >= 0 of the hop rates")
        out[str(c)] = float(v)
    return out


def _city(name: Any, patches: Patches, where: str) -> int:
    try:
        return patches.names.index(str(name))
    except ValueError:
        raise ScenarioError(f"{where}: no place named '{str(name)[:40]}'{did_you_mean(name, patches.names)}") from None


def _seed(raw: Any, model: Any, patches: Patches, source: str) -> dict[str, dict[str, int]]:
    if not isinstance(raw, Mapping) or "city" not in raw or len(raw) < 2:
        raise ScenarioError(
            f"{source} (seed): write seed: {{city: NAME, COMPARTMENT: count}}, e.g. {{city: Seoul, Z: 1}}"
        )
    city = patches.names[_city(raw["city"], patches, f"{source} (seed.city)")]
    counts = {}
    for c, n in raw.items():
        if c == "city":
            continue
        if c not in model.compartments:
            raise ScenarioError(
                f"{source} (seed.{c}): not a compartment of {model.name}; use {', '.join(model.compartments)}"
            )
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ScenarioError(f"{source} (seed.{c}): {n!r}; a whole count >= 0")
        counts[str(c)] = n
    return {city: counts}


def _cordon(raw: Any, model: Any, patches: Patches, source: str) -> tuple[dict | None, np.ndarray]:
    inside = np.zeros(patches.size, dtype=bool)
    if raw is None:
        return None, inside
    where = f"{source} (cordon)"
    if not isinstance(raw, Mapping):
        raise ScenarioError(f'{where}: write cordon: {{around: CITY, ring: 8, at: 2}} or with when: "Z > 1000"')
    extra = sorted(str(k) for k in raw if k not in CORDON_FIELDS)
    if extra:
        raise ScenarioError(
            f"{where}: unknown field '{extra[0][:20]}'{did_you_mean(extra[0], CORDON_FIELDS)}; "
            f"fields: {', '.join(sorted(CORDON_FIELDS))}"
        )
    centre = _city(raw.get("around"), patches, f"{where}.around")
    inside[centre] = True
    if ("ring" in raw) == ("radius" in raw):
        raise ScenarioError(f"{where}: give ring: K (the K nearest places) or radius: '30km', one of them")
    if "ring" in raw:
        k = raw["ring"]
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise ScenarioError(f"{where}.ring: {k!r}; a whole number of nearest places >= 0")
        if k:
            idx, _ = nearest(patches, k, "cordon")
            inside[idx[centre]] = True
    else:
        from hyosan.units import length

        r = length(raw["radius"], f"{where}.radius") / 1000.0
        d = haversine(patches.lat[centre], patches.lon[centre], patches.lat, patches.lon)
        inside |= d <= r
    if ("at" in raw) == ("when" in raw):
        raise ScenarioError(f'{where}: give at: DAY or when: "CONDITION", one of them')
    mixing = raw.get("mixing", False)
    if not isinstance(mixing, bool):
        raise ScenarioError(f"{where}.mixing: write true (also seal contacts) or false")
    action = {
        "name": str(raw.get("name", "cordon")),
        "cordon": {"patches": [patches.names[i] for i in np.flatnonzero(inside)], "mixing": mixing},
    }
    action |= {"at": raw["at"]} if "at" in raw else {"when": str(raw["when"])}
    return action, inside
