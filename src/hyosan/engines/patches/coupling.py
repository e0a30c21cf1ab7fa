"""The couplings of a patches run as the flat arrays the kernels read, and what a cordon does to them.

A cordon is a set of patches; while it stands, every hop between a patch inside and one outside is
removed from ``movement`` (so the out-rate of a border patch falls: people who would have crossed
stay), and, when it also seals mixing, every ``mixing[i, j]`` between inside and outside is moved
onto ``mixing[i, i]`` (rows stay stochastic: that share of contacts is made at home).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from hyosan.budget import require_memory
from hyosan.compartmental.model import Model
from hyosan.errors import EngineError
from hyosan.places.patches import Patches

#: Bytes per stored entry of a coupling matrix while a run holds it (CSR, CSC and cumulative copies).
BYTES_PER_ENTRY = 64


@dataclass(frozen=True)
class Cordon:
    """Patches sealed from the rest; ``mixing`` also seals their contacts."""

    inside: np.ndarray  # bool (P,)
    mixing: bool


@dataclass
class Arrays:
    """What the kernels read of the couplings under the cordons standing now."""

    movement: sp.csr_matrix  # effective (P, P) hop rates
    mv_ptr: np.ndarray
    mv_idx: np.ndarray
    mv_cum: np.ndarray
    out_rate: np.ndarray
    mixing: sp.csr_matrix | None
    mx_ptr: np.ndarray
    mx_idx: np.ndarray
    mx_val: np.ndarray
    mc_ptr: np.ndarray
    mc_idx: np.ndarray


def check(patches: Patches, model: Model) -> None:
    """Refuse couplings that could not be honoured: wrong shapes, negative rates, unknown compartments."""
    p = patches.size
    if p < 1:
        raise EngineError("patches: give at least one patch")
    pop = np.asarray(patches.population)
    if pop.shape != (p,) or not np.issubdtype(pop.dtype, np.number) or (pop < 0).any():
        raise EngineError(f"patches.population: give {p} counts >= 0, one per patch name")
    for name, m in (("movement", patches.movement), ("mixing", patches.mixing)):
        if m is None:
            continue
        if not sp.issparse(m) or m.shape != (p, p):
            raise EngineError(f"patches.{name}: give a scipy.sparse matrix of shape ({p}, {p}) (patches × patches)")
        data = m.tocsr().data
        if not np.isfinite(data).all() or (data < 0).any():
            raise EngineError(f"patches.{name}: entries must be finite and >= 0")
        require_memory(m.nnz * BYTES_PER_ENTRY, f"patches.{name} with {m.nnz:,} entries", "couple fewer patch pairs")
    if patches.mixing is not None:
        rows = np.asarray(patches.mixing.sum(axis=1)).ravel()
        if not np.allclose(rows, 1.0, atol=1e-9, rtol=0):
            i = int(np.argmax(np.abs(rows - 1)))
            raise EngineError(
                f"patches.mixing: each row must sum to 1 (row-stochastic); row {i} ({patches.names[i]}) sums to "
                f"{rows[i]:.6g}"
            )
    for c, f in patches.mobility.items():
        if c not in model.compartments:
            raise EngineError(
                f"patches.mobility: '{c}' is not a compartment of {model.name}; use {', '.join(model.compartments)}"
            )
        if not (isinstance(f, (int, float, np.number)) and np.isfinite(f) and f >= 0):
            raise EngineError(f"patches.mobility.{c}: the multiplier of movement must be a number >= 0")
    if patches.mobility and patches.movement is None:
        raise EngineError("patches.mobility: compartments move but patches.movement is None; give the hop rates")


def arrays(patches: Patches, cordons: list[Cordon]) -> Arrays:
    """The kernels' arrays of ``patches`` with ``cordons`` standing."""
    p = patches.size
    mv = sp.csr_matrix((p, p)) if patches.movement is None else sp.csr_matrix(patches.movement, dtype=np.float64)
    mv.setdiag(0.0)
    mv = _cut(mv, cordons)
    mv.eliminate_zeros()
    mv.sort_indices()
    out_rate = np.asarray(mv.sum(axis=1)).ravel()
    cum = np.empty_like(mv.data)
    for i in range(p):
        lo, hi = mv.indptr[i], mv.indptr[i + 1]
        if hi > lo:
            c = np.cumsum(mv.data[lo:hi]) / out_rate[i]
            c[-1] = 1.0
            cum[lo:hi] = c
    mx = None if patches.mixing is None else sp.csr_matrix(patches.mixing, dtype=np.float64)
    if mx is not None:
        sealed = [c for c in cordons if c.mixing]
        if sealed:
            kept = _cut(mx, sealed)
            lost = np.asarray(mx.sum(axis=1)).ravel() - np.asarray(kept.sum(axis=1)).ravel()
            mx = (kept + sp.diags(lost)).tocsr()
        mx.eliminate_zeros()
        mx.sort_indices()
        mc = mx.tocsc()
        mc.sort_indices()
        mixing = (mx.indptr.astype(np.int64), mx.indices.astype(np.int64), mx.data, mc.indptr.astype(np.int64))
        mc_idx = mc.indices.astype(np.int64)
    else:
        empty = np.zeros(1, dtype=np.int64)
        mixing = (empty, np.zeros(0, dtype=np.int64), np.zeros(0), empty)
        mc_idx = np.zeros(0, dtype=np.int64)
    return Arrays(
        mv, mv.indptr.astype(np.int64), mv.indices.astype(np.int64), cum, out_rate, mx, *mixing[:3], mixing[3], mc_idx
    )


def _cut(m: sp.csr_matrix, cordons: list[Cordon]) -> sp.csr_matrix:
    if not cordons:
        return m.copy()
    coo = m.tocoo()
    keep = np.ones(coo.nnz, dtype=bool)
    for c in cordons:
        keep &= c.inside[coo.row] == c.inside[coo.col]
    return sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=m.shape)
