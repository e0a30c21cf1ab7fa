"""``hyosan compare-views SCHOOL``: the school's compartment model, contact network and agents side by side.

A command of its own rather than a flag of ``compare``: ``compare`` pairs two settings of one engine
(a difference with common random numbers); this runs three different models of one place and sets
their outcomes and curves side by side. Not ``views``, one letter from ``view`` (the browser viewer).
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer


def views(
    target: str = typer.Argument("hyosan-high", help="A school scenario with a contact network (hyosan-high)."),
    replicates: int = typer.Option(20, help="Replicates of the ssa and network views."),
    agent_replicates: int = typer.Option(3, "--agent-replicates", help="Replicates of the agent view (slow; 0: none)."),
    seed: int = typer.Option(0, help="Seed of the random streams (>= 0)."),
    t_end: str = typer.Option(None, "--t-end", help="Horizon, e.g. 28h (default: the scenario's)."),
    workers: int = typer.Option(None, help="Worker processes (default: all cores)."),
    out: Path = typer.Option(None, help="Output folder (default: out/TARGET-views)."),
    progress: bool = typer.Option(None, help="Show progress bars (default: when on a terminal)."),
    set_: list[str] = typer.Option([], "--set", help="NAME=VALUE of the compartment model (not the agents); repeat."),
) -> None:
    """Three views of one school on one clock: views.csv, views.png, summary.json."""
    import pandas as pd

    from hyosan.cli_options import _values
    from hyosan.experiments.views import plot_views
    from hyosan.experiments.views import views as _views
    from hyosan.outputs import claim
    from hyosan.results import summary_json, write_outputs

    folder = out or Path("out") / f"{Path(target).stem}-views"
    show = sys.stderr.isatty() if progress is None else progress
    with claim(folder):
        found = _views(target, replicates=replicates, agent_replicates=agent_replicates, seed=seed, t_end=t_end,
                       workers=workers, progress=show, values=_values(set_))  # fmt: skip
        summary = {k: v for k, v in found.items() if k != "curves"}
        write_outputs(
            folder,
            {
                "views.csv": lambda p: pd.DataFrame(found["rows"]).to_csv(p, index=False),
                "views.png": lambda p: plot_views(found, p),
                "summary.json": lambda p: summary_json(p, summary),
            },
        )
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{found['scenario']}: three views, {found['people']:,} people, {found['hours']:g} h")
    for col in ("view", "runs", "ever infected", "peak zombies", "peak hour"):
        table.add_column(col, justify="left" if col == "view" else "right")
    for r in found["rows"]:
        cells = [f"{r[f'{k} mean']:.4g} ± {r[f'{k} sd']:.2g}" for k in ("ever infected", "peak zombies", "peak hour")]
        table.add_row(r["view"], str(r["replicates"]), *cells)
    Console().print(table)
    Console().print(f"  mean ± s.d. over runs; results in [bold]{folder}[/bold]")
