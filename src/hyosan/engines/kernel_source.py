"""Generated source shared by the stochastic kernels: the header, and the functions that compute
rates, certified bounds of rates that read ``t``, and trigger margins.

Rate functions are split into functions of ``RATES_CHUNK`` rates, or past ``INTERPRET_ABOVE``
transitions evaluate the table's rate programs (:mod:`hyosan.engines.table`), so that compiling
them stays linear in the model's size. Status codes of every kernel are defined here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from hyosan.compartmental.model import Model
from hyosan.engines import table, triggers
from hyosan.engines.codegen import rename_map
from hyosan.engines.interval import interval_lines

OK, ABSORBED, BAD_RATE, TOO_MANY, NO_BOUND, BOUND_BROKEN, TRIGGERED = 0, 1, 2, 3, 4, 5, 6

HEADER = "from numba import njit\n\nINF = math.inf\n\n"
JIT = '@njit(cache=True, error_model="numpy", nogil=True)'

RATES_CHUNK = 100
"""Rates (or bounds) per generated function of the tau and thinning kernels: Numba's compile time
grows faster than a function's length."""
INTERPRET_ABOVE = 200
"""Past this many transitions the tau and thinning kernels evaluate rates from tables (no
per-rate code to compile); bounds of rates that read ``t`` stay generated code."""


def reads(model: Model, used: set[str], ind: str, with_n: bool) -> list[str]:
    """Locals for the compartments and parameters in ``used`` (and ``N``, summed over the population)."""
    names = rename_map(model)
    lines = [f"{ind}{names[c]} = float(x[{i}])" for i, c in enumerate(model.compartments) if c in used]
    lines += [f"{ind}{names[q.name]} = p[{j}]" for j, q in enumerate(model.parameters) if q.name in used]
    if with_n and "N" in used:
        lines += [f"{ind}N = 0.0", f"{ind}for i in _POP:", f"{ind}    N += float(x[i])"]
    return lines


def pop_source(model: Model) -> str:
    return f"_POP = np.array([{', '.join(str(int(i)) for i in model.population_index)}], dtype=np.int64)\n\n"


def _chunked(model: Model, name: str, args: str, items: list[int], emit, result: str) -> str:
    """``def name(args)`` running ``emit(j)`` for each transition j of ``items``: one function, or,
    past ``RATES_CHUNK`` items, one per chunk called in turn (each reading only the names it uses)."""
    chunks = [items[s : s + RATES_CHUNK] for s in range(0, len(items), RATES_CHUNK)]

    def used(chunk: list[int]) -> set[str]:
        return set().union(*(model.transitions[j].rate.names for j in chunk))

    if len(chunks) <= 1:
        lines = [JIT, f"def {name}({args}):", *reads(model, used(items), "    ", True)]
        return "\n".join([*lines, *(line for j in items for line in emit(j)), f"    return {result}"]) + "\n\n\n"
    out = []
    for n, chunk in enumerate(chunks):
        lines = [JIT, f"def _{name}_{n}({args}, N):", *reads(model, used(chunk), "    ", False)]
        out.append("\n".join([*lines, *(line for j in chunk for line in emit(j))]) + "\n\n\n")
    lines = [JIT, f"def {name}({args}):", "    N = 0.0", "    for i in _POP:", "        N += float(x[i])"]
    lines += [f"    _{name}_{n}({args}, N)" for n in range(len(chunks))]
    return "".join(out) + "\n".join([*lines, f"    return {result}"]) + "\n\n\n"


def rates_source(model: Model) -> str:
    """``rates(t, x, p, a)``: fills ``a`` with every transition's rate (generated code, or past
    ``INTERPRET_ABOVE`` transitions the programs of :mod:`hyosan.engines.table`)."""
    if len(model.transitions) > INTERPRET_ABOVE:
        return _interpreted_rates(model)
    names = rename_map(model)
    trs = model.transitions

    def emit(j: int) -> list[str]:
        return [f"    a[{j}] = {trs[j].rate.source(names)}"]

    return _chunked(model, "rates", "t, x, p, a", list(range(len(trs))), emit, "a")


def _array(name: str, values: np.ndarray) -> str:
    items = ", ".join(repr(float(v)) if values.dtype.kind == "f" else str(int(v)) for v in values)
    return f"{name} = np.array([{items}], dtype=np.{values.dtype})\n"


def _interpreted_rates(model: Model) -> str:
    prog_ptr, op, arg, val, depth = table.programs(model)
    digest = hashlib.sha256(Path(table.__file__).read_bytes()).hexdigest()[:16]
    lines = [f"from hyosan.engines.table import rate as _rate  # table.py {digest}\n"]
    lines += [_array("_PP", prog_ptr), _array("_OP", op), _array("_ARG", arg), _array("_VAL", val), "\n"]
    lines += [
        JIT,
        "def rates(t, x, p, a):",
        "    N = 0.0",
        "    for i in _POP:",
        "        N += float(x[i])",
        f"    stack = np.empty({depth})",
        "    for j in range(a.shape[0]):",
        "        a[j] = _rate(j, _PP, _OP, _ARG, _VAL, stack, t, x, p, N)",
        "    return a",
    ]
    return "".join(lines[:6]) + "\n".join(lines[6:]) + "\n\n\n"


def timed_transitions(model: Model) -> list[int]:
    """Indices of the transitions whose rate reads ``t``."""
    return [j for j, tr in enumerate(model.transitions) if "t" in tr.rate.names]


def bounds_source(model: Model) -> str:
    """``bounds(tl, th, x, p, lo, hi)``: certified range of every time-dependent rate for t in [tl, th]."""
    names = rename_map(model)

    def emit(j: int) -> list[str]:
        body, lo, hi = interval_lines(model.transitions[j].rate, names, f"r{j}_", "    ")
        return [*body, f"    lo[{j}] = {lo}", f"    hi[{j}] = {hi} * (1.0 + 1e-12) if {hi} > 0.0 else {hi}"]

    return _chunked(model, "bounds", "tl, th, x, p, lo, hi", timed_transitions(model), emit, "hi")


def margins_source(model: Model) -> str:
    """``margins(t, x, p, act)`` of :func:`hyosan.engines.triggers.margins_source` over a float state."""
    used = triggers.used_names(model)
    return triggers.margins_source(model, rename_map(model), reads(model, used, "    ", True))
