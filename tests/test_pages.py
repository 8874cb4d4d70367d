"""Film-aware pages: the film card, review JSON-LD, head meta, films and diary views, feeds."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import pytest
from conftest import Result, Site
from film_site import XSS, make_film_site

from reelnotes.content import count_words
from reelnotes.images import image_size

REVIEW = "posts/leaving-home-twice/index.html"

# schema.org properties allowed on each type we emit (from the types' pages on schema.org,
# inherited properties included): a misspelt or misplaced property fails here.
CREATIVE_WORK = {"@context", "@type", "@id", "url", "name", "headline", "description", "author",
                 "datePublished", "dateModified", "inLanguage", "commentCount", "comment",
                 "publisher", "keywords", "mainEntityOfPage", "image", "sameAs",
                 "alternateName", "dateCreated"}
SCHEMA = {
    "Review": CREATIVE_WORK | {"itemReviewed", "reviewRating", "reviewBody"},
    "BlogPosting": CREATIVE_WORK | {"wordCount", "articleBody"},
    "Movie": CREATIVE_WORK | {"director", "countryOfOrigin", "duration", "actor"},
    "Person": {"@type", "name", "url", "sameAs"},
    "Organization": {"@type", "name", "url", "logo"},
    "Country": {"@type", "name"},
    "Rating": {"@type", "ratingValue", "bestRating", "worstRating"},
    "Comment": CREATIVE_WORK | {"text"},
}


@pytest.fixture
def film_site(site: Site, cli: Callable[..., Result]) -> Site:
    """The film blog, built."""
    make_film_site(site)
    result = cli("build", "--site", site.root)
    assert result.code == 0, result.err
    return site


def json_ld(doc: lxml.html.HtmlElement) -> dict[str, Any]:
    """The one JSON-LD block of a page, parsed."""
    scripts = doc.xpath("//script[@type='application/ld+json']")
    assert len(scripts) == 1
    data: dict[str, Any] = json.loads(scripts[0].text)
    return data


def check_schema(node: Any) -> None:
    """Every object has a known @type and only that type's schema.org properties."""
    if isinstance(node, list):
        for item in node:
            check_schema(item)
    elif isinstance(node, dict):
        allowed = SCHEMA[node["@type"]]
        assert set(node) <= allowed, (node["@type"], set(node) - allowed)
        for value in node.values():
            check_schema(value)


def meta(doc: lxml.html.HtmlElement, key: str) -> list[str]:
    """The content of <meta property=key> or <meta name=key>."""
    return [str(v) for v in doc.xpath(f"//meta[@property='{key}' or @name='{key}']/@content")]


def test_review_json_ld(film_site: Site) -> None:
    data = json_ld(film_site.html(REVIEW))
    check_schema(data)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Review"
    movie = data["itemReviewed"]
    assert movie["@type"] == "Movie" and movie["name"] == "The Road Home"
    assert movie["director"] == {"@type": "Person", "name": "Zhang Yimou"}
    assert movie["dateCreated"] == "1999" and movie["alternateName"] == "我的父亲母亲"
    assert movie["duration"] == "PT89M"
    assert movie["sameAs"] == ["https://www.imdb.com/title/tt0235060/",
                               "https://www.wikidata.org/wiki/Q1140491"]
    assert movie["image"] == "https://example.org/images/road-home.png"
    assert data["reviewRating"] == {"@type": "Rating", "ratingValue": 4.5, "bestRating": 5,
                                    "worstRating": 0}
    assert data["author"]["@type"] == "Person" and data["author"]["name"] == "Tester"
    assert data["datePublished"] == "2014-03-02T00:00:00+00:00"
    assert data["dateModified"] == "2014-03-05T00:00:00+00:00"
    assert data["inLanguage"] == "en-GB"
    assert data["commentCount"] == 2 and len(data["comment"]) == 2
    assert data["comment"][0]["url"] == "https://example.org/posts/leaving-home-twice/#comment-1"
    assert "SECRET-ENDING" not in json.dumps(data)


def test_essay_and_double_bill_json_ld(film_site: Site) -> None:
    essay = json_ld(film_site.html("posts/on-watching-slowly/index.html"))
    check_schema(essay)
    assert essay["@type"] == "BlogPosting" and "itemReviewed" not in essay
    assert essay["commentCount"] == 0 and "reviewRating" not in essay
    duo = json_ld(film_site.html("posts/two-by-chantal-akerman/index.html"))
    check_schema(duo)
    assert [m["name"] for m in duo["itemReviewed"]] == ["Jeanne Dielman", "News from Home"]
    assert "reviewRating" not in duo
    for page in ["index.html", "films/index.html", "diary/index.html"]:
        assert film_site.html(page).xpath("//script[@type='application/ld+json']") == []


def test_head_of_a_post_and_of_the_index(film_site: Site) -> None:
    doc = film_site.html(REVIEW)
    assert doc.xpath("//title")[0].text == "Leaving home, twice · Test Notes"
    assert meta(doc, "description") == [
        "The village waits for the teacher, and the film waits with it."]
    assert doc.xpath("//link[@rel='canonical']/@href") == [
        "https://example.org/posts/leaving-home-twice/"]
    assert meta(doc, "og:type") == ["article"]
    assert meta(doc, "og:image") == meta(doc, "twitter:image") == [
        "https://example.org/images/road-home.png"]
    assert meta(doc, "twitter:card") == ["summary_large_image"]
    assert meta(doc, "og:title") == ["Leaving home, twice"]
    assert meta(doc, "article:tag") == ["drama", "china"]
    feeds = {(link.get("type"), link.get("href")) for link in doc.xpath("//link[@rel='alternate']")}
    assert feeds == {("application/rss+xml", "/feed.xml"), ("application/feed+json", "/feed.json")}
    index = film_site.html("index.html")
    assert meta(index, "og:type") == ["website"] and meta(index, "og:image") == []
    assert meta(index, "twitter:card") == ["summary"]
    assert meta(index, "description") == ["A test blog."]
    tag = film_site.html("tags/drama/index.html")
    assert "/tags/drama/feed.xml" in tag.xpath("//link[@rel='alternate']/@href")
    for page in sorted(film_site.out.rglob("*.html")):
        doc = lxml.html.fromstring(page.read_bytes())
        if doc.xpath("//meta[@http-equiv='refresh']"):
            continue
        assert meta(doc, "description") and meta(doc, "description")[0].strip(), page
        assert len(doc.xpath("//link[@rel='canonical']")) == 1, page


def test_film_card_rating_and_reading_time(film_site: Site) -> None:
    doc = film_site.html(REVIEW)
    card = doc.xpath("//aside[contains(@class, 'film-card')]")[0]
    img = card.xpath(".//img")[0]
    assert (img.get("src"), img.get("width"), img.get("height"), img.get("loading")) == (
        "/images/road-home.png", "40", "60", "lazy")
    assert img.get("alt") == "Poster of The Road Home"
    terms = [dt.text for dt in card.xpath(".//dt")]
    assert terms == ["Original title", "Director", "Year", "Country", "Runtime", "Rating",
                     "Watched"]
    rating = card.xpath(".//span[@class='rating']")[0]
    assert rating.xpath(".//span[@class='visually-hidden']")[0].text == "Rated 4.5 out of 5"
    assert rating.xpath(".//span[@class='stars']/@aria-hidden") == ["true"]
    assert rating.xpath(".//span[contains(@class, 'star ')]/@class") == [
        "star star-full"] * 4 + ["star star-half"]
    assert "(rewatch)" in card.xpath(".//dd[time]")[0].text_content()
    assert "1 min read" in doc.xpath("//p[@class='post-meta']")[0].text_content()


def test_comments_permalinks_and_reply_by_email(film_site: Site) -> None:
    doc = film_site.html(REVIEW)
    ids = doc.xpath("//li[@class='comment']/@id")
    assert ids == ["comment-1", "comment-2"]
    assert doc.xpath("//a[@class='comment-permalink']/@href") == ["#comment-1", "#comment-2"]
    reply = doc.xpath("//p[@class='reply']/a")[0]
    assert reply.text == "Reply by email"
    assert reply.get("href") == "mailto:notes@example.org?subject=Re%3A%20Leaving%20home%2C%20twice"


def test_no_reply_link_without_comments_email(site: Site, cli: Callable[..., Result]) -> None:
    make_film_site(site)
    site.write("reelnotes.toml", 'base_url = "https://example.org/"\n')
    assert cli("build", "--site", site.root).code == 0
    assert site.html(REVIEW).xpath("//p[@class='reply']") == []


def test_spoilers_stay_behind_details(film_site: Site) -> None:
    doc = film_site.html(REVIEW)
    details = doc.xpath("//div[@class='post-body']/details[@class='spoilers']")[0]
    assert details.xpath("./summary")[0].text.startswith("Spoilers")
    assert "SECRET-ENDING" in details.text_content()
    assert "SECRET-ENDING" not in doc.xpath("//div[@class='post-body']/p")[0].text_content()
    assert doc.xpath("//section[@class='footnotes']/parent::div[@class='post-body']")
    assert "SECRET-ENDING" not in " ".join(meta(doc, "description") + meta(doc, "og:description"))
    index = film_site.html("index.html")
    assert "SECRET-ENDING" not in index.text_content()
    entry = next(e for e in feedparser.parse((film_site.out / "feed.xml").read_bytes()).entries
                 if e.title == "Leaving home, twice")
    assert "SECRET-ENDING" not in entry.summary
    assert "SECRET-ENDING" in entry.content[0].value
    item = next(i for i in json.loads((film_site.out / "feed.json").read_text())["items"]
                if i["title"] == "Leaving home, twice")
    assert "SECRET-ENDING" not in item["summary"]


def test_films_by_year_and_director(film_site: Site) -> None:
    films = film_site.html("films/index.html")
    assert [c.text for c in films.xpath("//ul[@class='film-list']/li/cite")] == [
        "Jeanne Dielman", "News from Home", "The Road Home"]
    nav = films.xpath("//nav[@class='view-nav']//a/@href")
    assert nav == ["/films/", "/films/by-year/", "/films/by-director/"]
    by_year = film_site.html("films/by-year/index.html")
    assert [h.text for h in by_year.xpath("//main//h2")] == ["1999", "1977", "1975"]
    by_director = film_site.html("films/by-director/index.html")
    assert [h.text for h in by_director.xpath("//main//h2")] == ["Chantal Akerman", "Zhang Yimou"]
    akerman = by_director.xpath("//section[h2='Chantal Akerman']//cite/text()")
    assert akerman == ["Jeanne Dielman", "News from Home"]


def test_diary_by_watch_date(film_site: Site) -> None:
    diary = film_site.html("diary/index.html")
    assert diary.xpath("//nav[@class='view-nav']//a/@href") == ["/diary/2013/"]
    year = film_site.html("diary/2013/index.html")
    assert year.xpath("//h1")[0].text == "Films watched in 2013"
    assert year.xpath("//title")[0].text.startswith("Films watched in 2013")
    rows = year.xpath("//table[@class='diary']/tbody/tr")
    assert [r.xpath("./td[1]/time/@datetime")[0] for r in rows] == ["2013-12-30", "2013-05-20"]
    assert [r.xpath("./td[4]/a/@href")[0] for r in rows] == [
        "/posts/leaving-home-twice/", "/posts/two-by-chantal-akerman/"]
    assert "rewatch" in rows[0].xpath("./td[2]")[0].text_content()
    assert not (film_site.out / "diary/2014").exists()


def test_tag_feeds_parse(film_site: Site) -> None:
    feed = feedparser.parse((film_site.out / "tags/drama/feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Test Notes: drama"
    assert [e.title for e in feed.entries] == ["Leaving home, twice", "Two by Chantal Akerman"]
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [
        "https://example.org/tags/drama/feed.xml"]
    essay = feedparser.parse((film_site.out / "tags/essay/feed.xml").read_bytes())
    assert [e.link for e in essay.entries] == ["https://example.org/posts/on-watching-slowly/"]


def test_json_feed_follows_version_1_1(film_site: Site) -> None:
    feed = json.loads((film_site.out / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Test Notes" and feed["home_page_url"] == "https://example.org/"
    assert feed["feed_url"] == "https://example.org/feed.json"
    assert feed["authors"] == [{"name": "Tester", "url": "https://example.org/"}]
    assert feed["language"] == "en-GB"
    items = feed["items"]
    assert [i["id"] for i in items] == [
        "https://example.org/posts/on-watching-slowly/",
        "https://example.org/posts/leaving-home-twice/",
        "https://example.org/posts/two-by-chantal-akerman/"]
    for item in items:
        assert set(item) <= {"id", "url", "external_url", "title", "content_html", "content_text",
                             "summary", "image", "banner_image", "date_published",
                             "date_modified", "authors", "tags", "language", "attachments",
                             "_reelnotes"}
        assert item["url"] == item["id"] and lxml.html.fromstring(item["content_html"]) is not None
    review = items[1]
    assert review["date_published"] == "2014-03-02T00:00:00+00:00"
    assert review["date_modified"] == "2014-03-05T00:00:00+00:00"
    assert review["image"] == "https://example.org/images/road-home.png"
    assert review["tags"] == ["drama", "china"]
    ext = review["_reelnotes"]
    assert (ext["title"], ext["year"], ext["director"]) == ("The Road Home", 1999, "Zhang Yimou")
    assert (ext["rating"], ext["watched"], ext["rewatch"]) == (4.5, "2013-12-30", True)
    assert ext["films"][0]["ids"] == {"imdb": "tt0235060", "wikidata": "Q1140491"}
    assert "_reelnotes" not in items[0]


def test_hostile_text_is_escaped_everywhere(site: Site, cli: Callable[..., Result]) -> None:
    make_film_site(site, xss=True)
    assert cli("build", "--site", site.root).code == 0
    for page in sorted(site.out.rglob("*.html")):
        doc = lxml.html.fromstring(page.read_bytes())
        scripts = doc.xpath("//script")
        assert all(s.get("type") == "application/ld+json" for s in scripts), page
        assert doc.xpath("//img[@onerror] | //*[@onerror]") == [], page
    doc = site.html("posts/xss/index.html")
    assert doc.xpath("//h1")[0].text == XSS
    comment = doc.xpath("//li[@class='comment']")[0]
    assert comment.xpath(".//p[@class='comment-author']")[0].text == "<b>Mallory</b>"
    assert "</script><script>alert(2)</script>" in comment.text_content()
    data = json_ld(doc)
    assert data["headline"] == XSS and data["itemReviewed"]["name"] == XSS
    raw = (site.out / "posts/xss/index.html").read_text(encoding="utf-8")
    assert raw.count("</script>") == 1
    feed = feedparser.parse((site.out / "feed.xml").read_bytes())
    assert not feed.bozo and feed.entries[0].title == XSS
    tag_feeds = list(site.out.glob("tags/*script*/feed.xml"))
    assert len(tag_feeds) == 1 and not feedparser.parse(tag_feeds[0].read_bytes()).bozo
    items = json.loads((site.out / "feed.json").read_text(encoding="utf-8"))["items"]
    assert items[0]["title"] == XSS and items[0]["_reelnotes"]["director"] == XSS
    body = lxml.html.fromstring(items[0]["content_html"])
    assert body.xpath("//script | //img") == []


def test_reading_time_counts_cjk_text() -> None:
    assert count_words("one two three") == 3
    assert count_words("慢慢看电影") == 3
    assert count_words("see 東京物語 twice") == 4


@pytest.mark.parametrize("name, data, size", [
    ("p.gif", b"GIF89a" + struct.pack("<HH", 27, 40) + b"\x00" * 8, (27, 40)),
    ("p.jpg", b"\xff\xd8\xff\xe0\x00\x04\x00\x00\xff\xc0\x00\x11\x08"
     + struct.pack(">HH", 300, 200) + b"\x00" * 20, (200, 300)),
    ("p.webp", b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\x00" * 8
     + (499).to_bytes(3, "little") + (749).to_bytes(3, "little"), (500, 750)),
    ("p.svg", b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 30"></svg>', (20, 30)),
    ("p.txt", b"not an image", None),
])
def test_poster_sizes_come_from_the_file(tmp_path: Path, name: str, data: bytes,
                                         size: tuple[int, int] | None) -> None:
    (tmp_path / name).write_bytes(data)
    assert image_size(tmp_path / name) == size


def test_two_directors(site: Site, cli: Callable[..., Result]) -> None:
    site.post("r", "---\ntitle: Rosetta\ndate: 2013-01-01\nfilm:\n  title: Rosetta\n  year: 1999\n"
              "  director: Jean-Pierre Dardenne, Luc Dardenne\n---\nText.\n")
    assert cli("build", "--site", site.root).code == 0
    by_director = site.html("films/by-director/index.html")
    assert [h.text for h in by_director.xpath("//main//h2")] == [
        "Jean-Pierre Dardenne", "Luc Dardenne"]
    data = json_ld(site.html("posts/rosetta/index.html"))
    check_schema(data)
    assert [p["name"] for p in data["itemReviewed"]["director"]] == [
        "Jean-Pierre Dardenne", "Luc Dardenne"]


def test_missing_poster_file_is_a_warning_with_its_line(site: Site,
                                                         cli: Callable[..., Result]) -> None:
    site.post("p", "---\ntitle: Heat\ndate: 2013-01-01\nfilm:\n  title: Heat\n"
                   "  poster: images/heat.jpg\n---\nText.\n")
    result = cli("build", "--site", site.root)
    assert result.code == 0
    assert result.err.splitlines() == [
        "content/posts/p.md:4: warning: film: poster: expected a file under static/, found no "
        "static/images/heat.jpg (the page links it anyway; add the file or fix the path)"]
    site.write("static/images/heat.jpg", b"\xff\xd8\xff")
    assert cli("build", "--site", site.root).err == ""


def test_spoiler_marker_shown_in_code_is_not_the_marker(site: Site,
                                                        cli: Callable[..., Result]) -> None:
    body = ("Put this line where the plot starts:\n\n    <!--spoilers-->\n\nSafe words.\n\n"
            "<!--spoilers-->\n\nThe ENDING.\n")
    site.post("p", "---\ntitle: How to hide an ending\ndate: 2013-01-01\n---\n" + body)
    assert cli("build", "--site", site.root).code == 0
    doc = site.html("posts/how-to-hide-an-ending/index.html")
    details = doc.xpath("//div[@class='post-body']/details[@class='spoilers']")
    assert len(details) == 1 and "The ENDING." in details[0].text_content()
    assert "Safe words." not in details[0].text_content()
    shown = doc.xpath("//div[@class='post-body']/pre/code/text()")
    assert shown == ["<!--spoilers-->\n"]
    ld = doc.xpath("//script[@type='application/ld+json']/text()")[0]
    assert "ENDING" not in ld and "ENDING" not in site.html("index.html").text_content()
