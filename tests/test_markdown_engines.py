"""markdown-it-pyrs (the `fast` extra) must render every post exactly as markdown-it-py does.

The whole suite runs with REELNOTES_MARKDOWN=compare (conftest.py), so every post any test
builds is rendered by both engines and a difference fails that test. Here hypothesis writes
documents from the constructs where the engines could part: heading ids, footnotes, code
spans, raw HTML, the spoilers and more markers, typography.
"""

from __future__ import annotations

import os
import subprocess
import sys
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mdit_py_plugins.anchors.index import slugify as anchors_slugify

from reelnotes import markdown
from reelnotes.markdown import absolute_links

pytestmark = pytest.mark.skipif(markdown._RS is None, reason="markdown-it-pyrs not installed")

WORDS = st.sampled_from([
    "film", "Ozu", "l'été", "naïve", "東京物語", "a", "the end", "it's", "don't", "(c)", "(tm)",
    "+-", "...", "?....", "!!!!", ",,", "--", "---", "&amp;", "&copy;", "&#35;", "\\*", "\\#",
    "\\`", "1.", "*", "_", "~~", "[", "]", "(", ")", "!", "#", "|", ":", "https://example.org",
    "www.example.org", "&", "\"", "'", "<", ">", "±", "©", "€", "😊", "\\1"])
INLINE = st.one_of(
    WORDS,
    WORDS.map(lambda w: f"*{w}*"), WORDS.map(lambda w: f"**{w}**"), WORDS.map(lambda w: f"~~{w}~~"),
    WORDS.map(lambda w: f"`{w}`"), WORDS.map(lambda w: f"`` {w} ``"),
    WORDS.map(lambda w: f"[{w}](/films/{len(w)}/ \"{w}\")"), WORDS.map(lambda w: f"![{w}](p.jpg)"),
    WORDS.map(lambda w: f"[{w}][ref]"), WORDS.map(lambda w: f"^[{w}]"),
    st.sampled_from(["[^1]", "[^2]", "[^note]", "<b>bold</b>", "<em>x</em>", "<p>", "</h2>",
                     "<https://example.org/a>", "<!--spoilers-->", "<!--more-->", "  \n",
                     "\\\n", "<span class=\"footnote\">x</span>"]),
)
LINE = st.lists(INLINE, min_size=1, max_size=6).map(" ".join)
BLOCK = st.one_of(
    LINE,
    st.tuples(st.integers(1, 6), LINE).map(lambda t: "#" * t[0] + " " + t[1]),
    LINE.map(lambda t: f"{t}\n===="), LINE.map(lambda t: f"{t}\nmore\n----"),
    st.lists(LINE, min_size=1, max_size=3).map(lambda xs: "\n".join(f"- {x}" for x in xs)),
    st.lists(LINE, min_size=1, max_size=3).map(lambda xs: "\n\n".join(f"1. {x}" for x in xs)),
    LINE.map(lambda t: f"> {t}\n> # {t}"), LINE.map(lambda t: f"```\n{t}\n```"),
    LINE.map(lambda t: f"    {t}"), LINE.map(lambda t: f"| a | b |\n|---|---|\n| {t} | x |"),
    st.sampled_from(["<!--spoilers-->", "  <!--spoilers-->  ", "<!--more-->", "***",
                     "<div>\n<p>raw</p>\n</div>", "<details><summary>s</summary>", "[ref]: /r"]),
    LINE.map(lambda t: f"[^1]: {t}"), LINE.map(lambda t: f"[^note]: {t}\n\n    {t}"),
)
DOCUMENT = st.lists(BLOCK, min_size=1, max_size=8).flatmap(
    lambda blocks: st.sampled_from(["\n\n", "\n"]).map(lambda sep: sep.join(blocks) + "\n"))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT, st.booleans())
def test_the_rust_engine_renders_as_markdown_it_py_or_steps_aside(text: str,
                                                                   summary: bool) -> None:
    fast = markdown._render_rs(text, summary)
    if fast is not None:
        assert fast == markdown._render_py(text, summary)


@settings(max_examples=200, deadline=None)
@given(DOCUMENT)
def test_whole_bodies_agree(text: str) -> None:
    """Summaries included (they render text before a marker again)."""
    markdown.render_post(text)  # REELNOTES_MARKDOWN=compare: raises on any difference


@settings(max_examples=600, deadline=None)
@given(st.one_of(LINE, BLOCK, st.tuples(st.sampled_from(["", " ", "  "]), LINE).map("".join)))
def test_a_summary_line_renders_as_markdown_it_py_or_steps_aside(text: str) -> None:
    fast = markdown._inline_rs(text)
    if fast is not None:
        assert fast == markdown._inline_py(text)


@pytest.mark.parametrize("text", ['\\1""', "±'a", '😊"a"', "€'s", '*"*±', '""(c)', "+-'1",
                                  "'’\n\na'", '""+--"', "[±](c)'a", "'a’\n\na'", "a\n<!a",
                                  "\xa0", "> \xa0q\xa0", "# h\xa0 #", "[a](\u3000)", "1<!a",
                                  "a\n:-", "|a\n--", ">a\n-", "[ ~]:\\", "` a\"`-`*`` ~*",
                                  "_a*\u2009b*_", "<#<!-->-"])
def test_where_the_engines_are_known_to_part_the_rust_engine_steps_aside(text: str) -> None:
    # found by fuzzing: markdown-it-py follows CommonMark 0.31 (Unicode symbols are
    # punctuation for emphasis and smart quotes; <! and any letter opens raw HTML),
    # markdown-it-pyrs 0.4 does not; and pyrs pairs a straight quote with a curly one
    fast, line = markdown._render_rs(text + "\n", True), markdown._inline_rs(text)
    assert fast is None or fast == markdown._render_py(text + "\n", True)
    assert line is None or line == markdown._inline_py(text)


def test_the_rust_engine_renders_plain_summaries() -> None:
    line = "It’s a film about coming back -- and the [river](/films/river/) \"moves\" on."
    assert markdown._inline_rs(line) == markdown._inline_py(line) == (
        "It’s a film about coming back – and the <a href=\"/films/river/\">river</a> "
        "“moves” on.")
    for aside in ("# A heading", "- a list", "> a quote", "[ref]: /a/definition", " padded",
                  "two\nlines", "1986. A year"):
        assert markdown._inline_rs(aside) is None, aside


REVIEW = """A quiet film about a family.

## What happens

Tomi and Shūkichi visit their children in *Tokyo*; nobody has time for them. "They're busy,"
says Noriko -- and she means it.

> We should have been kinder.

1. The train
2. The harbour

![The harbour at Onomichi](harbour.jpg)

<!--spoilers-->

The end comes [quietly](https://example.org/notes/1 "Notes").
"""


def test_the_fast_path_takes_ordinary_reviews() -> None:
    """A review with headings, a quotation, a list, an image and the spoilers marker is
    rendered by the Rust engine, not handed back: the speed is real."""
    for text in (REVIEW, REVIEW.replace("<!--spoilers-->", ""),
                 (Path(__file__).parent.parent / "content/posts").glob("*.md").__next__()
                 .read_text(encoding="utf-8").split("---\n", 2)[2]):
        for summary in (True, False):
            fast = markdown._render_rs(text, summary)
            assert fast is not None
            assert fast == markdown._render_py(text, summary)


def test_known_differences_are_handed_to_markdown_it_py() -> None:
    """Where markdown-it-pyrs 0.4 parts from markdown-it-py, it steps aside."""
    assert markdown._render_rs("Run `\"quoted\" -- here`.\n", True) is None  # typography in code
    assert markdown._render_rs("x[^1] y[^1]\n\n[^1]: n\n", True) is None  # a note cited twice
    assert markdown._render_rs("para\n[^1]: interrupts\n", True) is None  # a definition
    assert markdown._render_rs("<h2>raw</h2>\n\n# md\n", True) is None  # raw heading HTML


def test_the_engine_is_rust_when_installed_unless_told(tmp_path: Path) -> None:
    def engine(**env: str) -> str:
        environ = {k: v for k, v in os.environ.items() if k != "REELNOTES_MARKDOWN"} | env
        return subprocess.run([sys.executable, "-c", "import reelnotes.markdown as m; "
                               "print(m.ENGINE)"], capture_output=True, text=True, check=True,
                              env=environ).stdout.strip()
    assert engine() == "markdown-it-pyrs"
    assert engine(REELNOTES_MARKDOWN="python") == "markdown-it-py"
    assert engine(REELNOTES_MARKDOWN="compare") == "compare"


def test_absolute_links_for_feeds() -> None:
    html = ('<p><a href="../other/">a</a> <img src="p.jpg" alt="x"> <a href="#fn1">1</a> '
            '<a href="https://else.org/x?a=1&amp;b=2">b</a> <code>href="kept"</code> '
            '<a title="t" href="/x/">c</a></p>')
    page = "https://example.org/blog/posts/this/"
    assert absolute_links(html, page) == (
        '<p><a href="https://example.org/blog/posts/other/">a</a> '
        '<img src="https://example.org/blog/posts/this/p.jpg" alt="x"> '
        '<a href="https://example.org/blog/posts/this/#fn1">1</a> '
        '<a href="https://else.org/x?a=1&amp;b=2">b</a> <code>href="kept"</code> '
        '<a title="t" href="https://example.org/x/">c</a></p>')


@given(title=st.text() | st.text(st.sampled_from(list("Aa1_- .!東京\u9fff\u4e00\u3000é"))))
def test_heading_ids_are_the_anchors_plugins(title: str) -> None:
    """heading_slug keeps what mdit-py-plugins' anchors slugify keeps, with a cheaper class."""
    assert markdown.heading_slug(title) == anchors_slugify(title)


def test_the_wide_spaces_are_every_unicode_space_past_ascii() -> None:
    spaces = "".join(c for c in map(chr, range(0x80, sys.maxunicode + 1)) if c.isspace())
    assert markdown._WIDE_SPACES == spaces


URL_PIECES = st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", "//", "/", "a", "B",
                              "0", ".", "..", "-", ":", "80", "@", "%2F", "%", "?", "#", ";",
                              "&", "&amp;", "'", "(", "~", "[", "]", " ", "\t", "é", "x.org",
                              "/../", "=", "+"])


@settings(max_examples=1000)
@given(st.lists(URL_PIECES, max_size=8).map("".join),
       st.sampled_from(["https://example.org/posts/x/", "http://example.org/", "https://h/a/b"]))
def test_feed_links_are_left_as_they_are_only_where_urljoin_would_leave_them(
        href: str, base: str) -> None:
    link = f'<a href="{href}">x</a>'
    try:
        expected = f'<a href="{markdown._escape_attr(urljoin(base, unescape(href)))}">x</a>'
    except ValueError:  # (https://[ and the like: left as written)
        expected = link
    assert absolute_links(link, base) == expected
