"""The error contract beyond the catalogue in test_bad_input.py: many problems at once, warnings."""

from __future__ import annotations

import re
from collections.abc import Callable

from conftest import Result, Site, post_text


def failed_build(site: Site, cli: Callable[..., Result]) -> str:
    """Build `site`, which must fail and leave its output as it was; return what it said."""
    before = site.snapshot()
    result = cli("build", "--site", site.root)
    assert result.code == 1
    assert site.snapshot() == before
    return result.err


def test_duplicate_slug_names_both_files(built_site: Site, cli: Callable[..., Result]) -> None:
    built_site.post("a-copy", post_text("Copy", "2016-01-01", slug="same"))
    built_site.post("b-copy", post_text("Other copy", "2016-01-02", slug="same"))
    assert failed_build(built_site, cli).splitlines()[0] == (
        'content/posts/b-copy.md:4: slug: expected a slug of its own, but "same" is also '
        "used by content/posts/a-copy.md (give one of them another slug)")


def test_same_title_twice_gets_two_addresses(built_site: Site,
                                              cli: Callable[..., Result]) -> None:
    built_site.post("2016-01-01-heat-rewatch", post_text("First review", "2016-01-01",
                                                         body="Second look."))
    built_site.post("later", post_text("Mine", "2017-01-01", slug="first-review"))
    result = cli("build", "--site", built_site.root)
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        'content/posts/one.md:2: warning: title gives the slug "first-review" of '
        "content/posts/later.md: this post is at /posts/one/ instead (set slug: to choose "
        "its address)",
        'content/posts/2016-01-01-heat-rewatch.md:2: warning: title gives the slug '
        '"first-review" of content/posts/later.md: this post is at /posts/heat-rewatch/ '
        "instead (set slug: to choose its address)",
    ]
    assert built_site.html("posts/first-review/index.html").xpath("//h1/text()") == ["Mine"]
    rewatch = built_site.html("posts/heat-rewatch/index.html")
    assert rewatch.xpath("//link[@rel='canonical']/@href") == [
        "https://example.org/posts/heat-rewatch/"]
    assert "Second look." in rewatch.text_content()
    assert (built_site.out / "posts/one/index.html").is_file()


def test_all_errors_reported_together(built_site: Site, cli: Callable[..., Result]) -> None:
    built_site.post("a", "---\ntitle: x\ndate: nope\n---\n")
    built_site.post("b", "---\ndate: 2013-01-01\ntags: 5\n---\n")
    result = cli("build", "--site", built_site.root)
    assert result.code == 1
    lines = result.err.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "content/posts/a.md", "content/posts/b.md", "content/posts/b.md"]
    assert lines[-1] == "reelnotes: build failed: 3 problems"


def test_unknown_key_warns_with_did_you_mean(site: Site, cli: Callable[..., Result]) -> None:
    site.post("p", post_text("Post", tgas="[a]"))
    result = cli("build", "--site", site.root)
    assert result.code == 0
    assert 'content/posts/p.md:4: warning: unknown key "tgas" is ignored (did you mean "tags"?)' \
        in result.err.splitlines()


def test_unknown_config_key_warns(site: Site, cli: Callable[..., Result]) -> None:
    site.write("reelnotes.toml", 'title = "T"\nbase_ulr = "https://x.org/"\n')
    result = cli("build", "--site", site.root)
    assert result.code == 0
    assert result.err.splitlines()[0] == (
        'reelnotes.toml:2: warning: unknown setting "base_ulr" is ignored '
        '(did you mean "base_url"?)')


def test_bad_base_url(built_site: Site, cli: Callable[..., Result]) -> None:
    built_site.write("reelnotes.toml", 'title = "T"\n\nbase_url = "example.org"\n')
    assert failed_build(built_site, cli).startswith(
        'reelnotes.toml:3: base_url: expected an absolute http(s) URL')


def test_template_error_names_template_line(built_site: Site,
                                            cli: Callable[..., Result]) -> None:
    before = built_site.snapshot()
    built_site.write("templates/tags.html", '{% extends "base.html" %}\n{% block main %}\n'
                     "{{ no_such_thing.x }}\n{% endblock %}\n")
    result = cli("build", "--site", built_site.root)
    assert result.code == 1
    assert re.match(r"^templates/tags\.html:3: undefined variable: 'no_such_thing' is undefined",
                    result.err)
    assert built_site.snapshot() == before
    built_site.write("templates/tags.html", "{% if %}\n")
    result = cli("build", "--site", built_site.root)
    assert re.match(r"^templates/tags\.html:1: template syntax error", result.err)
    assert built_site.snapshot() == before


def test_refuses_to_replace_a_foreign_folder(site: Site, cli: Callable[..., Result]) -> None:
    site.post("p", post_text("Post"))
    precious = site.write("mine/thesis.txt", "years of work")
    result = cli("build", "--site", site.root, "--out", site.root / "mine")
    assert result.code == 1
    assert "was not made by reelnotes: refusing to replace it" in result.err
    assert precious.read_text() == "years of work"


def test_missing_site_folder(cli: Callable[..., Result], tmp_path: Site) -> None:
    result = cli("build", "--site", str(tmp_path) + "/nowhere")
    assert result.code == 1
    assert result.err.startswith("site folder not found")


def test_alias_claimed_twice(built_site: Site, cli: Callable[..., Result]) -> None:
    built_site.post("old", post_text("Old", "2012-01-01", aliases="[/2012/01/01/old/]"))
    built_site.post("older", post_text("Older", "2011-01-01", aliases="[/2012/01/01/old/, /tags/]"))
    assert failed_build(built_site, cli).splitlines()[:2] == [
        'content/posts/older.md:4: aliases: "/2012/01/01/old/" is already used by the post '
        "content/posts/old.md (remove it from aliases)",
        'content/posts/older.md:4: aliases: "/tags/" is already used by a page of the site '
        "(remove it from aliases)",
    ]


def test_alias_cannot_claim_a_tag_feed(built_site: Site, cli: Callable[..., Result]) -> None:
    built_site.post("old", post_text("Old", "2012-01-01", aliases="[/tags/drama/feed.xml]"))
    assert failed_build(built_site, cli).splitlines()[0] == (
        'content/posts/old.md:4: aliases: "/tags/drama/feed.xml" is already used by a page of '
        "the site (remove it from aliases)")
