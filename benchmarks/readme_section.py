"""Each benchmark writes its table into its own section of benchmarks/README.md and leaves the others."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).with_name("README.md")


def write_section(head: str, text: str, path: Path = README) -> None:
    """Replace the section that starts with ``head`` (up to the next heading or marker) by ``text``,
    or append ``text`` when there is none. Commentary written by hand under a benchmark's table goes after
    a ``<!-- commentary ... -->`` marker line, where a rerun leaves it."""
    old = path.read_text()
    if head in old:
        section = re.escape(head) + r".*?(?=\n## |\n<!-- |\Z)"
        new = re.sub(section, lambda _: text.rstrip() + "\n", old, count=1, flags=re.S)
    else:
        new = old.rstrip() + "\n\n" + text.rstrip() + "\n"
    path.write_text(new)


def write_between(begin: str, end: str, text: str, path: Path = README) -> None:
    """Replace everything from the marker ``begin`` to the marker ``end`` by ``text`` (which holds both),
    or append ``text`` when the markers are missing."""
    old = path.read_text()
    if begin in old and end in old:
        new = old[: old.index(begin)] + text + old[old.index(end) + len(end) :]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new)
