"""The dev server for real: a live server on a free port, real HTTP, real file-system events."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from conftest import CONFIG, Response, Result, Site, http_request, post_text

from reelnotes.serve import DevServer, ServeOptions, is_editor_temp


def request(server: DevServer, path: str, method: str = "GET") -> Response:
    """Send one raw request to the dev server (the path goes out exactly as written)."""
    host, port = server.url.split("//")[1].split("/")[0].rsplit(":", 1)
    return http_request(int(port), path, method, host=host, timeout=5)


def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"still false after {timeout} s"
            return value
        time.sleep(0.02)


def settled(server: DevServer, quiet: float = 0.4) -> int:
    """The epoch once no rebuild has happened for `quiet` seconds."""
    while True:
        before = server.state.snapshot.version
        time.sleep(quiet)
        if server.state.snapshot.version == before:
            return server.state.snapshot.epoch


def start(site: Site, **options: Any) -> DevServer:
    """A started dev server on a free port, collecting its log."""
    lines: list[str] = []
    server = DevServer(site.root, ServeOptions(port=0, settle=0.05, **options), lines.append)
    server.start()
    server.lines = lines  # type: ignore[attr-defined]
    return server


@pytest.fixture
def blog(site: Site) -> Site:
    """A site with two posts, one of them with a tag."""
    site.post("one", post_text("First review", "2013-04-09", body="Original words.",
                               tags="[drama]"))
    site.post("two", post_text("Second review", "2014-05-01"))
    (site.root / "static").mkdir()
    return site


@pytest.fixture
def dev(blog: Site) -> Iterator[DevServer]:
    """`serve --watch` on the blog."""
    server = start(blog, watch=True)
    yield server
    server.stop()


def page_text(server: DevServer, path: str) -> str:
    """The visible text of a served page."""
    status, _, body = request(server, path)
    return lxml.html.fromstring(body).text_content() if status == 200 else ""


def test_serves_clean_urls_with_content_types(dev: DevServer) -> None:
    status, headers, body = request(dev, "/posts/first-review/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    doc = lxml.html.fromstring(body)
    assert doc.xpath("//h1")[0].text_content() == "First review"
    script = doc.xpath("//body/script[@data-events]")
    assert len(script) == 1 and script[0].get("data-epoch") == "1"
    assert int(headers["content-length"]) == len(body)
    status, headers, _ = request(dev, "/posts/first-review")
    assert status == 301 and headers["location"] == "/posts/first-review/"
    status, headers, _ = request(dev, "//posts?x=1")  # never a redirect to another host
    assert status == 301 and headers["location"] == "/posts/?x=1"
    for path, ctype in [("/css/style.css", "text/css; charset=utf-8"),
                        ("/feed.xml", "application/xml; charset=utf-8"),
                        ("/robots.txt", "text/plain; charset=utf-8"),
                        ("/", "text/html; charset=utf-8")]:
        status, headers, _ = request(dev, path)
        assert (status, headers["content-type"]) == (200, ctype), path


def test_missing_page_gets_404_page_and_head_has_no_body(dev: DevServer) -> None:
    status, headers, body = request(dev, "/no/such/page/")
    assert status == 404
    assert lxml.html.fromstring(body).xpath("//title")[0].text.startswith("Page not found")
    status, head_headers, head_body = request(dev, "/posts/first-review/", "HEAD")
    _, get_headers, get_body = request(dev, "/posts/first-review/")
    assert status == 200 and head_body == b""
    assert head_headers["content-length"] == get_headers["content-length"] == str(len(get_body))


def test_base_path_is_honoured(site: Site) -> None:
    site.write("reelnotes.toml", 'title = "T"\nbase_url = "https://example.org/blog/"\n')
    site.post("one", post_text("First review"))
    server = start(site)
    try:
        assert request(server, "/blog/posts/first-review/")[0] == 200
        status, headers, _ = request(server, "/")
        assert status == 301 and headers["location"] == "/blog/"
        assert request(server, "/posts/first-review/")[0] == 404
        doc = lxml.html.fromstring(request(server, "/blog/")[2])
        assert "/blog/css/style.css" in doc.xpath("//link[@rel='stylesheet']/@href")
        assert server.url.endswith("/blog/")
    finally:
        server.stop()


TRAVERSALS = ["/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/%2e%2e/secret.txt",
              "/css/..%2f..%2f..%2fsecret.txt", "/..%5c..%5csecret.txt", "/./../secret.txt",
              "/css/%2e%2e/%2e%2e/%2e%2e/secret.txt", "/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.txt",
              "/css/%00/../secret.txt", "/%c0%ae%c0%ae/secret.txt", "//secret.txt",
              "//../secret.txt", "/css/../../../secret.txt"]


def test_no_path_leaves_the_serve_folder(blog: Site) -> None:
    blog.write("secret.txt", "TOP SECRET")
    blog.write(".reelnotes-cache/secret.txt", "TOP SECRET")
    server = start(blog)
    try:
        for path in TRAVERSALS:
            status, _, body = request(server, path)
            assert status in (400, 404) and b"TOP SECRET" not in body, path
    finally:
        server.stop()


def test_symlinks_out_of_the_folder_are_not_followed(blog: Site, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    server = start(blog)
    try:
        (server.out / "leak.txt").symlink_to(secret)
        (server.out / "leakdir").symlink_to(tmp_path, target_is_directory=True)
        (server.out / "inside.css").symlink_to(server.out / "css" / "style.css")
        for path in ("/leak.txt", "/leakdir/secret.txt", "/leakdir/"):
            status, _, body = request(server, path)
            assert status == 404 and b"TOP SECRET" not in body, path
        assert request(server, "/inside.css")[0] == 200
    finally:
        server.stop()


def test_many_concurrent_requests(dev: DevServer) -> None:
    paths = ["/", "/posts/first-review/", "/css/style.css", "/feed.xml"] * 15
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda p: request(dev, p)[0], paths))
    assert statuses == [200] * len(paths)


def test_port_in_use_is_one_clear_line(blog: Site, cli: Callable[..., Result]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--site", blog.root, "--port", port)
    assert result.code == 1
    first = result.err.splitlines()[0]
    assert first == (f"port {port} on 127.0.0.1 is already in use (stop the other server or "
                     f"pick another port: --port {port + 1})")
    assert "Traceback" not in result.err


def test_other_host_warns_that_drafts_become_visible(blog: Site,
                                                     cli: Callable[..., Result]) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--site", blog.root, "--host", "0.0.0.0", "--port", port,
                     "--drafts")
    warning = result.err.splitlines()[0]
    assert warning.startswith("warning: serving on 0.0.0.0: other machines on your network")
    assert "drafts included" in warning and result.code == 1


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_kill_stops_cleanly(blog: Site, signum: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelnotes", "serve", "--watch", "--port", "0", "--site",
         str(blog.root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Serving http://127.0.0.1:"), line
        port = int(line.split(":")[2].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in err and err.rstrip().endswith("Stopped.")


def test_edit_rebuilds_once_and_serves_the_new_text(dev: DevServer, blog: Site) -> None:
    assert dev.state.snapshot.epoch == 1
    blog.post("one", post_text("First review", "2013-04-09", body="Rewritten words.",
                               tags="[drama]"))
    eventually(lambda: "Rewritten words." in page_text(dev, "/posts/first-review/"))
    assert settled(dev) == 2  # one save, one rebuild: reading files is not a change


@pytest.mark.parametrize("name", ["one.md.swp", ".one.md.swx", "one.md~", ".#one.md", "4913",
                                  "#one.md#"])
def test_editor_temp_files_are_ignored(name: str) -> None:
    assert is_editor_temp(name)


def test_editor_temp_files_cause_no_rebuild(dev: DevServer, blog: Site) -> None:
    for name in [".one.md.swp", "one.md~", ".#one.md", "4913", "#one.md#"]:
        blog.write(f"content/posts/{name}", "---\ntitle: [broken\n")
    blog.write("static/.style.css.swx", "junk")
    assert settled(dev) == 1 and dev.state.snapshot.errors == (), "\n".join(dev.lines)  # type: ignore
    blog.post("two", post_text("Second review", "2014-05-01", body="Control edit."))
    eventually(lambda: "Control edit." in page_text(dev, "/posts/second-review/"))


def test_atomic_save_by_rename(dev: DevServer, blog: Site) -> None:
    tmp = blog.write("content/posts/one.md.tmp-4242",
                     post_text("First review", "2013-04-09", body="Saved atomically.",
                               tags="[drama]"))
    os.replace(tmp, blog.root / "content/posts/one.md")
    eventually(lambda: "Saved atomically." in page_text(dev, "/posts/first-review/"))


def test_deleted_and_renamed_posts_disappear(dev: DevServer, blog: Site) -> None:
    (blog.root / "content/posts/one.md").unlink()
    eventually(lambda: request(dev, "/posts/first-review/")[0] == 404)
    assert request(dev, "/tags/drama/")[0] == 404
    blog.post("two", post_text("Second review", "2014-05-01", slug="renamed"))
    eventually(lambda: request(dev, "/posts/renamed/")[0] == 200)
    assert request(dev, "/posts/second-review/")[0] == 404


def read_events(server: DevServer, count: int,
                action: Callable[[], object]) -> list[dict[str, Any]]:
    """Open the event stream, run `action`, and return the first `count` state events."""
    host, port = server.url.split("//")[1].split("/")[0].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(b"GET /__reelnotes/events HTTP/1.1\r\nHost: x\r\n\r\n")
        stream = conn.makefile("rb")
        assert b"text/event-stream" in b"".join(iter(stream.readline, b"\r\n"))
        events: list[dict[str, Any]] = []
        while len(events) < count:
            line = stream.readline()
            if line.startswith(b"data: "):
                events.append(json.loads(line[6:]))
                if len(events) == 1:
                    action()
        return events


def test_failed_rebuild_keeps_last_site_and_streams_the_error(dev: DevServer,
                                                              blog: Site) -> None:
    def break_it() -> None:
        blog.post("one", "---\ntitle: First review\ndate: April 9\n---\nBroken.\n")

    events = read_events(dev, 2, break_it)
    assert events[0] == {"server": dev.state.token, "epoch": 1, "full": 1, "errors": []}
    assert events[1]["epoch"] == 1
    assert events[1]["errors"][0].startswith("content/posts/one.md:3: date: expected YYYY-MM-DD")
    assert "Original words." in page_text(dev, "/posts/first-review/")
    builds = dev.builds
    blog.post("one", "---\ntitle: First review\ndate: April 9\n---\nStill broken.\n")
    eventually(lambda: dev.builds == builds + 1)  # the same mistake again: not re-reported
    assert sum("content/posts/one.md:3" in line for line in dev.lines) == 1  # type: ignore
    blog.post("one", post_text("First review", "2013-04-09", body="Fixed."))
    eventually(lambda: "Fixed." in page_text(dev, "/posts/first-review/"))
    eventually(lambda: dev.state.snapshot.errors == ())


def test_css_only_change_is_a_stylesheet_swap(dev: DevServer, blog: Site) -> None:
    events = read_events(dev, 2, lambda: blog.write("static/css/style.css", "body{color:red}"))
    assert events[1] == {"server": dev.state.token, "epoch": 2, "full": 1, "errors": []}
    assert request(dev, "/css/style.css")[2] == b"body{color:red}"
    template = "{% extends 'base.html' %}{% block main %}<p>Template $</p>{% endblock %}"
    blog.write("templates/post.html", template.replace("$", "one"))  # templates/ is new
    eventually(lambda: dev.state.snapshot.full == 3)
    blog.write("templates/post.html", template.replace("$", "two"))  # and now watched
    eventually(lambda: "Template two" in page_text(dev, "/posts/first-review/"))
    eventually(lambda: dev.state.snapshot.full == 4)


def test_first_build_failing_serves_an_error_page_until_fixed(site: Site) -> None:
    site.post("one", "---\ntitle: x\n---\n")
    server = start(site, watch=True)
    try:
        status, _, body = request(server, "/")
        assert status == 503
        assert "content/posts/one.md:1: date: required" in lxml.html.fromstring(body).text_content()
        site.post("one", post_text("First review"))
        eventually(lambda: request(server, "/posts/first-review/")[0] == 200)
    finally:
        server.stop()


def test_drafts_only_with_the_flag(blog: Site) -> None:
    blog.post("wip", post_text("Work in progress", "2014-06-01", draft="true"))
    for drafts, status in ((False, 404), (True, 200)):
        server = start(blog, drafts=drafts)
        try:
            assert request(server, "/posts/work-in-progress/")[0] == status
        finally:
            server.stop()


def test_polling_observer(blog: Site) -> None:
    server = start(blog, watch=True, poll=True)
    try:
        blog.post("two", post_text("Second review", "2014-05-01", body="Polled."))
        eventually(lambda: "Polled." in page_text(server, "/posts/second-review/"))
    finally:
        server.stop()


def test_build_never_loads_watchdog_nor_the_live_script(blog: Site) -> None:
    code = ("import sys; from reelnotes.cli import main; code = main(['build', '--site', "
            f"{str(blog.root)!r}, '-q']); "
            "print(code, sorted(m for m in sys.modules if m.startswith('watchdog')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "0 []"
    for page in blog.out.rglob("*.html"):
        doc = lxml.html.fromstring(page.read_bytes())
        assert doc.xpath("//script[@data-events]") == [], page


def test_a_rebuild_that_parses_many_posts_uses_worker_processes(site: Site) -> None:
    # In the server, builds run beside its threads: posts are parsed by workers started by a
    # fork server, whose parent is that server, not the build (they used to exit at once,
    # and every rebuild that parsed 64 posts or more failed)
    for i in range(70):
        site.post(f"p{i:02d}", post_text(f"Post {i}", f"2013-01-{i % 28 + 1:02d}",
                                         body=f"Body {i}."))
    server = start(site, watch=True)
    try:
        assert server.state.snapshot.epoch == 1
        assert threading.active_count() > 1  # so the rebuild cannot fork
        site.write("reelnotes.toml", CONFIG.replace("A test blog.", "Every post parsed again."))
        eventually(lambda: "Every post parsed again." in
                   lxml.html.fromstring(request(server, "/")[2]).xpath(
                       "string(//meta[@name='description']/@content)"))
        assert server.state.snapshot.errors == ()
        assert any("70 posts parsed" in line for line in server.lines)  # type: ignore[attr-defined]
    finally:
        server.stop()
