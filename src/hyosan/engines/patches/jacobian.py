"""The sparse Jacobian of the patches mean field, for the stiff solvers (BDF, Radau).

Walking mobility makes the coupled ODE stiff (hop rates of hundreds per day against epidemic rates
near one per day), and a stiff solver needs ``∂f/∂y``. Its two parts are exact in structure:

- movement is linear: ``kron(movementᵀ − diag(out_rate), diag(mobility))`` in the state order
  ``y[i*C + c]`` (patch ``i``, compartment ``c``), rebuilt only when a cordon changes the couplings;
- the reactions are local: patch ``i``'s rates read its own counts ``X_i``, its effective counts
  ``E_i = (mixing X)_i`` and its effective population ``Ne_i``. By the chain rule
  ``∂f/∂X = Dx + De · kron(mixing, I_C) + diag(g) · kron(mixing, 1 popmaskᵀ)`` with ``Dx``, ``De``
  block-diagonal (C × C per patch) and ``g = ∂f/∂Ne``; without mixing ``E = X``, ``Ne = n`` and the
  three collapse into one block diagonal.

The per-patch partials come from forward differences, perturbing one compartment in every patch at
once (patches do not read each other's ``X`` except through ``E`` and ``Ne``), so a Jacobian costs
``C + 1`` rate evaluations without mixing and ``2C + 2`` with it, whatever the number of patches.
A Jacobian only steers Newton's iteration: its difference error does not enter the solution, whose
accuracy is set by ``rtol``/``atol``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

#: Relative forward-difference step (about the square root of the double precision epsilon).
STEP = 1.5e-8


def movement_jacobian(movement: sp.csr_matrix, out_rate: np.ndarray, mob: np.ndarray) -> sp.csr_matrix:
    """``∂/∂y`` of the movement terms ``−X∘mob·out + movementᵀ (X∘mob)``."""
    m = (movement.T - sp.diags(out_rate)).tocsr()
    return sp.kron(m, sp.diags(mob), format="csr")


def local_jacobian(
    rhs: Callable[..., Any],
    t: float,
    X: np.ndarray,
    mixing: sp.csr_matrix | None,
    popmask: np.ndarray,
) -> sp.csr_matrix:
    """``∂f/∂X`` of the reaction terms; ``rhs(t, X, E, Ne)`` returns the (P, C) rates of change."""
    P, C = X.shape
    pm = popmask.astype(np.float64)
    n = X @ pm
    E = X if mixing is None else mixing @ X
    Ne = n if mixing is None else mixing @ n
    f0 = rhs(t, X, E, Ne).copy()
    h = STEP * np.maximum(np.abs(X), 1.0)
    Dx = np.empty((P, C, C))
    for c in range(C):
        Xp = X.copy()
        Xp[:, c] += h[:, c]
        if mixing is None:
            Dx[:, :, c] = (rhs(t, Xp, Xp, Xp @ pm) - f0) / h[:, c, None]
        else:
            Dx[:, :, c] = (rhs(t, Xp, E, Ne) - f0) / h[:, c, None]
    J = _blocks(Dx)
    if mixing is None:
        return J
    hE = STEP * np.maximum(np.abs(E), 1.0)
    De = np.empty((P, C, C))
    for c in range(C):
        Ep = E.copy()
        Ep[:, c] += hE[:, c]
        De[:, :, c] = (rhs(t, X, Ep, Ne) - f0) / hE[:, c, None]
    hN = STEP * np.maximum(np.abs(Ne), 1.0)
    g = (rhs(t, X, E, Ne + hN) - f0) / hN[:, None]
    mx = sp.csr_matrix(mixing)
    J = J + _blocks(De) @ sp.kron(mx, sp.identity(C), format="csr")
    J = J + sp.diags(g.ravel()) @ sp.kron(mx, sp.csr_matrix(np.outer(np.ones(C), pm)), format="csr")
    return J.tocsr()


def _blocks(D: np.ndarray) -> sp.csr_matrix:
    P, C, _ = D.shape
    return sp.bsr_matrix((D, np.arange(P), np.arange(P + 1)), shape=(P * C, P * C)).tocsr()
