"""The hostile-input corpus: the small case files next to this module, their manifest, and the big or
binary cases generated at test time (so no large file is committed).

``build(root)`` copies the case files into ``root/corpus``, writes the generated ones there, and returns
every case with its command line. ``python tests/hostile/corpus.py DIR`` does the same and prints the
full manifest, for running a case by hand (``hyosan ARGS``).
"""

from __future__ import annotations

import os
import shlex
import shutil
import struct
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
CLASSES = (
    "yaml-structure", "encoding", "expressions", "model-structure", "scenario-fields", "maps", "resources",
    "cli-options",
)  # fmt: skip


@dataclass
class Case:
    """One hostile input: ``hyosan ARGV`` run in ``cwd``; clean exit codes; ``out`` must not exist after."""

    cls: str
    id: str
    argv: list[str]
    cwd: Path
    out: Path
    codes: frozenset[int] = field(default_factory=lambda: frozenset({2}))

    @property
    def line(self) -> str:
        codes = ",".join(map(str, sorted(self.codes)))
        return f"{self.cls} | {self.id} | {shlex.join(self.argv)} | {codes}"


def build(root: Path) -> list[Case]:
    """Lay the corpus out under ``root`` and return its cases, static then generated."""
    corpus = root / "corpus"
    for sub in HERE.iterdir():
        if sub.is_dir() and sub.name != "__pycache__":
            shutil.copytree(sub, corpus / sub.name, dirs_exist_ok=True)
    rows = [_parse(line) for line in (HERE / "manifest.txt").read_text().splitlines() if _is_row(line)]
    rows += generate(corpus)
    cases = []
    seen = set()
    for cls, cid, args, codes in rows:
        if cls not in CLASSES:
            raise ValueError(f"case {cid}: unknown class {cls}")
        if (cls, cid) in seen:
            raise ValueError(f"case {cls}/{cid} appears twice")
        seen.add((cls, cid))
        cwd = root / "cases" / cls / cid
        cwd.mkdir(parents=True)
        out = cwd / "out-folder"
        argv = [a.replace("{c}", str(corpus)).replace("{out}", str(out)) for a in shlex.split(args)]
        cases.append(Case(cls, cid, argv, cwd, out, frozenset(int(c) for c in codes.split(","))))
    return cases


def _is_row(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")


def _parse(line: str) -> tuple[str, str, str, str]:
    parts = [p.strip() for p in line.split(" | ")]
    if len(parts) not in (3, 4):
        raise ValueError(f"manifest line needs 'class | id | args [| codes]': {line}")
    return parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else "2"


# ---------------------------------------------------------------------------------------------- generated
def generate(corpus: Path) -> list[tuple[str, str, str, str]]:
    """Write the big, deep and binary cases into ``corpus``; their manifest rows."""
    rows: list[tuple[str, str, str, str]] = []
    model = (corpus / "common" / "model.yaml").read_text()
    scenario = (corpus / "common" / "scenario.yaml").read_text()
    hall = (corpus / "common" / "hall.txt").read_text()

    def put(cls: str, name: str, data: str | bytes) -> str:
        path = corpus / cls / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        return f"{{c}}/{cls}/{name}"

    def run(cls: str, cid: str, path: str, extra: str = "", codes: str = "2") -> None:
        rows.append((cls, cid, f"run {path} --out {{out}} {extra}".strip(), codes))

    # encoding: files that are not UTF-8, or not text at all
    enc = "encoding"
    latin = model.replace("name: base", "# café au lait\nname: base").encode("latin-1")
    p = put(enc, "latin1-comment.yaml", latin)
    run(enc, "latin1-comment-run", p)
    rows.append((enc, "latin1-comment-show", f"show {p}", "2"))
    rows.append((enc, "latin1-comment-analyze", f"analyze {p}", "2"))
    rows.append((enc, "latin1-comment-compare", f"compare {p} --vs beta=0.4", "2"))
    p = put(enc, "latin1-name.yaml", model.replace("name: base", "name: bébé").encode("latin-1"))
    run(enc, "latin1-name-run", p)
    p = put(enc, "utf16-bom.yaml", model.encode("utf-16"))
    run(enc, "utf16-bom-run", p)
    rows.append((enc, "utf16-bom-show", f"show {p}", "2"))
    p = put(enc, "utf16-le.yaml", model.encode("utf-16-le"))
    run(enc, "utf16-le-run", p)
    p = put(enc, "utf32.yaml", model.encode("utf-32"))
    run(enc, "utf32-run", p)
    p = put(enc, "random-bytes.yaml", bytes((i * 7919 + 13) % 256 for i in range(4096)))
    run(enc, "random-bytes-run", p)
    rows.append((enc, "random-bytes-show", f"show {p}", "2"))
    p = put(enc, "nul-bytes.yaml", b"\x00" * 1000)
    run(enc, "nul-bytes-run", p)
    p = put(enc, "nul-in-text.yaml", model.replace("name: base", "name: ba\x00se").encode())
    run(enc, "nul-in-text-run", p)
    p = put(enc, "png-as-yaml.yaml", _png(4, 4, [(0, 0, 0)], b"\x00" * 4))
    run(enc, "png-as-yaml-run", p)
    p = put(enc, "gzip-as-yaml.yaml", zlib.compress(model.encode()))
    run(enc, "gzip-as-yaml-run", p)
    p = put(
        enc, "invalid-utf8-rate.yaml", model.replace("gamma*I", "gamma*I*\udcff").encode("utf-8", "surrogateescape")
    )
    run(enc, "invalid-utf8-rate-run", p)
    p = put(enc, "overlong-utf8.yaml", model.replace("name: base", "name: base\xc0\xaf").encode("latin-1"))
    run(enc, "overlong-utf8-run", p)
    p = put(enc, "control-chars.yaml", model.replace("name: base", "name: base\x1b[2J\x07"))
    run(enc, "control-chars-run", p)
    p = put(enc, "utf8-bom.yaml", "\ufeff" + model)
    rows.append((enc, "utf8-bom-show", f"show {p}", "0,2"))
    p = put(enc, "latin1-scenario.yaml", scenario.replace("name: hall", "# déjà vu\nname: hall").encode("latin-1"))
    run(enc, "latin1-scenario-run", p)
    rows.append((enc, "latin1-scenario-compare", f"compare {p} --vs infection.bite_probability=0.1", "2"))
    p = put(enc, "utf16-scenario.yaml", scenario.encode("utf-16"))
    run(enc, "utf16-scenario-run", p)
    p = put(enc, "binary-scenario.yaml", b"map: \xff\xfe\x00\x01\n" + bytes(range(256)))
    run(enc, "binary-scenario-run", p)
    put(enc, "latin1-map.txt", hall.replace("name: hall", "# plan du lycée\nname: hall").encode("latin-1"))
    p = put(enc, "latin1-map-scenario.yaml", scenario.replace("../common/hall.txt", "latin1-map.txt"))
    run(enc, "latin1-map-run", p)
    put(enc, "utf16-map.txt", hall.encode("utf-16"))
    p = put(enc, "utf16-map-scenario.yaml", scenario.replace("../common/hall.txt", "utf16-map.txt"))
    run(enc, "utf16-map-run", p)
    put(enc, "binary-map.txt", bytes((i * 31 + 7) % 256 for i in range(2048)))
    p = put(enc, "binary-map-scenario.yaml", scenario.replace("../common/hall.txt", "binary-map.txt"))
    run(enc, "binary-map-run", p)
    put(enc, "latin1-grid.txt", hall.replace("#........#\n", "#...é....#\n", 1).encode("latin-1"))
    p = put(enc, "latin1-grid-scenario.yaml", scenario.replace("../common/hall.txt", "latin1-grid.txt"))
    run(enc, "latin1-grid-run", p)
    devzero = corpus / enc / "dev-zero.yaml"
    os.symlink("/dev/zero", devzero)
    run(enc, "symlink-dev-zero-run", str(devzero))
    fifo = corpus / enc / "fifo.yaml"
    os.mkfifo(fifo)
    run(enc, "fifo-run", str(fifo))
    rows.append((enc, "fifo-show", f"show {fifo}", "2"))
    (corpus / enc / "directory.yaml").mkdir()
    run(enc, "directory-yaml-run", "{c}/encoding/directory.yaml")

    # yaml-structure: 5,000-deep nesting in a model, a scenario and a map header
    ys = "yaml-structure"
    deep_list = "[" * 5000 + "I" + "]" * 5000
    p = put(ys, "deep-list.yaml", model.replace("infected:\n- I", f"infected: {deep_list}"))
    run(ys, "deep-list-run", p)
    rows.append((ys, "deep-list-show", f"show {p}", "2"))
    deep_map = "{a: " * 5000 + "1" + "}" * 5000
    p = put(ys, "deep-mapping.yaml", model.replace("name: base", f"name: {deep_map}"))
    run(ys, "deep-mapping-run", p)
    block = "".join(" " * i + "a:\n" for i in range(1500))
    p = put(ys, "deep-block.yaml", model + "notes:\n" + "".join(" " * (i + 1) + "a:\n" for i in range(1500)))
    run(ys, "deep-block-run", p)
    p = put(ys, "deep-scenario.yaml", scenario.replace("name: hall", f"name: {deep_list}"))
    run(ys, "deep-scenario-run", p)
    put(ys, "deep-map.txt", hall.replace("name: hall", f"name: {deep_map}"))
    p = put(ys, "deep-map-scenario.yaml", scenario.replace("../common/hall.txt", "deep-map.txt"))
    run(ys, "deep-map-run", p)
    p = put(ys, "deep-block-scenario.yaml", block + scenario)
    run(ys, "deep-block-scenario-run", p)

    # model-structure: sizes that made validation quadratic or code generation explode
    ms = "model-structure"
    n = 5000
    big = ["name: wide", "compartments: [" + ", ".join(f"C{i}" for i in range(n)) + "]",
           "parameters: {k: 0.1}", "initial: {C0: 100}", "transitions:"]  # fmt: skip
    big += [f"  - 'C{i} -> C{i + 1} @ k*C{i}'" for i in range(n - 1)]
    p = put(ms, "compartments-5000.yaml", "\n".join(big) + "\n")
    rows.append((ms, "compartments-5000-show", f"show {p}", "0,2"))
    names = ", ".join(f"C{i}" for i in range(1000))
    chain = [f"name: chain\ncompartments: [{names}]\nparameters: {{k: 0.1}}\ninitial: {{C0: 100}}\ntransitions:"]
    chain += [f"  - 'C{i} -> C{i + 1} @ k*C{i}'" for i in range(999)]
    p = put(ms, "compartments-1000.yaml", "\n".join(chain) + "\n")
    run(ms, "compartments-1000-ssa", p, "--engine ssa --t-end 1", "0,2")
    many = ["name: many", "compartments: [S, I, R]", "parameters: {k: 0.001}", "initial: {S: 1000, I: 10}",
            "transitions:"]  # fmt: skip
    many += [f"  - 'S + I -> I + I @ k*S*I*{i + 1}'" for i in range(2000)]
    p = put(ms, "transitions-2000.yaml", "\n".join(many) + "\n")
    run(ms, "transitions-2000-ssa", p, "--engine ssa --t-end 0.001", "0,2")
    values = ", ".join(f"p{i}: 1" for i in range(5000))
    params = ["name: params", "compartments: [S, I]", f"parameters: {{{values}}}", "initial: {S: 10, I: 1}",
              "transitions: ['S + I -> I + I @ p0*S*I']"]  # fmt: skip
    p = put(ms, "parameters-5000.yaml", "\n".join(params) + "\n")
    rows.append((ms, "parameters-5000-analyze", f"analyze {p}", "0,2"))
    p = put(ms, "compartments-5000-duplicate.yaml", "\n".join(big).replace("C4999]", "C0]") + "\n")
    run(ms, "compartments-5000-duplicate-run", p)

    # scenario-fields: 200 kinds (an int8 kind code overflows)
    sf = "scenario-fields"
    kinds = "kinds:\n" + "".join(f"  k{i}: {{speed: 1.4 m/s, sight: 10m}}\n" for i in range(200))
    pop = "population:\n" + "".join(f"- {{kind: k{i}, count: 1, zone: hall}}\n" for i in range(200))
    text = scenario.split("kinds:")[0] + kinds + "zombie:" + scenario.split("zombie:")[1]
    text = text.split("population:")[0] + pop + "patient_zero:" + text.split("patient_zero:")[1]
    p = put(sf, "kinds-200.yaml", text)
    run(sf, "kinds-200-run", p, "--t-end 0.0001", "0,2")

    # maps and resources: painted maps (PNG) and a huge sparse text grid
    mp, rs = "maps", "resources"
    walls = [(0, 0, 0), (255, 255, 255), (0, 200, 0)]
    put(mp, "bad-colour.png", _png(8, 8, [(0, 0, 0), (12, 34, 56)], b"\x00\x01" * 32))
    put(mp, "no-exit.png", _png(8, 8, walls, b"\x00" * 64))
    put(mp, "truncated.png", _png(8, 8, walls, b"\x01" * 64)[:60])
    put(mp, "text.png", "this is not a picture\n")
    put(mp, "school@0m.png", _png(4, 4, walls, bytes([0, 0, 0, 0, 0, 1, 1, 2, 0, 1, 1, 0, 0, 0, 0, 0])))
    put(mp, "school@-1m.png", _png(4, 4, walls, bytes([0, 0, 0, 0, 0, 1, 1, 2, 0, 1, 1, 0, 0, 0, 0, 0])))
    put(mp, "school@abcm.png", _png(4, 4, walls, bytes([0, 0, 0, 0, 0, 1, 1, 2, 0, 1, 1, 0, 0, 0, 0, 0])))
    put(mp, "school@1e400m.png", _png(4, 4, walls, bytes([0, 0, 0, 0, 0, 1, 1, 2, 0, 1, 1, 0, 0, 0, 0, 0])))
    put(mp, "school@nanm.png", _png(4, 4, walls, bytes([0, 0, 0, 0, 0, 1, 1, 2, 0, 1, 1, 0, 0, 0, 0, 0])))
    put(mp, "school@infm.png", _png(4, 4, walls, bytes([0, 0, 0, 0, 0, 1, 1, 2, 0, 1, 1, 0, 0, 0, 0, 0])))
    (corpus / mp / "folder.png").mkdir()
    put(mp, "wide.png", _png_header(100_000_000, 1))
    put(rs, "huge.png", _png_huge(20_000, 20_000))
    for name in ("bad-colour", "no-exit", "truncated", "text", "school@0m", "school@-1m", "school@abcm",
                 "school@1e400m", "school@nanm", "school@infm", "folder", "wide"):  # fmt: skip
        p = put(mp, f"png-{name}.yaml", _png_scenario(scenario, f"{name}.png"))
        run(mp, f"png-{name}-run", p)
    p = put(rs, "png-huge.yaml", _png_scenario(scenario, "huge.png"))
    run(rs, "png-20000-run", p)
    grid = "#" * 20_000 + "\n" + "#\n" * 19_998 + "#G.\n"
    put(rs, "sparse-20000.txt", hall.split("---")[0].replace("zones:", "zones_: ").split("zones_")[0] + "---\n" + grid)
    p = put(rs, "sparse-20000.yaml", scenario.replace("../common/hall.txt", "sparse-20000.txt"))
    run(rs, "sparse-20000-run", p)
    return rows


def _png_scenario(scenario: str, png: str) -> str:
    """The base scenario on a painted map; the zones it names come from no PNG, so point places instead."""
    text = scenario.replace("../common/hall.txt", png)
    return text


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(width: int, height: int, palette: list[tuple[int, int, int]], pixels: bytes) -> bytes:
    """A palette PNG (8 bits per pixel) from row-major palette indices."""
    raw = b"".join(b"\x00" + pixels[r * width : (r + 1) * width] for r in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
        + _chunk(b"PLTE", b"".join(bytes(c) for c in palette))
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` pixels and carries almost no data."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 3, 0, 0, 0))
        + _chunk(b"PLTE", bytes([0, 0, 0, 255, 255, 255]))
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def _png_huge(width: int, height: int) -> bytes:
    """A complete 1-bit palette PNG of ``width`` × ``height`` white pixels, compressed to a few hundred kB."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    z = zlib.compressobj(9)
    data = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 3, 0, 0, 0))
        + _chunk(b"PLTE", bytes([0, 0, 0, 255, 255, 255]))
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    for c in build(Path(sys.argv[1])):
        print(c.line)
