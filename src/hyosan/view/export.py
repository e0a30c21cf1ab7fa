"""One self-contained HTML file that plays results offline: the page, its script and the data inline."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from hyosan.errors import HyosanError
from hyosan.view import data
from hyosan.view.server import static_text

#: Replicate lines embedded per compartment (the page shows them on demand).
EMBED_LINES = 50
#: Refuse to embed more than this much data (the file would be unwieldy for a browser).
MAX_BYTES = 400 * 2**20


def export_html(folders: list[Path], out: Path) -> Path:
    """Write ``out``: the viewer page with ``folders``' results embedded; it needs no server or network."""
    results, total = [], 0
    for f in folders:
        loaded = data.load(f)
        total += len(loaded.blob) * 4 // 3
        if total > MAX_BYTES:
            raise HyosanError(f"--export: {f} makes the page over {MAX_BYTES >> 20} MiB; set fewer animation.frames")
        results.append({
            "manifest": loaded.manifest | {"id": len(results)},
            "blob": base64.b64encode(loaded.blob).decode() if loaded.blob else "",
            "lines": {c: v[:EMBED_LINES] for c, v in loaded.lines.items()},
        })  # fmt: skip
    payload = json.dumps({"results": results}, allow_nan=False, separators=(",", ":")).replace("</", "<\\/")
    page = static_text("index.html")
    page = page.replace("<!--EMBED-->", f"<script>window.HYOSAN_EMBED = {payload};</script>", 1)
    for name in ("draw.js", "app.js"):
        script = static_text(name).replace("</script", "<\\/script")
        page = page.replace(f'<script src="{name}"></script>', f"<script>\n{script}\n</script>", 1)
    out = Path(out)
    if out.is_dir():
        raise HyosanError(f"--export {out}: that is a folder; give a file name such as page.html")
    tmp = out.with_name(f".{out.name}.hyosan-tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out
