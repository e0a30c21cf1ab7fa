"""Keep Numba's on-disk cache honest for kernels split over several modules.

Numba checks a cached kernel against the file that defines it, not against the modules whose functions it
calls: after an edit to ``motion.py`` alone, ``step.advance`` would load stale machine code from the cache
and run the old rules without a word. :func:`refresh` compares a digest of a package's sources with the one
stored in its cache folder and, when they differ, drops the cache indexes of every module of the package, so
that Numba compiles each of its kernels afresh once. An unchanged package costs one read of its sources.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

STAMP = "hyosan-kernel-sources.sha256"


def _cache_folder(source: Path) -> Path | None:
    """Where Numba keeps the cache of the kernels of ``source`` (it asks its locators, in its own order)."""
    from numba.core import caching

    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in Numba 0.62

    def probe() -> None: ...

    for locator_class in impl._locator_classes:
        locator = locator_class.from_function(probe, str(source))
        if locator is not None:
            return Path(locator.get_cache_path())
    return None


def refresh(package: str | Path) -> bool:
    """Drop the cached kernels of the package folder ``package`` if any of its sources changed.

    Returns True when caches were dropped. Where no cache folder is writable nothing is cached, so nothing
    can be stale.
    """
    folder = Path(package)
    if folder.is_file():
        folder = folder.parent
    sources = sorted(folder.glob("*.py"))
    digest = hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in sources)).hexdigest()
    try:
        caches = {p: _cache_folder(p) for p in sources}
    except (ImportError, AttributeError, OSError):
        caches = {p: folder / "__pycache__" for p in sources}
    home = next((c for c in caches.values() if c is not None), None)
    if home is None:
        return False
    stamp = home / STAMP
    try:
        if stamp.read_text() == digest:
            return False
    except OSError:
        pass
    try:
        for source, cache in caches.items():
            for index in cache.glob(f"{source.stem}.*.nbi") if cache is not None else ():
                index.unlink(missing_ok=True)
        stamp.write_text(digest)
    except OSError:
        return False
    return True
