"""Scenarios: agent-based worlds run by name or YAML file; also the shipped scenario files.

A target is a scenario when it names a shipped scenario (``hyosan-high``) or is a YAML file with a
``map:`` (or ``world:``) section; library model names are not. :func:`run_scenario` runs it on the
agent engine and writes every output at once (nothing half-written).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.agents import story
from hyosan.agents.ensemble import flatten, outcome_table, summarise
from hyosan.errors import EngineError, HyosanError, ScenarioError

OUTPUTS = (
    "timeseries.csv", "final.csv", "summary.json", "outcomes.csv", "events.csv", "escapes.csv", "plot.png",
    "animation.gif", "animation.mp4", "snapshot.png", "overview.png", "humbies.png", "story.md", "rooms.csv",
    "barricades.csv",
)  # fmt: skip


def is_scenario(target: str) -> bool:
    """True when ``target`` names a shipped scenario or a YAML file with a ``map``/``world`` section."""
    from hyosan.agents.scenario import shipped
    from hyosan.compartmental.io import is_path, read_file, read_yaml

    if is_path(target):
        path = Path(target)
        try:
            data, _ = read_yaml(read_file(path), str(path)) if path.is_file() else (None, {})
        except (HyosanError, OSError, ValueError):
            return False
        return isinstance(data, dict) and ("map" in data or "world" in data)
    return target in shipped()


def execute(
    target: Any,
    *,
    seed: int = 0,
    values: Mapping[str, Any] | None = None,
    replicates: int = 1,
    workers: int | None = None,
    t_end: float | str | None = None,
    every: float | str | None = None,
    engine: str | None = None,
    frames: bool = False,
    recorder: Any = None,
    flags: bool = False,
    executor: Any = None,
    progress: bool = False,
) -> tuple[Any, Any, list]:
    """Load scenario ``target`` (a name, a path or a loaded :class:`Scenario`) with ``values`` and run it
    on the agent engine: (scenario, result Dataset, runs).

    ``t_end`` and ``every`` are days when bare numbers, or durations with a unit (``"20min"``).
    ``flags``: name the options as the command line spells them (``--t-end``), else as keywords.
    ``executor`` runs the replicates elsewhere (e.g. :func:`hyosan.cluster.dask_executor`), with the same results.
    ``recorder`` (e.g. :class:`hyosan.viz.film.Recorder`), called with the scenario, records replicate 0's frames.
    """
    from hyosan.agents.scenario import Scenario, load_scenario
    from hyosan.engines.abm.engine import run_scenario as run_abm

    def name(option: str) -> str:
        return "--" + option.replace("_", "-") if flags else option

    label = target.name if isinstance(target, Scenario) else target
    if engine not in (None, "abm"):
        raise EngineError(
            f"{name('engine')} {engine}: scenario {label} runs on the agent engine; "
            f"{'drop --engine' if flags else 'leave engine out'} or use abm"
        )
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise HyosanError(f"{name('seed')} {seed}: a seed is a whole number >= 0")
    if not isinstance(replicates, (int, np.integer)) or not 1 <= replicates <= 10_000:
        raise HyosanError(f"{name('replicates')} {replicates}: give a whole number from 1 to 10,000")
    if workers is not None and (not isinstance(workers, (int, np.integer)) or workers < 1):
        raise HyosanError(f"{name('workers')} {workers}: give a whole number >= 1 (default: all cores)")
    values = dict(values or {})
    given = {}
    for option, value, key in (("t_end", t_end, "time.horizon"), ("every", every, "time.report")):
        if value is None:
            continue
        if isinstance(value, str):
            values[key] = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf"):
            values[key] = f"{float(value)!r}d"
        else:
            raise HyosanError(
                f"{name(option)} {value}: give a positive, finite number of days or a duration such as '20min'"
            )
        given[key] = f"{name(option)} {value}"
    try:
        if isinstance(target, Scenario):
            sc = target.with_values(values) if values else target
        else:
            sc = load_scenario(target, values)
    except ScenarioError as exc:
        said = [flag for key, flag in given.items() if f"({key})" in str(exc) or "(time)" in str(exc)]
        if said:
            raise ScenarioError(f"{', '.join(said)} (days): {exc}") from None
        raise
    ds, runs = run_abm(
        sc,
        seed=seed,
        replicates=replicates,
        workers=workers,
        frames=frames,
        executor=executor,
        progress=progress,
        recorder=recorder,
    )
    return sc, ds, runs


def run_scenario(
    target: str,
    out: Path,
    *,
    seed: int = 0,
    values: dict[str, str] | None = None,
    replicates: int = 1,
    workers: int | None = None,
    t_end: float | None = None,
    every: float | None = None,
    plot: bool = True,
    progress: bool = False,
    engine: str | None = None,
    executor: Any = None,
    animation: str = "both",
) -> dict[str, Any]:
    """Run scenario ``target`` on the agent engine and write its outputs into ``out``; the summary.

    With ``plot``: plot.png, overview.png, snapshot.png and the animation as ``animation`` says (gif, mp4,
    both or none; :mod:`hyosan.viz.film`)."""
    from hyosan.results import final_frame, summary_json, wide_frame, write_netcdf, write_outputs
    from hyosan.viz.film import ANIMATIONS, Recorder

    if animation not in ANIMATIONS:
        raise HyosanError(f"--animation {animation}: write gif, mp4, both or none")
    sc, ds, runs = execute(
        target,
        seed=seed,
        values=values,
        replicates=replicates,
        workers=workers,
        t_end=t_end,
        every=every,
        engine=engine,
        frames=False,
        recorder=Recorder if plot else None,
        flags=True,
        executor=executor,
        progress=progress,
    )
    stories = [story.story(sc, r) for r in runs] if sc.safe_rooms else []
    per = [outcomes(sc, r, stories[i] if stories else None) for i, r in enumerate(runs)]
    table = outcome_table([flatten(o, [iv.name for iv in sc.interventions]) for o in per])
    summary = summarize(sc, ds, runs, per, table)
    if stories:
        summary["story"] = stories[0]
    writers: dict[str, Callable[[Path], None]] = {
        "timeseries.csv": lambda p: wide_frame(ds).to_csv(p, index=False),
        "final.csv": lambda p: final_frame(ds).to_csv(p, index=False),
        "summary.json": lambda p: summary_json(p, summary),
        "result.nc": lambda p: write_netcdf(ds, p),
        "outcomes.csv": lambda p: table.to_csv(p, index=False),
        "events.csv": lambda p: events_frame(sc, runs).to_csv(p, index=False),
        "escapes.csv": lambda p: escapes_frame(sc, runs).to_csv(p, index=False),
    }
    if stories:
        import pandas as pd

        writers["story.md"] = lambda p: p.write_text(story.markdown(sc, stories, summary["outcomes"]))
        writers["rooms.csv"] = lambda p: pd.DataFrame(story.rows(stories, "rooms")).to_csv(p, index=False)
        bars = pd.DataFrame(story.rows(stories, "barricades"), columns=story.BARRICADE_COLUMNS)
        writers["barricades.csv"] = lambda p: bars.to_csv(p, index=False)
    if plot:
        from hyosan.viz.film import pictures
        from hyosan.viz.plot import plot as draw

        writers["plot.png"] = lambda p: draw(focus(ds, runs), p, title=f"{sc.name}: agents by state")
        writers |= pictures(sc, ds, runs, seed, animation)
        if any(o.get("humbies_side") for o in per):
            from hyosan.viz.scenario import humbie_plot

            writers["humbies.png"] = lambda p: humbie_plot(sc, runs, p)
    write_outputs(out, writers)
    return summary


def events_frame(sc: Any, runs: list) -> Any:
    """The event log: replicate, time (s and min), kind, agent, x and y (metres), ``other``: the biter
    (bite), the human who destroyed the zombie (kill), the soldier (shot, discovered), the exit index
    (escape), the safe-room index (hide), the door id (barricade), the intervention index (intervention),
    -1 otherwise; and ``name``: the intervention's name."""
    import pandas as pd

    from hyosan.engines.abm import step as K
    from hyosan.engines.abm.step import EVENT_NAMES

    frames = []
    for r, run in enumerate(runs):
        ev = run.events
        frames.append(
            pd.DataFrame(
                {
                    "replicate": r,
                    "time_s": ev["t"],
                    "time_min": ev["t"] / 60.0,
                    "kind": np.array(EVENT_NAMES)[ev["kind"]] if ev["kind"].size else np.array([], dtype=str),
                    "agent": ev["agent"],
                    "x_m": np.round(ev["x"] * sc.world.scale, 2),
                    "y_m": np.round(ev["y"] * sc.world.scale, 2),
                    "other": ev["aux"],
                    "name": [
                        sc.interventions[o].name if k == K.INTERVENTION else ""
                        for k, o in zip(ev["kind"].tolist(), ev["aux"].tolist(), strict=True)
                    ],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def escapes_frame(sc: Any, runs: list) -> Any:
    """Who escaped, by which exit and when; ``bitten`` marks those who left carrying the bite."""
    import pandas as pd

    from hyosan.engines.abm.step import ESCAPE

    rows = []
    for r, run in enumerate(runs):
        ev = run.events
        hit = ev["kind"] == ESCAPE
        bitten = set(ev["agent"][ev["kind"] == 0].tolist())
        for t, a, e in zip(ev["t"][hit], ev["agent"][hit], ev["aux"][hit], strict=True):
            rows.append(
                {
                    "replicate": r,
                    "agent": int(a),
                    "kind": sc.kinds[run.agents.kind[a]].name,
                    "exit": sc.world.exits[e],
                    "time_s": float(t),
                    "time_min": float(t) / 60.0,
                    "bitten": int(a) in bitten,
                }
            )
    cols = ["replicate", "agent", "kind", "exit", "time_s", "time_min", "bitten"]
    return pd.DataFrame(rows, columns=cols)


def outcomes(sc: Any, run: Any, st: dict[str, Any] | None = None) -> dict[str, Any]:
    """Outcomes of one run: escapes by exit and when, bites, turnings, humbies, zombies destroyed, hiding;
    with safe rooms, the ``story`` (:mod:`hyosan.agents.story`; ``st``: that story, if already told)."""
    from hyosan.engines.abm import step as K

    ev = run.events
    kinds = ev["kind"]
    by_exit = {}
    for e, name in enumerate(sc.world.exits):
        t = ev["t"][(kinds == K.ESCAPE) & (ev["aux"] == e)] / 60.0
        by_exit[name] = {
            "escaped": int(t.size),
            "first_min": round(float(t.min()), 2) if t.size else None,
            "median_min": round(float(np.median(t)), 2) if t.size else None,
            "last_min": round(float(t.max()), 2) if t.size else None,
        }
    a = run.agents
    bitten_ids = ev["agent"][kinds == K.BITE]
    for e, name in enumerate(sc.world.exits):
        left = ev["agent"][(kinds == K.ESCAPE) & (ev["aux"] == e)]
        by_exit[name]["bitten"] = int(np.isin(left, bitten_ids).sum())
    out = {
        "escaped_by_exit": by_exit,
        "bitten": int((kinds == K.BITE).sum()),
        "turned_zombie": int((kinds == K.TURN).sum()),
        "humbies": int((kinds == K.HUMBIE).sum()),
        "zombies_destroyed": int(((kinds == K.KILL) | (kinds == K.SHOT)).sum()),
        "hiding_in_safe_rooms": int(((a.state == K.S) & (a.hidden >= 0) & (a.hidden < len(sc.safe_rooms))).sum()),
        "rooms_barricaded": int((kinds == K.BARRICADE).sum()),
        "escaped_while_bitten": int(np.isin(ev["agent"][kinds == K.ESCAPE], ev["agent"][kinds == K.BITE]).sum()),
    }
    if sc.safe_rooms:
        out["story"] = story.numbers(st if st is not None else story.story(sc, run))
    if sc.interventions:
        out["interventions"] = [
            {"name": name, "action": action, "time_s": t, "time_min": round(t / 60.0, 3)}
            for t, name, action in run.fired
        ]
        out["interventions_not_fired"] = sorted({iv.name for iv in sc.interventions} - {f[1] for f in run.fired})
    if sc.screening is not None:
        from hyosan.viz.screening import screening_side

        out["base_side"] = screening_side(sc, run)
        out["outbreak_inside"] = out["base_side"]["outbreak_inside"]
    if sc.has_soldiers:
        from hyosan.viz.scenario import humbie_side, soldier_side

        out |= soldier_side(sc, run)
        side = humbie_side(sc, run) if sc.humbie_behaviour == 1 else {}
        if side:
            out["humbies_side"] = side
    return out


def summarize(sc: Any, ds: Any, runs: list, per: list | None = None, table: Any = None) -> dict[str, Any]:
    """summary.json: provenance, parameters, timing, outcomes and final counts.

    One replicate: its outcomes as they are. Several: every outcome summarised over all replicates
    (n, mean, SE, 5/50/95% quantiles, min, max; :mod:`hyosan.agents.ensemble`), the per-replicate
    values in ``outcomes.csv``, and the final counts' means with their standard errors.
    """
    from hyosan.agents.scenario import STATE_NAMES

    per = per if per is not None else [outcomes(sc, r) for r in runs]
    if table is None:
        table = outcome_table([flatten(o, [iv.name for iv in sc.interventions]) for o in per])
    attrs = ds.attrs
    summary: dict[str, Any] = {
        "model": sc.name,
        "scenario": sc.title,
        "engine": "abm",
        "seed": attrs["seed"],
        "hyosan_version": attrs["hyosan_version"],
        "model_digest": attrs["model_digest"],
        "agents": sc.n_agents,
        "states": STATE_NAMES,
        "parameters": sc.parameters,
        "t_end": float(ds.time[-1]),
        "t_end_minutes": float(ds.time[-1]),
        "time_unit": "minutes",
        "step_s": sc.step,
        "elapsed_s": attrs["elapsed_s"],
        "run_s": [round(r.elapsed_s, 3) for r in runs],
        "agent_steps": sc.n_agents * runs[0].steps * len(runs),
        "outcomes": per[0] if len(runs) == 1 else summarise(table),
    }
    final = ds.isel(time=-1)
    if ds.sizes["replicate"] > 1:
        n = ds.sizes["replicate"]
        summary["replicates"] = n
        summary["outcomes_per_replicate"] = "outcomes.csv"
        summary["final_mean"] = {c: float(final[c].mean()) for c in final.data_vars}
        summary["final_se"] = {c: float(final[c].std(ddof=1)) / n**0.5 for c in final.data_vars}
    else:
        summary["final"] = {c: float(final[c].item()) for c in final.data_vars}
    return summary


def focus(ds: Any, runs: list) -> Any:
    """The result (in minutes) cut where nothing changes any more (the last event plus 20%)."""
    last = max((float(r.events["t"].max()) for r in runs if r.events["t"].size), default=0.0) / 60.0
    end = float(ds.time[-1])
    return ds.sel(time=slice(0, min(end, max(1.2 * last, 1.0))))
