"""Crash safety: a build killed with SIGKILL at any moment leaves build/ as the complete previous
site or the complete new one, never a mix, and the next build succeeds."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from conftest import Result, Site, post_text

POSTS = 50
KILLS = 6
AIMED_KILLS = 4


def snapshot(out: Path) -> dict[str, str]:
    """Every file under `out` with the hash of its bytes."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def write_version(site: Site, version: str) -> None:
    """Make the site's content version "A" or "B": B changes every post and adds one."""
    for i in range(POSTS):
        site.post(f"p{i:03}", post_text(f"Post {i}", f"2013-{i % 12 + 1:02}-{i % 28 + 1:02}",
                                        body=f"Version {version} of post {i}. " * 40,
                                        tags=f"[t{i % 7}, v{version}]"))
    extra = site.root / "content/posts/extra.md"
    if version == "B":
        site.post("extra", post_text("Only in B", "2016-01-01"))
    elif extra.exists():
        extra.unlink()


def start_build(site: Site) -> subprocess.Popen[bytes]:
    """`reelnotes build` in a child process (it inherits the fixed SOURCE_DATE_EPOCH)."""
    return subprocess.Popen([sys.executable, "-m", "reelnotes", "build", "--site",
                             str(site.root), "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def signature(out: Path) -> tuple[int, ...]:
    """Inodes and mtimes that any update of build/, atomic or in place, must change."""
    values: list[int] = []
    for path in (out, out / "index.html", out / "posts", out / "feed.xml"):
        try:
            st = path.stat()
        except OSError:
            values += [0, 0]
        else:
            values += [st.st_ino, st.st_mtime_ns]
    return tuple(values)


def kill_when_output_changes(child: subprocess.Popen[bytes], out: Path) -> None:
    """Wait, polling hard, for the first sign of build/ changing; return to kill at once."""
    before = signature(out)
    while child.poll() is None and signature(out) == before:
        time.sleep(0.0002)  # leave the CPU to the build, still catching a window of a few ms


def test_sigkill_leaves_old_or_new_site(site: Site, cli: Callable[..., Result],
                                        tmp_path: Path) -> None:
    expected: dict[str, dict[str, str]] = {}
    for version in "AB":
        write_version(site, version)
        result = cli("build", "--site", site.root, "--out", tmp_path / version, "--quiet")
        assert result.code == 0, result.err
        expected[version] = snapshot(tmp_path / version)
    assert expected["A"] != expected["B"]

    write_version(site, "A")
    started = time.perf_counter()
    child = start_build(site)
    assert child.wait(timeout=60) == 0, child.stderr.read() if child.stderr else ""
    full = time.perf_counter() - started
    current = "A"
    assert snapshot(site.out) == expected[current]

    # Stratified: one kill in each slice of the build's duration, at a random point within it;
    # then kills aimed at the moment build/ starts to change, where a non-atomic update shows.
    rng = random.Random(6)
    delays: list[float | None] = [(k + rng.random()) / KILLS * full * 1.2 for k in range(KILLS)]
    delays += [None] * AIMED_KILLS
    outcomes = []
    for delay in delays:
        target = "B" if current == "A" else "A"
        write_version(site, target)
        child = start_build(site)
        if delay is None:
            kill_when_output_changes(child, site.out)
        else:
            time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        now = snapshot(site.out)
        assert now in (expected["A"], expected["B"]), "build/ is a mix of two sites"
        current = "A" if now == expected["A"] else "B"
        outcomes.append((child.returncode, current == target))

    # Some kills must land mid-build (else the test proves nothing); some may land after.
    assert any(code == -signal.SIGKILL and not swapped for code, swapped in outcomes), outcomes
    write_version(site, "B")
    result = cli("build", "--site", site.root, "--quiet")
    assert result.code == 0, result.err
    assert snapshot(site.out) == expected["B"]
    leftovers = [p.name for p in site.root.iterdir() if p.name.startswith(".build.")]
    assert leftovers == []
    assert os.listdir(site.out)
    assert orphans(site.root) == [], "a killed build's worker processes outlived it"


def orphans(root: Path, grace: float = 5.0) -> list[int]:
    """Processes still running a build of the site under `root`, after a grace period."""
    deadline = time.monotonic() + grace
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(root).encode() in cmdline and b"reelnotes" in cmdline:
                found.append(int(entry.name))
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_build_never_deletes_another_running_builds_files(site: Site, cli: Callable[..., Result],
                                                            tmp_path: Path) -> None:
    """A second terminal's build must leave the first one's staging folder alone."""
    write_version(site, "A")
    result = cli("build", "--site", site.root, "--out", tmp_path / "expected", "--quiet")
    assert result.code == 0, result.err
    first = start_build(site)
    staging = site.root / f".build.tmp-{first.pid}"
    while first.poll() is None and not staging.exists():
        time.sleep(0.0002)
    first.send_signal(signal.SIGSTOP)  # caught while writing its staging folder
    try:
        assert staging.exists(), "the first build finished before it could be paused"
        second = start_build(site)
        assert second.communicate(timeout=60)[1] == b"" and second.returncode == 0
    finally:
        first.send_signal(signal.SIGCONT)
    errors = first.communicate(timeout=60)[1].decode()
    assert first.returncode == 0, errors
    assert snapshot(site.out) == snapshot(tmp_path / "expected")
    assert [p.name for p in site.root.iterdir() if p.name.startswith(".build.")] == []


def test_sigkill_during_patches_leaves_old_or_new_site(site: Site, cli: Callable[..., Result],
                                                       tmp_path: Path) -> None:
    """Patch builds (two posts the feeds carry, edited in turn: each a swap that follows the
    spare's record) killed at any moment leave build/ the site before or the site after,
    and the builds after them still make what a cold build makes."""
    from test_incremental import cold_build

    write_version(site, "A")
    assert cli("build", "--site", site.root, "--quiet").code == 0
    posts = [site.root / f"content/posts/p{i:03}.md" for i in (47, 46)]  # (the newest two)
    rng = random.Random(8)
    outcomes = []
    for n in range(8):
        before = snapshot(site.out)
        with posts[n % 2].open("a", encoding="utf-8") as file:
            file.write(f"\nEdit {n}.\n")
        after = cold_build(site, tmp_path / "cold")
        child = start_build(site)
        if n % 2:
            kill_when_output_changes(child, site.out)
        else:
            time.sleep(rng.uniform(0.02, 0.2))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        now = snapshot(site.out)
        assert now in (before, after), "build/ is a mix of two sites"
        outcomes.append((child.returncode, now == after))
    assert any(code == -signal.SIGKILL for code, _ in outcomes), outcomes
    result = cli("build", "--site", site.root, "--quiet")
    assert result.code == 0, result.err
    assert snapshot(site.out) == cold_build(site, tmp_path / "cold")
    with posts[0].open("a", encoding="utf-8") as file:
        file.write("\nOne more.\n")
    assert cli("build", "--site", site.root, "--quiet").code == 0
    assert snapshot(site.out) == cold_build(site, tmp_path / "cold")
