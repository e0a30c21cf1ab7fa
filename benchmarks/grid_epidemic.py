"""The Mesa comparison model as a Numba kernel (used only by ``bench_abm.py``; not part of hyosan).

Each agent steps to a random one of its 8 neighbours on a ``width`` x ``height`` torus, then every
infected agent infects each healthy agent in its cell with probability ``p``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def seed(value: int) -> None:
    """Seed Numba's generator for this process."""
    np.random.seed(value)


@njit(cache=True, error_model="numpy")
def grid_epidemic(cx, cy, infected, width, height, p, nsteps, counts):
    """Run ``nsteps`` steps in place; returns the number infected at the end."""
    n = cx.size
    for _ in range(nsteps):
        counts[:] = 0
        for i in range(n):
            k = np.random.randint(0, 8)
            k = k + 1 if k >= 4 else k
            cx[i] = (cx[i] + k % 3 - 1) % width
            cy[i] = (cy[i] + k // 3 - 1) % height
            if infected[i]:
                counts[cy[i], cx[i]] += 1
        for i in range(n):
            m = counts[cy[i], cx[i]]
            if not infected[i] and m > 0 and np.random.random() < 1.0 - (1.0 - p) ** m:
                infected[i] = True
    return int(infected.sum())
