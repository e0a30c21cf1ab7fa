"""The map builders in tools/ reproduce the shipped floor plans byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAPS = ROOT / "src" / "hyosan" / "data" / "maps"


@pytest.mark.parametrize("tool", sorted(p.name for p in (ROOT / "tools").glob("build_*.py")))
def test_builder_reproduces_shipped_maps(tool: str, tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "tools" / tool), str(tmp_path)], check=True, cwd=ROOT / "tools")
    made = sorted(tmp_path.glob("*.txt"))
    assert made, f"{tool} wrote no map"
    for path in made:
        assert path.read_bytes() == (MAPS / path.name).read_bytes(), f"{tool}: {path.name} differs from the shipped map"
