"""Resource checks made before a run starts: memory a run will need against what the machine has.

Every allocation that grows with user input (replicates × report times, agents, map cells, frames)
is estimated first and refused with the estimate and the fix, rather than discovered by the
kernel's out-of-memory killer halfway through.
"""

from __future__ import annotations

import os

from hyosan.errors import HyosanError

#: Never plan to use more than this share of the memory the machine reports as available.
SHARE = 0.5


def available_memory() -> int:
    """Bytes of memory available to a new allocation (``MemAvailable``; physical memory elsewhere)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def human_bytes(n: float) -> str:
    """``1.5 GB`` style size for messages."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def require_memory(nbytes: float, what: str, fix: str) -> None:
    """Refuse (one line: the estimate and the fix) when ``nbytes`` exceeds half the available memory."""
    limit = SHARE * available_memory()
    if nbytes > limit:
        raise HyosanError(
            f"{what}: needs about {human_bytes(nbytes)} of memory, more than this machine can spare "
            f"({human_bytes(limit)}); {fix}"
        )
