"""The preview HTTP server: maps URLs to files of one folder and pushes rebuilds to the page.

Serves clean URLs under the site's base path, never a file outside its folder, and adds the
live-reload script to every HTML response; the script listens on a Server-Sent Events stream
fed by LiveState.
"""

from __future__ import annotations

import ipaddress
import json
import mimetypes
import socket
import threading
from dataclasses import dataclass, field
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import Diagnostic

EVENTS_PATH = "/__reelnotes/events"
KEEPALIVE_SECONDS = 15.0
TEXT_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".css": "text/css", ".js": "text/javascript",
    ".xml": "application/xml", ".json": "application/json", ".txt": "text/plain",
    ".svg": "image/svg+xml", ".md": "text/plain", ".webmanifest": "application/manifest+json",
}
_SCRIPT = (Path(__file__).with_name("live.js")).read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    """What the page needs to know about the latest rebuild."""

    version: int
    """Bumped on every change of state, so waiters can tell news from old state."""
    epoch: int
    """Bumped by every successful rebuild."""
    full: int
    """The latest epoch that needs a full reload (not only new stylesheets)."""
    errors: tuple[str, ...] = field(default=())
    """The failed rebuild's problems, one line each; empty when the last rebuild worked."""

    def to_json(self) -> str:
        """The event's data."""
        return json.dumps({"epoch": self.epoch, "full": self.full, "errors": self.errors})


class LiveState:
    """The rebuild epoch and error list, shared by the rebuild loop and the event streams."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._snap = LiveSnapshot(0, 0, 0)
        self._closed = False

    @property
    def snapshot(self) -> LiveSnapshot:
        """The current state."""
        with self._cond:
            return self._snap

    @property
    def closed(self) -> bool:
        """True once the server is stopping."""
        return self._closed

    def published(self, css_only: bool) -> None:
        """Record a successful rebuild."""
        with self._cond:
            s = self._snap
            epoch = s.epoch + 1
            self._snap = LiveSnapshot(s.version + 1, epoch, s.full if css_only else epoch)
            self._cond.notify_all()

    def failed(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        """Record a failed rebuild: the last good site stays, the page shows the errors."""
        with self._cond:
            s = self._snap
            errors = tuple(str(d) for d in diagnostics) or ("the build failed",)
            self._snap = LiveSnapshot(s.version + 1, s.epoch, s.full, errors)
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> LiveSnapshot | None:
        """Wait until the state is newer than version `seen`; None on timeout or close."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._snap.version != seen, timeout)
            return None if self._closed or self._snap.version == seen else self._snap

    def close(self) -> None:
        """Wake every waiting stream so it can end."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def live_script(epoch: int) -> bytes:
    """The <script> added to HTML pages in serve mode."""
    return (f'<script data-epoch="{epoch}" data-events="{EVENTS_PATH}">\n{_SCRIPT}</script>\n'
            ).encode()


def inject(html: bytes, script: bytes) -> bytes:
    """Put the script just before </body>, or at the end if there is none."""
    at = html.lower().rfind(b"</body>")
    return html + script if at < 0 else html[:at] + script + html[at:]


def content_type(path: Path) -> str:
    """The Content-Type of a file: UTF-8 for text."""
    suffix = path.suffix.lower()
    if suffix in TEXT_TYPES:
        return TEXT_TYPES[suffix] + "; charset=utf-8"
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def locate(root: Path, base_path: str, url_path: str) -> tuple[str, Path | None]:
    """Map a request path to ("file", path), ("redirect", None) or ("missing", None)."""
    path = unquote(url_path, errors="strict") if "%" in url_path else url_path
    if "\x00" in path or "\\" in path or not path.startswith(base_path):
        return "missing", None
    rel = path[len(base_path):]
    parts = [p for p in rel.split("/") if p]
    if any(p in (".", "..") for p in parts):
        return "missing", None
    target = root.joinpath(*parts)
    if target.is_dir():
        if not path.endswith("/"):
            return "redirect", None
        target = target / "index.html"
    try:
        real = target.resolve(strict=True)
    except (OSError, RuntimeError):
        return "missing", None
    if not real.is_relative_to(root.resolve()) or not real.is_file():
        return "missing", None
    return "file", real


class PreviewServer(ThreadingHTTPServer):
    """A threaded HTTP server for one output folder."""

    daemon_threads = True
    request_queue_size = 128  # a page's many requests at once must not wait for a retry

    def __init__(self, host: str, port: int, root: Path, base_path: str,
                 state: LiveState) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.root = root
        self.base_path = base_path
        self.state = state
        self.fallback: bytes | None = None
        super().__init__((host, port), PreviewHandler)


class PreviewHandler(BaseHTTPRequestHandler):
    """GET and HEAD for files, plus the live-reload event stream."""

    server: PreviewServer
    server_version = "reelnotes"

    def do_GET(self) -> None:  # noqa: N802 (the name http.server expects)
        """Serve a file, a redirect, the 404 page or the event stream."""
        self._respond(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        """Like GET, without the body."""
        self._respond(body=False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Keep the terminal for rebuild news: no access log."""

    def _respond(self, body: bool) -> None:
        url = urlsplit(self.path)
        if url.path == EVENTS_PATH:
            self._events() if body else self._send(HTTPStatus.OK, b"", "text/event-stream", body)
            return
        base = self.server.base_path
        if url.path.rstrip("/") == "" and base != "/":
            self._redirect(base)
            return
        try:
            kind, path = locate(self.server.root, base, url.path)
        except UnicodeDecodeError:
            kind, path = "missing", None
        if kind == "redirect":
            self._redirect(url.path + "/" + (f"?{url.query}" if url.query else ""))
        elif path is not None and self.server.fallback is None:
            self._send(HTTPStatus.OK, path.read_bytes(), content_type(path), body)
        else:
            self._not_found(body)

    def _not_found(self, body: bool) -> None:
        if self.server.fallback is not None:
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, self.server.fallback,
                       "text/html; charset=utf-8", body)
            return
        page = self.server.root / "404.html"
        data = page.read_bytes() if page.is_file() else b"<!DOCTYPE html><title>Not found</title>"
        self._send(HTTPStatus.NOT_FOUND, data, "text/html; charset=utf-8", body)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, data: bytes, ctype: str, body: bool) -> None:
        if ctype.startswith("text/html"):
            data = inject(data, live_script(self.server.state.snapshot.epoch))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _events(self) -> None:
        """Stream the live state: once now, then after every rebuild, until the client goes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        state, seen = self.server.state, -1
        try:
            self.wfile.write(b"retry: 500\n\n")
            while not state.closed:
                snap = state.wait(seen, KEEPALIVE_SECONDS)
                if snap is None:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    seen = snap.version
                    self.wfile.write(f"event: state\ndata: {snap.to_json()}\n\n".encode())
                self.wfile.flush()
        except OSError:
            return


def fallback_page(diagnostics: tuple[Diagnostic, ...]) -> bytes:
    """The page served for every URL while no build has ever succeeded."""
    items = "".join(f"<li>{escape(str(d))}</li>" for d in diagnostics)
    return (f"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Build failed</title>"
            f"<body><h1>The site has not been built yet</h1><ul>{items}</ul></body></html>"
            ).encode()


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

