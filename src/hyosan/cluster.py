"""Ensembles spread over a Dask cluster: the same executor seam as the local process pool.

Chunks of replicates are submitted to the scheduler at ``address`` and gathered as they finish;
each replicate keeps its own ``SeedSequence`` stream, so a cluster run equals a local one exactly.
Dask is an optional extra (``pip install 'hyosan[dask]'``), imported only here. hyosan only connects
to a scheduler the user started; it starts no Dask process (and so opens no port or dashboard) itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from hyosan.errors import HyosanError
from hyosan.parallel import Chunk, Executor, Task


def dask_executor(address: str, timeout: float = 30.0, wait: float = 30.0) -> Executor:
    """An executor that runs chunks on the Dask scheduler at ``address`` (e.g. ``tcp://127.0.0.1:8786``).

    Before any simulation it checks, within ``timeout`` seconds, that the scheduler answers and,
    within ``wait`` seconds, that at least one worker has joined it; otherwise a one-line error.
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise HyosanError(f"--scheduler {address}: Dask is not installed; pip install 'hyosan[dask]'") from None

    _probe(address)
    _require_workers(Client, address, timeout, wait)

    def run(task: Task, chunks: Sequence[Chunk]) -> Iterator[tuple[int, list[Any]]]:
        try:
            client = Client(address, timeout=timeout)
        except OSError as exc:
            raise HyosanError(f"--scheduler {address}: cannot reach the Dask scheduler ({exc})") from None
        futures = []
        batch = uuid.uuid4().hex
        try:
            futures = [
                client.submit(task, chunk, key=f"hyosan-chunk-{i}-{batch}", pure=False)
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


def _require_workers(client_type: type, address: str, timeout: float, wait: float) -> None:
    """Refuse a scheduler that has no worker to run on, rather than wait for one forever."""
    try:
        client = client_type(address, timeout=timeout)
    except OSError as exc:
        raise HyosanError(f"--scheduler {address}: cannot reach the Dask scheduler ({exc})") from None
    try:
        client.wait_for_workers(1, timeout=wait)
    except TimeoutError:
        raise HyosanError(
            f"--scheduler {address}: no Dask worker joined the scheduler within {wait:g} s; "
            f"start one with 'dask worker {address}'"
        ) from None
    finally:
        client.close()


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
