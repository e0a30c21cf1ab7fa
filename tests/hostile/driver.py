"""A hostile-corpus worker: imports hyosan once, then runs CLI cases in-process, one per request.

Requests arrive on stdin as JSON lines ``{"argv": [...], "cwd": DIR, "limit": SECONDS}``; each answer is one JSON line
``{"rc": INT, "stdout": STR, "stderr": STR}`` on the original stdout. During a case, file descriptors
1 and 2 point at temporary files, so output written below Python (C libraries, faulthandler) is
caught too. The address space is capped (``RLIMIT_AS``) so a memory bomb fails here, not on the host; ``SIGALRM``,
left at its default action, ends a worker whose case outlives its limit even if the parent is gone.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile
import traceback
import warnings


def _cap_memory(nbytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (nbytes, nbytes))


WARM = (
    "hyosan.cli", "hyosan.agents.scenario", "hyosan.analysis", "hyosan.compartmental.io", "hyosan.engines.abm.engine",
    "hyosan.simulate",
)  # fmt: skip


def _warm() -> None:
    """Import what the cases will need, so each case costs only its own work (a module that has moved
    is simply not warmed)."""
    import importlib

    for name in WARM:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def _run(argv: list[str]) -> int:
    from hyosan.cli import main

    try:
        main(argv)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except BaseException:  # what the interpreter would do: print the traceback, exit 1
        traceback.print_exc()
        return 1
    return 0


def _case(request: dict, scratch: str) -> dict:
    out_path, err_path = os.path.join(scratch, "stdout"), os.path.join(scratch, "stderr")
    saved = os.dup(1), os.dup(2)
    here = os.getcwd()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            os.chdir(request["cwd"])
            signal.alarm(int(request.get("limit", 0)))
            with warnings.catch_warnings():  # fresh "once per place" registries, as in a new interpreter
                rc = _run(request["argv"])
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except Exception:
                pass
            signal.alarm(0)
            os.chdir(here)
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])

    def text(path: str) -> str:
        with open(path, "rb") as f:
            return f.read(200_000).decode("utf-8", "replace")

    return {"rc": rc, "stdout": text(out_path), "stderr": text(err_path)}


def main() -> None:
    cap = int(sys.argv[1]) if len(sys.argv) > 1 else 4 * 2**30
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    _warm()
    _cap_memory(cap)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    scratch = tempfile.mkdtemp(prefix="hostile-worker-")
    reply.write(json.dumps({"ready": os.getpid()}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        reply.write(json.dumps(_case(json.loads(line), scratch)) + "\n")


if __name__ == "__main__":
    main()
