"""The safe rate-expression language: parsed with ``ast`` against a whitelist, never ``eval``-ed.

An expression may use numbers, names (compartments, parameters, ``N``, ``t``, and in events ``n``),
``+ - * / **``, unary minus and a few math functions. From one parsed expression come its Python
source for compiled kernels, a plain-float evaluator, and a sympy expression for analysis.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hyosan.errors import ExpressionError

FUNCTIONS: dict[str, tuple[str, Callable[..., float]]] = {
    "exp": ("math.exp", math.exp),
    "log": ("math.log", math.log),
    "sqrt": ("math.sqrt", math.sqrt),
    "sin": ("math.sin", math.sin),
    "cos": ("math.cos", math.cos),
    "abs": ("abs", abs),
    "min": ("min", min),
    "max": ("max", max),
}

_BINOPS: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY: dict[type, str] = {ast.USub: "-", ast.UAdd: "+"}


@dataclass(frozen=True)
class Expr:
    """A validated expression: its text, the names it reads, and its AST."""

    text: str
    names: frozenset[str]
    tree: ast.expr

    def source(self, rename: Mapping[str, str] | None = None) -> str:
        """Python source with names substituted (e.g. ``S`` -> ``x[0]``) for generated kernels."""
        rename = rename or {}
        return _to_source(self.tree, rename)

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The value for plain floats; every name must be in ``values``."""
        return float(_evaluate(self.tree, values))

    def sympy(self, symbols: Mapping[str, object]) -> object:
        """A sympy expression over ``symbols`` (name -> sympy Symbol)."""
        import sympy

        funcs = {
            "exp": sympy.exp,
            "log": sympy.log,
            "sqrt": sympy.sqrt,
            "sin": sympy.sin,
            "cos": sympy.cos,
            "abs": sympy.Abs,
            "min": sympy.Min,
            "max": sympy.Max,
        }
        return _to_sympy(self.tree, symbols, funcs)

    def __str__(self) -> str:
        return self.text


def parse(text: str | float | int, allowed: Iterable[str], where: str) -> Expr:
    """Parse ``text`` and check it uses only ``allowed`` names and whitelisted syntax.

    ``where`` names the place (file and field) for the error message.
    """
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ExpressionError(f"{where}: expected an expression, got {type(text).__name__}")
    source = str(text).strip()
    if not source:
        raise ExpressionError(f"{where}: the expression is empty; write e.g. 'beta*S*I/N'")
    if len(source) > 2000:
        raise ExpressionError(f"{where}: the expression is longer than 2000 characters")
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"{where}: cannot parse '{source}' ({exc.msg})") from None
    allowed = set(allowed)
    names: set[str] = set()
    _check(tree, allowed, names, where, source)
    return Expr(source, frozenset(names), tree)


def _check(node: ast.AST, allowed: set[str], names: set[str], where: str, source: str) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"{where}: '{source}' contains {node.value!r}; only numbers are allowed")
        return
    if isinstance(node, ast.Name):
        if node.id not in allowed:
            known = ", ".join(sorted(allowed))
            raise ExpressionError(f"{where}: unknown name '{node.id}' in '{source}'; use one of: {known}")
        names.add(node.id)
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        _check(node.left, allowed, names, where, source)
        _check(node.right, allowed, names, where, source)
        return
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        _check(node.operand, allowed, names, where, source)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            fn = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise ExpressionError(
                f"{where}: call of '{fn}' in '{source}' is not allowed; functions allowed: {', '.join(FUNCTIONS)}"
            )
        if node.keywords or not node.args:
            raise ExpressionError(f"{where}: '{node.func.id}' takes positional arguments only")
        for arg in node.args:
            _check(arg, allowed, names, where, source)
        return
    raise ExpressionError(
        f"{where}: '{ast.unparse(node)}' ({type(node).__name__}) is not allowed in '{source}'; "
        "use numbers, names, + - * / ** and the functions " + ", ".join(FUNCTIONS)
    )


def _to_source(node: ast.expr, rename: Mapping[str, str]) -> str:
    if isinstance(node, ast.Constant):
        return repr(float(node.value))
    if isinstance(node, ast.Name):
        return rename.get(node.id, node.id)
    if isinstance(node, ast.BinOp):
        left, right = _to_source(node.left, rename), _to_source(node.right, rename)
        return f"({left} {_BINOPS[type(node.op)]} {right})"
    if isinstance(node, ast.UnaryOp):
        return f"({_UNARY[type(node.op)]}{_to_source(node.operand, rename)})"
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    args = ", ".join(_to_source(a, rename) for a in node.args)
    return f"{FUNCTIONS[node.func.id][0]}({args})"


_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _fold(node: ast.expr, leaf: Callable[[ast.expr], Any], call: Callable[[str, list], Any], binop) -> Any:
    """Walk a validated tree bottom-up: ``leaf`` for constants and names, ``binop``/``call`` above."""
    if isinstance(node, (ast.Constant, ast.Name)):
        return leaf(node)
    if isinstance(node, ast.BinOp):
        return binop(type(node.op), _fold(node.left, leaf, call, binop), _fold(node.right, leaf, call, binop))
    if isinstance(node, ast.UnaryOp):
        v = _fold(node.operand, leaf, call, binop)
        return -v if isinstance(node.op, ast.USub) else v
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return call(node.func.id, [_fold(a, leaf, call, binop) for a in node.args])


def _evaluate(node: ast.expr, values: Mapping[str, float]) -> float:
    def leaf(n: ast.expr) -> float:
        return float(n.value) if isinstance(n, ast.Constant) else float(values[n.id])

    def binop(op: type, a: float, b: float) -> float:
        try:
            value = _OPERATORS[op](a, b)
            return math.nan if isinstance(value, complex) else value
        except ZeroDivisionError:
            return math.copysign(math.inf, a) if a else math.nan
        except OverflowError:
            return math.nan

    def call(name: str, args: list) -> float:
        try:
            return float(FUNCTIONS[name][1](*args))
        except (ValueError, OverflowError):
            return math.nan

    return _fold(node, leaf, call, binop)


def _to_sympy(node: ast.expr, symbols: Mapping[str, object], funcs: Mapping[str, Any]):
    import sympy

    def leaf(n: ast.expr):
        if isinstance(n, ast.Name):
            return symbols[n.id]
        return sympy.nsimplify(n.value) if isinstance(n.value, float) else sympy.Integer(n.value)

    return _fold(node, leaf, lambda name, args: funcs[name](*args), lambda op, a, b: _OPERATORS[op](a, b))
