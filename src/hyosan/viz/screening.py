"""Outcomes of a screened confinement (the military base), from the survivors' and the guards' side."""

from __future__ import annotations

from typing import Any

import numpy as np


def screening_side(sc: Any, run: Any) -> dict[str, Any]:
    """Arrivals held and screened, detected and missed, turnings in the hall, in isolation and inside the base,
    bites inside the base (the outbreak measure), the confined at the end, zombies destroyed, ``outbreak_inside``."""
    from hyosan.engines.abm import step as K
    from hyosan.engines.abm.screening import DETECTED, HEALTHY, MISSED

    ev = run.events
    kind, aux, who = ev["kind"], ev["aux"], ev["agent"]
    verdict = aux[kind == K.SCREENED]
    admitted = who[kind == K.ADMITTED]
    bite = kind == K.BITE
    in_base = sc.screening.admit[ev["y"][bite].astype(int), ev["x"][bite].astype(int)]
    guarded = aux[kind == K.GUARDED]
    turned = who[(kind == K.TURN) | (kind == K.HUMBIE)]
    a = run.agents
    room0 = len(sc.safe_rooms)
    base, iso = a.hidden == room0 + 2, a.hidden == room0 + 1
    detected, missed = int((verdict == DETECTED).sum()), int((verdict == MISSED).sum())
    bites_inside = int(in_base.sum())
    return {
        "arrivals_held": int((kind == K.HELD).sum()),
        "arrivals_screened": int(verdict.size),
        "passed_healthy": int((verdict == HEALTHY).sum()),
        "detected": detected,
        "missed": missed,
        "detected_fraction": round(detected / (detected + missed), 4) if detected + missed else None,
        "turned_in_hall": int((guarded == 0).sum()),
        "turned_in_isolation": int((guarded == 1).sum()),
        "turned_inside_base": int(np.isin(turned, admitted).sum()),
        "bites_inside_base": bites_inside,
        "confined_healthy_end": int((base & (a.state == K.S)).sum()),
        "confined_bitten_end": int((base & (a.state == K.E)).sum()),
        "isolated_end": int((iso & (a.state == K.E)).sum()),
        "zombies_destroyed": int(((kind == K.SHOT) | (kind == K.KILL)).sum() + guarded.size),
        "outbreak_inside": bites_inside > 0,
    }
