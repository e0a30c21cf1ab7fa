"""Reading models from YAML files and from the built-in library, with line numbers for errors."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hyosan.errors import ModelError
from hyosan.model.spec import Model


def library() -> dict[str, str]:
    """Built-in model names -> one-line descriptions."""
    out = {}
    for entry in sorted(resources.files("hyosan.models").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text())
            out[entry.name[:-5]] = str(data.get("title") or data.get("description", "")).strip().split("\n")[0]
    return out


def read_yaml(text: str, source: str) -> tuple[Any, dict[tuple, int]]:
    """Parse YAML and map each key path to its 1-based line, so errors can point at it."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ModelError(f"{source}{line}: malformed YAML ({problem}); check indentation and quoting") from None
    lines: dict[tuple, int] = {}

    def walk(n: yaml.Node, path: tuple) -> None:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = k.value
                lines[(*path, key)] = k.start_mark.line + 1
                walk(v, (*path, key))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, (*path, i))

    if node is not None:
        walk(node, ())
    return data, lines


def load(target: str | Path) -> Model:
    """A library model by name (``"munz-szr"``) or a model YAML file by path."""
    target = str(target)
    path = Path(target)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ModelError(f"{target}: no such file; give a model file or one of: {', '.join(library())}")
        text, source = path.read_text(), str(path)
    else:
        entry = resources.files("hyosan.models") / f"{target}.yaml"
        if not entry.is_file():
            raise ModelError(f"unknown model '{target}'; library models: {', '.join(library())}, or give a YAML path")
        text, source = entry.read_text(), f"{target}.yaml"
    data, lines = read_yaml(text, source)
    return Model.from_dict(data, source=source, lines=lines)
