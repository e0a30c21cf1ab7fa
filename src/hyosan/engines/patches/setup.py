"""The starting state of a patches run: counts per patch, parameters per patch, outcome settings.

Where people start: every patch's ``population`` is put in the *home* compartment (option ``home``;
default: the first compartment of the model's ``humans`` role, else its first compartment); then
``seed`` (``{patch: {compartment: count}}``) moves the given counts out of that patch's home
compartment. Without ``seed``, the model's initial counts of the other compartments go to the first
patch, so one patch of the model's total population is exactly the model.

Outcomes per patch and replicate: ``first_arrival`` — the first time the patch holds at least one
of compartment ``arrival`` (default: the model's ``zombies`` role, else its first ``infected``
compartment); ``time_of_fall`` — the first time the patch's count of the ``fall`` compartments
(default: the home compartment) drops below ``fall_below`` (default 0.5) of the patch's starting
population: a patch has *fallen* once fewer than half of its people are still human.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hyosan.compartmental.model import Model
from hyosan.errors import EngineError
from hyosan.places.patches import Patches


@dataclass(frozen=True)
class Start:
    X: np.ndarray  # int64 (P, C)
    Pm: np.ndarray  # float (P, Q)
    popmask: np.ndarray  # bool (C,)
    mob_c: np.ndarray  # int64 (M,)
    mob_f: np.ndarray  # float (M,)
    arr_c: int
    fallmask: np.ndarray  # bool (C,)
    fall_lvl: np.ndarray  # float (P,): a patch has fallen once its fall count is below this
    arrival: str
    fall: tuple[str, ...]
    fall_below: float


def _compartment(model: Model, name: Any, option: str) -> int:
    if name not in model.compartments:
        raise EngineError(
            f"patches option {option}={name!r}: not a compartment; use one of {', '.join(model.compartments)}"
        )
    return model.compartments.index(name)


def start(
    model: Model,
    patches: Patches,
    home: str | None,
    seed: Mapping[str, Mapping[str, int]] | None,
    arrival: str | None,
    fall: str | Sequence[str] | None,
    fall_below: float,
) -> Start:
    comps = model.compartments
    humans = model.roles.get("humans", ())
    h = _compartment(model, home or (humans[0] if humans else comps[0]), "home")
    pop = np.asarray(patches.population, dtype=np.float64)
    if (pop != np.round(pop)).any() or pop.max(initial=0) > 2.0**53:
        raise EngineError("patches.population: give whole numbers of people (at most 2^53 per patch)")
    X = np.zeros((patches.size, len(comps)), dtype=np.int64)
    X[:, h] = pop.astype(np.int64)
    if seed is None:
        for i, v in enumerate(model.initial):
            if i != h and v:
                if not float(v).is_integer() or v < 0:
                    raise EngineError(f"{model.source} (initial.{comps[i]}): {v:g} is not a whole count for patches")
                X[0, i] += int(v)
                X[0, h] -= int(v)
        if X[0, h] < 0:
            raise EngineError(
                f"patches: the first patch ({patches.names[0]}) has {int(pop[0]):,} people, fewer than the model's "
                f"initial non-{comps[h]} counts; give seed={{patch: {{compartment: count}}}}"
            )
    else:
        if not isinstance(seed, Mapping):
            raise EngineError("patches option seed: write {patch: {compartment: count}}, e.g. {Seoul: {Z: 1}}")
        index = {n: i for i, n in enumerate(patches.names)}
        for name, counts in seed.items():
            if name not in index:
                from hyosan.catalog import did_you_mean

                raise EngineError(f"patches option seed: no patch named '{str(name)[:40]}'{did_you_mean(name, index)}")
            if not isinstance(counts, Mapping):
                raise EngineError(f"patches option seed.{name}: write {{compartment: count}}, e.g. {{Z: 1}}")
            i = index[name]
            for c, n in counts.items():
                j = _compartment(model, c, f"seed.{name}")
                if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
                    raise EngineError(f"patches option seed.{name}.{c}: give a whole count >= 0")
                if j != h:
                    X[i, j] += int(n)
                    X[i, h] -= int(n)
            if X[i, h] < 0:
                raise EngineError(
                    f"patches option seed.{name}: seeds {int(pop[i] - X[i, h]):,} but the patch holds {int(pop[i]):,} "
                    "people; seed fewer"
                )
    Pm = np.tile(np.array([q.value for q in model.parameters], dtype=np.float64), (patches.size, 1))
    popmask = np.zeros(len(comps), dtype=np.bool_)
    popmask[model.population_index] = True
    mob = [(comps.index(c), float(f)) for c, f in patches.mobility.items() if f > 0]
    zombies = model.roles.get("zombies", ())
    arrival = arrival or (zombies[0] if zombies else (model.infected[0] if model.infected else None))
    arr_c = -1 if arrival is None else _compartment(model, arrival, "arrival")
    fall_names = (comps[h],) if fall is None else ((fall,) if isinstance(fall, str) else tuple(fall))
    fallmask = np.zeros(len(comps), dtype=np.bool_)
    for c in fall_names:
        fallmask[_compartment(model, c, "fall")] = True
    if isinstance(fall_below, bool) or not isinstance(fall_below, (int, float)) or not 0 < fall_below <= 1:
        raise EngineError(f"patches option fall_below={fall_below!r}: a fraction in (0, 1], e.g. 0.5")
    start_pop = X[:, popmask].sum(axis=1).astype(np.float64)
    return Start(
        X,
        Pm,
        popmask,
        np.array([m[0] for m in mob], dtype=np.int64),
        np.array([m[1] for m in mob], dtype=np.float64),
        arr_c,
        fallmask,
        fall_below * start_pop,
        arrival or "",
        fall_names,
        float(fall_below),
    )
