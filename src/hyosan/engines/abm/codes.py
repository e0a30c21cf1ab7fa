"""The agent kernels' codes: states, cell kinds, door states, blocking bits, event kinds, trigger kinds and
the layout of the parameter vector ``P``."""

from __future__ import annotations

import numpy as np

S, E, Z, H, D, X = 0, 1, 2, 3, 4, 5
WALL, DOOR, EXIT = 1, 2, 3
OPEN, SHUT, BARRICADED = 0, 1, 2
BLOCKS_HUMANS, BLOCKS_ZOMBIES, OPAQUE = 1, 2, 4
SQRT12 = np.sqrt(12.0)
M = 6
BITE, TURN, HUMBIE, KILL, ESCAPE, HIDE, BARRICADE, SHOT, DISCOVER, INTERVENTION = range(10)
HELD, SCREENED, ISOLATED, ADMITTED, GUARDED = range(10, 15)
EVENT_NAMES = (
    "bite", "turn", "humbie", "kill", "escape", "hide", "barricade", "shot", "discovered", "intervention",
    "held", "screened", "isolated", "admitted", "guarded",
    "breach", "room-falls", "rescued", "reached-base", "revealed", "split", "regroup", "unbarred",
)  # fmt: skip
BREACH, ROOM_FALLS, RESCUED, REACHED_BASE, REVEALED = range(15, 20)  # the siege (engines/abm/siege.py)
SPLIT, REGROUP = 20, 21  # groups of friends (engines/abm/groups.py)
UNBARRED = 22  # the siege: those leaving a quiet room take its barricade down
ABOVE, BELOW, ENTERS = 0, 1, 2

# indices into the parameter vector P
P_B, P_BITE, P_KILL, P_HBITE, P_RC, P_ZWALK, P_ZRUN, P_ZSIGHT, P_HWALK = 0, 1, 2, 3, 4, 5, 6, 7, 8
P_HUMBIE, P_INC_KIND, P_INC1, P_INC2, P_HIDE_SPEED, P_BARRICADE, P_TURN_SD, P_HBEH, P_ZBEH, P_ALARM = range(9, 19)
P_HUMBIE_BEH, P_HSIGHT, P_HRUN = 19, 20, 21
# reserved blocks: 22-31 crowding (crowd.py), 32-41 groups (groups.py), 42-55 the siege (siege.py)
NPARAM = 56
