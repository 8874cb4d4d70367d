"""Fixtures: scratch sites in tmp_path, the CLI run in-process, parsers for what it writes."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import pytest
from hypothesis import settings

# In CI (CI set, as .ci/run's machines do) hypothesis replays the same examples every run, so
# a red build always means a change broke something; locally it keeps searching afresh.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Every post any test renders goes through both Markdown engines, which must agree
# (markdown.py; without the `fast` extra this is markdown-it-py alone). Set before reelnotes
# is imported, and inherited by the builds tests run in subprocesses.
os.environ.setdefault("REELNOTES_MARKDOWN", "compare")

from reelnotes.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXED_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z: "now" for every test build


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every build sees the same "now", so future-dated posts and output are deterministic."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)


@dataclass
class Result:
    """What one CLI run did."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run `reelnotes ARGS` in-process and capture its exit code and output."""

    def run(*args: str | Path) -> Result:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def post_text(title: str = "A post", date: str = "2013-04-09", body: str = "Some text.",
              **front: str) -> str:
    """A post file with the given front matter lines (values are YAML as written)."""
    lines = [f"title: {title!r}" if title is not None else "", f"date: {date}"]
    lines += [f"{k}: {v}" for k, v in front.items()]
    return "---\n" + "\n".join(line for line in lines if line) + "\n---\n" + body + "\n"


@dataclass
class Site:
    """A scratch site folder."""

    root: Path

    @property
    def out(self) -> Path:
        """Its build/ folder."""
        return self.root / "build"

    def write(self, rel: str, text: str | bytes) -> Path:
        """Write a file under the site folder."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text) if text.startswith("\n") else text,
                            encoding="utf-8")
        return path

    def post(self, name: str, text: str) -> Path:
        """Write content/posts/NAME.md."""
        return self.write(f"content/posts/{name}.md", text)

    def html(self, rel: str) -> lxml.html.HtmlElement:
        """Parse an output file as HTML."""
        return lxml.html.fromstring((self.out / rel).read_bytes())

    def snapshot(self) -> dict[str, str]:
        """Every output file's hash, to prove a failed build changed nothing."""
        return {p.relative_to(self.out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(self.out.rglob("*")) if p.is_file()}


Response = tuple[int, dict[str, str], bytes]
"""Status, lower-cased headers and body of one HTTP answer."""


def http_request(port: int, path: str, method: str = "GET", host: str = "127.0.0.1",
                 timeout: float = 10) -> Response:
    """Send one raw request (the path goes out exactly as written) and read the answer."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


CONFIG = """\
title = "Test Notes"
author = "Tester"
description = "A test blog."
base_url = "https://example.org/"
"""


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """An empty site with a config, no posts."""
    s = Site(tmp_path / "site")
    s.write("reelnotes.toml", CONFIG)
    return s


@pytest.fixture
def built_site(site: Site, cli: Callable[..., Result]) -> Site:
    """A site with three posts built once, for failure tests to compare against."""
    site.post("one", post_text("First review", "2013-04-09", tags="[documentary, china]",
                               film="Last Train Home"))
    site.post("two", post_text("Second review", "2014-05-01", tags="[drama]"))
    site.post("three", post_text("Third review", "2015-06-02"))
    result = cli("build", "--site", site.root)
    assert result.code == 0, result.err
    return site


def counts(summary: str) -> dict[str, int]:
    """The figures of a build's summary line."""
    found = re.search(r"(\d+) files \((\d+) written, (\d+) unchanged; (\d+) posts? parsed, "
                      r"(\d+) of \d+ pages rendered", summary)
    assert found, summary
    return dict(zip(["files", "written", "unchanged", "parsed", "rendered"],
                    map(int, found.groups()), strict=True))
