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


def curve(degrees: np.ndarray, tau: float, gamma: float, rho: float, times: np.ndarray) -> dict[str, np.ndarray]:
    """The EBCM epidemic curve: fractions S, I, R at ``times`` (Miller, Slim & Volz 2012, eq. for θ).

    θ' = −τθ + τ(1 − ρ)ψ'(θ)/ψ'(1) + γ(1 − θ), θ(0) = 1; S = (1 − ρ)ψ(θ), R' = γI, I = 1 − S − R.
    """
    from scipy.integrate import solve_ivp

    k = np.asarray(degrees, dtype=np.float64)
    values, counts = np.unique(k, return_counts=True)
    p = counts / counts.sum()
    mean = float((values * p).sum())
    nz = values > 0

    def psi(x: float) -> float:
        return float((p * x**values).sum())

    def dpsi(x: float) -> float:
        return float((p[nz] * values[nz] * x ** (values[nz] - 1)).sum())

    def rhs(_t: float, y: np.ndarray) -> list[float]:
        theta, r = y
        s = (1.0 - rho) * psi(theta)
        return [-tau * theta + tau * (1.0 - rho) * dpsi(theta) / mean + gamma * (1.0 - theta), gamma * (1.0 - s - r)]

    times = np.asarray(times, dtype=np.float64)
    sol = solve_ivp(rhs, (0.0, float(times[-1])), [1.0, 0.0], t_eval=times, rtol=1e-10, atol=1e-12, method="LSODA")
    s = np.array([(1.0 - rho) * psi(th) for th in sol.y[0]])
    return {"S": s, "I": 1.0 - s - sol.y[1], "R": sol.y[1]}


def network_report(model, graph, edge_rates=None) -> dict:
    """Network R0 and EBCM final size of an SIR-type ``model`` on ``graph`` (a spec or a Graph).

    SIR-type: exactly one pair transition (a target state becomes the source's state along an edge)
    and one node transition taking the source state to a state with no pair role. Otherwise the
    report says that no mean-field companion is given (no pair approximation is offered yet). The
    EBCM assumes a configuration-model graph: on clustered graphs it is only an approximation.
    """
    from hyosan.engines.network.rules import tables
    from hyosan.graphs import graph as as_graph
    from hyosan.graphs.schedule import Schedule

    if isinstance(graph, Schedule):
        return {"graph": graph.describe(), "ebcm": "not given: the EBCM is for one static graph, not a schedule"}
    g = as_graph(graph)
    tb = tables(model, g.n, g.mean_degree, edge_rates)
    c = model.compartments
    pairs = [(x, y) for x in range(len(c)) for y in range(len(c)) for _ in range(tb.pair_count[x, y])]
    report: dict = {"graph": g.describe(), "rules": list(tb.rules)}
    sir = len(pairs) == 1 and tb.pair_dest[pairs[0][0], pairs[0][1], 0] == pairs[0][1]
    if sir:
        target, source = pairs[0]
        leaves = [(int(tb.node_dest[source, i]), float(tb.node_rate[source, i])) for i in range(tb.node_count[source])]
        sir = len(leaves) == 1 and tb.node_count[target] == 0 and not tb.pair_total[:, leaves[0][0]].any()
    if not sir:
        report["ebcm"] = (
            "not given: the EBCM here covers SIR-type models (one infection along edges, one recovery to a "
            "state that takes no part in infection); no pair approximation is offered yet"
        )
        return report
    tau, gamma = float(tb.pair_rate[target, source, 0]), leaves[0][1]
    T = transmissibility(tau, gamma)
    rho = float(model.initial_state[c[source]]) / g.n
    fs = final_size(g.degrees, T, min(rho, 1.0))
    report |= {
        "per_edge_rate": tau,
        "recovery_rate": gamma,
        "transmissibility": T,
        "mean_excess_degree": float((g.degrees * (g.degrees - 1.0)).mean() / g.mean_degree) if g.mean_degree else 0.0,
        "network_R0": fs.r0,
        "initial_fraction": rho,
        "final_size": fs.attack,
        "final_size_count": fs.attack * g.n,
    }
    return report
