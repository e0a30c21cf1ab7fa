"""What a finished run prints on the terminal: final counts, outcomes over replicates, where the files went."""

from __future__ import annotations

from pathlib import Path


def report(summary: dict, folder: Path) -> None:
    """The final counts as a table, then the outcomes, the simulation time and where the files are."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"{summary.get('model', '')} · {summary.get('engine', '')}", show_header=True)
    table.add_column("compartment")
    table.add_column("final" if "final" in summary else "final (mean)", justify="right")
    se = summary.get("final_se") or {}
    if se:
        table.add_column("± SE", justify="right")
    for c, v in (summary.get("final") or summary.get("final_mean") or {}).items():
        table.add_row(c, f"{v:,.2f}", *([f"{se[c]:,.2f}"] if c in se else []))
    console.print(table)
    for key, value in (summary.get("outcomes") or {}).items():
        console.print(f"  {key}: {_stat(value)}", highlight=False)
    if summary.get("elapsed_s") is not None:
        console.print(f"  simulation took {summary['elapsed_s']:.3f} s")
    console.print(f"  results in [bold]{folder}[/bold]")


def _stat(value: object) -> object:
    """An outcome summarised over replicates as ``mean ± SE (5-95%: a to b, n = k)``; others as they are."""
    if isinstance(value, dict) and {"mean", "se", "q05", "q95"} <= value.keys():
        if value["mean"] is None:
            return "undefined in every replicate"
        se = "" if value["se"] is None else f" ± {value['se']:.3g}"
        return f"{value['mean']:.4g}{se} (5-95%: {value['q05']:.4g} to {value['q95']:.4g}, n = {value.get('n')})"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
        return "; ".join(f"{k} ({_stat(v)})" for k, v in value.items())
    if isinstance(value, dict):
        return ", ".join(f"{k}={_stat(v)}" for k, v in value.items())
    return value
