"""`reelnotes serve` under load and attack, for real: the server runs in its own process on
loopback, clients speak raw HTTP, sources change on disk while it serves."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from conftest import Response, Site, http_request

SECRET = "TOP-SECRET-7f3a"
LOAD_CLIENTS = 50
LOAD_SECONDS = 10.0
SAVES = 200
SAVE_SECONDS = 5.0


def post(edit: int) -> str:
    """The post under edit: the same title (so the same URL), edit number everywhere else."""
    return (f"---\ntitle: Under edit\ndate: 2013-04-09\nsummary: Edit {edit} summary.\n"
            f"tags: [load]\n---\n" + "".join(f"Edit {edit}, paragraph {i}.\n\n" for i in range(60)))


@dataclass
class Server:
    """A `reelnotes serve --watch` child process and where it listens."""

    process: subprocess.Popen[str]
    port: int
    root: Path
    log: list[str] = field(default_factory=list)

    def request(self, path: str, method: str = "GET") -> Response:
        """One request through http.client (the path goes out exactly as written)."""
        return http_request(self.port, path, method)

    def raw(self, data: bytes) -> bytes:
        """Send raw bytes, read until the server closes the connection."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(data)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """One site for the whole module (starting a server costs a second)."""
    site = Site(tmp_path_factory.mktemp("served") / "site")
    site.write("reelnotes.toml", 'title = "T"\nbase_url = "https://example.org/"\n')
    return site


@pytest.fixture(scope="module")
def served(site: Site) -> Iterator[Server]:
    """A blog with one post under edit, served by a child process; stopped with Ctrl-C."""
    (site.root.parent / "secret.txt").write_text(SECRET)
    site.write("secret.txt", SECRET)
    site.post("edit", post(0))
    site.post("other", "---\ntitle: Other\ndate: 2012-01-01\n---\nAnother post.\n")
    site.write("static/keep.txt", "kept")
    process = subprocess.Popen(
        [sys.executable, "-m", "reelnotes", "serve", "--watch", "--port", "0",
         "--site", str(site.root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    line = process.stdout.readline()
    match = re.match(r"Serving http://127\.0\.0\.1:(\d+)/", line)
    assert match, line + process.stderr.read()
    server = Server(process, int(match.group(1)), site.root)
    reader = threading.Thread(target=lambda: server.log.extend(process.stderr), daemon=True)
    reader.start()
    try:
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def edits_in(body: bytes) -> set[str]:
    """Every edit number a page shows."""
    return set(re.findall(rb"Edit (\d+)", body))


def check_response(path: str, status: int, headers: dict[str, str], body: bytes) -> str | None:
    """Why this response is not a whole page of one version, or None if it is."""
    if status != 200:
        return f"{path}: status {status}"
    if int(headers.get("content-length", -1)) != len(body):
        return f"{path}: {len(body)} bytes, content-length {headers.get('content-length')}"
    if path.endswith(".xml"):
        lxml.etree.fromstring(body)  # strict: a truncated feed raises
    elif path.endswith("/"):
        if not body.rstrip().endswith(b"</html>"):
            return f"{path}: page cut short"
        if not lxml.html.fromstring(body).xpath("//h1"):
            return f"{path}: no <h1>"
    if path.startswith("/posts/under-edit/") and len(edits_in(body)) != 1:
        return f"{path}: a mix of edits {sorted(edits_in(body))}"
    if path.startswith("/posts/under-edit/") and body.count(b"paragraph") != 60:
        return f"{path}: {body.count(b'paragraph')} paragraphs, expected 60"
    return None


def test_fifty_clients_during_rebuilds(served: Server, site: Site) -> None:
    paths = ["/posts/under-edit/", "/", "/tags/load/", "/feed.xml", "/archive/",
             "/css/style.css", "/keep.txt", "/posts/other/"]
    failures: list[str] = []
    seen: set[bytes] = set()
    counts = [0] * LOAD_CLIENTS
    stop = threading.Event()

    def client(n: int) -> None:
        i = n
        while not stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            try:
                status, headers, body = served.request(path)
                problem = check_response(path, status, headers, body)
            except Exception as err:  # a refused or reset connection is a failed request
                problem = f"{path}: {type(err).__name__}: {err}"
            if problem:
                failures.append(problem)
            elif path == "/posts/under-edit/":
                seen.update(edits_in(body))
            counts[n] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(LOAD_CLIENTS)]
    for thread in threads:
        thread.start()
    started, edit = time.monotonic(), 0
    while time.monotonic() - started < LOAD_SECONDS:
        edit += 1
        site.post("edit", post(edit))
        time.sleep(0.4)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == [], failures[:5]
    assert all(counts), "every client got answers"
    assert len(seen) >= 3, f"the page changed only {len(seen)} times: were there rebuilds?"


ATTACKS = {
    "plain": b"/../../secret.txt",
    "plain, deeper": b"/../../../../../../../../secret.txt",
    "encoded": b"/%2e%2e/%2e%2e/secret.txt",
    "encoded slash": b"/..%2f..%2f..%2fsecret.txt",
    "double-encoded": b"/%252e%252e/%252e%252e/secret.txt",
    "backslash": b"/..\\..\\secret.txt",
    "encoded backslash": b"/..%5c..%5c..%5csecret.txt",
    "absolute path": b"//etc/passwd",
    "absolute-form URI": b"http://127.0.0.1/../../secret.txt",
    "no leading slash": b"../../secret.txt",
    "NUL byte, encoded": b"/keep.txt%00/../../../secret.txt",
    "NUL byte, raw": b"/posts\x00/../../secret.txt",
    "overlong UTF-8 dots": b"/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt",
    "symlink out": b"/escape/secret.txt",
    "symlinked file": b"/leak.txt",
}


def test_traversal_attempts_get_a_status_and_no_secret(served: Server) -> None:
    out, outside = served.root / ".reelnotes-cache/serve", served.root.parent
    assert (out / "index.html").is_file()
    (out / "escape").symlink_to(outside, target_is_directory=True)
    (out / "leak.txt").symlink_to(outside / "secret.txt")
    for name, target in ATTACKS.items():
        for method in (b"GET", b"HEAD"):
            answer = served.raw(method + b" " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            status = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer)
            assert status, (name, answer[:80])
            assert status.group(1) in (b"400", b"404"), (name, answer[:80])
            assert SECRET.encode() not in answer, name
    assert served.request("/keep.txt")[2] == b"kept"  # and the server still serves


def test_oversized_requests_are_refused(served: Server) -> None:
    answers = {
        "request line": served.raw(b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n"),
        "header line": served.raw(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"),
        "header count": served.raw(b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 150 + b"\r\n"),
    }
    statuses = {name: answer.split(b"\r\n", 1)[0] for name, answer in answers.items()}
    assert statuses == {"request line": b"HTTP/1.0 414 Request-URI Too Long",
                        "header line": b"HTTP/1.0 431 Line too long",
                        "header count": b"HTTP/1.0 431 Too many headers"}
    assert served.request("/")[0] == 200


def test_idle_connections_do_not_block_others(served: Server) -> None:
    idle = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(30)]
    try:
        for sock in idle[:10]:
            sock.sendall(b"GET / HTTP/1.1\r\n")  # a request line, then nothing more
        started = time.monotonic()
        assert served.request("/posts/other/")[0] == 200
        assert time.monotonic() - started < 2
    finally:
        for sock in idle:
            sock.close()


def test_head_options_and_writes(served: Server) -> None:
    status, head, body = served.request("/posts/other/", "HEAD")
    _, get, page = served.request("/posts/other/")
    assert (status, body) == (200, b"")
    assert head["content-length"] == get["content-length"] == str(len(page))
    assert head["content-type"] == get["content-type"] == "text/html; charset=utf-8"
    status, headers, body = served.request("/posts/other/", "OPTIONS")
    assert (status, headers["allow"], body) == (204, "GET, HEAD, OPTIONS", b"")
    for method in ("POST", "PUT", "DELETE", "TRACE"):
        status, headers, body = served.request("/posts/other/", method)
        assert status == 501, method  # not implemented: a preview is read-only
        assert b"Another post" not in body
    assert served.request("/posts/other/")[2] == page


def test_rapid_saves_end_on_the_final_text(served: Server, site: Site) -> None:
    path = site.root / "content/posts/edit.md"
    pause = SAVE_SECONDS / SAVES
    for edit in range(1, SAVES + 1):
        path.write_text(post(edit), encoding="utf-8")  # in place: truncate, then write
        time.sleep(pause)
    deadline = time.monotonic() + 15
    while True:
        status, headers, body = served.request("/posts/under-edit/")
        if status == 200 and edits_in(body) == {str(SAVES).encode()}:
            break
        assert time.monotonic() < deadline, (status, sorted(edits_in(body)), served.log[-5:])
        time.sleep(0.1)
    assert check_response("/posts/under-edit/", status, headers, body) is None
    rebuilds = [line for line in served.log if "changed: Built" in line]
    assert 1 <= len(rebuilds) < SAVES, "saves are coalesced into fewer rebuilds"
    assert os.path.getsize(path) == len(post(SAVES).encode())
