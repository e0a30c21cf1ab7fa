"""Floor plans: text grids with a legend, a scale and named zones, validated on load; PNG import.

A map file is a YAML header, a line ``---``, then the grid, one text row per cell row::

    name: tiny
    scale: 0.5                  # metres per cell
    legend: {"#": wall, ".": floor, "+": door, "G": {exit: main-gate}, "L": {zone: lab}}
    zones: {hall: [1, 1, 8, 3]} # [col0, row0, col1, row1], inclusive, in cells
    ---
    ##########
    #........G
    ...

Cells are walls, floor, doors or exits. Doors are grouped into door ids (4-connected door cells);
their state (open, shut, barricaded) lives outside the plan, so it can change during a run.
A zone is a named set of walkable cells, from legend characters or rectangles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from scipy import ndimage

from hyosan.errors import ScenarioError

FLOOR, WALL, DOOR, EXIT = 0, 1, 2, 3
KINDS = {"floor": FLOOR, "wall": WALL, "door": DOOR}
PNG_PALETTE = {(0, 0, 0): "wall", (255, 255, 255): "floor", (255, 0, 0): "door"}
#: The largest map: 25 million cells (5000 x 5000); its distance fields alone take gigabytes.
MAX_CELLS = 25_000_000
#: Bytes per cell while a map is read and checked (the grid, ids, masks, a decoded RGB pixel).
LOAD_CELL_BYTES = 40
EIGHT = np.ones((3, 3), dtype=bool)


@dataclass
class FloorPlan:
    """A validated floor plan: cell kinds, door and exit ids, named zones, metres per cell."""

    name: str
    source: str
    scale: float
    kind: np.ndarray
    door_id: np.ndarray
    exit_id: np.ndarray
    exits: list[str]
    zones: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.kind.shape

    @property
    def n_doors(self) -> int:
        return int(self.door_id.max()) + 1 if self.door_id.size else 0

    def walkable(self, door_state: np.ndarray | None = None, blocking: tuple[int, ...] = (1,)) -> np.ndarray:
        """Cells an agent may stand on; doors whose state is in ``blocking`` count as walls."""
        ok = self.kind != WALL
        if door_state is not None and self.n_doors:
            shut = np.isin(np.asarray(door_state), blocking)
            ok &= ~((self.door_id >= 0) & shut[np.maximum(self.door_id, 0)])
        return ok

    def zone(self, name: str, where: str = "") -> np.ndarray:
        """The boolean cell mask of zone ``name``."""
        if name not in self.zones:
            raise ScenarioError(
                f"{where or self.source}: unknown zone '{name}' in map {self.name}; "
                f"zones: {', '.join(sorted(self.zones))}"
            )
        return self.zones[name]

    def zone_doors(self, name: str, where: str = "") -> list[int]:
        """Door ids touching zone ``name`` (its ways in and out)."""
        near = ndimage.binary_dilation(self.zone(name, where), structure=EIGHT)
        return sorted(int(d) for d in np.unique(self.door_id[near & (self.door_id >= 0)]))

    def cell_of(self, x_m: float, y_m: float) -> tuple[int, int]:
        """(row, col) of the point (x, y) in metres; (-1, -1), off the map, for a point beyond any map."""
        r, c = y_m / self.scale, x_m / self.scale
        if not (abs(r) < 2**31 and abs(c) < 2**31):
            return -1, -1
        return int(np.floor(r)), int(np.floor(c))


def load_map(target: str | Path, relative_to: Path | None = None) -> FloorPlan:
    """A shipped map by name (``"hyosan-high"``) or a map file (.txt grid or .png painting).

    As for models, a target is a path only when it has a suffix or a ``/``, so a file or folder in the
    working directory never shadows a shipped map."""
    target = str(target)
    path = Path(target)
    if relative_to is not None and not path.is_absolute() and (relative_to / path).exists():
        path = relative_to / path
    if path.suffix.lower() == ".png":
        return load_png(path)
    if path.suffix in (".txt", ".map") or "/" in target:
        if not path.is_file():
            raise ScenarioError(f"{target}: no such map file; give a .txt/.png path or one of: {', '.join(shipped())}")
        from hyosan.compartmental.io import read_file

        return parse_map(read_file(path, ScenarioError), str(path))
    entry = resources.files("hyosan.data.maps") / f"{target}.txt"
    if not entry.is_file():
        raise ScenarioError(f"unknown map '{target}'; shipped maps: {', '.join(shipped())}, or give a file path")
    return parse_map(entry.read_text(), f"{target}.txt")


def shipped() -> list[str]:
    """Names of the maps shipped with hyosan."""
    return sorted(e.name[:-4] for e in resources.files("hyosan.data.maps").iterdir() if e.name.endswith(".txt"))


def parse_map(text: str, source: str) -> FloorPlan:
    """Parse and validate a text floor plan; errors name ``source`` and the line and column."""
    from hyosan.compartmental.io import read_yaml

    lines = text.splitlines()
    try:
        split = next(i for i, line in enumerate(lines) if line.strip() == "---")
    except StopIteration:
        raise ScenarioError(f"{source}: no '---' line; write the YAML header, a line '---', then the grid") from None
    header, where = read_yaml("\n".join(lines[:split]), source)
    header = header or {}
    if not isinstance(header, dict):
        raise ScenarioError(f"{source}:1: the header must be YAML keys (scale, legend, zones)")

    def at(*key: object) -> str:
        return f"{source}:{where.get(tuple(key), 1)}"

    for key in header:
        if key not in ("name", "scale", "legend", "zones"):
            raise ScenarioError(f"{at(key)}: unknown field '{key}'; a map header has name, scale, legend, zones")
    scale = header.get("scale")
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not 0 < scale < float("inf"):
        raise ScenarioError(f"{at('scale')}: scale must be a positive number of metres per cell, e.g. 'scale: 0.5'")
    zones_raw = header.get("zones") or {}
    if not isinstance(zones_raw, dict):
        raise ScenarioError(
            f"{at('zones')}: zones maps a name to [col0, row0, col1, row1], e.g. {{hall: [1, 1, 8, 3]}}"
        )
    legend_raw = header.get("legend") or {}
    if not isinstance(legend_raw, dict):
        raise ScenarioError(
            f"{at('legend')}: legend maps a character to wall, floor, door, {{exit: NAME}}, {{zone: NAME}}"
        )
    legend: dict[str, tuple[int, str | None, str | None]] = {}
    for ch, meaning in legend_raw.items():
        ch = str(ch)
        if len(ch) != 1:
            raise ScenarioError(f"{at('legend', ch)}: legend key '{ch}' must be a single character")
        legend[ch] = _meaning(meaning, at("legend", ch))
    rows = lines[split + 1 :]
    while rows and not rows[-1].strip():
        rows.pop()
    if not rows:
        raise ScenarioError(f"{source}:{split + 2}: the grid is empty; draw the floor plan under '---'")
    width = max(len(r) for r in rows)
    check_size(len(rows), width, source)
    grid = np.full((len(rows), width), WALL, dtype=np.uint8)
    exit_name = np.full(grid.shape, -1, dtype=np.int32)
    exits: list[str] = []
    zone_cells: dict[str, np.ndarray] = {}
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if ch not in legend:
                if ch == " ":
                    continue
                raise ScenarioError(
                    f"{source}:{split + 2 + r}:{c + 1}: character '{ch}' is not in the legend; "
                    "add it or redraw the cell"
                )
            kind, exit_label, zone_label = legend[ch]
            grid[r, c] = kind
            if exit_label is not None:
                if exit_label not in exits:
                    exits.append(exit_label)
                exit_name[r, c] = exits.index(exit_label)
            if zone_label is not None:
                zone_cells.setdefault(zone_label, np.zeros(grid.shape, dtype=bool))[r, c] = True
    for name, rect in zones_raw.items():
        zone_cells[str(name)] = _rect(rect, grid, at("zones", name), str(name))
    name = header.get("name", Path(source).stem)
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{at('name')}: the map's name must be text, e.g. name: school (got {name!r})")
    return build(name, source, float(scale), grid, exit_name, exits, zone_cells)


def check_size(rows: int, cols: int, source: str) -> None:
    """Refuse a grid larger than ``MAX_CELLS`` or than memory allows, before it is allocated or decoded."""
    from hyosan.budget import require_memory

    if rows * cols > MAX_CELLS:
        raise ScenarioError(
            f"{source}: the map is {cols:,} x {rows:,} cells, more than {MAX_CELLS:,}; draw it coarser "
            "(a larger scale, fewer cells)"
        )
    require_memory(rows * cols * LOAD_CELL_BYTES, f"{source}: reading a {cols:,} x {rows:,} map", "draw it coarser")


def _meaning(meaning: object, where: str) -> tuple[int, str | None, str | None]:
    if isinstance(meaning, str) and meaning in KINDS:
        return KINDS[meaning], None, None
    if isinstance(meaning, dict) and len(meaning) == 1:
        ((key, value),) = meaning.items()
        if key in ("exit", "zone") and (not isinstance(value, str) or not value.strip()):
            raise ScenarioError(f"{where}: the {key} name must be text, e.g. {{{key}: main-gate}} (got {value!r})")
        if key == "exit":
            return EXIT, value, None
        if key == "zone":
            return FLOOR, None, value
    raise ScenarioError(
        f"{where}: unknown cell meaning {meaning!r}; use wall, floor, door, {{exit: NAME}} or {{zone: NAME}}"
    )


def _rect(rect: object, grid: np.ndarray, where: str, name: str) -> np.ndarray:
    if not (isinstance(rect, list) and len(rect) == 4 and all(type(v) is int for v in rect)):
        raise ScenarioError(f"{where}: zone '{name}' must be [col0, row0, col1, row1] in whole cells")
    c0, r0, c1, r1 = rect
    h, w = grid.shape
    if not (0 <= c0 <= c1 < w and 0 <= r0 <= r1 < h):
        raise ScenarioError(
            f"{where}: zone '{name}' {rect} names cells outside the {w}x{h} map (columns 0..{w - 1}, rows 0..{h - 1})"
        )
    mask = np.zeros(grid.shape, dtype=bool)
    mask[r0 : r1 + 1, c0 : c1 + 1] = True
    return mask


def build(
    name: str,
    source: str,
    scale: float,
    grid: np.ndarray,
    exit_name: np.ndarray,
    exits: list[str],
    zone_cells: dict[str, np.ndarray],
) -> FloorPlan:
    """Validate a grid (exits present and reachable, zones on walkable cells) and make the plan."""
    if not exits:
        raise ScenarioError(f"{source}: the map has no exit; mark at least one cell {{exit: NAME}} in the legend")
    walk = grid != WALL
    zones = {}
    for zname, mask in zone_cells.items():
        cells = mask & walk
        if not cells.any():
            r, c = np.argwhere(mask)[0]
            raise ScenarioError(
                f"{source}: zone '{zname}' (from row {r}, column {c}) has no walkable cell; fix its cells"
            )
        zones[zname] = cells
    labels, _ = ndimage.label(walk, structure=EIGHT)
    inner = walk & (grid != EXIT)
    for i, ex in enumerate(exits):
        cells = exit_name == i
        comps = np.unique(labels[cells])
        if not any(inner[labels == k].any() for k in comps):
            r, c = np.argwhere(cells)[0]
            raise ScenarioError(
                f"{source}: exit '{ex}' at row {r}, column {c} is unreachable (walled in); open a path to it"
            )
    door_id, _ = ndimage.label(grid == DOOR)
    return FloorPlan(name, source, scale, grid, door_id.astype(np.int32) - 1, exit_name.astype(np.int32), exits, zones)


def load_png(path: str | Path, palette: dict[tuple[int, int, int], str] | None = None) -> FloorPlan:
    """A floor plan painted as a PNG: black wall, white floor, red door, any pure green (0, G, 0) an exit.

    Each distinct green level is a separate exit (``exit-G``); the scale is 0.5 m per pixel unless
    the file name ends in ``@<metres>m.png`` (e.g. ``school@0.25m.png``).
    """
    from PIL import Image

    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise ScenarioError(f"{source}: no such PNG file")
    with path.open("rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ScenarioError(f"{source}: not a PNG file (no PNG header); paint the plan and save it as PNG")
    check_size(int.from_bytes(head[20:24], "big"), int.from_bytes(head[16:20], "big"), source)
    try:
        with Image.open(path, formats=["PNG"]) as im:
            rgb = np.asarray(im.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ScenarioError(f"{source}: not a readable PNG ({' '.join(str(exc).split())})") from None
    palette = palette or PNG_PALETTE
    grid = np.full(rgb.shape[:2], WALL, dtype=np.uint8)
    exit_name = np.full(grid.shape, -1, dtype=np.int32)
    exits: list[str] = []
    known = np.zeros(grid.shape, dtype=bool)
    for colour, meaning in palette.items():
        hit = np.all(rgb == np.array(colour, dtype=np.uint8), axis=-1)
        grid[hit] = KINDS[meaning]
        known |= hit
    green = (rgb[..., 0] == 0) & (rgb[..., 2] == 0) & (rgb[..., 1] > 0) & ~known
    for level in np.unique(rgb[..., 1][green]):
        hit = green & (rgb[..., 1] == level)
        exits.append(f"exit-{int(level)}")
        grid[hit] = EXIT
        exit_name[hit] = len(exits) - 1
    known |= green
    if not known.all():
        r, c = np.argwhere(~known)[0]
        allowed = ", ".join(f"{v} {k}" for k, v in palette.items())
        raise ScenarioError(
            f"{source}: pixel at x={c}, y={r} has colour {tuple(int(v) for v in rgb[r, c])}, not in the palette "
            f"({allowed}, pure green exit); repaint it"
        )
    scale = 0.5
    stem = path.stem
    if "@" in stem and stem.endswith("m"):
        try:
            scale = float(stem.rsplit("@", 1)[1][:-1])
        except ValueError:
            scale = float("nan")
        if not 0 < scale < float("inf"):
            raise ScenarioError(f"{source}: cannot read the scale in the name; write e.g. school@0.5m.png")
    return build(stem, source, scale, grid, exit_name, exits, {})
