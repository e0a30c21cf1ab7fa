"""``hyosan run MODEL --engine patches --patches SPEC``: the command-line options of the patches engine.

Kept apart from :mod:`hyosan.cli` so that it stays small. The place specs are those of
:mod:`hyosan.places.spec` (``--patches grid:n=10x10,pop=1000 --mobility walk:speed=5km/h,radius=3km
--moves I``).
"""

from __future__ import annotations

from typing import Any

from hyosan.errors import HyosanError

METHODS = ("ssa", "tau", "ode")


def patch_options(
    engine: str | None, patches: str | None, mobility: str | None, moves: str | None, method: str | None
) -> dict[str, Any]:
    """The engine options of ``--engine patches``; each flag refused, in one line, on other engines."""
    given = {"--patches": patches, "--mobility": mobility, "--moves": moves, "--method": method}
    if engine != "patches":
        for flag, value in given.items():
            if value is not None:
                raise HyosanError(f"{flag}: only for models on --engine patches; drop it or add --engine patches")
        return {}
    if not patches:
        raise HyosanError(
            "--engine patches: give --patches SPEC, e.g. --patches grid:n=10x10,pop=1000 "
            "--mobility walk:speed=5km/h,radius=3km --moves I"
        )
    if method is not None and method not in METHODS:
        raise HyosanError(f"--method {method[:20]}: choose one of {', '.join(METHODS)}")
    if (mobility is None) != (moves is None):
        raise HyosanError("--mobility and --moves go together: how people hop, and which compartments hop")
    from hyosan.places.spec import build

    return {"patches": build(patches, mobility, moves), "method": method or "ssa"}
