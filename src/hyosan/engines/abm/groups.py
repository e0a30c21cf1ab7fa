"""Groups of friends who move together: who is in a group, how a group keeps together, chooses and splits.

Who. With ``groups:`` in the scenario (:mod:`hyosan.agents.scenario_groups`), the healthy and bitten
civilians placed by one population entry (each zone of a ``per_zone`` entry apart: classmates) are banded
into groups of the stated sizes, a ``share`` of them, nearest ones together (in snake order over strips
``keep`` high); the last group of an entry may be smaller (never below the smallest size: fewer left over
go alone). Soldiers, zombies and humbies are in none.

The plan. A group has one plan, which all its members follow (their goal field): 0 leave by the nearest
exit (or the evacuation target), 1 hide in the nearest safe room. At the start it is its first member's
plan (``hide_fraction``). One member alerted (who saw a zombie, or stands where a noise is heard) alerts
the whole group. Whenever a member sees a zombie (the humans' own sight, light, night and line of sight), the
group chooses again: **hide** if a zombie seen stands on its way out, i.e. the zombie's walking distance
to the exit plus its distance to the member is at most the member's walking distance to the exit plus
``keep``, and a safe room can be reached; otherwise **run** for the exit. A plan no moving member can
reach is swapped for the other when every moving member can reach that one. A member's goal set from
outside (``evacuate``, the siege's survivors leaving their room) becomes the group's plan; a plan to
leave set so is kept (``ORDERED``: the group no longer chooses).

Keeping together. Moving members (healthy or bitten, not hidden in a room, on the map) should stand within
``keep`` of the group's centre (their mean position). While one is farther, and the group is on the move
(alerted, or after the alarm), the group waits: members more than ``keep`` nearer the goal (walking
distance) than the last one slow to a quarter of their walking pace (``SLOW``; standing still, they would
jam the doors others need), the others walk on; one fleeing a zombie it sees runs regardless.
Splits (a ``split`` event, its ``aux`` the group): after ``wait`` seconds of waiting the group leaves
behind its member farthest from the centre, then the next, until the rest are together; a member who
cannot reach the plan's goal (shut, barricaded, sealed) while another can leaves at once (when none can,
the group stays together), and so does one farther than
``keep`` from the centre who sees a zombie between itself and the group (the way through the zombie at most
``keep`` longer than the straight line). One who left and is again within ``keep / 2`` of the centre, able
to reach the goal, rejoins (``regroup``). Members who hid or escaped have arrived; those who turn leave.

All lengths in the kernel are in cells, times in seconds; ``P[P_KEEP]`` and ``P[P_WAIT]`` hold keep and wait.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from hyosan.engines.abm.behaviours import log
from hyosan.engines.abm.codes import REGROUP, SPLIT, E, S, Z
from hyosan.engines.abm.motion import sees
from hyosan.engines.abm.records import GroupArrays
from hyosan.engines.abm.siege import light_now

P_KEEP, P_WAIT = 32, 33
#: A plan to leave set from outside (an ``evacuate`` order, survivors leaving their room in a siege): kept.
ORDERED = 2
#: The pace of members who wait for a straggler: a slow shuffle, so that they never block a door for good.
SLOW = 0.25


def parameters(sc: Any, P: np.ndarray) -> None:
    """Fill the groups' slots of the parameter vector: keep (cells) and wait (seconds)."""
    bands = getattr(sc, "bands", None)
    if bands is not None:
        P[P_KEEP] = bands.keep / sc.world.scale
        P[P_WAIT] = bands.wait


def group_record(sc: Any, a: Any, w: Any, rng: np.random.Generator | None = None) -> GroupArrays:
    """The groups of a run (none without ``groups:``); draws sizes and shares from ``rng``, and sets each
    member's goal to its group's plan."""
    n = len(a)
    bands = getattr(sc, "bands", None)
    if bands is None or n == 0:
        return GroupArrays(
            np.full(n, -1, np.int32), np.full(0, -1, np.int32), np.ones(n), np.zeros(0), np.zeros(1, np.int32),
            np.zeros(0, np.int32), np.zeros(0), np.zeros(0, np.int8),
        )  # fmt: skip
    rng = rng if rng is not None else np.random.default_rng(0)
    r = np.floor(a.y).astype(np.int64)
    c = np.floor(a.x).astype(np.int64)
    h, wd = sc.world.shape
    on_map = (r >= 0) & (c >= 0) & (r < h) & (c < wd)
    soldier = np.array([k.soldier for k in sc.kinds], dtype=bool)[a.kind]
    free = on_map & ~soldier & ((a.state == S) | (a.state == E))
    strip = max(1.0, bands.keep / sc.world.scale)
    found: list[np.ndarray] = []
    for g in sc.groups:
        if g.state not in (S, E) or sc.kinds[g.kind].soldier:
            continue
        mine = np.flatnonzero(free & (a.kind == g.kind) & (a.state == g.state))
        mine = mine[g.cells[r[mine], c[mine]]][: g.count]
        free[mine] = False
        mine = np.sort(rng.permutation(mine)[: round(bands.share * mine.size)])
        band_row = np.floor(a.y[mine] / strip).astype(np.int64)
        snake = np.where(band_row % 2 == 0, a.x[mine], -a.x[mine])
        mine = mine[np.lexsort((snake, band_row))]
        start = 0
        while mine.size - start >= bands.low:
            size = int(rng.integers(bands.low, bands.high + 1))
            found.append(mine[start : start + size])
            start += size
    group = np.full(n, -1, np.int32)
    ptr = np.zeros(len(found) + 1, np.int32)
    for b, members in enumerate(found):
        group[members] = b
        ptr[b + 1] = ptr[b] + members.size
    members = np.concatenate(found).astype(np.int32) if found else np.zeros(0, np.int32)
    plan = np.array([a.goal[m[0]] for m in found], dtype=np.int8)
    for b, m in enumerate(found):
        a.goal[m] = plan[b]
    return GroupArrays(
        group, group.copy(), np.ones(n), np.full(n, -np.inf), ptr, members, np.full(len(found), -1.0), plan
    )


@njit(cache=True, error_model="numpy", _nrt=False)
def _centre(b, GR, A):
    """Count and centre (cells) of group ``b``'s moving members, and the farthest one and its distance."""
    x, y, state, hidden = A.x, A.y, A.state, A.hidden
    cnt = 0
    cx = 0.0
    cy = 0.0
    for q in range(GR.ptr[b], GR.ptr[b + 1]):
        i = GR.members[q]
        if GR.group[i] == b and (state[i] == S or state[i] == E) and hidden[i] < 0:
            cnt += 1
            cx += x[i]
            cy += y[i]
    if cnt == 0:
        return 0, 0.0, 0.0, -1, 0.0
    cx /= cnt
    cy /= cnt
    far = -1
    dmax = -1.0
    for q in range(GR.ptr[b], GR.ptr[b + 1]):
        i = GR.members[q]
        if GR.group[i] == b and (state[i] == S or state[i] == E) and hidden[i] < 0:
            d = np.sqrt((x[i] - cx) ** 2 + (y[i] - cy) ** 2)
            if d > dmax:
                dmax = d
                far = i
    return cnt, cx, cy, far, dmax


@njit(cache=True, error_model="numpy", _nrt=False)
def _look(i, cx, cy, keep, lt, seen, on_way, B, A, W, KT, SC):
    """What member ``i`` sees (sight times the light, times ``lt`` at night), added to what its group has seen:
    (a zombie, one on its way out, one cutting it off from the centre). Lines of sight are traced only for
    zombies that would add something, and the search stops when nothing more can be learnt."""
    x, y, state = A.x, A.y, A.state
    head, nxt, x0, y0 = SC.head_zomb, SC.nxt, SC.x0, SC.y0
    hdist, light, block = W.hdist, W.light, W.block
    xi = x[i]
    yi = y[i]
    sight = KT.sight[A.kind[i]] * lt
    own = hdist[0, int(yi), int(xi)]
    dc = np.sqrt((cx - xi) ** 2 + (cy - yi) ** 2)
    far = dc > keep
    cut = False
    nbr = head.shape[0]
    nbc = head.shape[1]
    br = min(int(yi / B), nbr - 1)
    bc = min(int(xi / B), nbc - 1)
    for rr in range(max(br - 1, 0), min(br + 2, nbr)):
        for cc in range(max(bc - 1, 0), min(bc + 2, nbc)):
            j = head[rr, cc]
            while j >= 0:
                if state[j] == Z:
                    zx = x0[j]
                    zy = y0[j]
                    d = np.sqrt((zx - xi) ** 2 + (zy - yi) ** 2)
                    if d <= sight * light[int(zy), int(zx)]:
                        way = not on_way and np.isfinite(own) and hdist[0, int(zy), int(zx)] + d <= own + keep
                        between = far and not cut and d + np.sqrt((cx - zx) ** 2 + (cy - zy) ** 2) <= dc + keep
                        if (way or between or not seen) and sees(xi, yi, zx, zy, block):
                            seen = True
                            on_way = on_way or way
                            cut = cut or between
                            if on_way and (cut or not far):
                                return seen, on_way, cut
                j = nxt[j]
    return seen, on_way, cut


@njit(cache=True, error_model="numpy")
def _leave(i, b, t, GR, A, L, n_ev):
    GR.group[i] = -1
    GR.left[i] = t
    return log(L, n_ev, t, SPLIT, i, A.x[i], A.y[i], b)


@njit(cache=True, error_model="numpy")
def bands(t, alarm, A, W, KT, P, SC, GR, L, n_ev):
    """Update every group at the start of a step at ``t`` (after the cell lists are built, before anyone
    acts): alerts, plans, splits and regroups, and who slows down waiting (``GR.pace``). Returns the new
    event count (each member logs at most one split or regroup a step)."""
    x, y, state, alert, hidden, goal = A.x, A.y, A.state, A.alert, A.hidden, A.goal
    group, pace, members, plan, since = GR.group, GR.pace, GR.members, GR.plan, GR.since
    hdist = W.hdist
    keep = P[P_KEEP]
    B = P[0]
    lt = light_now(t, P)
    for b in range(GR.ptr.size - 1):
        a0 = GR.ptr[b]
        a1 = GR.ptr[b + 1]
        heard = False
        for q in range(a0, a1):
            i = members[q]
            pace[i] = 1.0
            if state[i] != S and state[i] != E:
                group[i] = -1
            elif group[i] == b:
                heard |= alert[i]
                if goal[i] != (0 if plan[b] == ORDERED else plan[b]):
                    plan[b] = ORDERED if goal[i] == 0 else goal[i]
                if W.noise_on and W.noise_val[int(y[i]), int(x[i])] < 0:
                    heard = True
        cnt, cx, cy, far, dmax = _centre(b, GR, A)
        if cnt == 0:
            since[b] = -1.0
            continue
        if heard:
            for q in range(a0, a1):
                if group[members[q]] == b:
                    alert[members[q]] = True
        if not (heard or alarm):
            since[b] = -1.0
            continue
        seen = False
        on_way = False
        reach_any = np.zeros(2, np.bool_)
        reach_all = np.ones(2, np.bool_)
        for q in range(a0, a1):
            i = members[q]
            if group[i] != b or hidden[i] >= 0:
                continue
            s_, w_, cut = seen, on_way, False
            if not (seen and on_way) or np.sqrt((x[i] - cx) ** 2 + (y[i] - cy) ** 2) > keep:
                s_, w_, cut = _look(i, cx, cy, keep, lt, seen, on_way, B, A, W, KT, SC)
            if cut:
                n_ev = _leave(i, b, t, GR, A, L, n_ev)
                continue
            seen, on_way = s_, w_
            for g in range(2):
                ok = np.isfinite(hdist[g, int(y[i]), int(x[i])])
                reach_any[g] = reach_any[g] or ok
                reach_all[g] = reach_all[g] and ok
        p = plan[b]
        if seen and p != ORDERED:
            want = 1 if on_way else 0
            if reach_any[want]:
                p = want
        if p != ORDERED and not reach_all[p] and reach_all[1 - p]:
            p = 1 - p
        plan[b] = p
        p = 0 if p == ORDERED else p
        for q in range(a0, a1):
            i = members[q]
            if group[i] != b:
                continue
            goal[i] = p
            if hidden[i] < 0 and reach_any[p] and not np.isfinite(hdist[p, int(y[i]), int(x[i])]):
                n_ev = _leave(i, b, t, GR, A, L, n_ev)
        cnt, cx, cy, far, dmax = _centre(b, GR, A)
        if cnt >= 2 and dmax > keep:
            if since[b] < 0:
                since[b] = t
            if t - since[b] >= P[P_WAIT]:
                while cnt >= 2 and dmax > keep:
                    n_ev = _leave(far, b, t, GR, A, L, n_ev)
                    cnt, cx, cy, far, dmax = _centre(b, GR, A)
                since[b] = -1.0
            else:
                last = 0.0
                for q in range(a0, a1):
                    i = members[q]
                    if group[i] == b and hidden[i] < 0:
                        last = max(last, hdist[p, int(y[i]), int(x[i])])
                for q in range(a0, a1):
                    i = members[q]
                    if group[i] == b and hidden[i] < 0:
                        if hdist[p, int(y[i]), int(x[i])] < last - keep:
                            pace[i] = SLOW
        else:
            since[b] = -1.0
        if cnt == 0:
            continue
        for q in range(a0, a1):
            i = members[q]
            if group[i] >= 0 or GR.left[i] >= t or hidden[i] >= 0 or (state[i] != S and state[i] != E):
                continue
            near = np.sqrt((x[i] - cx) ** 2 + (y[i] - cy) ** 2) <= 0.5 * keep
            if near and (np.isfinite(hdist[p, int(y[i]), int(x[i])]) or not reach_any[p]):
                group[i] = b
                goal[i] = p
                alert[i] = alert[i] or heard
                n_ev = log(L, n_ev, t, REGROUP, i, x[i], y[i], b)
    return n_ev
