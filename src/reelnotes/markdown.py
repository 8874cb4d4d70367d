"""The configured markdown-it instances: one for the author's posts, one for readers' comments."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

MORE_MARKER = "<!--more-->"


def _post_parser() -> MarkdownIt:
    """CommonMark plus tables, strikethrough, footnotes, smart punctuation and heading ids."""
    md = MarkdownIt("commonmark", {"html": True, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6)
    md.core.ruler.push("reelnotes_spoilers", _spoilers)  # after the footnotes' tail
    return md


SPOILERS_MARKER = "<!--spoilers-->"
SPOILERS_OPEN = ('<details class="spoilers">\n<summary>Spoilers: the rest of this review '
                 "reveals the plot</summary>\n")


def _html_block(content: str) -> Token:
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


def _comment_parser() -> MarkdownIt:
    """Markdown for other people's text: no raw HTML, bare URLs linked, links marked ugc."""
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


POSTS = _post_parser()
COMMENTS = _comment_parser()


@dataclass(frozen=True, slots=True)
class RenderedBody:
    """A post body rendered for the page and for the feed."""

    html: str
    """HTML for the post page (links as written)."""
    feed_html: str
    """The same HTML with every link and image made absolute, for feeds."""
    summary_html: str
    """The text before <!--more-->, else the first paragraph."""
    spoilers_line: int | None = None
    """The 0-based line of the <!--spoilers--> marker that put the rest in a <details>."""


def render_post(text: str, page_url: str) -> RenderedBody:
    """Render a post's Markdown; `page_url` is the post's absolute URL, for the feed copy."""
    env: dict[str, object] = {}
    tokens = POSTS.parse(text, env)
    page_html = POSTS.renderer.render(tokens, POSTS.options, env)
    summary = _summary(text, tokens, env)
    for tok in _walk(tokens):
        for attr in ("href", "src"):
            value = tok.attrGet(attr)
            if isinstance(value, str):
                tok.attrSet(attr, urljoin(page_url, value))
    feed_html = POSTS.renderer.render(tokens, POSTS.options, env)
    line = env.get("spoilers_line")
    return RenderedBody(page_html, feed_html, summary, line if isinstance(line, int) else None)


def _summary(text: str, tokens: list[Token], env: dict[str, object]) -> str:
    if MORE_MARKER in text:
        return str(POSTS.render(text.split(MORE_MARKER, 1)[0])).strip()
    for start, tok in enumerate(tokens):
        if tok.type == "paragraph_open" and tok.level == 0:
            end = next(i for i in range(start, len(tokens)) if tokens[i].type == "paragraph_close")
            return str(POSTS.renderer.render(tokens[start : end + 1], POSTS.options, env)).strip()
    return ""


def render_inline(text: str) -> str:
    """Render one line of the author's Markdown (a summary, an epigraph) without a <p>."""
    return str(POSTS.renderInline(text))


def render_comment(text: str) -> str:
    """Render a reader's comment: raw HTML shown as text, links nofollow ugc."""
    return str(COMMENTS.render(text))


class _TextExtractor(HTMLParser):
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


# Tags and comments of the plain shape markdown-it writes; anything else takes the slow path.
_SIMPLE_MARKUP = re.compile(
    r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:=\"[^\"<>]*\")?)*\s*/?>"
    r"|<!--.*?--\s*>", re.DOTALL)
_SKIPPED = re.compile(r"<(?:script|style|sup)", re.IGNORECASE)


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment, whitespace folded (for descriptions and word counts)."""
    if not _SKIPPED.search(fragment):  # fast path, ~10x quicker; same text as the parser's
        pieces = _SIMPLE_MARKUP.split(fragment)
        if not any("<" in piece or ">" in piece for piece in pieces):
            return " ".join("".join([html.unescape(p) if "&" in p else p for p in pieces]).split())
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    return " ".join("".join(parser.parts).split())


def escape(text: str) -> str:
    """Escape text for HTML."""
    return html.escape(text, quote=True)
