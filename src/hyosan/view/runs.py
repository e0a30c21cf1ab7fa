"""Runs started from the page: the form's fields for a model or scenario, and the runs themselves.

A run goes through the same Python API and the same checks as ``hyosan run`` (:mod:`hyosan.cli`'s helpers
name options as the command line does), in a worker thread; what it writes is an ordinary result folder.
A click on the agent map moves ``patient_zero`` to the point clicked (``at: [x, y]`` metres), or adds a ``noise``
there.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyosan.errors import HyosanError

#: Scenario sections whose plain values the form offers.
SECTIONS = ("time", "infection", "hiding", "groups", "barricades")
#: A value written as a number and its unit ("0.6m", "1 per 2h"): the unit.
NUMBER_UNIT = r"[-+]?\d[\d.eE+-]*\s*([a-zA-Z/%][\w/% ]*)"
#: Engines a model may run on from the page.
ENGINES = ("ode", "ssa", "tau")
#: A noise dropped by a click: how long and how far it carries.
CLICK_NOISE = {"what": "a noise dropped in the viewer", "start": "0s", "length": "5min", "radius": "40m"}


def targets() -> dict[str, list[dict[str, str]]]:
    """The library models and shipped scenarios with their titles."""
    from hyosan.catalog import models, scenarios

    return {
        "models": [{"name": k, "title": v} for k, v in models().items()],
        "scenarios": [{"name": k, "title": v} for k, v in scenarios().items()],
    }


def fields(target: str) -> dict[str, Any]:
    """The form of ``target``: its parameters (and initial sizes) with value, unit and meaning."""
    from hyosan.agents import run as scenarios
    from hyosan.cli import _known

    _known(target)
    if scenarios.is_scenario(target):
        return _scenario_fields(target)
    from hyosan.compartmental.io import load

    m = load(target)
    out = [{"name": p.name, "value": p.value, "unit": p.unit or "", "meaning": p.meaning or ""} for p in m.parameters]
    for c, v, meaning in zip(m.compartments, m.initial, m.compartment_meaning, strict=False):
        out.append({"name": c, "value": v, "unit": "people", "meaning": f"initial {meaning or c}"})
    return {"target": target, "kind": "model", "title": m.title or m.name, "engines": list(ENGINES), "fields": out}


def _scenario_fields(target: str) -> dict[str, Any]:
    from hyosan.agents.scenario import load_scenario, scenario_text

    sc = load_scenario(target)
    text = scenario_text(target)[0]
    out = []
    for section in SECTIONS:
        node = sc.raw.get(section)
        if not isinstance(node, dict):
            continue
        head = re.search(rf"^{re.escape(section)}:.*$", text, re.M)
        block = text[head.start() :] if head else ""
        end = re.search(r"^\S", block[head.end() - head.start() :] if head else "", re.M)
        block = block[: (head.end() - head.start()) + end.start()] if head and end else block
        for key, value in node.items():
            if isinstance(value, (int, float, str)) and not isinstance(value, bool):
                found = re.search(rf"[{{\s,]{re.escape(str(key))}:[^#\n]*#\s*(.*)$", block, re.M)
                unit = re.fullmatch(NUMBER_UNIT, value) if isinstance(value, str) else None
                meaning = found.group(1) if found else ""
                out.append({"name": f"{section}.{key}", "value": value, "unit": unit.group(1) if unit else "",
                            "meaning": meaning})  # fmt: skip
    zones = sorted(sc.world.zones)
    return {"target": target, "kind": "scenario", "title": sc.title, "engines": ["abm"], "fields": out, "zones": zones}


@dataclass
class Job:
    """One run from the page: ``state`` running, done or error; ``message`` the one-line error."""

    id: int
    target: str
    state: str = "running"
    message: str = ""
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    result: int | None = None
    done: int = 0
    total: int = 1

    def view(self) -> dict[str, Any]:
        end = self.ended if self.ended is not None else time.monotonic()
        return {"id": self.id, "target": self.target, "state": self.state, "message": self.message,
                "elapsed_s": round(end - self.started, 1), "result": self.result, "done": self.done,
                "total": self.total}  # fmt: skip


def _number(raw: Any, flag: str, low: int, high: int) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(str(raw))
    except ValueError:
        raise HyosanError(f"{flag} {str(raw)[:20]}: give a whole number from {low:,} to {high:,}") from None
    if not low <= value <= high:
        raise HyosanError(f"{flag} {value}: give a whole number from {low:,} to {high:,}")
    return value


def prepare(request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Check a run request as the CLI would (one-line errors) and return (target, run options)."""
    from hyosan.agents import run as scenarios
    from hyosan.cli import _duration, _known, _setting, _values

    if not isinstance(request, dict):
        raise HyosanError("run: send a JSON object with target, values, engine, replicates, seed")
    target = str(request.get("target") or "")
    if not target or "/" in target or target.endswith((".yaml", ".yml")):
        raise HyosanError(f"target {target[:40]!r}: choose a library model or a shipped scenario")
    _known(target)
    raw = request.get("values") or {}
    if not isinstance(raw, dict):
        raise HyosanError("--set: send the values as NAME: VALUE pairs")
    values = _values([f"{k}={v}" for k, v in raw.items() if str(v).strip() != ""])
    from hyosan.simulate import MAX_REPLICATES, horizon

    scenario = scenarios.is_scenario(target)
    seed = _number(request.get("seed"), "--seed", 0, 2**63 - 1)
    replicates = _number(request.get("replicates"), "--replicates", 1, 10_000 if scenario else MAX_REPLICATES) or 1
    t_end = _duration(request.get("t_end") or None)
    engine = request.get("engine") or None
    options: dict[str, Any] = {"seed": 0 if seed is None else seed, "replicates": replicates, "t_end": t_end}
    with _setting(values):
        if scenario:
            from hyosan.agents.scenario import load_scenario

            drop = request.get("drop")
            if drop:
                values |= _dropped(target, drop)
            if engine not in (None, "abm"):
                raise HyosanError(f"--engine {engine}: scenario {target} runs on the agent engine; drop --engine")
            load_scenario(target, values)
        else:
            from hyosan.cli import _stochastic_only
            from hyosan.compartmental.io import load

            engine = engine or "ode"
            if engine not in ENGINES:
                raise HyosanError(f"--engine {str(engine)[:20]}: give ode, ssa or tau")
            horizon(load(target).with_values(values), t_end, None)
            _stochastic_only(engine, seed=seed, workers=None)
    options |= {"values": values, "engine": engine, "scenario": scenario}
    return target, options


def _dropped(target: str, drop: Any) -> dict[str, Any]:
    """A click at ``drop['x_m'], drop['y_m']`` (metres from the map's top-left corner): ``patient_zero`` moved
    there (its count kept), or the scenario's noises plus one there."""
    from hyosan.agents.scenario import load_scenario

    if not isinstance(drop, dict) or drop.get("what") not in ("patient_zero", "noise"):
        raise HyosanError("drop: give what (patient_zero or noise) and the point clicked, x_m and y_m")
    try:
        x, y = round(float(drop["x_m"]), 2), round(float(drop["y_m"]), 2)
    except (KeyError, TypeError, ValueError):
        raise HyosanError("drop: x_m and y_m are the point clicked, metres from the map's top-left corner") from None
    sc = load_scenario(target)
    if drop["what"] == "patient_zero":
        count = (sc.raw.get("patient_zero") or {}).get("count", 1)
        return {"patient_zero": {"at": [x, y], "count": count}}
    noises = list(sc.raw.get("noise") or [])
    return {"noise": [*noises, CLICK_NOISE | {"at": [x, y]}]}


def counting(inner: Any, job: Job | None) -> Any:
    """An executor that runs ``inner`` and counts the replicates finished into ``job.done``."""

    def run(task: Any, chunks: Any) -> Any:
        for number, part in inner(task, chunks):
            if job is not None:
                job.done += len(part)
            yield number, part

    return run


def execute(
    target: str, options: dict[str, Any], out: Path, scheduler: str | None = None, job: Job | None = None
) -> dict[str, Any]:
    """Run ``target`` into folder ``out`` through the same API as ``hyosan run``; the summary. ``scheduler``:
    a Dask scheduler's address that the stochastic engines and scenarios send their replicates to.
    Replicates run in this process (or on the cluster) in up to four chunks, so that ``job.done`` counts them
    as they finish; the result is the same for the same seed however they are chunked."""
    from hyosan.cli import _setting
    from hyosan.parallel import serial

    values = options["values"]
    more: dict[str, Any] = {}
    if options["scenario"] or options["engine"] in ("ssa", "tau"):
        inner = serial
        if scheduler:
            from hyosan.cluster import dask_executor

            inner = dask_executor(scheduler)
        more["executor"] = counting(inner, job)
        more["workers"] = max(1, min(options["replicates"], 4))
    with _setting({k: v for k, v in values.items() if isinstance(v, str)}):
        if options["scenario"]:
            from hyosan.agents.run import run_scenario

            return run_scenario(
                target, out=out, seed=options["seed"], values=values, replicates=options["replicates"],
                t_end=options["t_end"], plot=True, animation="none", **more,
            )  # fmt: skip
        from hyosan.compartmental.io import load
        from hyosan.simulate import run_to_folder

        model = load(target).with_values(values)
        return run_to_folder(
            model, options["engine"], out, plot=True, t_end=options["t_end"], seed=options["seed"],
            replicates=options["replicates"], **({"workers": 1} | more),
        )  # fmt: skip


def start(
    job: Job, target: str, options: dict[str, Any], out: Path, done: Any, scheduler: str | None = None
) -> threading.Thread:
    """Run in a daemon thread; ``done(job, folder)`` is called with the finished folder (None on error)."""

    def work() -> None:
        folder = None
        try:
            job.total = options["replicates"]
            execute(target, options, out, scheduler, job)
            job.done = job.total
            folder = out
            job.state = "done"
        except HyosanError as exc:
            job.state, job.message = "error", str(exc).splitlines()[0]
        except Exception as exc:  # the page shows it; the server keeps serving
            job.state, job.message = "error", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        job.ended = time.monotonic()
        done(job, folder)

    thread = threading.Thread(target=work, name=f"hyosan-view-run-{job.id}", daemon=True)
    thread.start()
    return thread
