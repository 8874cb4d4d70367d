"""Decide what a WordPress export becomes: post files, comment files, and what is left out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from . import urls
from .wordpress import Channel, Progress, WpComment, WpItem
from .wpconvert import convert, plain

POST_STATUSES = {"publish": "post", "future": "scheduled", "draft": "draft", "pending": "draft"}
SKIP_REASONS = {"private": "private", "trash": "in the trash", "auto-draft": "an empty auto-draft"}
NOT_POSTS = {"page": "page", "attachment": "attachment (media library entry)",
             "nav_menu_item": "menu item", "revision": "revision"}
COMMENT_SKIPS = {"spam": "spam", "0": "pending (never approved)", "trash": "in the trash"}
_URL_OK = re.compile(r"https?://[^\s\"'<>]+$")


@dataclass(frozen=True, slots=True)
class PlannedFile:
    """A file the import wants to write under the site folder."""

    rel: str
    """Path relative to the site folder (posix)."""
    text: str
    """Its full contents."""


@dataclass(slots=True)
class Plan:
    """Everything the import will write and everything it has to tell the user."""

    files: list[PlannedFile] = field(default_factory=list)
    """Post and comment files, in export order."""
    kinds: dict[str, str] = field(default_factory=dict)
    """Post file -> "post", "draft" or "scheduled"."""
    comments: int = 0
    """Comments written."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(what, why) for every post or comment left out."""
    not_posts: dict[str, int] = field(default_factory=dict)
    """Count of pages, attachments, menu items... by kind."""
    images: list[str] = field(default_factory=list)
    """Image addresses the posts use, to download."""
    shortcodes: dict[str, list[str]] = field(default_factory=dict)
    """Shortcode name -> post files that still hold it."""
    query_links: list[tuple[str, str]] = field(default_factory=list)
    """("/?p=ID", new post URL): old addresses a static host cannot redirect by file."""
    notes: list[str] = field(default_factory=list)
    """Other things the user should know (renamed slugs, unmappable addresses)."""


# The pure-Python emitter on purpose: libyaml's writes emoji as "\U0001F682" escapes.
class _Dumper(yaml.SafeDumper):
    """Safe YAML with multi-line text as literal blocks, for files people will edit."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.strip() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any) -> str:
    """YAML text for front matter or a comments file: escaped properly, Unicode kept."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100)


def wp_moment(local: str, gmt: str, fallback: tzinfo) -> datetime | None:
    """A WordPress local time with its offset, worked out from the matching UTC time."""
    try:
        when = datetime.strptime(local, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    if when.year < 1000:  # "0000-00-00 00:00:00"
        return None
    try:
        offset = when - datetime.strptime(gmt, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return when.replace(tzinfo=fallback)
    minutes = round(offset.total_seconds() / 60)
    if abs(minutes) >= 18 * 60:  # drafts carry a zero UTC time: no offset to learn
        return when.replace(tzinfo=fallback)
    return when.replace(tzinfo=timezone(timedelta(minutes=minutes)))


def old_address(item: WpItem, channel: Channel, when: datetime) -> str | None:
    """The post's old path ("/2013/04/09/slug/"), decoded, or None if it had none."""
    link = urlsplit(item.link)
    base = urlsplit(channel.base_blog_url or channel.link).path.rstrip("/")
    path = link.path
    if link.query or not path.strip("/"):
        if not item.name:
            return None
        path = f"{base}/{when:%Y/%m/%d}/{item.name}/"
    if base and path.startswith(base + "/"):
        path = path[len(base):]
    path = unquote(path)
    return path if urls.alias_url(path) else None


def _slug(item: WpItem, title: str, taken: set[str], plan: Plan) -> str:
    name = unquote(item.name)
    slug = name if urls.is_safe_slug(name) else urls.slugify(name or title,
                                                           fallback_seed=f"wp-{item.id}")
    base, n = slug, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    if slug != base:
        plan.notes.append(f'slug "{base}" is taken: post {item.id} became "{slug}"')
    taken.add(slug)
    return slug


def _title(item: WpItem, body_markdown: str, when: datetime) -> str:
    title = plain(item.title)
    if title:
        return title
    words = plain(body_markdown.replace("\n", " ")).split()
    words = [w for w in words if not w.startswith(("![", "[![", "<", "[^"))][:8]
    if words:
        return " ".join(words).rstrip(".,;:") + "…"
    return f"Untitled ({when:%Y-%m-%d})"


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#])", r"\\\1", text)


def plan_comments(item: WpItem, base: str, tz: tzinfo, plan: Plan) -> list[dict[str, str]]:
    """The approved reader comments of `item`, oldest first, replies marked."""
    approved: list[tuple[datetime, WpComment]] = []
    for c in item.comments:
        what = f"comment {c.id} on post {item.id}"
        if c.type not in ("", "comment"):
            plan.skipped.append((what, f"a {c.type}, not a reader's comment"))
        elif c.approved != "1":
            plan.skipped.append((what, COMMENT_SKIPS.get(c.approved, f"status {c.approved!r}")))
        elif (moment := wp_moment(c.date, c.date_gmt, tz)) is None:
            plan.skipped.append((what, f"no valid date ({c.date!r})"))
        else:
            approved.append((moment, c))
    approved.sort(key=lambda pair: pair[0])
    number = {c.id: (n, c.author or "Anonymous") for n, (_, c) in enumerate(approved, 1)}
    out = []
    for moment, c in approved:
        body = convert(c.content, base, comment=True).markdown.strip()
        if not body:
            plan.skipped.append((f"comment {c.id} on post {item.id}", "empty"))
            continue
        if c.parent != "0":
            n, who = number.get(c.parent, (0, ""))
            note = (f"*[In reply to {_md_escape(who)}](#comment-{n}):*" if n
                    else "*In reply to an earlier comment:*")
            body = f"{note}\n\n{body}"
        entry = {"author": c.author or "Anonymous", "date": moment.isoformat()}
        if _URL_OK.match(c.url):
            entry["url"] = c.url
        entry["body"] = body
        out.append(entry)
    return out


def plan_post(item: WpItem, channel: Channel, tz: tzinfo, taken: set[str], plan: Plan,
              existing: dict[str, str]) -> None:
    """Add one post's file (and comments file) to the plan, or say why it is left out."""
    label = f'post {item.id} "{plain(item.title) or "(no title)"}"'
    kind = POST_STATUSES.get(item.status)
    if item.password:
        plan.skipped.append((label, "password-protected"))
        return
    if kind is None:
        plan.skipped.append((label, SKIP_REASONS.get(item.status, f"status {item.status!r}")))
        return
    when = wp_moment(item.date, item.date_gmt, tz) or wp_moment(item.modified,
                                                                item.modified_gmt, tz)
    if when is None:
        plan.skipped.append((label, f"no valid date ({item.date!r})"))
        return
    base = channel.base_blog_url or channel.link
    body = convert(item.content, base)
    title = _title(item, body.markdown, when)
    slug = _slug(item, title, taken, plan)
    front: dict[str, Any] = {"title": title, "date": when.isoformat()}
    updated = wp_moment(item.modified, item.modified_gmt, tz)
    if updated is not None and updated > when:
        front["updated"] = updated.isoformat()
    front["slug"] = slug
    tags = list(dict.fromkeys(t for t in item.categories + item.tags
                              if t.lower() not in ("uncategorized", "uncategorised")))
    if tags:
        front["tags"] = tags
    summary = plain(item.excerpt)
    if summary:
        front["summary"] = summary
    if kind == "draft":
        front["draft"] = True
    else:
        alias = old_address(item, channel, when)
        if alias:
            front["aliases"] = [alias]
        elif item.link:
            plan.notes.append(f"{item.link}: cannot be redirected by a static page")
        plan.query_links.append((f"/?p={item.id}", "/" + urls.post_url(slug)))
    rel = f"content/posts/{when:%Y-%m-%d}-{slug}.md"
    if existing.get(slug, rel) != rel:
        plan.skipped.append((label, f'its slug "{slug}" is already used by {existing[slug]}'))
        return
    plan.files.append(PlannedFile(rel, "---\n" + dump_yaml(front) + "---\n" + body.markdown))
    plan.kinds[rel] = kind
    for image in body.images:
        if image not in plan.images:
            plan.images.append(image)
    for name in body.shortcodes:
        plan.shortcodes.setdefault(name, []).append(rel)
    comments = plan_comments(item, base, tz, plan)
    if comments:
        plan.files.append(PlannedFile(f"content/comments/{slug}.yml", dump_yaml(comments)))
        plan.comments += len(comments)


def blog_offset(items: list[WpItem], fallback: tzinfo) -> tzinfo:
    """The UTC offset most of the blog's posts were written in, for dates that lack one."""
    seen: dict[tzinfo, int] = {}
    for item in items:
        when = wp_moment(item.date, item.date_gmt, UTC)
        if when is not None and item.date_gmt[:4] not in ("", "0000") and when.tzinfo:
            seen[when.tzinfo] = seen.get(when.tzinfo, 0) + 1
    return max(seen, key=lambda z: seen[z]) if seen else fallback


def make_plan(channel: Channel, items: list[WpItem], tz: tzinfo,
              progress: Progress | None = None, existing: dict[str, str] | None = None) -> Plan:
    """Plan the whole import: every post, in export order; `existing` maps slugs to files."""
    plan = Plan()
    tz = blog_offset(items, tz)
    taken: set[str] = set()
    for done, item in enumerate(items, 1):
        if progress is not None:
            progress("converting", done, len(items))
        if item.post_type == "post":
            plan_post(item, channel, tz, taken, plan, existing or {})
        else:
            if item.post_type == "page" and item.status == "publish":
                plan.skipped.append((f'page {item.id} "{plain(item.title)}"',
                                     "a page: reelnotes has no pages yet, copy its text by hand"))
            kind = NOT_POSTS.get(item.post_type, item.post_type)
            plan.not_posts[kind] = plan.not_posts.get(kind, 0) + 1
    return plan
