"""The safe rate-expression language: parsed with ``ast`` against a whitelist, never ``eval``-ed.

An expression may use numbers, names (compartments, parameters, ``N``, ``t``, and in events ``n``),
``+ - * / **``, unary minus and a few math functions. From one parsed expression come its Python
source for compiled kernels, a plain-float evaluator, and a sympy expression for analysis.

Every walk over a tree is iterative (a postfix program computed once), so no expression can exhaust
the interpreter's recursion limit. Limits, each refused with a one-line reason: ``MAX_LENGTH``
characters; ``MAX_DEPTH`` levels of nesting (a long ``a + b + c ...`` chain is one level); literals
of at most ``MAX_LITERAL`` characters that are finite and do not underflow to zero; a constant part
(one without names) must have a finite value, and a constant exponent at most ``MAX_EXPONENT`` in
magnitude, so that ``9**9**9**9`` is refused instead of hanging the symbolic analysis.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
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

ARITY: dict[str, tuple[int, int]] = {
    "exp": (1, 1),
    "log": (1, 1),
    "sqrt": (1, 1),
    "sin": (1, 1),
    "cos": (1, 1),
    "abs": (1, 1),
    "min": (2, 64),
    "max": (2, 64),
}
"""Fewest and most positional arguments of each function (compiled kernels take ``log`` of one argument)."""

MAX_LENGTH = 2000
MAX_DEPTH = 100
MAX_LITERAL = 40
MAX_EXPONENT = 1000.0

_BINOPS: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY: dict[type, str] = {ast.USub: "-", ast.UAdd: "+"}
_PREC: dict[type, int] = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.Pow: 4}
_UNARY_PREC = 3
_ATOM = 5

_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}

# A postfix program: ("c", number) | ("v", name) | ("b", op type) | ("u", op type) | ("f", name, nargs)
Step = tuple


@dataclass(frozen=True)
class Expr:
    """A validated expression: its text, the names it reads, its AST and its postfix program.

    Two expressions are equal when their texts are.
    """

    text: str
    names: frozenset[str]
    tree: ast.expr = field(compare=False, repr=False)
    program: tuple[Step, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.program:
            object.__setattr__(self, "program", _postfix(self.tree))

    def source(self, rename: Mapping[str, str] | None = None) -> str:
        """Python source with names substituted (e.g. ``S`` -> ``x[0]``) for generated kernels."""
        return _render(self.program, rename or {}, {k: v[0] for k, v in FUNCTIONS.items()})

    def canonical(self) -> str:
        """The expression as text of this language (numbers as floats, only the parentheses needed)."""
        return _render(self.program, {}, {k: k for k in FUNCTIONS})

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The value for plain floats; every name must be in ``values``."""
        return float(_evaluate(self.program, values))

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

        def leaf(step: Step):
            if step[0] == "v":
                return symbols[step[1]]
            value = step[1]
            return sympy.nsimplify(value) if isinstance(value, float) else sympy.Integer(value)

        return _run(self.program, leaf, lambda op, a, b: _OPERATORS[op](a, b), lambda name, args: funcs[name](*args))

    def __str__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple:
        # pickle and deepcopy recurse through the AST (a 990-term product is 990 levels deep): keep text only
        return (_reparse, (self.text, tuple(sorted(self.names))))


def _reparse(text: str, names: tuple[str, ...]) -> Expr:
    return parse(text, names, "<copied expression>")


def parse(text: str | float | int, allowed: Iterable[str], where: str) -> Expr:
    """Parse ``text`` and check it uses only ``allowed`` names and whitelisted syntax.

    ``where`` names the place (file and field) for the error message.
    """
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ExpressionError(f"{where}: expected an expression, got {type(text).__name__}")
    if isinstance(text, int) and text.bit_length() > 1000:
        raise ExpressionError(f"{where}: the number is too large; write it as e.g. 1e300")
    if isinstance(text, float) and not math.isfinite(text):
        raise ExpressionError(f"{where}: {text!r} is not a finite number")
    source = str(text).strip()
    if not source:
        raise ExpressionError(f"{where}: the expression is empty; write e.g. 'beta*S*I/N'")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"{where}: the expression is longer than {MAX_LENGTH} characters; split it with parameters"
        )
    if not source.isascii():
        i, ch = next((i, ch) for i, ch in enumerate(source) if not ch.isascii())
        raise ExpressionError(
            f"{where}: the expression has the character {ch!a} at position {i + 1}; "
            "expressions are ASCII (names, numbers, + - * / ** and functions)"
        )
    short = source if len(source) <= 80 else source[:77] + "..."
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"{where}: cannot parse '{short}' ({exc.msg})") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError(f"{where}: cannot parse '{short}'; write e.g. 'beta*S*I/N'") from None
    names = _check(tree, set(allowed), where, short, source)
    program = _postfix(tree)
    _check_constants(program, where, short)
    return Expr(source, frozenset(names), tree, program)


def _children(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _check(tree: ast.expr, allowed: set[str], where: str, short: str, source: str) -> set[str]:
    """Whitelist every node, depth first without recursion; returns the names read."""
    names: set[str] = set()
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"{where}: '{short}' is nested more than {MAX_DEPTH} levels deep; "
                "simplify it or split it with parameters"
            )
        if isinstance(node, ast.Constant):
            _check_literal(node, where, short, source)
        elif isinstance(node, ast.Name):
            if node.id not in allowed:
                known = ", ".join(sorted(allowed))
                raise ExpressionError(f"{where}: unknown name '{node.id}' in '{short}'; use one of: {known}")
            names.add(node.id)
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            # the left operand of a same-precedence operator continues a chain: a + b + c is one level
            chain = isinstance(node.left, ast.BinOp) and _PREC.get(type(node.left.op)) == _PREC[type(node.op)]
            stack.append((node.left, depth if chain and not isinstance(node.op, ast.Pow) else depth + 1))
            stack.append((node.right, depth + 1))
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ast.Call):
            _check_call(node, where, short)
            stack.extend((a, depth + 1) for a in node.args)
        else:
            raise ExpressionError(
                f"{where}: '{_snippet(node)}' ({type(node).__name__}) is not allowed in '{short}'; "
                "use numbers, names, + - * / ** and the functions " + ", ".join(FUNCTIONS)
            )
    return names


def _snippet(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except (RecursionError, ValueError):
        return type(node).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _check_literal(node: ast.Constant, where: str, short: str, source: str) -> None:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExpressionError(f"{where}: '{short}' contains {_snippet(node)}; only numbers are allowed")
    literal = ast.get_source_segment(source, node) or ""
    if len(literal) > MAX_LITERAL:
        raise ExpressionError(
            f"{where}: the number '{literal[:20]}...' in '{short}' has more than {MAX_LITERAL} characters; "
            "write it in exponent form, e.g. 1.5e12"
        )
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExpressionError(f"{where}: the number '{literal}' in '{short}' is too large to be finite (max ~1.8e308)")
    if number == 0 and any(ch in "123456789" for ch in literal.lower().split("e")[0]):
        raise ExpressionError(f"{where}: the number '{literal}' in '{short}' is too small and would be read as 0")


def _check_call(node: ast.Call, where: str, short: str) -> None:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        fn = node.func.id if isinstance(node.func, ast.Name) else _snippet(node.func)
        raise ExpressionError(
            f"{where}: call of '{fn}' in '{short}' is not allowed; functions allowed: {', '.join(FUNCTIONS)}"
        )
    name = node.func.id
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise ExpressionError(f"{where}: '{name}' takes positional arguments only")
    lo, hi = ARITY[name]
    if not lo <= len(node.args) <= hi:
        want = f"{lo}" if lo == hi else f"{lo} to {hi}"
        raise ExpressionError(
            f"{where}: '{name}' takes {want} argument{'s' if hi > 1 else ''}, got {len(node.args)} in '{short}'"
        )


def _postfix(tree: ast.expr) -> tuple[Step, ...]:
    """The tree as a postfix program (children before parents), built without recursion."""
    out: list[Step] = []
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, done = stack.pop()
        if isinstance(node, ast.Constant):
            out.append(("c", node.value))
        elif isinstance(node, ast.Name):
            out.append(("v", node.id))
        elif done:
            if isinstance(node, ast.BinOp):
                out.append(("b", type(node.op)))
            elif isinstance(node, ast.UnaryOp):
                out.append(("u", type(node.op)))
            else:
                assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                out.append(("f", node.func.id, len(node.args)))
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(_children(node)))
    return tuple(out)


def _run(
    program: Iterable[Step],
    leaf: Callable[[Step], Any],
    binop: Callable[[type, Any, Any], Any],
    call: Callable[[str, list], Any],
) -> Any:
    """Evaluate a postfix program on a value stack: ``leaf`` for numbers and names, ``binop``/``call`` above."""
    stack: list[Any] = []
    for step in program:
        kind = step[0]
        if kind == "b":
            b = stack.pop()
            stack[-1] = binop(step[1], stack[-1], b)
        elif kind == "u":
            if step[1] is ast.USub:
                stack[-1] = -stack[-1]
        elif kind == "f":
            k = step[2]
            args = stack[-k:]
            del stack[-k:]
            stack.append(call(step[1], args))
        else:
            stack.append(leaf(step))
    return stack[0]


def _float_binop(op: type, a: float, b: float) -> float:
    try:
        value = _OPERATORS[op](a, b)
        return math.nan if isinstance(value, complex) else value
    except ZeroDivisionError:
        return math.copysign(math.inf, a) if a else math.nan
    except OverflowError:
        return math.nan


def _float_call(name: str, args: list) -> float:
    try:
        return float(FUNCTIONS[name][1](*args))
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.nan


def _evaluate(program: Iterable[Step], values: Mapping[str, float]) -> float:
    def leaf(step: Step) -> float:
        return float(step[1]) if step[0] == "c" else float(values[step[1]])

    return _run(program, leaf, _float_binop, _float_call)


def _check_constants(program: tuple[Step, ...], where: str, short: str) -> None:
    """Refuse constant parts without a finite value and powers with a huge constant exponent."""
    stack: list[float | None] = []  # None: depends on a name
    for step in program:
        kind = step[0]
        if kind == "c":
            stack.append(float(step[1]))
        elif kind == "v":
            stack.append(None)
        elif kind == "u":
            if stack[-1] is not None and step[1] is ast.USub:
                stack[-1] = -stack[-1]
        elif kind == "b":
            b = stack.pop()
            a = stack[-1]
            if step[1] is ast.Pow and b is not None and abs(b) > MAX_EXPONENT:
                raise ExpressionError(
                    f"{where}: an exponent of {b:.6g} in '{short}' is larger than {MAX_EXPONENT:g}; "
                    "use exp() or a smaller power"
                )
            stack[-1] = None if a is None or b is None else _constant(_float_binop(step[1], a, b), where, short)
        else:
            k = step[2]
            args = stack[-k:]
            del stack[-k:]
            known = None if any(a is None for a in args) else _constant(_float_call(step[1], args), where, short)
            stack.append(known)


def _constant(value: float, where: str, short: str) -> float:
    if not math.isfinite(value):
        raise ExpressionError(
            f"{where}: a constant part of '{short}' has no finite value ({value}); check divisions, powers and exp/log"
        )
    return value


def _render(program: Iterable[Step], rename: Mapping[str, str], funcs: Mapping[str, str]) -> str:
    """Source with only the parentheses Python's precedence needs (deep chains stay flat)."""
    stack: list[tuple[str, int]] = []
    for step in program:
        kind = step[0]
        if kind == "c":
            stack.append((repr(float(step[1])), _ATOM))
        elif kind == "v":
            stack.append((rename.get(step[1], step[1]), _ATOM))
        elif kind == "u":
            text, prec = stack[-1]
            text = f"({text})" if prec < _UNARY_PREC else text
            stack[-1] = (f"{_UNARY[step[1]]}{text}", _UNARY_PREC)
        elif kind == "b":
            op = step[1]
            p = _PREC[op]
            (rt, rp) = stack.pop()
            (lt, lp) = stack[-1]
            if op is ast.Pow:
                left = f"({lt})" if lp <= p else lt
                right = f"({rt})" if rp < _UNARY_PREC else rt
            else:
                left = f"({lt})" if lp < p else lt
                right = f"({rt})" if rp <= p else rt
            stack[-1] = (f"{left} {_BINOPS[op]} {right}", p)
        else:
            k = step[2]
            args = stack[-k:]
            del stack[-k:]
            stack.append((f"{funcs[step[1]]}({', '.join(a for a, _ in args)})", _ATOM))
    return stack[0][0]
