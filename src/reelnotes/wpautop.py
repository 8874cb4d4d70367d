"""WordPress's auto-paragraph filter (`wpautop`) and its `shortcode_unautop` companion.

A line-by-line port of wp-includes/formatting.php: WordPress stores classic-editor posts with
bare line breaks and adds the <p> and <br /> tags only when it shows them, so an importer has
to apply the same rules before it can read the HTML.
"""

from __future__ import annotations

import re

_BLOCKS = (r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|"
           r"form|map|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend|section|article|"
           r"aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)")

# wp_html_split(): comments, CDATA sections and tags, so newlines inside them can be protected.
_HTML_SPLIT = re.compile(
    r"(<(?:!--(?:-(?!->)|[^-])*(?:-->)?|!\[CDATA\[(?:\](?!\]>)|[^\]])*(?:\]\]>)?|[^>]*>?))")

_NEWLINE_MARK = " <!-- wpnl --> "
_PRESERVE = "<WPPreserveNewline />"


def _replace_in_html_tags(text: str, needle: str, replacement: str) -> str:
    """Replace `needle` inside HTML tags and comments only (wp_replace_in_html_tags)."""
    parts = _HTML_SPLIT.split(text)
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace(needle, replacement)
    return "".join(parts)


def _hide_pre(text: str) -> tuple[str, dict[str, str]]:
    """Swap each <pre> element for a placeholder so autop leaves it untouched."""
    if "<pre" not in text:
        return text, {}
    pieces = text.split("</pre>")
    last = pieces.pop()
    out, pre_tags = "", dict[str, str]()
    for piece in pieces:
        start = piece.find("<pre")
        if start == -1:  # malformed HTML: keep as is
            out += piece
            continue
        name = f"<pre wp-pre-tag-{len(pre_tags)}></pre>"
        pre_tags[name] = piece[start:] + "</pre>"
        out += piece[:start] + name
    return out + last, pre_tags


def _collapse_media(text: str) -> str:
    """Keep line breaks around <option>, <object>, <source> and <figcaption> from becoming <p>."""
    if "<option" in text:
        text = re.sub(r"\s*<option", "<option", text)
        text = re.sub(r"</option>\s*", "</option>", text)
    if "</object>" in text:
        text = re.sub(r"(<object[^>]*>)\s*", r"\1", text)
        text = re.sub(r"\s*</object>", "</object>", text)
        text = re.sub(r"\s*(</?(?:param|embed)[^>]*>)\s*", r"\1", text)
    if "<source" in text or "<track" in text:
        text = re.sub(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", r"\1", text)
        text = re.sub(r"\s*([<\[]/(?:audio|video)[>\]])", r"\1", text)
        text = re.sub(r"\s*(<(?:source|track)[^>]*>)\s*", r"\1", text)
    if "<figcaption" in text:
        text = re.sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
        text = re.sub(r"</figcaption>\s*", "</figcaption>", text)
    return text


def _paragraphs(text: str) -> str:
    """Wrap every double-line-break-separated chunk in <p>, then undo the wrong wraps."""
    text = re.sub(r"\n\n+", "\n\n", text)
    chunks = [c for c in re.split(r"\n\s*\n", text) if c]
    text = "".join(f"<p>{chunk.strip(chr(10))}</p>\n" for chunk in chunks)
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = re.sub(r"<p>\s*(</?" + _BLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.IGNORECASE)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(r"<p>\s*(</?" + _BLOCKS + r"[^>]*>)", r"\1", text)
    return re.sub(r"(</?" + _BLOCKS + r"[^>]*>)\s*</p>", r"\1", text)


def _line_breaks(text: str) -> str:
    """Turn the remaining single newlines into <br />, except inside script/style/svg/math."""
    text = re.sub(r"<(script|style|svg|math).*?</\1>",
                  lambda m: m.group(0).replace("\n", _PRESERVE), text, flags=re.DOTALL)
    text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
    text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
    return text.replace(_PRESERVE, "\n")


def wpautop(text: str, br: bool = True) -> str:
    """Replace double line breaks with paragraphs and single ones with <br />, as WordPress."""
    if not text.strip():
        return ""
    text, pre_tags = _hide_pre(text + "\n")
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = re.sub(r"(<" + _BLOCKS + r"[\s/>])", "\n\n\\1", text)
    text = re.sub(r"(</" + _BLOCKS + r">)", "\\1\n\n", text)
    text = re.sub(r"(<hr\s*?/?>)", "\\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _replace_in_html_tags(text, "\n", _NEWLINE_MARK)
    text = _paragraphs(_collapse_media(text))
    if br:
        text = _line_breaks(text)
    text = re.sub(r"(</?" + _BLOCKS + r"[^>]*>)\s*<br />", r"\1", text)
    text = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    for name, original in pre_tags.items():
        text = text.replace(name, original)
    if "<!-- wpnl -->" in text:
        text = text.replace(_NEWLINE_MARK, "\n").replace("<!-- wpnl -->", "\n")
    return text


def shortcode_unautop(text: str, names: tuple[str, ...]) -> str:
    """Unwrap a <p> that holds nothing but one of the shortcodes `names` (shortcode_unautop)."""
    if not names:
        return text
    alt = "|".join(re.escape(n) for n in names)
    pattern = re.compile(
        r"<p>\s*(\[(" + alt + r")(?![\w-])[^\]/]*(?:/(?!\])[^\]/]*)*?"
        r"(?:/\]|\](?:[^\[]*(?:\[(?!/\2\])[^\[]*)*\[/\2\])?))\s*</p>", re.DOTALL)
    return pattern.sub(r"\1", text)
