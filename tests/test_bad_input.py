"""The catalogue of bad input: each case fails with exit 1, one `file:line: expected ...` line
per problem, no traceback, and the previous build/ left byte for byte as it was.

tests/README.md lists every case with what it gets; keep the two in step.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
from conftest import Result, Site, post_text

POST = "content/posts/bad.md"
OK_POST = post_text("Fine")


def front(*lines: str, body: str = "Some text.") -> str:
    """A post whose front matter is exactly `lines`."""
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def good(*lines: str) -> str:
    """A post with a valid title and date (lines 2 and 3) followed by `lines`."""
    return front("title: A post", "date: 2013-01-01", *lines)


MB = 1024 * 1024
TPL = "templates/tags.html"

# id -> (files to write into the built site, regex for the first line of stderr)
CATALOGUE: dict[str, tuple[dict[str, str | bytes], str]] = {
    # -- front matter framing and YAML ---------------------------------------------------------
    "no front matter": ({POST: "Just some text.\n"},
                        r"bad\.md:1: expected front matter: the file must start with a line '---'"),
    "front matter not closed": ({POST: "---\ntitle: x\ndate: 2013-01-01\nbody\n"},
                                r"bad\.md:1: front matter is not closed: expected a line '---'"),
    "bad YAML (unclosed quote)": ({POST: front("title: 'x", "date: 2013-01-01")},
                                  r"bad\.md:\d+: invalid YAML: "),
    "tabs in YAML": ({POST: good("film:", "\ttitle: Heat")},
                     r"bad\.md:5: invalid YAML: .* \(YAML does not allow tabs"),
    "YAML is a list": ({POST: front("- title", "- date")},
                       r"bad\.md:2: front matter: expected key: value pairs, got a list$"),
    "YAML is a scalar": ({POST: front("just some words")},
                         r"bad\.md:2: front matter: expected key: value pairs, got a single value"),
    "duplicate keys": ({POST: good("title: Again")},
                       r"bad\.md:4: title: expected once, found a duplicate key"),
    "key not text": ({POST: good("1: one")},
                     r"bad\.md:2: front matter: expected text keys, got 1$"),
    "YAML alias cycle": ({POST: good("tags: &a [*a]")},
                         r"bad\.md:4: expected plain values: YAML aliases \(\*name\)"),
    "YAML python tag": ({POST: good("summary: !!python/object:os.system x")},
                        r"bad\.md:4: invalid YAML: could not determine a constructor for the tag"),
    # -- title, date ---------------------------------------------------------------------------
    "title missing": ({POST: front("date: 2013-01-01")},
                      r'bad\.md:1: title: required, expected text \(add "title: \.\.\."\)$'),
    "title empty": ({POST: front("title: ''", "date: 2013-01-01")},
                    r"bad\.md:2: title: expected text, got nothing$"),
    "title a number": ({POST: front("title: 42", "date: 2013-01-01")},
                       r"bad\.md:2: title: expected text, got a number \(42\)"),
    "title yes/no": ({POST: front("title: yes", "date: 2013-01-01")},
                     r"bad\.md:2: title: expected text, got true \(a yes/no value\)"),
    "date missing": ({POST: front("title: x")},
                     r'bad\.md:1: date: required, expected YYYY-MM-DD \(add "date: YYYY-MM-DD"\)$'),
    "date April 9": ({POST: front("title: x", "date: April 9")},
                     r'bad\.md:3: date: expected YYYY-MM-DD or an ISO 8601 date-time, '
                     r'got "April 9"$'),
    "date 2013-02-30": ({POST: front("title: x", "date: 2013-02-30")},
                        r'bad\.md:3: date: expected a real date, got "2013-02-30"'),
    "date a number": ({POST: front("title: x", "date: 2013")},
                      r"bad\.md:3: date: expected YYYY-MM-DD, got a number \(2013\)$"),
    "date-time hour 25": ({POST: front("title: x", "date: 2013-01-01T25:00")},
                          r'bad\.md:3: date: expected a real date-time, got "2013-01-01T25:00"'),
    "date year 1": ({POST: front("title: x", "date: 0001-01-01")},
                    r'bad\.md:3: date: expected a year from 1000 to 9000, got "0001-01-01"$'),
    "updated not a date": ({POST: good("updated: soon")},
                           r'bad\.md:4: updated: expected YYYY-MM-DD or an ISO 8601 date-time'),
    "watched not a date": ({POST: good("watched: yesterday")},
                           r'bad\.md:4: watched: expected YYYY-MM-DD or an ISO 8601 date-time'),
    # -- tags, film, rating, flags -------------------------------------------------------------
    "tags nested": ({POST: good("tags:", "  - ok", "  - [nested]")},
                    r"bad\.md:6: tags: expected each tag to be text, got a list$"),
    "tags a mapping": ({POST: good("tags: {a: b}")},
                       r'bad\.md:4: tags: expected a list or "a, b, c", got a mapping$'),
    "film.year not a number": ({POST: good("film:", "  title: Heat", "  year: nineteen")},
                               r"bad\.md:6: film\.year: expected a whole number from 1870 to "
                               r"2100, got 'nineteen'$"),
    "film.year out of range": ({POST: good("film:", "  title: Heat", "  year: 1850")},
                               r"bad\.md:6: film\.year: expected a whole number from 1870 to "
                               r"2100, got 1850$"),
    "film.runtime negative": ({POST: good("film:", "  title: Heat", "  runtime: -3")},
                              r"bad\.md:6: film\.runtime: expected a whole number from 1 to 6000"),
    "film without title": ({POST: good("film:", "  year: 1995")},
                           r'bad\.md:4: film\.title: required, expected text'),
    "film.ids not a mapping": ({POST: good("film:", "  title: Heat", "  ids: tt0113277")},
                               r"bad\.md:6: film\.ids: expected a mapping such as"),
    "film and films": ({POST: good("film: Heat", "films: [Heat]")},
                       r"bad\.md:5: films: expected either film or films, got both$"),
    "films not a list": ({POST: good("films: Heat")},
                         r"bad\.md:4: films: expected a list of films, got 'Heat'$"),
    "rating out of range": ({POST: good("rating: 7")},
                            r"bad\.md:4: rating: expected 0 to 5 in steps of 0\.5, got 7$"),
    "rating not a half step": ({POST: good("rating: 3.3")},
                               r"bad\.md:4: rating: expected 0 to 5 in steps of 0\.5, got 3\.3$"),
    "rating text": ({POST: good("rating: five")},
                    r"bad\.md:4: rating: expected 0 to 5 in steps of 0\.5, got 'five'$"),
    "draft not yes/no": ({POST: good("draft: maybe")},
                         r"bad\.md:4: draft: expected true or false, got 'maybe'$"),
    "epigraph a list": ({POST: good("epigraph: [a, b]")},
                        r"bad\.md:4: epigraph: expected text or \{text, source\}, got a list$"),
    # -- where things go -----------------------------------------------------------------------
    "slug with /": ({POST: good("slug: a/b")},
                    r"bad\.md:4: slug: expected letters, digits and dashes \(no '/' or '\.\.'\)"),
    "slug ..": ({POST: good("slug: ..")},
                r"bad\.md:4: slug: expected letters, digits and dashes \(no '/' or '\.\.'\), "
                r"got '\.\.'$"),
    "same slug twice": ({POST: good("slug: same"), "content/posts/bad2.md": good("slug: same")},
                        r'bad2\.md:4: slug: expected a slug of its own, but "same" is also used by '
                        r'content/posts/bad\.md'),
    "alias relative": ({POST: good("aliases: [../x]")},
                       r'bad\.md:4: aliases: expected a path such as "/2013/04/09/slug/"'),
    "alias claims feed.xml": ({POST: good("aliases: [/feed.xml]")},
                              r"bad\.md:4: aliases: expected an old address, got '/feed\.xml'"),
    # -- the file itself -----------------------------------------------------------------------
    "Latin-1 file": ({POST: front("title: caf\xe9", "date: 2013-01-01").encode("latin-1")},
                     r"bad\.md:2: expected UTF-8 text, found byte 0xe9"),
    "empty file": ({POST: b""},
                   r"bad\.md:1: empty file: expected front matter between '---' lines$"),
    "20 MB post": ({POST: good().encode() + b"word " * (4 * MB)},
                   r"bad\.md:1: file is 20 MB: expected at most 10 MB$"),
    "binary with .md": ({POST: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"},
                        r"bad\.md:3: expected a text file, found binary data \(a NUL byte\)$"),
    # -- comments ------------------------------------------------------------------------------
    "comments not a list": ({"content/comments/fine.yml": "author: x\nbody: y\n"},
                            r"fine\.yml:1: expected a list of comments \(- author: \.\.\.\), "
                            r"got a mapping$"),
    "comment not a mapping": ({"content/comments/fine.yml": "- just text\n"},
                              r"fine\.yml:1: comment 1: expected author, date and body, got"),
    "comment without date": ({"content/comments/fine.yml": "- author: a\n  body: b\n"},
                             r"fine\.yml:1: date: required, expected YYYY-MM-DD"),
    "comment javascript: url": ({"content/comments/fine.yml":
                                 "- author: a\n  date: 2013-01-02\n  url: javascript:alert(1)\n"
                                 "  body: hi\n"},
                                r"fine\.yml:3: url: expected an http\(s\) address, "
                                r"got 'javascript:alert\(1\)'$"),
    "comments file of 11 MB": ({"content/comments/fine.yml": b"# " + b"x" * (11 * MB)},
                               r"fine\.yml:1: file is 11 MB: expected at most 10 MB$"),
    "comments in Latin-1": ({"content/comments/fine.yml": "- author: Jos\xe9\n".encode("latin-1")},
                            r"fine\.yml:1: expected UTF-8 text, found byte 0xe9"),
    # -- reelnotes.toml ------------------------------------------------------------------------
    "config not TOML": ({"reelnotes.toml": 'title = "T"\nbase_url = \n'},
                        r"^reelnotes\.toml:2: invalid TOML: "),
    "base_url with a space": ({"reelnotes.toml": 'base_url = "https://x.org/my blog/"\n'},
                              r"^reelnotes\.toml:1: base_url: expected no spaces, quotes or "
                              r"brackets"),
    "base_url with a query": ({"reelnotes.toml": 'base_url = "https://x.org/?p=1"\n'},
                              r"^reelnotes\.toml:1: base_url: expected no query or fragment"),
    "base_url with a broken host": ({"reelnotes.toml": 'base_url = "http://[::1/"\n'},
                                    r"^reelnotes\.toml:1: base_url: expected an absolute http"),
    "unknown timezone": ({"reelnotes.toml": 'timezone = "Mars/Base"\n'},
                         r'^reelnotes\.toml:1: timezone: expected an IANA time zone'),
    "posts_per_page 0": ({"reelnotes.toml": "posts_per_page = 0\n"},
                         r"^reelnotes\.toml:1: posts_per_page: expected a whole number of 1"),
    # -- templates -----------------------------------------------------------------------------
    "template block not closed": ({TPL: "a\nb\n{% for t in tags %}\nc\n"},
                                  r"^templates/tags\.html:4: template syntax error: Unexpected end "
                                  r"of template"),
    "template comment not closed": ({TPL: "<p>\n{# note {{ x }}\n"},
                                    r"^templates/tags\.html:2: template syntax error: Missing end "
                                    r"of comment tag"),
    "template unknown attribute": ({"templates/post.html": "<p>\n{{ post.no_such }}\n"},
                                   r"^templates/post\.html:2: undefined variable: .* has no "
                                   r"attribute 'no_such'"),
    "template unknown filter": ({TPL: "\n{{ tags | shout }}\n"},
                                r"^templates/tags\.html:2: template syntax error: No filter named"),
    "template divides by zero": ({TPL: "\n\n{{ 1 / 0 }}\n"},
                                 r"^templates/tags\.html:3: template error: ZeroDivisionError"),
    "template not UTF-8": ({TPL: "<p>\n<p>caf\xe9\n".encode("latin-1")},
                           r"^templates/tags\.html:2: template syntax error: expected UTF-8 text, "
                           r"found byte 0xe9"),
    "template includes itself": ({TPL: '{% include "tags.html" %}\n'},
                                 r"^templates/tags\.html:1: template error: RecursionError"),
    "template extends a missing one": ({TPL: '{% extends "nope.html" %}\n'},
                                       r"^templates/tags\.html:1: template not found: nope\.html"),
}

WHERE = re.compile(r"^[\w./-]+:\d+: ")
# Problems a parser (YAML, TOML, Jinja) describes in its own words, after our prefix.
PARSER = re.compile(r":\d+: (invalid YAML|invalid TOML|template (syntax )?error|"
                    r"undefined variable|template not found): ")


@pytest.fixture(scope="module")
def prebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One site with comments, built once; each case works on a copy of it."""
    from reelnotes.cli import main

    root = tmp_path_factory.mktemp("prebuilt") / "site"
    site = Site(root)
    site.write("reelnotes.toml", 'title = "T"\nbase_url = "https://example.org/"\n')
    site.post("fine", OK_POST)
    site.post("other", post_text("Other", "2014-02-02", tags="[drama]"))
    site.write("content/comments/fine.yml",
               "- author: Reader\n  date: 2013-05-01\n  body: Nice.\n")
    assert main(["build", "--site", str(root), "--quiet"]) == 0
    return root


@pytest.fixture
def victim(prebuilt: Path, tmp_path: Path) -> Site:
    """A fresh copy of the prebuilt site and its build/."""
    root = tmp_path / "site"
    shutil.copytree(prebuilt, root, symlinks=True)
    return Site(root)


@pytest.mark.parametrize("case", list(CATALOGUE))
def test_bad_input_fails_cleanly(victim: Site, cli: Callable[..., Result], case: str) -> None:
    files, first = CATALOGUE[case]
    before = victim.snapshot()
    for rel, data in files.items():
        victim.write(rel, data)
    result = cli("build", "--site", victim.root)
    assert result.code == 1, result.err
    lines = result.err.splitlines()
    assert re.search(first, lines[0]), lines[0]
    problems = [line for line in lines[:-1] if ": warning: " not in line]
    assert all(WHERE.match(line) for line in problems), problems
    assert "expected" in lines[0] or PARSER.search(lines[0])
    assert "Traceback" not in result.err
    assert lines[-1] == f"reelnotes: build failed: {len(problems)} problem" + \
        ("s" if len(problems) != 1 else "")
    assert victim.snapshot() == before


# -- input that must work ------------------------------------------------------------------------

def _title_and_time(site: Site, slug: str) -> tuple[str, str]:
    doc = site.html(f"posts/{slug}/index.html")
    return doc.xpath("//h1")[0].text_content(), doc.xpath("//header//time/@datetime")[0]


@pytest.mark.parametrize("name, raw", [
    ("CRLF", b"---\r\ntitle: Line ends\r\ndate: 2013-04-09\r\n---\r\nOne.\r\n\r\nTwo.\r\n"),
    ("BOM", b"\xef\xbb\xbf---\ntitle: Line ends\ndate: 2013-04-09\n---\nOne.\n\nTwo.\n"),
    ("CR only", b"---\rtitle: Line ends\rdate: 2013-04-09\r---\rOne.\r\rTwo.\r"),
    ("BOM and CRLF", b"\xef\xbb\xbf---\r\ntitle: Line ends\r\ndate: 2013-04-09\r\n---\r\n"
                     b"One.\r\n\r\nTwo.\r\n"),
])
def test_line_ends_and_bom_work(site: Site, cli: Callable[..., Result], name: str,
                                raw: bytes) -> None:
    site.post("p", raw)
    result = cli("build", "--site", site.root)
    assert result.code == 0, result.err
    assert _title_and_time(site, "line-ends") == ("Line ends", "2013-04-09T00:00:00+00:00")
    body = site.html("posts/line-ends/index.html").xpath("//div[@class='post-body']/p")
    assert [p.text for p in body] == ["One.", "Two."]


def test_timezone_less_date_times_are_in_the_site_zone(site: Site,
                                                      cli: Callable[..., Result]) -> None:
    """A date-time without an offset means the site's time zone; mixing with zoned ones works."""
    site.write("reelnotes.toml", 'base_url = "https://example.org/"\ntimezone = "Asia/Shanghai"\n')
    site.post("naive", post_text("Naive", "2013-04-09 20:00"))
    site.post("zoned", post_text("Zoned", "2013-04-09T13:00:00+00:00"))
    site.post("day", post_text("Day", "2013-04-09"))
    result = cli("build", "--site", site.root)
    assert result.code == 0, result.err
    assert _title_and_time(site, "naive")[1] == "2013-04-09T20:00:00+08:00"
    assert _title_and_time(site, "zoned")[1] == "2013-04-09T13:00:00+00:00"
    assert _title_and_time(site, "day")[1] == "2013-04-09T00:00:00+08:00"
    titles = [a.text for a in site.html("index.html").xpath("//h2[@class='entry-title']/a")]
    assert titles == ["Zoned", "Naive", "Day"]  # 21:00, 20:00, 00:00 in Shanghai


def test_missing_static_and_empty_comments_work(site: Site, cli: Callable[..., Result]) -> None:
    site.post("p", post_text("Post"))
    site.write("content/comments/post.yml", "")
    assert not (site.root / "static").exists()
    result = cli("build", "--site", site.root)
    assert result.code == 0, result.err
    assert (site.out / "css/style.css").is_file()  # the theme's own stylesheet
    assert site.html("posts/post/index.html").xpath("//li[@class='comment']") == []


def test_control_characters_are_dropped(site: Site, cli: Callable[..., Result]) -> None:
    site.post("p", front('title: "Ti\\0t\\x1ble\\x7f"', "date: 2013-01-01",
                         body="Bo\x0bdy\x1b text."))
    result = cli("build", "--site", site.root)
    assert result.code == 0, result.err
    doc = site.html("posts/title/index.html")
    assert doc.xpath("//h1")[0].text_content() == "Title"
    assert doc.xpath("//div[@class='post-body']/p")[0].text == "Body text."


def test_a_link_no_url_parser_can_read_is_kept_as_written(site: Site,
                                                        cli: Callable[..., Result]) -> None:
    # (urllib raises on https://[: the feed would have ended in a traceback, and so would check)
    site.post("one", post_text("One", body='See <a href="https://[">this</a> and '
                                           '[that](/posts/one/).'))
    assert cli("build", "--site", site.root).code == 0
    assert cli("check", "--site", site.root).code == 0
    assert feedparser.parse((site.out / "feed.xml").read_bytes()).bozo == 0
    encoded = lxml.etree.parse(site.out / "feed.xml").findtext(
        "channel/item/{http://purl.org/rss/1.0/modules/content/}encoded")
    content = lxml.html.fragment_fromstring(encoded, create_parent="div")
    assert [a.get("href") for a in content.iter("a")] == [
        "https://[", "https://example.org/posts/one/"]
