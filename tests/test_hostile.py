"""Hostile text in comments and front matter comes out escaped or removed everywhere: every HTML
page, the feed, the JSON-LD and the sitemap. Checked by parsing what the build wrote."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import jinja2
import jinja2.runtime
import lxml.etree
import lxml.html
import pytest
from conftest import REPO, Result, Site
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from reelnotes.config import load_config
from reelnotes.render import escape_output, make_environment

BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
SCRIPT = "<script>alert(1)</script>"
TITLE = f"{SCRIPT} ]]> </script><!-- \u202eevil\u2066 & \"quoted\""

POST = f"""\
---
title: {json.dumps(TITLE)}
date: 2013-04-09
summary: "<img src=x onerror=alert(1)> [go](javascript:alert(1)) <javascript:alert(2)> \u202e"
tags: ["<b onmouseover=alert(1)>bold</b>", "]]>", "\u202etag"]
epigraph:
  text: "</p><script>alert(1)</script>"
  source: "<a href='javascript:alert(1)'>src</a>"
film:
  title: "\\"><svg onload=alert(1)>"
  director: "</script><script>alert(1)</script>"
  original_title: "\u2067evil\u2069"
  poster: "javascript:alert(1)"
  ids:
    imdb: "\\"><script>alert(1)</script>"
---
A plain body by the author.
"""

COMMENTS = """\
- author: "<script>alert('author')</script>\u202e"
  date: 2013-04-10
  url: https://reader.example/page
  body: |
    <img src=x onerror=alert(1)> and <a href="javascript:alert(1)">click</a>
    [link](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) </script> ]]>
    <script>alert(1)</script> \u202ereversed\u2066
- author: Second
  date: 2013-04-11
  body: "<style>body{display:none}</style> <iframe src=https://evil.example/></iframe>"
"""

# A JSON-LD block, added through a site template only if the theme has none of its own.
JSON_LD = """\
<script type="application/ld+json">{{ {"@type": "Review", "name": post.title,
  "about": post.film.title, "keywords": post.tags | list,
  "comment": post.comments | map(attribute="author") | list} | json_ld }}</script>
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A site whose post and comments carry every hostile string, built once."""
    from reelnotes.cli import main

    site = Site(tmp_path_factory.mktemp("hostile") / "site")
    site.write("reelnotes.toml", 'title = "T"\nbase_url = "https://example.org/"\n')
    site.post("evil", POST)
    slug = "script-alert-1-script-script-evil-quoted"
    site.write(f"content/comments/{slug}.yml", COMMENTS)
    theme_post = (REPO / "templates/post.html").read_text(encoding="utf-8")
    if not any("ld+json" in t.read_text(encoding="utf-8")
               for t in (REPO / "templates").glob("*.html")):
        site.write("templates/post.html", theme_post.replace(
            "{% block head %}\n", "{% block head %}\n" + JSON_LD, 1))
    assert main(["build", "--site", str(site.root), "--quiet"]) == 0
    assert (site.out / f"posts/{slug}/index.html").is_file()
    return site


def _bad_attributes(doc: lxml.html.HtmlElement) -> list[str]:
    found = []
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"<{el.tag} {name}>")
            if name in ("href", "src", "action", "formaction") and \
                    urlsplit(value.strip()).scheme.lower() not in ("", "http", "https", "mailto"):
                found.append(f"<{el.tag} {name}={value!r}>")
    return found


def test_every_page_is_free_of_script_handlers_and_bidi(hostile: Site) -> None:
    pages = sorted(hostile.out.rglob("*.html"))
    assert len(pages) >= 8
    for page in pages:
        raw = page.read_text(encoding="utf-8")
        assert not BIDI.search(raw), page
        doc = lxml.html.fromstring(raw)
        rel = page.relative_to(hostile.out).as_posix()
        assert _bad_attributes(doc) == [], rel
        for tag in ("script", "iframe", "style", "svg", "b"):
            found = [el for el in doc.iter(tag) if el.get("type") != "application/ld+json"]
            assert found == [], (rel, tag)
        # The only image is the film's poster, its "javascript:" turned into a site path.
        assert [img.get("src") for img in doc.iter("img")] in ([], ["/javascript:alert(1)"]), rel


def test_hostile_text_is_shown_as_text(hostile: Site) -> None:
    doc = hostile.html("posts/script-alert-1-script-script-evil-quoted/index.html")
    shown = BIDI.sub("", TITLE)
    assert doc.xpath("//h1")[0].text_content() == shown
    assert doc.xpath("//meta[@property='og:title']/@content") == [shown]
    assert doc.xpath("//figure[@class='epigraph']//p")[0].text == "</p><script>alert(1)</script>"
    assert [a.text for a in doc.xpath("//a[@rel='tag']")] == [
        "<b onmouseover=alert(1)>bold</b>", "]]>", "tag"]
    summary = hostile.html("index.html").xpath("//div[@class='entry-summary']")[0]
    assert summary.text_content().startswith("<img src=x onerror=alert(1)> [go](javascript:")
    authors = [p.text_content() for p in doc.xpath("//p[@class='comment-author']")]
    assert authors == ["<script>alert('author')</script>", "Second"]
    body = doc.xpath("//div[@class='comment-body']")[0]
    assert "<img src=x onerror=alert(1)>" in body.text_content()
    assert "reversed" in body.text_content()
    assert all(a.get("rel") == "nofollow ugc" for a in body.iter("a"))


def test_json_ld_cannot_break_out(hostile: Site) -> None:
    doc = hostile.html("posts/script-alert-1-script-script-evil-quoted/index.html")
    blocks = doc.xpath("//script[@type='application/ld+json']")
    assert blocks
    for block in blocks:
        text = block.text
        assert "<" not in text and ">" not in text and not BIDI.search(text)
        data = json.loads(text)
        assert data["name"] == BIDI.sub("", TITLE)


def test_feed_is_well_formed_and_escaped(hostile: Site) -> None:
    raw = (hostile.out / "feed.xml").read_bytes()
    assert not BIDI.search(raw.decode("utf-8"))
    lxml.etree.fromstring(raw)  # strict XML: a stray ]]> or </script> would not parse
    feed = feedparser.parse(raw)
    assert not feed.bozo, feed.bozo_exception
    entry = feed.entries[0]
    assert entry.title == BIDI.sub("", TITLE)
    assert [t.term for t in entry.tags] == ["<b onmouseover=alert(1)>bold</b>", "]]>", "tag"]
    summary = lxml.html.fragment_fromstring(
        lxml.etree.fromstring(raw).findtext("channel/item/description"), create_parent="div")
    assert _bad_attributes(summary) == []
    assert list(summary.iter("img")) == [] and list(summary.iter("script")) == []


def test_sitemap_lists_plain_urls(hostile: Site) -> None:
    tree = lxml.etree.fromstring((hostile.out / "sitemap.xml").read_bytes())
    locs = tree.xpath("//s:loc/text()", namespaces={"s": "http://www.sitemaps.org/schemas/sitemap/0.9"})
    assert "https://example.org/posts/script-alert-1-script-script-evil-quoted/" in locs
    for loc in locs:
        assert re.fullmatch(r"https://example\.org/[a-z0-9/._~-]*", loc), loc


def test_comment_with_javascript_url_is_refused(tmp_path: Site, cli: Callable[..., Result]) -> None:
    site = Site(tmp_path / "site")
    site.write("reelnotes.toml", 'base_url = "https://example.org/"\n')
    site.post("p", "---\ntitle: P\ndate: 2013-01-01\n---\nHi.\n")
    site.write("content/comments/p.yml", "- author: a\n  date: 2013-01-02\n"
               "  url: \"https://x.org/\\\" onmouseover=\\\"alert(1)\"\n  body: b\n")
    result = cli("build", "--site", site.root)
    assert result.code == 1
    assert result.err.startswith("content/comments/p.yml:3: url: expected an http(s) address")


def test_json_feed_carries_text_not_markup(hostile: Site) -> None:
    raw = (hostile.out / "feed.json").read_text(encoding="utf-8")
    assert not BIDI.search(raw)
    item = json.loads(raw)["items"][0]
    assert item["title"] == BIDI.sub("", TITLE)
    assert item["tags"] == ["<b onmouseover=alert(1)>bold</b>", "]]>", "tag"]
    # JSON Feed's summary is plain text by definition: the markup stays visible as text.
    assert item["summary"].startswith("<img src=x onerror=alert(1)> [go](javascript:")
    fragment = lxml.html.fragment_fromstring(item["content_html"], create_parent="div")
    assert _bad_attributes(fragment) == []
    assert [el.tag for el in fragment.iter("img", "script", "svg")] == []


class _Html:
    """An object that renders itself as HTML, as Markup does."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __html__(self) -> str:
        return self.text


@given(st.one_of(st.text(), st.integers(), st.floats(), st.none(), st.booleans(),
                 st.text().map(Markup), st.text().map(_Html)))
def test_printed_values_are_escaped_as_markupsafe_escapes_them(value: object) -> None:
    # (templates print through escape_output, which skips making a Markup of each value)
    assert escape_output(value) == str(escape(value))


def test_templates_print_through_escape_output(tmp_path: Path) -> None:
    config, _ = load_config(tmp_path)
    env = make_environment(config)
    page = env.from_string("{{ a }}|{{ b }}|{{ c }}")
    assert page.root_render_func.__globals__["escape"] is escape_output
    assert page.render(a="<i>'&\"", b=Markup("<i>"), c=3) == "&lt;i&gt;&#39;&amp;&#34;|<i>|3"
    template = env.get_template("post.html")
    assert template.root_render_func.__globals__["escape"] is escape_output


class _Shout:
    """A callable object whose __call__ asks for the context."""

    @jinja2.pass_context
    def __call__(self, context: jinja2.runtime.Context, text: str) -> str:
        return f"{text.upper()} for {context['who']}"


def _stop() -> str:
    raise StopIteration


CALLS = (
    "{% macro box(x, caller=None) %}[{{ x }}{{ caller() if caller }}]{% endmacro -%}\n"
    '{{ plain(1, b=2) }} {{ ctx() }} {{ env_() }} {{ eval_() }} {{ shout("hi") }}\n'
    '{{ box("m") }} {% call box("c") %}inner{% endcall %} '
    '{{ "a-b".split("-") }} {{ stop() is undefined }}!\n'
    '{% for x in [1] %}{% set who = "loop" %}'
    '{{ ctx() }} {{ shout("in") }} {{ plain(1, b=1) }} {{ box("l") }}{% endfor %}\n\n'
    '{% block main %}{% set who = "block" %}{{ ctx() }} {{ plain(2, b=2) }}{% endblock %}')


def test_template_calls_behave_as_with_jinjas_own_context(tmp_path: Path) -> None:
    # (templates call through a context that skips Jinja's checks for plain callables)
    config, _ = load_config(tmp_path)
    ours = make_environment(config)
    theirs = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                                trim_blocks=True, lstrip_blocks=True)
    helpers = dict(
        plain=lambda a, b: a + b, stop=_stop, shout=_Shout(),
        ctx=jinja2.pass_context(lambda c: c["who"]),
        env_=jinja2.pass_environment(lambda e: e.autoescape),
        eval_=jinja2.pass_eval_context(lambda e: e.autoescape))
    rendered = [env.from_string(CALLS).render(who="page", **helpers) for env in (ours, theirs)]
    assert rendered[0] == rendered[1]
    assert rendered[0].splitlines() == [
        "3 page True True HI for page", "[m] [cinner] [&#39;a&#39;, &#39;b&#39;] True!",
        "loop IN for loop 2 [l]", "block 4"]
    assert ours.context_class is not theirs.context_class
