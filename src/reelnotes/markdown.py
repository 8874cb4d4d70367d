"""Markdown to HTML: the author's posts, and readers' comments.

Posts render through markdown-it-py, or, when it is installed (the `fast` extra), through
markdown-it-pyrs, its Rust port, about ten times quicker. The two give the same HTML: the
Rust engine renders the same CommonMark and plugins, reelnotes adds heading ids and the
spoilers <details> to its output from its syntax tree, and any document where that could be
ambiguous is rendered by markdown-it-py instead. REELNOTES_MARKDOWN=python uses
markdown-it-py alone; REELNOTES_MARKDOWN=compare renders every post with both and fails on any
difference (the test suite runs so).
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache, partial
from html import escape as html_escape
from html import unescape as html_unescape
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from urllib.parse import urljoin

if TYPE_CHECKING:  # markdown-it-py is imported when first used: the Rust engine may do all
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore
    from markdown_it.token import Token

MORE_MARKER = "<!--more-->"
T = TypeVar("T")


@cache
def _post_parser() -> MarkdownIt:
    """CommonMark plus tables, strikethrough, footnotes, smart punctuation and heading ids."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.anchors import anchors_plugin
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("commonmark", {"html": True, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=heading_slug)
    md.core.ruler.push("reelnotes_spoilers", _spoilers)  # after the footnotes' tail
    return md


SPOILERS_MARKER = "<!--spoilers-->"
SPOILERS_OPEN = ('<details class="spoilers">\n<summary>Spoilers: the rest of this review '
                 "reveals the plot</summary>\n")


def _html_block(content: str) -> Token:
    from markdown_it.token import Token

    token = Token("html_block", "", 0)
    token.content = content
    return token


def _spoilers(state: StateCore) -> None:
    """Put what follows a <!--spoilers--> line in a <details>, the footnotes left outside."""
    tokens = state.tokens
    at = next((i for i, tok in enumerate(tokens) if tok.type == "html_block"
               and tok.level == 0 and tok.content.strip() == SPOILERS_MARKER), None)
    if at is None:
        return
    end = next((i for i, tok in enumerate(tokens) if tok.type == "footnote_block_open"),
               len(tokens))
    where = tokens[at].map
    line = where[0] if where else 0
    tokens.insert(max(end, at + 1), _html_block("</details>\n"))
    tokens[at] = _html_block(SPOILERS_OPEN)
    state.env["spoilers_line"] = line


@cache
def _comment_parser() -> MarkdownIt:
    """Markdown for other people's text: no raw HTML, bare URLs linked, links marked ugc."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "linkify": True})
    md.enable(["strikethrough", "replacements", "smartquotes", "linkify"])
    md.core.ruler.push("reelnotes_ugc", _mark_links_ugc)
    return md


def _walk(tokens: Sequence[Token]) -> list[Token]:
    """Every token, children included, in document order."""
    out: list[Token] = []
    for tok in tokens:
        out.append(tok)
        if tok.children:
            out.extend(_walk(tok.children))
    return out


def _mark_links_ugc(state: StateCore) -> None:
    for tok in _walk(state.tokens):
        if tok.type == "link_open":
            tok.attrSet("rel", "nofollow ugc")


def _rust_parser() -> Any:
    """markdown-it-pyrs set up as _post_parser() is, less heading ids and spoilers; None if
    absent."""
    try:
        import markdown_it_pyrs
    except ImportError:  # the optional `fast` extra is not installed
        return None
    return markdown_it_pyrs.MarkdownIt("commonmark").enable_many(
        ["table", "strikethrough", "replacements", "smartquotes", "footnote"])


def _engine() -> str:
    """Which engine renders posts: markdown-it-pyrs if installed, unless told otherwise."""
    wanted = os.environ.get("REELNOTES_MARKDOWN", "")
    if _RS is None or wanted == "python":
        return "markdown-it-py"
    return "compare" if wanted == "compare" else "markdown-it-pyrs"


_RS = _rust_parser()
ENGINE = _engine()


class RenderedBody(NamedTuple):
    """A post body rendered to HTML."""

    html: str
    """HTML for the post page (links as written; feeds make them absolute, absolute_links)."""
    summary_html: str
    """The text before <!--more-->, else the first paragraph; never anything after a
    <!--spoilers--> line."""
    spoilers_line: int | None = None
    """The 0-based line of the <!--spoilers--> marker that put the rest in a <details>."""


class _Rendered(NamedTuple):
    """One engine's rendering of a document."""

    html: str
    """The whole body, heading ids and the spoilers <details> in place."""
    first_paragraph: str | None
    """The first top-level paragraph's HTML, when asked for."""
    spoilers_line: int | None = None
    """The 0-based line of the <!--spoilers--> marker, if one took effect."""
    first_before_spoilers: bool = False
    """True if the first paragraph ends above the <!--spoilers--> marker."""


def render_post(text: str, summary: bool = True) -> RenderedBody:
    """Render a post's Markdown; with `summary` False (the front matter has one), the
    summary is left empty."""
    text = _normalize(text)
    doc = _render(text, summary)
    return RenderedBody(doc.html, _summary(text, doc) if summary else "", doc.spoilers_line)


def _summary(text: str, doc: _Rendered) -> str:
    """The text before <!--more-->, else the first paragraph, taken only from what comes before
    a <!--spoilers--> line: a summary shows up in the index, the feeds and the structured data,
    none of which may give the plot away."""
    if doc.spoilers_line is None:
        cut, lines = len(text), []
    else:
        lines = text.split("\n")
        cut = len("\n".join(lines[:doc.spoilers_line]))
    more = text.find(MORE_MARKER)
    if 0 <= more < cut:
        return _render(text[:more], summary=False).html.strip()
    if doc.first_paragraph is not None and (doc.spoilers_line is None
                                            or doc.first_before_spoilers):
        return doc.first_paragraph
    if doc.spoilers_line is None:
        return ""
    # The first paragraph is past the marker: summarise the text before it alone, with the
    # footnote definitions from after it (a note referenced before may be defined after).
    after = "\n".join(lines[doc.spoilers_line + 1:])
    notes = "\n".join(m.group(0) for m in _FOOTNOTE_DEF.finditer(after))
    before = "\n".join(lines[:doc.spoilers_line]) + "\n\n" + notes
    return _summary(before, _render(before, summary=True))


_FOOTNOTE_DEF = re.compile(r"^\[\^[^\]\n]+\]:.*(?:\n(?:[ \t]+\S.*|[ \t]*$))*", re.MULTILINE)
_NEWLINES = re.compile(r"\r\n?")


def _normalize(text: str) -> str:
    """Line ends and NULs as markdown-it normalises them, so both engines count the same lines."""
    return _NEWLINES.sub("\n", text).replace("\0", "\ufffd")


def _render(text: str, summary: bool) -> _Rendered:
    """Render a document (see _by_engine)."""
    if not text.endswith("\n"):
        text += "\n"  # the engines end a code block left open at the very end differently
    return _by_engine(text, partial(_render_py, text, summary),
                      partial(_render_rs, text, summary))


def _by_engine(text: str, py: Callable[[], T], rs: Callable[[], T | None]) -> T:
    """`rs()` when the Rust engine is in use and can render `text` exactly, else `py()`;
    with REELNOTES_MARKDOWN=compare (as the test suite runs) both, which must agree."""
    if ENGINE == "markdown-it-py":
        return py()
    fast = rs()
    if ENGINE == "compare":
        reference = py()
        if fast is not None and fast != reference:
            raise EngineMismatch(f"markdown engines disagree on {text!r}:\n"
                                 f"  markdown-it-py:   {reference!r}\n"
                                 f"  markdown-it-pyrs: {fast!r}")
        return reference
    return fast if fast is not None else py()


def _rust(call: Callable[[], T]) -> T | None:
    """`call()` into the Rust engine; None if it panics (pyo3's PanicException)."""
    try:
        return call()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: B036 - a panic is a BaseException
        return None


class EngineMismatch(AssertionError):
    """markdown-it-pyrs rendered a document differently from markdown-it-py."""


def _render_py(text: str, summary: bool) -> _Rendered:
    env: dict[str, object] = {}
    posts = _post_parser()
    tokens = posts.parse(text, env)
    html = posts.renderer.render(tokens, posts.options, env)
    first, last_line = None, 0
    if summary:
        for start, tok in enumerate(tokens):
            if tok.type == "paragraph_open" and tok.level == 0:
                end = next(i for i in range(start, len(tokens))
                           if tokens[i].type == "paragraph_close")
                part = posts.renderer.render(tokens[start : end + 1], posts.options, env)
                first = str(part).strip()
                last_line = tok.map[1] - 1 if tok.map else 0
                break
    line = env.get("spoilers_line")
    if not isinstance(line, int):
        return _Rendered(str(html), first)
    return _Rendered(str(html), first, line, first is not None and last_line < line)


def _render_rs(text: str, summary: bool) -> _Rendered | None:
    """markdown-it-pyrs renders CommonMark, tables, strikethrough, footnotes and typography
    as markdown-it-py does; heading ids, the spoilers <details> and the first paragraph are
    placed here, from its syntax tree. None when raw HTML could be mistaken for any of them."""
    assert _RS is not None
    if "^[" in text:
        return None  # inline notes: the engines read brackets inside them differently
    if "<!" in text and _LOWER_DECLARATION.search(text):
        return None  # <!a, <!--> are raw HTML to markdown-it-py (CommonMark 0.31), not pyrs
    if "]:" in text and _DEFINITION.search(text):
        return None  # link definitions: the engines read odd labels and targets otherwise
    if _wide_space_at_an_edge(text):
        return None
    html: str | None = _rust(lambda: _RS.render(text))
    if html is None or not _typography_agrees(text, html) or _blocks_may_differ(text, html):
        return None
    html = html.replace(_EMPTY_QUOTATION, "<blockquote></blockquote>")
    if "<" not in text and "`" not in text and "[^" not in text:  # (not a regex: ~20x faster)
        plain = _plain_rs(html, summary)
        if plain is not None:
            return plain
    root = _rust(lambda: _RS.tree(text))
    if root is None:
        return None
    top = root.children
    marker = next((n for n in top if n.name == "html_block"
                   and n.meta["content"].strip() == SPOILERS_MARKER), None)
    headings = []
    cited: set[int] = set()
    defined: set[int] = set()
    source = text.encode("utf-8", "surrogatepass")
    for node in root.walk():
        if node.name in ("heading", "lheading"):
            headings.append(node)
        elif node.name == "code_inline" and not _code_as_written(node, source):
            return None
        elif node.name == "footnote_def":
            defined.add(_line_at(source, (node.srcmap or (0, 0))[0]))
        elif node.name == "footnote_ref":
            if node.meta["def_id"] in cited:
                return None  # a note cited twice: the engines number the second citation apart
            cited.add(node.meta["def_id"])
        elif (node.name in ("html_block", "html_inline") and _AMBIGUOUS_HTML.search(
                node.meta["content"]) and (marker is None or node.srcmap != marker.srcmap)):
            return None
    if any(text.count("\n", 0, m.start()) not in defined for m in _NOTE_DEF_LINE.finditer(text)):
        return None  # markdown-it-py lets a note's definition interrupt a paragraph
    if cited:  # markdown-it-py opens a note's first block on the <li>'s line
        html = html.replace(_NOTE_ITEM + "\n", _NOTE_ITEM)
    if headings:
        placed = _place_heading_ids(html, headings)
        if placed is None:
            return None
        html = placed
    spoilers_line = None
    if marker is not None:
        content = marker.meta["content"]
        start = html.find(SPOILERS_MARKER) - content.find(SPOILERS_MARKER)
        if html.count(SPOILERS_MARKER) != 1 or not html.startswith(content, start):
            return None
        close = (html.rfind(_FOOTNOTES_OPEN) if any(n.name == "footnote_container" for n in top)
                 else len(html))
        html = (html[:start] + SPOILERS_OPEN + html[start + len(content):close]
                + "</details>\n" + html[close:])
        spoilers_line = _line_at(source, (marker.srcmap or (0, 0))[0])
    first, last_line = None, 0
    if summary:
        paragraph = next((i for i, n in enumerate(top) if n.name == "paragraph"), None)
        if paragraph is None and cited:
            return None  # markdown-it-py may take an inline note's paragraph for the first
        if paragraph is not None:
            skip = _paragraphs_in(top[:paragraph])
            if skip is None:
                return None
            start = html.find("<p>")
            for _ in range(skip):
                start = html.find("<p>", start + 1)
            first = html[start:html.find("</p>\n", start) + len("</p>")]
            last_line = _line_at(source, (top[paragraph].srcmap or (0, 1))[1] - 1)
    if spoilers_line is None:
        return _Rendered(html, first)
    return _Rendered(html, first, spoilers_line, first is not None and last_line < spoilers_line)


_LOWER_DECLARATION = re.compile(r"<!(?:[a-z]|-->|--->)")
_DEFINITION = re.compile(r"^[ \t>]*\[[^\n]*\]:", re.MULTILINE)
_AMBIGUOUS_HTML = re.compile(r"</?[hHpP]|<!--spoilers|footnote|blockquote")
"""Raw HTML that could be taken for a heading, a paragraph, the marker or the footnotes."""
_FOOTNOTES_OPEN = '<hr class="footnotes-sep" />'
_NOTE_ITEM = 'class="footnote-item">'
_NOTE_DEF_LINE = re.compile(r"^ {0,3}\[\^[^\]\n]+\]:", re.MULTILINE)
_HEADING_TAG = re.compile(r"<h([1-6])>")
_WITHOUT_PARAGRAPHS = frozenset({"heading", "lheading", "hr", "html_block", "code_block", "fence",
                                 "table", "definition"})
"""Top-level blocks whose HTML holds no <p>: the first <p> is then the first paragraph's."""


def _paragraphs_in(blocks: list[Any]) -> int | None:
    """How many <p> the HTML of these blocks holds: a paragraph in a quotation has one; None
    if unknown (a list may hide its paragraphs' <p>, raw HTML may hold some)."""
    count = 0
    for block in blocks:
        if block.name in _WITHOUT_PARAGRAPHS:
            continue
        if block.name != "blockquote":
            return None
        inside = [node.name for node in block.walk()]
        if any(name not in _IN_QUOTATIONS for name in inside):
            return None
        count += inside.count("paragraph")
    return count


_IN_QUOTATIONS = frozenset({"blockquote", "paragraph", "heading", "lheading", "hr", "code_block",
                            "fence", "text", "text_special", "em", "strong", "strikethrough",
                            "link", "image", "softbreak", "hardbreak", "code_inline",
                            "autolink"})
"""Nodes whose <p> count is their paragraphs' (html is excluded: it may hold a <p>)."""


def _typography_agrees(text: str, html: str) -> bool:
    """False where markdown-it-pyrs 0.4 may have set quotes and dashes otherwise than
    markdown-it-py: in image descriptions (it also keeps entities there), at the edges of table
    cells, across blocks, beside a backslash (`\\1""`), with a like quote typed curly (`'a’`), on
    an apostrophe that ends a block (it leaves that straight); and quotes or emphasis in text
    with a symbol (`*"*±`, `[±](c)'a`: markdown-it-py counts Unicode symbols as punctuation,
    as CommonMark 0.31 does)."""
    if "<img" in html and (_ALT_UNSAFE.search(text) or any(
            _TYPOGRAPHY.search(html_unescape(alt)) for alt in _ALT.findall(html))):
        return False
    if "<table>" in html and _TYPOGRAPHY.search(text):
        return False
    quotes = "'" in text or '"' in text
    if quotes and ("\\" in text or ("'" in text and ("‘" in text or "’" in text))
                   or ('"' in text and ("“" in text or "”" in text))):
        return False  # beside a backslash pyrs 0.4 reads a quote's neighbour otherwise, and
        # it pairs a quote typed straight with one of its kind typed curly
    if (quotes or "*" in text or "_" in text or "~" in text) and _has_symbol(text):
        return False  # markdown-it-py counts Unicode symbols (±, ©, €, an emoji) as
        # punctuation beside quotes and emphasis, looking past markup; pyrs 0.4 does not
    if quotes and not _quotes_pair_within_blocks(html):
        return False
    return not ("'" in text and "'" in _CODE_OR_TAG.sub("", html))


def _quotes_pair_within_blocks(html: str) -> bool:
    """False if a smart quote opens in one block and is closed in another, or never: pyrs 0.4
    carries unmatched quotes over to the next paragraph, where markdown-it-py leaves them
    straight. (A quotation spanning paragraphs typed with curly quotes also says False: it
    is then rendered by markdown-it-py, to the same effect.)"""
    for block in _BLOCK_TAGS.split(html):
        if "“" in block or "”" in block:  # balanced, never closed before opened
            doubles = "".join(_DOUBLE.findall(block))
            while "“”" in doubles:
                doubles = doubles.replace("“”", "")
            if doubles:
                return False
        if "‘" in block:  # (without one, a ’ is an apostrophe or closes nothing)
            single = 0
            for quote in _SINGLE.finditer(block):
                if quote.group(0) == "‘":
                    single += 1
                elif single and not block[quote.end():quote.end() + 1].isalpha():
                    single -= 1  # a closing quote; one before a letter is an apostrophe (it’s)
            if single:
                return False
    return True


_DOUBLE = re.compile("[“”]")
_SINGLE = re.compile("[‘’]")


_WIDE_SPACES = ("\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                "\u200a\u2028\u2029\u202f\u205f\u3000")
"""The Unicode spaces past ASCII (no-break space, em space, ideographic space...): what
str.isspace says of them, written out (finding them took 2 ms of every start)."""


@functools.cache
def _wide_edge() -> re.Pattern[str]:
    return re.compile(f"(?:^|[ \t>])[{_WIDE_SPACES}]|[{_WIDE_SPACES}][ \t#]*$", re.MULTILINE)


def _wide_space_at_an_edge(text: str) -> bool:
    """True if a Unicode space past ASCII may begin or end the text of a paragraph, a heading,
    a list item or a quotation (after its ">"): markdown-it-py strips it there (as Python's
    str.strip does), markdown-it-pyrs 0.4 keeps it; or any one in a text with a link, whose
    target they trim otherwise, or with emphasis, which such a space flanks for one of them
    only. (One between words, as French puts before a colon, is the same to both.)"""
    if text.isascii():
        return False
    others = _past_ascii(text)
    if not any(c in others for c in _WIDE_SPACES):
        return False
    return ("](" in text or "*" in text or "_" in text  # (a link's target; emphasis)
            or _wide_edge().search(text) is not None)


@functools.cache
def _one_column_rule() -> re.Pattern[str]:
    return re.compile(r"\n[ \t>]*\|?[ \t]*:?-+:?[ \t]*\|?[ \t]*(?=\n)")


@functools.cache
def _lone_marker() -> re.Pattern[str]:
    return re.compile(r"\n[ \t>]*(?:[-*+]|[0-9]{1,9}[.)])[ \t]*(?=\n)")


def _blocks_may_differ(text: str, html: str) -> bool:
    """True where markdown-it-pyrs 0.4 may build other blocks than markdown-it-py (found by
    fuzzing): a one-column table (`a` over `:-`, a paragraph to markdown-it-py; `|a` over
    `--`, a heading to markdown-it-pyrs), and, in a text with a quotation, a line that is a
    list marker alone or a tab (an empty list item after a quotation's lazy line, tabs after
    nested markers); and a backtick left as text, of a run the engines pair otherwise into
    code spans. (Line patterns search the text between newlines: a pattern that starts with
    a newline is found ten times faster than one at ^ in MULTILINE mode.)"""
    lines = f"\n{text}\n"
    if ("<table>" in html or "|" in text) and _one_column_rule().search(lines):
        return True
    if "`" in html and "`" in _CODE_OR_TAG.sub("", html):
        return True
    return ">" in text and ("\t" in text or _lone_marker().search(lines) is not None)


@functools.lru_cache(maxsize=1)  # two checks of one post ask in turn
def _past_ascii(text: str) -> str:
    """The characters of `text` past ASCII, alone (a few, in most posts: curly quotes, dashes),
    found faster than by any scan of the text for them."""
    return text.encode("utf-8", "surrogatepass").translate(None, ASCII_BYTES).decode(
        "utf-8", "surrogatepass")  # (deleting ASCII bytes leaves whole UTF-8 sequences)


def _has_symbol(text: str) -> bool:
    """True if `text` holds a non-ASCII Unicode symbol (category S), or writes one that the
    replacements make (©, ®, ™, §, ±); cheap, as it runs for every post."""
    others = _past_ascii(text)
    if any(unicodedata.category(c)[0] == "S" for c in set(others)) or "+-" in text:
        return True
    at = text.find("(")
    while at >= 0:  # (not lower-casing the text: ~20x faster)
        if text[at + 1:at + 4].lower().startswith(("c)", "r)", "tm)", "p)")):
            return True
        at = text.find("(", at + 1)
    return False


ASCII_BYTES = bytes(range(128))
"""Every ASCII byte: what `bytes.translate` deletes to leave a text's other characters."""
_CODE_OR_TAG = re.compile(r"<code>.*?</code>|<[^>]*>", re.DOTALL)
_EMPTY_QUOTATION = "<blockquote>\n</blockquote>"
_BLOCK_TAGS = re.compile(r"</?(?:p|h[1-6]|li|t[dh]|blockquote|[uo]l|table|tr|pre|hr|section)\b")


def _plain_rs(html: str, summary: bool) -> _Rendered | None:
    """Heading ids and the first paragraph straight from the HTML, for text without raw
    HTML, code spans or footnotes (most posts): its only <hN> and <p> tags are its headings'
    and paragraphs', and a heading's text is the slugified text. None if the tree is needed."""
    if "<h" in html:
        headings = list(_HEADING.finditer(html))
        if any("\n" in heading.group(2) for heading in headings):
            return None  # a setext heading over two lines: its line break is not text
        html = _with_heading_ids(html, [(heading.start(2) - 1, html_unescape(
            _TAGS.sub("", heading.group(2)))) for heading in headings])
    first = None
    if summary and "<p>" in html:
        if not html.startswith("<p>"):
            return None  # the first paragraph may be inside a list or a quotation
        first = html[:html.find("</p>\n") + len("</p>")]
    return _Rendered(html, first)


_ALT = re.compile(r'\salt="([^"]*)"')
_ALT_UNSAFE = re.compile(r",,|&|\\")
_TYPOGRAPHY = re.compile(r"['\"‘’“”–—…©®™±§]|--|\.\.|\+-|\((?:c|r|tm|p)\)|[?!]{2}|,,",
                         re.IGNORECASE)
"""What markdown-it's smart quotes and replacements change, or have changed."""
_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.DOTALL)
_TAGS = re.compile(r"<[^>]*>")


def _code_as_written(node: Any, source: bytes) -> bool:
    """False if a code span's text is not its source's: markdown-it-pyrs 0.4 applies smart
    quotes and replacements inside code spans, which markdown-it-py rightly does not."""
    start, end = node.srcmap or (0, 0)
    written = source[start:end].decode("utf-8", "surrogatepass")
    fence = len(written) - len(written.lstrip("`"))
    inner = written[fence:len(written) - fence].replace("\n", " ")
    if len(inner) > 1 and inner[0] == inner[-1] == " " and inner.strip(" "):
        inner = inner[1:-1]
    return "".join(child.meta.get("content", "") for child in node.children) == inner


def _place_heading_ids(html: str, headings: list[Any]) -> str | None:
    """Give each <hN> the id of its heading node's text; None if tags and nodes differ."""
    tags = list(_HEADING_TAG.finditer(html))
    if len(tags) != len(headings) or any(
            int(tag.group(1)) != node.meta["level"]
            for tag, node in zip(tags, headings, strict=True)):
        return None
    return _with_heading_ids(html, [(tag.end() - 1, _heading_text(node))
                                    for tag, node in zip(tags, headings, strict=True)])


def _with_heading_ids(html: str, headings: list[tuple[int, str]]) -> str:
    """`html` with an id in each heading's opening tag, given as (offset of its ">", title):
    the id the anchors plugin would give, the title slugified and made unique."""
    slugs: set[str] = set()
    pieces, at = [], 0
    for end, title in headings:
        slug = base = heading_slug(title)
        n = 1
        while slug in slugs:  # as the anchors plugin makes a slug unique
            slug = f"{base}-{n}"
            n += 1
        slugs.add(slug)
        pieces += [html[at:end], f' id="{_escape_attr(slug)}">']
        at = end + 1
    return "".join(pieces) + html[at:]


_NOT_IN_SLUG = re.compile(r"[^\w\- ]")
"""What a heading's id drops. (The anchors plugin's rule also keeps U+4E00 to U+9FFF, every one
a word character since Unicode 14, Python 3.11's; written out, the class takes 2.5 ms to
compile, in every build.)"""


def heading_slug(title: str) -> str:
    """A heading's id: lower case, spaces to hyphens, only word characters, CJK and hyphens
    kept (the anchors plugin's rule; both engines' paths use this function)."""
    return _NOT_IN_SLUG.sub("", title.lower().replace(" ", "-"))


def _escape_attr(text: str) -> str:
    """Escape for a double-quoted attribute, as markdown-it does (&, <, > and ")."""
    return html_escape(text, quote=False).replace('"', "&quot;")


def _heading_text(node: Any) -> str:
    """The text the anchors plugin slugifies: text and code, not image descriptions."""
    parts = []
    for child in node.children:
        if child.name in ("text", "text_special"):
            parts.append(child.meta.get("content", ""))
        elif child.name != "image":
            parts.append(_heading_text(child))
    return "".join(parts)


def _line_at(source: bytes, offset: int) -> int:
    """The 0-based line of a byte offset into the UTF-8 `source` (the Rust engine counts
    bytes)."""
    return source.count(b"\n", 0, max(offset, 0))


def absolute_links(html: str, page_url: str) -> str:
    """`html` with every double-quoted href and src made absolute against `page_url`, for
    feeds, whose readers resolve relative links against nothing useful."""
    def tag(match: re.Match[str]) -> str:
        return _LINK_ATTR.sub(attr, match.group(0))

    def attr(match: re.Match[str]) -> str:
        if _PLAIN_ABSOLUTE.fullmatch(match.group(2)):
            return match.group(0)  # (most links: urljoin would give it back as it is)
        try:
            url = urljoin(page_url, html_unescape(match.group(2)))
        except ValueError:  # an address urllib cannot read (https://[): left as written
            return match.group(0)
        return f'{match.group(1)}"{_escape_attr(url)}"'

    return _LINKING_TAG.sub(tag, html)


_LINKING_TAG = re.compile(r"<[a-zA-Z][a-zA-Z0-9-]*\s[^<>]*?(?:href|src)=[^<>]*>")
_LINK_ATTR = re.compile(r"(\s(?:href|src)=)\"([^\"]*)\"")
_PLAIN_ABSOLUTE = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~!$()*+,=:@%/-]*)?")
"""An http(s) address that urljoin, unescaping and escaping all leave as it is: host and path
only (no query, fragment or parameters, which it may rewrite), of characters none of them
touch."""


def render_inline(text: str) -> str:
    """Render one line of the author's Markdown (a summary) without a <p>."""
    return _by_engine(text, partial(_inline_py, text), partial(_inline_rs, text))


def _inline_py(text: str) -> str:
    return str(_post_parser().renderInline(text))


def _inline_rs(text: str) -> str | None:
    """A line rendered by markdown-it-pyrs as the one paragraph of a document, which is the
    line's inline rendering when nothing in it starts a block (a heading, a list, a quote, a
    code block, a link definition) and it has no space at either end to trim; None otherwise,
    and for code spans, notes, or typography where the Rust engine may differ."""
    assert _RS is not None
    if (not text or text != text.strip() or "\n" in text or "\r" in text
            or "`" in text or "[^" in text or "^[" in text or "<!" in text
            or _wide_space_at_an_edge(text)):
        return None  # (code spans, notes, <!, spaces past ASCII: where the engines part)
    html: str | None = _rust(lambda: _RS.render(text))
    if html is None:
        return None
    inner = html[3:-5]
    if (not html.startswith("<p>") or not html.endswith("</p>\n") or "<p>" in inner
            or "</p>" in inner or not _typography_agrees(text, html)):
        return None
    return inner


def render_comment(text: str) -> str:
    """Render a reader's comment: raw HTML shown as text, links nofollow ugc."""
    return str(_comment_parser().render(text))


def parsed_text(fragment: str) -> str:
    """The text of an HTML fragment by the standard library's HTML parser (text_of's slow
    path, for markup not of the plain shape markdown-it writes), whitespace as it is."""
    from html.parser import HTMLParser  # here: a post of plain markup never needs it

    class TextExtractor(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self._skip = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ("script", "style", "sup"):
                self._skip += 1

        def handle_endtag(self, tag: str) -> None:
            if tag in ("script", "style", "sup") and self._skip:
                self._skip -= 1

        def handle_data(self, data: str) -> None:
            if not self._skip:
                self.parts.append(data)

    parser = TextExtractor()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)


# Tags and comments of the plain shape markdown-it writes; anything else takes the slow path.
_SIMPLE_MARKUP = re.compile(
    r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:=\"[^\"<>]*\")?)*\s*/?>"
    r"|<!--.*?--\s*>", re.DOTALL)
_SKIPPED = re.compile(r"<(?:script|style|sup)", re.IGNORECASE)


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment, whitespace folded (for descriptions)."""
    return " ".join(text_of(fragment).split())


def text_of(fragment: str) -> str:
    """The text of an HTML fragment, whitespace as it is (enough to count words)."""
    if not _SKIPPED.search(fragment):  # fast path, ~10x quicker; same text as the parser's
        text = _SIMPLE_MARKUP.sub("", fragment)
        if "<" not in text and ">" not in text:  # (no piece between the tags holds one)
            if "&" in text:  # unescaped piece by piece: a tag may split what looks like one
                text = "".join([html_unescape(p) if "&" in p else p
                                for p in _SIMPLE_MARKUP.split(fragment)])
            return text
    return parsed_text(fragment)


def escape(text: str) -> str:
    """Escape text for HTML."""
    return html_escape(text, quote=True)
