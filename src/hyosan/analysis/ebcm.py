"""The edge-based compartmental model (Miller, Slim & Volz 2012) of SIR on configuration-model graphs.

For per-edge transmission rate τ and recovery rate γ (Markovian), an infected node transmits along
a given edge before recovering with probability T = τ / (τ + γ), the *transmissibility*. With ψ the
probability generating function of the degree distribution and a fraction ρ infected at random at
t = 0, the probability θ that an edge has not transmitted to its end node by the end solves

    θ = 1 − T + T (1 − ρ) ψ'(θ) / ψ'(1),

and the final attack ratio (recovered, seeds included) is 1 − (1 − ρ) ψ(θ). The network R0 is
T · E[K(K−1)] / E[K] (transmissibility × mean excess degree); with ρ → 0 a large outbreak needs
R0 > 1. For Poisson degrees of mean k this reduces to the classical z = 1 − exp(−T k z).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq


@dataclass(frozen=True)
class FinalSize:
    """EBCM final state: the attack ratio, θ at the end and the network R0."""

    attack: float
    theta: float
    r0: float


def transmissibility(tau: float, gamma: float) -> float:
    """P(an infected node transmits along one edge before it recovers), exponential periods."""
    return tau / (tau + gamma) if tau + gamma > 0 else 0.0


def network_r0(degrees: np.ndarray, transmissibility: float) -> float:
    """Transmissibility × mean excess degree E[K(K−1)]/E[K] of the degree sequence."""
    k = np.asarray(degrees, dtype=np.float64)
    mean = k.mean()
    return float(transmissibility * (k * (k - 1)).mean() / mean) if mean > 0 else 0.0


def final_size(degrees: np.ndarray, transmissibility: float, rho: float = 0.0) -> FinalSize:
    """The EBCM final size on a configuration-model graph with this degree sequence (see module docstring)."""
    k = np.asarray(degrees, dtype=np.float64)
    values, counts = np.unique(k, return_counts=True)
    p = counts / counts.sum()
    mean = float((values * p).sum())
    T = float(transmissibility)
    r0 = network_r0(k, T)

    def psi(x: float) -> float:
        return float((p * x**values).sum())

    def dpsi(x: float) -> float:
        nz = values > 0
        return float((p[nz] * values[nz] * x ** (values[nz] - 1)).sum())

    def g(theta: float) -> float:
        return 1.0 - T + T * (1.0 - rho) * dpsi(theta) / mean - theta

    if mean == 0 or (rho == 0 and r0 <= 1):
        theta = 1.0
    else:
        top = 1.0 if rho > 0 else 1.0 - 1e-9
        theta = 0.0 if g(0.0) <= 0 else brentq(g, 0.0, top, xtol=1e-15, rtol=1e-15, maxiter=500)
    return FinalSize(1.0 - (1.0 - rho) * psi(theta), theta, r0)
