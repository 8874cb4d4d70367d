"""Incremental builds: after any sequence of edits, build/ holds exactly what a cold build makes."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from conftest import CONFIG, Site, post_text
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reelnotes.cli import main

TAGS = ["drama", "documentary", "china", "Drama", "slow cinema"]
TITLES = ["Still Life", "Yi Yi", "Platform", "Tokyo Story", "悲情城市", "Amour"]
BODIES = ["Some text.", "Two paragraphs.\n\nThe [second](/posts/x/) one.",
          "First.\n\n<!--more-->\n\nRest, with *emphasis*.", "A list:\n\n- one\n- two"]
POST_TEMPLATE = (Path(__file__).resolve().parents[1] / "templates/post.html").read_text()

names = st.sampled_from(["seed", "a", "b"])
post_fields = st.fixed_dictionaries({
    "title": st.sampled_from(TITLES), "day": st.integers(1, 28),
    "tags": st.lists(st.sampled_from(TAGS), max_size=3), "body": st.sampled_from(BODIES)})
edits = st.one_of(
    st.tuples(st.just("write"), names, post_fields),      # add a post, or edit one
    st.tuples(st.just("delete"), names, st.none()),
    st.tuples(st.just("rename"), names, names),
    st.tuples(st.just("tags"), names, st.lists(st.sampled_from(TAGS), max_size=3)),
    st.tuples(st.just("template"), st.sampled_from(["", "Reviewed", "Seen"]), st.none()),
    st.tuples(st.just("config"), st.sampled_from([1, 2, 10]), st.none()),
    st.tuples(st.just("comment"), names, st.sampled_from(["", "Loved it.", "Too *slow*."])),
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
        override = site.root / "templates/post.html"
        if a:
            marked = POST_TEMPLATE.replace("<article", f"<!-- {a} --><article")
            site.write("templates/post.html", marked)
        else:
            override.unlink(missing_ok=True)
    elif kind == "comment":
        comments = site.root / f"content/comments/{a}.yml"
        if b:
            site.write(f"content/comments/{a}.yml",
                       f"- author: Reader\n  date: 2014-01-02\n  body: {b!r}\n")
        else:
            comments.unlink(missing_ok=True)
    elif kind == "config":
        site.write("reelnotes.toml", CONFIG + f"posts_per_page = {a}\n")


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
def test_incremental_build_equals_cold_build(steps: list[tuple[str, object, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = Site(Path(tmp) / "site")
        site.write("reelnotes.toml", CONFIG)
        site.post("seed", post_text("Seed", "2013-01-01", tags="[drama]", slug="seed"))
        assert main(["build", "--site", str(site.root), "--quiet"]) == 0
        for step in steps:
            before = tree(site.out)
            apply(site, step)
            if main(["build", "--site", str(site.root), "--quiet"]) != 0:
                assert tree(site.out) == before  # e.g. two posts claim one slug: nothing changes
                continue
            assert tree(site.out) == cold_build(site, Path(tmp) / "cold")
