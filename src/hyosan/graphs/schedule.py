"""A time-varying contact graph as a repeating sequence of snapshots (school days, nights).

``Schedule([(day, "16h"), (night, "8h")])`` uses ``day`` for the first 16 hours, then ``night`` for
8, and repeats from t = 0. Every snapshot has the same nodes. On the network engine, node clocks run
on across a switch and every edge clock is drawn afresh for the new snapshot (exact, since edge
clocks are memoryless); a schedule has no single mean degree, so pair transitions need their
per-edge rates given (``edge_rates=``).

On the command line (and as ``graph=`` text) a schedule is written ``SPEC@DURATION; SPEC@DURATION``:
``--graph "school:hyosan-high@8h; er:n=1111,k=2@16h"`` is the school for 8 hours, then a sparse
random graph of the same 1,111 people for 16, repeated (:func:`parse`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hyosan.graphs.graph import Graph, GraphError


@dataclass(frozen=True, eq=False)
class Schedule:
    """Snapshots and how long each lasts (days), repeated."""

    graphs: tuple[Graph, ...]
    durations: tuple[float, ...]

    def __init__(self, items: Sequence[tuple[Any, float | str]]) -> None:
        from hyosan.graphs import graph
        from hyosan.units import days

        if not items:
            raise GraphError("Schedule: give one or more (graph, duration) pairs")
        graphs, durations = [], []
        for i, item in enumerate(items):
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise GraphError(f"Schedule item {i}: give (graph, duration), e.g. (day, '16h')")
            g = graph(item[0])
            d = days(item[1], f"Schedule item {i} duration", GraphError)
            if not d > 0:
                raise GraphError(f"Schedule item {i}: the duration must be positive")
            if graphs and g.n != graphs[0].n:
                raise GraphError(f"Schedule item {i}: {g.n:,} nodes, but the first snapshot has {graphs[0].n:,}")
            graphs.append(g)
            durations.append(d)
        object.__setattr__(self, "graphs", tuple(graphs))
        object.__setattr__(self, "durations", tuple(durations))

    @property
    def n(self) -> int:
        return self.graphs[0].n

    def segments(self, t_end: float) -> list[tuple[Graph, float, float]]:
        """(graph, start, stop) pieces from 0 to ``t_end``."""
        out, t, i = [], 0.0, 0
        while t < t_end:
            stop = min(t + self.durations[i], t_end)
            out.append((self.graphs[i], t, stop))
            t, i = stop, (i + 1) % len(self.graphs)
        return out

    def describe(self) -> str:
        parts = ", ".join(f"{g.name} for {d:g} d" for g, d in zip(self.graphs, self.durations, strict=True))
        return f"schedule of {len(self.graphs)} snapshots, repeated: {parts}"


def is_schedule(text: object) -> bool:
    """Whether ``text`` is a schedule written as text (it has an ``@DURATION``)."""
    return isinstance(text, str) and "@" in text


def parse(text: str) -> Schedule:
    """The schedule of ``"SPEC@DURATION; SPEC@DURATION; ..."`` (durations in days or with a unit, e.g. 8h)."""
    items = []
    for part in (p.strip() for p in text.split(";")):
        spec, at, duration = part.rpartition("@")
        if not part or not at or not spec.strip() or not duration.strip():
            raise GraphError(
                f"--graph {text[:60]}: a schedule is SPEC@DURATION; SPEC@DURATION, e.g. "
                '"school:hyosan-high@8h; er:n=1111,k=2@16h"'
            )
        items.append((spec.strip(), duration.strip()))
    try:
        return Schedule(items)
    except GraphError as e:
        raise GraphError(f"--graph {text[:60]}: {e}") from None
