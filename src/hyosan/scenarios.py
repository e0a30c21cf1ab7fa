"""Scenarios: agent-based worlds (maps, agents, interventions) run by name or YAML file.

Placeholder registry until the agent engine lands: no target is a scenario yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def is_scenario(target: str) -> bool:
    """True when ``target`` names a shipped scenario or a YAML file with a ``world`` section."""
    return False


def run_scenario(target: str, out: Path, **options: Any) -> dict[str, Any]:
    raise NotImplementedError
