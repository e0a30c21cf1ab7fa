"""Reading and checking the command line's shared options: durations, NAME=VALUE settings, solver
tolerances, stochastic limits, the network engine's graph, and a Dask scheduler; each refuses what would
be ignored, in one line naming the flag."""

from __future__ import annotations

from hyosan.errors import HyosanError


def _duration(value: str | None) -> float | str | None:
    """--t-end / --every: a bare number is days; '12h', '20min' keep their unit."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return value


def _pieces(text: str) -> list[str]:
    """``a=1,b=2`` split at its commas; commas inside brackets, braces, parentheses or quotes stay."""
    pieces, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            pieces.append(text[start:i])
            start = i + 1
    return [*pieces, text[start:]]


def _values(pairs: list[str], flag: str = "--set", split: bool = True) -> dict[str, str]:
    """NAME=VALUE settings of ``flag``, repeated and/or comma-separated; a piece that is not NAME=VALUE,
    or a name given two different values, is refused in one line."""
    out: dict[str, str] = {}
    for pair in pairs:
        for piece in _pieces(pair) if split else [pair]:
            name, sep, value = (part.strip() for part in piece.partition("="))
            if not sep or not name or (split and not value):
                raise HyosanError(
                    f"{flag} {pair[:80]}: the piece '{piece.strip()[:40]}' is not NAME=VALUE; "
                    f"write e.g. {flag} beta=0.3,gamma=0.1"
                )
            if name in out and out[name] != value:
                raise HyosanError(f"{flag}: {name} is given twice ({out[name][:20]} and {value[:20]}); give it once")
            out[name] = value
    return out


def _tolerances(engine: str | None, scenario: bool, method: str | None, rtol, atol) -> dict:
    """The ode solver's tolerances, refused where no ode solver runs."""
    given = {k: v for k, v in {"rtol": rtol, "atol": atol}.items() if v is not None}
    ode = engine in (None, "ode") or (engine == "patches" and method == "ode")
    if given and (scenario or not ode):
        flag = "--" + next(iter(given))
        raise HyosanError(f"{flag}: only for the ode solver (--engine ode, or patches with --method ode); drop it")
    return given


def _limits(engine: str | None, scenario: bool, epsilon, max_events, time_limit) -> dict:
    """Engine options for the stochastic engines' accuracy and bounds; refused where they mean nothing."""
    given = {"epsilon": epsilon, "max_events": max_events, "time_limit": time_limit}
    given = {k: v for k, v in given.items() if v is not None}
    for key in given:
        flag = "--" + key.replace("_", "-")
        wanted = ("tau", "patches") if key == "epsilon" else ("ssa", "tau", "patches")
        if scenario or engine not in wanted:
            raise HyosanError(f"{flag}: only for models on --engine {' or '.join(wanted)}; drop it or add --engine tau")
    return given


def _network(
    engine: str | None,
    graph: str | None,
    seed_nodes: str | None,
    edge_rate: list[str],
    period: list[str] = (),
    node_events: bool = False,
) -> dict:
    """The network engine's options (the graph is built here, before any output is claimed)."""
    given = {"--graph": graph, "--seed-nodes": seed_nodes, "--edge-rate": edge_rate or None, "--period": period or None}
    given["--node-events"] = node_events or None
    if engine != "network":
        for flag, value in given.items():
            if value is not None:
                raise HyosanError(f"{flag}: only for models on --engine network; drop it or add --engine network")
        return {}
    from hyosan.graphs import graph as build
    from hyosan.graphs.schedule import is_schedule, parse

    if is_schedule(graph):
        build = parse
    rates = {}
    for name, value in _values(edge_rate, "--edge-rate", split=False).items():
        try:
            rates[name] = float(value)
        except ValueError:
            raise HyosanError(f"--edge-rate {name}={value[:20]}: the per-edge rate is a number per day") from None
    periods = _values(list(period), "--period", split=False) or None
    return (
        {"graph": build(graph) if graph else None, "seed_nodes": seed_nodes, "edge_rates": rates or None}
        | ({"periods": periods} if periods else {})
        | ({"node_events": True} if node_events else {})
    )


def _stochastic_only(engine: str, **given: object) -> None:
    """Refuse options that mean nothing on the deterministic ode engine, rather than ignore them."""
    if engine != "ode":
        return
    for key, value in given.items():
        if value is not None and value is not False:
            flag = "--" + key.replace("_", "-")
            raise HyosanError(
                f"{flag}: the ode engine is deterministic: {flag} changes nothing; drop it or use --engine ssa or tau"
            )


def _cluster(scheduler: str | None, engine: str) -> dict:
    """Engine options that send replicates to a Dask scheduler, if one is named."""
    if not scheduler:
        return {}
    if engine not in ("ssa", "tau", "abm"):
        raise HyosanError(
            "--scheduler: only the stochastic engines and agent scenarios spread replicates; use --engine ssa or tau"
        )
    from hyosan.cluster import dask_executor

    return {"executor": dask_executor(scheduler)}
