"""Frames of an agent run drawn at full size: the map, agents as discs, a title, the clock, the speed, live
counts and a legend; written as an animated GIF, an MP4 and a PNG.

A frame is an RGB array: the map (walls, floor, safe rooms, exits, doors by state) is drawn once per door
configuration and time of day at ``scale`` pixels per cell and cached; each frame copies it, stamps the
agents as discs (numpy, one fancy-index per disc pixel; at night on a pale ring) and writes the changing
text with Pillow. No plotting library in the loop: hundreds of frames take seconds. The GIF is quantised
to a fixed palette (every colour drawn, their night tints and a grey ramp for the text), the MP4 is
H.264 by imageio-ffmpeg.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from hyosan.agents.floorplan import DOOR, EXIT, WALL, FloorPlan
from hyosan.viz.story import Clock, speed_label

#: Agents drawn per state (escaped agents are not on the map); soldiers are healthy agents of a soldier kind.
STATE_COLOURS = {
    "healthy": (43, 123, 186),
    "bitten": (245, 150, 30),
    "zombie": (46, 160, 67),
    "humbie": (150, 80, 175),
    "dead": (120, 120, 120),
    "escaped": (70, 185, 190),
    "soldier": (25, 25, 25),
}
STATE_ORDER = ("healthy", "bitten", "zombie", "humbie", "dead", "escaped", "soldier")
MAP_COLOURS = {
    "floor": (236, 232, 222),
    "dark floor": (214, 209, 196),
    "wall": (52, 52, 60),
    "safe room": (205, 222, 240),
    "exit": (120, 205, 140),
    "open door": (205, 170, 120),
    "shut door": (125, 85, 45),
    "barricaded door": (110, 20, 20),
    "broken door": (240, 30, 30),
}
DOOR_LEGEND = ("open door", "shut door", "barricaded door", "broken door")
NIGHT = np.array([0.62, 0.66, 0.86])
INK, PAPER, BADGE = (20, 20, 28), (250, 250, 247), (255, 236, 170)
#: At night agents get a pale ring, so that they stand out on the darkened map.
HALO = (240, 240, 228)
HEADER, BAR, FOOTER = 64, 10, 64
#: The target width of the map in pixels when the scenario does not set ``animation.scale``.
TARGET_WIDTH, TARGET_HEIGHT = 1200, 820


def cell_pixels(world: FloorPlan, scale: int = 0) -> int:
    """Pixels per cell: ``scale`` when given, else as many as keep the map within about 1200 x 820."""
    if scale:
        return int(scale)
    h, w = world.shape
    return max(1, min(TARGET_WIDTH // w, TARGET_HEIGHT // h))


@cache
def _font(size: int, bold: bool = False) -> Any:
    from matplotlib import font_manager
    from PIL import ImageFont

    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else None))
    return ImageFont.truetype(path, size)


@dataclass
class Picture:
    """What a frame shows: time (s), positions (cells), states (0-5, 6 for soldiers), door states and which
    doors have been broken, the playback speed, the state counts to print and a note in place of the speed
    (a still)."""

    t: float
    x: np.ndarray
    y: np.ndarray
    state: np.ndarray
    doors: np.ndarray
    broken: np.ndarray
    speed: float | None
    counts: dict[str, int]
    note: str | None = None


class Painter:
    """Draws :class:`Picture` frames of one scenario's world, all of the same size."""

    def __init__(self, world: FloorPlan, rooms: np.ndarray, light: np.ndarray, title: str, clock: Clock,
                 scale: int = 0, soldiers: bool = False, escaped: str = "escaped") -> None:  # fmt: skip
        self.world, self.rooms, self.light, self.title, self.clock = world, rooms, light, title, clock
        self.px = cell_pixels(world, scale)
        h, w = world.shape
        self.map_w, self.map_h = w * self.px, h * self.px
        self.width = -(-max(self.map_w, 1000) // 16) * 16
        self.height = -(-(HEADER + BAR + self.map_h + FOOTER) // 16) * 16
        self.x0, self.y0 = (self.width - self.map_w) // 2, HEADER + BAR
        self.d = max(min(8, self.px), min(self.px - 1, round(0.75 * self.px / max(world.scale, 1e-9))))
        self.names = [n for n in STATE_ORDER if n != "soldier" or soldiers]
        self.escaped = escaped
        self._bases: dict[tuple[bytes, bytes, bool], np.ndarray] = {}
        self._discs = {d: _disc(d) for d in (self.d, max(3, self.d - 2))}

    def base(self, doors: np.ndarray, broken: np.ndarray, night: bool) -> np.ndarray:
        """The frame without agents and changing text (cached per door states and night)."""
        key = (np.asarray(doors).tobytes(), np.asarray(broken).tobytes(), bool(night))
        if key not in self._bases:
            self._bases[key] = self._draw_base(doors, broken, night)
        return self._bases[key]

    def _draw_base(self, doors: np.ndarray, broken: np.ndarray, night: bool) -> np.ndarray:
        from PIL import Image, ImageDraw

        w = self.world
        cells = np.empty((*w.shape, 3), dtype=np.uint8)
        cells[:] = MAP_COLOURS["floor"]
        cells[self.light < 0.8] = MAP_COLOURS["dark floor"]
        cells[self.rooms] = MAP_COLOURS["safe room"]
        cells[w.kind == WALL] = MAP_COLOURS["wall"]
        cells[w.kind == EXIT] = MAP_COLOURS["exit"]
        if w.n_doors:
            ids = np.maximum(w.door_id, 0)
            state = np.asarray(doors)[ids]
            is_door = (w.kind == DOOR) | (w.door_id >= 0)
            for code, name in ((0, "open door"), (1, "shut door"), (2, "barricaded door")):
                cells[is_door & (state == code)] = MAP_COLOURS[name]
            cells[is_door & np.asarray(broken, dtype=bool)[ids]] = MAP_COLOURS["broken door"]
        if night:
            cells = (cells * NIGHT).astype(np.uint8)
        frame = np.empty((self.height, self.width, 3), dtype=np.uint8)
        frame[:] = PAPER
        big = np.repeat(np.repeat(cells, self.px, axis=0), self.px, axis=1)
        frame[self.y0 : self.y0 + self.map_h, self.x0 : self.x0 + self.map_w] = big
        im = Image.fromarray(frame)
        draw = ImageDraw.Draw(im)
        draw.text((14, 8), self.title, fill=INK, font=_font(20, True))
        self._mark_doors(draw, doors, broken, night)
        y = self.y0 + self.map_h + 36
        x = 14
        for name in (*DOOR_LEGEND, "safe room", "exit"):
            draw.rectangle([x, y + 3, x + 13, y + 16], fill=MAP_COLOURS[name], outline=INK)
            draw.text((x + 19, y + 1), name, fill=INK, font=_font(14))
            x += 19 + int(draw.textlength(name, font=_font(14))) + 22
        return np.asarray(im).copy()

    def _mark_doors(self, draw: Any, doors: np.ndarray, broken: np.ndarray, night: bool) -> None:
        """A frame around each barricaded or broken door, so that it reads at full size."""
        w = self.world
        for d in np.flatnonzero((np.asarray(doors) == 2) | np.asarray(broken, dtype=bool)):
            rows, cols = np.nonzero(w.door_id == d)
            if not rows.size:
                continue
            colour = np.array(MAP_COLOURS["broken door" if broken[d] else "barricaded door"])
            colour = tuple(int(v) for v in (colour * NIGHT if night else colour))
            x0, y0 = self.x0 + cols.min() * self.px - 2, self.y0 + rows.min() * self.px - 2
            x1, y1 = self.x0 + (cols.max() + 1) * self.px + 1, self.y0 + (rows.max() + 1) * self.px + 1
            draw.rectangle([x0, y0, x1, y1], outline=colour, width=2)

    def frame(self, p: Picture) -> np.ndarray:
        """One RGB frame (height x width x 3, uint8)."""
        from PIL import Image, ImageDraw

        night = bool(self.clock.is_night(p.t))
        img = self.base(p.doors, p.broken, night).copy()
        on = p.state != 5
        if night:
            alive = on & (p.state != 4)
            self._stamp(img, p.x[alive], p.y[alive], HALO, self.d + 2)
        for code in (4, 0, 6, 1, 3, 2):
            pick = on & (p.state == code)
            if pick.any():
                d = self.d if code != 4 else max(3, self.d - 2)
                self._stamp(img, p.x[pick], p.y[pick], STATE_COLOURS[STATE_ORDER[code]], d)
        im = Image.fromarray(img)
        draw = ImageDraw.Draw(im)
        slow = p.speed is not None and p.speed < 600
        label = self.clock.label(p.t, slow) + ("  night" if night else "")
        font = _font(24, True)
        draw.text((self.width - 14 - draw.textlength(label, font=font), 6), label, fill=INK, font=font)
        if p.note or p.speed is not None:
            text = p.note or "time " + speed_label(p.speed)
            draw.rounded_rectangle([12, 36, 24 + draw.textlength(text, font=_font(15)), 58], 6, fill=BADGE)
            draw.text((18, 38), text, fill=INK, font=_font(15))
        self._counts(draw, p.counts)
        return np.asarray(im)

    def _counts(self, draw: Any, counts: dict[str, int]) -> None:
        y, x = self.y0 + self.map_h + 8, 14
        for name in self.names:
            label = f"{self.escaped if name == 'escaped' else name} {counts.get(name, 0):,}"
            draw.ellipse([x, y + 3, x + 14, y + 17], fill=STATE_COLOURS[name], outline=INK)
            draw.text((x + 20, y), label, fill=INK, font=_font(16, True))
            x += 20 + int(draw.textlength(label, font=_font(16, True))) + 26

    def _stamp(self, img: np.ndarray, x: np.ndarray, y: np.ndarray, colour: tuple, d: int) -> None:
        cx = np.clip(self.x0 + (x * self.px).astype(np.int64) - d // 2, self.x0, self.x0 + self.map_w - d)
        cy = np.clip(self.y0 + (y * self.px).astype(np.int64) - d // 2, self.y0, self.y0 + self.map_h - d)
        for dy, dx in self._discs.setdefault(d, _disc(d)):
            img[cy + dy, cx + dx] = colour


def _disc(d: int) -> list[tuple[int, int]]:
    c, r2 = (d - 1) / 2.0, (d / 2.0) ** 2 + 0.25
    return [(i, j) for i in range(d) for j in range(d) if (i - c) ** 2 + (j - c) ** 2 <= r2]


def palette() -> Any:
    """A "P" image holding the GIF palette: every colour drawn, its night tint, and a grey ramp."""
    from PIL import Image

    colours = [*STATE_COLOURS.values(), INK, PAPER, BADGE, HALO]
    tinted = [tuple(int(v) for v in np.array(c) * NIGHT) for c in MAP_COLOURS.values()]
    colours += list(MAP_COLOURS.values()) + tinted
    colours += [(g, g, g) for g in range(0, 256, 9)]
    colours += [tuple(int(v) for v in 0.5 * np.array(BADGE) + 0.5 * np.array(INK))]
    colours = list(dict.fromkeys(colours))[:256]
    flat = [v for c in colours for v in c] + [0] * (768 - 3 * len(colours))
    im = Image.new("P", (1, 1))
    im.putpalette(flat)
    return im


def write_gif(path: str | Path, frames: Iterable[np.ndarray], fps: float) -> Path:
    """Write RGB frames as a looping GIF on the fixed :func:`palette`."""
    from PIL import Image

    pal = palette()
    images = [Image.fromarray(f).quantize(palette=pal, dither=Image.Dither.NONE) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
    return Path(path)


def write_mp4(path: str | Path, frames: Iterable[np.ndarray], fps: float) -> Path:
    """Write RGB frames as an H.264 MP4 (yuv420p, plays everywhere) with the ffmpeg of imageio-ffmpeg."""
    import imageio.v2 as imageio

    with imageio.get_writer(
        str(path), format="FFMPEG", mode="I", fps=fps, codec="libx264", quality=5, macro_block_size=16
    ) as out:
        for f in frames:
            out.append_data(f)
    return Path(path)


def write_png(path: str | Path, frame: np.ndarray) -> Path:
    """Write one RGB frame as a PNG."""
    from PIL import Image

    Image.fromarray(frame).save(path, optimize=True)
    return Path(path)
