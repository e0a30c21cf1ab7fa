"""Pictures of an agent run: an animated GIF and a snapshot PNG, drawn as indexed-colour frames.

Frames are numpy uint8 arrays of palette indices (the map once, agents painted on a copy), handed
to Pillow as "P" images: no plotting library in the loop, so a few hundred frames take seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hyosan.agents.floorplan import DOOR, EXIT, WALL, FloorPlan

# palette index: 0 floor, 1 wall, 2 door, 3 exit, 4 barricaded door, 5 safe room floor, 6 dark floor,
# then one per state: healthy, bitten, zombie, humbie, dead, escaped, soldier
PALETTE = [
    (236, 232, 222), (52, 52, 60), (176, 128, 80), (90, 200, 120), (140, 30, 30), (214, 228, 242), (200, 196, 186),
    (43, 123, 186), (242, 165, 65), (61, 154, 80), (142, 94, 162), (40, 40, 40), (180, 180, 180), (200, 30, 120),
]  # fmt: skip
STATE_BASE = 7
LEGEND = ("healthy", "bitten", "zombie", "humbie", "dead", "escaped", "soldier")


def base_image(
    world: FloorPlan,
    door_state: np.ndarray | None = None,
    rooms: np.ndarray | None = None,
    light: np.ndarray | None = None,
) -> np.ndarray:
    """Palette indices of the plan: walls, floor (darker where dark), safe rooms, doors, exits."""
    img = np.zeros(world.shape, dtype=np.uint8)
    if light is not None:
        img[light < 0.8] = 6
    if rooms is not None:
        img[rooms] = 5
    img[world.kind == WALL] = 1
    img[world.kind == DOOR] = 2
    img[world.kind == EXIT] = 3
    if door_state is not None and world.n_doors:
        closed = (world.door_id >= 0) & (np.asarray(door_state)[np.maximum(world.door_id, 0)] > 0)
        img[closed] = 4
    return img


def render(base: np.ndarray, x: np.ndarray, y: np.ndarray, state: np.ndarray, scale: int) -> np.ndarray:
    """One frame: the map scaled by ``scale``, each visible agent a dot coloured by its state."""
    img = np.repeat(np.repeat(base, scale, axis=0), scale, axis=1)
    keep = state != 5
    px = np.clip((x[keep] * scale).astype(np.int32), 0, img.shape[1] - 1)
    py = np.clip((y[keep] * scale).astype(np.int32), 0, img.shape[0] - 1)
    colour = (STATE_BASE + state[keep]).astype(np.uint8)
    order = np.argsort(colour == STATE_BASE + 2, kind="stable")
    px, py, colour = px[order], py[order], colour[order]
    size = max(1, scale - 1)
    for dy in range(size):
        for dx in range(size):
            img[np.clip(py + dy, 0, img.shape[0] - 1), np.clip(px + dx, 0, img.shape[1] - 1)] = colour
    return img


def _image(frame: np.ndarray):
    from PIL import Image

    im = Image.fromarray(frame, mode="P")
    im.putpalette([v for rgb in PALETTE for v in rgb] + [0] * (768 - 3 * len(PALETTE)))
    return im


def write_gif(path: str | Path, frames: Sequence[np.ndarray], fps: float = 12.0) -> Path:
    """Write indexed frames as a looping GIF."""
    images = [_image(f) for f in frames]
    images[0].save(
        path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0, optimize=False, disposal=1
    )
    return Path(path)


def write_png(path: str | Path, frame: np.ndarray, caption: str = "", soldiers: bool = False) -> Path:
    """Write one frame as a PNG, with the state legend and a caption underneath."""
    from PIL import ImageDraw

    im = _image(frame).convert("RGB")
    from PIL import Image

    out = Image.new("RGB", (im.width, im.height + 24), (255, 255, 255))
    out.paste(im, (0, 0))
    draw = ImageDraw.Draw(out)
    xpos = 4
    for i, name in enumerate(LEGEND[:5] + (LEGEND[6:] if soldiers else ())):
        i = 6 if name == "soldier" else i
        draw.rectangle([xpos, im.height + 8, xpos + 8, im.height + 16], fill=PALETTE[STATE_BASE + i])
        draw.text((xpos + 12, im.height + 6), name, fill=(0, 0, 0))
        xpos += 14 + 7 * len(name)
    if caption:
        draw.text((xpos + 10, im.height + 6), caption, fill=(0, 0, 0))
    out.save(path)
    return Path(path)
