"""Priors and bounds of fitted parameters, parsed from text with a whitelist (never ``eval``-ed).

``uniform(a, b)``, ``loguniform(a, b)``, ``lognormal(mu, sigma)`` (of log x), ``normal(mu, sigma)``,
``halfnormal(s)``; bounds ``a:b`` mean ``uniform(a, b)``, ``a:`` a flat (improper) prior on
``(a, inf)``. A parameter fitted with neither gets a flat prior on ``(0, inf)``.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from hyosan.errors import HyosanError

#: Prior kind -> number of arguments.
KINDS = {"uniform": 2, "loguniform": 2, "lognormal": 2, "normal": 2, "halfnormal": 1, "flat": 2}
EXAMPLE = "e.g. 'beta=lognormal(0,1)', 'gamma=uniform(0.05,2)' or bounds 'beta=0:5'"


class FitError(HyosanError):
    """A fit's data, observables, priors or options are malformed."""


@dataclass(frozen=True)
class Prior:
    """A prior on one parameter; ``flat`` is improper (a constant on ``(lo, hi)``)."""

    kind: str
    args: tuple[float, ...]

    @property
    def support(self) -> tuple[float, float]:
        a = self.args
        if self.kind in ("uniform", "loguniform", "flat"):
            return a[0], a[1]
        if self.kind in ("lognormal", "halfnormal"):
            return 0.0, math.inf
        return -math.inf, math.inf

    @property
    def proper(self) -> bool:
        return self.kind != "flat" or bool(np.isfinite(self.args).all())

    def __str__(self) -> str:
        if self.kind == "flat":
            return f"flat on ({self.args[0]:g}, {self.args[1]:g})"
        return f"{self.kind}({', '.join(f'{v:g}' for v in self.args)})"

    def logpdf(self, x: float) -> float:
        lo, hi = self.support
        if not lo < x < hi:
            return -math.inf
        a = self.args
        if self.kind == "flat":
            return 0.0 if not self.proper else -math.log(a[1] - a[0])
        if self.kind == "uniform":
            return -math.log(a[1] - a[0])
        if self.kind == "loguniform":
            return -math.log(x) - math.log(math.log(a[1] / a[0]))
        if self.kind == "lognormal":
            return float(stats.lognorm.logpdf(x, s=a[1], scale=math.exp(a[0])))
        if self.kind == "normal":
            return float(stats.norm.logpdf(x, a[0], a[1]))
        return float(stats.halfnorm.logpdf(x, scale=a[0]))

    def sample(self, rng: np.random.Generator, n: int, center: float = 1.0) -> np.ndarray:
        """Draws from the prior; an improper flat prior draws around ``center`` (starts of an optimiser)."""
        a = self.args
        if self.kind == "uniform" or (self.kind == "flat" and self.proper):
            return rng.uniform(a[0], a[1], n)
        if self.kind == "loguniform":
            return np.exp(rng.uniform(math.log(a[0]), math.log(a[1]), n))
        if self.kind == "lognormal":
            return rng.lognormal(a[0], a[1], n)
        if self.kind == "normal":
            return rng.normal(a[0], a[1], n)
        if self.kind == "halfnormal":
            return np.abs(rng.normal(0, a[0], n))
        lo, hi = self.support
        base = center if lo < center < hi else (lo + 1.0 if math.isfinite(lo) else hi - 1.0)
        scale = max(abs(base), 1e-3)
        if math.isfinite(lo) and base > lo:
            draws = lo + (base - lo) * np.exp(rng.normal(0, 1.0, n))
        else:
            draws = base + scale * rng.normal(0, 1.0, n)
        return np.clip(draws, np.nextafter(lo, math.inf), np.nextafter(hi, -math.inf))


def parse_prior(text: str, where: str) -> Prior:
    """``lognormal(0, 1)`` and the like, or bounds ``a:b`` / ``a:``; one-line errors naming ``where``."""
    text = text.strip()
    if ":" in text:
        lo_text, _, hi_text = text.partition(":")
        lo = _bound(lo_text, where, -math.inf)
        hi = _bound(hi_text, where, math.inf)
        if not lo < hi:
            raise FitError(f"{where}: bounds {text!r} need low < high, {EXAMPLE}")
        kind = "uniform" if math.isfinite(lo) and math.isfinite(hi) else "flat"
        return Prior(kind, (lo, hi))
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise FitError(f"{where}: cannot read the prior {text!r}; {EXAMPLE}") from None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords):
        raise FitError(f"{where}: {text!r} is not a prior; {EXAMPLE}")
    kind = node.func.id
    if kind not in KINDS or kind == "flat":
        raise FitError(f"{where}: unknown prior {kind!r}; use one of {', '.join(k for k in KINDS if k != 'flat')}")
    if len(node.args) != KINDS[kind]:
        raise FitError(f"{where}: {kind} takes {KINDS[kind]} number(s), got {len(node.args)}; {EXAMPLE}")
    args = tuple(_literal(a, where, text) for a in node.args)
    prior = Prior(kind, args)
    _check(prior, where, text)
    return prior


def _bound(text: str, where: str, missing: float) -> float:
    if not text.strip():
        return missing
    try:
        value = float(text)
    except ValueError:
        raise FitError(f"{where}: bound {text.strip()!r} is not a number; {EXAMPLE}") from None
    if math.isnan(value):
        raise FitError(f"{where}: bound {text.strip()!r} is not a number; {EXAMPLE}")
    return value


def _literal(node: ast.expr, where: str, text: str) -> float:
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign, node = (-1.0 if isinstance(node.op, ast.USub) else 1.0), node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        value = sign * float(node.value)
        if math.isfinite(value):
            return value
    raise FitError(f"{where}: the arguments of {text!r} must be plain finite numbers")


def _check(prior: Prior, where: str, text: str) -> None:
    a = prior.args
    bad = {
        "uniform": not a[0] < a[1],
        "loguniform": not 0 < a[0] < a[1],
        "lognormal": a[1] <= 0,
        "normal": a[1] <= 0,
        "halfnormal": a[0] <= 0,
    }[prior.kind]
    if bad:
        need = {
            "uniform": "low < high",
            "loguniform": "0 < low < high",
            "lognormal": "sigma > 0",
            "normal": "sigma > 0",
            "halfnormal": "scale > 0",
        }[prior.kind]
        raise FitError(f"{where}: {text!r} needs {need}")


def parse_assignments(items: list[str] | tuple[str, ...], option: str) -> dict[str, str | None]:
    """``--fit beta=0:5,gamma`` and ``--prior "beta=lognormal(0,1)"`` items -> {name: text or None}.

    Commas inside parentheses belong to the prior; repeated options add up.
    """
    out: dict[str, str | None] = {}
    for item in items:
        for part in _split_top(item):
            name, eq, value = part.partition("=")
            name = name.strip()
            if not all(word.isidentifier() for word in name.split(".")):  # dotted: a scenario's field
                raise FitError(f"{option} {part.strip()!r}: start with a parameter name, e.g. {option} beta=0:5")
            if name in out:
                raise FitError(f"{option}: {name} is given twice; give each parameter once")
            out[name] = value.strip() if eq else None
            if eq and not value.strip():
                raise FitError(f"{option} {part.strip()!r}: give a prior or bounds after '=', {EXAMPLE}")
    return out


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p for p in parts if p.strip()]


def transform(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Bounded -> unconstrained (over the last axis): logit between two bounds, log above one, log of
    the distance below an upper bound, identity with none."""
    x = np.asarray(x, dtype=float)
    flo, fhi = np.isfinite(lo), np.isfinite(hi)
    lo0, hi0 = np.where(flo, lo, 0.0), np.where(fhi, hi, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (x - lo0) / (hi0 - lo0)
        both = np.log(u) - np.log1p(-u)
        return np.where(flo & fhi, both, np.where(flo, np.log(x - lo0), np.where(fhi, np.log(hi0 - x), x)))


def untransform(z: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The inverse of :func:`transform`."""
    z = np.asarray(z, dtype=float)
    flo, fhi = np.isfinite(lo), np.isfinite(hi)
    lo0, hi0 = np.where(flo, lo, 0.0), np.where(fhi, hi, 1.0)
    with np.errstate(over="ignore"):
        both = lo0 + (hi0 - lo0) / (1.0 + np.exp(-z))
        return np.where(flo & fhi, both, np.where(flo, lo0 + np.exp(z), np.where(fhi, hi0 - np.exp(z), z)))
