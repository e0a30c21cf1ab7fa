"""Reading models from YAML files and from the built-in library, with line numbers for errors.

:func:`read_file` and :func:`read_yaml` are the one safe way the project reads a user's file and
YAML (models, scenarios, map headers, ``--set`` values): bounded size, strict UTF-8, no aliases
(so no alias bombs), bounded nesting and no duplicate keys, each refused in one line naming the
place. A target is a file path only when it ends in ``.yaml``/``.yml`` or contains a ``/``;
otherwise it is a library name, so a file or folder called ``sir`` never shadows the library's
``sir`` (write ``./sir`` for such a file).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hyosan.compartmental.model import Model
from hyosan.errors import HyosanError, ModelError

MAX_FILE_BYTES = 64_000_000
"""Largest file read (maps with their grids are the largest inputs)."""

MAX_YAML_CHARS = 4_000_000
"""Largest YAML text parsed; a model with 5,000 compartments and transitions is about 0.3 MB."""

MAX_YAML_DEPTH = 64
"""Deepest nesting of YAML collections; hyosan's own files use fewer than 6 levels."""

SUFFIXES = (".yaml", ".yml")
MODELS = "hyosan.data.models"


def is_path(target: str | Path) -> bool:
    """True when ``target`` names a file: a ``Path``, or text ending in .yaml/.yml or containing '/'."""
    if isinstance(target, Path):
        return True
    return target.endswith(SUFFIXES) or "/" in target or os.sep in target


def library() -> dict[str, str]:
    """Built-in model names -> one-line descriptions."""
    return titles("hyosan.data.models")


def shipped_names(package: str) -> list[str]:
    """Names of the YAML files shipped in ``package``, sorted, without reading them."""
    return sorted(e.name[:-5] for e in resources.files(package).iterdir() if e.name.endswith(".yaml"))


def titles(package: str) -> dict[str, str]:
    """Names of the YAML files shipped in ``package`` -> their one-line titles (or descriptions)."""
    out = {}
    for name in shipped_names(package):
        data, _ = read_yaml((resources.files(package) / f"{name}.yaml").read_text(encoding="utf-8"), f"{name}.yaml")
        title = (data.get("title") or data.get("description", "")) if isinstance(data, dict) else ""
        out[name] = str(title).strip().split("\n")[0]
    return out


_READ: ContextVar[dict[str, tuple[tuple[int, int, int], str]] | None] = ContextVar("hyosan_one_read", default=None)


@contextmanager
def one_read() -> Iterator[None]:
    """Within it (one CLI command), :func:`read_file` reads each file from disk once: telling a target's
    kind (model, scenario, country) and loading it see one version of the file. A file whose size or
    modification time changed is read again."""
    token = _READ.set({})
    try:
        yield
    finally:
        _READ.reset(token)


def _read_bytes(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(MAX_FILE_BYTES + 1)


def read_file(path: str | Path, error: type[HyosanError] = ModelError) -> str:
    """The text of a user's file: at most ``MAX_FILE_BYTES``, UTF-8 (a leading BOM is dropped)."""
    path = Path(path)
    cache = _READ.get()
    try:
        st = path.stat()
        if st.st_size > MAX_FILE_BYTES:
            raise error(f"{path}: the file is larger than {MAX_FILE_BYTES:,} bytes; is it the right file?")
        key, stamp = str(path.resolve()), (st.st_ino, st.st_size, st.st_mtime_ns)
        if cache is not None and key in cache and cache[key][0] == stamp:
            return cache[key][1]
        data = _read_bytes(path)
    except OSError as exc:
        raise error(f"{path}: cannot read the file ({exc.strerror or exc}); check the path and permissions") from None
    text = _decode(path, data, error)
    if cache is not None:
        cache[key] = (stamp, text)
    return text


def _decode(path: Path, data: bytes, error: type[HyosanError]) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise error(f"{path}: the file is larger than {MAX_FILE_BYTES:,} bytes; is it the right file?")
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        line = data[:offset].count(b"\n") + 1
        raise error(
            f"{path}:{line}: the file is not UTF-8 (byte 0x{data[offset]:02x} at offset {offset}, line {line}); "
            "save it as UTF-8 text"
        ) from None


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, deep nesting, duplicate keys and unreadable integers."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text)
        self.source = source
        self.depth = 0

    def refuse(self, mark: yaml.Mark | None, what: str) -> ModelError:
        line = f":{mark.line + 1}" if mark is not None else ""
        return ModelError(f"{self.source}{line}: {what}")

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise self.refuse(
                event.start_mark,
                f"YAML aliases ('*{str(event.anchor)[:40]}') are not accepted; write the value out in full",
            )
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise self.refuse(event.start_mark, f"nested deeper than {MAX_YAML_DEPTH} levels; flatten the YAML")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise self.refuse(
                        key_node.start_mark,
                        f"'{str(key)[:40]}' appears twice (lines {first} and {line}); keep one",
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise self.refuse(
                node.start_mark, f"the number '{str(node.value)[:20]}...' has too many digits; write e.g. 1e300"
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def read_yaml(text: str, source: str) -> tuple[Any, dict[tuple, int]]:
    """Parse YAML safely and map each key path to its 1-based line, so errors can point at it."""
    if len(text) > MAX_YAML_CHARS:
        raise ModelError(f"{source}: the YAML is larger than {MAX_YAML_CHARS:,} characters; is it the right file?")
    loader = None
    try:
        loader = _Loader(text, source)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            line = f":{mark.line + 1}"
        elif isinstance(exc, yaml.reader.ReaderError):
            line = f":{text[: exc.position].count(chr(10)) + 1}"
        else:
            line = ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ModelError(f"{source}{line}: malformed YAML ({problem}); check indentation and quoting") from None
    except RecursionError:
        raise ModelError(f"{source}: the YAML is nested too deeply; flatten it") from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[tuple, int] = {}
    stack: list[tuple[yaml.Node, tuple]] = [(node, ())] if node is not None else []
    while stack:
        n, path = stack.pop()
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = (*path, k.value)
                lines[key] = k.start_mark.line + 1
                stack.append((v, key))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend((v, (*path, i)) for i, v in enumerate(n.value))
    return data, lines


def load(target: str | Path) -> Model:
    """A library model by name (``"munz-szr"``) or a model YAML file by path (see :func:`is_path`)."""
    if "\x00" in str(target) or len(str(target)) > 4096:
        raise ModelError(f"{str(target)[:60]!r}: not a usable model name or path")
    if is_path(target):
        path = Path(target)
        try:
            exists = path.exists()
        except OSError as exc:
            raise ModelError(f"{target}: cannot read the file ({exc.strerror or exc})") from None
        if not exists:
            raise ModelError(f"{target}: no such file; give a model file or one of: {', '.join(shipped_names(MODELS))}")
        if not path.is_file():
            raise ModelError(
                f"{target}: not a file; give a model YAML file or one of: {', '.join(shipped_names(MODELS))}"
            )
        text, source = read_file(path), str(path)
    else:
        target = str(target)
        entry = resources.files("hyosan.data.models") / f"{target}.yaml"
        if not entry.is_file():
            try:
                here = Path(target).is_file()
            except OSError:
                here = False
            hint = f"; for the file here write ./{target}" if here else ", or give a YAML path"
            from hyosan.catalog import did_you_mean

            names = shipped_names(MODELS)
            close = did_you_mean(target, names)
            raise ModelError(f"unknown model '{target}'{close}; library models: {', '.join(names)}{hint}")
        text, source = entry.read_text(encoding="utf-8"), f"{target}.yaml"
    data, lines = read_yaml(text, source)
    return Model.from_dict(data, source=source, lines=lines)
