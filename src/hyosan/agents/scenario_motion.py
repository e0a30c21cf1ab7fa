"""The ``motion:`` field of a scenario and ``infection.contact``: how agents move and who touches whom.

``motion: continuous`` (the default): positions are points, walks are in metres per second with collision
(:mod:`hyosan.engines.abm.motion`). ``motion: cells``: every agent stands at the centre of a cell and hops to
one of the eight cells around it, whole cells per step (:mod:`hyosan.engines.abm.hops`): a floor-field
cellular automaton, and Mesa's ``MultiGrid`` model. Each speed of the scenario must then be a whole number of
cells per step (Moore steps: a diagonal hop counts as one); another is refused with the nearest that works.
Under cell motion crowding is exclusion only (at most ``crowd.max_density`` x cell area people a cell); the
density-limited speed of ``crowd.speed: weidmann`` is a continuous law, refused when written.

``infection.contact: radius`` (the default) bites within ``contact_radius``; ``contact: cell`` bites cellmates
(needs ``motion: cells``; then ``contact_radius`` is not given).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hyosan.errors import ScenarioError

MOTIONS = ("continuous", "cells")
CONTACTS = ("radius", "cell")


@dataclass(frozen=True)
class Motion:
    """A scenario's motion: cell hops or continuous walks; contact between cellmates or within a radius."""

    cells: bool = False
    contact_cell: bool = False


def on_cells(sc: Any) -> bool:
    """Does scenario ``sc`` move its agents by cell hops?"""
    m = getattr(sc, "motion", None)
    return bool(m is not None and m.cells)


def parse_motion(sc: Any, data: dict[str, Any], at: Callable[..., str]) -> Motion:
    """The scenario's motion and contact, checked against its speeds, crowding and contact radius; sets
    ``sc.contact_radius`` to 0 for cellmate contact (agents stand at cell centres: cellmates are 0 apart)."""
    raw = data.get("motion", "continuous")
    if raw not in MOTIONS:
        raise ScenarioError(f"{at('motion')}: unknown motion {raw!r}; choose {' or '.join(MOTIONS)}")
    inf = data.get("infection") or {}
    contact = inf.get("contact", "radius") if isinstance(inf, dict) else "radius"
    if contact not in CONTACTS:
        raise ScenarioError(
            f"{at('infection', 'contact')}: unknown contact {contact!r}; choose radius (within contact_radius) "
            "or cell (cellmates, with motion: cells)"
        )
    cells = raw == "cells"
    if contact == "cell":
        if not cells:
            raise ScenarioError(
                f"{at('infection', 'contact')}: contact: cell (cellmates) needs motion: cells, where agents stand "
                "on cells; add motion: cells or use contact_radius"
            )
        if "contact_radius" in inf:
            raise ScenarioError(
                f"{at('infection', 'contact_radius')}: contact: cell bites cellmates; remove contact_radius "
                "or write contact: radius"
            )
        sc.contact_radius = 0.0
    if cells:
        _whole_cells(sc, at)
        crowd = data.get("crowd")
        if isinstance(crowd, dict) and crowd.get("speed") == "weidmann":
            raise ScenarioError(
                f"{at('crowd', 'speed')}: motion: cells moves whole cells a step; Weidmann's density-limited "
                "speed is a continuous law (the cells' exclusion slows a crowd); write crowd.speed: free"
            )
    return Motion(cells, contact == "cell")


def _whole_cells(sc: Any, at: Callable[..., str]) -> None:
    """Refuse a speed that is not a whole number of cells per step, naming the nearest ones that are."""
    per = sc.step / sc.world.scale
    where = [*((k, ("kinds", k.name)) for k in sc.kinds), (sc.zombie, ("zombie",))]
    if sc.humbie_fraction > 0:
        where.append((sc.humbie, ("humbie",)))
    for kind, path in where:
        for name in ("speed", "run_speed"):
            v = getattr(kind, name)
            cells = v * per
            if abs(cells - round(cells)) > 1e-6 * max(1.0, cells):
                lo, hi = int(cells) / per, (int(cells) + 1) / per
                raise ScenarioError(
                    f"{at(*path, name)}: {v:g} m/s is {cells:g} cells per step ({sc.step:g} s steps, "
                    f"{sc.world.scale:g} m cells); motion: cells hops whole cells, write {lo:g} m/s or {hi:g} m/s"
                )
