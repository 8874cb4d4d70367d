"""The build pipeline end to end: what build/ holds for a site, checked by parsing it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import lxml.html
import pytest
from conftest import REPO, Result, Site, post_text

from reelnotes import markdown

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def internal_links(out: Path, base_path: str) -> list[tuple[str, str]]:
    """(page, link) for every href/src on every page that points inside the site."""
    found = []
    for page in sorted(out.rglob("*.html")):
        doc = lxml.html.fromstring(page.read_bytes())
        for el in doc.iter():
            for attr in ("href", "src"):
                value = el.get(attr)
                if value is None:
                    continue
                parts = urlsplit(value)
                if parts.scheme or parts.netloc or not parts.path:
                    continue
                found.append((page.relative_to(out).as_posix(), value))
    return found


def resolve(out: Path, base_path: str, link: str) -> Path | None:
    """The file a root-relative link serves, the way a static host maps it."""
    path = unquote(urlsplit(link).path)
    if not path.startswith(base_path):
        return None
    rel = path[len(base_path):]
    target = out / rel
    if path.endswith("/"):
        target = target / "index.html"
    return target if target.is_file() else None


def test_example_site_builds_every_page(tmp_path: Path, cli: Callable[..., Result]) -> None:
    out = tmp_path / "out"
    result = cli("build", "--site", REPO, "--out", out)
    assert result.code == 0, result.err
    slug = "a-heart-devoid-of-love-thoughts-on-documentary-last-train-home"
    for rel in ["index.html", f"posts/{slug}/index.html", "tags/index.html",
                "tags/documentary/index.html", "archive/index.html", "films/index.html",
                "feed.xml", "sitemap.xml", "robots.txt", "404.html", "css/style.css"]:
        assert (out / rel).is_file(), rel
    post = lxml.html.fromstring((out / f"posts/{slug}/index.html").read_bytes())
    assert post.xpath("//h1")[0].text_content().startswith("A heart devoid of love")
    assert post.xpath("//time/@datetime")[0] == "2013-04-09T00:00:00+08:00"
    epigraph = post.xpath("//blockquote[ancestor::figure[@class='epigraph']]")[0]
    assert epigraph.text_content().strip() == "A heart full of love"
    assert post.xpath("//figure[@class='epigraph']//cite")[0].text == "Les Misérables"
    card = post.xpath("//aside[@class='film-card']")[0].text_content()
    assert "Last Train Home" in card and "2009" in card and "Lixin Fan" in card
    heading = post.xpath("//section[@id='post-comments']/h2")[0].text_content()
    assert heading == f"2 thoughts on “{post.xpath('//h1')[0].text_content()}”"
    assert len(post.xpath("//li[@class='comment']")) == 2
    assert result.out.startswith("Built 1 post, 4 tags:")


def test_post_page_structure(built_site: Site) -> None:
    doc = built_site.html("posts/second-review/index.html")
    assert [a.text for a in doc.xpath("//a[@rel='tag']")] == ["drama"]
    assert doc.xpath("//nav[@class='post-nav']//a[@rel='prev']/@href") == ["/posts/first-review/"]
    assert doc.xpath("//nav[@class='post-nav']//a[@rel='next']/@href") == ["/posts/third-review/"]
    assert doc.xpath("//link[@rel='alternate'][@type='application/rss+xml']/@href") == ["/feed.xml"]
    assert doc.xpath("//link[@rel='canonical']/@href") == [
        "https://example.org/posts/second-review/"]


def test_index_is_paginated_newest_first(site: Site, cli: Callable[..., Result]) -> None:
    for i in range(23):
        site.post(f"p{i:02d}", post_text(f"Post {i:02d}", f"2013-01-{i + 1:02d}"))
    assert cli("build", "--site", site.root).code == 0
    first = site.html("index.html")
    titles = [a.text for a in first.xpath("//h2[@class='entry-title']/a")]
    assert titles == [f"Post {i:02d}" for i in range(22, 12, -1)]
    assert first.xpath("//a[@rel='next']/@href") == ["/page/2/"]
    third = site.html("page/3/index.html")
    assert [a.text for a in third.xpath("//h2[@class='entry-title']/a")] == [
        "Post 02", "Post 01", "Post 00"]
    assert third.xpath("//a[@rel='prev']/@href") == ["/page/2/"]
    assert not (site.out / "page/4").exists()
    assert not (site.out / "page/1").exists()


def test_tags_and_archive(built_site: Site) -> None:
    tags = built_site.html("tags/index.html")
    names = [a.text for a in tags.xpath("//ul[@class='tag-cloud']//a")]
    assert names == ["china", "documentary", "drama"]
    tag = built_site.html("tags/china/index.html")
    assert [a.text for a in tag.xpath("//h2/a")] == ["First review"]
    archive = built_site.html("archive/index.html")
    assert [h.text for h in archive.xpath("//h2")] == ["2015", "2014", "2013"]
    assert [h.text for h in archive.xpath("//h3")] == ["June 2015", "May 2014", "April 2013"]


def test_films_index(built_site: Site) -> None:
    films = built_site.html("films/index.html")
    items = films.xpath("//ul[@class='film-list']/li")
    assert len(items) == 1
    assert items[0].xpath(".//cite")[0].text == "Last Train Home"
    assert items[0].xpath(".//a/@href") == ["/posts/first-review/"]


def test_films_sort_ignoring_articles(site: Site, cli: Callable[..., Result]) -> None:
    for i, film in enumerate(["The Zone of Interest", "Amour", "A Brighter Summer Day",
                              "Le Samouraï", "Burning"]):
        site.post(f"f{i}", post_text(f"Review {i}", f"2013-01-0{i + 1}", film=repr(film)))
    assert cli("build", "--site", site.root).code == 0
    films = site.html("films/index.html")
    assert [c.text for c in films.xpath("//ul[@class='film-list']/li/cite")] == [
        "Amour", "A Brighter Summer Day", "Burning", "Le Samouraï", "The Zone of Interest"]


def test_feed_parses_with_absolute_links(site: Site, cli: Callable[..., Result]) -> None:
    for i in range(25):
        body = f"Para [link](/posts/x/) and ![still](still{i}.jpg).\n\n<!--more-->\n\nMore."
        site.post(f"p{i:02d}", post_text(f"Post {i:02d}", f"2013-02-{i + 1:02d}", body=body))
    assert cli("build", "--site", site.root).code == 0
    feed = feedparser.parse((site.out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Test Notes"
    assert len(feed.entries) == 20
    entry = feed.entries[0]
    assert entry.title == "Post 24"
    assert entry.link == "https://example.org/posts/post-24/"
    assert entry.id == entry.link
    assert entry.published_parsed[:3] == (2013, 2, 25)
    content = lxml.html.fromstring(entry.content[0].value)
    assert content.xpath("//a/@href") == ["https://example.org/posts/x/"]
    assert content.xpath("//img/@src") == ["https://example.org/posts/post-24/still24.jpg"]
    assert "More." not in entry.summary
    self_links = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_links == ["https://example.org/feed.xml"]


def test_sitemap_and_robots(built_site: Site) -> None:
    tree = ET.parse(built_site.out / "sitemap.xml")
    locs = [loc.text for loc in tree.getroot().iter(f"{SM}loc")]
    assert "https://example.org/" in locs
    assert "https://example.org/posts/first-review/" in locs
    assert "https://example.org/tags/china/" in locs
    assert not any(loc and loc.endswith("404.html") for loc in locs)
    robots = (built_site.out / "robots.txt").read_text()
    assert "Sitemap: https://example.org/sitemap.xml" in robots.splitlines()


def test_every_internal_link_resolves(built_site: Site) -> None:
    links = internal_links(built_site.out, "/")
    assert len(links) > 50
    broken = [(page, link) for page, link in links if resolve(built_site.out, "/", link) is None]
    assert broken == []


def test_base_url_with_a_path(built_site: Site, cli: Callable[..., Result]) -> None:
    result = cli("build", "--site", built_site.root, "--base-url", "https://example.org/blog")
    assert result.code == 0, result.err
    links = internal_links(built_site.out, "/blog/")
    assert links and all(link.startswith(("/blog/", "#")) for _, link in links)
    broken = [(p, link) for p, link in links
              if not link.startswith("#") and resolve(built_site.out, "/blog/", link) is None]
    assert broken == []
    feed = feedparser.parse((built_site.out / "feed.xml").read_bytes())
    assert feed.entries[0].link == "https://example.org/blog/posts/third-review/"


def test_drafts_and_future_posts(site: Site, cli: Callable[..., Result]) -> None:
    site.post("draft", post_text("A draft", "2013-01-01", draft="true"))
    site.post("future", post_text("From the future", "2030-01-01"))
    site.post("now", post_text("Published", "2013-01-02"))
    assert cli("build", "--site", site.root).code == 0
    assert sorted(p.name for p in (site.out / "posts").iterdir()) == ["published"]
    assert cli("build", "--site", site.root, "--drafts", "--future").code == 0
    assert sorted(p.name for p in (site.out / "posts").iterdir()) == [
        "a-draft", "from-the-future", "published"]


def test_date_time_with_offset_and_site_timezone(site: Site, cli: Callable[..., Result]) -> None:
    site.write("reelnotes.toml", 'base_url = "https://e.org/"\ntimezone = "Asia/Shanghai"\n')
    site.post("a", post_text("Zoned", "2013-04-09T21:30:00-05:00"))
    site.post("b", post_text("Day only", "2013-04-09"))
    assert cli("build", "--site", site.root).code == 0
    assert site.html("posts/zoned/index.html").xpath("//article//time/@datetime") == [
        "2013-04-09T21:30:00-05:00"]
    assert site.html("posts/day-only/index.html").xpath("//article//time/@datetime") == [
        "2013-04-09T00:00:00+08:00"]


def test_slugs_transliterate_any_script(site: Site, cli: Callable[..., Result]) -> None:
    site.post("a", post_text("归途列车", "2013-01-01"))
    site.post("b", post_text("東京物語", "2013-01-02"))
    site.post("c", post_text("🎬🎬", "2013-01-03"))
    assert cli("build", "--site", site.root).code == 0
    slugs = sorted(p.name for p in (site.out / "posts").iterdir())
    assert "gui-tu-lie-che" in slugs
    assert len(slugs) == 3 and all(slugs)


def test_markdown_features(site: Site, cli: Callable[..., Result]) -> None:
    body = ('## A "quoted" heading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~ -- and --- '
            'dashes[^n]\n\n[^n]: A note.\n')
    site.post("md", post_text("Markdown", body=body))
    assert cli("build", "--site", site.root).code == 0
    doc = site.html("posts/markdown/index.html")
    body_el = doc.xpath("//div[@class='post-body']")[0]
    assert body_el.xpath(".//h2/@id") == ["a-quoted-heading"]
    assert body_el.xpath(".//h2")[0].text_content() == "A “quoted” heading"
    assert body_el.xpath(".//table//td/text()") == ["1", "2"]
    assert body_el.xpath(".//s/text()") == ["gone"]
    assert "—" in body_el.text_content() and "–" in body_el.text_content()
    assert body_el.xpath(".//section[@class='footnotes']//li/@id") == ["fn1"]


def test_comments_are_untrusted(site: Site, cli: Callable[..., Result]) -> None:
    site.post("p", post_text("Post"))
    site.write("content/comments/post.yml", """\
- author: "<b>Mallory</b>"
  date: 2013-04-10
  url: https://mallory.example/
  body: "<script>alert(1)</script> see [site](https://x.example/) and [bad](javascript:alert(1))"
""")
    assert cli("build", "--site", site.root).code == 0
    doc = site.html("posts/post/index.html")
    comment = doc.xpath("//li[@class='comment']")[0]
    assert comment.xpath(".//script") == [] and comment.xpath(".//b") == []
    assert "<script>alert(1)</script>" in comment.text_content()
    assert "<b>Mallory</b>" in comment.text_content()
    hrefs = comment.xpath(".//div[@class='comment-body']//a")
    assert [(a.get("href"), a.get("rel")) for a in hrefs] == [
        ("https://x.example/", "nofollow ugc")]
    assert comment.xpath(".//p[@class='comment-author']/a/@rel") == ["nofollow ugc"]
    assert doc.xpath("//section[@id='post-comments']/h2")[0].text_content().startswith(
        "1 thought on")


def test_unchanged_files_keep_their_mtime(built_site: Site, cli: Callable[..., Result]) -> None:
    page = built_site.out / "posts/first-review/index.html"
    before = page.stat()
    built_site.post("two", post_text("Second review", "2014-05-01", tags="[drama]",
                                     body="Edited."))
    result = cli("build", "--site", built_site.root)
    assert result.code == 0
    after = page.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert "Edited." in (built_site.out / "posts/second-review/index.html").read_text()
    assert "unchanged" in result.out


def test_deleted_post_disappears(built_site: Site, cli: Callable[..., Result]) -> None:
    (built_site.root / "content/posts/three.md").unlink()
    assert cli("build", "--site", built_site.root).code == 0
    assert not (built_site.out / "posts/third-review").exists()


def test_site_templates_override_theme(site: Site, cli: Callable[..., Result]) -> None:
    site.post("p", post_text("Post"))
    site.write("templates/404.html",
               '{% extends "base.html" %}{% block main %}<h1>Lost reel</h1>{% endblock %}')
    assert cli("build", "--site", site.root).code == 0
    assert site.html("404.html").xpath("//h1/text()") == ["Lost reel"]
    assert site.html("index.html").xpath("//main") != []


def test_no_config_uses_defaults_with_a_notice(tmp_path: Path,
                                                cli: Callable[..., Result]) -> None:
    site = Site(tmp_path / "bare")
    site.post("p", post_text("Post"))
    result = cli("build", "--site", site.root)
    assert result.code == 0
    assert "no reelnotes.toml" in result.err
    assert (site.out / "posts/post/index.html").is_file()


def test_version_and_help(cli: Callable[..., Result]) -> None:
    result = cli("--version")
    assert result.code == 0 and result.out.startswith("reelnotes ")
    assert f"(Markdown: {markdown.ENGINE})" in result.out  # is the fast extra in use?
    assert cli("build", "--help").code == 0
    assert cli("frobnicate").code == 2
    assert cli("build", "--nope").code == 2


@pytest.mark.parametrize("posts", [0, 1])
def test_empty_or_tiny_site_builds(site: Site, cli: Callable[..., Result], posts: int) -> None:
    for i in range(posts):
        site.post(f"p{i}", post_text(f"Post {i}"))
    assert cli("build", "--site", site.root).code == 0
    feed = feedparser.parse((site.out / "feed.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == posts


def test_aliases_become_redirects(site: Site, cli: Callable[..., Result]) -> None:
    site.write("reelnotes.toml", 'base_url = "https://example.org/blog/"\n')
    site.post("p", post_text("Moved", aliases="[/2013/04/09/moved/, /old/feed.php]"))
    assert cli("build", "--site", site.root).code == 0
    page = site.html("2013/04/09/moved/index.html")
    refresh = page.xpath("//meta[@http-equiv='refresh']/@content")[0]
    assert refresh == "0; url=/blog/posts/moved/"
    assert page.xpath("//link[@rel='canonical']/@href") == [
        "https://example.org/blog/posts/moved/"]
    assert (site.out / "old/feed.php").is_file()
    assert (site.out / "_redirects").read_text().splitlines() == [
        "/blog/2013/04/09/moved/ /blog/posts/moved/ 301",
        "/blog/old/feed.php /blog/posts/moved/ 301",
    ]
    locs = (site.out / "sitemap.xml").read_text()
    assert "2013/04/09" not in locs


def test_static_copies_the_authors_files_only(site: Site, cli: Callable[..., Result],
                                              tmp_path: Path) -> None:
    site.post("p", post_text("Post"))
    site.write("static/images/still.png", b"\x89PNG fake")
    site.write("static/css/.style.css.swp", "vim scratch")
    site.write("static/notes.txt~", "backup")
    site.write("static/.hidden/secret.txt", "hidden")
    outside = tmp_path / "outside.txt"
    outside.write_text("not part of the site")
    (site.root / "static/leak.txt").symlink_to(outside)
    assert cli("build", "--site", site.root).code == 0
    assert (site.out / "images/still.png").read_bytes() == b"\x89PNG fake"
    assert (site.out / "css/style.css").is_file()
    for rel in ["css/.style.css.swp", "notes.txt~", ".hidden/secret.txt", "leak.txt"]:
        assert not (site.out / rel).exists(), rel


def test_redirects_file_percent_encodes_old_addresses(site: Site,
                                                      cli: Callable[..., Result]) -> None:
    site.post("p", post_text("Home", aliases="[/2014/05/01/归途/]"))
    assert cli("build", "--site", site.root).code == 0
    assert (site.out / "_redirects").read_text().splitlines() == [
        "/2014/05/01/%E5%BD%92%E9%80%94/ /posts/home/ 301"]
    assert (site.out / "2014/05/01/归途/index.html").is_file()
