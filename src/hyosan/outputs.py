"""Output folders: checked before a run, taken by one run at a time, written beside and swapped in whole.

Everything a run keeps next to ``OUT`` is named ``.OUT.hyosan-*``: the lock file ``.OUT.hyosan-lock``
(``flock``-ed for the whole run, holding the pid), the folder being written ``.OUT.hyosan-tmp-PID``
and, briefly, the replaced folder ``.OUT.hyosan-old-PID``. A run killed outright leaves its temporary
folder behind; the next run into the same ``OUT`` removes it once it holds the lock.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from hyosan.errors import HyosanError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, one writer is assumed
    fcntl = None  # type: ignore[assignment]

#: A folder holding one of these may be replaced; anything else is the user's and is refused.
#: A folder holding one of these is a hyosan output (a run or a fit) and may be replaced.
MARKERS = ("summary.json", "fit.json")

_held: dict[Path, int] = {}

_FIXES = {
    errno.ENOSPC: "free some space or choose another --out",
    errno.EDQUOT: "free some space or choose another --out",
    errno.EFBIG: "free some space or choose another --out",
    errno.EROFS: "choose a folder on a writable disk with --out",
    errno.EACCES: "choose a folder you may write to with --out",
    errno.EPERM: "choose a folder you may write to with --out",
}


def disk_error(out: str | Path, exc: OSError) -> HyosanError:
    """One line naming ``--out``, the operating system's reason and the fix."""
    fix = _FIXES.get(exc.errno or 0, "choose another folder with --out")
    return HyosanError(f"--out {out}: cannot write there ({exc.strerror or exc}); {fix}")


def sibling(out: str | Path, kind: str) -> Path:
    """The path ``.OUT.hyosan-KIND`` next to ``out``."""
    out = Path(os.path.realpath(out))
    return out.parent / f".{out.name}.hyosan-{kind}"


@contextmanager
def claim(out: str | Path) -> Iterator[Path]:
    """Check that ``out`` can be written and take it for this run; re-entrant within one process.

    Refuses, on one line, a path that is a file, an existing folder that is not a hyosan output, a
    place that cannot be written, and an ``out`` another live run holds. Folders this creates are
    removed again if the run leaves no output.
    """
    user, out = out, Path(os.path.realpath(out))
    if out in _held:
        yield out
        return
    if out.exists() and not out.is_dir():
        raise HyosanError(f"--out {user}: exists and is not a folder; choose another path")
    if out.is_dir() and any(out.iterdir()) and not any((out / m).exists() for m in MARKERS):
        raise HyosanError(
            f"--out {user}: is a folder with other files and no {' or '.join(MARKERS)}, not a hyosan output; "
            "choose a new or empty folder"
        )
    created: list[Path] = []
    fd = None
    try:
        try:
            _make_parents(out.parent, created)
            fd = _lock(out, user)
            _clean_stale(out)
            _probe(out)
        except OSError as exc:
            raise disk_error(user, exc) from None
        _held[out] = fd
        yield out
    finally:
        _held.pop(out, None)
        if fd is not None:
            _unlock(out, fd)
        if not out.exists():
            for folder in reversed(created):
                try:
                    folder.rmdir()
                except OSError:
                    break


def write_folder(out: str | Path, writers: Mapping[str, Callable[[Path], None]]) -> Path:
    """Write every file into ``.OUT.hyosan-tmp-PID``, then swap it in for ``out`` as a whole.

    If a writer fails, the disk fills or the user interrupts, ``out`` is left as it was.
    """
    user = out
    with claim(out) as out:
        tmp = sibling(out, f"tmp-{os.getpid()}")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            for name, write in writers.items():
                write(tmp / name)
            _swap(tmp, out)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if exc.errno in _FIXES or isinstance(exc, (NotADirectoryError, FileExistsError)):
                raise disk_error(user, exc) from None
            raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return Path(user)


def _make_parents(folder: Path, created: list[Path]) -> None:
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        created.append(path)


def _lock(out: Path, user: str | Path) -> int:
    """Open and ``flock`` the lock file, refusing at once when another process holds it."""
    path = sibling(out, "lock")
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is None:
            break
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise HyosanError(
                f"--out {user}: another hyosan run (pid {holder}) is writing there; "
                "wait for it to finish or choose another --out"
            ) from None
        try:
            current = os.stat(path).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(fd).st_ino:
            break
        os.close(fd)  # the previous holder removed the file between our open and our lock: retry
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def _unlock(out: Path, fd: int) -> None:
    try:
        os.unlink(sibling(out, "lock"))
    except OSError:
        pass
    os.close(fd)


def _clean_stale(out: Path) -> None:
    """Remove what killed runs left; with the lock held no live run is writing beside ``out``."""
    prefix = f".{out.name}.hyosan-"
    for path in out.parent.iterdir():
        if path.name.startswith(prefix) and path.name[len(prefix) :].startswith(("tmp-", "old-")):
            if path.is_symlink() or not path.is_dir():
                path.unlink(missing_ok=True)
            else:
                shutil.rmtree(path, ignore_errors=True)


def _probe(out: Path) -> None:
    """Create, write and delete a small file where the output will go."""
    path = sibling(out, f"probe-{os.getpid()}")
    try:
        with open(path, "wb") as f:
            f.write(b"hyosan")
            f.flush()
            os.fsync(f.fileno())
    finally:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _swap(new: Path, out: Path) -> None:
    """Put folder ``new`` at ``out``; an existing ``out`` is exchanged atomically where Linux allows."""
    if not out.exists():
        os.rename(new, out)
        return
    if not _exchange(new, out):
        old = sibling(out, f"old-{os.getpid()}")
        os.rename(out, old)
        os.rename(new, out)
        new = old
    shutil.rmtree(new, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """``renameat2(RENAME_EXCHANGE)``: swap two paths in one step; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0
