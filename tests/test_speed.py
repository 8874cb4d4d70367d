"""What makes builds fast, checked for correctness: the cache, processes, skipped work, progress."""

from __future__ import annotations

import hashlib
import marshal
import os
import pickle
import pty
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Result, Site, counts, post_text
from hypothesis import given, settings
from hypothesis import strategies as st
from test_incremental import tree

from reelnotes import manifest, parallel, scanner
from reelnotes.config import load_config
from reelnotes.manifest import _FORMAT, Inputs, Manifest, Scan, StatTable, output_stats
from reelnotes.markdown import parsed_text, plain_text, render_post
from reelnotes.output import Update


def manifest_files(root: Path) -> list[Path]:
    """The build manifests in a site's cache (not their locks or journals)."""
    return [p for p in (root / ".reelnotes-cache").glob("manifest-*") if "." not in p.name]


def run_on_terminal(site: Site, *args: str, **env: str) -> str:
    """Run `reelnotes build` with stdout on a pseudo-terminal; return what the terminal got."""
    main_fd, child_fd = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k != "CI"} | env
    proc = subprocess.Popen([sys.executable, "-m", "reelnotes", "build", "--site",
                             str(site.root), *args], stdout=child_fd, stderr=subprocess.PIPE,
                            env=environ)
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    assert proc.wait() == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks).decode()


def many_posts(site: Site, n: int) -> None:
    """`n` posts with tags, enough for the build to use worker processes."""
    for i in range(n):
        site.post(f"p{i:03d}", post_text(f"Post {i}", f"2013-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
                                         f"Body *{i}*.\n\nMore [text](/x/).",
                                         tags=f"[t{i % 5}, all]"))


def test_progress_line_on_a_terminal_is_replaced_by_the_summary(site: Site) -> None:
    many_posts(site, 5)
    screen = run_on_terminal(site, REELNOTES_PROGRESS_AFTER="0")
    updates = [u for u in screen.replace("\r\n", "\n").split("\r") if u]
    assert updates[0].startswith("reading posts: ")
    assert any(u.startswith("rendering pages: ") for u in updates)
    summary = updates[-1]
    assert summary.startswith("\x1b[K") and summary[3:].startswith("Built 5 posts, 6 tags:")


@pytest.mark.parametrize("args, env", [(("--quiet",), {}), ((), {"CI": "true"}),
                                       ((), {"REELNOTES_PROGRESS_AFTER": "60"})])
def test_no_progress_when_quiet_in_ci_or_quick(site: Site, args: tuple[str, ...],
                                               env: dict[str, str]) -> None:
    many_posts(site, 3)
    screen = run_on_terminal(site, *args, **({"REELNOTES_PROGRESS_AFTER": "0"} | env))
    assert "\r" not in screen.replace("\r\n", "\n")
    assert screen.startswith("Built 3 posts") or (screen == "" and args == ("--quiet",))


def test_no_progress_when_piped(site: Site, cli: Callable[..., Result],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELNOTES_PROGRESS_AFTER", "0")
    many_posts(site, 3)
    result = cli("build", "--site", site.root)
    assert result.code == 0 and "\r" not in result.out and result.out.startswith("Built 3 posts")


def test_worker_processes_build_the_same_bytes(site: Site, cli: Callable[..., Result],
                                               tmp_path: Path) -> None:
    many_posts(site, 70)  # past the point where the build starts worker processes
    assert cli("build", "--site", site.root, "--jobs", "2").code == 0
    parallel = tree(site.out)
    (site.root / ".reelnotes-cache").rename(tmp_path / "kept-cache")
    assert cli("build", "--site", site.root, "--jobs", "1", "--out", tmp_path / "one").code == 0
    assert tree(tmp_path / "one") == parallel
    assert len([p for p in parallel if p.startswith("posts/")]) == 70


def test_worker_reports_template_error_with_its_line(site: Site,
                                                     cli: Callable[..., Result]) -> None:
    many_posts(site, 70)
    site.write("templates/post.html", '{% extends "base.html" %}\n{% block main %}\n'
                                      "{{ post.nope }}\n{% endblock %}\n")
    result = cli("build", "--site", site.root, "--jobs", "2")
    assert result.code == 1
    assert result.err.startswith("templates/post.html:3: undefined variable")


@pytest.mark.parametrize("posts", [3, 70])  # pages rendered in-process, and by workers
def test_posts_parsed_by_a_failed_build_stay_cached(site: Site, cli: Callable[..., Result],
                                                    posts: int) -> None:
    """The cache stores parsed posts while pages render, and still when rendering fails."""
    many_posts(site, posts)
    bad = site.write("templates/base.html", "{{ nope.nope }}\n")  # every page fails
    assert cli("build", "--site", site.root, "--jobs", "2").code == 1
    bad.unlink()
    assert counts(cli("build", "--site", site.root, "--jobs", "2").out)["parsed"] == 0


def test_rebuild_counts_what_it_skipped(built_site: Site, cli: Callable[..., Result]) -> None:
    again = counts(cli("build", "--site", built_site.root).out)
    assert again == {"files": 23, "written": 0, "unchanged": 23, "parsed": 0, "rendered": 0}
    built_site.post("three", post_text("Third review", "2015-06-02", body="Changed."))
    edited = counts(cli("build", "--site", built_site.root).out)
    # rendered: its page, the page linking to it as newer, the home page and the archive;
    # written: its page, the home page (its summary) and the two feeds
    assert edited == {"files": 23, "written": 4, "unchanged": 19, "parsed": 1, "rendered": 4}


@given(n=st.integers(0, 100_000), jobs=st.integers(1, 64))
def test_work_is_handed_out_in_shrinking_chunks_that_cover_it_once(n: int, jobs: int) -> None:
    spans = parallel.chunks(n, jobs)
    assert [i for start, end in spans for i in range(start, end)] == list(range(n))
    sizes = [end - start for start, end in spans]
    assert all(1 <= size <= parallel.CHUNK_MAX for size in sizes)
    assert sizes[:-1] == sorted(sizes[:-1], reverse=True)  # the last is what is left
    assert len(spans) <= 2 * jobs * (n.bit_length() + 1) + n // parallel.CHUNK_MAX + 1


def test_damaged_or_deleted_cache_is_only_slower(built_site: Site,
                                                 cli: Callable[..., Result]) -> None:
    before = tree(built_site.out)
    db = built_site.root / ".reelnotes-cache/cache.sqlite"
    db.write_bytes(b"not a database" * 100)
    for record in manifest_files(built_site.root):
        record.write_bytes(b"not a manifest")
    result = cli("build", "--site", built_site.root)
    assert result.code == 0, result.err
    assert "3 posts parsed" in result.out and tree(built_site.out) == before
    (built_site.root / ".reelnotes-cache").rename(built_site.root / "gone")
    assert cli("build", "--site", built_site.root).code == 0
    assert tree(built_site.out) == before


class OlderManifest:
    """Pickles as the Manifest of a reelnotes whose Manifest had only `fields`."""

    def __init__(self, fields: list[object]) -> None:
        self.fields = fields

    def __reduce__(self) -> tuple[object, ...]:
        return tuple.__new__, (Manifest, tuple(self.fields))


def test_a_manifest_from_another_version_is_not_loaded(built_site: Site,
                                                      cli: Callable[..., Result]) -> None:
    # as an older reelnotes saved it: a Manifest with fewer fields, whose later fields this
    # version would read past the end of the tuple
    before = tree(built_site.out)
    for path in manifest_files(built_site.root):
        _, saved = pickle.loads(path.read_bytes())
        fields = [getattr(saved, f) for f in ("request", "inputs", "outputs", "shown_since",
                                               "due", "files", "posts", "tags", "pages",
                                               "warnings")]
        form = _FORMAT.replace("'patch', 'journal'", "")  # what that version saved with it
        path.write_bytes(pickle.dumps((form, OlderManifest(fields))))
    built_site.post("three", post_text("Third review", "2015-06-02", body="Changed."))
    result = cli("build", "--site", built_site.root)
    assert result.code == 0 and counts(result.out)["parsed"] == 1, result.err
    assert tree(built_site.out) != before


def test_hand_edited_output_file_is_rebuilt(built_site: Site, cli: Callable[..., Result]) -> None:
    before = tree(built_site.out)
    page = built_site.out / "posts/first-review/index.html"
    page.write_text("tampered")
    (built_site.out / "stray.html").write_text("left over")
    assert cli("build", "--site", built_site.root).code == 0
    assert tree(built_site.out) == before


def test_failure_while_staging_leaves_output_as_it_was(built_site: Site,
                                                       cli: Callable[..., Result],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    before = built_site.snapshot()
    built_site.post("one", post_text("First review", "2013-04-09", body="New text."))
    real_link, calls = os.link, []

    def failing_link(src: str | Path, dst: str | Path) -> None:
        calls.append(dst)
        if len(calls) == 3:  # part-way through linking the unchanged files
            raise OSError(28, "No space left on device")
        real_link(src, dst)

    def failing_copy(src: str | Path, dst: str | Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "link", failing_link)
    monkeypatch.setattr(shutil, "copy2", failing_copy)  # the fallback where links fail
    with pytest.raises(OSError):
        cli("build", "--site", built_site.root)
    monkeypatch.undo()
    assert len(calls) == 3 and built_site.snapshot() == before
    assert cli("build", "--site", built_site.root).code == 0
    assert [p.name for p in built_site.root.iterdir() if p.name.startswith(".build.")] == []


def reference_text(fragment: str) -> str:
    """plain_text as the HTML parser alone computes it."""
    return " ".join(parsed_text(fragment).split())


MARKUP = st.sampled_from(["<p>", "</p>", "<a href=\"/x\">", "</a>", "<sup>", "</sup>", "<br />",
                          "<!--more-->", "<!-- a -- >", "<em class=\"x\">", "<b title='q>r'>",
                          "&amp;", "&lt;", "&am", "p;", "<", ">", "\"", "'", " ", "\n", "word",
                          "<script>", "</script>", "<SUP>", "</", "<a b\"c>", "&#x41;", "<!"])


@settings(max_examples=300, deadline=None)
@given(st.lists(MARKUP, max_size=12).map("".join))
def test_plain_text_fast_path_matches_the_html_parser(fragment: str) -> None:
    assert plain_text(fragment) == reference_text(fragment)


def test_plain_text_of_rendered_markdown() -> None:
    text = ("# Title\n\nSome *very* [linked](/x/ \"t>i\") text & more.[^1]\n\n<!--more-->\n\n"
            "<div class='raw'>Raw <b>html</b></div>\n\n> quote\n\n[^1]: A note.\n")
    html = render_post(text).html
    assert plain_text(html) == reference_text(html)


def test_each_output_folder_keeps_its_own_records(built_site: Site, cli: Callable[..., Result],
                                                  tmp_path: Path) -> None:
    """A dev server's folder and build/ share the cache without undoing each other's work."""
    assert cli("build", "--site", built_site.root, "--out", tmp_path / "other").code == 0
    again = counts(cli("build", "--site", built_site.root).out)
    other = counts(cli("build", "--site", built_site.root, "--out", tmp_path / "other").out)
    assert again["rendered"] == other["rendered"] == 0
    assert tree(tmp_path / "other") == tree(built_site.out)


def test_a_damaged_spare_tree_is_set_right(built_site: Site, cli: Callable[..., Result],
                                           tmp_path: Path) -> None:
    """The previous site kept in the cache to stage the next one: whatever state a crash or a
    stray hand left it in, the next full build still writes exactly the site a cold build
    writes (a crash takes away the record a patch would follow)."""
    built_site.post("three", post_text("Third review", "2015-06-02", body="Changed."))
    assert cli("build", "--site", built_site.root).code == 0  # the first swap makes the spare
    spares = [p for p in (built_site.root / ".reelnotes-cache").glob("spare-*") if p.is_dir()]
    assert len(spares) == 1 and (spares[0] / "index.html").is_file()
    spare = spares[0]
    (spare / "junk.html").write_text("left by a crash")
    (spare / "posts/first-review/index.html").write_text("half a page")
    shutil.rmtree(spare / "tags")
    (spare / "tags").write_text("a file where a folder was")
    built_site.post("two", post_text("Second review", "2014-05-01", tags="[drama]",
                                     body="Edited again."))
    assert cli("build", "--site", built_site.root).code == 0
    cold = Site(tmp_path / "cold")
    shutil.copytree(built_site.root, cold.root, ignore=shutil.ignore_patterns(
        "build", ".reelnotes-cache"))
    assert cli("build", "--site", cold.root).code == 0
    assert tree(built_site.out) == tree(cold.out)


def test_a_fresh_staging_folder_is_written_in_place(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """With no spare tree the staging folder starts empty, so files go straight in (no
    temporary file renamed), and a file or folder in the way is still cleared."""
    out, spare = tmp_path / "build", tmp_path / "cache/spare"
    update = Update(out, {}, spare)  # no output yet, so no spare tree to stage in
    assert update.spare is None and update.scratch.clean

    def no_rename(*args: object) -> None:
        raise AssertionError("a temporary file was renamed")

    with monkeypatch.context() as patched:
        patched.setattr(os, "replace", no_rename)
        update.write("posts/a/index.html", b"a")
        update.write("feed.xml", b"feed")
    (update.scratch.folder / "b").write_bytes(b"a file where a folder goes")
    update.scratch.where("c.html").mkdir()
    update.write("b/index.html", b"b")
    update.write("c.html", b"c")
    update.commit()
    assert {p.relative_to(out).as_posix(): p.read_bytes()
            for p in out.rglob("*") if p.is_file()} == {
        "posts/a/index.html": b"a", "feed.xml": b"feed", "b/index.html": b"b", "c.html": b"c",
        ".reelnotes-build": b"This folder is written by reelnotes build.\n"}
    again = Update(out, {}, spare)  # its files may be links to the output's: never in place
    assert again.spare is not None and not again.scratch.clean
    again.abort()


def test_a_change_within_a_clock_tick_is_caught_by_the_hash_of_the_bytes_read(
        built_site: Site, cli: Callable[..., Result]) -> None:
    # The posts were written just before the build: it kept a hash of each, taken by the
    # reader from the very bytes it parsed (not by reading them a second time).
    record = manifest_files(built_site.root)[0]
    form, saved = pickle.loads(record.read_bytes())
    post = built_site.root / "content/posts/two.md"
    assert saved.inputs.digests[str(post)] == hashlib.sha256(post.read_bytes()).hexdigest()
    assert not saved.inputs.pending
    # Now the post changes so fast that its stat is the one the manifest holds.
    built_site.post("two", post_text("Second review", "2014-05-01", tags="[drama]",
                                     body="Rewritten in the same tick."))
    st = post.stat()
    stats = {**saved.inputs.stats, str(post): (st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                                               st.st_ino)}
    record.write_bytes(pickle.dumps((form, saved._replace(inputs=saved.inputs._replace(
        stats=StatTable.of(stats))))))
    result = cli("build", "--site", built_site.root)
    assert result.code == 0 and counts(result.out)["parsed"] == 1, result.out
    assert "Rewritten in the same tick." in (
        built_site.out / "posts/second-review/index.html").read_text()


def test_a_cold_build_records_the_stat_of_every_output_file_as_a_walk_finds_it(
        built_site: Site) -> None:
    # (a cold build takes the stats as the files are written, not by a walk after the swap)
    record = manifest_files(built_site.root)[0]
    _, saved = pickle.loads(record.read_bytes())
    assert saved.outputs == output_stats(built_site.out)
    assert len(saved.outputs) == len([p for p in built_site.out.rglob("*") if p.is_file()])


@pytest.mark.parametrize("broken", [False, True])
def test_the_command_exits_at_once_and_loses_no_output(site: Site, broken: bool) -> None:
    # `reelnotes` skips the interpreter's teardown (cli.run): what it printed into a pipe,
    # and its exit code, must still come out whole
    site.post("one", post_text("First review", "2013-04-09"))
    if broken:
        site.post("two", post_text("Second review", "April 9"))
    proc = subprocess.run([sys.executable, "-m", "reelnotes", "build", "--site", str(site.root)],
                          capture_output=True, text=True, check=False)
    if broken:
        assert proc.returncode == 1 and proc.stdout == ""
        assert proc.stderr.splitlines()[-1] == "reelnotes: build failed: 1 problem"
        assert proc.stderr.splitlines()[0].startswith("content/posts/two.md:")
    else:
        assert proc.returncode == 0 and proc.stderr == ""
        assert counts(proc.stdout)["written"] == counts(proc.stdout)["files"] > 0


def test_the_command_collects_young_objects_less_often(monkeypatch: pytest.MonkeyPatch) -> None:
    # (the script pip installs and `python -m reelnotes` both start at __main__.run)
    import gc

    import reelnotes.__main__ as command
    import reelnotes.cli

    seen: list[tuple[int, ...]] = []
    monkeypatch.setattr(reelnotes.cli, "run", lambda: seen.append(gc.get_threshold()))
    before = gc.get_threshold()
    try:
        command.run()
    finally:
        gc.set_threshold(*before)
    assert seen == [(command.GC_YOUNG, *before[1:])] and command.GC_YOUNG > before[0]


def test_the_command_starts_the_scan_before_its_imports(
        built_site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import reelnotes.__main__ as command
    import reelnotes.cli

    seen: list[scanner.Child | None] = []
    monkeypatch.setattr(sys, "argv", ["reelnotes", "build", "--site", str(built_site.root)])
    monkeypatch.setattr(reelnotes.cli, "run", lambda: seen.append(scanner.early))
    before = gc.get_threshold()
    try:
        command.run()
    finally:
        gc.set_threshold(*before)
        early, scanner.early = scanner.early, None
        if early is not None:
            scanner.stop(early)
    args = marshal.loads((built_site.root / ".reelnotes-cache/scan-args").read_bytes())
    assert seen == [early] and early is not None and early.args == args


def test_a_build_with_stdout_closed_still_builds(site: Site) -> None:
    # (`reelnotes build >&-`: Python then has no sys.stdout at all)
    site.post("one", post_text("First review", "2013-04-09"))
    proc = subprocess.run([sys.executable, "-m", "reelnotes", "build", "--site", str(site.root)],
                          stderr=subprocess.PIPE, text=True, check=False,
                          preexec_fn=lambda: os.close(1))  # noqa: PLW1509 - no threads here
    assert (proc.returncode, proc.stderr) == (0, "")
    assert (site.root / "build/posts/first-review/index.html").is_file()


def test_the_scan_made_by_a_child_process_is_the_one_made_here(site: Site) -> None:
    # (a template and a post changed just now: their hashes are taken, or left pending)
    site.post("one", post_text("First review", "2013-04-09"))
    site.write("templates/extra.html", "{{ page.title }}")
    config, _ = load_config(site.root)
    scan = Scan(config, time.time_ns())
    assert scan.pid > 0  # (scanner.py, run by a Python of its own)
    found, here, pid = scan.inputs(), Inputs.scan(config, time.time_ns()), scan.pid
    assert found == here and found.digests and found.pending
    scan.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # (reaped)


def test_the_scan_is_made_here_when_its_process_fails_or_one_processor_is_all(
        site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    site.post("one", post_text("First review", "2013-04-09"))
    config, _ = load_config(site.root)
    expected = Inputs.scan(config, time.time_ns())
    stop = threading.Event()
    beside = threading.Thread(target=stop.wait)
    beside.start()
    try:  # (a process spawned, not forked: other threads, as the dev server's, are no bar)
        with Scan(config, time.time_ns()) as scan:
            assert scan.pid > 0 and scan.inputs() == expected
    finally:
        stop.set()
        beside.join()
    monkeypatch.setattr(scanner, "__file__", str(tmp_path / "gone.py"))
    with Scan(config, time.time_ns()) as scan:  # (Python cannot run it: it says so, and exits)
        assert scan.pid > 0 and scan.inputs() == expected
    with Scan(config, time.time_ns()) as unread:  # (a build that fails before it reads)
        pipe, pid = unread.pipe, unread.pid
    with pytest.raises(OSError):
        os.fstat(pipe)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    monkeypatch.setattr(manifest, "default_jobs", lambda: 1)
    scan = Scan(config, time.time_ns())
    assert scan.pid == 0 and scan.ready() and scan.inputs() == expected


STATS = st.tuples(st.integers(0, 1 << 40), st.integers(-(1 << 62), 1 << 62),
                  st.integers(0, 1 << 62), st.integers(0, (1 << 64) - 1))
PATHS = st.text(st.sampled_from("ab/é.md"), min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(PATHS, STATS, max_size=150), st.data())
def test_a_stat_table_is_the_mapping_it_packs(stats: dict[str, tuple[int, int, int, int]],
                                              data: st.DataObject) -> None:
    table = StatTable.of(stats)
    assert table == stats and dict(table) == stats and len(table) == len(stats)
    assert list(table) == sorted(stats) and all(path in table for path in stats)
    assert "missing" not in table and table.get("missing") is None
    assert pickle.loads(pickle.dumps(table)) == table
    prefix = data.draw(PATHS)  # (an output folder's path, each output file's starts with)
    assert StatTable.of({prefix + path: stat for path, stat in stats.items()}).relative(
        prefix) == sorted(stats)
    edits = data.draw(st.dictionaries(st.sampled_from(sorted(stats)), STATS) if stats else
                      st.just({}))
    after = {**stats, **edits}
    edited = table.updated(edits)
    assert edited == after and table == stats  # (a new table; this one is as it was)
    assert edited.changed(table) == sorted(p for p in edits if edits[p] != stats[p])
    added = data.draw(st.dictionaries(PATHS, STATS, max_size=3))
    grown = table.updated(added)
    assert grown == {**stats, **added}
    if added.keys() - stats.keys():
        assert grown.changed(table) is None  # (another set of files)
    else:
        assert grown.changed(table) == sorted(p for p in added if added[p] != stats[p])


def test_a_stat_past_what_a_table_packs_is_held_at_its_limit() -> None:
    # (a file dated past 2262, touch -d: its ctime, which the system sets, still tells a change)
    late = {"late.md": (10, 1 << 70, 5, 7), "ok.md": (1, 2, 3, 4)}
    table = StatTable.of(late)
    assert table["late.md"] == (10, (1 << 63) - 1, 5, 7) and table["ok.md"] == (1, 2, 3, 4)
    assert StatTable.of({**late, "late.md": (10, 1 << 71, 6, 7)}).changed(table) == ["late.md"]


def test_a_build_takes_over_the_scan_started_before_its_imports(
        built_site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = str(built_site.root)
    monkeypatch.chdir(tmp_path)  # (no site here)
    args_file = built_site.root / ".reelnotes-cache/scan-args"
    roots, code, posts = manifest.scanned(load_config(built_site.root)[0])
    assert marshal.loads(args_file.read_bytes()) == [posts, code, *roots]  # (the build's)
    built_site.post("two", post_text("Second review", "2013-04-10"))  # (hashed or pending)
    config, _ = load_config(built_site.root)
    for command in (["check", "--site", root], ["build", "--site"], []):
        scanner.start_early(command)  # (another command; no site named: none here)
        assert scanner.early is None
    scanner.start_early(["build", "--site=" + root])
    other = scanner.early
    assert other is not None and other.args == [posts, code, *roots]
    scanner.stop(other)
    scanner.early = None
    monkeypatch.chdir(built_site.root)
    scanner.start_early(["build", "-q"])  # (the current folder)
    early = scanner.early
    assert early is not None and early.pid > 0
    with Scan(config, time.time_ns()) as scan:
        assert (scan.pid, scan.now_ns, scanner.early) == (early.pid, early.now_ns, None)
        assert scan.inputs() == Inputs.scan(config, time.time_ns())


def test_a_scan_started_early_with_other_arguments_is_stopped(
        built_site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    args_file = built_site.root / ".reelnotes-cache/scan-args"
    wanted = args_file.read_bytes()
    gone = [str(tmp_path / "posts") + os.sep, str(tmp_path), str(tmp_path)]
    args_file.write_bytes(marshal.dumps(gone))  # (as from a site moved since, say)
    scanner.start_early(["build", "--quiet", "--site", str(built_site.root)])
    early = scanner.early
    assert early is not None and early.args == gone
    config, _ = load_config(built_site.root)
    with Scan(config, time.time_ns()) as scan:
        assert scan.pid not in (0, early.pid) and scanner.early is None
        with pytest.raises(ChildProcessError):
            os.waitpid(early.pid, os.WNOHANG)  # (stopped, and reaped)
        assert scan.inputs() == Inputs.scan(config, time.time_ns())
    assert args_file.read_bytes() == wanted  # (left again for the next build)
    args_file.write_bytes(b"\x00damaged")
    scanner.start_early(["build", "--site", str(built_site.root)])
    assert scanner.early is None
    monkeypatch.setattr(manifest, "default_jobs", lambda: 1)  # (a scan made here from now on)
    Scan(config, time.time_ns()).close()
    assert not args_file.exists()


def test_what_a_build_imports_while_it_scans_is_what_a_patch_build_needs(
        built_site: Site) -> None:
    post = built_site.root / "content/posts/two.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nA last line.\n", encoding="utf-8")
    script = ("import sys; from reelnotes.build import PATCH_MODULES; from reelnotes.cli import "
              f"main; code = main(['build', '--site', {str(built_site.root)!r}]); "
              "print(code, sorted(set(PATCH_MODULES) - set(sys.modules))); import dataclasses; "
              "print([f'{m}.{k}' for m in sorted(sys.modules) if m.startswith('reelnotes') "
              "for k, v in vars(sys.modules[m]).items() if dataclasses.is_dataclass(v)])")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    summary, outcome, dataclasses = proc.stdout.splitlines()
    assert "1 post parsed, 3 of" in summary and outcome == "0 []"
    # and none of them makes a dataclass: Python compiles its methods as its module loads
    assert dataclasses == "[]"


def test_a_build_started_with_children_reaped_for_it_ends_well(built_site: Site) -> None:
    # A program that ignores SIGCHLD passes that on to the programs it runs: the system then
    # reaps their children itself, and waiting for the scan's process finds none.
    post = built_site.root / "content/posts/two.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nA last line.\n", encoding="utf-8")
    script = ("import signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); "
              "from reelnotes.cli import main; "
              f"sys.exit(main(['build', '--site', {str(built_site.root)!r}]))")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert "1 post parsed" in proc.stdout


def test_only_a_build_with_a_manifest_to_load_scans_in_a_child(
        site: Site, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    # (a first build has nothing to do while the child scans: it scans itself)
    site.post("one", post_text("First review", "2013-04-09"))
    children: list[int] = []
    spawn = os.posix_spawn

    def counted(*args: Any, **kwargs: Any) -> int:
        children.append(spawn(*args, **kwargs))
        return children[-1]

    monkeypatch.setattr(os, "posix_spawn", counted)
    assert cli("build", "--site", site.root).code == 0 and children == []
    assert cli("build", "--site", site.root).code == 0 and len(children) == 1


LOADED = """
import sys
from reelnotes.cli import main
code = main(["build", "--site", sys.argv[1], "--quiet"])
print(code, *sorted(m for m in ("tomllib", "zoneinfo") if m in sys.modules))
"""


def test_a_config_as_it_was_is_not_parsed_again(site: Site, tmp_path: Path) -> None:
    """The cache keeps the config validated from the file's text: a build whose config is as
    it was imports no TOML parser; one whose config changed, or a copy of the site, reads it."""
    site.write("reelnotes.toml", 'title = "Before"\ntitel = "typo"\n')
    site.post("one", post_text("First review", "2013-04-09"))

    def build(root: Path) -> tuple[str, str]:
        proc = subprocess.run([sys.executable, "-c", LOADED, str(root)], capture_output=True,
                              text=True, check=True)
        return proc.stdout.split("\n")[-2], proc.stderr

    assert build(site.root)[0] == "0 tomllib"  # a first build: no cache folder yet
    assert build(site.root)[0] == "0 tomllib"  # kept in the cache now
    out, err = build(site.root)
    assert out == "0" and 'unknown setting "titel"' in err  # its warning too
    assert site.html("index.html").xpath("string(//title)").endswith("Before")
    site.write("reelnotes.toml", 'title = "After"\n')
    assert build(site.root) == ("0 tomllib", "")
    assert site.html("index.html").xpath("string(//title)").endswith("After")
    moved = tmp_path / "moved"
    shutil.copytree(site.root, moved)
    assert build(moved)[0] == "0"
    assert (moved / "build/index.html").is_file()
    assert load_config(moved)[0].root == moved
    (site.root / ".reelnotes-cache/config").write_bytes(b"damaged")
    assert build(site.root)[0] == "0 tomllib"


def test_utc_without_the_time_zone_database_dates_as_it_does(site: Site, tmp_path: Path,
                                                             cli: Callable[..., Result]) -> None:
    """UTC, the default time zone, is Python's own: the same site as with the database's."""
    site.post("one", post_text("First review", "2013-04-09", updated="2013-04-10T09:30:00"))
    site.write("content/comments/one.yml", "- author: Ann\n  date: 2013-04-11\n  body: Hi\n")
    assert cli("build", "--site", site.root).code == 0
    other = Site(tmp_path / "other")
    shutil.copytree(site.root, other.root, ignore=shutil.ignore_patterns("build", ".reelnotes-*"))
    other.write("reelnotes.toml", (site.root / "reelnotes.toml").read_text() +
                '\ntimezone = "Etc/UTC"\n')
    assert cli("build", "--site", other.root).code == 0
    assert tree(site.out) == tree(other.out)
