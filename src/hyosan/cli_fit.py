"""``hyosan fit TARGET --data FILE``: fit a model's parameters to observed counts (see hyosan.fit)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from hyosan.errors import HyosanError


def _budget(text: str | None):
    from hyosan.fit.mle import Budget

    return Budget.parse(text)


def _data_path(data: str) -> str | Path:
    """A file, or the name of data shipped with hyosan (``boarding-school``)."""
    path = Path(data)
    if path.exists() or "/" in data or path.suffix:
        return path
    from importlib.resources import files

    shipped = files("hyosan.data") / "fits" / f"{data}.csv"
    if shipped.is_file():
        return Path(str(shipped))
    names = sorted(p.name[:-4] for p in (files("hyosan.data") / "fits").iterdir() if p.name.endswith(".csv"))
    raise HyosanError(f"--data {data}: no such file nor shipped data set; shipped: {', '.join(names)}")


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        for part in item.split(","):
            name, eq, value = part.partition("=")
            if not eq or not name.strip() or not value.strip():
                raise HyosanError(f"{option} {part.strip()!r}: write NAME=VALUE, e.g. {option} B=I")
            out[name.strip()] = value.strip()
    return out


def fit(
    target: str = typer.Argument(..., help="A library model, a model YAML file or an agent scenario (abc only)."),
    data: str = typer.Option(..., help="CSV/Parquet of a time column and observed columns, or a shipped data set."),
    fit_: list[str] = typer.Option(
        [], "--fit", help="Parameters to fit, with optional bounds: beta=0:5,gamma,I0; repeat."
    ),
    prior: list[str] = typer.Option(
        [],
        help="NAME=PRIOR: uniform(a,b) loguniform(a,b) lognormal(m,s) normal(m,s) halfnormal(s); "
        "adds NAME to the fitted ones; repeat.",
    ),
    observe: list[str] = typer.Option(
        [], help="COLUMN=OBSERVABLE: I, I + Q, new(S -> I) or new(TRANSITION) (default: the column's name)."
    ),
    noise: str = typer.Option(
        "poisson", help="Observation model: poisson | negbin (phi) | normal (sd) | binomial (rho)."
    ),
    method: str = typer.Option(None, help="mle | mcmc (ode) | abc (stochastic engines); default by engine."),
    engine: str = typer.Option("ode", help="The engine simulating the model."),
    set_: list[str] = typer.Option([], "--set", help="NAME=VALUE held fixed (parameters, initial sizes); repeat."),
    seed: int = typer.Option(0, help="Seed of starts, samplers and predictive draws (>= 0)."),
    starts: int = typer.Option(None, help="mle: optimiser starts (default 5)."),
    steps: int = typer.Option(None, help="mcmc: steps per walker (default 2000; the first half is burn-in)."),
    walkers: int = typer.Option(None, help="mcmc: walkers (default max(16, 4 × free parameters))."),
    budget: str = typer.Option(None, help="Stop after a time (30s, 5min) or a number of model evaluations."),
    out: Path = typer.Option(None, help="Output folder (default: out/fit-TARGET)."),
    population: int = typer.Option(None, help="abc: particles per generation (default 500)."),
    generations: int = typer.Option(None, help="abc: most generations (default 10)."),
    replicates: int = typer.Option(None, help="abc: simulations per particle (default 1)."),
    distance: str = typer.Option(None, help="abc: sse (default) | poisson (deviance)."),
    workers: int = typer.Option(None, help="abc: worker processes (default: all cores)."),
    scheduler: str = typer.Option(None, help="abc: Dask scheduler address (tcp://HOST:PORT) to simulate on."),
    resume: Path = typer.Option(
        None, help="abc: checkpoint file, written every round and continued from (default: .OUT.abc-state.npz)."
    ),
    progress: bool = typer.Option(None, help="Show a progress bar (default: when on a terminal)."),
    graph: str = typer.Option(None, help="network: the contact graph (as for run), e.g. er:n=500,k=8."),
    seed_nodes: str = typer.Option(None, help="network: who starts infected (as for run), e.g. random:10."),
    patches: str = typer.Option(None, help="patches: the places (as for run), e.g. grid:n=3x3,pop=200."),
    mobility: str = typer.Option(None, help="patches: how people hop (as for run), e.g. walk:speed=5km/h,radius=3km."),
    moves: str = typer.Option(None, help="patches: which compartments hop, e.g. I."),
) -> None:
    """Fit TARGET to --data; writes fit.json, posterior.csv, fit.png, corner.png and ppc.png."""
    from hyosan.catalog import load
    from hyosan.cli import _known, _setting
    from hyosan.cli_options import _network, _values
    from hyosan.cli_patches import patch_options
    from hyosan.compartmental.model import Model
    from hyosan.fit import fit as run_fit
    from hyosan.fit.priors import parse_assignments
    from hyosan.outputs import claim

    _known(target)
    free = parse_assignments(fit_, "--fit")
    priors = parse_assignments(prior, "--prior")
    for name, text in priors.items():
        if text is None:
            raise HyosanError(f"--prior {name}: give the prior, e.g. --prior '{name}=lognormal(0,1)'")
        if free.get(name) is not None:
            raise HyosanError(f"--prior {name}: --fit gives {name} bounds already; give bounds or a prior, not both")
        free[name] = text
    if not free:
        raise HyosanError("--fit: name the parameters to fit, e.g. --fit beta,gamma")
    options = {k: v for k, v in {"starts": starts, "steps": steps, "walkers": walkers}.items() if v is not None}
    abc = {"population": population, "generations": generations, "replicates": replicates, "distance": distance,
           "workers": workers, "scheduler": scheduler, "checkpoint": resume}  # fmt: skip
    options |= {k: v for k, v in abc.items() if v is not None}
    values = _values(set_)
    name = Path(target).stem if target.endswith((".yaml", ".yml")) else target
    folder = out or Path("out") / f"fit-{name}"
    loaded = load(target)
    agents = not isinstance(loaded, Model)
    if (method or ("mle" if engine == "ode" and not agents else "abc")) == "abc" and resume is None:
        options["checkpoint"] = folder.parent / f".{folder.name}.abc-state.npz"
    show = sys.stderr.isatty() if progress is None else progress
    if agents:
        _fit_scenario(target, data, free, method, engine, noise, observe, values, seed, budget, show, folder,
                      options, (graph, seed_nodes, patches, mobility, moves))  # fmt: skip
        return
    with _setting(values):
        model = loaded.with_values(values)
    engine_options = _network(engine, graph, seed_nodes, []) | patch_options(engine, patches, mobility, moves, None)
    engine_options = {k: v for k, v in engine_options.items() if v is not None}
    with claim(folder):
        result = run_fit(
            model,
            _data_path(data),
            free,
            method=method,
            engine=engine,
            noise=noise,
            observe=_pairs(observe, "--observe"),
            seed=seed,
            budget=_budget(budget),
            progress=show,
            out=folder,
            engine_options=engine_options,
            **options,
        )
    _print(result, folder)


def _fit_scenario(target, data, free, method, engine, noise, observe, values, seed, budget, show, folder, options,
                  engine_flags) -> None:  # fmt: skip
    """An agent scenario: its fields fitted by ABC-SMC (hyosan.fit.scenario)."""
    from hyosan.fit.scenario import fit_scenario
    from hyosan.outputs import claim

    if engine not in ("ode", "abm"):
        raise HyosanError(f"--engine {engine}: scenario {target} runs on the agent engine; drop --engine or use abm")
    if any(v is not None for v in engine_flags):
        raise HyosanError(
            "--graph, --seed-nodes, --patches, --mobility, --moves: only for models; drop them for a scenario"
        )
    with claim(folder):
        result = fit_scenario(target, _data_path(data), free, method=method, noise=noise,
                              observe=_pairs(observe, "--observe"), values=values, seed=seed,
                              budget=_budget(budget), progress=show, out=folder, **options)  # fmt: skip
    _print(result, folder)


def _print(result, folder: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{result.method}: {result.interval_kind}")
    for col in ("", "estimate", "95% interval"):
        table.add_column(col)

    def cell(v):
        return "open" if v is None else f"{v:.4g}"

    for name in result.names:
        lo, hi = result.intervals.get(name, (None, None))
        table.add_row(name, cell(result.estimate[name]), f"{cell(lo)} – {cell(hi)}")
    for name, entry in result.extra.get("derived", {}).items():
        if isinstance(entry, dict):
            lo, hi = entry.get("interval_95", (None, None))
            table.add_row(name, cell(entry["estimate"]), f"{cell(lo)} – {cell(hi)}")
    console = Console()
    console.print(table)
    check = result.extra.get("posterior_predictive_check", {})
    if check.get("p_value") is not None:
        console.print(f"posterior-predictive p = {check['p_value']:.2f}; written to {folder}")
