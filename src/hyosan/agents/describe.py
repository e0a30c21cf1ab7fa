"""Human-readable description of an agent scenario: what ``hyosan show SCENARIO`` prints.

Map (cells and metres, exits, doors), zones, population by kind and state with counts, the
parameters as written (with their units), the interventions with their triggers and actions, and
the compartment model the scenario declares.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from hyosan.agents.scenario_types import STATE_NAMES, STATES, Scenario

TRIGGERS = ("at", "every", "start", "until", "when")
ZONES_SHOWN = 40


def _flat(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [kv for k, v in value.items() for kv in _flat(f"{prefix}.{k}" if prefix else str(k), v)]
    return [(prefix, value)]


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return str(value)


def map_lines(sc: Scenario) -> list[str]:
    """The floor plan's size in cells and metres, its exits, doors and zones."""
    w = sc.world
    rows, cols = w.shape
    walkable = int(w.walkable().sum())
    out = [
        f"Map: {w.name}, {cols} × {rows} cells of {w.scale:g} m ({cols * w.scale:g} m × {rows * w.scale:g} m), "
        f"{walkable:,} walkable cells ({walkable * w.scale**2:,.0f} m²); {w.n_doors} doors",
        f"  exits: {', '.join(w.exits) or 'none'}",
    ]
    zones = sorted(w.zones)
    shown = ", ".join(f"{z} ({int(np.count_nonzero(w.zones[z]))} cells)" for z in zones[:ZONES_SHOWN])
    more = f", ... ({len(zones)} in all)" if len(zones) > ZONES_SHOWN else ""
    out.append(f"  zones ({len(zones)}): {shown or 'none'}{more}")
    return out


def population_lines(sc: Scenario) -> list[str]:
    """Agents placed at the start, by kind and state, with counts."""
    counts: Counter[tuple[str, str]] = Counter()
    for g in sc.groups:
        counts[(sc.kinds[g.kind].name, STATE_NAMES.get(STATES[g.state], str(g.state)))] += g.count
    out = [f"Population ({sc.n_agents:,} agents):"]
    out += [f"  {kind:14s} {state:10s} {n:>7,}" for (kind, state), n in counts.items()]
    return out


def intervention_lines(sc: Scenario) -> list[str]:
    """Each intervention as written: its name, its trigger and its action."""
    raw = sc.raw.get("interventions") or []
    if not raw:
        return ["Interventions: none"]
    out = ["Interventions:"]
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        trigger = ", ".join(f"{k} {_inline(item[k])}" for k in TRIGGERS if k in item) or "at the start"
        action = "; ".join(f"{k} {_inline(v)}" for k, v in item.items() if k not in (*TRIGGERS, "name"))
        out.append(f"  {item.get('name', f'intervention {i}')}: {trigger} -> {action}")
    return out


def describe_scenario(sc: Scenario) -> str:
    """The whole description, one section after another."""
    out = [f"{sc.name}: {sc.title}" if sc.title and sc.title != sc.name else sc.name, "agent scenario (engine abm)"]
    if sc.raw.get("description"):
        out += ["", str(sc.raw["description"]).strip()]
    out += ["", *map_lines(sc)]
    out += ["", "Time: " + ", ".join(f"{k} {v}" for k, v in (sc.raw.get("time") or {}).items())]
    out += ["", *population_lines(sc)]
    skip = ("time", "interventions")
    params = [kv for key, value in sc.parameters.items() if key not in skip for kv in _flat(key, value)]
    if params:
        out += ["", "Parameters (as written, with their units):"]
        out += [f"  {k} = {_inline(v)}" for k, v in params]
    out += ["", *intervention_lines(sc)]
    model = sc.raw.get("model")
    out += ["", f"Compartment model: {model}" if model else "Compartment model: none declared"]
    return "\n".join(out)
