"""Incremental builds: after any sequence of edits, build/ holds exactly what a cold build makes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from conftest import CONFIG, FIXED_EPOCH, Result, Site, counts, post_text
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reelnotes import build, manifest
from reelnotes.cli import main

TAGS = ["drama", "documentary", "china", "Drama", "slow cinema"]
TITLES = ["Still Life", "Yi Yi", "Platform", "Tokyo Story", "悲情城市", "Amour"]
BODIES = ["Some text.", "Two paragraphs.\n\nThe [second](/posts/x/) one.",
          "First.\n\n<!--more-->\n\nRest, with *emphasis*.", "A list:\n\n- one\n- two"]
THEME = Path(__file__).resolve().parents[1] / "templates"
POST_TEMPLATE = (THEME / "post.html").read_text()
MACROS = (THEME / "macros.html").read_text()
TEMPLATES = {
    # a mark on every post page
    "Seen": ("post.html", POST_TEMPLATE.replace("<article", "<!-- Seen --><article")),
    "Reviewed": ("post.html", POST_TEMPLATE.replace("<article", "<!-- Reviewed --><article")),
    # the site-wide `posts` global on every post page: any post's title can change them all
    "latest": ("post.html", POST_TEMPLATE.replace(
        "<article", "<p>Latest: {{ posts[0].title if posts else '' }}</p><article")),
    # whole bodies and reading times on the lists, through the macros they import
    "bodies": ("macros.html", MACROS.replace(
        '<div class="entry-summary">{{ post.summary_html | safe }}</div>',
        '<div class="entry-summary">{{ post.body_html | safe }}</div>'
        '<p>{{ post.reading_minutes }} min</p>')),
}

names = st.sampled_from(["seed", "a", "b"])
post_fields = st.fixed_dictionaries({
    "title": st.sampled_from(TITLES), "day": st.integers(1, 28),
    "tags": st.lists(st.sampled_from(TAGS), max_size=3), "body": st.sampled_from(BODIES)})
edits = st.one_of(
    st.tuples(st.just("write"), names, post_fields),      # add a post, or edit one
    st.tuples(st.just("delete"), names, st.none()),
    st.tuples(st.just("rename"), names, names),
    st.tuples(st.just("tags"), names, st.lists(st.sampled_from(TAGS), max_size=3)),
    st.tuples(st.just("template"), st.sampled_from(["", *TEMPLATES]), st.none()),
    st.tuples(st.just("append"), names, st.sampled_from(["More.", "Much " * 300])),
    st.tuples(st.just("config"), st.sampled_from([1, 2, 10]), st.none()),
    st.tuples(st.just("comment"), names, st.sampled_from(["", "Loved it.", "Too *slow*."])),
    st.tuples(st.just("sneak"), names, st.none()),         # same size, same mtime
)


def apply(site: Site, edit: tuple[str, object, object]) -> None:
    """Make one change to the site's sources."""
    kind, a, b = edit
    posts = site.root / "content/posts"
    if kind == "write":
        assert isinstance(b, dict)
        tags = "[" + ", ".join(repr(t) for t in b["tags"]) + "]"
        site.post(str(a), post_text(b["title"], f"2013-04-{b['day']:02d}", b["body"],
                                    tags=tags, slug=str(a)))
    elif kind == "delete":
        (posts / f"{a}.md").unlink(missing_ok=True)
    elif kind == "rename" and (posts / f"{a}.md").exists():
        (posts / f"{a}.md").replace(posts / f"{b}.md")
    elif kind == "tags" and (posts / f"{a}.md").exists():
        text = (posts / f"{a}.md").read_text(encoding="utf-8")
        tags = "[" + ", ".join(repr(t) for t in b) + "]"  # type: ignore[union-attr]
        site.post(str(a), _retag(text, tags))
    elif kind == "template":
        shutil.rmtree(site.root / "templates", ignore_errors=True)
        if a:
            name, text = TEMPLATES[str(a)]
            site.write(f"templates/{name}", text)
    elif kind == "append" and (posts / f"{a}.md").exists():  # the body only, past its summary
        with (posts / f"{a}.md").open("a", encoding="utf-8") as file:
            file.write(f"\n{b}\n")
    elif kind == "comment":
        comments = site.root / f"content/comments/{a}.yml"
        if b:
            site.write(f"content/comments/{a}.yml",
                       f"- author: Reader\n  date: 2014-01-02\n  body: {b!r}\n")
        else:
            comments.unlink(missing_ok=True)
    elif kind == "config":
        site.write("reelnotes.toml", CONFIG + f"posts_per_page = {a}\n")
    elif kind == "sneak" and (posts / f"{a}.md").exists():
        sneak_edit(posts / f"{a}.md")


def sneak_edit(path: Path) -> None:
    """Change one letter of a post's body, then set its mtime back: only its ctime, or its
    bytes, can tell."""
    before = path.stat()
    head, sep, body = path.read_text(encoding="utf-8").rpartition("---\n")
    i = next(i for i, c in enumerate(body) if c.isascii() and c.isalpha())
    path.write_text(head + sep + body[:i] + body[i].swapcase() + body[i + 1:], encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def _retag(text: str, tags: str) -> str:
    lines = [line for line in text.split("\n") if not line.startswith("tags:")]
    return "\n".join(lines[:1] + [f"tags: {tags}"] + lines[1:])


def tree(out: Path) -> dict[str, str]:
    """Every file under `out` with its bytes' hash."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def cold_build(site: Site, scratch: Path) -> dict[str, str]:
    """Copy the site's sources to a fresh folder, build there with no cache, return its tree."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(site.root, scratch,
                    ignore=shutil.ignore_patterns("build", ".reelnotes-cache"))
    assert main(["build", "--site", str(scratch), "--quiet"]) == 0
    return tree(scratch / "build")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edits, min_size=1, max_size=5))
@example([("comment", "seed", "Loved it."), ("tags", "seed", ["china"]),
          ("template", "Seen", None), ("config", 1, None)])
@example([("write", "a", {"title": "Yi Yi", "day": 3, "tags": ["Drama"], "body": BODIES[2]}),
          ("rename", "a", "b"), ("delete", "seed", None)])
@example([("sneak", "seed", None), ("sneak", "seed", None)])
@example([("template", "latest", None),
          ("write", "b", {"title": "Amour", "day": 2, "tags": [], "body": BODIES[0]}),
          ("write", "a", {"title": "Amour", "day": 3, "tags": [], "body": BODIES[0]}),
          ("write", "a", {"title": "Yi Yi", "day": 3, "tags": [], "body": BODIES[0]})])
@example([("tags", "seed", []), ("append", "seed", "More."), ("template", "Seen", None),
          ("append", "seed", "More."), ("sneak", "seed", None)])
@example([("template", "bodies", None), ("append", "seed", "More."),
          ("append", "seed", "Much " * 300), ("template", "", None), ("append", "seed", "More.")])
@example([("template", "bodies", None),
          ("write", "b", {"title": "Still Life", "day": 1, "tags": [], "body": "Some text."}),
          ("append", "b", "More.")])
def test_incremental_build_equals_cold_build(steps: list[tuple[str, object, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = Site(Path(tmp) / "site")
        site.write("reelnotes.toml", CONFIG)
        site.post("seed", post_text("Seed", "2013-01-01", tags="[drama]", slug="seed"))
        for i in range(20):  # newer: the posts edited drop out of the site's feed
            site.post(f"new{i}", post_text(f"Newer {i}", f"2014-01-{i + 1:02}", slug=f"new{i}"))
        assert main(["build", "--site", str(site.root), "--quiet"]) == 0
        for step in steps:
            before = tree(site.out)
            apply(site, step)
            if main(["build", "--site", str(site.root), "--quiet"]) != 0:
                assert tree(site.out) == before  # e.g. two posts claim one slug: nothing changes
                continue
            assert tree(site.out) == cold_build(site, Path(tmp) / "cold")


def test_rebuild_that_changes_nothing_keeps_the_output_and_its_figures(
        site: Site, cli: Callable[..., Result]) -> None:
    site.post("one", post_text("One", "2013-04-09", tags="[drama]", film="Yi Yi",
                               poster="/img/missing.jpg"))
    first = cli("build", "--site", site.root)
    before = {p: p.stat().st_mtime_ns for p in site.out.rglob("*")}
    again = cli("build", "--site", site.root)
    assert again.code == 0 and again.err == first.err != ""  # the same warning, again
    assert first.out.startswith("Built 1 post, 1 tag: 17 files (17 written, 0 unchanged; "
                                "1 post parsed, 10 of 10 pages rendered)")
    assert again.out.startswith("Built 1 post, 1 tag: 17 files (0 written, 17 unchanged; "
                                "0 posts parsed, 0 of 10 pages rendered)")
    assert {p: p.stat().st_mtime_ns for p in site.out.rglob("*")} == before


def test_a_scheduled_post_appears_when_it_is_due(site: Site, cli: Callable[..., Result],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    site.post("now", post_text("Shown", "2025-06-01"))
    site.post("later", post_text("Scheduled", "2026-03-01"))
    assert cli("build", "--site", site.root).code == 0
    assert not (site.out / "posts/scheduled/index.html").exists()
    assert "1 post," in cli("build", "--site", site.root).out
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(FIXED_EPOCH) + 90 * 86400))
    assert "2 posts," in cli("build", "--site", site.root).out
    assert (site.out / "posts/scheduled/index.html").is_file()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(FIXED_EPOCH) - 400 * 86400))
    assert "0 posts," in cli("build", "--site", site.root).out  # a clock set back hides both


def many_posts(site: Site, n: int = 24) -> None:
    """More posts than a feed carries: the oldest are in no feed."""
    for i in range(n):
        site.post(f"p{i:02}", post_text(f"Post {i}", f"2013-01-{i + 1:02}",
                                        "The summary.\n\nThe rest.", slug=f"p{i:02}"))


def built_with_a_tagged_newest(site: Site, cli: Callable[..., Result]) -> Path:
    """many_posts and a newest post, p23, that the site's feeds and its tag's carry; built.
    Its source file."""
    many_posts(site)
    site.post("p23", post_text("Post 23", "2013-01-24", "The summary.\n\nThe rest.",
                               slug="p23", tags="[drama]"))
    assert cli("build", "--site", site.root).code == 0
    return site.root / "content/posts/p23.md"


def hand_edit_then_patch(site: Site, cli: Callable[..., Result], tmp_path: Path, post: str,
                         written: int) -> None:
    """A patch checks only the files it replaces: a page edited by hand elsewhere meanwhile
    is set right by the next build that is not a patch."""
    (site.out / "posts/p05/index.html").write_text("vandalised", encoding="utf-8")
    append(site.root / f"content/posts/{post}.md", "\nOne more.\n")
    assert counts(cli("build", "--site", site.root).out)["written"] == written
    assert counts(cli("build", "--site", site.root).out)["written"] == 1
    assert tree(site.out) == cold_build(site, tmp_path / "cold")


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(text)


def test_an_edit_past_the_summary_renders_only_the_posts_own_pages(
        site: Site, cli: Callable[..., Result], tmp_path: Path) -> None:
    many_posts(site)
    assert cli("build", "--site", site.root).code == 0
    before = {p: p.stat().st_mtime_ns for p in site.out.rglob("*.*")}
    append(site.root / "content/posts/p01.md", "\nA paragraph *added*.\n")
    result = cli("build", "--site", site.root)
    # its page, and its neighbours' (which hold its title only): one file written
    assert counts(result.out) == {"files": 40, "written": 1, "unchanged": 39, "parsed": 1,
                                  "rendered": 3}, result.out
    page = site.html("posts/p01/index.html")
    assert [p.text_content() for p in page.xpath("//main//article//p")][-1:] == [
        "A paragraph added."]
    changed = [p for p, mtime in before.items() if p.stat().st_mtime_ns != mtime]
    assert changed == [site.out / "posts/p01/index.html"]
    assert tree(site.out) == cold_build(site, tmp_path / "cold")
    # and what the next build knows of it is right: a no-change build, then a full one
    assert counts(cli("build", "--site", site.root).out)["rendered"] == 0
    hand_edit_then_patch(site, cli, tmp_path, "p01", written=1)
    append(site.root / "content/posts/p02.md", "\nAnother.\n")
    site.write("reelnotes.toml", CONFIG + "posts_per_page = 3\n")
    assert cli("build", "--site", site.root).code == 0
    assert tree(site.out) == cold_build(site, tmp_path / "cold")


def test_a_patch_finds_a_neighbour_patched_before_under_the_key_it_was_given(
        site: Site, cli: Callable[..., Result], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    many_posts(site)
    assert cli("build", "--site", site.root).code == 0

    def full_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("a full build")

    monkeypatch.setattr(build, "_build", full_build)  # (every build below must be a patch)
    for name in ("p02", "p01", "p02", "p03", "p02"):  # (each a neighbour of the one before)
        append(site.root / f"content/posts/{name}.md", f"\nEdited, {name}.\n")
        result = cli("build", "--site", site.root)
        assert result.code == 0 and counts(result.out)["rendered"] == 3, result.out
    for i in range(4, 10):  # (six at once: found in the posts' order another way)
        append(site.root / f"content/posts/p{i:02}.md", "\nEdited with five others.\n")
    result = cli("build", "--site", site.root)
    assert result.code == 0 and counts(result.out)["rendered"] == 8, result.out
    monkeypatch.undo()
    assert tree(site.out) == cold_build(site, tmp_path / "cold")


def test_a_patch_build_journals_what_it_changed_beside_the_manifest(
        site: Site, cli: Callable[..., Result], tmp_path: Path) -> None:
    many_posts(site)
    assert cli("build", "--site", site.root).code == 0
    record = next(p for p in (site.root / ".reelnotes-cache").glob("manifest-*")
                  if "." not in p.name)
    saved, journal = record.stat(), manifest.journal_path(record)
    post = site.root / "content/posts/p01.md"
    for n in range(2):  # a journal, then the same journal with the entries the second changed
        append(post, f"\nA paragraph added, {n}.\n")
        assert counts(cli("build", "--site", site.root).out)["rendered"] == 3
        # the manifest file is as the full build left it; the journal holds the changes
        assert record.stat().st_mtime_ns == saved.st_mtime_ns and journal.is_file()
        loaded = manifest.load(record)
        assert loaded is not None and loaded.journal is not None
        assert loaded.inputs.stats[str(post)][:2] == (post.stat().st_size,
                                                       post.stat().st_mtime_ns)
        # the post's stat and key, and the stat of the three pages the patch rendered (its own,
        # rewritten, and its neighbours', checked): the same entries the second time
        assert loaded.journal.entries() == 5
        assert loaded.outputs == manifest.output_stats(site.out)
    old = journal.read_bytes()
    # what the next builds know is right: no change, then a full build (a template edited),
    # which finds every post in the cache, the patched one under the key the patch gave it
    assert counts(cli("build", "--site", site.root).out)["parsed"] == 0
    assert tree(site.out) == cold_build(site, tmp_path / "cold")
    site.write("templates/404.html", "{% extends 'base.html' %}{% block main %}Lost."
                                     "{% endblock %}")
    assert counts(cli("build", "--site", site.root).out)["parsed"] == 0
    assert not journal.exists()
    append(site.root / "content/posts/p02.md", "\nAnother.\n")
    site.write("reelnotes.toml", CONFIG + "posts_per_page = 3\n")
    assert cli("build", "--site", site.root).code == 0
    # a journal from before the manifest was saved anew is ignored
    journal.write_bytes(old)
    loaded = manifest.load(record)
    assert loaded is not None and loaded.journal is not None and not loaded.journal.entries()
    assert counts(cli("build", "--site", site.root).out)["parsed"] == 0
    assert tree(site.out) == cold_build(site, tmp_path / "cold")


def test_an_edit_of_a_post_the_feeds_carry_writes_them_in_a_patch_swapped_in_whole(
        site: Site, cli: Callable[..., Result], tmp_path: Path) -> None:
    built_with_a_tagged_newest(site, cli)
    before = {p: (p.stat().st_mtime_ns, p.stat().st_ino) for p in site.out.rglob("*.*")}
    append(site.root / "content/posts/p23.md", "\nA paragraph *added*.\n")
    result = cli("build", "--site", site.root)
    # a patch: the post's page (its neighbour's, checked, holds its title only) and the
    # three feeds that carry it, written together; no other page rendered
    assert counts(result.out) == {"files": 42, "written": 4, "unchanged": 38, "parsed": 1,
                                  "rendered": 2}, result.out
    changed = sorted(p.relative_to(site.out).as_posix() for p, (mtime, _) in before.items()
                     if p.stat().st_mtime_ns != mtime)
    assert changed == [".reelnotes-build", "feed.json", "feed.xml", "posts/p23/index.html",
                       "tags/drama/feed.xml"]  # (and the marker of a tree swapped in)
    kept = site.out / "posts/p05/index.html"
    assert kept.stat().st_ino == before[kept][1]  # the swapped-in tree links the others
    for feed in ("feed.xml", "tags/drama/feed.xml"):
        parsed = feedparser.parse((site.out / feed).read_bytes())
        assert parsed.bozo == 0 and parsed.entries[0].title == "Post 23"
        assert "A paragraph <em>added</em>." in parsed.entries[0].content[0].value
    assert tree(site.out) == cold_build(site, tmp_path / "cold")
    # what the next build knows of it is right: no change
    assert counts(cli("build", "--site", site.root).out)["rendered"] == 0
    hand_edit_then_patch(site, cli, tmp_path, "p23", written=4)
    # an output file deleted by hand: the swap cannot link it, and the build is a full one
    (site.out / "posts/p05/index.html").unlink()
    append(site.root / "content/posts/p23.md", "\nAnd one more.\n")
    result = cli("build", "--site", site.root)
    assert result.code == 0 and counts(result.out)["written"] == 5, result.err
    assert tree(site.out) == cold_build(site, tmp_path / "cold")


def test_a_post_the_feeds_carry_is_patched_beside_others_with_comments(
        site: Site, cli: Callable[..., Result], tmp_path: Path) -> None:
    """The patch makes the edited post's items anew in the feeds the last build wrote: the
    other posts a feed carries (one of them with comments, which a patch does not compose)
    are not loaded at all."""
    many_posts(site)
    site.write("content/comments/p20.yml", "- author: Reader\n  date: 2014-01-02\n"
                                            "  body: Seen it.\n")
    assert cli("build", "--site", site.root).code == 0
    append(site.root / "content/posts/p23.md", "\nA paragraph *added*.\n")
    result = cli("build", "--site", site.root)
    assert counts(result.out) == {"files": 40, "written": 3, "unchanged": 37, "parsed": 1,
                                  "rendered": 2}, result.out
    entries = json.loads((site.out / "feed.json").read_text(encoding="utf-8"))["items"]
    assert "A paragraph <em>added</em>." in entries[0]["content_html"]
    assert tree(site.out) == cold_build(site, tmp_path / "cold")


def spare_record(site: Site) -> Path:
    """The record a swap leaves beside the spare tree."""
    return next((site.root / ".reelnotes-cache").glob("spare-*.differs"))


def test_swaps_in_a_row_bring_only_what_the_last_one_changed_up_to_date(
        site: Site, cli: Callable[..., Result], tmp_path: Path) -> None:
    newest = built_with_a_tagged_newest(site, cli)
    for n in range(3):  # the first swap walks the spare; the next ones follow its record
        append(newest, f"\nParagraph {n}.\n")
        assert counts(cli("build", "--site", site.root).out)["written"] == 4
        assert tree(site.out) == cold_build(site, tmp_path / "cold")
        assert spare_record(site).is_file()
        # the stats the swap changed, journalled: a no-change build finds the output as known
        assert counts(cli("build", "--site", site.root).out)["rendered"] == 0
    # a page replaced in place by a one-file patch is added to the record: the next swap
    # takes it from the output, not the spare's older copy
    append(site.root / "content/posts/p01.md", "\nAn older post, edited.\n")
    assert counts(cli("build", "--site", site.root).out)["written"] == 1
    append(newest, "\nAgain.\n")
    assert counts(cli("build", "--site", site.root).out)["written"] == 4
    assert tree(site.out) == cold_build(site, tmp_path / "cold")
    # an output deleted and built afresh (the record kept, as the spare was not used) is
    # another pair of trees: the record is not believed
    shutil.rmtree(site.out)
    title = site.root / "content/posts/p02.md"
    title.write_text(title.read_text(encoding="utf-8").replace("Post 2", "Post Two"),
                     encoding="utf-8")
    assert cli("build", "--site", site.root).code == 0
    append(newest, "\nOnce more.\n")
    assert counts(cli("build", "--site", site.root).out)["written"] == 4
    assert tree(site.out) == cold_build(site, tmp_path / "cold")
    # a full build's record names the files it removed: the next swap removes them too, even
    # after a full build that changed nothing (and so kept the record)
    (site.root / "content/posts/p03.md").unlink()
    assert cli("build", "--site", site.root).code == 0
    site.post("draft", post_text("Not yet", "2013-01-30", draft="true"))
    assert counts(cli("build", "--site", site.root).out) == {
        "files": 41, "written": 0, "unchanged": 41, "parsed": 1, "rendered": 0}
    append(newest, "\nAnd again.\n")
    assert counts(cli("build", "--site", site.root).out)["written"] == 4
    assert tree(site.out) == cold_build(site, tmp_path / "cold")


@pytest.mark.parametrize("edit", ["posts", "template"])  # a patch's swap, a full build's
def test_staging_the_next_site_never_writes_into_a_file_the_output_holds(
        edit: str, site: Site, cli: Callable[..., Result], tmp_path: Path) -> None:
    """The spare tree's files that changed in the last swap are written over in place (no
    inode freed and another taken); the others are links to the output's files, which must
    stay as they are until the swap: after it, the old output (the spare now) is exactly the
    site before."""
    many_posts(site)
    assert cli("build", "--site", site.root).code == 0
    for n in range(4):
        if edit == "posts":  # two posts the feeds carry, in turn: each page changes every
            # other swap, so the spare's copy is sometimes the output's own file
            append(site.root / f"content/posts/p{22 + n % 2}.md", f"\nParagraph {n}.\n")
        else:
            site.write("templates/404.html", "{% extends 'base.html' %}{% block main %}"
                       f"Lost {n}.{{% endblock %}}")
        before = tree(site.out)
        assert counts(cli("build", "--site", site.root).out)["written"] >= 1
        spare = next(p for p in (site.root / ".reelnotes-cache").glob("spare-*") if p.is_dir())
        assert tree(spare) == before
        assert tree(site.out) == cold_build(site, tmp_path / "cold")


@pytest.mark.parametrize("swaps", [2, 3])  # the file in the spare, or in the output
def test_a_file_added_to_the_output_by_hand_is_cleared_by_the_next_full_build(
        swaps: int, site: Site, cli: Callable[..., Result], tmp_path: Path) -> None:
    many_posts(site)
    assert cli("build", "--site", site.root).code == 0
    newest = site.root / "content/posts/p23.md"
    append(newest, "\nA swap, and its record.\n")
    assert cli("build", "--site", site.root).code == 0
    (site.out / "posts/junk.html").write_text("dropped in by hand", encoding="utf-8")
    for n in range(swaps):  # swaps carry it into the spare, and may carry it back
        append(newest, f"\nParagraph {n}.\n")
        assert cli("build", "--site", site.root).code == 0
    site.write("templates/404.html", "{% extends 'base.html' %}{% block main %}Lost."
                                     "{% endblock %}")
    assert counts(cli("build", "--site", site.root).out)["parsed"] == 0  # a full build
    assert tree(site.out) == cold_build(site, tmp_path / "cold")
    for n in range(3):
        append(newest, f"\nAnd paragraph {n}.\n")
        assert counts(cli("build", "--site", site.root).out)["written"] == 3
        assert tree(site.out) == cold_build(site, tmp_path / "cold")


@pytest.mark.parametrize("edit", ["summary", "title", "latest", "comments", "broken",
                                  "mended"])
def test_an_edit_a_patch_cannot_vouch_for_is_built_in_full(
        edit: str, site: Site, cli: Callable[..., Result], tmp_path: Path) -> None:
    many_posts(site)
    if edit == "latest":  # post pages name the site-wide posts
        site.write("templates/post.html", TEMPLATES["latest"][1])
    if edit == "comments":
        site.write("content/comments/p01.yml", "- author: Reader\n  date: 2014-01-02\n"
                                               "  body: Seen it.\n")
    path = site.root / "content/posts/p01.md"
    if edit == "mended":  # a warning the edit puts right, its card (and key lines) unchanged
        path.write_text(path.read_text(encoding="utf-8").replace(
            "\n---\n", "\nfilm:\n  title: Yi Yi\n  directr: Edward Yang\n---\n", 1),
            encoding="utf-8")
    first = cli("build", "--site", site.root)
    assert first.code == 0
    assert ("directr" in first.err) == (edit == "mended"), first.err
    text = path.read_text(encoding="utf-8")
    if edit == "summary":
        path.write_text(text.replace("The summary.", "A new summary."), encoding="utf-8")
    elif edit == "title":
        path.write_text(text.replace("Post 1", "Post One"), encoding="utf-8")
    elif edit == "broken":
        path.write_text(text.replace("date: 2013-01-02", "date: January"), encoding="utf-8")
    elif edit == "mended":
        path.write_text(text.replace("  directr: Edward Yang\n", "") + "\nA paragraph added.\n",
                        encoding="utf-8")
    else:
        append(path, "\nA paragraph added.\n")
    result = cli("build", "--site", site.root)
    assert "directr" not in result.err, result.err
    if edit == "broken":
        assert result.code == 1 and "p01.md:3: date" in result.err, result.err
        return
    assert counts(result.out)["rendered"] > 3 or edit in ("latest", "comments", "mended")
    assert counts(result.out)["written"] >= 1
    assert tree(site.out) == cold_build(site, tmp_path / "cold")
