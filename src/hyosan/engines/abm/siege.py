"""The siege: night, barricades zombies break, noises of the hidden, hidden survivors leaving, rescue, hidden bites.

Semantics (the scenario keys are in :mod:`hyosan.agents.scenario_siege`):

- Night: sight of zombies, humbies and humans is multiplied by ``night_light`` while the scenario clock
  (``starts_at`` + t) is before sunrise or after sunset (soldiers' range is not).
- Noise: every healthy or bitten person hidden in a safe room makes a noise with probability
  ``1 - exp(-rate dt)`` per step; every zombie whose path distance (through open doors) to the room's
  doors is within ``heard_within`` is drawn to that room (``drawn``, ``heard_at``) for ``memory``.
- Pushing: a drawn zombie that sees no prey walks to the room's doors along ``rdist``; one standing on a
  cell next to a barricaded door of that room pushes on it (and stays). A barricaded door with k
  pushers breaks in the step with probability ``1 - exp(-k rate dt)`` (hazard k * rate): ``breach``
  (aux = door), it opens, and the kernel returns so the caller recomputes fields.
- ``room-falls`` (aux = room): the first time someone hiding in the room is bitten.
- Leaving: a room none of whose hiders has seen a zombie, with no zombie within ``heard_within`` of its
  doors, and nobody newly hidden there, for ``quiet`` (and, with ``moves: night``, at night) is left if
  the base exits can be reached (not sealed): its barricades come down and its hiders walk to the base
  exits (``bdist``).
- Hidden bites: a bitten human hides the bite with probability ``bite_hidden`` (``hid_bite``; drawn at
  placement for those placed bitten). Escaping through a ``base`` exit logs ``reached-base``; rescue
  logs ``rescued``; aux of both: 0 healthy, 1 bitten and hiding it, 2 bitten openly. A hidden bite
  carried off the map, or brought into a room that has not fallen, shows when its bearer turns:
  ``revealed`` (aux = the room, or -1 off the map).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from hyosan.engines.abm.behaviours import log
from hyosan.engines.abm.codes import (
    BARRICADED,
    BLOCKS_ZOMBIES,
    BREACH,
    OPEN,
    P_ZWALK,
    REACHED_BASE,
    RESCUED,
    REVEALED,
    ROOM_FALLS,
    UNBARRED,
    E,
    S,
    X,
)
from hyosan.engines.abm.motion import move, urand
from hyosan.engines.abm.records import SiegeArrays

P_SIEGE, P_T0, P_SUNRISE, P_SUNSET, P_NIGHT, P_BREAK, P_MEMORY, P_NOISE = range(42, 50)
P_HEAR, P_QUIET, P_MOVES, P_BITE_HIDDEN = range(50, 54)
MOVES = {"never": 0, "quiet": 1, "night": 2}
DAY = 86400.0


def parameters(sc: Any, P: np.ndarray) -> None:
    """Fill the siege's slots of the parameter vector (rates as per-step values, distances in cells)."""
    g, dt = sc.siege, sc.step
    if g is None:
        return
    P[P_SIEGE] = float(g.active)
    P[P_T0], P[P_SUNRISE], P[P_SUNSET], P[P_NIGHT] = g.starts_at, g.sunrise, g.sunset, g.night_light
    P[P_BREAK] = g.break_rate * dt
    P[P_MEMORY] = g.memory
    P[P_NOISE] = -np.expm1(-g.noise_rate * dt)
    P[P_HEAR] = g.heard_within / sc.world.scale
    P[P_QUIET] = g.quiet
    P[P_MOVES] = MOVES[g.moves]
    P[P_BITE_HIDDEN] = g.bite_hidden


def reserve(sc: Any, n: int) -> int:
    """Event-buffer slots a step may need for the siege on top of the kernel's own (breaches, fallen rooms,
    one reached-base or revealed per agent)."""
    g = getattr(sc, "siege", None)
    return n + sc.world.n_doors + len(sc.safe_rooms) + 8 if g is not None and g.active else 0


def siege_record(sc: Any, a: Any, w: Any, rng: np.random.Generator | None = None) -> SiegeArrays:
    """The siege state of a run (fields sized to what the scenario uses); registers itself as ``w.siege`` so
    that :meth:`World.human_fields` keeps its distance fields current. Those placed bitten hide their bite
    with probability ``bite_hidden`` (drawn from ``rng``)."""
    from hyosan.budget import require_memory

    g = sc.siege
    n, nd = len(a), w.door_state.size
    h, wd = w.grid.shape
    rooms = w.n_safe if g is not None and g.active else 0
    require_memory(
        rooms * h * wd * 6 + n * 24,
        f"{sc.source}: the siege's fields of {rooms} safe rooms on a {h}x{wd} map",
        "name fewer safe_rooms or use a smaller map",
    )
    door_room = np.full(nd, -1, np.int32)
    for r in range(rooms):
        door_room[w.room_door_list[w.room_door_ptr[r] : w.room_door_ptr[r + 1]]] = r
    base = np.zeros(max(1, len(sc.world.exits)), np.bool_)
    if g is not None:
        base[g.base] = True
    hid_bite = np.zeros(n, np.bool_)
    bitten = np.flatnonzero(a.state == E)
    if g is not None and g.bite_hidden > 0 and bitten.size and rng is not None:
        hid_bite[bitten] = rng.random(bitten.size) < g.bite_hidden
    sg = SiegeArrays(
        pushing=np.zeros(nd, np.int32),
        door_room=door_room,
        door_id=sc.world.door_id.astype(np.int32),
        drawn=np.full(n if rooms else 0, -1, np.int16),
        heard_at=np.full(n if rooms else 0, -np.inf),
        rdist=np.full((rooms, h, wd), np.inf, np.float32),
        rnext=np.zeros((rooms, h, wd, 2), np.int8),
        bdist=np.full((h, wd) if rooms else (1, 1), np.inf, np.float32),
        bnext=np.zeros((h, wd, 2) if rooms else (1, 1, 2), np.int8),
        fallen=np.zeros(max(1, w.n_safe), np.bool_),
        noisy=np.zeros(rooms, np.bool_),
        calm=np.zeros(rooms, np.float64),
        leave=np.zeros(rooms, np.bool_),
        hiders=np.zeros(rooms, np.int32),
        leaving=np.zeros(n if rooms else 0, np.bool_),
        hid_bite=hid_bite,
        carry=np.zeros(n, np.int32),
        ncarry=np.zeros(1, np.int64),
        base_exit=base,
        reserve=reserve(sc, n),
    )
    w.siege = sg
    refresh(sg, w)
    return sg


def refresh(sg: SiegeArrays, w: Any) -> None:
    """Recompute the zombies' paths to each safe room's doors and the humans' path to the base exits (through
    barricades, which the hiders take down when they leave)."""
    from hyosan.agents.fields import distance_field, next_cells

    if not sg.rdist.shape[0]:
        return
    zwalk = (w.block & BLOCKS_ZOMBIES) == 0
    for r in range(sg.rdist.shape[0]):
        doors = np.isin(sg.door_id, w.room_door_list[w.room_door_ptr[r] : w.room_door_ptr[r + 1]])
        walk = zwalk | doors
        sg.rdist[r] = distance_field(walk, doors)
        sg.rnext[r] = next_cells(sg.rdist[r], walk)
    walk = w.walk() | np.isin(sg.door_id, np.flatnonzero(w.door_state == BARRICADED))
    exits = w.sc.world.exit_id
    goal = np.isin(exits, np.flatnonzero(sg.base_exit)) if sg.base_exit.any() else exits >= 0
    sg.bdist[:] = distance_field(walk, goal)
    sg.bnext[:] = next_cells(sg.bdist, walk)


def rescue(iv: Any, t: float, a: Any, w: Any) -> dict[str, np.ndarray]:
    """Soldiers take every healthy or bitten civilian standing in ``iv.target`` off the map (escaped); returns
    their ``rescued`` events (aux 0 healthy, 1 hiding a bite, 2 bitten openly). Hidden bites are carried."""
    sg = w.siege
    soldier = np.array([k.soldier for k in w.sc.kinds])[a.kind]
    alive = ((a.state == S) | (a.state == E)) & ~soldier
    on = np.flatnonzero(alive)
    inside = iv.target[np.floor(a.y[on]).astype(np.int64), np.floor(a.x[on]).astype(np.int64)]
    idx = on[inside]
    code = np.where(a.state[idx] == E, np.where(sg.hid_bite[idx], 1, 2), 0).astype(np.int32)
    carried = idx[code == 1]
    k = int(sg.ncarry[0])
    sg.carry[k : k + carried.size] = carried
    sg.ncarry[0] = k + carried.size
    a.state[idx] = X
    a.hidden[idx] = -1
    return {
        "t": np.full(idx.size, t, np.float64), "kind": np.full(idx.size, RESCUED, np.int8),
        "agent": idx.astype(np.int32), "x": a.x[idx].copy(), "y": a.y[idx].copy(), "aux": code,
    }  # fmt: skip


@njit(cache=True, error_model="numpy")
def light_now(t, P):
    """The factor on sight now: ``night_light`` at night, 1 by day (and without a siege)."""
    if P[P_SIEGE] == 0 or P[P_NIGHT] == 1.0:
        return 1.0
    return P[P_NIGHT] if _night(t, P) else 1.0


@njit(cache=True, error_model="numpy")
def bitten(j, t, xx, yy, hidden, SG, L, n_ev, P, rs):
    """Person ``j`` was just bitten: maybe hides the bite; the first bite in a hiding room makes it fall."""
    if P[P_SIEGE] == 0:
        return n_ev
    if P[P_BITE_HIDDEN] > 0:
        SG.hid_bite[j] = urand(rs) < P[P_BITE_HIDDEN]
    hr = hidden[j]
    if 0 <= hr < SG.noisy.size and not SG.fallen[hr]:
        SG.fallen[hr] = True
        n_ev = log(L, n_ev, t, ROOM_FALLS, j, xx, yy, hr)
    return n_ev


@njit(cache=True, error_model="numpy", _nrt=False)
def hider(i, x, y, hidden, alert, goal, SG, P, rs):
    """A person hidden in a safe room: leaves it if the room is being left, else makes its noise and is
    counted (as one who could leave) if the base can be reached from where it stands."""
    hr = hidden[i]
    if hr < 0 or hr >= SG.noisy.size:
        return
    if SG.leave[hr]:
        hidden[i] = -1
        SG.leaving[i] = True
        alert[i] = True
        goal[i] = 0
        return
    if np.isfinite(SG.bdist[int(y[i]), int(x[i])]):
        SG.hiders[hr] += 1
    if P[P_NOISE] > 0 and urand(rs) < P[P_NOISE]:
        SG.noisy[hr] = True


@njit(cache=True, error_model="numpy", _nrt=False)
def to_base(i, speed, x, y, block, room, occ, cp, SG):
    """A survivor who left its hiding place walks along the field to the base exits; False if there is none."""
    r = int(y[i])
    c = int(x[i])
    if not np.isfinite(SG.bdist[r, c]):
        return False
    tx = c + SG.bnext[r, c, 1] + 0.5 - x[i]
    ty = r + SG.bnext[r, c, 0] + 0.5 - y[i]
    d = np.sqrt(tx * tx + ty * ty)
    if d > 1e-6:
        move(i, tx / d, ty / d, min(speed, d + 0.5), False, -1, x, y, block, room, occ, cp)
    return True


@njit(cache=True, error_model="numpy", _nrt=False)
def zombie(i, t, hunting, x, y, door_state, block, room, occ, cp, SG, P):
    """A zombie that sees no prey: marks rooms whose hiders hear it; if drawn to a room, pushes on a barricaded
    door of it next to it (whatever its behaviour), or (``hunting``) walks towards the room's doors. True
    when it acted (then it neither wanders nor follows noises)."""
    if P[P_SIEGE] == 0 or SG.rdist.shape[0] == 0:
        return False
    r = int(y[i])
    c = int(x[i])
    if P[P_MOVES] > 0:
        for hr in range(SG.rdist.shape[0]):
            if SG.rdist[hr, r, c] <= P[P_HEAR]:
                SG.calm[hr] = t
    hr = SG.drawn[i]
    if hr < 0:
        return False
    if t - SG.heard_at[i] > P[P_MEMORY]:
        SG.drawn[i] = -1
        return False
    h, w = block.shape
    for dr in range(-1, 2):
        for dc in range(-1, 2):
            rr = r + dr
            cc = c + dc
            if 0 <= rr < h and 0 <= cc < w:
                d = SG.door_id[rr, cc]
                if d >= 0 and SG.door_room[d] == hr and door_state[d] == BARRICADED:
                    SG.pushing[d] += 1
                    return True
    if not np.isfinite(SG.rdist[hr, r, c]) or SG.rdist[hr, r, c] <= 0.0:
        SG.drawn[i] = -1
        return False
    if not hunting:
        return False
    tx = c + SG.rnext[hr, r, c, 1] + 0.5 - x[i]
    ty = r + SG.rnext[hr, r, c, 0] + 0.5 - y[i]
    d = np.sqrt(tx * tx + ty * ty)
    if d > 1e-6:
        move(i, tx / d, ty / d, min(P[P_ZWALK], d + 0.5), True, -1, x, y, block, room, occ, cp)
    return True


@njit(cache=True, error_model="numpy")
def escaped(i, t, exit_no, state, SG, L, n_ev, x, y):
    """Person ``i`` escaped through exit ``exit_no``: through a base exit it reached the base (aux: its bite)."""
    if not SG.base_exit[exit_no]:
        return n_ev
    code = 0
    if state[i] == E:
        code = 1 if SG.hid_bite[i] else 2
        if code == 1:
            SG.carry[SG.ncarry[0]] = i
            SG.ncarry[0] += 1
    return log(L, n_ev, t, REACHED_BASE, i, x[i], y[i], code)


@njit(cache=True, error_model="numpy")
def turned(i, t, hidden, SG, L, n_ev, x, y):
    """Person ``i`` turned: a hidden bite among fellow hiders of a room that has not fallen (so it was
    brought in from outside) is revealed (aux = the room)."""
    hr = hidden[i]
    if SG.hid_bite[i] and 0 <= hr < SG.noisy.size and not SG.fallen[hr]:
        SG.hid_bite[i] = False
        n_ev = log(L, n_ev, t, REVEALED, i, x[i], y[i], hr)
    return n_ev


@njit(cache=True, error_model="numpy")
def end_of_step(t, A, W, SG, L, n_ev, P, rs):
    """Noises draw zombies, pushed barricades break, hidden bites carried off show, quiet rooms are left.
    Returns (events, doors changed)."""
    changed = False
    if P[P_SIEGE] == 0:
        return n_ev, changed
    x, y, state, turn_at = A.x, A.y, A.state, A.turn_at
    door_state, block = W.door_state, W.block
    rooms = SG.rdist.shape[0]
    for hr in range(rooms):
        SG.leave[hr] = False
        if not SG.noisy[hr]:
            continue
        SG.noisy[hr] = False
        for i in range(x.size):
            if state[i] == 2 and SG.rdist[hr, int(y[i]), int(x[i])] <= P[P_HEAR]:
                SG.drawn[i] = hr
                SG.heard_at[i] = t
    wd = block.shape[1]
    for d in range(SG.pushing.size):
        k = SG.pushing[d]
        if k == 0:
            continue
        SG.pushing[d] = 0
        if door_state[d] == BARRICADED and urand(rs) < -np.expm1(-k * P[P_BREAK]):
            door_state[d] = OPEN
            a = W.door_cells[W.door_cell_ptr[d]]
            for m in range(W.door_cell_ptr[d], W.door_cell_ptr[d + 1]):
                q = W.door_cells[m]
                block[q // wd, q % wd] = 0
            changed = True
            n_ev = log(L, n_ev, t, BREACH, -1, a % wd + 0.5, a // wd + 0.5, d)
    k = 0
    while k < SG.ncarry[0]:
        i = SG.carry[k]
        if turn_at[i] <= t:
            n_ev = log(L, n_ev, t, REVEALED, i, x[i], y[i], -1)
            SG.ncarry[0] -= 1
            SG.carry[k] = SG.carry[SG.ncarry[0]]
        else:
            k += 1
    if P[P_MOVES] > 0 and (P[P_MOVES] == 1 or _night(t, P)):
        for hr in range(rooms):
            if SG.hiders[hr] and t - SG.calm[hr] >= P[P_QUIET]:
                SG.leave[hr] = True
                for q2 in range(W.room_door_ptr[hr], W.room_door_ptr[hr + 1]):
                    d = W.room_door_list[q2]
                    if door_state[d] == BARRICADED:
                        door_state[d] = OPEN
                        for m in range(W.door_cell_ptr[d], W.door_cell_ptr[d + 1]):
                            q = W.door_cells[m]
                            block[q // wd, q % wd] = 0
                        q = W.door_cells[W.door_cell_ptr[d]]
                        n_ev = log(L, n_ev, t, UNBARRED, -1, q % wd + 0.5, q // wd + 0.5, d)
                        changed = True
    SG.hiders[:] = 0
    return n_ev, changed


@njit(cache=True, error_model="numpy")
def _night(t, P):
    c = (P[P_T0] + t) % DAY
    return not (P[P_SUNRISE] <= c < P[P_SUNSET])
