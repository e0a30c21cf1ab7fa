"""The command line: a thin face over the Python API.

Every user error is printed on one line and exits with code 2; nothing half-written is left.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from hyosan.cli_country import describe_country as _describe_country
from hyosan.cli_country import is_country_target as _country
from hyosan.cli_country import run_country as _run_country
from hyosan.cli_country import sweep_country as _sweep_country
from hyosan.cli_options import _cluster, _duration, _limits, _network, _stochastic_only, _tolerances, _values
from hyosan.cli_patches import patch_options as _patch_options
from hyosan.errors import HyosanError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="hyosan: outbreak simulation from the blackboard to the school corridor.",
)


def _version(value: bool) -> None:
    if value:
        from hyosan import __version__

        typer.echo(f"hyosan {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """hyosan: outbreak simulation from the blackboard to the school corridor."""


KEYWORDS = {"t_end": "--t-end", "every": "--every", "seed": "--seed", "replicates": "--replicates"}


@contextmanager
def _setting(pairs: dict[str, str]) -> Iterator[None]:
    """Errors about a NAME given by --set, or a keyword such as t_end, name the option (the Python API
    names only NAME or the keyword)."""
    try:
        yield
    except HyosanError as exc:
        text = str(exc)
        if any(text.startswith((f"{k}:", f"{k}=", f"{k} ")) for k in pairs):
            raise type(exc)(f"--set {text}") from None
        for key, flag in KEYWORDS.items():
            if text.startswith((f"{key}:", f"{key} ")):
                raise type(exc)(flag + text[len(key) :]) from None
        raise


def _known(target: str) -> None:
    """Refuse a name that is neither a library model nor a shipped scenario, with the closest names."""
    from hyosan.catalog import models, scenarios, unknown
    from hyosan.compartmental.io import is_path

    if not is_path(target) and target not in models() and target not in scenarios():
        raise unknown(target)


@app.command()
def run(
    target: str = typer.Argument(
        ...,
        help="A library model or scenario name, or a YAML file. A path ends in .yaml/.yml or contains '/'; "
        "any other TARGET is a library name, even if a file or folder of that name exists (write ./NAME).",
    ),
    engine: str = typer.Option(None, help="ode | ssa | tau | network (models); scenarios choose their own."),
    t_end: str = typer.Option(None, "--t-end", help="Horizon: days, or a duration such as 12h (default: the model's)."),
    every: str = typer.Option(None, help="Report interval: days, or a duration such as 30min."),
    replicates: int = typer.Option(1, help="Independent stochastic replicates."),
    seed: int = typer.Option(None, help="Seed of the random streams (>= 0; default 0)."),
    set_: list[str] = typer.Option([], "--set", help="NAME=VALUE for a parameter or initial size; repeat."),
    workers: int = typer.Option(None, help="Worker processes for ensembles (default: all cores)."),
    scheduler: str = typer.Option(
        None, help="Dask scheduler address (tcp://HOST:PORT) to spread replicates over (ssa, tau, scenarios)."
    ),
    out: Path = typer.Option(None, help="Output folder (default: out/TARGET)."),
    plot: bool = typer.Option(True, help="Write plot.png (and pictures, for scenarios)."),
    animation: str = typer.Option(None, help="Scenarios: the animation as gif, mp4, both (default) or none."),
    progress: bool = typer.Option(None, help="Show a progress bar (default: when on a terminal)."),
    epsilon: float = typer.Option(None, help="tau: leap control (default 0.002); smaller is more accurate, slower."),
    max_events: int = typer.Option(None, "--max-events", help="ssa/tau: most transitions per replicate."),
    time_limit: float = typer.Option(None, "--time-limit", help="ssa/tau: wall-clock budget, seconds."),
    formats: list[str] = typer.Option(
        [], "--format", help="Models: also write zarr (result.zarr) or parquet (timeseries.parquet); repeat."
    ),
    graph: str = typer.Option(
        None,
        help="network: the contact graph, er:n=10000,k=10 | ba:.. | ws:.. | sbm:.. | school:hyosan-high | FILE; "
        'a day/night schedule: "school:hyosan-high@8h; er:n=1111,k=2@16h".',
    ),
    seed_nodes: str = typer.Option(
        None, "--seed-nodes", help="network: who starts infected, random:K | degree:K | ids:1,2 (Z=ids:9: in Z)"
    ),
    edge_rate: list[str] = typer.Option(
        [], "--edge-rate", help="network: NAME=VALUE, a pair transition's per-edge rate."
    ),
    node_events: bool = typer.Option(
        False, "--node-events", help="network: write node_events.parquet (each state change, who caused it)."
    ),
    period: list[str] = typer.Option(
        [], "--period", help="network: NAME=fixed:D | gamma:MEAN,SHAPE | lognormal:MEAN,SD, a node transition's period."
    ),
    patches: str = typer.Option(None, help="patches: the places, grid:n=10x10,pop=1000 | cities:KR | FILE.csv."),
    mobility: str = typer.Option(None, help="patches: how people hop, walk:speed=5km/h,radius=3km | radiation:.."),
    moves: str = typer.Option(None, help="patches: which compartments hop, Z or Z=1,S=0.2 (multipliers)."),
    method: str = typer.Option(None, help="patches: ssa (exact, default) | tau | ode."),
    rtol: float = typer.Option(None, "--rtol", help="ode (models, patches, countries): relative tolerance."),
    atol: float = typer.Option(None, "--atol", help="ode: absolute tolerance, a fraction of the population."),
) -> None:
    """Simulate TARGET and write timeseries.csv, final.csv, summary.json, result.nc and plot.png."""
    if _country(target):
        return _run_country(dict(locals()))
    from hyosan.agents import run as scenarios
    from hyosan.outputs import claim

    _known(target)
    if engine is not None and not engine.strip():
        raise HyosanError("--engine: the name is empty; give ode, ssa or tau (scenarios: abm, or leave it out)")
    scenario = scenarios.is_scenario(target)
    limits = _limits(engine, scenario, epsilon, max_events, time_limit)
    limits |= _tolerances(engine, scenario, method, rtol, atol)
    network = _network(None if scenario else engine, graph, seed_nodes, edge_rate, period, node_events)
    show = sys.stderr.isatty() if progress is None else progress
    name = Path(target).stem if target.endswith((".yaml", ".yml")) else target
    folder = out or Path("out") / name
    values = _values(set_)
    with claim(folder), _setting(values):
        if scenario:
            if formats:
                raise HyosanError("--format: scenarios write result.nc and their CSVs only; drop --format")
            summary = scenarios.run_scenario(
                target,
                out=folder,
                seed=0 if seed is None else seed,
                values=values,
                replicates=replicates,
                workers=workers,
                t_end=_duration(t_end),
                every=_duration(every),
                plot=plot,
                animation=animation or "both",
                progress=show,
                engine=engine,
                **_cluster(scheduler, "abm"),
            )
        else:
            if animation is not None:
                raise HyosanError(f"--animation {animation}: models have no animation, only scenarios; drop it")
            from hyosan.compartmental.io import load
            from hyosan.simulate import run_to_folder

            model = load(target).with_values(values)
            _stochastic_only(engine or "ode", seed=seed, workers=workers)
            options = _cluster(scheduler, engine or "ode") | limits
            options |= network
            options |= _patch_options(engine, patches, mobility, moves, method)
            summary = run_to_folder(
                model,
                engine or "ode",
                folder,
                plot=plot,
                t_end=_duration(t_end),
                every=_duration(every),
                seed=0 if seed is None else seed,
                replicates=replicates,
                workers=workers,
                progress=show,
                formats=formats,
                **options,
            )
    from hyosan.console import report

    report(summary, folder)


@app.command()
def compare(
    target: str = typer.Argument(..., help="A library model, scenario, or YAML file."),
    set_: list[str] = typer.Option([], "--set", help="NAME=VALUE of arm A (and B, unless --vs changes it)."),
    vs: list[str] = typer.Option([], "--vs", help="NAME=VALUE that make arm B differ from arm A; repeat."),
    engine: str = typer.Option(None, help="ssa (default) | tau | ode | network (models; scenarios run on abm)."),
    replicates: int = typer.Option(None, help="Replicates per arm (default 200; scenarios: 20 is a start)."),
    seed: int = typer.Option(None, help="Seed of the random streams (>= 0; default 0)."),
    independent: bool = typer.Option(False, help="Independent streams for arm B instead of common random numbers."),
    t_end: str = typer.Option(None, "--t-end", help="Horizon: days, or a duration such as 12h or 20min."),
    workers: int = typer.Option(None, help="Worker processes."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    graph: str = typer.Option(None, help="network: the contact graph (as for run), e.g. er:n=10000,k=10."),
    seed_nodes: str = typer.Option(None, "--seed-nodes", help="network: random:K | degree:K | ids:1,2"),
    edge_rate: list[str] = typer.Option([], "--edge-rate", help="network: NAME=VALUE per-edge rate; repeat."),
    period: list[str] = typer.Option([], "--period", help="network: NAME=fixed:D | gamma:MEAN,SHAPE | ..."),
) -> None:
    """Paired difference of outcomes between two settings, with common random numbers."""
    from hyosan.compartmental.io import load
    from hyosan.experiments.compare import compare as _compare

    if not vs:
        raise HyosanError("--vs: give at least one NAME=VALUE that makes arm B differ, e.g. --vs beta=0.4")
    from hyosan.agents import run as scenarios

    network = _network(None if scenarios.is_scenario(target) else engine, graph, seed_nodes, edge_rate, period)
    if scenarios.is_scenario(target):
        from hyosan.experiments.compare import compare_scenario

        report = compare_scenario(
            target,
            _values(set_),
            _values(vs, "--vs"),
            replicates=20 if replicates is None else replicates,
            seed=0 if seed is None else seed,
            common=not independent,
            workers=workers,
            t_end=_duration(t_end),
            engine=engine,
            flags=True,
        )
        engine = "abm"
    else:
        engine = engine or "ssa"
        _stochastic_only(engine, replicates=replicates, seed=seed, independent=independent, workers=workers)
        report = _compare(
            load(target),
            _values(set_),
            _values(vs, "--vs"),
            engine=engine,
            replicates=replicates,
            seed=0 if seed is None else seed,
            common=not independent,
            t_end=_duration(t_end),
            workers=workers,
            **network,
        )
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    crn = "common random numbers" if report["common_random_numbers"] else "independent streams"
    table = Table(title=f"{report['model']} · {engine} · {report['replicates']} paired replicates · {crn}")
    for col in ("outcome", "A", "B", "B - A", "95% interval"):
        table.add_column(col, justify="right" if col != "outcome" else "left")
    for name, s in report["outcomes"].items():
        table.add_row(
            name,
            f"{s['mean_a']:.4g}",
            f"{s['mean_b']:.4g}",
            f"{s['difference']:+.4g}",
            f"[{s['ci_low']:+.4g}, {s['ci_high']:+.4g}]",
        )
    Console().print(table)


@app.command()
def sweep(
    target: str = typer.Argument(..., help="A library model, YAML file or country scenario (korea)."),
    vary: str = typer.Option(..., help="NAME=V1,V2,... or NAME=START:STOP:COUNT."),
    outcome: list[str] = typer.Option(
        ..., help='A condition on the final state, e.g. "C > 0" (countries also "breached > 0"); repeat.'
    ),
    set_: list[str] = typer.Option([], "--set", help="NAME=VALUE held fixed; repeat."),
    engine: str = typer.Option(None, help="ssa (default) | tau | network; countries: their own method, or ssa/tau."),
    replicates: int = typer.Option(None, help="Replicates per value (default 1000; countries 20)."),
    seed: int = typer.Option(0, help="Seed; every value reuses it (common random numbers)."),
    t_end: str = typer.Option(None, "--t-end", help="Horizon: days, or a duration such as 12h."),
    workers: int = typer.Option(None, help="Worker processes."),
    scheduler: str = typer.Option(None, help="Dask scheduler address (tcp://HOST:PORT) to spread replicates over."),
    out: Path = typer.Option(None, help="Output folder (default: out/TARGET-sweep)."),
    graph: str = typer.Option(None, help="network: the contact graph (as for run), e.g. er:n=10000,k=10."),
    seed_nodes: str = typer.Option(None, "--seed-nodes", help="network: random:K | degree:K | ids:1,2"),
    edge_rate: list[str] = typer.Option([], "--edge-rate", help="network: NAME=VALUE per-edge rate; repeat."),
    period: list[str] = typer.Option([], "--period", help="network: NAME=fixed:D | gamma:MEAN,SHAPE | ..."),
) -> None:
    """Outcome probabilities across values of one parameter: sweep.csv, sweep.png, summary.json.

    Each finished point is recorded beside the output as it completes; running the same command
    again after an interruption resumes, recomputing no finished point.
    """

    from hyosan.agents import run as scenarios
    from hyosan.compartmental.io import load
    from hyosan.experiments.sweep import Journal, parse_values, sweep_key, write_sweep
    from hyosan.experiments.sweep import sweep as _sweep
    from hyosan.outputs import claim, sibling

    if _country(target):
        return _sweep_country(dict(locals()))
    if scenarios.is_scenario(target):
        raise HyosanError(f"sweep {target}: sweeps run compartment models; for a scenario use compare --set/--vs")
    engine, replicates = engine or "ssa", 1000 if replicates is None else replicates
    if engine == "ode":
        raise HyosanError("--engine ode: a sweep estimates probabilities over replicates; use --engine ssa or tau")
    network = _network(engine, graph, seed_nodes, edge_rate, period)
    cluster = _cluster(scheduler, engine)
    model = load(target)
    name, values = parse_values(vary)
    base = _values(set_)
    t_end = _duration(t_end)
    folder = out or Path("out") / f"{Path(target).stem}-sweep"
    inputs = {"engine": engine, "replicates": replicates, "seed": seed, "base": base, "t_end": t_end}
    if network:
        inputs |= {"graph": graph, "seed_nodes": seed_nodes, "edge_rate": sorted(edge_rate), "period": sorted(period)}
    with claim(folder):
        journal = Journal(sibling(folder, f"sweep-{sweep_key(model, name, values, outcome, **inputs)}.jsonl"))
        resumed = len(journal.done)
        rows = _sweep(
            model,
            name,
            values,
            outcome,
            engine=engine,
            replicates=replicates,
            seed=seed,
            base=base,
            t_end=t_end,
            workers=workers,
            journal=journal,
            **network,
            **cluster,
        )
        title = f"{model.name}: {replicates} replicates per value ({engine})"
        summary = {
            "model": model.name,
            "engine": engine,
            "seed": seed,
            "vary": name,
            "fixed": base,
            "points_resumed": resumed,
            "points_computed": journal.computed,
            "rows": rows,
        }
        write_sweep(folder, rows, name, outcome, title, summary)
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column(name, justify="right")
    for text in outcome:
        table.add_column(f"P({text}) ± SE", justify="right")
    for r in rows:
        table.add_row(f"{r[name]:g}", *(f"{r[f'P({t})']:.3f} ± {r[f'se P({t})']:.3f}" for t in outcome))
    Console().print(table)
    Console().print(f"  results in [bold]{folder}[/bold]")


@app.command()
def models() -> None:
    """List the library models and the shipped agent scenarios."""
    from hyosan.catalog import models as library
    from hyosan.catalog import scenarios

    typer.echo("Models (compartments; engines ode, ssa, tau):")
    for name, title in library().items():
        typer.echo(f"  {name:16s} {title}")
    typer.echo("")
    typer.echo("Scenarios (agents on a floor plan; engine abm):")
    for name, title in scenarios().items():
        typer.echo(f"  {name:16s} {title}")
    from hyosan.places.country import titles as countries

    typer.echo("\nCountries (a model in every city, coupled by mobility; engine patches):")
    for name, title in countries().items():
        typer.echo(f"  {name:16s} {title}")


@app.command()
def show(target: str = typer.Argument(..., help="A library model, a scenario, or a YAML file of either.")) -> None:
    """Describe a model (parameters, transitions, equations) or a scenario (map, zones, population, interventions)."""
    if _country(target):
        return typer.echo(_describe_country(target))
    from hyosan.agents.scenario import Scenario
    from hyosan.catalog import load

    _known(target)
    obj = load(target)
    if isinstance(obj, Scenario):
        from hyosan.agents.describe import describe_scenario

        typer.echo(describe_scenario(obj))
    else:
        from hyosan.compartmental.describe import describe

        typer.echo(describe(obj))


@app.command()
def analyze(
    target: str = typer.Argument(..., help="A library model, a scenario (its declared model), or a YAML file."),
    set_: list[str] = typer.Option([], "--set", help="NAME=VALUE of the model; repeat."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    graph: str = typer.Option(None, help="A contact graph: network R0 and the EBCM final size on it instead."),
    edge_rate: list[str] = typer.Option([], "--edge-rate", help="With --graph: NAME=VALUE per-edge rate; repeat."),
) -> None:
    """R0 by the next-generation matrix, equilibria, and their stability (with --graph: on the network)."""
    from hyosan.agents.scenario import Scenario
    from hyosan.analysis import analyze as _analyze
    from hyosan.analysis import format_report
    from hyosan.catalog import declared_model, load

    _known(target)
    obj = load(target)
    model = declared_model(obj) if isinstance(obj, Scenario) else obj
    values = _values(set_)
    with _setting(values):
        model = model.with_values(values)
    if graph is not None or edge_rate:
        from hyosan.analysis.ebcm import network_report

        options = _network("network", graph, None, edge_rate)
        if options["graph"] is None:
            raise HyosanError("--edge-rate: give the graph too (--graph er:n=10000,k=10)")
        found = network_report(model, options["graph"], options["edge_rates"])
        typer.echo(json.dumps(found, indent=2) if as_json else "\n".join(f"{k}: {v}" for k, v in found.items()))
        return
    report = _analyze(model)
    if isinstance(obj, Scenario) and not as_json:
        typer.echo(f"{obj.name} is an agent scenario; analysing the compartment model it declares, '{model.name}'\n")
    typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else format_report(report))


from hyosan.cli_view import view as _view  # noqa: E402 - the viewer's command lives in its own module

app.command(name="view")(_view)
from hyosan.cli_fit import fit as _fit  # noqa: E402 - the fit command lives in its own module

app.command(name="fit")(_fit)


from hyosan.cli_views import views as _views  # noqa: E402

app.command(name="compare-views")(_views)


def _usage_errors() -> tuple[type[BaseException], ...]:
    """Command-line usage errors, whether typer vendors click or uses the click package."""
    kinds: list[type[BaseException]] = [getattr(typer, "TyperException", typer.BadParameter)]
    try:
        import click

        kinds.append(click.ClickException)
    except ImportError:
        pass
    return tuple(kinds)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds exactly like Ctrl-C."""


_terminated: list[int] = []


def _terminate(signum: int, frame: object) -> None:
    _terminated.append(signum)  # click turns the exception into Abort or a returned 130; remember why
    raise Terminated


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors, exit code 2, no traceback; SIGTERM exits 143 like Ctrl-C exits 130."""
    from hyosan.compartmental.io import one_read

    signal.signal(signal.SIGTERM, _terminate)
    try:
        with one_read():  # a target's file is read once: its kind and its contents from one version
            code = app(args=argv, prog_name="hyosan", standalone_mode=False)
        if code == 130:
            raise KeyboardInterrupt  # typer turns Ctrl-C into a returned 130 when not standalone
    except HyosanError as exc:
        typer.echo(f"hyosan: error: {exc}", err=True)
        raise SystemExit(2) from None
    except (KeyboardInterrupt, typer.Abort):
        if _terminated:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            typer.echo("hyosan: terminated; nothing was written", err=True)
            raise SystemExit(143) from None
        typer.echo("hyosan: interrupted; nothing was written", err=True)
        raise SystemExit(130) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except _usage_errors() as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.ctx.get_help() if getattr(exc, "ctx", None) else "see 'hyosan --help'")
            raise SystemExit(0) from None
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"hyosan: error: {message} (see 'hyosan --help')", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
