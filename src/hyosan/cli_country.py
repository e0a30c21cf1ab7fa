"""``hyosan run korea``: the command line of country scenarios (:mod:`hyosan.places.country`).

Kept apart from :mod:`hyosan.cli` so that it stays small; imports nothing heavy until a country runs.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from hyosan.errors import HyosanError

#: Options of ``hyosan run`` that mean nothing for a country, with what they are for.
MODEL_ONLY = {
    "graph": "--graph",
    "seed_nodes": "--seed-nodes",
    "edge_rate": "--edge-rate",
    "period": "--period",
    "node_events": "--node-events",
    "patches": "--patches",
    "mobility": "--mobility",
    "moves": "--moves",
}


def is_country_target(target: str) -> bool:
    """True for a shipped country scenario name or a YAML file with a ``places`` section."""
    from hyosan.places.country import is_country

    try:
        return is_country(target)
    except HyosanError:
        return False


def run_country(options: dict[str, Any]) -> None:
    """Run the country scenario ``options['target']`` with the ``hyosan run`` options given."""
    from hyosan.console import report
    from hyosan.outputs import claim
    from hyosan.places import country, outbreak

    for key, flag in MODEL_ONLY.items():
        if options.get(key):
            raise HyosanError(f"{flag}: country scenarios set their places in the file; drop {flag}")
    target = options["target"]
    engine = options.get("engine")
    if engine is not None and engine not in ("patches", *country.METHODS):
        raise HyosanError(f"--engine {engine[:20]}: a country runs on the patches engine; give ssa, tau or ode")
    scenario = country.load(target)
    values = _settings(options.get("set_"))
    if values:
        try:
            scenario = dataclasses.replace(scenario, model=scenario.model.with_values(values))
        except HyosanError as exc:
            raise HyosanError(f"--set {exc}") from None
    method = None if engine in (None, "patches") else engine
    chosen = options.get("method")
    if chosen is not None:
        if chosen not in country.METHODS or (method is not None and method != chosen):
            raise HyosanError(f"--method {chosen[:20]}: give ssa, tau or ode (and no other --engine than patches)")
        method = chosen
    run: dict[str, Any] = {
        "method": method,
        "seed": 0 if options.get("seed") is None else options["seed"],
        "replicates": 1 if options.get("replicates") is None else options["replicates"],
        "t_end": _days(options.get("t_end"), "--t-end"),
        "every": _days(options.get("every"), "--every"),
        "workers": options.get("workers"),
        "progress": sys.stderr.isatty() if options.get("progress") is None else options["progress"],
        "epsilon": options.get("epsilon"),
        "max_events": options.get("max_events"),
        "time_limit": options.get("time_limit"),
    }
    tolerances = {k: options[k] for k in ("rtol", "atol") if options.get(k) is not None}
    if tolerances:
        if (method or scenario.method) != "ode":
            raise HyosanError(f"--{next(iter(tolerances))}: only for the ode method; drop it or add --method ode")
        scenario = dataclasses.replace(scenario, **tolerances)
    if (method or scenario.method) == "ode":
        for key in ("seed", "workers", "scheduler"):
            if options.get(key) is not None:
                raise HyosanError(f"--{key}: the ode method is deterministic; drop it or use --engine tau or ssa")
        run = {k: v for k, v in run.items() if k not in ("seed", "workers")}
    if options.get("scheduler"):
        from hyosan.cluster import dask_executor

        run["executor"] = dask_executor(options["scheduler"])
    folder = options.get("out") or Path("out") / (
        Path(target).stem if str(target).endswith((".yaml", ".yml")) else target
    )
    formats = list(options.get("formats") or [])
    for name in formats:
        if name != "zarr":
            raise HyosanError(f"--format {name[:20]}: a country run writes result.nc (and result.zarr: --format zarr)")
    if formats:
        import importlib.util

        if importlib.util.find_spec("zarr") is None:
            raise HyosanError("--format zarr: needs the zarr package; pip install 'hyosan[formats]'")
    with claim(folder):
        summary = outbreak.run_to_folder(
            scenario,
            folder,
            plot=options.get("plot", True),
            animation=options.get("animation") or "both",
            zarr=bool(formats),
            **run,
        )
    report(summary, Path(folder))


def sweep_country(options: dict[str, Any]) -> None:
    """``hyosan sweep korea --vary beta=... --outcome "breached > 0"``: the outcome probabilities of a
    country scenario across values of one parameter (sweep.csv, sweep.png, summary.json), resumable."""

    from rich.console import Console

    from hyosan.experiments.sweep import Journal, parse_values, sweep_key, write_sweep
    from hyosan.outputs import claim, sibling
    from hyosan.places import country
    from hyosan.places.sweep import sweep_country as run_sweep

    for key, flag in (("graph", "--graph"), ("seed_nodes", "--seed-nodes"), ("edge_rate", "--edge-rate")):
        if options.get(key):
            raise HyosanError(f"{flag}: country scenarios set their places in the file; drop {flag}")
    if options.get("period"):
        raise HyosanError("--period: country scenarios set their places in the file; drop --period")
    target, engine = options["target"], options.get("engine")
    scenario = country.load(target)
    method = scenario.method if engine in (None, "patches") else engine
    if method not in ("ssa", "tau"):
        raise HyosanError(
            f"--engine {method}: a country sweep estimates probabilities over replicates; give ssa or tau"
        )
    name, values = parse_values(options["vary"])
    base = _settings(options.get("set_"))
    replicates = 20 if options.get("replicates") is None else options["replicates"]
    t_end = _days(options.get("t_end"), "--t-end")
    run: dict[str, Any] = {"method": method, "t_end": t_end, "workers": options.get("workers")}
    if options.get("scheduler"):
        from hyosan.cluster import dask_executor

        run["executor"] = dask_executor(options["scheduler"])
    folder = options.get("out") or Path("out") / f"{Path(target).stem}-sweep"
    outcome = list(options["outcome"])
    inputs = {"country": scenario.source, "engine": method, "replicates": replicates, "seed": options["seed"]}
    inputs |= {"base": base, "t_end": t_end, "places": scenario.patches.description}
    with claim(folder):
        journal = Journal(sibling(folder, f"sweep-{sweep_key(scenario.model, name, values, outcome, **inputs)}.jsonl"))
        resumed = len(journal.done)
        rows = run_sweep(
            scenario, name, values, outcome, replicates=replicates, seed=options["seed"], base=base,
            journal=journal, **run,
        )  # fmt: skip
        title = f"{scenario.title[:60]}: {replicates} replicates per value ({method})"
        summary = {
            "country": scenario.name, "model": scenario.model.name, "engine": f"patches ({method})",
            "seed": options["seed"], "vary": name, "fixed": base, "points_resumed": resumed,
            "points_computed": journal.computed, "rows": rows,
        }  # fmt: skip
        write_sweep(folder, rows, name, outcome, title, summary)
    console = Console()
    for r in rows:
        probs = ", ".join(f"P({t}) = {r[f'P({t})']:.3f} ± {r[f'se P({t})']:.3f}" for t in outcome)
        console.print(f"  {name} = {r[name]:g}: {probs}", highlight=False)
    console.print(f"  results in [bold]{folder}[/bold]")


def describe_country(target: str) -> str:
    """``hyosan show korea``: what the country scenario is, its places, couplings, seed and cordon."""
    from hyosan.places import country

    c = country.load(target)
    lines = [c.title, "", str(c.raw.get("description", "")).strip(), ""]
    lines += [
        f"model:     {c.model.name} ({', '.join(f'{p.name}={p.value:g}' for p in c.model.parameters)})",
        f"places:    {c.patches.description}",
        f"           {c.patches.size:,} places, {int(c.patches.population.sum()):,} people",
        f"seed:      {', '.join(f'{n} {k}' for k, n in c.seed[c.seed_city].items())} in {c.seed_city}",
        f"method:    {c.method}, {c.t_end:g} days reported every {c.every:g}; a place falls below "
        f"{c.fall_below:g} of its people still human",
    ]
    if c.cordon is not None:
        trigger = c.cordon.get("when") or f"day {c.cordon['at']}"
        inside = ", ".join(c.cordon["cordon"]["patches"])
        lines.append(f"cordon:    {c.cordon['name']}: seals {inside} when {trigger}")
    return "\n".join(lines)


def _settings(pairs: list[str] | None) -> dict[str, str]:
    values = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise HyosanError(f"--set {pair}: write NAME=VALUE, e.g. --set beta=0.3")
        values[name.strip()] = value.strip()
    return values


def _days(value: str | None, flag: str) -> float | None:
    if value is None:
        return None
    from hyosan.units import days

    return days(value, flag, HyosanError)
