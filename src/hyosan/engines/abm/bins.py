"""The cell-list bins of the agent step: which of the 3 x 3 bins around an agent to scan, nearest first.

An agent at (x, y) in bin (br, bc) senses others within its reach (at most the bin side ``B``) and
touches those within the contact radius. :func:`offset` visits the agent's own bin first, then the eight
around it; :func:`gap2` is the squared distance from the agent to the nearest point of a bin, so a bin
that cannot hold anyone closer than the nearest one found so far (or within reach or contact) is skipped
without reading its list. Skipping is exact: the nearest visible one and every contact are the same as
scanning all nine bins.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always", error_model="numpy")
def offset(nb):
    """Row and column offsets of the ``nb``-th bin to scan (0..8): the agent's own bin, then row by row."""
    k = nb + 4 if nb < 5 else nb - 5
    return k // 3 - 1, k % 3 - 1


@njit(cache=True, inline="always", error_model="numpy")
def gap2(xi, yi, rr, cc, B):
    """Squared distance (cells) from (xi, yi) to the nearest point of bin (rr, cc) of side ``B``."""
    ex = max(cc * B - xi, xi - (cc + 1) * B, 0.0)
    ey = max(rr * B - yi, yi - (rr + 1) * B, 0.0)
    return ex * ex + ey * ey
