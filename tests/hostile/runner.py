"""Run hostile cases fast: a few long-lived workers (``driver.py``), each importing hyosan once.
``python tests/hostile/runner.py`` runs the whole corpus and prints the table of clean cases per class.

A case that overruns its time or kills its worker counts as not clean; the worker is replaced, and
so is a worker after any case that was not clean, so one bad case cannot spoil the next.
"""

from __future__ import annotations

import json
import os
import queue
import re
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from corpus import Case

DRIVER = Path(__file__).parent / "driver.py"
#: Python exception class names and tracebacks: never part of a clean answer.
LEAK = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception|Warning|Interrupt)\b|^\s*File \"", re.M)
#: A one-line message longer than this is not a message a person reads.
MAX_LINE = 4000


@dataclass
class Result:
    """What a case did, and why it is not clean (empty ``problem`` when it is)."""

    case: Case
    rc: int | None
    stdout: str
    stderr: str
    seconds: float
    problem: str = ""


class Worker:
    """One driver process with its address space capped at ``memory`` bytes."""

    def __init__(self, memory: int, start_timeout: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(DRIVER), str(memory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "COLUMNS": "120"},
            start_new_session=True,
        )
        if self._read(start_timeout) is None:
            self.kill()
            raise RuntimeError("a hostile-corpus worker did not start")

    def _read(self, timeout: float) -> dict | None:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def run(self, case: Case, timeout: float) -> tuple[dict | None, str]:
        """The driver's answer, or None and why (timeout, died)."""
        try:
            request = {"argv": case.argv, "cwd": str(case.cwd), "limit": int(timeout) + 30}
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except OSError:
            return None, "the worker died before the case"
        answer = self._read(timeout)
        if answer is not None:
            return answer, ""
        if self.proc.poll() is None:
            return None, f"no answer within {timeout:g} s (hang)"
        return None, f"the worker died (exit status {self.proc.returncode}: crash or memory)"

    def kill(self) -> None:
        """End the worker and whatever it started (ensemble processes): its whole process group."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def judge(case: Case, rc: int, stdout: str, stderr: str) -> str:
    """Why a finished case is not clean; '' when it is."""
    if rc not in case.codes:
        return f"exit code {rc}, expected {' or '.join(map(str, sorted(case.codes)))}"
    if LEAK.search(stderr) or LEAK.search(stdout):
        return "a traceback or exception name reached the user"
    lines = [line for line in stderr.splitlines() if line.strip()]
    if rc == 2:
        if len(lines) != 1:
            return f"{len(lines)} lines on stderr, expected exactly one"
        if not lines[0].startswith("hyosan: error: ") or len(lines[0]) <= len("hyosan: error: "):
            return "the stderr line is not a 'hyosan: error: ...' message"
        if len(lines[0]) > MAX_LINE:
            return f"the error line is {len(lines[0])} characters long"
    elif len(lines) > 1:
        return f"{len(lines)} lines on stderr"
    left = sorted(p.name for p in case.cwd.iterdir()) if case.cwd.exists() else []
    if rc == 2 and (case.out.exists() or left):
        return f"output left behind: {', '.join(left) or case.out.name}"
    if rc == 0 and [n for n in left if n != case.out.name]:
        return f"files left in the working folder: {', '.join(n for n in left if n != case.out.name)}"
    return ""


def run_all(cases: list[Case], workers: int = 2, timeout: float = 20.0, memory: int = 4 * 2**30) -> list[Result]:
    """Run every case on ``workers`` driver processes; results in the order of ``cases``."""
    todo: queue.Queue[int] = queue.Queue()
    for i in range(len(cases)):
        todo.put(i)
    results: list[Result | None] = [None] * len(cases)
    failures: list[BaseException] = []

    def serve() -> None:
        worker: Worker | None = None
        try:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                case = cases[i]
                if worker is None:
                    worker = Worker(memory, start_timeout=120)
                began = time.monotonic()
                answer, why = worker.run(case, timeout)
                seconds = time.monotonic() - began
                if answer is None:
                    results[i] = Result(case, None, "", "", seconds, why)
                else:
                    rc, out, err = answer["rc"], answer["stdout"], answer["stderr"]
                    results[i] = Result(case, rc, out, err, seconds, judge(case, rc, out, err))
                if results[i].problem:
                    worker.kill()
                    worker = None
        except BaseException as exc:
            failures.append(exc)
        finally:
            if worker is not None:
                worker.kill()

    threads = [threading.Thread(target=serve, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return [r for r in results if r is not None]


def table(results: list[Result]) -> str:
    """Cases and clean cases per class, then each case that is not clean and why."""
    classes: dict[str, list[int]] = {}
    for r in results:
        tally = classes.setdefault(r.case.cls, [0, 0])
        tally[0] += 1
        tally[1] += not r.problem
    rows = [f"{'class':18s} {'cases':>6s} {'clean':>6s}"]
    rows += [f"{c:18s} {n:6d} {k:6d}" for c, (n, k) in classes.items()]
    total, clean = len(results), sum(not r.problem for r in results)
    rows.append(f"{'all':18s} {total:6d} {clean:6d}")
    for r in results:
        if r.problem:
            said = (r.stderr.strip().splitlines() or [""])[-1][:300]
            rows.append(f"NOT CLEAN {r.case.cls}/{r.case.id}: {r.problem}; stderr ends: {said}")
    return "\n".join(rows)


if __name__ == "__main__":
    import tempfile

    from corpus import build

    with tempfile.TemporaryDirectory() as tmp:
        began = time.monotonic()
        print(table(run_all(build(Path(tmp)))))
        print(f"in {time.monotonic() - began:.1f} s")
