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
        if key != "story" and not key.startswith("story."):
            console.print(f"  {key}: {_stat(value)}", highlight=False)
    if summary.get("story"):
        _story(console, summary)
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


def _story(console: object, summary: dict) -> None:
    """The siege's story (:mod:`hyosan.agents.story`): the people, then the safe rooms, with one run's values
    or, over replicates, mean, s.d. and 5-95% range (n where the outcome is defined in fewer runs: a
    barricade that never broke has no hold time); then the timeline of replicate 0."""
    from rich.table import Table

    from hyosan.agents.story import ROOM_NUMBERS, spread

    outcomes = summary.get("outcomes") or {}
    many = "story" not in outcomes
    stats = dict(spread(outcomes) if many else spread(_flat(outcomes["story"], "story.")))
    n = summary.get("replicates", 1)
    title = f"the story{f' over {n} replicates' if many else ''} (times: hours after the start)"
    people = Table(title=title)
    people.add_column("people")
    for col in ("mean", "s.d.", "5%", "95%") if many else ("value",):
        people.add_column(col, justify="right")
    for name, s in stats.items():
        if name.startswith("rooms."):
            continue
        if not many:
            people.add_row(name, _cell(s))
        elif s["mean"] is not None:
            sd = "-" if s["se"] is None else f"{s['se'] * s['n'] ** 0.5:.3g}"
            people.add_row(name, f"{s['mean']:.4g}", sd, f"{s['q05']:.4g}", f"{s['q95']:.4g}")
    console.print(people)
    rooms = list(summary["story"]["rooms"])
    table = Table(title="safe rooms" + (": mean [5-95%] (runs where defined)" if many else ""))
    table.add_column("")
    for room in rooms:
        table.add_column(room, justify="right")
    for col in ROOM_NUMBERS:
        cells = [stats.get(f"rooms.{room}.{col}") for room in rooms]
        table.add_row(col, *(_spread(c, n) if many else _cell(c) for c in cells))
    console.print(table)
    events = summary["story"]["timeline"]
    if events:
        shown = "; ".join(f"{e['clock']} {e['what']}" for e in events[:10])
        more = f"; ... {len(events) - 10} more in story.md" if len(events) > 10 else ""
        console.print(f"  timeline{' (replicate 0)' if many else ''}: {shown}{more}", highlight=False)


def _cell(v: object) -> str:
    return "-" if v is None else f"{v:.4g}"


def _spread(s: dict | None, n: int) -> str:
    if not s or s["mean"] is None:
        return "-"
    text = f"{s['mean']:.3g} [{s['q05']:.3g}-{s['q95']:.3g}]"
    return text if s["n"] == n else f"{text} ({s['n']})"


def _flat(node: dict, prefix: str) -> dict:
    out: dict = {}
    for k, v in node.items():
        if isinstance(v, dict):
            out |= _flat(v, f"{prefix}{k}.")
        else:
            out[f"{prefix}{k}"] = v
    return out
