"""A cached Numba kernel is recompiled when a module it calls changes (hyosan.kernel_cache)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

KERNEL = """
from numba import njit
from pkg.rule import rule

@njit(cache=True)
def kernel(x):
    return rule(x)
"""
RUN = """
import sys
sys.path.insert(0, {root!r})
from hyosan.kernel_cache import refresh
if {guard}:
    refresh({pkg!r})
from pkg.kernel import kernel
print(kernel(1))
"""


def _call(root: Path, guard: bool) -> str:
    code = RUN.format(root=str(root), pkg=str(root / "pkg"), guard=guard)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(root / "cache")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()


def _rule(root: Path, body: str) -> None:
    source = f"from numba import njit\n\n@njit(cache=True)\ndef rule(x):\n    return {body}\n"
    (root / "pkg" / "rule.py").write_text(source)


def test_an_edit_to_a_called_module_reaches_the_cached_kernel(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "kernel.py").write_text(KERNEL)
    _rule(tmp_path, "x + 1")
    assert _call(tmp_path, guard=False) == "2"
    _rule(tmp_path, "x + 100")
    assert _call(tmp_path, guard=False) == "2"  # Numba alone runs the stale kernel: the hazard is real
    assert _call(tmp_path, guard=True) == "101"
    _rule(tmp_path, "x + 7")
    assert _call(tmp_path, guard=True) == "8"
