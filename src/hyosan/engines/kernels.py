"""Numba kernels for the stochastic engines, generated per model and cached on disk.

The SSA kernel is straight-line code: compartments and propensities are local variables, each
transition's update touches only the compartments it changes, and recomputes only the
propensities that read them (the dependency graph). Both kernels run one *segment* of a replicate,
from ``t`` to ``t_stop`` (the next scheduled event or the horizon), so that events are applied in
Python at their exact times; exponential waiting times are memoryless, so cutting a run into
segments keeps it exact.

Kernel return value: ``(status, t, k, fired, bad, extra, t_fire, t_zero)`` with status ``OK`` (reached ``t_stop``),
``ABSORBED`` (total propensity 0; ``t`` is the time of the last transition), ``BAD_RATE``
(propensity ``bad`` is negative or not finite at time ``t``) or ``TOO_MANY`` (``max_fired``
reached). ``k`` is the next report index still to fill; ``out[:k]`` holds the reported states;
``extra`` is the event-log length (ssa) or the number of leaps (tau); ``t_fire`` the time of the
last transition fired; ``t_zero`` the last time a transition emptied every ``infected``
compartment (-1 if none did).
Rates that read ``t`` are held constant between transitions (re-evaluated after each one).
"""

from __future__ import annotations

import numpy as np

from hyosan.model.codegen import kernel_module, rates_body, rename_map
from hyosan.model.spec import Model

OK, ABSORBED, BAD_RATE, TOO_MANY = 0, 1, 2, 3

_HEADER = "from numba import njit\n\nINF = math.inf\n\n"
_JIT = '@njit(cache=True, error_model="numpy", nogil=True)'


def dependency_graph(model: Model) -> list[list[int]]:
    """For each transition j, the transitions whose rate must be recomputed after j fires."""
    stoich = model.stoichiometry
    pop = model.population_index
    deps = []
    for j in range(len(model.transitions)):
        changed = {model.compartments[i] for i in np.flatnonzero(stoich[j])}
        if stoich[j, pop].sum() != 0:
            changed.add("N")
        deps.append([m for m, tr in enumerate(model.transitions) if tr.rate.names & changed])
    return deps


def ssa_source(model: Model) -> str:
    """Source of ``ssa_segment(rng, x, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired)``."""
    names = rename_map(model)
    comps = model.compartments
    m = len(model.transitions)
    stoich = model.stoichiometry
    pop = set(model.population_index.tolist())
    rate = [tr.rate.source(names) for tr in model.transitions]
    timed = [j for j, tr in enumerate(model.transitions) if "t" in tr.rate.names]
    deps = dependency_graph(model)
    infected = [comps.index(c) for c in model.infected]

    def check(j: int, ind: str, on_bad: str) -> list[str]:
        return [f"{ind}if not (a_{j} >= 0.0 and a_{j} < INF):", f"{ind}    {on_bad}"]

    def record(ind: str) -> list[str]:
        return [f"{ind}out[k, {i}] = {names[c]}" for i, c in enumerate(comps)] + [f"{ind}k += 1"]

    L = [_JIT, "def ssa_segment(rng, x, p, t, t_stop, times, k, out, log_t, log_j, nlog, max_fired):"]
    L += rates_body(model, "    ", as_float=True)
    L += ["    nt = times.shape[0]", "    cap = log_t.shape[0]", "    fired = 0", "    status = 0", "    bad = -1"]
    L += ["    t_fire = t", "    t_zero = -1.0"]
    for j in range(m):
        L.append(f"    a_{j} = {rate[j]}")
        L += check(j, "    ", f"return 2, t, k, 0, {j}, nlog, t, -1.0")
    L += ["    while True:", "        a0 = " + " + ".join(f"a_{j}" for j in range(m))]
    L += ["        if not (a0 > 0.0):", "            status = 1"]
    L += ["            while k < nt and times[k] < t_stop:", *record("                "), "            break"]
    L += ["        t_next = t + rng.standard_exponential() / a0"]
    L += ["        while k < nt and times[k] < t_next and times[k] < t_stop:", *record("            ")]
    L += ["        if t_next >= t_stop:", "            t = t_stop", "            break"]
    L += ["        if fired >= max_fired:", "            status = 3", "            break"]
    L += ["        t = t_next", "        r = rng.random() * a0"]

    def body(j: int) -> list[str]:
        lines = [f"            j = {j}"]
        for i in np.flatnonzero(stoich[j]):
            d = int(stoich[j, i])
            lines.append(f"            {names[comps[i]]} {'+' if d > 0 else '-'}= {float(abs(d))!r}")
        dn = int(sum(int(stoich[j, i]) for i in pop))
        if dn:
            lines.append(f"            N {'+' if dn > 0 else '-'}= {float(abs(dn))!r}")
        if infected and any(stoich[j, i] < 0 for i in infected):
            lines.append(f"            if {' and '.join(f'{names[comps[i]]} == 0.0' for i in infected)}:")
            lines.append("                t_zero = t")
        for d in deps[j]:
            if d not in timed:
                lines.append(f"            a_{d} = {rate[d]}")
                lines += check(d, "            ", f"bad = {d}")
        return lines

    branches = [(" + ".join(f"a_{i}" for i in range(j + 1)), j) for j in range(m - 1)]
    branches += [(f"a_{j} > 0.0", j) for j in range(m - 1, -1, -1)]
    for n, (cond, j) in enumerate(branches):
        test = cond if cond.endswith("> 0.0") else f"r < {cond}"
        L += [f"        {'if' if n == 0 else 'elif'} {test}:", *body(j)]
    L += ["        else:", "            j = -1", "            status = 1", "            break"]
    for d in timed:
        L.append(f"        a_{d} = {rate[d]}")
        L += check(d, "        ", f"bad = {d}")
    L += [
        "        fired += 1",
        "        t_fire = t",
        "        if nlog < cap:",
        "            log_t[nlog] = t",
        "            log_j[nlog] = j",
    ]
    L += ["            nlog += 1", "        if bad >= 0:", "            status = 2", "            break"]
    L += [f"    x[{i}] = np.int64({names[c]})" for i, c in enumerate(comps)]
    L += ["    return status, t, k, fired, bad, nlog, t_fire, t_zero"]
    return _HEADER + "\n".join(L) + "\n"


def ssa_kernel(model: Model):
    """The compiled SSA segment kernel of ``model`` (compiled once per structure, cached on disk)."""
    return kernel_module(model, "ssa", ssa_source(model)).ssa_segment


def _rates_source(model: Model) -> str:
    names = rename_map(model)
    lines = [_JIT, "def rates(t, x, p, a):", *rates_body(model, "    ", as_float=True)]
    lines += [f"    a[{j}] = {tr.rate.source(names)}" for j, tr in enumerate(model.transitions)]
    lines.append("    return a")
    return "\n".join(lines) + "\n"


_TAU_LOOP = """
@njit(cache=True, error_model="numpy", nogil=True)
def _bad(a):
    for j in range(a.shape[0]):
        if not (a[j] >= 0.0 and a[j] < INF):
            return j
    return -1


@njit(cache=True, error_model="numpy", nogil=True)
def _pick(rng, a, total, mask):
    r = rng.random() * total
    last = -1
    for j in range(a.shape[0]):
        if mask[j] and a[j] > 0.0:
            last = j
            r -= a[j]
            if r < 0.0:
                return j
    return last


@njit(cache=True, error_model="numpy", nogil=True)
def _cleared(x, infected):
    if infected.shape[0] == 0:
        return False
    for i in infected:
        if x[i] != 0.0:
            return False
    return True


@njit(cache=True, error_model="numpy", nogil=True)
def tau_segment(rng, xi, p, t, t_stop, times, k, out, V, hor, horc, watch, infected, eps, nc, ssa_below, max_fired):
    m, c = V.shape
    x = xi.astype(np.float64)
    a = np.empty(m)
    crit = np.zeros(m, dtype=np.bool_)
    every = np.ones(m, dtype=np.bool_)
    K = np.zeros(m)
    new = np.empty(c)
    nt = times.shape[0]
    fired = 0
    leaps = 0
    t_fire = t
    t_zero = -1.0
    cleared = _cleared(x, infected)
    status = 0
    bad = -1
    while True:
        rates(t, x, p, a)
        bad = _bad(a)
        if bad >= 0:
            status = 2
            break
        a0 = a.sum()
        if not (a0 > 0.0):
            status = 1
            while k < nt and times[k] < t_stop:
                out[k, :] = x
                k += 1
            break
        if fired >= max_fired:
            status = 3
            break
        mu = np.zeros(c)
        s2 = np.zeros(c)
        for j in range(m):
            lim = INF
            for i in range(c):
                if V[j, i] < 0:
                    lim = min(lim, np.floor(x[i] / -V[j, i]))
            crit[j] = a[j] > 0.0 and lim < nc
            if not crit[j]:
                for i in range(c):
                    mu[i] += V[j, i] * a[j]
                    s2[i] += V[j, i] * V[j, i] * a[j]
        tau1 = INF
        for i in range(c):
            if not watch[i]:
                continue
            g = float(hor[i])
            if horc[i] == 2 and x[i] > 1.0:
                g = (2.0 + 1.0 / (x[i] - 1.0)) * (1.0 if hor[i] == 2 else 1.5)
            elif horc[i] == 3 and x[i] > 2.0:
                g = 3.0 + 1.0 / (x[i] - 1.0) + 2.0 / (x[i] - 2.0)
            b = max(eps * x[i] / g, 1.0)
            if mu[i] != 0.0:
                tau1 = min(tau1, b / abs(mu[i]))
            if s2[i] > 0.0:
                tau1 = min(tau1, b * b / s2[i])
        if tau1 < ssa_below / a0:
            for _ in range(100):
                t_next = t + rng.standard_exponential() / a0
                while k < nt and times[k] < t_next and times[k] < t_stop:
                    out[k, :] = x
                    k += 1
                if t_next >= t_stop:
                    break
                t = t_next
                j = _pick(rng, a, a0, every)
                for i in range(c):
                    x[i] += V[j, i]
                fired += 1
                t_fire = t
                now = _cleared(x, infected)
                if now and not cleared:
                    t_zero = t
                cleared = now
                rates(t, x, p, a)
                bad = _bad(a)
                if bad >= 0:
                    break
                a0 = a.sum()
                if not (a0 > 0.0):
                    break
            if bad >= 0:
                status = 2
                break
            if t_next >= t_stop:
                t = t_stop
                break
            continue
        a0c = 0.0
        for j in range(m):
            if crit[j]:
                a0c += a[j]
        tau2 = rng.standard_exponential() / a0c if a0c > 0.0 else INF
        target = t_stop
        if k < nt and times[k] < t_stop:
            target = times[k]
        while True:
            tau = min(tau1, tau2)
            fire = tau2 <= tau1
            if t + tau >= target:
                tau = target - t
                fire = False
            for j in range(m):
                K[j] = 0.0 if crit[j] else rng.poisson(a[j] * tau)
            if fire:
                K[_pick(rng, a, a0c, crit)] = 1.0
            ok = True
            for i in range(c):
                s = x[i]
                for j in range(m):
                    s += K[j] * V[j, i]
                new[i] = s
                if s < 0.0:
                    ok = False
            if ok:
                break
            tau1 = tau1 / 2.0
        x[:] = new
        n = int(K.sum())
        fired += n
        leaps += 1
        if t + tau >= target:
            t = target
        else:
            t = t + tau
        if n > 0:
            t_fire = t
            now = _cleared(x, infected)
            if now and not cleared:
                t_zero = t
            cleared = now
        if t >= t_stop:
            t = t_stop
            break
        while k < nt and times[k] <= t:
            out[k, :] = x
            k += 1
    for i in range(c):
        xi[i] = np.int64(x[i])
    return status, t, k, fired, bad, leaps, t_fire, t_zero
"""


def tau_source(model: Model) -> str:
    """Source of ``tau_segment`` (Cao–Gillespie–Petzold 2006 tau selection) with the model's rates."""
    return _HEADER + _rates_source(model) + _TAU_LOOP


def tau_kernel(model: Model):
    """The compiled tau-leaping segment kernel of ``model``."""
    return kernel_module(model, "tau", tau_source(model)).tau_segment


def tau_tables(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stoichiometry (float), highest reactant order per compartment, its coefficient there, and
    which compartments bound the step (those consumed or read by a rate)."""
    comps = model.compartments
    c = len(comps)
    hor = np.ones(c, dtype=np.int64)
    horc = np.ones(c, dtype=np.int64)
    watch = np.zeros(c, dtype=np.bool_)
    for tr in model.transitions:
        order = sum(k for _, k in tr.reactants)
        for name, coef in tr.reactants:
            i = comps.index(name)
            watch[i] = True
            if order > hor[i] or (order == hor[i] and coef > horc[i]):
                hor[i], horc[i] = order, coef
        for name in tr.rate.names:
            if name in comps:
                watch[comps.index(name)] = True
    return model.stoichiometry.astype(np.float64), hor, horc, watch
