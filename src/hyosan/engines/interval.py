"""Certified bounds of rates over a time window, by interval arithmetic on the validated expression tree.

Exact simulation of a rate that reads ``t`` (thinning) needs an upper bound of the rate over a
window ``[t0, t1]`` that is *guaranteed*, not sampled. :func:`bounds_source` turns each rate's
tree into straight-line Numba code that carries ``(lo, hi)`` through every operation with the
state and parameters held fixed: ``+ - * /`` by the endpoint rules, monotone functions (``exp``,
``log``, ``sqrt``) on the endpoints, ``sin``/``cos`` with their extrema located, ``abs``,
``min``/``max`` and ``**`` by cases. Where no finite bound exists (a division by an interval
holding 0, ``log`` at 0) the result is ``(-inf, inf)`` and the engine narrows the window or refuses.
A factor that is exactly 0 makes a product 0 whatever the other factor's range (a rate is
finite wherever it is evaluated; where it is not, the engine refuses it at that point).
The upper end is widened by a relative 1e-12 so that rounding cannot put a rate above its bound.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from hyosan.compartmental.expr import Expr

HELPERS = """
@njit(cache=True, error_model="numpy", nogil=True)
def _imul(al, ah, bl, bh):
    if al == ah and bl == bh:
        v = al * bl
        return v, v
    if (al == 0.0 and ah == 0.0) or (bl == 0.0 and bh == 0.0):
        return 0.0, 0.0
    p1, p2, p3, p4 = al * bl, al * bh, ah * bl, ah * bh
    if p1 != p1 or p2 != p2 or p3 != p3 or p4 != p4:
        return -INF, INF
    return min(p1, p2, p3, p4), max(p1, p2, p3, p4)


@njit(cache=True, error_model="numpy", nogil=True)
def _idiv(al, ah, bl, bh):
    if bl <= 0.0 <= bh:
        if al == ah and bl == bh:
            v = al / bl
            return v, v
        return -INF, INF
    return _imul(al, ah, 1.0 / bh, 1.0 / bl)


@njit(cache=True, error_model="numpy", nogil=True)
def _ipow(al, ah, bl, bh):
    if al == ah and bl == bh:
        v = al**bl
        return v, v
    if bl == bh and bl == math.floor(bl) and abs(bl) < 1e6:
        n = bl
        if n == 0.0:
            return 1.0, 1.0
        if n > 0.0:
            if n % 2.0 == 1.0 or al >= 0.0:
                return al**n, ah**n
            if ah <= 0.0:
                return ah**n, al**n
            return 0.0, max(al**n, ah**n)
        if al > 0.0 or ah < 0.0:
            m = -n
            if m % 2.0 == 1.0 or al >= 0.0:
                return _idiv(1.0, 1.0, al**m, ah**m)
            return _idiv(1.0, 1.0, ah**m, al**m)
        return -INF, INF
    if al > 0.0:
        ll, lh = math.log(al), math.log(ah)
        el, eh = _imul(ll, lh, bl, bh)
        return math.exp(el), math.exp(eh)
    if al == 0.0 and bl > 0.0:
        return 0.0, max(ah**bl, ah**bh) if ah > 0.0 else 0.0
    return -INF, INF


@njit(cache=True, error_model="numpy", nogil=True)
def _isin(al, ah):
    if al == ah:
        v = math.sin(al)
        return v, v
    if not (ah - al < 2.0 * math.pi):
        return -1.0, 1.0
    lo, hi = min(math.sin(al), math.sin(ah)), max(math.sin(al), math.sin(ah))
    k = math.ceil((al - 0.5 * math.pi) / (2.0 * math.pi))
    if 0.5 * math.pi + 2.0 * math.pi * k <= ah:
        hi = 1.0
    k = math.ceil((al + 0.5 * math.pi) / (2.0 * math.pi))
    if -0.5 * math.pi + 2.0 * math.pi * k <= ah:
        lo = -1.0
    return lo, hi


@njit(cache=True, error_model="numpy", nogil=True)
def _icos(al, ah):
    return _isin(al + 0.5 * math.pi, ah + 0.5 * math.pi)


@njit(cache=True, error_model="numpy", nogil=True)
def _iabs(al, ah):
    if al >= 0.0:
        return al, ah
    if ah <= 0.0:
        return -ah, -al
    return 0.0, max(-al, ah)


@njit(cache=True, error_model="numpy", nogil=True)
def _ilog(al, ah):
    if al == ah:
        v = math.log(al) if al > 0.0 else (-INF if al == 0.0 else math.nan)
        return v, v
    if al <= 0.0:
        return -INF, INF
    return math.log(al), math.log(ah)


@njit(cache=True, error_model="numpy", nogil=True)
def _isqrt(al, ah):
    if al < 0.0:
        if al == ah:
            return math.nan, math.nan
        return -INF, INF
    return math.sqrt(al), math.sqrt(ah)


@njit(cache=True, error_model="numpy", nogil=True)
def _iexp(al, ah):
    return math.exp(al), math.exp(ah)
"""

_FN = {"exp": "_iexp", "log": "_ilog", "sqrt": "_isqrt", "sin": "_isin", "cos": "_icos", "abs": "_iabs"}


class _Emitter:
    def __init__(self, rename: Mapping[str, str], prefix: str, indent: str) -> None:
        self.rename, self.prefix, self.indent = rename, prefix, indent
        self.lines: list[str] = []
        self.count = 0

    def fresh(self) -> tuple[str, str]:
        self.count += 1
        return f"{self.prefix}l{self.count}", f"{self.prefix}h{self.count}"

    def emit(self, node: ast.expr) -> tuple[str, str]:
        if isinstance(node, ast.Constant):
            v = repr(float(node.value))
            return v, v
        if isinstance(node, ast.Name):
            if node.id == "t":
                return "tl", "th"
            v = self.rename.get(node.id, node.id)
            return v, v
        lo, hi = self.fresh()
        put = f"{self.indent}{lo}, {hi} = "
        if isinstance(node, ast.UnaryOp):
            a = self.emit(node.operand)
            self.lines.append(put + (f"-{a[1]}, -{a[0]}" if isinstance(node.op, ast.USub) else f"{a[0]}, {a[1]}"))
        elif isinstance(node, ast.BinOp):
            a, b = self.emit(node.left), self.emit(node.right)
            if isinstance(node.op, ast.Add):
                self.lines.append(put + f"{a[0]} + {b[0]}, {a[1]} + {b[1]}")
            elif isinstance(node.op, ast.Sub):
                self.lines.append(put + f"{a[0]} - {b[1]}, {a[1]} - {b[0]}")
            else:
                fn = {ast.Mult: "_imul", ast.Div: "_idiv", ast.Pow: "_ipow"}[type(node.op)]
                self.lines.append(put + f"{fn}({a[0]}, {a[1]}, {b[0]}, {b[1]})")
        else:
            assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            args = [self.emit(arg) for arg in node.args]
            name = node.func.id
            if name in ("min", "max"):
                self.lines.append(
                    put + f"{name}({', '.join(a[0] for a in args)}), {name}({', '.join(a[1] for a in args)})"
                )
            else:
                self.lines.append(put + f"{_FN[name]}({args[0][0]}, {args[0][1]})")
        self.lines.append(f"{self.indent}if {lo} != {lo} or {hi} != {hi}:")
        self.lines.append(f"{self.indent}    {lo}, {hi} = -INF, INF")
        return lo, hi


def interval_lines(expr: Expr, rename: Mapping[str, str], prefix: str, indent: str) -> tuple[list[str], str, str]:
    """Lines computing ``(lo, hi)`` of ``expr`` for ``t`` in ``[tl, th]``; returns (lines, lo, hi) names."""
    em = _Emitter(rename, prefix, indent)
    lo, hi = em.emit(expr.tree)
    return em.lines, lo, hi
