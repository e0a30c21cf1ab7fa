"""Running a scenario on the agent engine and turning the run into the common result schema.

The time loop is in Python and hands chunks of steps to :func:`step.advance`; it stops at
report times, animation frames and the scenario's change points (alarm, noise start and end, timed
interventions), where it counts states, records frames, applies interventions and recomputes distance
fields. Triggered interventions are checked by the kernel at the start of every step (a count over the
agents, only while a trigger is pending): it returns before the first step at whose start one holds,
and the loop applies it there, so every intervention fires at step resolution. A scenario with
``screening`` also cuts chunks where :class:`screening.Gate` needs to hold, screen or shoot someone.

Reproducibility: replicate ``r`` uses child ``r`` of ``SeedSequence(seed)``: a numpy Generator for
the placement, a 64-bit state for the kernels' xorshift64* stream and a 32-bit seed for Numba's
generator (incubation delays). A replicate is one process and one thread, so results do not depend
on the number of workers; the kernel also returns after any step that changed doors, so they do not
depend on how the run is chunked (pictures on or off) either.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from hyosan import __version__
from hyosan.agents.fields import distance_field, next_cells, point_fields
from hyosan.agents.floorplan import EXIT, WALL, FloorPlan
from hyosan.agents.scenario import STATE_NAMES, STATES, Scenario
from hyosan.engines.abm import crowd, siege
from hyosan.engines.abm import step as K
from hyosan.engines.abm.actions import apply, set_down
from hyosan.engines.abm.agents import Agents, place
from hyosan.engines.abm.crowd import crowd_record
from hyosan.engines.abm.estimate import check_run
from hyosan.engines.abm.given import check_agents
from hyosan.engines.abm.groups import group_record
from hyosan.engines.abm.groups import parameters as group_parameters
from hyosan.engines.abm.records import AgentArrays, EventLog, KindArrays, Scratch, Triggers, WorldArrays, record
from hyosan.engines.abm.screening import Gate
from hyosan.parallel import Chunk, Executor, map_replicates
from hyosan.results import make_dataset


@dataclass
class Run:
    """What one replicate produced: counts per state at ``times`` (seconds), events, frames, agents."""

    times: np.ndarray
    counts: np.ndarray
    events: dict[str, np.ndarray]
    agents: Agents
    door_state: np.ndarray
    frames: list[tuple[float, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    frame_doors: list[np.ndarray] = field(default_factory=list)
    elapsed_s: float = 0.0
    steps: int = 0
    kernel_s: float = 0.0
    fired: list[tuple[float, str, str]] = field(default_factory=list)
    start_state: np.ndarray | None = None
    recorder: object | None = None


class World:
    """The kernel's view of a scenario's world: grids, door states, fields for humans and noise."""

    def __init__(self, sc: Scenario) -> None:
        w = sc.world
        self.sc = sc
        self.siege = None  # the run's SiegeArrays, whose fields follow the doors
        self.events: list[dict[str, np.ndarray]] = []  # logged by interventions (rescue), drained by the loop
        self.grid = w.kind.astype(np.uint8)
        self.door_state = sc.door_state.copy()
        order = np.argsort(w.door_id.ravel(), kind="stable")
        flat_ids = w.door_id.ravel()[order]
        self.door_cells = order[flat_ids >= 0].astype(np.int64)
        self.door_cell_ptr = np.searchsorted(flat_ids[flat_ids >= 0], np.arange(w.n_doors + 1)).astype(np.int64)
        self.block = blocking(w, self.door_state)
        self.exit_id = w.exit_id.astype(np.int16)
        self.light = sc.light
        self.room = np.full(w.shape, -1, dtype=np.int8)
        ptr, doors = [0], []
        for i, z in enumerate(sc.safe_rooms):
            self.room[w.zones[z]] = i
            doors += w.zone_doors(z)
            ptr.append(len(doors))
        self.n_safe = len(sc.safe_rooms)
        for mask in sc.screening.rooms if sc.screening else []:
            self.room[mask] = len(ptr) - 1
            ptr.append(len(doors))
        self.room_door_ptr = np.array(ptr, dtype=np.int32)
        self.room_door_list = np.array(doors, dtype=np.int32)
        self.exit_sealed = np.zeros(len(w.exits), dtype=bool)
        self.target: np.ndarray | None = sc.screening.hall if sc.screening else None
        self.hideouts = np.zeros(w.shape, dtype=bool)
        for z in sc.hideouts:
            self.hideouts |= w.zones[z]
        self.noises = list(sc.noises)
        self.waypoints = sorted({cell for route in sc.routes for cell in route})
        index = {cell: i for i, cell in enumerate(self.waypoints)}
        self.route_ptr = np.cumsum([0] + [len(r) for r in sc.routes]).astype(np.int32)
        self.route_wp = np.array([index[c] for r in sc.routes for c in r], dtype=np.int32)
        self.human_fields()
        self.noise_next = np.zeros((*w.shape, 2), dtype=np.int8)
        self.noise_val = np.full(w.shape, np.inf, dtype=np.float32)
        self.noise_on = False

    def walk(self) -> np.ndarray:
        """Cells humans may stand on now: not walls, shut, barricaded or sealed doors, or sealed exits."""
        w = self.sc.world
        walk = w.walkable(self.door_state, blocking=(1, 2, 3))
        if self.exit_sealed.any():
            walk &= ~np.isin(w.exit_id, np.flatnonzero(self.exit_sealed))
        return walk

    def human_fields(self) -> None:
        """Distances for humans to the nearest open exit or the evacuation target (goal 0), the nearest safe room
        (goal 1) and, for hiding humbies, the nearest hiding place (goal 2); and soldiers' waypoint fields."""
        w = self.sc.world
        walk = self.walk()
        rooms = (self.room >= 0) & (self.room < self.n_safe)
        goal = (w.kind == EXIT) if self.target is None else crowd.core(self.sc, self.target, walk)
        self.hdist = np.stack(
            [distance_field(walk, goal), distance_field(walk, rooms), distance_field(walk, self.hideouts)]
        )
        self.hnext = np.stack([next_cells(d, walk) for d in self.hdist])
        if self.waypoints:
            self.wdist = point_fields(walk, self.waypoints)
            self.wnext = np.stack([next_cells(d, walk) for d in self.wdist])
        else:
            self.wdist = np.zeros((1, 1, 1), np.float32)
            self.wnext = np.zeros((1, 1, 1, 2), np.int8)
        if self.siege is not None:
            siege.refresh(self.siege, self)

    def set_doors(self, zone: str, state: str) -> list[int]:
        """Open, shut or barricade every door of ``zone``; call :meth:`refresh` (or return True from a hook)."""
        codes = {"open": K.OPEN, "shut": K.SHUT, "barricaded": K.BARRICADED}
        doors = self.sc.world.zone_doors(zone)
        self.door_state[doors] = codes[state]
        return doors

    def refresh(self, t: float) -> None:
        """Recompute what depends on door states: blocking, human fields, the noise field."""
        self.block[:] = blocking(self.sc.world, self.door_state)
        if self.exit_sealed.any():
            sealed = np.isin(self.sc.world.exit_id, np.flatnonzero(self.exit_sealed))
            self.block[sealed] = K.BLOCKS_HUMANS | K.BLOCKS_ZOMBIES | K.OPAQUE
        self.human_fields()
        self.noise_field(t)

    def noise_field(self, t: float) -> None:
        """Zombie-passable distance to the active noises, minus their radii (negative: heard)."""
        w = self.sc.world
        active = [n for n in self.noises if n.start <= t < n.start + n.length]
        self.noise_on = bool(active)
        if not active:
            return
        walk = self.walk()
        val = np.full(w.shape, np.inf, dtype=np.float32)
        for n in active:
            val = np.minimum(val, distance_field(walk, n.cells) - n.radius / w.scale)
        self.noise_val = val
        self.noise_next = next_cells(val, walk)


def blocking(plan: FloorPlan, door_state: np.ndarray) -> np.ndarray:
    """Per cell: bit 1 blocks humans, bit 2 blocks zombies, bit 4 blocks sight: walls, shut and barricaded doors;
    bit 8 (:data:`hyosan.engines.abm.crowd.CLEAR`) marks cells whose crowding window stays open.

    The bits are separate so that one-sided obstacles can come later (e.g. doors only soldiers open).
    """
    block = np.where(plan.kind == WALL, K.BLOCKS_HUMANS | K.BLOCKS_ZOMBIES | K.OPAQUE, 0).astype(np.uint8)
    if plan.n_doors:
        state = np.asarray(door_state)[np.maximum(plan.door_id, 0)]
        doors = plan.door_id >= 0
        block[doors & (state != K.OPEN)] = K.BLOCKS_HUMANS | K.BLOCKS_ZOMBIES | K.OPAQUE
    return block | crowd.clear_bits(plan)


def parameters(sc: Scenario) -> np.ndarray:
    """The kernel parameter vector: per-step probabilities, speeds in cells per step, sight in cells."""
    dt, m = sc.step, sc.world.scale
    P = np.zeros(K.NPARAM)
    sights = [sc.zombie.sight, sc.contact_radius, *(k.sight for k in sc.kinds)]
    if sc.humbie_behaviour == 1:
        sights.append(sc.humbie.sight)
    P[K.P_B] = max(2.0, np.ceil(max(sights) / m))
    lam_b = _hazard(sc.bite_probability)
    lam_k = _hazard(sc.kill_probability)
    total = lam_b + lam_k
    p_any = 1.0 - np.exp(-total * dt) if total > 0 else 0.0
    if np.isinf(total):
        p_any = 1.0
    P[K.P_BITE] = p_any * (lam_b / total if np.isfinite(total) and total > 0 else float(np.isinf(lam_b)))
    P[K.P_KILL] = p_any * (lam_k / total if np.isfinite(total) and total > 0 else float(np.isinf(lam_k)))
    P[K.P_HBITE] = 1.0 - np.exp(-_hazard(sc.humbie_bite_probability) * dt)
    P[K.P_RC] = sc.contact_radius / m
    P[K.P_ZWALK] = sc.zombie.speed * dt / m
    P[K.P_ZRUN] = sc.zombie.run_speed * dt / m
    P[K.P_ZSIGHT] = sc.zombie.sight / m
    P[K.P_HWALK] = sc.humbie.speed * dt / m
    P[K.P_HUMBIE] = sc.humbie_fraction
    P[K.P_INC_KIND], P[K.P_INC1], P[K.P_INC2] = sc.incubation
    P[K.P_HIDE_SPEED] = 0.3
    P[K.P_BARRICADE] = sc.barricade_fraction
    P[K.P_TURN_SD] = 0.5 * np.sqrt(dt)
    P[K.P_HBEH] = sc.human_behaviour
    P[K.P_ZBEH] = sc.zombie_behaviour
    P[K.P_ALARM] = sc.alarm
    P[K.P_HUMBIE_BEH] = sc.humbie_behaviour
    P[K.P_HSIGHT] = sc.humbie.sight / m
    P[K.P_HRUN] = sc.humbie.run_speed * dt / m
    crowd.parameters(sc, P)
    group_parameters(sc, P)
    siege.parameters(sc, P)
    return P


def per_step(p_per_second: float, dt: float) -> float:
    """The probability per step of ``dt`` seconds of an event with probability ``p_per_second`` per second."""
    return 1.0 - (1.0 - p_per_second) ** dt if p_per_second < 1 else 1.0


def _hazard(p_per_second: float) -> float:
    return np.inf if p_per_second >= 1 else -np.log1p(-p_per_second)


Hook = Callable[[float, Agents, "World"], bool]


def simulate_once(
    sc: Scenario,
    seed: np.random.SeedSequence,
    frames: bool = False,
    agents: Agents | None = None,
    hooks: Sequence[Hook] = (),
    frame_times: Sequence[float] = (),
    recorder: object | None = None,
) -> Run:
    """One replicate of ``sc``; ``agents`` replaces the random placement (for tests).

    The scenario's interventions fire at their step (timed) or before the first step at whose start their
    trigger holds, in declaration order, each once (:func:`actions.apply`); each firing is logged as an
    ``intervention`` event and in ``Run.fired``. Counts have seven columns: S E Z H D X and M (healthy
    soldiers, who are not counted in S).

    ``frame_times`` (seconds, rounded to steps) adds frames at those times to the regular ones of ``frames``.
    ``recorder`` (e.g. :class:`hyosan.viz.film.Recorder`) is called as ``recorder.add(t, agents, door_state,
    chunks)`` every ``recorder.every`` seconds and at the end (``chunks``: the event chunks so far); it is
    returned as ``Run.recorder``.
    ``hooks`` (for ad-hoc experiments) are called at every report time as ``hook(t_seconds, agents,
    world)``; one may change ``world`` (e.g. :meth:`World.set_doors`) or the agents, and returns True
    when it changed doors, so that blocking and distance fields are recomputed before the next step.
    """
    start = _time.perf_counter()
    rng = np.random.default_rng(seed)
    state = seed.generate_state(2, np.uint64)
    K.seed(int(state[0] % 2**32))
    rs = np.array([state[1] | np.uint64(1)], dtype=np.uint64)
    a = agents.copy() if agents is not None else place(sc, rng)
    start_state = a.state.copy()
    w = World(sc)
    if agents is not None:
        check_agents(sc, a, w)
    P = parameters(sc)
    gate = Gate(sc, a, w.n_safe, rng) if sc.screening else None
    kinds = sc.kinds
    kwalk = np.array([k.speed * sc.step / sc.world.scale for k in kinds])
    krun = np.array([k.run_speed * sc.step / sc.world.scale for k in kinds])
    ksight = np.array([k.sight / sc.world.scale for k in kinds])
    h, wd = sc.world.shape
    B = P[K.P_B]
    head_prey = np.full((int(h // B) + 1, int(wd // B) + 1), -1, np.int32)
    head_zomb = head_prey.copy()
    nxt = np.full(len(a), -1, np.int32)
    x0, y0 = a.x.copy(), a.y.copy()
    order = np.arange(len(a), dtype=np.int32)
    barricader = np.full(len(w.room_door_ptr) - 1, -1, np.int32)
    cap = 2 * len(a) + w.door_state.size + 8 + max(4096, len(a) // 8) + (len(a) if sc.bands is not None else 0)
    cap += siege.reserve(sc, len(a))
    buf = {
        "t": np.zeros(cap, np.float64),
        "kind": np.zeros(cap, np.int8),
        "agent": np.zeros(cap, np.int32),
        "x": np.zeros(cap, np.float64),
        "y": np.zeros(cap, np.float64),
        "aux": np.zeros(cap, np.int32),
    }
    chunks: list[dict[str, np.ndarray]] = []
    dt = sc.step
    total = round(sc.horizon / dt)
    report = max(1, round(sc.report / dt))
    frame_every = max(1, round(sc.animation_every / dt))
    frame_until = round(sc.animation_until / dt)
    marks = {total, *range(0, total, report)}
    if frames:
        marks |= set(range(0, min(total, frame_until) + 1, frame_every))
    frame_steps = {s for s in (round(t / dt) for t in frame_times) if 0 <= s <= total}
    marks |= frame_steps
    rec_every = max(1, round(recorder.every / dt)) if recorder is not None else 0
    if rec_every:
        marks |= {*range(0, total, rec_every), total}
    changes = {round(sc.alarm / dt)}
    for n in sc.noises:
        changes |= {round(n.start / dt), round((n.start + n.length) / dt)}
    changes = {c for c in changes if 0 < c < total}
    timed: dict[int, list] = {}
    for iv in sc.interventions:
        for t_iv in iv.times if iv.trigger == "at" else ():
            if round(t_iv / dt) < total:
                timed.setdefault(round(t_iv / dt), []).append(iv)
    stops = sorted(marks | changes | set(timed) | {0})
    soldier = np.array([k.soldier for k in kinds], dtype=np.bool_)
    krange = np.array([k.range / sc.world.scale for k in kinds])
    khit = np.array([per_step(k.hit, dt) for k in kinds])
    kdetect = np.array([per_step(k.detect, dt) for k in kinds])
    trig = [iv for iv in sc.interventions if iv.trigger != "at"]
    trig_kind = np.array([K.ABOVE if iv.trigger == "above" else K.BELOW if iv.trigger == "below" else K.ENTERS
                          for iv in trig], dtype=np.int8)  # fmt: skip
    trig_state = np.array([iv.state for iv in trig], dtype=np.int8)
    trig_value = np.array([iv.value for iv in trig], dtype=np.int64)
    trig_active = np.ones(len(trig), dtype=np.bool_)
    trig_fired = np.zeros(len(trig), dtype=np.bool_)
    zbits = np.zeros(sc.world.shape if trig else (1, 1), dtype=np.uint32)
    for q, iv in enumerate(trig):
        if iv.trigger == "enters":
            zbits[sc.world.zones[iv.zone]] |= np.uint32(1 << q)
    tcounts = np.zeros(7, dtype=np.int64)
    kt = KindArrays(kwalk, krun, ksight, soldier, krange, khit, kdetect)
    bands_ = np.zeros(head_prey.shape[0] if sc.update == "banded" else 1, np.int32)
    scratch = Scratch(head_prey, head_zomb, nxt, x0, y0, order, barricader, rs, bands_, bands_.copy())
    log = EventLog(buf["t"], buf["kind"], buf["agent"], buf["x"], buf["y"], buf["aux"])
    tr = Triggers(trig_kind, trig_state, trig_value, trig_active, trig_fired, zbits, tcounts)
    fired_log: list[tuple[float, str, str]] = []
    cr, gr, sg = crowd_record(sc, a, w), group_record(sc, a, w, rng), siege.siege_record(sc, a, w, rng)

    def fire(ivs: list, at_step: int) -> None:
        t = at_step * dt
        changed = False
        for iv in ivs:
            changed |= apply(iv, t, a, w, rng)
            chunks.extend(w.events)
            w.events.clear()
            fired_log.append((t, iv.name, iv.action))
        if changed:
            w.refresh(t)
            set_down(a, w)
        n_iv = len(ivs)
        chunks.append({
            "t": np.full(n_iv, t, np.float64), "kind": np.full(n_iv, K.INTERVENTION, np.int8),
            "agent": np.full(n_iv, -1, np.int32), "x": np.zeros(n_iv, np.float64), "y": np.zeros(n_iv, np.float64),
            "aux": np.array([sc.interventions.index(iv) for iv in ivs], np.int32),
        })  # fmt: skip

    times, counts, shots, doors = [], [], [], []
    step = 0
    w.noise_field(0.0)
    kernel_s = 0.0
    for stop in stops:
        while step < stop:
            upto = stop
            if gate is not None:
                screened = gate.check(step, a)
                if screened is not None:
                    chunks.append(screened)
                upto = gate.next_stop(step, stop, a)
            tick = _time.perf_counter()
            done, n_ev, doors_changed, fired = K.advance(
                step * dt,
                dt,
                upto - step,
                record(AgentArrays, a),
                record(WorldArrays, w),
                kt,
                P,
                scratch,
                log,
                0,
                tr,
                cr,
                gr,
                sg,
            )
            kernel_s += _time.perf_counter() - tick
            if n_ev:
                chunks.append({k: v[:n_ev].copy() for k, v in buf.items()})
            if doors_changed:
                w.human_fields()
                if w.noise_on:
                    w.noise_field((step + done) * dt)
            step += done
            if fired:
                fire([trig[q] for q in np.flatnonzero(trig_fired)], step)
                trig_active &= ~trig_fired
                trig_fired[:] = False
        if stop in timed:
            fire(timed[stop], stop)
        if stop % report == 0 and any([hook(stop * dt, a, w) for hook in hooks]):
            w.refresh(stop * dt)
            set_down(a, w)
        late = w.noises[len(sc.noises) :]
        if stop in changes or (late and w.noise_on != any(n.start <= stop * dt < n.start + n.length for n in late)):
            w.noise_field(stop * dt)
        if stop in marks:
            if stop % report == 0 or stop == total:
                times.append(stop * dt)
                c = np.bincount(a.state, minlength=7)[:7]
                c[6] = int(((a.state == K.S) & soldier[a.kind]).sum())
                c[0] -= c[6]
                counts.append(c)
            if (frames and stop % frame_every == 0 and stop <= frame_until) or stop in frame_steps:
                shots.append((stop * dt, a.x.copy(), a.y.copy(), a.state.copy()))
                doors.append(w.door_state.copy())
            if rec_every and (stop % rec_every == 0 or stop == total):
                recorder.add(stop * dt, a, w.door_state, chunks)
    events = {k: np.concatenate([c[k] for c in chunks]) if chunks else v[:0].copy() for k, v in buf.items()}
    elapsed = _time.perf_counter() - start
    run = Run(
        np.array(times),
        np.array(counts),
        events,
        a,
        w.door_state,
        shots,
        doors,
        elapsed,
        total,
        kernel_s,
        fired_log,
        start_state,
        recorder,
    )
    return run


def _replicates(sc: Scenario, frames: bool, chunk: Chunk, recorder: Callable | None = None) -> list[Run]:
    """One chunk of replicates (a picklable task for any executor); frames (and ``recorder(sc)``) for replicate 0."""
    return [
        simulate_once(sc, ss, frames and r == 0, recorder=recorder(sc) if recorder and r == 0 else None)
        for r, ss in chunk
    ]


def run_scenario(
    sc: Scenario,
    *,
    seed: int = 0,
    replicates: int = 1,
    workers: int | None = None,
    frames: bool = True,
    executor: Executor | None = None,
    progress: bool = False,
    recorder: Callable | None = None,
) -> tuple[xr.Dataset, list[Run]]:
    """Run ``replicates`` independent replicates on ``workers`` processes (default: all cores), or on
    ``executor`` (e.g. :func:`hyosan.cluster.dask_executor`); frames are kept for replicate 0 only, and so is
    the ``recorder(sc)`` it is given (:class:`hyosan.viz.film.Recorder`).
    Results do not depend on ``workers``, chunking or executor: replicate r always draws from child r of
    ``SeedSequence(seed)``."""
    start = _time.perf_counter()
    workers = max(1, min(workers or os.cpu_count() or 1, replicates))
    check_run(sc, replicates, workers, frames)
    children = np.random.SeedSequence(seed).spawn(replicates)
    task = functools.partial(_replicates, sc, frames, recorder=recorder)
    runs = map_replicates(
        task, children, workers=workers, executor=executor, progress=progress, label="agent replicates"
    )
    minutes = runs[0].times / 60.0
    states = (*STATES, "M") if sc.has_soldiers else STATES
    values = np.stack([r.counts[:, : len(states)] for r in runs]).astype(float)
    attrs = {
        "hyosan_version": __version__,
        "engine": "abm",
        "model": sc.name,
        "scenario": sc.name,
        "model_digest": hashlib.sha256(json.dumps(sc.raw, sort_keys=True, default=str).encode()).hexdigest()[:16],
        "seed": seed,
        "parameters": sc.parameters,
        "time_unit": "minutes",
        "step_s": sc.step,
        "agents": sc.n_agents,
        "states": STATE_NAMES | ({"M": "soldier"} if sc.has_soldiers else {}),
        "elapsed_s": _time.perf_counter() - start,
    }
    if replicates > 1:
        attrs |= {"replicates": replicates, "workers": workers}
    ds = make_dataset(minutes, values, states, attrs, time_units="minutes")
    for c, meaning in attrs["states"].items():
        ds.variables[c].attrs["long_name"] = meaning
    return ds, runs
