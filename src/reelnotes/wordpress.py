"""Read a WordPress export (WXR 1.0 to 1.2) item by item, refusing XML entity tricks."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .errors import Diagnostic, ReelnotesError

Progress = Callable[[str, int, int], None]


class ExportError(ReelnotesError):
    """The export file cannot be read."""


@dataclass(frozen=True, slots=True)
class WpComment:
    """One comment as the export holds it."""

    id: str
    """wp:comment_id."""
    author: str
    """The name the commenter gave."""
    url: str
    """The commenter's site, possibly empty."""
    date: str
    """Local time, "YYYY-MM-DD HH:MM:SS"."""
    date_gmt: str
    """UTC time, "YYYY-MM-DD HH:MM:SS" or zeros."""
    content: str
    """The comment's HTML."""
    approved: str
    """"1" approved, "0" pending, "spam" or "trash"."""
    type: str
    """"" or "comment" for a reader's comment; "pingback", "trackback" otherwise."""
    parent: str
    """The comment_id it replies to, "0" if none."""


@dataclass(frozen=True, slots=True)
class WpItem:
    """One <item> of the export: a post, page, attachment, menu item..."""

    id: str
    """wp:post_id."""
    title: str
    """The title as stored (may hold HTML entities or be empty)."""
    link: str
    """The public address WordPress gave it."""
    content: str
    """content:encoded, the body HTML as stored."""
    excerpt: str
    """excerpt:encoded, the hand-written summary."""
    post_type: str
    """post, page, attachment, nav_menu_item, ..."""
    status: str
    """publish, draft, pending, future, private, trash, inherit, auto-draft."""
    name: str
    """wp:post_name, the slug (percent-encoded UTF-8 for non-ASCII)."""
    date: str
    """Local time of publication."""
    date_gmt: str
    """UTC time of publication, zeros for drafts."""
    modified: str
    """Local time of the last change."""
    modified_gmt: str
    """UTC time of the last change."""
    password: str
    """A password that protects the post, usually empty."""
    categories: tuple[str, ...] = ()
    """Names of its categories."""
    tags: tuple[str, ...] = ()
    """Names of its tags."""
    comments: tuple[WpComment, ...] = ()
    """Its comments, every status."""


@dataclass(frozen=True, slots=True)
class Channel:
    """What the export says about the blog as a whole."""

    link: str = ""
    """The blog's address."""
    base_blog_url: str = ""
    """wp:base_blog_url, the root the permalinks hang from."""
    wxr_version: str = ""
    """The export format version."""


def _local(tag: str) -> tuple[str, str]:
    """("wp", "post_id") for a WordPress-namespaced tag, ("", "title") for a plain one."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        if ns.startswith("http://wordpress.org/export/"):
            return ("excerpt" if ns.rstrip("/").endswith("excerpt") else "wp"), name
        if ns == "http://purl.org/rss/1.0/modules/content/":
            return "content", name
        return ns, name
    return "", tag


def _text(el: ET.Element | None) -> str:
    return (el.text or "") if el is not None else ""


def _comment(el: ET.Element) -> WpComment:
    values = {_local(child.tag)[1]: _text(child) for child in el}
    return WpComment(
        id=values.get("comment_id", "").strip(),
        author=values.get("comment_author", "").strip(),
        url=values.get("comment_author_url", "").strip(),
        date=values.get("comment_date", "").strip(),
        date_gmt=values.get("comment_date_gmt", "").strip(),
        content=values.get("comment_content", ""),
        approved=values.get("comment_approved", "").strip(),
        type=values.get("comment_type", "").strip(),
        parent=values.get("comment_parent", "0").strip() or "0",
    )


def _item(el: ET.Element) -> WpItem:
    values: dict[str, str] = {}
    categories: list[str] = []
    tags: list[str] = []
    comments: list[WpComment] = []
    for child in el:
        space, name = _local(child.tag)
        if space == "" and name == "category":
            label = _text(child).strip()
            target = tags if child.get("domain") == "post_tag" else categories
            if child.get("domain") in ("category", "post_tag") and label and label not in target:
                target.append(label)
        elif space == "wp" and name == "comment":
            comments.append(_comment(child))
        else:
            values[f"{space}:{name}" if space else name] = _text(child)
    return WpItem(
        id=values.get("wp:post_id", "").strip(), title=values.get("title", ""),
        link=values.get("link", "").strip(), content=values.get("content:encoded", ""),
        excerpt=values.get("excerpt:encoded", ""),
        post_type=values.get("wp:post_type", "post").strip(),
        status=values.get("wp:status", "").strip(), name=values.get("wp:post_name", "").strip(),
        date=values.get("wp:post_date", "").strip(),
        date_gmt=values.get("wp:post_date_gmt", "").strip(),
        modified=values.get("wp:post_modified", "").strip(),
        modified_gmt=values.get("wp:post_modified_gmt", "").strip(),
        password=values.get("wp:post_password", ""),
        categories=tuple(categories), tags=tuple(tags), comments=tuple(comments))


class _Counting(io.RawIOBase):
    """A file wrapper that reports how many bytes have been read."""

    def __init__(self, raw: BinaryIO, total: int, progress: Progress | None) -> None:
        self.raw, self.total, self.progress, self.done = raw, total, progress, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.done += len(data)
        if self.progress is not None:
            self.progress("reading", self.done, self.total)
        return len(data)


def read_export(path: Path, progress: Progress | None = None) -> tuple[Channel, list[WpItem]]:
    """Parse the export at `path`, one <item> at a time; raise ReelnotesError if unreadable."""
    shown = str(path)
    try:
        with path.open("rb") as raw:
            source = _Counting(raw, path.stat().st_size, progress)
            return _parse(iterparse(source, events=("start", "end")), shown)
    except DefusedXmlException as err:
        raise ExportError(Diagnostic(
            f"refused: the file declares XML entities or a DTD ({type(err).__name__})", shown,
            hint="a WordPress export never does; this may be an entity-expansion attack")) from err
    except ET.ParseError as err:
        line = err.position[0] if err.position else None
        raise ExportError(Diagnostic(f"not well-formed XML: {err.msg}", shown, line,
                                      "export the blog again from Tools → Export")) from err
    except OSError as err:
        raise ExportError(Diagnostic(f"cannot read: {err.strerror}", shown)) from err


def _parse(events: Iterator[tuple[str, ET.Element]], shown: str) -> tuple[Channel, list[WpItem]]:
    items: list[WpItem] = []
    channel: dict[str, str] = {}
    stack: list[ET.Element] = []
    for event, el in events:
        if event == "start":
            stack.append(el)
            if len(stack) == 1 and el.tag != "rss":
                raise ExportError(Diagnostic(
                    f"expected a WordPress export (an <rss> file), found <{el.tag}>", shown, 1))
            continue
        stack.pop()
        space, name = _local(el.tag)
        if name == "item" and space == "":
            items.append(_item(el))
            if stack:
                stack[-1].remove(el)  # keep memory flat on large exports
        elif len(stack) == 2 and name in ("link", "base_blog_url", "wxr_version"):
            channel[name] = _text(el).strip()
    if not channel.get("wxr_version") and not items:
        raise ExportError(Diagnostic("expected a WordPress export: no wxr_version and no items",
                                      shown, hint="export the blog from Tools → Export"))
    return Channel(channel.get("link", ""), channel.get("base_blog_url", ""),
                   channel.get("wxr_version", "")), items
