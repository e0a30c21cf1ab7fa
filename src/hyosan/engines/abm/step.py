"""Numba step kernels of the agent engine.

One call advances every agent ``nsteps`` time steps. Each step: the agents on the map are put in a fresh
random order from the run's stream (:func:`hyosan.engines.abm.order.band_order`; the scenario's ``time.update``:
``random``, one band, a uniformly random permutation; ``banded``, bands of rows in a random order, a random order
within each, so that neighbours act close together in time and their data stay in cache); the bitten
whose delay is over turn; cell lists (bins of side ``B`` cells, one list of prey — healthy and bitten —
and one of zombies) are rebuilt; groups of friends share alerts, choose, wait and split
(:func:`hyosan.engines.abm.groups.bands`; a member waiting walks at ``GR.pace``); then every agent, in
that order, senses (line of sight by Bresenham over the grid; walls, shut and barricaded doors block it)
the others where they stood at the start of the step (``x0``, ``y0``) and touches (bites, kills) those
still there (not escaped), then moves. Sensing
is synchronous; the changes of state are sequential, in the shuffled order, so no part of the map (the
top rows come first in index order) acts first more often than another. Moves go in sub-steps of at
most one cell per axis (so none skips a wall) with axis-separated collision; a sub-step is kept only if
the cell of the position as stored (float64; the cell is the floor, so x < 0 is off the map) is on the
map and passable, so no agent ever stands on a wall, a closed door or off the map. A hider who decides
to barricade (``barricader``: one per safe room, -1 for none) bars each open door of the room at the
end of the first step in which nobody stands in it, while it is still hidden there and not turned.
Soldiers (healthy agents of a soldier kind) shoot zombies and discover humbies in range and walk routes
along waypoint fields; hiding humbies keep to hiding places and run from soldiers (both in
:mod:`hyosan.engines.abm.behaviours`). Before each step :func:`triggers` checks the pending intervention
triggers, so that the caller can fire them at step resolution.

Randomness: the hot draws (order, turning, contacts, barricades) come from a per-run xorshift64* stream
``SC.rs`` passed in (:func:`urand`); incubation delays from Numba's generator, seeded once per run by
:func:`seed`. A run is single-threaded, so the same seed gives the same run.

Positions are in cells (x = column, y = row, cell centres at +0.5); times in seconds. The state comes grouped
in the typed records of :mod:`hyosan.engines.abm.records`; the codes are in :mod:`hyosan.engines.abm.codes`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hyosan.engines.abm import siege as sgm
from hyosan.engines.abm.behaviours import human_move, humbie_hide, log, occupied, soldier, triggers
from hyosan.engines.abm.bins import gap2, offset
from hyosan.engines.abm.codes import *  # noqa: F403  (the codes are part of this module's face)
from hyosan.engines.abm.codes import (
    BARRICADE,
    BARRICADED,
    BITE,
    BLOCKS_HUMANS,
    BLOCKS_ZOMBIES,
    ESCAPE,
    EXIT,
    HIDE,
    HUMBIE,
    KILL,
    OPAQUE,
    OPEN,
    P_ALARM,
    P_B,
    P_BARRICADE,
    P_BITE,
    P_HBEH,
    P_HBITE,
    P_HSIGHT,
    P_HUMBIE,
    P_HUMBIE_BEH,
    P_HWALK,
    P_KILL,
    P_RC,
    P_TURN_SD,
    P_ZBEH,
    P_ZRUN,
    P_ZSIGHT,
    P_ZWALK,
    TURN,
    D,
    E,
    H,
    S,
    X,
    Z,
)
from hyosan.engines.abm.crowd import C_CAP, C_HOP, enter, leave
from hyosan.engines.abm.groups import bands
from hyosan.engines.abm.motion import cell, incubation, move, passable, seed, sees, urand, wander
from hyosan.engines.abm.order import band_order, warm

__all__ = ["advance", "cell", "incubation", "move", "passable", "seed", "sees", "triggers", "urand", "wander"]


@njit(cache=True, inline="always", error_model="numpy")
def row_bin(v, B, inv_b, hop):
    """The cell-list bin of coordinate ``v``: a product under cell motion (positions are cell centres, never near a
    bin's edge, so it equals the quotient), the quotient ``v / B`` otherwise (kept so that runs stay as they were)."""
    return int(v * inv_b) if hop else int(v / B)


@njit(cache=True, error_model="numpy")
def advance(t0, dt, nsteps, A, W, KT, P, SC, L, n_ev, T, CR, GR, SG):
    """Advance ``nsteps`` steps of ``dt`` seconds from ``t0``; returns (steps done, events, doors changed, fired).

    ``A`` agents, ``W`` world, ``KT`` kinds, ``P`` parameters, ``SC`` scratch, ``L`` the event buffer holding
    ``n_ev`` events, ``T`` the triggers, ``CR`` crowding, ``GR`` groups, ``SG`` the siege (records of
    :mod:`hyosan.engines.abm.records`). Stops early when the
    event buffer could overflow in the next step (an agent logs at most two events a step, a soldier one per
    target in range, plus one per barricaded door and one split or regroup per group member), right after a
    step in which doors changed (so the caller recomputes distance fields before the next step, whatever the
    chunking), and before a step at whose
    start an active trigger holds (``fired``; ``T.fired`` says which), so the caller applies interventions
    at step resolution.
    """
    x, y, heading, state, kind = A.x, A.y, A.heading, A.state, A.kind
    goal, alert, hidden, fate, turn_at = A.goal, A.alert, A.hidden, A.fate, A.turn_at
    grid, block, door_state, exit_id, room, light = W.grid, W.block, W.door_state, W.exit_id, W.room, W.light
    noise_next, noise_val, noise_on = W.noise_next, W.noise_val, W.noise_on
    head_prey, head_zomb, nxt, x0, y0 = SC.head_prey, SC.head_zomb, SC.nxt, SC.x0, SC.y0
    order, barricader, rs = SC.order, SC.barricader, SC.rs
    kwalk, krun, ksight, ksoldier = KT.walk, KT.run, KT.sight, KT.soldier
    occ, cp = CR.occ, CR.par
    hnext, hdist, calm, leaving_, pace = W.hnext, W.hdist, SG.calm, SG.leaving, GR.pace
    crowd = cp[C_CAP] > 0
    hop = cp[C_HOP] > 0
    inv_b = 1.0 / P[P_B]
    hgt, wid = block.shape
    banded = SC.band.size > 1
    cap = int(cp[C_CAP])
    siege = P[sgm.P_SIEGE] != 0 and SG.rdist.shape[0] > 0
    n = x.size
    B = P[P_B]
    nbr = head_prey.shape[0]
    nbc = head_prey.shape[1]
    rc2 = P[P_RC] * P[P_RC]
    # the parameters read per agent, in locals: P is float64 like x and y, so every store to a position
    # would otherwise reload them
    zbeh = P[P_ZBEH]
    hbeh = P[P_HBEH]
    hmb = P[P_HUMBIE_BEH]
    zwalk = P[P_ZWALK]
    pbite = P[P_BITE]
    phbite = P[P_HBITE]
    pkill = P[P_KILL]
    zsight = P[P_ZSIGHT]
    hsight = P[P_HSIGHT]
    zrun = P[P_ZRUN]
    hwalk = P[P_HWALK]
    turn_sd = P[P_TURN_SD]
    phumbie = P[P_HUMBIE]
    doors_changed = False
    for s in range(nsteps):
        if L.t.size - n_ev < 2 * n + door_state.size + 8 + GR.members.size + SG.reserve:
            return s, n_ev, doors_changed, False
        if T.kind.size and triggers(A, KT, T):
            return s, n_ev, doors_changed, True
        t = t0 + s * dt
        alarm = t >= P[P_ALARM]
        lt = sgm.light_now(t, P)
        head_prey[:] = -1
        head_zomb[:] = -1
        x0[:] = x
        y0[:] = y
        if crowd and s == 0:  # afterwards every move, death and escape keeps it
            occ[:] = 0
            for i in range(n):
                if state[i] != D and state[i] != X:
                    enter(occ, x[i], y[i])
        m = band_order(state, y, B, order, SC.band, SC.bperm, nxt, rs)
        qb = 0
        edge = 0
        for q in range(m):
            if q == edge:
                while edge == q:
                    edge = SC.bperm[qb]
                    qb += 1
                if banded:  # one band (time.update: random) is the whole map: too big to warm
                    w = warm(order, q, edge, x, y, state, kind, hidden, heading)
                    if w != w:  # never (positions are finite): keeps the reads
                        rs[0] ^= np.uint64(1)
            i = order[q]
            st = state[i]
            if st == E and turn_at[i] <= t:
                st = H if fate[i] else Z
                state[i] = st
                n_ev = log(L, n_ev, t, HUMBIE if st == H else TURN, i, x[i], y[i], -1)
                n_ev = sgm.turned(i, t, hidden, SG, L, n_ev, x, y)
                hidden[i] = -1
            if st == S or st == E:
                br = min(row_bin(y[i], B, inv_b, hop), nbr - 1)
                bc = min(row_bin(x[i], B, inv_b, hop), nbc - 1)
                nxt[i] = head_prey[br, bc]
                head_prey[br, bc] = i
            elif st == Z or st == H:
                br = min(row_bin(y[i], B, inv_b, hop), nbr - 1)
                bc = min(row_bin(x[i], B, inv_b, hop), nbc - 1)
                nxt[i] = head_zomb[br, bc]
                head_zomb[br, bc] = i
        if GR.ptr.size > 1:
            n_ev = bands(t, alarm, A, W, KT, P, SC, GR, L, n_ev)
        qb = 0
        edge = 0
        for q in range(m):
            if q == edge:
                while edge == q:
                    edge = SC.bperm[qb]
                    qb += 1
                if banded:  # one band (time.update: random) is the whole map: too big to warm
                    w = warm(order, q, edge, x, y, state, kind, hidden, heading)
                    if w != w:  # never (positions are finite): keeps the reads
                        rs[0] ^= np.uint64(1)
            i = order[q]
            st = state[i]
            if st == D or st == X:
                continue
            hop_n = -1.0
            xi = x[i]
            yi = y[i]
            if st == Z or st == H:
                br = min(row_bin(yi, B, inv_b, hop), nbr - 1)
                bc = min(row_bin(xi, B, inv_b, hop), nbc - 1)
                zombie = st == Z
                best = -1
                bd2 = np.inf
                reach = zsight if zombie else (hsight if hmb == 1 else 0.0)
                if zombie and zbeh != 0 and not siege:
                    reach = 0.0  # a zombie that does not hunt uses only its contacts
                for nb in range(1 if reach == 0.0 and rc2 == 0.0 else 9):  # contact: cell, own bin only
                    dr, dc = offset(nb)
                    rr = br + dr
                    cc = bc + dc
                    if rr < 0 or cc < 0 or rr >= nbr or cc >= nbc:
                        continue
                    j = head_prey[rr, cc]
                    if j < 0:
                        continue
                    e2 = gap2(xi, yi, rr, cc, B)
                    if e2 > rc2 and (e2 >= bd2 or e2 > reach * reach):
                        continue
                    while j >= 0:
                        if state[j] != S and state[j] != E:
                            j = nxt[j]
                            continue
                        ddx = x0[j] - xi
                        ddy = y0[j] - yi
                        d2 = ddx * ddx + ddy * ddy
                        if d2 <= rc2 and (d2 == 0.0 or sees(xi, yi, x0[j], y0[j], block)):  # cellmates see
                            u = urand(rs)
                            pb = pbite if zombie else phbite
                            if u < pb:
                                if state[j] == S:
                                    state[j] = E
                                    turn_at[j] = t + incubation(P)
                                    fate[j] = urand(rs) < phumbie
                                    alert[j] = True
                                    n_ev = log(L, n_ev, t, BITE, j, x0[j], y0[j], i)
                                    n_ev = sgm.bitten(j, t, x0[j], y0[j], hidden, SG, L, n_ev, P, rs)
                            elif zombie and u < pb + pkill:
                                state[i] = D
                                leave(occ, cp, xi, yi)
                                n_ev = log(L, n_ev, t, KILL, i, xi, yi, j)
                                break
                        if d2 < bd2 and (zombie or ksoldier[kind[j]]):
                            r_eff = reach * light[int(y0[j]), int(x0[j])] * lt
                            if d2 <= r_eff * r_eff and sees(xi, yi, x0[j], y0[j], block):
                                best = j
                                bd2 = d2
                        j = nxt[j]
                    if state[i] == D:
                        break
                if state[i] == D:
                    continue
                if not zombie and hmb == 1:
                    humbie_hide(i, best, bd2, x, y, x0, y0, block, room, hnext, hdist, P, occ, cp)
                elif not zombie:
                    human_move(i, x, y, heading, goal, hidden, block, room, hnext, hdist, hwalk, P, CR, rs)
                elif best < 0 and siege and sgm.zombie(i, t, zbeh == 0, x, y, door_state, block, room, occ, cp, SG, P):
                    pass
                elif zbeh == 2:
                    pass
                elif best >= 0 and zbeh == 0:
                    d = np.sqrt(bd2)
                    if d > 1e-6:
                        move(i, (x0[best] - xi) / d, (y0[best] - yi) / d, min(zrun, d), True, -1,
                             x, y, block, room, occ, cp)  # fmt: skip
                elif noise_on and zbeh == 0 and noise_val[int(yi), int(xi)] < 0:
                    r = int(yi)
                    c = int(xi)
                    tx = c + noise_next[r, c, 1] + 0.5 - xi
                    ty = r + noise_next[r, c, 0] + 0.5 - yi
                    d = np.sqrt(tx * tx + ty * ty)
                    if d > 1e-6:
                        move(i, tx / d, ty / d, min(zwalk, d), True, -1, x, y, block, room, occ, cp)
                elif hop:
                    hop_n = zwalk
                else:
                    wander(i, zwalk, True, -1, turn_sd, x, y, heading, block, room, occ, cp, rs)
            else:
                k = kind[i]
                if ksoldier[k]:
                    n_ev = soldier(i, t, B, A, W, KT, SC, L, n_ev, CR)
                    continue
                if hidden[i] >= 0:
                    sgm.hider(i, x, y, hidden, alert, goal, SG, P, rs)
                if hbeh == 2:
                    continue
                if hbeh == 1 and hop:
                    hop_n = kwalk[k]
                elif hbeh == 1:
                    wander(i, kwalk[k], False, hidden[i], turn_sd, x, y, heading, block, room, occ, cp, rs)
                else:
                    br = min(row_bin(yi, B, inv_b, hop), nbr - 1)
                    bc = min(row_bin(xi, B, inv_b, hop), nbc - 1)
                    best = -1
                    bd2 = np.inf
                    for nb in range(9):
                        dr, dc = offset(nb)
                        rr = br + dr
                        cc = bc + dc
                        if rr < 0 or cc < 0 or rr >= nbr or cc >= nbc:
                            continue
                        j = head_zomb[rr, cc]
                        if j < 0:
                            continue
                        e2 = gap2(xi, yi, rr, cc, B)
                        if e2 >= bd2 or e2 > ksight[k] * ksight[k]:
                            continue
                        while j >= 0:
                            if state[j] == Z:
                                ddx = x0[j] - xi
                                ddy = y0[j] - yi
                                d2 = ddx * ddx + ddy * ddy
                                if d2 < bd2:
                                    r_eff = ksight[k] * light[int(y0[j]), int(x0[j])] * lt
                                    if d2 <= r_eff * r_eff and sees(xi, yi, x0[j], y0[j], block):
                                        best = j
                                        bd2 = d2
                            j = nxt[j]
                    if best >= 0:
                        alert[i] = True
                        if 0 <= hidden[i] < calm.size:
                            calm[hidden[i]] = t
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
                            move(i, ax / an, ay / an, krun[k], False, hidden[i], x, y, block, room, occ, cp)
                    elif alert[i] or alarm:
                        alert[i] = True
                        leaving = leaving_.size and leaving_[i]
                        if not (leaving and sgm.to_base(i, kwalk[k], x, y, block, room, occ, cp, SG)):
                            human_move(i, x, y, heading, goal, hidden, block, room, hnext, hdist,
                                       kwalk[k] * pace[i], P, CR, rs)  # fmt: skip
            if hop_n >= 0.0:
                # hops.hop_walk written out: a call passes about 50 words of array arguments, an inlined one pays
                # an atomic reference count per array; this is the Mesa model's whole move
                hr = -1 if st == Z else hidden[i]
                bit = BLOCKS_ZOMBIES if st == Z else BLOCKS_HUMANS
                nh = int(hop_n)
                if hop_n - nh > 1e-9 and urand(rs) < hop_n - nh:
                    nh += 1
                r = int(y[i])
                c = int(x[i])
                for _ in range(nh):
                    kk = int(urand(rs) * 8.0)
                    kk += kk >= 4
                    r2 = r + kk // 3 - 1
                    c2 = c + kk % 3 - 1
                    if (
                        r2 < 0
                        or c2 < 0
                        or r2 >= hgt
                        or c2 >= wid
                        or (block[r2, c2] | block[r, c2] | block[r2, c]) & bit
                    ):
                        continue
                    if hr >= 0 and room[r2, c2] != hr:
                        continue
                    if cap > 0:
                        if occ[r2, c2] >= cap:
                            continue
                        occ[r, c] -= 1
                        occ[r2, c2] += 1
                    r = r2
                    c = c2
                x[i] = c + 0.5
                y[i] = r + 0.5
            r = int(y[i])
            c = int(x[i])
            st = state[i]
            if st == D or st == Z:
                continue
            if (hbeh == 0 or st == H) and grid[r, c] == EXIT and hidden[i] < 0 and not ksoldier[kind[i]]:
                n_ev = log(L, n_ev, t, ESCAPE, i, x[i], y[i], exit_id[r, c])
                n_ev = sgm.escaped(i, t, exit_id[r, c], state, SG, L, n_ev, x, y)
                state[i] = X
                leave(occ, cp, x[i], y[i])
            elif goal[i] == 1 and hidden[i] < 0 and room[r, c] >= 0 and st != H and alert[i]:
                hr = room[r, c]
                hidden[i] = hr
                n_ev = log(L, n_ev, t, HIDE, i, x[i], y[i], hr)
                if hr < calm.size:
                    calm[hr] = t
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
            for q2 in range(W.room_door_ptr[hr], W.room_door_ptr[hr + 1]):
                dd = W.room_door_list[q2]
                if door_state[dd] != OPEN:
                    continue
                if occupied(dd, A, W):
                    left = True
                    continue
                door_state[dd] = BARRICADED
                for k in W.door_cells[W.door_cell_ptr[dd] : W.door_cell_ptr[dd + 1]]:
                    block[k // block.shape[1], k % block.shape[1]] = BLOCKS_HUMANS | BLOCKS_ZOMBIES | OPAQUE
                doors_changed = True
                n_ev = log(L, n_ev, t, BARRICADE, i, x[i], y[i], dd)
            if not left:
                barricader[hr] = -1
        n_ev, breached = sgm.end_of_step(t, A, W, SG, L, n_ev, P, rs)
        doors_changed |= breached
        if doors_changed:
            return s + 1, n_ev, True, False
    return nsteps, n_ev, False, False
