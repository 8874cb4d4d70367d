"""WordPress post HTML to Markdown: auto-paragraphs, shortcodes, footnotes, images."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag
from markdownify import MarkdownConverter

from .wpautop import shortcode_unautop, wpautop

MORE = "<!--more-->"
_MORE_MARK = "ReelnotesMoreMarker7f3a"
_NOTE_MARK = "ReelnotesNoteMarker7f3a"
_MORE_RE = re.compile(r"<!--more(?:\s[^>]*)?-->")
_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:[^>]*-->")
_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg|bmp|tiff?)(?:[?#].*)?$", re.IGNORECASE)

# Names WordPress and WordPress.com register; any other [name ...] counts as a shortcode only
# when it carries attributes, closes itself, or has a closing [/name] tag.
KNOWN_SHORTCODES = frozenset({
    "audio", "video", "playlist", "gallery", "embed", "wp_caption", "caption", "youtube",
    "vimeo", "soundcloud", "spotify", "tweet", "twitter", "instagram", "googlemaps", "gist",
    "code", "sourcecode", "archives", "contact-form", "contact-field", "polldaddy", "slideshow",
})
_SHORTCODE_OPEN = re.compile(r"\[(\[?)([A-Za-z][\w-]*)((?:\s[^\[\]]*?)?)(/?)\](\]?)")
_CAPTION = re.compile(r"\[(caption|wp_caption)((?:\s[^\]]*)?)\](.*?)\[/\1\]",
                      re.DOTALL)
_ATTR = re.compile(r"([\w-]+)\s*=\s*\"([^\"]*)\"|([\w-]+)\s*=\s*'([^']*)'"
                   r"|([\w-]+)\s*=\s*([^\s'\"]+)")
_IMG_THEN_TEXT = re.compile(r"((?:<a [^>]+>\s*)?<img [^>]+>(?:\s*</a>)?)(.*)",
                            re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Converted:
    """A post or comment body converted to Markdown, and what the user should look at."""

    markdown: str
    """The Markdown text."""
    images: tuple[str, ...] = ()
    """Absolute addresses of the images it shows or links to, in order of appearance."""
    shortcodes: tuple[str, ...] = ()
    """Names of the shortcodes left in the text, in order of appearance."""


def shortcode_attrs(text: str) -> dict[str, str]:
    """Parse shortcode attributes: name="v", name='v' or name=v (shortcode_parse_atts)."""
    attrs: dict[str, str] = {}
    for m in _ATTR.finditer(text):
        if m.group(1):
            attrs[m.group(1).lower()] = m.group(2)
        elif m.group(3):
            attrs[m.group(3).lower()] = m.group(4)
        else:
            attrs[m.group(5).lower()] = m.group(6)
    return attrs


def _caption_html(m: re.Match[str]) -> str:
    """Turn one [caption] into the <figure> WordPress shows (img_caption_shortcode)."""
    attrs, content = shortcode_attrs(m.group(2)), m.group(3)
    caption = attrs.get("caption", "")
    if not caption:
        parts = _IMG_THEN_TEXT.match(content.strip())
        if parts:
            content, caption = parts.group(1), parts.group(2).strip()
    caption = re.sub(r"^(?:\s*<br\s*/?>)+|(?:<br\s*/?>\s*)+$", "", caption).strip()
    align = html.escape(attrs.get("align", "alignnone"))
    return (f'<figure class="wp-caption {align}">{content.strip()}'
            f"<figcaption>{caption}</figcaption></figure>")


def find_shortcodes(text: str) -> list[str]:
    """Names of the shortcodes in `text` (ignoring [[escaped]] ones and plain [words])."""
    found = []
    for m in _SHORTCODE_OPEN.finditer(text):
        if m.group(1) and m.group(5):
            continue
        name, attrs, closes = m.group(2), m.group(3), m.group(4)
        if (name.lower() in KNOWN_SHORTCODES or "=" in attrs or closes
                or f"[/{name}]" in text):
            found.append(name)
    return found


# Text that Markdown would read as structure when it starts a line: headings, list items,
# quotes, setext underlines, ordered-list numbers ("1984. was a year" is not a list).
_LINE_START = re.compile(r"(^|\n)([ \t]*)(#{1,6}(?=\s|$)|[-+](?=\s|$)|>|=+(?=\s*$)"
                         r"|-{2,}(?=\s*$)|\d{1,9}(?=[.)](?:\s|$)))")


def _escape_line_start(m: re.Match[str]) -> str:
    mark = m.group(3)
    if mark[0].isdigit():
        return m.group(1) + m.group(2) + mark + "\\"
    return m.group(1) + m.group(2) + "\\" + mark


class _Converter(MarkdownConverter):
    """markdownify, with figures kept as Markdown inside <figure> and <figcaption>."""

    def escape(self, text: str, parent_tags: Any) -> str:
        """Escape text so Markdown shows it as written: markup characters and line starts."""
        if not text:
            return ""
        text = re.sub(r"\\(?=[!-/:-@\[-`{-~]|\s|$)", r"\\\\", text)
        text = re.sub(r"([*_<`])", r"\\\1", text)
        text = re.sub(r"&(?=#?\w+;)", r"\\&", text)
        text = re.sub(r"\](?=[(\[:])", r"\\]", text)  # no [links](x), [refs][x], [defs]: x
        text = re.sub(r"\[(?=\^)", r"\\[", text)  # no [^footnote] references
        return _LINE_START.sub(_escape_line_start, text)

    def convert_figure(self, el: Tag, text: str, parent_tags: Any) -> str:
        return f"\n\n<figure>\n\n{text.strip()}\n\n</figure>\n\n"

    def convert_figcaption(self, el: Tag, text: str, parent_tags: Any) -> str:
        return f"\n\n<figcaption>\n\n{text.strip()}\n\n</figcaption>\n\n"

    def convert_iframe(self, el: Tag, text: str, parent_tags: Any) -> str:
        src = el.get("src")
        if not isinstance(src, str) or not src.startswith(("http:", "https:", "//")):
            return ""
        src = "https:" + src if src.startswith("//") else src
        return f"[{el.get('title') or 'Embedded content'}]({src})"


def _footnotes(soup: BeautifulSoup) -> list[str]:
    """Turn <sup><a href="#id">n</a></sup> pointing at a note in the post into [^n] notes."""
    notes: list[tuple[str, Tag]] = []
    for sup in soup.find_all("sup"):
        link = sup.find("a", href=re.compile(r"^#."))
        if link is None or sup.get_text(strip=True) != link.get_text(strip=True):
            continue
        target = soup.find(id=link["href"][1:])
        if target is None or target.name not in ("p", "li", "div") or sup in target.descendants:
            continue
        label = re.sub(r"[^\w-]", "", link.get_text(strip=True)) or str(len(notes) + 1)
        for back in target.find_all("a", href=re.compile(r"^#")):
            if back.get_text(strip=True) in ("↩", "↑", "^", "back", "↩︎"):
                back.decompose()
        marker = target.find("sup")
        if marker is not None and marker.get_text(strip=True) == link.get_text(strip=True):
            marker.decompose()
        notes.append((label, target))
        sup.replace_with(f"{_NOTE_MARK}{len(notes)}x")
    out = []
    for label, target in notes:  # the [^n] markers go in after conversion, unescaped
        inner = _Converter(**_OPTIONS).convert_soup(target).strip()
        out.append(f"[^{label}]: " + " ".join(inner.split()))
        parent = target.parent
        target.decompose()
        if parent is not None and parent.name in ("ol", "ul") and not parent.find("li"):
            parent.decompose()
    return out


def _mark_shortcodes(soup: BeautifulSoup, names: tuple[str, ...]) -> None:
    """Set each leftover shortcode tag in code, so it reads as itself and nothing retypes it."""
    if not names:
        return
    alt = "|".join(re.escape(n) for n in names)
    pattern = re.compile(r"(\[/?(?:" + alt + r")(?![\w-])[^\[\]]*\])")
    for node in soup.find_all(string=pattern):
        if node.find_parent(["code", "pre"]) is not None:
            continue
        parts = pattern.split(str(node))
        for i, part in enumerate(parts):
            if i % 2:
                code = soup.new_tag("code")
                code.string = part
                node.insert_before(code)
            elif part:
                node.insert_before(NavigableString(part))
        node.extract()


def _absolute(soup: BeautifulSoup, base: str) -> list[str]:
    """Make image and link addresses absolute against the old blog; return the image files."""
    images: list[str] = []
    for smiley in soup.find_all("img", class_=["wp-smiley", "emoji"]):
        smiley.replace_with(str(smiley.get("alt") or ""))
    for el in soup.find_all(["img", "a"]):
        attr = "src" if el.name == "img" else "href"
        value = el.get(attr)
        if not isinstance(value, str) or not value.strip():
            continue
        if base and not re.match(r"[a-z][a-z0-9+.-]*:|#", value, re.IGNORECASE):
            el[attr] = value = urljoin(base, value.strip())
        is_image = el.name == "img" or _IMAGE_FILE.search(value)
        if is_image and value.startswith("http") and value not in images:
            images.append(value)
    return images


_OPTIONS: dict[str, Any] = {"heading_style": "atx", "bullets": "-", "newline_style": "backslash",
                             "sup_symbol": "<sup>", "sub_symbol": "<sub>", "escape_misc": False}


def prepare_html(raw: str) -> str:
    """Apply what WordPress applies when it shows a post: auto-paragraphs, then [caption]."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = _MORE_RE.sub(f"\n\n<p>{_MORE_MARK}</p>\n\n", text, count=1)
    if "<!-- wp:" in text:  # the block editor stores finished HTML; WordPress skips wpautop
        text = _BLOCK_COMMENT.sub("", text)
    else:
        text = shortcode_unautop(wpautop(text), ("caption", "wp_caption"))
    return _CAPTION.sub(_caption_html, text)


def convert(raw: str, base_url: str = "", *, comment: bool = False) -> Converted:
    """Convert WordPress HTML (as stored in the export) to Markdown."""
    if not raw.strip():
        return Converted("")
    text = prepare_html(raw)
    soup = BeautifulSoup(text, "html.parser")
    images = _absolute(soup, base_url)
    left = tuple(n for n in dict.fromkeys(find_shortcodes(raw))
                 if n.lower() not in ("caption", "wp_caption"))
    _mark_shortcodes(soup, left)
    notes = [] if comment else _footnotes(soup)
    options = {**_OPTIONS, "sup_symbol": "", "sub_symbol": ""} if comment else _OPTIONS
    markdown = _Converter(**options).convert_soup(soup)
    markdown = markdown.replace(_MORE_MARK, "" if comment else MORE)
    markdown = re.sub(r"[ \t]+\n", "\n", markdown)
    # A hard break (backslash, newline) that ends a paragraph shows as a stray backslash.
    markdown = re.sub(r"(?<!\\)((?:\\\\)*)\\\n(?=\s*\n|\s*$)", "\\1\n", markdown + "\n")
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip()
    for i, note in reversed(list(enumerate(notes, 1))):
        markdown = markdown.replace(f"{_NOTE_MARK}{i}x", note.split(":", 1)[0])
    if notes:
        markdown += "\n\n" + "\n".join(notes)
    return Converted(markdown + "\n" if markdown else "", tuple(images), left)


def plain(raw: str) -> str:
    """The text of an HTML fragment on one line, for titles and summaries."""
    # Wrapped, since html.parser drops the "&" of text ending in "&x" at the end of input.
    text = BeautifulSoup(f"<div>{raw}</div>", "html.parser").get_text(" ")
    return " ".join(text.split())
