"""Checkpoints of an ABC-SMC fit: written atomically after every round, read back by ``--resume``.

A checkpoint holds the last finished generation, the particles accepted so far in the current one
and the next round's number. Every random draw of a round is keyed by (seed, generation, round),
so a resumed fit repeats the interrupted round and goes on exactly as an uninterrupted one.
A checkpoint is tied to its fit by a fingerprint of the model, data, priors and settings.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.fit.priors import FitError

FORMAT = "hyosan-abc-checkpoint-1"


@dataclass
class State:
    """Where a fit stands: ``generation`` is being filled; ``population`` is the previous one."""

    fingerprint: str
    generation: int = 0
    round: int = 0
    epsilon: float = float("inf")
    simulations: int = 0
    seconds: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)
    theta: np.ndarray | None = None
    weight: np.ndarray | None = None
    dist: np.ndarray | None = None
    acc_theta: np.ndarray | None = None
    acc_frac: np.ndarray | None = None
    acc_dist: np.ndarray | None = None
    round_sims: int = 0


_ARRAYS = ("theta", "weight", "dist", "acc_theta", "acc_frac", "acc_dist")


def fingerprint(parts: dict[str, Any]) -> str:
    """A short hash of what must match for a checkpoint to continue a fit."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=_content).encode()).hexdigest()[:16]


def _content(obj: Any) -> Any:
    """JSON for what json cannot write: an array by a hash of all its values (its text shows only the
    ends of a long one, so two graphs differing in the middle would match), a dataclass by its fields."""
    if isinstance(obj, np.ndarray):
        data = np.ascontiguousarray(obj)
        if data.dtype == object:  # its bytes are addresses, not values
            return {"array": data.tolist()}
        return {"array": [str(data.dtype), list(data.shape), hashlib.sha256(data.tobytes()).hexdigest()]}
    if is_dataclass(obj) and not isinstance(obj, type):
        return {type(obj).__name__: {f.name: getattr(obj, f.name) for f in fields(obj)}}
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)


def save(path: Path, state: State) -> None:
    """Write ``state`` to ``path`` atomically: a temporary file beside it, then a rename (a process
    killed while writing leaves only its temporary file, removed by the next save)."""
    meta = {k: getattr(state, k) for k in ("fingerprint", "generation", "round", "epsilon", "simulations", "seconds")}
    meta |= {"format": FORMAT, "history": state.history, "round_sims": state.round_sims}
    arrays = {k: getattr(state, k) for k in _ARRAYS if getattr(state, k) is not None}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, meta=np.array(json.dumps(meta, default=float)), **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def load(path: Path, expected: str) -> State:
    """The state in ``path``; a one-line error if it is unreadable or belongs to another fit."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {k: data[k] for k in _ARRAYS if k in data.files}
    except (OSError, ValueError, KeyError) as exc:
        raise FitError(f"--resume {path}: not a readable ABC checkpoint ({exc}); delete it to start afresh") from None
    if meta.get("format") != FORMAT:
        raise FitError(f"--resume {path}: not an ABC checkpoint of this hyosan; delete it to start afresh")
    if meta["fingerprint"] != expected:
        raise FitError(
            f"--resume {path}: the checkpoint belongs to a different fit (model, data, priors, seed or ABC "
            "settings changed); rerun with the same options, or delete it to start afresh"
        )
    state = State(
        fingerprint=meta["fingerprint"],
        generation=int(meta["generation"]),
        round=int(meta["round"]),
        epsilon=float(meta["epsilon"]),
        simulations=int(meta["simulations"]),
        seconds=float(meta["seconds"]),
        history=list(meta["history"]),
        round_sims=int(meta.get("round_sims", 0)),
    )
    for k, v in arrays.items():
        setattr(state, k, v)
    return state


def remove(path: Path) -> None:
    """Delete a finished fit's checkpoint and any temporary file a killed write left beside it."""
    path = Path(path)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    path.unlink(missing_ok=True)
