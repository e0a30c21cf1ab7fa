"""Ensembles spread over a Dask cluster: the same executor seam as the local process pool.

Chunks of replicates are submitted to the scheduler at ``address`` and gathered as they finish;
each replicate keeps its own ``SeedSequence`` stream, so a cluster run equals a local one exactly.
Dask is an optional extra (``pip install 'hyosan[dask]'``), imported only here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from hyosan.ensemble import Chunk, Executor, Task
from hyosan.errors import HyosanError


def dask_executor(address: str, timeout: float = 30.0) -> Executor:
    """An executor that runs chunks on the Dask scheduler at ``address`` (e.g. ``tcp://127.0.0.1:8786``)."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise HyosanError(f"--scheduler {address}: Dask is not installed; pip install 'hyosan[dask]'") from None

    _probe(address)

    def run(task: Task, chunks: Sequence[Chunk]) -> Iterator[tuple[int, list[Any]]]:
        try:
            client = Client(address, timeout=timeout)
        except OSError as exc:
            raise HyosanError(f"--scheduler {address}: cannot reach the Dask scheduler ({exc})") from None
        futures = []
        try:
            futures = [
                client.submit(task, chunk, key=f"hyosan-chunk-{i}-{id(chunks)}", pure=False)
                for i, chunk in enumerate(chunks)
            ]
            number = {f.key: i for i, f in enumerate(futures)}
            for future in as_completed(futures):
                yield number[future.key], future.result()
        except BaseException:
            client.cancel(futures)
            raise
        finally:
            client.close()

    return run


def _probe(address: str) -> None:
    """Fail at once, before any simulation, when nothing listens at a tcp:// address."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp":
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise HyosanError(f"--scheduler {address}: write the address as tcp://HOST:PORT")
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise HyosanError(f"--scheduler {address}: cannot reach the Dask scheduler ({exc.strerror or exc})") from None
