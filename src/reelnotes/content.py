"""Read content files into frozen Posts and Comments; report every problem with file:line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import urls
from .config import SiteConfig
from .errors import ContentError, Diagnostic, did_you_mean
from .frontmatter import Document, FrontMatterError, decode, parse_yaml, split
from .markdown import plain_text, render_comment, render_inline, render_post

POST_KEYS = frozenset(
    [
        "title", "date", "updated", "film", "films", "tags", "epigraph", "slug", "summary",
        "draft", "rating", "watched", "rewatch", "spoilers", "aliases",
    ]
)
FILM_KEYS = frozenset(
    ["title", "year", "director", "original_title", "country", "runtime", "poster", "ids"]
)
ID_KEYS = frozenset(["imdb", "tmdb", "wikidata", "letterboxd"])
COMMENT_KEYS = frozenset(["author", "date", "url", "body"])
MAX_POST_BYTES = 10 * 1024 * 1024
MIN_YEAR, MAX_YEAR = 1000, 9000


@dataclass(frozen=True, slots=True)
class Film:
    """A film a post reviews."""

    title: str
    """The title the blog uses (usually the release title in the blog's language)."""
    year: int | None = None
    """Year of release."""
    director: str | None = None
    """Director, or directors joined by commas."""
    original_title: str | None = None
    """Title in the original language, when it differs."""
    country: str | None = None
    """Country or countries of production."""
    runtime: int | None = None
    """Running time in minutes."""
    poster: str | None = None
    """A path under static/ ("images/x.jpg") or an absolute URL."""
    ids: tuple[tuple[str, str], ...] = ()
    """External identifiers: imdb, tmdb, wikidata, letterboxd."""


@dataclass(frozen=True, slots=True)
class Epigraph:
    """A line quoted at the head of a post, and where it comes from."""

    text: str
    """The quotation."""
    source: str | None = None
    """The work or person it is from."""


@dataclass(frozen=True, slots=True)
class Comment:
    """A reader's comment: untrusted text, rendered without raw HTML."""

    author: str
    """The name the reader gave."""
    date: datetime
    """When it was written (time-zone aware)."""
    body_html: str
    """The Markdown body rendered safely (no raw HTML, links nofollow ugc)."""
    url: str | None = None
    """The reader's own site, if given (http or https only)."""
    number: int = 0
    """1-based position under its post, for the permalink anchor."""


@dataclass(frozen=True, slots=True)
class Post:
    """One review or essay, validated and rendered to HTML."""

    src_path: str
    """The source file, relative to the site folder (posix)."""
    slug: str
    """The last segment of the post's URL."""
    title: str
    """The post's title."""
    date: datetime
    """Publication date (time-zone aware)."""
    body_html: str
    """The body rendered for the post page."""
    feed_html: str
    """The body with absolute links, for feeds."""
    summary_html: str
    """The summary: front matter's, else the text before <!--more-->, else the first paragraph."""
    updated: datetime | None = None
    """When it was last revised."""
    films: tuple[Film, ...] = ()
    """The films reviewed (none for an essay)."""
    tags: tuple[str, ...] = ()
    """Tag names as written."""
    epigraph: Epigraph | None = None
    """The quotation set at the head of the post."""
    draft: bool = False
    """Left out of the site unless building with drafts."""
    rating: float | None = None
    """0 to 5 in halves."""
    watched: dt.date | None = None
    """When the author watched the film."""
    rewatch: bool = False
    """True if this was not the first viewing."""
    spoilers: bool = False
    """True if the body after <!--spoilers--> reveals the plot."""
    aliases: tuple[str, ...] = ()
    """Old site-relative URLs that should redirect here."""
    comments: tuple[Comment, ...] = ()
    """Readers' comments, oldest first."""
    word_count: int = 0
    """Words in the body, for the reading time."""

    @property
    def url(self) -> str:
        """The post's site-relative URL."""
        return urls.post_url(self.slug)

    @property
    def film(self) -> Film | None:
        """The first film reviewed, if any."""
        return self.films[0] if self.films else None

    @property
    def description(self) -> str:
        """The summary as plain text, for meta descriptions."""
        return plain_text(self.summary_html)


class _Checker:
    """Collects problems for one file while reading typed values out of its front matter."""

    def __init__(self, path: str, doc: Document, tz: ZoneInfo) -> None:
        self.path = path
        self.doc = doc
        self.tz = tz
        self.problems: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def fail(self, key: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(message, self.path, self.doc.line(*key), hint))

    def unknown_keys(
        self, data: dict[str, Any], known: frozenset[str], where: tuple[str, ...]
    ) -> None:
        for key in data:
            if key not in known:
                label = ".".join(where + (key,))
                self.warnings.append(
                    Diagnostic(f'unknown key "{label}" is ignored', self.path,
                               self.doc.line(*where, key), did_you_mean(key, known), "warning")
                )

    def text(self, data: dict[str, Any], key: str, where: tuple[str, ...] = (),
             required: bool = False, numbers_ok: bool = False) -> str | None:
        label = ".".join(where + (key,))
        value = data.get(key)
        if value is None:
            if required:
                self.fail(where + (key,) if key in data else where,
                          f'{label}: required, expected text', f'add "{key}: ..."')
            return None
        if numbers_ok and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.fail(where + (key,), f"{label}: expected text, got {_kind(value)}",
                      "put it in quotes" if isinstance(value, (int, float, bool)) else None)
            return None
        value = value.strip()
        if required and not value:
            self.fail(where + (key,), f"{label}: expected text, got nothing")
            return None
        return value or None

    def integer(self, data: dict[str, Any], key: str, where: tuple[str, ...],
                low: int, high: int) -> int | None:
        value = data.get(key)
        label = ".".join(where + (key,))
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(where + (key,), f"{label}: expected a whole number from {low} to {high}, "
                      f"got {value!r}")
            return None
        return value

    def flag(self, data: dict[str, Any], key: str) -> bool:
        value = data.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.fail((key,), f"{key}: expected true or false, got {value!r}")
            return False
        return value

    def moment(self, data: dict[str, Any], key: str, required: bool = False) -> datetime | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail((key,) if key in data else (),
                          f"{key}: required, expected YYYY-MM-DD", f'add "{key}: YYYY-MM-DD"')
            return None
        try:
            return parse_moment(value, self.tz)
        except ValueError as err:
            self.fail((key,), f"{key}: {err}")
            return None

    def day(self, data: dict[str, Any], key: str) -> date | None:
        moment = self.moment(data, key)
        return moment.date() if moment else None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_moment(value: Any, tz: ZoneInfo) -> datetime:
    """Parse YYYY-MM-DD or ISO 8601 date-time text; a date alone is midnight in `tz`."""
    if not isinstance(value, str):
        raise ValueError(f"expected YYYY-MM-DD, got {_kind(value)}")
    text = value.strip()
    shown = f'"{text}"'
    if _DAY.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError as err:
            raise ValueError(f"expected a real date, got {shown} ({err})") from err
        return _in_range(datetime.combine(day, time(), tz), shown)
    if not re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        raise ValueError(f"expected YYYY-MM-DD or an ISO 8601 date-time, got {shown}")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise ValueError(f"expected a real date-time, got {shown} ({err})") from err
    return _in_range(moment if moment.tzinfo else moment.replace(tzinfo=tz), shown)


def _in_range(moment: datetime, shown: str) -> datetime:
    """Keep years where every time zone conversion stays within what datetime can hold."""
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValueError(f"expected a year from {MIN_YEAR} to {MAX_YEAR}, got {shown}")
    return moment


def _films(chk: _Checker, data: dict[str, Any]) -> tuple[Film, ...]:
    if "film" in data and "films" in data:
        chk.fail(("films",), "films: expected either film or films, got both")
        return ()
    if "film" in data:
        raw, key, many = data["film"], "film", False
    elif "films" in data:
        raw, key, many = data["films"], "films", True
        if not isinstance(raw, list):
            chk.fail(("films",), f"films: expected a list of films, got {_kind(raw)}")
            return ()
    else:
        return ()
    items = raw if many else [raw]
    films = []
    for i, item in enumerate(items):
        where: tuple[str, ...] = (key, str(i)) if many else (key,)
        where_key: tuple[str | int, ...] = (key, i) if many else (key,)
        if isinstance(item, (str, int)) and not isinstance(item, bool):
            films.append(Film(title=str(item).strip()))
            continue
        if not isinstance(item, dict):
            chk.fail(where_key, f"{key}: expected a title or a mapping with a title, got "
                     f"{_kind(item)}")
            continue
        chk.unknown_keys(item, FILM_KEYS, tuple(str(w) for w in where_key))
        title = chk.text(item, "title", where, required=True, numbers_ok=True)
        ids = _film_ids(chk, item, where)
        film = Film(
            title=title or "",
            year=chk.integer(item, "year", where, 1870, 2100),
            director=chk.text(item, "director", where),
            original_title=chk.text(item, "original_title", where, numbers_ok=True),
            country=chk.text(item, "country", where),
            runtime=chk.integer(item, "runtime", where, 1, 6000),
            poster=chk.text(item, "poster", where),
            ids=ids,
        )
        if title:
            films.append(film)
    return tuple(films)


def _film_ids(
    chk: _Checker, item: dict[str, Any], where: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    raw = item.get("ids")
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        chk.fail(where + ("ids",), f"{'.'.join(where)}.ids: expected a mapping such as "
                 "{imdb: tt1512201}")
        return ()
    chk.unknown_keys(raw, ID_KEYS, where + ("ids",))
    out = []
    for name in sorted(ID_KEYS & raw.keys()):
        value = chk.text(raw, name, where + ("ids",), numbers_ok=True)
        if value:
            out.append((name, value))
    return tuple(out)


def _tags(chk: _Checker, data: dict[str, Any]) -> tuple[str, ...]:
    raw = data.get("tags")
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [t for t in (part.strip() for part in raw.split(",")) if t]
    if not isinstance(raw, list):
        chk.fail(("tags",), f"tags: expected a list or \"a, b, c\", got {_kind(raw)}")
        return ()
    tags: list[str] = []
    for i, tag in enumerate(raw):
        if not isinstance(tag, str) or not tag.strip():
            chk.fail(("tags", i), f"tags: expected each tag to be text, got {_kind(tag)}",
                     "put it in quotes" if isinstance(tag, (int, float)) else None)
        elif tag.strip() not in tags:
            tags.append(tag.strip())
    return tuple(tags)


def _epigraph(chk: _Checker, data: dict[str, Any]) -> Epigraph | None:
    raw = data.get("epigraph")
    if raw is None:
        return None
    if isinstance(raw, str):
        return Epigraph(raw.strip()) if raw.strip() else None
    if not isinstance(raw, dict):
        chk.fail(("epigraph",), f"epigraph: expected text or {{text, source}}, got {_kind(raw)}")
        return None
    chk.unknown_keys(raw, frozenset({"text", "source"}), ("epigraph",))
    text = chk.text(raw, "text", ("epigraph",), required=True)
    source = chk.text(raw, "source", ("epigraph",))
    return Epigraph(text, source) if text else None


def _rating(chk: _Checker, data: dict[str, Any]) -> float | None:
    value = data.get("rating")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 5 \
            or value * 2 != int(value * 2):
        chk.fail(("rating",), f"rating: expected 0 to 5 in steps of 0.5, got {value!r}")
        return None
    return float(value)


def _aliases(chk: _Checker, data: dict[str, Any]) -> tuple[str, ...]:
    raw = data.get("aliases")
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        chk.fail(("aliases",), f"aliases: expected a list of old addresses, got {_kind(raw)}")
        return ()
    out = []
    for i, item in enumerate(raw):
        url = urls.alias_url(item) if isinstance(item, str) else None
        if url in urls.RESERVED:
            chk.fail(("aliases", i), f"aliases: expected an old address, got {item!r}, a file "
                     "the site itself writes", "remove it from aliases")
        elif url is None:
            chk.fail(("aliases", i), f"aliases: expected a path such as \"/2013/04/09/slug/\", "
                     f"got {item!r}")
        else:
            out.append(url)
    return tuple(out)


def _summary_html(summary: str) -> str:
    """Front matter's summary as inline Markdown; "<" is text here, so no raw HTML gets in."""
    return f"<p>{render_inline(summary.replace('<', '&lt;'))}</p>"


def read_post(path: Path, rel: str, config: SiteConfig) -> tuple[Post | None, list[Diagnostic]]:
    """Read one post file; return the Post (None if it has errors) and all its diagnostics."""
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_POST_BYTES:
            return None, [Diagnostic(f"file is {len(raw) // 1048576} MB: expected a post of "
                                     f"at most {MAX_POST_BYTES // 1048576} MB", rel, 1)]
        doc = split(decode(raw))
    except FrontMatterError as err:
        return None, [err.diagnostic(rel)]
    except OSError as err:
        return None, [Diagnostic(f"cannot read: {err.strerror}", rel)]
    chk = _Checker(rel, doc, config.tz)
    data = doc.data
    chk.unknown_keys(data, POST_KEYS, ())
    title = chk.text(data, "title", required=True)
    when = chk.moment(data, "date", required=True)
    slug = data.get("slug")
    if slug is not None:
        if not isinstance(slug, str) or not urls.is_safe_slug(slug):
            chk.fail(("slug",), f"slug: expected letters, digits and dashes (no '/' or '..'), "
                     f"got {slug!r}")
            slug = None
    summary = chk.text(data, "summary")
    fields: dict[str, Any] = dict(
        updated=chk.moment(data, "updated"),
        films=_films(chk, data),
        tags=_tags(chk, data),
        epigraph=_epigraph(chk, data),
        draft=chk.flag(data, "draft"),
        rating=_rating(chk, data),
        watched=chk.day(data, "watched"),
        rewatch=chk.flag(data, "rewatch"),
        spoilers=chk.flag(data, "spoilers"),
        aliases=_aliases(chk, data),
    )
    diagnostics = chk.warnings + chk.problems
    if chk.problems or title is None or when is None:
        return None, diagnostics
    slug = slug or urls.slugify(title, fallback_seed=rel)
    page_url = config.base_url + urls.post_url(slug)
    body = render_post(doc.body, page_url)
    return Post(
        src_path=rel,
        slug=slug,
        title=title,
        date=when,
        body_html=body.html,
        feed_html=body.feed_html,
        summary_html=_summary_html(summary) if summary else body.summary_html,
        word_count=len(plain_text(body.html).split()),
        **fields,
    ), diagnostics


def read_comments(
    path: Path, rel: str, tz: ZoneInfo
) -> tuple[tuple[Comment, ...], list[Diagnostic]]:
    """Read one comments file: a YAML list of {author, date, url?, body}."""
    try:
        data, lines = parse_yaml(decode(path.read_bytes()))
    except FrontMatterError as err:
        return (), [err.diagnostic(rel)]
    doc = Document({}, lines, "", 0)
    if data is None:
        return (), []
    if not isinstance(data, list):
        return (), [Diagnostic(f"expected a list of comments (- author: ...), got {_kind(data)}",
                               rel, 1)]
    problems: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    comments = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            problems.append(Diagnostic(f"comment {i + 1}: expected author, date and body, "
                                       f"got {_kind(item)}", rel, doc.line(i)))
            continue
        chk = _Checker(rel, Document(item, {k[1:]: v for k, v in lines.items() if k[:1] == (i,)},
                                     "", 0), tz)
        chk.unknown_keys(item, COMMENT_KEYS, ())
        author = chk.text(item, "author", required=True, numbers_ok=True)
        when = chk.moment(item, "date", required=True)
        body = chk.text(item, "body", required=True, numbers_ok=True)
        url = chk.text(item, "url")
        if url and not re.match(r"https?://[^\s\"'<>]+$", url):
            chk.fail(("url",), f"url: expected an http(s) address, got {url!r}")
        problems += chk.problems
        warnings += chk.warnings
        if author and when and body and not chk.problems:
            comments.append(Comment(author, when, render_comment(body), url))
    comments.sort(key=lambda c: c.date)
    numbered = tuple(replace(c, number=n) for n, c in enumerate(comments, 1))
    return numbered, warnings + problems


@dataclass(slots=True)
class Content:
    """Everything read from content/: posts with their comments attached."""

    posts: list[Post] = field(default_factory=list)
    """Every valid post, drafts and future posts included."""
    warnings: list[Diagnostic] = field(default_factory=list)
    """Problems that do not stop the build."""


def _post_files(config: SiteConfig) -> list[Path]:
    root = config.content_dir / "posts"
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*.md") if p.is_file() and not p.name.startswith("."))


def load_content(config: SiteConfig,
                 read: Callable[[Path, str, SiteConfig], tuple[Post | None, list[Diagnostic]]]
                 = read_post) -> Content:
    """Read every post and comment file; raise ContentError listing every problem found."""
    problems: list[Diagnostic] = []
    result = Content()
    for path in _post_files(config):
        rel = path.relative_to(config.root).as_posix()
        post, diagnostics = read(path, rel, config)
        problems += [d for d in diagnostics if d.severity == "error"]
        result.warnings += [d for d in diagnostics if d.severity == "warning"]
        if post is not None:
            result.posts.append(post)
    by_slug: dict[str, Post] = {}
    for post in result.posts:
        other = by_slug.get(post.slug)
        if other is not None:
            problems.append(Diagnostic(
                f'slug: expected a slug of its own, but "{post.slug}" is also used by '
                f'{other.src_path}', post.src_path, 1,
                "give one of them another title or a slug: in its front matter"))
        by_slug[post.slug] = post
    comments_dir = config.content_dir / "comments"
    if comments_dir.is_dir():
        for path in sorted(comments_dir.iterdir()):
            if path.suffix not in (".yml", ".yaml") or not path.is_file():
                continue
            rel = path.relative_to(config.root).as_posix()
            comments, diagnostics = read_comments(path, rel, config.tz)
            problems += [d for d in diagnostics if d.severity == "error"]
            result.warnings += [d for d in diagnostics if d.severity == "warning"]
            target = by_slug.get(path.stem)
            if target is None:
                result.warnings.append(Diagnostic(
                    f'no post has the slug "{path.stem}": these comments are not shown', rel,
                    severity="warning"))
            elif comments:
                by_slug[path.stem] = replace(target, comments=comments)
    if problems:
        raise ContentError(problems)
    result.posts = sorted(by_slug.values(), key=lambda p: p.src_path)
    return result
