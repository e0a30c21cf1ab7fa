"""The analysis as a typed object: sympy expressions and floats, readable as text or JSON.

:class:`Analysis` is what :func:`hyosan.analyze` returns. Its fields are the objects themselves
(``R0_expression`` is a sympy expression, ``equilibria`` a list of
:class:`~hyosan.analysis.equilibria.Equilibrium`); :meth:`Analysis.to_dict` is the JSON view that
``hyosan analyze --json`` prints, and ``report["R0"]`` reads that view too (a read-only mapping).
``R0_at`` says where R0 was taken, so that its meaning never changes silently.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy

from hyosan.analysis.equilibria import Equilibrium

AT_DFE = "disease-free equilibrium"
AT_INITIAL = "initial pool"


def _text(x: Any) -> str | None:
    return None if x is None else str(x)


def _chop(x: float, among: Sequence[complex]) -> float:
    """Round-off (relative to the largest eigenvalue) to exactly 0, and -0.0 to 0.0."""
    scale = max((abs(z) for z in among), default=1.0)
    return 0.0 if abs(x) <= 1e-12 * max(1.0, scale) else float(x)


@dataclass(frozen=True, eq=False)
class Analysis(Mapping):
    """R0, the disease-free equilibrium, the equilibria and their stability of one model.

    ``R0`` (float; None when infinite or undefined, ``R0_note`` says why) is taken where ``R0_at``
    says: at the disease-free equilibrium, or at the initial susceptible pool when that
    equilibrium is an empty population (then ``R0_dfe`` holds the value there). ``R0_initial`` is
    always the value at the initial pool.
    """

    model: str
    R0: float | None
    R0_expression: sympy.Expr | None
    R0_at: str
    R0_dfe: float | None
    R0_dfe_expression: sympy.Expr | None
    R0_initial: float | None
    R0_initial_expression: sympy.Expr | None
    infected: tuple[str, ...]
    dfe: dict[str, float]
    dfe_expression: dict[str, sympy.Expr]
    F: sympy.Matrix
    V: sympy.Matrix
    equations: dict[str, sympy.Expr]
    N: str
    passive: list[str]
    conservation_laws: list[str]
    equilibria: list[Equilibrium]
    notes: list[str] = field(default_factory=list)
    parameters: dict[str, float] = field(default_factory=dict)
    R0_note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready view: numbers as floats, expressions as text, eigenvalues as [re, im]."""
        return dict(self._view)

    @cached_property
    def _view(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "R0": self.R0,
            "R0_expression": _text(self.R0_expression),
            "R0_at": self.R0_at,
            "infected": list(self.infected),
            "dfe": dict(self.dfe),
            "dfe_expression": {k: str(v) for k, v in self.dfe_expression.items()},
            "next_generation": {
                "F": [[str(v) for v in row] for row in self.F.tolist()],
                "V": [[str(v) for v in row] for row in self.V.tolist()],
            },
        }
        if self.R0_note:
            out["R0_note"] = self.R0_note
        out |= {
            "R0_initial": self.R0_initial,
            "R0_initial_expression": _text(self.R0_initial_expression),
            "R0_dfe": self.R0_dfe,
            "R0_dfe_expression": _text(self.R0_dfe_expression),
            "equations": {k: str(v) for k, v in self.equations.items()},
            "N": self.N,
            "passive": list(self.passive),
            "conservation_laws": list(self.conservation_laws),
            "equilibria": [_equilibrium(e) for e in self.equilibria],
            "notes": list(self.notes),
            "parameters": dict(self.parameters),
        }
        return out

    def __getitem__(self, key: str) -> Any:
        return self._view[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._view)

    def __len__(self) -> int:
        return len(self._view)

    def __str__(self) -> str:
        return format_report(self)


def _equilibrium(e: Equilibrium) -> dict[str, Any]:
    return {
        "state": dict(e.state),
        "eigenvalues": [[_chop(z.real, e.eigenvalues), _chop(z.imag, e.eigenvalues)] for z in e.eigenvalues],
        "stable": e.stable,
        "stability": e.stability,
        **({"free": e.free, "family": e.family} if e.free else {}),
        **({"expression": e.symbolic} if e.symbolic else {}),
    }


def number(x: float | None) -> float | None:
    """A finite float, or None for infinite or undefined values."""
    return None if x is None or not math.isfinite(x) else float(x)


def format_report(report: Analysis | Mapping[str, Any]) -> str:
    """A readable text version of an analysis (the object or its JSON view)."""
    report = report.to_dict() if isinstance(report, Analysis) else report
    out = [f"Analysis of {report.get('model', '')}", ""]
    out.append(f"Infected compartments: {', '.join(report['infected'])}")
    dfe = ", ".join(f"{k} = {report['dfe_expression'].get(k, v)}" for k, v in report["dfe"].items())
    out.append(f"Disease-free equilibrium: {dfe or 'none'}")
    r0 = report["R0"]
    at = report.get("R0_at", AT_DFE)
    out.append(f"R0 (at the {at}) = {r0:.6g}" if r0 is not None else f"R0 (at the {at}): no finite value")
    if report.get("R0_expression"):
        out.append(f"   = {report['R0_expression']}")
    if report.get("R0_note"):
        out.append(f"   ({report['R0_note']})")
    if at != AT_DFE:
        dfe_r0 = report.get("R0_dfe")
        out.append(f"R0 at the {AT_DFE}: " + (f"{dfe_r0:.6g}" if dfe_r0 is not None else "no finite value"))
    elif report.get("R0_initial") is not None and report.get("R0_initial") != r0:
        expr = f" = {report['R0_initial_expression']}" if report.get("R0_initial_expression") else ""
        out.append(f"R0 at the initial susceptible pool = {report['R0_initial']:.6g}{expr}")
    out += ["", f"Equations (N = {report['N']}):"]
    out += [f"  d{c}/dt = {e}" for c, e in report["equations"].items()]
    if report.get("passive"):
        out.append(f"Passive (read by no rate, left out of the equilibrium conditions): {', '.join(report['passive'])}")
    if report["conservation_laws"]:
        out += ["", "Conserved: " + "; ".join(report["conservation_laws"])]
    out += ["", f"Equilibria ({len(report['equilibria'])}):"]
    for e in report["equilibria"]:
        state = ", ".join(f"{k} = {v:.6g}" for k, v in e["state"].items())
        fam = f"  [family, free: {', '.join(e['free'])}]" if e.get("free") else ""
        out.append(f"  {state}: {e['stability']}{fam}")
        eigs = ", ".join(f"{re:.4g}" + (f"{im:+.4g}i" if abs(im) > 0 else "") for re, im in e["eigenvalues"])
        out.append(f"      eigenvalues: {eigs}")
        if e.get("expression"):
            out.append("      closed form: " + ", ".join(f"{k} = {v}" for k, v in e["expression"].items()))
    for note in report.get("notes", []):
        out.append(f"Note: {note}")
    return "\n".join(out)
