"""The story of a siege, as a storyteller asks it, read from a run's event log.

Who survived and where they hid (per safe room: hid, survived, rescued, reached the base), how long each
barricade held (door, room, barricaded at, broken at, held for), when each room fell, how many reached the
base and how many of them carry a bite (and hide it), and the timeline of interventions and turns of the
siege. Everything comes from the events (``hide``, ``barricade``, ``breach``, ``room-falls``, ``rescued``,
``reached-base``, ``escape``, ``bite``, ``intervention``) and the final states, so the report can be
checked against the log it summarises.

Definitions. The humans are the civilians who start healthy or bitten (soldiers are not counted). Each
human ends in one fate: ``reached_base`` (a ``reached-base`` event), ``rescued`` (a ``rescued`` event),
``escaped`` (left through an exit that is not the base), ``in_school`` (still there, healthy or bitten)
or ``lost`` (turned, dead). A survivor is a human who left or is still there and was never bitten; the
bitten who left are counted apart (``carrying_bite``; ``hiding_bite``: those of them who hide it, aux 1
of their ``reached-base`` or ``rescued`` event; humbies, who kept their minds, are bitten too and walk out
like anyone: ``base.humbies``). A
human hid in the safe room of their last ``hide`` event. A barricade holds from its ``barricade`` event
to the next ``breach`` of the same door (``held_h``; missing while it still stands, or when those leaving
took it down first: ``unbarred``, ``taken_down_h``). A room falls at its
``room-falls`` event. Times are hours after the start (``_h``) and clock times when the scenario has a
clock (``time.starts_at``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import ndimage

from hyosan.engines.abm import codes as K

FATES = ("reached_base", "rescued", "escaped", "in_school", "lost")
ROOM_NUMBERS = ("hid", "survived", "rescued", "reached_base", "barricaded_h", "held_h", "fell_h")
BARRICADE_COLUMNS = ["replicate", "door", "label", "room", "barricaded_h", "broken_h", "held_h", "taken_down_h"]


def clock(sc: Any, t: float) -> str:
    """``t`` seconds as the scenario's day and time (``day 2 06:15``), or ``+3h 05min`` without a clock."""
    siege = getattr(sc, "siege", None)
    timed = isinstance(sc.raw.get("time"), dict) and "starts_at" in sc.raw["time"] if hasattr(sc, "raw") else False
    start = siege.starts_at if siege is not None and timed else None
    if start is None:
        h, m = divmod(round(float(t) / 60.0), 60)
        return f"+{h}h {m:02d}min"
    total = round((float(start) + float(t)) / 60.0)
    day, minute = divmod(total, 24 * 60)
    return f"day {day + 1} {minute // 60:02d}:{minute % 60:02d}"


def door_names(sc: Any) -> dict[int, tuple[int, str]]:
    """Per door of a safe room: (room index, ``ROOM -> ZONE``, the zone it opens onto, or its place in metres)."""
    w = sc.world
    out: dict[int, tuple[int, str]] = {}
    for r, room in enumerate(sc.safe_rooms):
        for d in w.zone_doors(room):
            if d in out:
                continue
            cells = ndimage.binary_dilation(w.door_id == d, iterations=2)
            onto = [z for z, m in w.zones.items() if z != room and (m & cells).any()]
            if onto:
                label = f"{room} -> {min(onto, key=lambda z: int(w.zones[z].sum()))}"
            else:
                rows, cols = np.nonzero(w.door_id == d)
                label = f"{room} at ({cols.mean() * w.scale:.0f} m, {rows.mean() * w.scale:.0f} m)"
            out[d] = (r, label)
    seen: dict[str, int] = {}
    for d, (r, label) in sorted(out.items()):
        seen[label] = seen.get(label, 0) + 1
        if sum(lab == label for _, lab in out.values()) > 1:
            out[d] = (r, f"{label} #{seen[label]}")
    return out


def _hours(t: float | None) -> float | None:
    return None if t is None else round(float(t) / 3600.0, 3)


def _hides_bite(run: Any) -> np.ndarray:
    """Per agent: reached the base or was rescued bitten and hiding it (aux 1 of those events)."""
    ev = run.events
    out = np.zeros(len(run.agents), dtype=bool)
    off = ((ev["kind"] == K.REACHED_BASE) | (ev["kind"] == K.RESCUED)) & (ev["aux"] == 1)
    out[ev["agent"][off]] = True
    return out


def fates(sc: Any, run: Any) -> dict[str, Any]:
    """Per human (civilians who started healthy or bitten): fate, the room they hid in, bitten or not."""
    ev = run.events
    kinds, agents, aux = ev["kind"], ev["agent"], ev["aux"]
    a = run.agents
    soldier = np.array([k.soldier for k in sc.kinds], dtype=bool)[a.kind]
    start = run.start_state if run.start_state is not None else a.state
    human = ((start == K.S) | (start == K.E)) & ~soldier
    n = len(a)
    bitten = np.zeros(n, dtype=bool)
    bitten[agents[kinds == K.BITE]] = True
    bitten |= start == K.E
    room = np.full(n, -1, dtype=np.int64)
    hide = (kinds == K.HIDE) & (aux >= 0) & (aux < len(sc.safe_rooms))
    room[agents[hide]] = aux[hide]  # the last hide event wins (events are in time order)
    fate = np.full(n, "lost", dtype=object)
    fate[(a.state == K.S) | (a.state == K.E)] = "in_school"
    fate[a.state == K.X] = "escaped"
    fate[agents[kinds == K.RESCUED]] = "rescued"
    fate[agents[kinds == K.REACHED_BASE]] = "reached_base"
    fate[~human] = ""
    survivor = human & ~bitten & np.isin(fate, ("reached_base", "rescued", "escaped", "in_school"))
    humbie = np.zeros(n, dtype=bool)
    humbie[agents[kinds == K.HUMBIE]] = True
    return {"human": human, "fate": fate, "room": room, "bitten": bitten, "survivor": survivor, "humbie": humbie}


def barricades(sc: Any, run: Any) -> list[dict[str, Any]]:
    """Each barricade of a safe-room door: door, label, room, barricaded at, broken at, held for, and taken down
    at (by those leaving the room, ``unbarred``: it then stands no more, unbroken); hours."""
    ev = run.events
    kinds, t, aux = ev["kind"], ev["t"], ev["aux"]
    names = door_names(sc)
    out = []
    for i in np.flatnonzero(kinds == K.BARRICADE):
        d = int(aux[i])
        if d not in names:
            continue
        ends = np.flatnonzero(((kinds == K.BREACH) | (kinds == K.UNBARRED)) & (aux == d) & (t >= t[i]))
        again = np.flatnonzero((kinds == K.BARRICADE) & (aux == d) & (t > t[i]))
        end = ends[0] if ends.size and (not again.size or t[ends[0]] <= t[again[0]]) else -1
        broken = float(t[end]) if end >= 0 and kinds[end] == K.BREACH else None
        down = float(t[end]) if end >= 0 and kinds[end] == K.UNBARRED else None
        out.append({
            "door": d, "label": names[d][1], "room": sc.safe_rooms[names[d][0]],
            "barricaded_h": _hours(t[i]), "broken_h": _hours(broken),
            "held_h": None if broken is None else _hours(broken - float(t[i])), "taken_down_h": _hours(down),
        })  # fmt: skip
    return out


def rooms(sc: Any, run: Any, f: dict[str, Any] | None = None, bars: list | None = None) -> dict[str, dict]:
    """Per safe room: hid, survived, rescued, reached the base; first barricaded, held for, fell (hours)."""
    f = f if f is not None else fates(sc, run)
    bars = bars if bars is not None else barricades(sc, run)
    ev = run.events
    out = {}
    for r, name in enumerate(sc.safe_rooms):
        here = f["human"] & (f["room"] == r)
        fell = ev["t"][(ev["kind"] == K.ROOM_FALLS) & (ev["aux"] == r)]
        mine = [b for b in bars if b["room"] == name]
        first = min((b["barricaded_h"] for b in mine), default=None)
        broken = min((b["broken_h"] for b in mine if b["broken_h"] is not None), default=None)
        out[name] = {
            "hid": int(here.sum()),
            "survived": int((here & f["survivor"]).sum()),
            "rescued": int((here & (f["fate"] == "rescued")).sum()),
            "reached_base": int((here & (f["fate"] == "reached_base")).sum()),
            "barricaded_h": first,
            "held_h": None if first is None or broken is None else round(broken - first, 3),
            "fell_h": _hours(fell.min()) if fell.size else None,
        }
    return out


def timeline(sc: Any, run: Any, bars: list | None = None) -> list[dict[str, Any]]:
    """The turns of the story in time order: interventions, barricades, breaches, rooms falling, rescues,
    the first to reach the base."""
    ev = run.events
    kinds, t, aux, agents = ev["kind"], ev["t"], ev["aux"], ev["agent"]
    bars = bars if bars is not None else barricades(sc, run)
    items: list[tuple[float, str]] = [(ts, f"{name}: {action}") for ts, name, action in run.fired]
    built: dict[tuple[float, str], int] = {}
    for b in bars:
        built[(b["barricaded_h"], b["room"])] = built.get((b["barricaded_h"], b["room"]), 0) + 1
    for (h, room), k in built.items():
        items.append((h * 3600.0, f"{room} barricaded ({k} door{'s' if k > 1 else ''})"))
    for b in bars:
        if b["broken_h"] is not None:
            items.append((b["broken_h"] * 3600.0, f"broken through: {b['label']} (held {b['held_h']:.2f} h)"))
        if b["taken_down_h"] is not None:
            items.append((b["taken_down_h"] * 3600.0, f"taken down by those leaving: {b['label']}"))
    for i in np.flatnonzero((kinds == K.ROOM_FALLS) & (aux >= 0) & (aux < len(sc.safe_rooms))):
        items.append((float(t[i]), f"{sc.safe_rooms[aux[i]]} falls"))
    rescued = np.flatnonzero(kinds == K.RESCUED)
    for ts in np.unique(t[rescued]):
        items.append((float(ts), f"{int((t[rescued] == ts).sum())} rescued"))
    base = np.flatnonzero(kinds == K.REACHED_BASE)
    if base.size:
        items.append((float(t[base[0]]), "the first survivor reaches the base"))
    room = fates(sc, run)["room"] if base.size else np.zeros(0, np.int64)
    for r, name in enumerate(sc.safe_rooms):
        mine = base[room[agents[base]] == r]
        if mine.size:
            items.append((float(t[mine[0]]), f"the first from {name} reaches the base ({mine.size} in all)"))
    items.sort(key=lambda it: it[0])
    return [{"time_h": _hours(ts), "clock": clock(sc, ts), "what": what} for ts, what in items]


def story(sc: Any, run: Any) -> dict[str, Any]:
    """The whole story of one run: fates, rooms, base, barricades and timeline (lists included)."""
    f = fates(sc, run)
    bars = barricades(sc, run)
    human, fate = f["human"], f["fate"]
    hides = _hides_bite(run) & f["bitten"]
    left = human & np.isin(fate, ("reached_base", "rescued", "escaped"))
    at_base = human & (fate == "reached_base")
    out = {
        "humans": int(human.sum()),
        "survivors": int(f["survivor"].sum()),
        **{fate_name: int((human & (fate == fate_name)).sum()) for fate_name in FATES},
        "survived_hiding": int((f["survivor"] & (f["room"] >= 0)).sum()),
        "carrying_bite": int((left & f["bitten"]).sum()),
        "hiding_bite": int((left & hides).sum()),
        "base": {
            "reached": int(at_base.sum()),
            "bitten": int((at_base & f["bitten"]).sum()),
            "hiding_bite": int((at_base & hides).sum()),
            "humbies": int((at_base & f["humbie"]).sum()),
        },
        "rooms": rooms(sc, run, f, bars),
        "barricades_built": len(bars),
        "barricades_broken": sum(b["broken_h"] is not None for b in bars),
        "barricades": bars,
        "timeline": timeline(sc, run, bars),
    }
    return out


def numbers(st: dict[str, Any]) -> dict[str, Any]:
    """The story without its lists (barricades, timeline): the per-replicate outcomes."""
    return {k: v for k, v in st.items() if not isinstance(v, list)}


def rows(stories: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    """Long table over replicates: ``rooms`` (one row per replicate and room) or ``barricades``."""
    out = []
    for r, st in enumerate(stories):
        if what == "rooms":
            out += [{"replicate": r, "room": name, **vals} for name, vals in st["rooms"].items()]
        else:
            out += [{"replicate": r, **b} for b in st["barricades"]]
    return out


def spread(summary: dict[str, Any], prefix: str = "story.") -> list[tuple[str, dict]]:
    """The story's outcomes of a multi-replicate summary (``story.*`` keys), in a storyteller's order."""
    keys = [k for k in summary if k.startswith(prefix)]
    rooms = list(dict.fromkeys(k[len(prefix) :].split(".")[1] for k in keys if k.startswith(f"{prefix}rooms.")))
    order = {
        name: i
        for i, name in enumerate(("humans", "survivors", *FATES, "survived_hiding", "carrying_bite", "hiding_bite"))
    }

    def rank(k: str) -> tuple:
        parts = k[len(prefix) :].split(".")
        if parts[0] == "rooms":
            return (2, rooms.index(parts[1]), ROOM_NUMBERS.index(parts[2]) if parts[2] in ROOM_NUMBERS else 99)
        return (0 if parts[0] in order else 1, 0, order.get(parts[0], 50))

    return [(k[len(prefix) :], summary[k]) for k in sorted(keys, key=rank)]


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:g}" if isinstance(v, (int, float)) else str(v)


def markdown(sc: Any, stories: list[dict[str, Any]], summary: dict[str, Any] | None = None) -> str:
    """story.md: replicate 0 told in tables (people, rooms, barricades, timeline), then, over several
    replicates, every story outcome with its mean, s.d. and 5-95% range."""
    st = stories[0]
    lines = [f"# {sc.title}", "", f"Replicate 0 of {len(stories)}; times are hours after the start.", ""]
    lines += ["## The people", "", "| humans | survivors | " + " | ".join(FATES) + " | carrying a bite |"]
    lines += ["|" + "---:|" * (len(FATES) + 3)]
    lines += [f"| {st['humans']} | {st['survivors']} | " + " | ".join(str(st[k]) for k in FATES)
              + f" | {st['carrying_bite']} |", ""]  # fmt: skip
    base = st["base"]
    lines += [f"Reached the base: {base['reached']} ({base['bitten']} of them bitten, {base['hiding_bite']} hiding "
              f"it, {base['humbies']} humbies).", ""]  # fmt: skip
    lines += ["## Where they hid", "", "| room | " + " | ".join(ROOM_NUMBERS) + " |"]
    lines += ["|---|" + "---:|" * len(ROOM_NUMBERS)]
    for name, vals in st["rooms"].items():
        lines.append(f"| {name} | " + " | ".join(_cell(vals[k]) for k in ROOM_NUMBERS) + " |")
    lines += ["", "## Barricades", "", "| door | barricaded_h | broken_h | held_h | taken_down_h |",
              "|---|---:|---:|---:|---:|"]  # fmt: skip
    for b in st["barricades"]:
        cells = (_cell(b[k]) for k in ("barricaded_h", "broken_h", "held_h", "taken_down_h"))
        lines.append(f"| {b['label']} | " + " | ".join(cells) + " |")
    lines += ["", "## Timeline", "", "| hours | clock | what |", "|---:|---|---|"]
    lines += [f"| {e['time_h']:.2f} | {e['clock']} | {e['what']} |" for e in st["timeline"]]
    if summary and len(stories) > 1:
        lines += ["", f"## Over {len(stories)} replicates", "", "| outcome | n | mean | s.d. | 5% | 95% |"]
        lines += ["|---|---:|---:|---:|---:|---:|"]
        for name, s in spread(summary):
            sd = None if s["se"] is None else s["se"] * math.sqrt(s["n"])
            lines.append(f"| {name} | {s['n']} | " + " | ".join(_cell(_round(v)) for v in
                         (s["mean"], sd, s["q05"], s["q95"])) + " |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _round(v: float | None) -> float | None:
    return None if v is None else float(f"{v:.4g}")
