"""Numba pieces of the agent step: the event log, door occupancy, intervention triggers, soldiers, hiding
humbies and humans following their goal fields.

State comes grouped in the records of :mod:`hyosan.engines.abm.records`, except for the two moves made by
nearly every agent every step (:func:`humbie_hide`, :func:`human_move`): those take the dozen arrays they
read, because passing records into them made the whole step 16% slower (CPU time of hyosan-high).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hyosan.engines.abm.codes import (
    ABOVE,
    BELOW,
    DISCOVER,
    ENTERS,
    P_HIDE_SPEED,
    P_HRUN,
    P_HWALK,
    P_TURN_SD,
    SHOT,
    D,
    H,
    M,
    S,
    X,
    Z,
)
from hyosan.engines.abm.crowd import leave
from hyosan.engines.abm.motion import cell, follow, move, sees, urand, wander


@njit(cache=True, error_model="numpy")
def log(L, n_ev, t, kind, agent, xx, yy, aux):
    """Append one event to the buffer ``L`` at position ``n_ev``; returns the new length."""
    L.t[n_ev] = t
    L.kind[n_ev] = kind
    L.agent[n_ev] = agent
    L.x[n_ev] = xx
    L.y[n_ev] = yy
    L.aux[n_ev] = aux
    return n_ev + 1


@njit(cache=True, error_model="numpy")
def occupied(dd, A, W):
    """Does anyone on the map (not escaped; a body counts) lie or stand on a cell of door ``dd``?"""
    door_cells = W.door_cells
    door_cell_ptr = W.door_cell_ptr
    x = A.x
    y = A.y
    state = A.state
    wd = W.grid.shape[1]
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
def triggers(A, KT, T):
    """Which active triggers hold now: a state count above/below a value, or an agent of a state in a zone
    (bit ``q`` of ``T.zbits`` marks trigger ``q``'s zone). States: S E Z H D X, and M for healthy soldiers."""
    state = A.state
    kind = A.kind
    x = A.x
    y = A.y
    ksoldier = KT.soldier
    trig_kind = T.kind
    trig_state = T.state
    trig_value = T.value
    trig_active = T.active
    trig_fired = T.fired
    zbits = T.zbits
    counts = T.counts
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


@njit(cache=True, error_model="numpy", _nrt=False)
def soldier(i, t, B, A, W, KT, SC, L, n_ev, CR):
    """A soldier: every zombie in sight within range is destroyed with probability ``KT.hit`` this step, every
    humbie in sight within range discovered (and shot) with probability ``KT.detect``; one independent draw per
    target. A soldier engaging a zombie holds its ground; otherwise it walks its route (a loop of waypoints
    along their distance fields), or stands guard without one. Returns the new event count."""
    x = A.x
    y = A.y
    state = A.state
    leg = A.leg
    k = A.kind[i]
    x0 = SC.x0
    y0 = SC.y0
    nxt = SC.nxt
    rs = SC.rs
    head_zomb = SC.head_zomb
    block = W.block
    light = W.light
    wdist = W.wdist
    wnext = W.wnext
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
                    r_eff = KT.reach[k] * light[int(y0[j]), int(x0[j])]
                    if ddx * ddx + ddy * ddy <= r_eff * r_eff and sees(xi, yi, x0[j], y0[j], block):
                        engaged |= sj == Z
                        if urand(rs) < (KT.hit[k] if sj == Z else KT.detect[k]):
                            state[j] = D
                            leave(CR.occ, CR.par, x[j], y[j])
                            n_ev = log(L, n_ev, t, SHOT if sj == Z else DISCOVER, j, x0[j], y0[j], i)
                j = nxt[j]
    ro = A.route[i]
    if engaged or ro < 0:
        return n_ev
    a = W.route_ptr[ro]
    m = W.route_ptr[ro + 1] - a
    r = int(yi)
    c = int(xi)
    wp = -1
    for _ in range(m):
        wp = W.route_wp[a + leg[i]]
        dd = wdist[wp, r, c]
        if np.isfinite(dd) and dd > 0.0:
            break
        leg[i] = (leg[i] + 1) % m
        wp = -1
    if wp < 0:
        return n_ev
    follow(i, KT.walk[k], wnext[wp], wdist[wp], False, -1, x, y, block, block, CR.occ, CR.par)
    return n_ev


@njit(cache=True, error_model="numpy")
def humbie_hide(i, best, bd2, x, y, x0, y0, block, room, hnext, hdist, P, occ, cp):
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
            move(i, ax / an, ay / an, P[P_HRUN], False, -1, x, y, block, room, occ, cp)
    elif gd > 1e-6:
        follow(i, P[P_HWALK], hnext[2], hdist[2], False, -1, x, y, block, room, occ, cp)


@njit(cache=True, error_model="numpy", _nrt=False)
def human_move(i, x, y, heading, goal, hidden, block, room, hnext, hdist, speed, P, CR, rs):
    """A human (or humbie) not fleeing: hidden ones mill about their room, others follow their goal field."""
    occ = CR.occ
    cp = CR.par
    if hidden[i] >= 0:
        wander(i, speed * P[P_HIDE_SPEED], False, hidden[i], P[P_TURN_SD], x, y, heading, block, room, occ, cp, rs)
        return
    r = int(y[i])
    c = int(x[i])
    g = goal[i]
    if not np.isfinite(hdist[g, r, c]):
        g = 1 - g
        if not np.isfinite(hdist[g, r, c]):
            wander(i, speed, False, -1, P[P_TURN_SD], x, y, heading, block, room, occ, cp, rs)
            return
        goal[i] = g
    follow(i, speed, hnext[g], hdist[g], False, -1, x, y, block, room, occ, cp)
