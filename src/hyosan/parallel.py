"""Replicate seeding and the executor seam: serial or a process pool, results always in order.

Each replicate ``i`` gets ``SeedSequence(seed).spawn(n)[i]``, whoever runs it, so a result does not
depend on the number of workers or on chunking. An executor maps a picklable ``task`` over chunks
of ``(replicate index, SeedSequence)`` pairs and yields ``(chunk number, results)`` as chunks finish;
:func:`map_replicates` puts them back in replicate order. A Dask executor can plug in here.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np

Chunk = list[tuple[int, np.random.SeedSequence]]
Task = Callable[[Chunk], list[Any]]


class Executor(Protocol):
    def __call__(self, task: Task, chunks: Sequence[Chunk]) -> Iterator[tuple[int, list[Any]]]: ...


def replicate_seeds(seed: int | None, replicates: int) -> tuple[int, list[np.random.SeedSequence]]:
    """The root entropy actually used (so a ``None`` seed can be reported) and one stream per replicate."""
    root = np.random.SeedSequence(seed)
    return int(root.entropy), root.spawn(replicates)


def generator(seq: np.random.SeedSequence) -> np.random.Generator:
    """The random stream of one replicate."""
    return np.random.Generator(np.random.PCG64(seq))


def chunked(seeds: Sequence[np.random.SeedSequence], workers: int, most: int | None = None) -> list[Chunk]:
    """Split replicates into about 8 chunks per worker (fewer for small ensembles), or into chunks of
    exactly ``most`` replicates (the last one smaller) if given."""
    n = len(seeds)
    size = most if most is not None else max(1, -(-n // (8 * workers)))
    return [[(i, seeds[i]) for i in range(lo, min(n, lo + size))] for lo in range(0, n, size)]


def serial(task: Task, chunks: Sequence[Chunk]) -> Iterator[tuple[int, list[Any]]]:
    """Run every chunk in this process."""
    for number, chunk in enumerate(chunks):
        yield number, task(chunk)


PR_SET_PDEATHSIG = 1


def worker_init(parent: int) -> None:
    """Pool worker start-up: die with the parent (even under SIGKILL), and leave signals to the parent.

    On Linux the kernel sends the worker SIGKILL when its parent dies; the parent-pid check covers a
    parent that died before the request took effect. Ctrl-C and SIGTERM are the parent's to handle:
    it stops the workers itself.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process; use :func:`stop_pool` on an interrupt."""
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=worker_init,
        initargs=(os.getpid(),),
    )


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what is pending and kill the workers now, rather than waiting for their current chunk."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        if process.is_alive():
            process.kill()
    for process in workers:
        process.join(timeout=5)


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """``with worker_pool(n) as pool:`` — a :func:`process_pool` whose workers are killed, not awaited,
    when the block is left by an exception (Ctrl-C, SIGTERM, an error)."""
    pool = process_pool(workers)
    try:
        yield pool
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def processes(workers: int) -> Executor:
    """A process-pool executor; Ctrl-C or SIGTERM cancels pending chunks, kills the workers and re-raises."""

    def run(task: Task, chunks: Sequence[Chunk]) -> Iterator[tuple[int, list[Any]]]:
        with worker_pool(workers) as pool:
            yield from pool_executor(pool)(task, chunks)

    return run


def pool_executor(pool: ProcessPoolExecutor) -> Executor:
    """An executor over an open pool, for callers that map many rounds through one pool."""

    def run(task: Task, chunks: Sequence[Chunk]) -> Iterator[tuple[int, list[Any]]]:
        futures = {pool.submit(task, chunk): number for number, chunk in enumerate(chunks)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield futures[future], future.result()

    return run


def map_replicates(
    task: Task,
    seeds: Sequence[np.random.SeedSequence],
    *,
    workers: int | None = None,
    progress: bool = False,
    executor: Executor | None = None,
    label: str = "replicates",
    most: int | None = None,
    on_part: Callable[[int, list[Any]], list[Any]] | None = None,
) -> list[Any]:
    """``task`` over all replicates, results in replicate order; ``workers`` defaults to all cores.

    ``on_part(first, results)``, if given, sees each chunk as it finishes (``first``: the index of its
    first replicate) and returns what is kept of it, so that a large ensemble can be streamed to
    disk; ``most`` sets the replicates per chunk, which bounds the memory a chunk holds.
    """
    n = len(seeds)
    workers = max(1, min(workers or os.cpu_count() or 1, n))
    chunks = chunked(seeds, workers, most)
    if executor is None:
        executor = serial if workers == 1 or len(chunks) == 1 else processes(workers)
    results: list[list[Any] | None] = [None] * len(chunks)
    bar = _progress(progress, n, label)
    try:
        for number, part in executor(task, chunks):
            results[number] = part if on_part is None else on_part(chunks[number][0][0], part)
            if bar is not None:
                bar[0].advance(bar[1], len(part))
    finally:
        if bar is not None:
            bar[0].stop()
    return [r for part in results for r in (part or [])]


def _progress(show: bool, total: int, label: str):
    if not show:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn(f"{label}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
    bar.start()
    return bar, bar.add_task(label, total=total)
