"""The viewer's server: the standard library's ThreadingHTTPServer on 127.0.0.1, one page, a small JSON API.

Why this stack: nothing to install beyond hyosan, no build step, no network; the page is vanilla JS
drawing on <canvas> from typed arrays, fast enough for 10^5 agents. Security: loopback only, a Host
check (no DNS rebinding), a per-session token on every request (``?token=`` once, then a cookie or the
``X-Hyosan-Token`` header), and routes matched on the raw path against fixed patterns: no part of a URL
ever becomes a file path, so traversal attempts (``../``, ``%2e%2e%2f``, ...) are 404.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hyosan.errors import HyosanError
from hyosan.view import data, runs

COOKIE = "hyosan_token"
JS = "text/javascript; charset=utf-8"
STATIC = {"/": ("index.html", "text/html; charset=utf-8"), "/app.js": ("app.js", JS), "/draw.js": ("draw.js", JS)}
ROUTES = {
    "result": re.compile(r"^/api/result/(\d{1,6})$"),
    "blob": re.compile(r"^/api/result/(\d{1,6})/blob$"),
    "lines": re.compile(r"^/api/result/(\d{1,6})/lines$"),
    "picture": re.compile(r"^/api/result/(\d{1,6})/picture/([a-z]{1,20}\.png)$"),
    "job": re.compile(r"^/api/job/(\d{1,6})$"),
}
MAX_BODY = 1 << 16


def static_text(name: str) -> str:
    """A file shipped in hyosan/view/static."""
    return resources.files("hyosan.view").joinpath("static", name).read_text(encoding="utf-8")


class Session:
    """The results being shown (opened once, kept in memory), the runs started from the page, the token."""

    def __init__(
        self, folders: list[Path], runs_dir: Path | None = None, token: str | None = None, scheduler: str | None = None
    ) -> None:
        self.token = token or secrets.token_urlsafe(18)
        self.scheduler = scheduler
        self.lock = threading.Lock()
        self.folders: list[Path] = []
        self.loaded: dict[int, data.Loaded] = {}
        self.jobs: dict[int, runs.Job] = {}
        self.runs_dir = runs_dir
        for f in folders:
            self.add(Path(f))

    def add(self, folder: Path) -> int:
        with self.lock:
            self.folders.append(folder)
            return len(self.folders) - 1

    def get(self, i: int) -> data.Loaded:
        with self.lock:
            if i >= len(self.folders):
                raise KeyError(i)
            if i not in self.loaded:
                self.loaded[i] = data.load(self.folders[i])
            return self.loaded[i]

    def listing(self) -> list[dict[str, Any]]:
        out = []
        for i, f in enumerate(list(self.folders)):
            kind = data.kind_of(f)
            out.append({"id": i, "folder": f.name, "kind": kind})
        return out

    def run(self, request: dict[str, Any]) -> runs.Job:
        target, options = runs.prepare(request)
        with self.lock:
            if self.runs_dir is None:
                self.runs_dir = Path(tempfile.mkdtemp(prefix="hyosan-view-runs-"))
            job = runs.Job(len(self.jobs), target)
            self.jobs[job.id] = job
        out = self.runs_dir / f"run-{job.id}-{target}"

        def done(job: runs.Job, folder: Path | None) -> None:
            if folder is not None:
                job.result = self.add(folder)

        runs.start(job, target, options, out, done, self.scheduler)
        return job


class Handler(BaseHTTPRequestHandler):
    """Routes of the page and its API; every one needs the session token."""

    session: Session
    server_version = "hyosan-view"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, code: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; connect-src 'self'",
        )
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, code: int, obj: Any) -> None:
        self._send(code, json.dumps(obj, allow_nan=False).encode(), "application/json")

    def _error(self, code: int, message: str) -> None:
        self._json(code, {"error": message})

    def _authorised(self, query: dict[str, list[str]]) -> tuple[bool, bool]:
        """(allowed, from the query: set the cookie)."""
        want = self.session.token.encode()
        given = query.get("token", [None])[0]
        if given is not None and hmac.compare_digest(given.encode(), want):
            return True, True
        header = self.headers.get("X-Hyosan-Token")
        if header and hmac.compare_digest(header.encode(), want):
            return True, False
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and hmac.compare_digest(value.encode(), want):
                return True, False
        return False, False

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").strip()
        port = self.server.server_address[1]
        return host in (f"127.0.0.1:{port}", f"localhost:{port}")

    def _gate(self) -> tuple[str, dict[str, list[str]], dict[str, str]] | None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if not self._host_ok():
            self._error(403, "wrong Host header: open the page at the printed 127.0.0.1 address")
            return None
        ok, from_query = self._authorised(query)
        if not ok:
            self._error(403, "missing or wrong token: open the page at the URL 'hyosan view' printed")
            return None
        token = f"{COOKIE}={self.session.token}; Path=/; HttpOnly; SameSite=Strict"
        cookie = {"Set-Cookie": token} if from_query else {}
        return parts.path, query, cookie

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        gated = self._gate()
        if gated is None:
            return
        path, query, cookie = gated
        try:
            self._get(path, query, cookie)
        except KeyError:
            self._error(404, "not found")
        except HyosanError as exc:
            self._error(400, str(exc).splitlines()[0])

    def _get(self, path: str, query: dict[str, list[str]], cookie: dict[str, str]) -> None:
        s = self.session
        if path in STATIC:
            name, ctype = STATIC[path]
            self._send(200, static_text(name).encode(), ctype, cookie)
            return
        if path == "/api/results":
            self._json(200, {"results": s.listing(), "jobs": [j.view() for j in s.jobs.values()]})
            return
        if path == "/api/targets":
            self._json(200, runs.targets())
            return
        if path == "/api/fields":
            self._json(200, runs.fields(query.get("target", [""])[0]))
            return
        for name, pattern in ROUTES.items():
            m = pattern.match(path)
            if not m:
                continue
            i = int(m.group(1))
            if name == "job":
                self._json(200, s.jobs[i].view())
            elif name == "result":
                self._json(200, s.get(i).manifest | {"id": i})
            elif name == "blob":
                self._send(200, s.get(i).blob, "application/octet-stream")
            elif name == "lines":
                loaded = s.get(i)
                self._json(200, {"lines": loaded.lines[query.get("c", [""])[0]]})
            elif name == "picture":
                loaded = s.get(i)
                if m.group(2) not in loaded.manifest["pictures"]:
                    raise KeyError(m.group(2))
                self._send(200, (loaded.folder / m.group(2)).read_bytes(), "image/png")
            return
        raise KeyError(path)

    def do_POST(self) -> None:
        gated = self._gate()
        if gated is None:
            return
        path = gated[0]
        if path != "/api/run":
            self._error(404, "not found")
            return
        try:
            size = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            size = -1
        if not 0 < size <= MAX_BODY:
            self._error(400, "run: send a JSON body of at most 64 KiB")
            return
        try:
            request = json.loads(self.rfile.read(size))
            job = self.session.run(request)
        except ValueError:
            self._error(400, "run: the body is not JSON")
            return
        except HyosanError as exc:
            self._error(400, str(exc).splitlines()[0])
            return
        self._json(202, job.view())


class Server(ThreadingHTTPServer):
    """Quiet about browsers that hang up mid-answer (a reload, a closed tab)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def make_server(session: Session, port: int = 0) -> ThreadingHTTPServer:
    """A server for ``session`` on 127.0.0.1 (``port`` 0: a free one), not yet serving."""
    handler = type("BoundHandler", (Handler,), {"session": session})
    server = Server(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def url_of(server: ThreadingHTTPServer, session: Session) -> str:
    """The address to open, token included."""
    return f"http://127.0.0.1:{server.server_address[1]}/?token={session.token}"


def check_folders(folders: list[Path]) -> list[Path]:
    """Result folders as given, each holding result.nc; a one-line error otherwise."""
    out = []
    for f in folders:
        f = Path(f)
        if not (f / "result.nc").is_file():
            raise HyosanError(f"{f}: not a result folder (no result.nc); give folders written by 'hyosan run'")
        out.append(f.resolve())
    return out
