"""Numba step kernels of the agent engine.

One call advances every agent ``nsteps`` time steps. Each step: the agents are put in a fresh random
order (a Fisher-Yates shuffle from the run's stream, so the same seed gives the same orders); the bitten
whose delay is over turn; cell lists (bins of side ``B`` cells, one list of prey — healthy and bitten —
and one of zombies) are rebuilt; then every agent, in that order, senses (line of sight by Bresenham
over the grid; walls, shut and barricaded doors block it) the others where they stood at the start of
the step (``x0``, ``y0``) and touches (bites, kills) those still there (not escaped), then moves. Sensing
is synchronous; the changes of state are sequential, in the shuffled order, so no part of the map (the
top rows come first in index order) acts first more often than another. Moves go in sub-steps of at
most one cell per axis (so none skips a wall) with axis-separated collision; a sub-step is kept only if
the cell of the position as stored (float64; the cell is the floor, so x < 0 is off the map) is on the
map and passable, so no agent ever stands on a wall, a closed door or off the map. A hider who decides
to barricade (``barricader``: one per safe room, -1 for none) bars each open door of the room at the
end of the first step in which nobody stands in it, while it is still hidden there and not turned.
Soldiers (healthy agents of a soldier kind) shoot zombies and discover humbies in range (:func:`_soldier`)
and walk routes along waypoint fields; hiding humbies keep to hiding places and run from soldiers
(:func:`_humbie_hide`). Before each step :func:`triggers` checks the pending intervention triggers, so
that the caller can fire them at step resolution.

Randomness: the hot draws (order, turning, contacts, barricades) come from a per-run xorshift64* stream
``rs`` passed in (:func:`urand`); incubation delays from Numba's generator, seeded once per run by
:func:`seed`. A run is single-threaded, so the same seed gives the same run.

Positions are in cells (x = column, y = row, cell centres at +0.5); times in seconds.
"""

from __future__ import annotations

import numpy as np
from numba import njit

S, E, Z, H, D, X = 0, 1, 2, 3, 4, 5
WALL, DOOR, EXIT = 1, 2, 3
OPEN, SHUT, BARRICADED = 0, 1, 2
BLOCKS_HUMANS, BLOCKS_ZOMBIES, OPAQUE = 1, 2, 4
SQRT12 = np.sqrt(12.0)
M = 6
BITE, TURN, HUMBIE, KILL, ESCAPE, HIDE, BARRICADE, SHOT, DISCOVER, INTERVENTION = range(10)
HELD, SCREENED, ISOLATED, ADMITTED, GUARDED = range(10, 15)
EVENT_NAMES = (
    "bite", "turn", "humbie", "kill", "escape", "hide", "barricade", "shot", "discovered", "intervention",
    "held", "screened", "isolated", "admitted", "guarded",
)  # fmt: skip
ABOVE, BELOW, ENTERS = 0, 1, 2

# indices into the parameter vector P
P_B, P_BITE, P_KILL, P_HBITE, P_RC, P_ZWALK, P_ZRUN, P_ZSIGHT, P_HWALK = 0, 1, 2, 3, 4, 5, 6, 7, 8
P_HUMBIE, P_INC_KIND, P_INC1, P_INC2, P_HIDE_SPEED, P_BARRICADE, P_TURN_SD, P_HBEH, P_ZBEH, P_ALARM = range(9, 19)
P_HUMBIE_BEH, P_HSIGHT, P_HRUN = 19, 20, 21
NPARAM = 22


@njit(cache=True, error_model="numpy")
def seed(value: int) -> None:
    """Seed Numba's generator for this process (one run at a time per process)."""
    np.random.seed(value)


@njit(cache=True, inline="always", error_model="numpy")
def urand(rs):
    """Uniform [0, 1) from the run's xorshift64* stream ``rs`` (a one-element uint64 array)."""
    v = rs[0]
    v ^= v >> np.uint64(12)
    v ^= v << np.uint64(25)
    v ^= v >> np.uint64(27)
    rs[0] = v
    return (v * np.uint64(2685821657736338717) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always", error_model="numpy")
def cell(v):
    """The cell index of coordinate ``v`` (floor: -0.3 is in cell -1, off the map, not cell 0)."""
    return int(np.floor(v))


@njit(cache=True, inline="always", error_model="numpy")
def passable(r, c, zombie, hroom, block, room):
    """May a zombie (or a human, confined to safe room ``hroom`` when >= 0) stand on cell (r, c)?"""
    if r < 0 or c < 0 or r >= block.shape[0] or c >= block.shape[1]:
        return False
    if block[r, c] & (BLOCKS_ZOMBIES if zombie else BLOCKS_HUMANS):
        return False
    if hroom >= 0 and room[r, c] != hroom:
        return False
    return True


@njit(cache=True, error_model="numpy")
def sees(x0, y0, x1, y1, block):
    """Line of sight between two points: no wall or closed door on the Bresenham cell line."""
    c0, r0, c1, r1 = int(x0), int(y0), int(x1), int(y1)
    dc = abs(c1 - c0)
    dr = -abs(r1 - r0)
    sc = 1 if c0 < c1 else -1
    sr = 1 if r0 < r1 else -1
    err = dc + dr
    while True:
        if block[r0, c0] & OPAQUE:
            return False
        if c0 == c1 and r0 == r1:
            return True
        e2 = 2 * err
        if e2 >= dr:
            err += dr
            c0 += sc
        if e2 <= dc:
            err += dc
            r0 += sr


@njit(cache=True, inline="always", error_model="numpy")
def move(i, dx, dy, dist, zombie, hroom, x, y, block, room, reflect=False):
    """Move agent i by ``dist`` cells along the unit vector (dx, dy) in sub-steps of at most one cell, one axis at a
    time; returns 1 if a wall stopped the x motion, 2 the y motion, 3 both, 0 neither."""
    n = max(1, int(np.ceil(dist)))
    sx = dx * dist / n
    sy = dy * dist / n
    blocked = 0
    for _ in range(n):
        old = x[i]
        x[i] = old + sx
        if not passable(cell(y[i]), cell(x[i]), zombie, hroom, block, room):
            x[i] = old
            blocked |= 1
            if reflect:
                sx = -sx
        old = y[i]
        y[i] = old + sy
        if not passable(cell(y[i]), cell(x[i]), zombie, hroom, block, room):
            y[i] = old
            blocked |= 2
            if reflect:
                sy = -sy
    return blocked


@njit(cache=True, inline="always", error_model="numpy")
def wander(i, dist, zombie, hroom, turn_sd, x, y, heading, block, room, rs):
    """Persistent random walk: the unit heading ``heading[i]`` turns by a uniform angle of s.d. ``turn_sd``
    per step (rotation by Taylor polynomials, then renormalised); walls reflect it (specular), which keeps
    a uniform density uniform."""
    d = turn_sd * SQRT12 * (urand(rs) - 0.5)
    d2 = d * d
    cd = 1.0 - d2 * (0.5 - d2 / 24.0)
    sd = d * (1.0 - d2 * (1.0 / 6.0 - d2 / 120.0))
    c = heading[i, 0] * cd - heading[i, 1] * sd
    s = heading[i, 0] * sd + heading[i, 1] * cd
    norm = 1.0 / np.sqrt(c * c + s * s)
    c *= norm
    s *= norm
    blocked = move(i, c, s, dist, zombie, hroom, x, y, block, room, True)
    heading[i, 0] = -c if blocked & 1 else c
    heading[i, 1] = -s if blocked & 2 else s


@njit(cache=True, error_model="numpy")
def incubation(P):
    kind = int(P[P_INC_KIND])
    if kind == 0:
        return P[P_INC1]
    if kind == 1:
        return np.random.exponential(P[P_INC1])
    if kind == 2:
        return P[P_INC1] * np.exp(P[P_INC2] * np.random.standard_normal())
    return np.random.gamma(P[P_INC2], P[P_INC1] / P[P_INC2])


@njit(cache=True, error_model="numpy")
def log(ev_t, ev_kind, ev_agent, ev_x, ev_y, ev_aux, n_ev, t, kind, agent, xx, yy, aux):
    ev_t[n_ev] = t
    ev_kind[n_ev] = kind
    ev_agent[n_ev] = agent
    ev_x[n_ev] = xx
    ev_y[n_ev] = yy
    ev_aux[n_ev] = aux
    return n_ev + 1


@njit(cache=True, error_model="numpy")
def advance(
    t0, dt, nsteps,
    x, y, heading, state, kind, goal, alert, hidden, fate, turn_at,
    grid, block, door_state, door_cell_ptr, door_cells, exit_id, room, light, hnext, hdist,
    noise_next, noise_val, noise_on,
    room_door_ptr, room_door_list, kwalk, krun, ksight, P,
    head_prey, head_zomb, nxt, x0, y0, order, barricader,
    ev_t, ev_kind, ev_agent, ev_x, ev_y, ev_aux, n_ev, rs,
    ksoldier, krange, khit, kdetect, route, leg, route_ptr, route_wp, wnext, wdist,
    trig_kind, trig_state, trig_value, trig_active, trig_fired, zbits, tcounts,
):  # fmt: skip
    """Advance ``nsteps`` steps of ``dt`` seconds from ``t0``; returns (steps done, events, doors changed, fired).

    Stops early when the event buffer could overflow in the next step (an agent logs at most two events
    a step, a soldier one per target in range, plus one per barricaded door), right after a step in which
    doors changed (so the caller recomputes distance fields before the next step, whatever the chunking),
    and before a step at whose start an active trigger holds (``fired``; ``trig_fired`` says which), so
    the caller applies interventions at step resolution.
    """
    n = x.size
    B = P[P_B]
    nbr = head_prey.shape[0]
    nbc = head_prey.shape[1]
    rc2 = P[P_RC] * P[P_RC]
    doors_changed = False
    for s in range(nsteps):
        if ev_t.size - n_ev < 2 * n + door_state.size + 8:
            return s, n_ev, doors_changed, False
        if trig_kind.size and triggers(state, kind, ksoldier, x, y, trig_kind, trig_state, trig_value, trig_active,
                                       trig_fired, zbits, tcounts):  # fmt: skip
            return s, n_ev, doors_changed, True
        t = t0 + s * dt
        alarm = t >= P[P_ALARM]
        head_prey[:] = -1
        head_zomb[:] = -1
        for q in range(n - 1, 0, -1):
            p = int(urand(rs) * (q + 1))
            o = order[q]
            order[q] = order[p]
            order[p] = o
        for q in range(n):
            i = order[q]
            st = state[i]
            if st == E and turn_at[i] <= t:
                st = H if fate[i] else Z
                state[i] = st
                n_ev = log(
                    ev_t, ev_kind, ev_agent, ev_x, ev_y, ev_aux, n_ev, t, HUMBIE if st == H else TURN, i, x[i], y[i], -1
                )
                hidden[i] = -1
            x0[i] = x[i]
            y0[i] = y[i]
            if st == S or st == E:
                br = min(int(y[i] / B), nbr - 1)
                bc = min(int(x[i] / B), nbc - 1)
                nxt[i] = head_prey[br, bc]
                head_prey[br, bc] = i
            elif st == Z or st == H:
                br = min(int(y[i] / B), nbr - 1)
                bc = min(int(x[i] / B), nbc - 1)
                nxt[i] = head_zomb[br, bc]
                head_zomb[br, bc] = i
        for q in range(n):
            i = order[q]
            st = state[i]
            if st == D or st == X:
                continue
            xi = x[i]
            yi = y[i]
            if st == Z or st == H:
                br = min(int(yi / B), nbr - 1)
                bc = min(int(xi / B), nbc - 1)
                zombie = st == Z
                best = -1
                bd2 = np.inf
                reach = P[P_ZSIGHT] if zombie else (P[P_HSIGHT] if P[P_HUMBIE_BEH] == 1 else 0.0)
                for rr in range(max(br - 1, 0), min(br + 2, nbr)):
                    for cc in range(max(bc - 1, 0), min(bc + 2, nbc)):
                        j = head_prey[rr, cc]
                        while j >= 0:
                            if state[j] != S and state[j] != E:
                                j = nxt[j]
                                continue
                            ddx = x0[j] - xi
                            ddy = y0[j] - yi
                            d2 = ddx * ddx + ddy * ddy
                            if d2 <= rc2 and sees(xi, yi, x0[j], y0[j], block):
                                u = urand(rs)
                                pb = P[P_BITE] if zombie else P[P_HBITE]
                                if u < pb:
                                    if state[j] == S:
                                        state[j] = E
                                        turn_at[j] = t + incubation(P)
                                        fate[j] = urand(rs) < P[P_HUMBIE]
                                        alert[j] = True
                                        n_ev = log(
                                            ev_t,
                                            ev_kind,
                                            ev_agent,
                                            ev_x,
                                            ev_y,
                                            ev_aux,
                                            n_ev,
                                            t,
                                            BITE,
                                            j,
                                            x0[j],
                                            y0[j],
                                            i,
                                        )
                                elif zombie and u < pb + P[P_KILL]:
                                    state[i] = D
                                    n_ev = log(ev_t, ev_kind, ev_agent, ev_x, ev_y, ev_aux, n_ev, t, KILL, i, xi, yi, j)
                                    break
                            if d2 < bd2 and (zombie or ksoldier[kind[j]]):
                                r_eff = reach * light[int(y0[j]), int(x0[j])]
                                if d2 <= r_eff * r_eff and sees(xi, yi, x0[j], y0[j], block):
                                    best = j
                                    bd2 = d2
                            j = nxt[j]
                        if state[i] == D:
                            break
                    if state[i] == D:
                        break
                if state[i] == D:
                    continue
                if not zombie and P[P_HUMBIE_BEH] == 1:
                    _humbie_hide(i, best, bd2, x, y, x0, y0, block, room, hnext, hdist, P)
                elif not zombie:
                    _human_move(
                        i, True, x, y, heading, goal, hidden, block, room, hnext, hdist,
                        P[P_HWALK], P, rs,
                    )  # fmt: skip
                elif P[P_ZBEH] == 2:
                    pass
                elif best >= 0 and P[P_ZBEH] == 0:
                    d = np.sqrt(bd2)
                    if d > 1e-6:
                        move(i, (x0[best] - xi) / d, (y0[best] - yi) / d, min(P[P_ZRUN], d), True, -1,
                             x, y, block, room)  # fmt: skip
                elif noise_on and P[P_ZBEH] == 0 and noise_val[int(yi), int(xi)] < 0:
                    r = int(yi)
                    c = int(xi)
                    tx = c + noise_next[r, c, 1] + 0.5 - xi
                    ty = r + noise_next[r, c, 0] + 0.5 - yi
                    d = np.sqrt(tx * tx + ty * ty)
                    if d > 1e-6:
                        move(i, tx / d, ty / d, min(P[P_ZWALK], d), True, -1, x, y, block, room)
                else:
                    wander(i, P[P_ZWALK], True, -1, P[P_TURN_SD], x, y, heading, block, room, rs)
            else:
                k = kind[i]
                if ksoldier[k]:
                    n_ev = _soldier(
                        i, k, t, x, y, x0, y0, state, head_zomb, nxt, B, block, light, krange, khit, kdetect,
                        kwalk, route, leg, route_ptr, route_wp, wnext, wdist, rs,
                        ev_t, ev_kind, ev_agent, ev_x, ev_y, ev_aux, n_ev,
                    )  # fmt: skip
                    continue
                if P[P_HBEH] == 2:
                    continue
                if P[P_HBEH] == 1:
                    wander(i, kwalk[k], False, hidden[i], P[P_TURN_SD], x, y, heading, block, room, rs)
                else:
                    br = min(int(yi / B), nbr - 1)
                    bc = min(int(xi / B), nbc - 1)
                    best = -1
                    bd2 = np.inf
                    for rr in range(max(br - 1, 0), min(br + 2, nbr)):
                        for cc in range(max(bc - 1, 0), min(bc + 2, nbc)):
                            j = head_zomb[rr, cc]
                            while j >= 0:
                                if state[j] == Z:
                                    ddx = x0[j] - xi
                                    ddy = y0[j] - yi
                                    d2 = ddx * ddx + ddy * ddy
                                    if d2 < bd2:
                                        r_eff = ksight[k] * light[int(y0[j]), int(x0[j])]
                                        if d2 <= r_eff * r_eff and sees(xi, yi, x0[j], y0[j], block):
                                            best = j
                                            bd2 = d2
                                j = nxt[j]
                    if best >= 0:
                        alert[i] = True
                        d = np.sqrt(bd2)
                        ax = (xi - x0[best]) / max(d, 1e-6)
                        ay = (yi - y0[best]) / max(d, 1e-6)
                        r = int(yi)
                        c = int(xi)
                        g = goal[i]
                        if hidden[i] < 0 and np.isfinite(hdist[g, r, c]):
                            gx = c + hnext[g, r, c, 1] + 0.5 - xi
                            gy = r + hnext[g, r, c, 0] + 0.5 - yi
                            gd = np.sqrt(gx * gx + gy * gy)
                            if gd > 1e-6 and gx * ax + gy * ay > -0.3 * gd:
                                ax += gx / gd
                                ay += gy / gd
                        an = np.sqrt(ax * ax + ay * ay)
                        if an > 1e-6:
                            move(i, ax / an, ay / an, krun[k], False, hidden[i], x, y, block, room)
                    elif alert[i] or alarm:
                        alert[i] = True
                        _human_move(
                            i,
                            False,
                            x,
                            y,
                            heading,
                            goal,
                            hidden,
                            block,
                            room,
                            hnext,
                            hdist,
                            kwalk[k],
                            P,
                            rs,
                        )
            r = int(y[i])
            c = int(x[i])
            st = state[i]
            if st == D or st == Z:
                continue
            if grid[r, c] == EXIT and hidden[i] < 0 and (P[P_HBEH] == 0 or st == H) and not ksoldier[kind[i]]:
                n_ev = log(ev_t, ev_kind, ev_agent, ev_x, ev_y, ev_aux, n_ev, t, ESCAPE, i, x[i], y[i], exit_id[r, c])
                state[i] = X
            elif hidden[i] < 0 and goal[i] == 1 and room[r, c] >= 0 and st != H and alert[i]:
                hr = room[r, c]
                hidden[i] = hr
                n_ev = log(ev_t, ev_kind, ev_agent, ev_x, ev_y, ev_aux, n_ev, t, HIDE, i, x[i], y[i], hr)
                if urand(rs) < P[P_BARRICADE] and barricader[hr] < 0:
                    barricader[hr] = i
        for hr in range(barricader.size):
            i = barricader[hr]
            if i < 0:
                continue
            if (state[i] != S and state[i] != E) or hidden[i] != hr:
                barricader[hr] = -1
                continue
            left = False
            for q2 in range(room_door_ptr[hr], room_door_ptr[hr + 1]):
                dd = room_door_list[q2]
                if door_state[dd] != OPEN:
                    continue
                if _occupied(dd, door_cells, door_cell_ptr, x, y, state, grid):
                    left = True
                    continue
                door_state[dd] = BARRICADED
                for k in door_cells[door_cell_ptr[dd] : door_cell_ptr[dd + 1]]:
                    block[k // block.shape[1], k % block.shape[1]] = BLOCKS_HUMANS | BLOCKS_ZOMBIES | OPAQUE
                doors_changed = True
                n_ev = log(ev_t, ev_kind, ev_agent, ev_x, ev_y, ev_aux, n_ev, t, BARRICADE, i, x[i], y[i], dd)
            if not left:
                barricader[hr] = -1
        if doors_changed:
            return s + 1, n_ev, True, False
    return nsteps, n_ev, False, False


@njit(cache=True, error_model="numpy")
def _occupied(dd, door_cells, door_cell_ptr, x, y, state, grid):
    """Does anyone on the map (not escaped; a body counts) lie or stand on a cell of door ``dd``?"""
    wd = grid.shape[1]
    a = door_cells[door_cell_ptr[dd]]
    b = door_cells[door_cell_ptr[dd + 1] - 1]
    for i in range(x.size):
        if state[i] == X:
            continue
        k = cell(y[i]) * wd + cell(x[i])
        if k < a or k > b:
            continue
        for m in range(door_cell_ptr[dd], door_cell_ptr[dd + 1]):
            if door_cells[m] == k:
                return True
    return False


@njit(cache=True, error_model="numpy")
def triggers(state, kind, ksoldier, x, y, trig_kind, trig_state, trig_value, trig_active, trig_fired, zbits, counts):
    """Which active triggers hold now: a state count above/below a value, or an agent of a state in a zone
    (bit ``q`` of ``zbits`` marks trigger ``q``'s zone). States: S E Z H D X, and M for healthy soldiers."""
    need_enter = False
    need = False
    for q in range(trig_kind.size):
        if trig_active[q]:
            need = True
            need_enter |= trig_kind[q] == ENTERS
    if not need:
        return False
    counts[:] = 0
    for i in range(state.size):
        st = state[i]
        if st == S and ksoldier[kind[i]]:
            st = M
        counts[st] += 1
        if need_enter and st != D and st != X:
            bits = zbits[int(y[i]), int(x[i])]
            if bits:
                for q in range(trig_kind.size):
                    if trig_active[q] and trig_kind[q] == ENTERS and trig_state[q] == st and (bits >> q) & 1:
                        trig_fired[q] = True
    fired = False
    for q in range(trig_kind.size):
        if trig_active[q]:
            if trig_kind[q] == ABOVE and counts[trig_state[q]] > trig_value[q]:
                trig_fired[q] = True
            elif trig_kind[q] == BELOW and counts[trig_state[q]] < trig_value[q]:
                trig_fired[q] = True
            fired |= trig_fired[q]
    return fired


@njit(cache=True, error_model="numpy")
def _soldier(
    i, k, t, x, y, x0, y0, state, head_zomb, nxt, B, block, light, krange, khit, kdetect,
    kwalk, route, leg, route_ptr, route_wp, wnext, wdist, rs,
    ev_t, ev_kind, ev_agent, ev_x, ev_y, ev_aux, n_ev,
):  # fmt: skip
    """A soldier: every zombie in sight within range is destroyed with probability ``khit`` this step, every
    humbie in sight within range discovered (and shot) with probability ``kdetect``; one independent draw per
    target. A soldier engaging a zombie holds its ground; otherwise it walks its route (a loop of waypoints
    along their distance fields), or stands guard without one."""
    xi = x[i]
    yi = y[i]
    nbr = head_zomb.shape[0]
    nbc = head_zomb.shape[1]
    br = min(int(yi / B), nbr - 1)
    bc = min(int(xi / B), nbc - 1)
    engaged = False
    for rr in range(max(br - 1, 0), min(br + 2, nbr)):
        for cc in range(max(bc - 1, 0), min(bc + 2, nbc)):
            j = head_zomb[rr, cc]
            while j >= 0:
                sj = state[j]
                if sj == Z or sj == H:
                    ddx = x0[j] - xi
                    ddy = y0[j] - yi
                    r_eff = krange[k] * light[int(y0[j]), int(x0[j])]
                    if ddx * ddx + ddy * ddy <= r_eff * r_eff and sees(xi, yi, x0[j], y0[j], block):
                        engaged |= sj == Z
                        if urand(rs) < (khit[k] if sj == Z else kdetect[k]):
                            state[j] = D
                            n_ev = log(
                                ev_t, ev_kind, ev_agent, ev_x, ev_y, ev_aux, n_ev, t,
                                SHOT if sj == Z else DISCOVER, j, x0[j], y0[j], i,
                            )  # fmt: skip
                j = nxt[j]
    ro = route[i]
    if engaged or ro < 0:
        return n_ev
    a = route_ptr[ro]
    m = route_ptr[ro + 1] - a
    r = int(yi)
    c = int(xi)
    wp = -1
    for _ in range(m):
        wp = route_wp[a + leg[i]]
        dd = wdist[wp, r, c]
        if np.isfinite(dd) and dd > 0.0:
            break
        leg[i] = (leg[i] + 1) % m
        wp = -1
    if wp < 0:
        return n_ev
    tx = c + wnext[wp, r, c, 1] + 0.5 - xi
    ty = r + wnext[wp, r, c, 0] + 0.5 - yi
    d = np.sqrt(tx * tx + ty * ty)
    if d > 1e-6:
        move(i, tx / d, ty / d, min(kwalk[k], d + 0.5), False, -1, x, y, block, block)
    return n_ev


@njit(cache=True, error_model="numpy")
def _humbie_hide(i, best, bd2, x, y, x0, y0, block, room, hnext, hdist, P):
    """A hiding humbie: runs from the nearest soldier in sight (``best``), keeping to the way to a hiding place
    where it can; otherwise walks to the nearest hiding place (goal field 2) and keeps still there."""
    xi = x[i]
    yi = y[i]
    r = int(yi)
    c = int(xi)
    gx = 0.0
    gy = 0.0
    if np.isfinite(hdist[2, r, c]) and hdist[2, r, c] > 0.0:
        gx = c + hnext[2, r, c, 1] + 0.5 - xi
        gy = r + hnext[2, r, c, 0] + 0.5 - yi
    gd = np.sqrt(gx * gx + gy * gy)
    if best >= 0:
        d = max(np.sqrt(bd2), 1e-6)
        ax = (xi - x0[best]) / d
        ay = (yi - y0[best]) / d
        if gd > 1e-6 and gx * ax + gy * ay > -0.3 * gd:
            ax += gx / gd
            ay += gy / gd
        an = np.sqrt(ax * ax + ay * ay)
        if an > 1e-6:
            move(i, ax / an, ay / an, P[P_HRUN], False, -1, x, y, block, room)
    elif gd > 1e-6:
        move(i, gx / gd, gy / gd, min(P[P_HWALK], gd + 0.5), False, -1, x, y, block, room)


@njit(cache=True, error_model="numpy")
def _human_move(i, humbie, x, y, heading, goal, hidden, block, room, hnext, hdist, speed, P, rs):
    """A human (or humbie) not fleeing: hidden ones mill about their room, others follow their goal field."""
    if hidden[i] >= 0:
        wander(i, speed * P[P_HIDE_SPEED], False, hidden[i], P[P_TURN_SD], x, y, heading, block, room, rs)
        return
    r = int(y[i])
    c = int(x[i])
    g = goal[i]
    if not np.isfinite(hdist[g, r, c]):
        g = 1 - g
        if not np.isfinite(hdist[g, r, c]):
            wander(i, speed, False, -1, P[P_TURN_SD], x, y, heading, block, room, rs)
            return
        goal[i] = g
    tx = c + hnext[g, r, c, 1] + 0.5 - x[i]
    ty = r + hnext[g, r, c, 0] + 0.5 - y[i]
    d = np.sqrt(tx * tx + ty * ty)
    if d > 1e-6:
        move(i, tx / d, ty / d, min(speed, d + 0.5), False, -1, x, y, block, room)


@njit(cache=True, error_model="numpy")
def grid_epidemic(cx, cy, infected, width, height, p, nsteps, counts):
    """The Mesa comparison model: random walk to one of 8 neighbours on a torus, then every
    infected agent infects each healthy agent in its cell with probability ``p``."""
    n = cx.size
    for _ in range(nsteps):
        counts[:] = 0
        for i in range(n):
            k = np.random.randint(0, 8)
            k = k + 1 if k >= 4 else k
            cx[i] = (cx[i] + k % 3 - 1) % width
            cy[i] = (cy[i] + k // 3 - 1) % height
            if infected[i]:
                counts[cy[i], cx[i]] += 1
        for i in range(n):
            m = counts[cy[i], cx[i]]
            if not infected[i] and m > 0 and np.random.random() < 1.0 - (1.0 - p) ** m:
                infected[i] = True
    return int(infected.sum())
