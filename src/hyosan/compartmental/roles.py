"""Roles a model may give its compartments, so that outcomes speak the model's language.

``roles: {humans: [S, Q], zombies: [Z]}`` says which compartments hold the living, uninfected
humans and which the zombies. Outcomes such as "humans win" are reported only for models that
declare these roles; an SIR model has none and gets only the generic ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hyosan.errors import ModelError

ROLES = {
    "humans": "the living, uninfected humans (at large or safe)",
    "zombies": "the zombies",
}


def parse_roles(raw: Any, compartments: Sequence[str], at: Callable[..., str]) -> dict[str, tuple[str, ...]]:
    """Validate the ``roles`` field; ``at(*path)`` names the place of an error."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ModelError(f"{at('roles')}: roles map a role to compartments, e.g. {{humans: [S], zombies: [Z]}}")
    roles: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for role, names in raw.items():
        if role not in ROLES:
            raise ModelError(f"{at('roles', role)}: unknown role '{role}'; roles: {', '.join(ROLES)}")
        if not isinstance(names, list) or not names or any(c not in compartments for c in names):
            raise ModelError(
                f"{at('roles', role)}: list one or more compartments from: {', '.join(map(str, compartments))}"
            )
        for c in names:
            if c in seen:
                raise ModelError(f"{at('roles', role)}: {c} already has the role '{seen[c]}'; give it one role")
            seen[c] = role
        roles[role] = tuple(names)
    return roles
