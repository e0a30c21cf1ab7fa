"""What the viewer page gets from a result folder: a JSON manifest and one binary blob of typed arrays.

The manifest says what kind of run it was (agents, compartments, network, patches), its curves (the
median and 5-95% and 25-75% bands over replicates, replicate 0's own line), its outcomes, the agent
event log and the transmission tree; the blob holds the agent film (frames.npz) as raw little-endian
arrays that the page views as typed arrays without parsing. Only files named here are ever read.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.errors import HyosanError

#: Picture files of a result folder the page may show; nothing else in the folder is served.
PICTURES = ("plot.png", "overview.png", "snapshot.png", "humbies.png")
#: The most replicate lines sent on demand.
MAX_LINES = 200
#: The most transmissions drawn as a tree.
MAX_TREE = 20_000


@dataclass
class Loaded:
    """One opened result: its manifest (JSON-ready) and the binary blob of its arrays (may be empty)."""

    folder: Path
    manifest: dict[str, Any]
    blob: bytes = b""
    lines: dict[str, list[list[float]]] = field(default_factory=dict)


def _clean(values: np.ndarray) -> list:
    """A float array as a JSON list, NaN and infinities as null."""
    out = np.asarray(values, dtype=float).round(6).tolist()
    return [None if isinstance(v, float) and not math.isfinite(v) else v for v in out]


def pack(arrays: dict[str, np.ndarray]) -> tuple[dict[str, list], bytes]:
    """Arrays laid end to end (each 8-byte aligned, little-endian): the table name -> [dtype, shape, offset]
    and the bytes."""
    table, parts, offset = {}, [], 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"), copy=False)
        raw = a.tobytes()
        table[name] = [a.dtype.name, list(a.shape), offset]
        pad = (-len(raw)) % 8
        parts.append(raw + b"\0" * pad)
        offset += len(raw) + pad
    return table, b"".join(parts)


def _json_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def kind_of(folder: Path) -> str:
    """agents | network | patches | compartments, from the files a run leaves."""
    if (folder / "frames.npz").is_file() or _json_file(folder / "summary.json").get("engine") == "abm":
        return "agents"
    summary = _json_file(folder / "summary.json")
    if summary.get("engine") == "network":
        return "network"
    if summary.get("engine") == "patches":
        return "patches"
    return "compartments"


def load(folder: str | Path) -> Loaded:
    """Open result folder ``folder`` (it must hold result.nc) for the page."""
    from hyosan.results import compartments_of, open_result

    folder = Path(folder)
    if not (folder / "result.nc").is_file():
        raise HyosanError(f"{folder}: no result.nc here; give a folder written by 'hyosan run'")
    ds = open_result(folder)
    summary = _json_file(folder / "summary.json")
    kind = kind_of(folder)
    if "patch" in ds.dims:
        kind = "patches"
    comps = compartments_of(ds)
    times = ds["time"].values.astype(float)
    unit = str(ds["time"].attrs.get("units", "days"))
    n_rep = int(ds.sizes["replicate"])
    series: dict[str, dict[str, list]] = {}
    lines: dict[str, list[list[float]]] = {}
    for c in comps:
        v = np.asarray(ds[c].values, dtype=float)
        q = np.nanquantile(v, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0) if n_rep > 1 else np.repeat(v[:1], 5, axis=0)
        series[c] = {k: _clean(q[i]) for i, k in enumerate(("q05", "q25", "median", "q75", "q95"))}
        series[c]["first"] = _clean(v[0])
        lines[c] = [_clean(r) for r in v[:MAX_LINES]]
    names = summary.get("states") if isinstance(summary.get("states"), dict) else {}
    manifest: dict[str, Any] = {
        "kind": kind,
        "title": summary.get("scenario") or summary.get("model") or folder.name,
        "name": summary.get("model") or folder.name,
        "folder": folder.name,
        "engine": summary.get("engine", ds.attrs.get("engine", "")),
        "seed": summary.get("seed"),
        "replicates": n_rep,
        "time_unit": unit,
        "times": _clean(times),
        "compartments": comps,
        "labels": {c: names.get(c, c) for c in comps},
        "series": series,
        "outcomes": _flat(summary.get("outcomes") or {}),
        "final": summary.get("final") or summary.get("final_mean") or {},
        "pictures": [p for p in PICTURES if (folder / p).is_file()],
        "elapsed_s": summary.get("elapsed_s"),
    }
    blob = b""
    if kind == "agents":
        manifest["events"] = _agent_events(folder)
        if (folder / "frames.npz").is_file():
            from hyosan.view.frames import read_frames

            fr = read_frames(folder / "frames.npz")
            meta = fr.pop("meta")
            table, blob = pack({k: v for k, v in fr.items()})
            n_frames, n_agents = int(fr["t"].size), int(fr["x"].shape[1])
            manifest["film"] = {"meta": meta, "arrays": table, "frames": n_frames, "agents": n_agents}
    if "node_event_node" in ds:
        manifest["tree"] = _tree(ds)
    if kind == "patches":
        manifest["patches"] = _patches(ds, comps)
    return Loaded(folder, manifest, blob, lines)


def _flat(node: dict, prefix: str = "") -> dict[str, Any]:
    """Nested outcomes as ``a.b: value`` pairs of numbers and short text (lists shortened)."""
    out: dict[str, Any] = {}
    for k, v in node.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not ({"mean", "se"} <= v.keys()):
            out |= _flat(v, key + ".")
        elif isinstance(v, dict):
            out[key] = v
        elif isinstance(v, list):
            out[key] = json.dumps(v)[:200]
        elif v is None or isinstance(v, (int, float, str, bool)):
            out[key] = v
    return out


def _agent_events(folder: Path) -> dict[str, list]:
    """events.csv of replicate 0, column by column."""
    import pandas as pd

    path = folder / "events.csv"
    if not path.is_file():
        return {}
    ev = pd.read_csv(path)
    ev = ev[ev["replicate"] == 0]
    return {
        "t": ev["time_s"].round(3).tolist(),
        "kind": ev["kind"].astype(str).tolist(),
        "agent": ev["agent"].astype(int).tolist(),
        "other": ev["other"].astype(int).tolist(),
        "x": ev["x_m"].tolist(),
        "y": ev["y_m"].tolist(),
        "name": ev["name"].astype(object).fillna("").astype(str).tolist() if "name" in ev else [],
    }


def _tree(ds: Any) -> dict[str, list]:
    """Replicate 0's transmissions (node infected at time by whom) and its other state changes' counts."""
    t = ds["node_event_time"].values[0]
    by = ds["node_event_by"].values[0]
    node = ds["node_event_node"].values[0]
    keep = ~np.isnan(t) & (by >= 0)
    order = np.argsort(t[keep], kind="stable")[:MAX_TREE]
    return {
        "t": _clean(t[keep][order]),
        "node": node[keep][order].astype(int).tolist(),
        "by": by[keep][order].astype(int).tolist(),
        "seeds": sorted({int(b) for b in by[keep]} - {int(n) for n in node[keep]})[:1000],
        "total": int(keep.sum()),
    }


def _patches(ds: Any, comps: list[str]) -> dict[str, Any]:
    """Per patch, replicate 0's counts over time (patches × time per compartment), coordinates if given,
    and the first arrival and time of fall (days) when the engine recorded them."""
    out: dict[str, Any] = {"names": [str(p) for p in ds["patch"].values], "counts": {}}
    for c in ds.data_vars:
        if ds[c].dims[:1] == ("replicate",) and "patch" in ds[c].dims and "time" in ds[c].dims:
            v = ds[c].isel(replicate=0).transpose("patch", "time").values
            out["counts"][str(c)] = [_clean(r) for r in v]
    for axis in ("lon", "lat", "x", "y"):
        if axis in ds.coords and ds[axis].dims == ("patch",):
            out[axis] = _clean(ds[axis].values)
    for name in ("first_arrival", "time_of_fall"):
        if name in ds and ds[name].dims == ("replicate", "patch"):
            out[name] = _clean(ds[name].isel(replicate=0).values)
    return out
