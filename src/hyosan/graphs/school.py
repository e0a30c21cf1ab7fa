"""Hyosan High's contact network, built from the school the agent scenario draws (``school:hyosan-high``).

Nodes, in this order, as in ``data/scenarios/hyosan-high.yaml``: the students of the 37 home rooms
(grade 1: 13 classes, grades 2 and 3: 12 each; 27 a class, the map's ``class-G-N`` rooms), the
science-lab class (its 20 students and, first of them, patient zero: node 999, so
``--seed-nodes ids:999`` starts the story's outbreak), the 30 of the gym class and the 15 in the
library, then the 37 home-room teachers and the 9 staff (teachers' office 6, infirmary 2,
broadcasting room 1): 1,111 people.

Edges, one layer each, with weights that scale the per-edge rates (the share of a school day two
people spend in contact; these are modelling assumptions, not facts of the story):

* **class** (weight 1): everyone in a home room with everyone else and their teacher; likewise
  within the lab, gym and library groups (a whole day in one room);
* **grade** (0.25): each student meets about ``grade_k`` others of the grade at random (breaks,
  corridors, shared lessons: G(n, p) within the grade); lab, gym and library students are spread
  over the grades in turn;
* **club** (0.5): a share ``club_share`` of the students belongs to one of ``clubs`` clubs that mix
  grades, everyone in a club with everyone else;
* **staff** (0.5): every teacher with every other.

A pair in several layers gets the largest of their weights. Nodes carry the attributes ``class``
(``1-3``, ``lab``, ``gym``, ``library``), ``grade`` (``1``-``3``), ``club`` and ``role``
(student, teacher, staff), which the network engine's ``close`` intervention reads.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hyosan.graphs.graph import Graph, GraphError, from_edges

PATIENT_ZERO = 999
HYOSAN_HIGH = {
    "classes": (13, 12, 12),
    "class_size": 27,
    "groups": (21, 30, 15),  # the lab class counts patient zero
    "staff": 9,
}
WEIGHTS = {"class": 1.0, "grade": 0.25, "club": 0.5, "staff": 0.5}


def school(
    name: str = "hyosan-high", *, grade_k: float = 4.0, clubs: int = 24, club_share: float = 0.6, seed: int = 1
) -> Graph:
    """The contact network of school ``name`` (only ``hyosan-high`` is known)."""
    if name != "hyosan-high":
        raise GraphError(f"--graph school:{name[:30]}: unknown school; the one known is school:hyosan-high")
    if not (0 <= club_share <= 1 and clubs >= 1 and grade_k >= 0):
        raise GraphError("--graph school: club_share in [0, 1], clubs >= 1 and grade_k >= 0")
    spec = HYOSAN_HIGH
    rng = np.random.Generator(np.random.PCG64(seed))
    size = spec["class_size"]
    rooms: list[np.ndarray] = []
    grade_of: list[np.ndarray] = []
    at = 0
    for g, count in enumerate(spec["classes"]):
        for _ in range(count):
            rooms.append(np.arange(at, at + size))
            grade_of.append(np.full(size, g))
            at += size
    home_rooms = len(rooms)
    for i, count in enumerate(spec["groups"]):
        rooms.append(np.arange(at, at + count))
        grade_of.append(np.full(count, i % len(spec["classes"])))
        at += count
    students = at
    grade = np.concatenate(grade_of)
    teachers = np.arange(students, students + home_rooms + spec["staff"])
    n = students + len(teachers)
    pairs: dict[tuple[int, int], float] = {}

    def clique(members: np.ndarray, weight: float) -> None:
        for i, a in enumerate(members.tolist()):
            for b in members[i + 1 :].tolist():
                key = (a, b) if a < b else (b, a)
                pairs[key] = max(pairs.get(key, 0.0), weight)

    for r, members in enumerate(rooms):
        clique(np.append(members, teachers[r]) if r < home_rooms else members, WEIGHTS["class"])
    for g in range(len(spec["classes"])):
        mates = np.flatnonzero(grade == g)
        p = min(1.0, grade_k / max(len(mates) - 1, 1))
        u, v = np.triu_indices(len(mates), 1)
        hit = rng.random(len(u)) < p
        for a, b in zip(mates[u[hit]].tolist(), mates[v[hit]].tolist(), strict=True):
            pairs[(a, b)] = max(pairs.get((a, b), 0.0), WEIGHTS["grade"])
    joined = np.flatnonzero(rng.random(students) < club_share)
    club = rng.integers(0, clubs, len(joined))
    for c in range(clubs):
        clique(joined[club == c], WEIGHTS["club"])
    clique(teachers, WEIGHTS["staff"])
    keys = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    weights = np.array(list(pairs.values()))
    g = from_edges(keys[:, 0], keys[:, 1], n, weights, name=f"school:{name},seed={seed}")
    return replace(g, attrs=_attributes(rooms, home_rooms, spec, grade, teachers, joined, club, n))


def _attributes(rooms, home_rooms, spec, grade, teachers, joined, club, n) -> dict[str, np.ndarray]:
    """Node labels: ``class`` (``1-3``: grade 1, class 3; ``lab``, ``gym``, ``library``; a home-room
    teacher has the class), ``grade`` (1-3; staff none), ``club`` (1..clubs), ``role``."""
    klass = np.full(n, "", dtype=object)
    counts = spec["classes"]
    r = 0
    for g, count in enumerate(counts):
        for c in range(count):
            klass[rooms[r]] = klass[teachers[r]] = f"{g + 1}-{c + 1}"
            r += 1
    for name, members in zip(("lab", "gym", "library"), rooms[home_rooms:], strict=True):
        klass[members] = name
    grades = np.full(n, "", dtype=object)
    grades[: len(grade)] = (grade + 1).astype(str)
    clubs = np.full(n, "", dtype=object)
    clubs[joined] = (club + 1).astype(str)
    role = np.full(n, "student", dtype=object)
    role[teachers[:home_rooms]] = "teacher"
    role[teachers[home_rooms:]] = "staff"
    return {"class": klass, "grade": grades, "club": clubs, "role": role}
