"""What hyosan ships, by name: library models and agent scenarios, one resolver for both.

A target is a file only when it ends in ``.yaml``/``.yml`` or contains a ``/`` (see
:func:`hyosan.compartmental.io.is_path`); a file is a scenario when it has a ``map`` (or ``world``)
section, otherwise a model. Any other target is a shipped name: a scenario or a library model
(no name is both). Unknown names are refused in one line with the closest names ("did you mean").
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from hyosan.errors import ModelError, ScenarioError

if TYPE_CHECKING:
    from hyosan.agents.scenario import Scenario
    from hyosan.compartmental.model import Model


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` (difflib), or ``""`` when none is close."""
    close = difflib.get_close_matches(str(word)[:100], list(choices), n=2, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"


def models() -> dict[str, str]:
    """Library model names -> one-line titles."""
    from hyosan.compartmental.io import library

    return library()


def scenarios() -> dict[str, str]:
    """Shipped scenario names -> one-line titles."""
    from hyosan.compartmental.io import titles

    return titles("hyosan.data.scenarios")


def is_scenario(target: str | Path) -> bool:
    """True when ``target`` names a shipped scenario or a YAML file with a ``map``/``world`` section."""
    from hyosan.agents.run import is_scenario as _is_scenario

    return _is_scenario(str(target))


def unknown(target: str) -> ModelError:
    """The one-line refusal of a name that is neither a library model nor a shipped scenario."""
    from hyosan.places.country import shipped as countries

    lib, shipped, lands = models(), scenarios(), countries()
    hint = did_you_mean(target, [*lib, *shipped, *lands])
    try:
        here = Path(target).is_file()
    except (OSError, ValueError):
        here = False
    file = f"; for the file here write ./{target}" if here else "; or give a YAML path"
    return ModelError(
        f"unknown model '{str(target)[:60]}'{hint}; library models: {', '.join(lib)}; "
        f"scenarios: {', '.join(shipped)}; countries: {', '.join(lands)}{file}"
    )


def load(target: str | Path) -> Model | Scenario:
    """A library model, a shipped scenario, or a YAML file of either, by name or path."""
    from hyosan.compartmental.io import is_path, shipped_names
    from hyosan.compartmental.io import load as load_model

    if isinstance(target, str) and not is_path(target) and "\x00" not in target:
        if target in shipped_names("hyosan.data.scenarios"):
            from hyosan.agents.scenario import load_scenario

            return load_scenario(target)
        if target not in shipped_names("hyosan.data.models"):
            raise unknown(target)
    elif is_scenario(target):
        from hyosan.agents.scenario import load_scenario

        return load_scenario(target)
    return load_model(target)


def declared_model(sc: Scenario) -> Model:
    """The compartment model scenario ``sc`` declares (``model:`` in its YAML), or a one-line refusal.

    When none is declared the message names the closest library model, if one is obvious.
    """
    ref = sc.raw.get("model") if isinstance(sc.raw, dict) else None
    if ref is None:
        close = difflib.get_close_matches(sc.name, list(models()), n=1, cutoff=0.6)
        hint = f"; the closest library model is '{close[0]}'" if close else ""
        raise ScenarioError(
            f"{sc.source}: the agent scenario '{sc.name}' declares no compartment model to analyse "
            f"(add 'model: NAME' to it){hint}"
        )
    from hyosan.compartmental.io import is_path
    from hyosan.compartmental.io import load as load_model

    path = Path(str(ref))
    if is_path(str(ref)) and not path.is_absolute() and Path(sc.source).suffix in (".yaml", ".yml"):
        folder = Path(sc.source).parent
        path = folder / path if (folder / path).exists() else path
    try:
        return load_model(str(path) if is_path(str(ref)) else str(ref))
    except ModelError as exc:
        raise ScenarioError(f"{sc.source} (model): {exc}") from None
