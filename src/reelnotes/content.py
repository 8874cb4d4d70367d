"""Read content files into frozen Posts and Comments; report every problem with file:line."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from . import urls
from .config import SiteConfig
from .errors import ContentError, Diagnostic
from .fields import (
    COMMENT_KEYS,
    POST_KEYS,
    Checker,
    kind,
    read_aliases,
    read_epigraph,
    read_films,
    read_rating,
    read_tags,
)
from .frontmatter import Document, FrontMatterError, decode, parse_yaml, split
from .markdown import ASCII_BYTES, render_comment, render_inline, render_post, text_of
from .model import Comment, Epigraph, Film, Post
from .sources import is_post_name
from .theme import theme_static

if TYPE_CHECKING:
    from datetime import tzinfo

__all__ = ["Comment", "Content", "Epigraph", "Film", "POST_KEYS", "Post", "count_words",
           "load_content", "post_files", "read_comments", "read_post"]

MAX_POST_BYTES = 10 * 1024 * 1024


def _summary_html(summary: str) -> str:
    """Front matter's summary as inline Markdown; "<" is text here, so no raw HTML gets in."""
    return f"<p>{render_inline(summary.replace('<', '&lt;'))}</p>"


def _too_big(raw: bytes, rel: str) -> Diagnostic:
    """The problem of a content file over the size limit."""
    return Diagnostic(f"file is {len(raw) // 1048576} MB: expected at most "
                      f"{MAX_POST_BYTES // 1048576} MB", rel, 1)


_MAYBE_CJK = re.compile(rb"[\xe3-\xed\xef]")
"""The UTF-8 lead bytes of the CJK characters _cjk() matches (U+3040 to U+FAFF): a text with
none of them has no CJK, found without a Unicode class that takes 3 ms to compile."""
_SPACE_OR_NOT = bytes(32 if i < 128 and chr(i).isspace() else 120 for i in range(256))
"""Each byte of UTF-8 as b" " if it is ASCII whitespace (str.split's, \\x1c to \\x1f too),
else as b"x"."""


@functools.cache
def _cjk() -> re.Pattern[str]:
    return re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def count_words(text: str) -> int:
    """Words for the reading time: spaced words, plus half a word per CJK character."""
    raw = text.encode("utf-8", "surrogatepass")
    wide = raw.translate(None, ASCII_BYTES)  # the few characters past ASCII (quotes, dashes)
    if wide:
        if _MAYBE_CJK.search(wide):
            cjk = _cjk()
            return len(cjk.sub(" ", text).split()) + (len(cjk.findall(text)) + 1) // 2
        if any(map(str.isspace, wide.decode("utf-8", "surrogatepass"))):
            return len(text.split())
    # Words as str.split() finds them, counted without making them (3 x quicker): with
    # whitespace only in ASCII, each word is a b"x" at the start or after a b" "
    marks = raw.translate(_SPACE_OR_NOT)
    return marks.count(b" x") + marks.startswith(b"x")


def read_post(path: Path, rel: str, config: SiteConfig, slug: str | None = None,
              raw: bytes | None = None) -> tuple[Post | None, list[Diagnostic]]:
    """Read one post file; return the Post (None if it has errors) and all its diagnostics.

    `slug` replaces the one derived from the title (used to tell apart posts whose titles give
    the same slug); a `slug:` in the front matter wins over both. `raw` is the file's bytes,
    when the caller has read them already.
    """
    try:
        if raw is None:
            raw = path.read_bytes()
        if len(raw) > MAX_POST_BYTES:
            return None, [_too_big(raw, rel)]
        doc = split(decode(raw))
    except FrontMatterError as err:
        return None, [err.diagnostic(rel)]
    except OSError as err:
        return None, [Diagnostic(f"cannot read: {err.strerror}", rel)]
    chk = Checker(rel, doc, config.tz)
    data = doc.data
    chk.unknown_keys(data, POST_KEYS, ())
    title = chk.text(data, "title", required=True)
    when = chk.moment(data, "date", required=True)
    explicit = data.get("slug")
    if explicit is not None:
        if not isinstance(explicit, str) or not urls.is_safe_slug(explicit):
            chk.fail(("slug",), f"slug: expected letters, digits and dashes (no '/' or '..'), "
                     f"got {explicit!r}")
            explicit = None
    summary = chk.text(data, "summary")
    fields: dict[str, Any] = dict(
        updated=chk.moment(data, "updated"),
        films=read_films(chk, data),
        tags=read_tags(chk, data),
        epigraph=read_epigraph(chk, data),
        draft=chk.flag(data, "draft"),
        rating=read_rating(chk, data),
        watched=chk.day(data, "watched"),
        rewatch=chk.flag(data, "rewatch"),
        spoilers=chk.flag(data, "spoilers"),
        aliases=read_aliases(chk, data),
    )
    diagnostics = sorted(chk.warnings + chk.problems, key=lambda d: d.line or 0)
    if chk.problems or title is None or when is None:
        return None, diagnostics
    slug = explicit or slug or urls.slugify(title, fallback_seed=rel)
    body = render_post(doc.body, summary=not summary)
    return Post(
        src_path=rel,
        slug=slug,
        title=title,
        date=when,
        body=body.html.encode("utf-8", "surrogatepass"),
        summary_html=_summary_html(summary) if summary else body.summary_html,
        word_count=count_words(text_of(body.html)),
        explicit_slug=explicit is not None,
        key_lines=tuple((str(k[0]), n) for k, n in doc.lines.items() if len(k) == 1),
        **fields,
    ), diagnostics


def read_comments(
    path: Path, rel: str, tz: tzinfo
) -> tuple[tuple[Comment, ...], list[Diagnostic]]:
    """Read one comments file: a YAML list of {author, date, url?, body}."""
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_POST_BYTES:
            return (), [_too_big(raw, rel)]
        data, lines = parse_yaml(decode(raw))
    except FrontMatterError as err:
        return (), [err.diagnostic(rel)]
    doc = Document({}, lines, "", 0)
    if data is None:
        return (), []
    if not isinstance(data, list):
        return (), [Diagnostic(f"expected a list of comments (- author: ...), got {kind(data)}",
                               rel, 1)]
    problems: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    comments = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            problems.append(Diagnostic(f"comment {i + 1}: expected author, date and body, "
                                       f"got {kind(item)}", rel, doc.line(i)))
            continue
        chk = Checker(rel, Document(item, {k[1:]: v for k, v in lines.items() if k[:1] == (i,)},
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
    numbered = tuple(c._replace(number=n) for n, c in enumerate(comments, 1))
    return numbered, warnings + problems


class Content:
    """Everything read from content/: posts with their comments attached."""

    __slots__ = ("posts", "warnings")

    def __init__(self) -> None:
        self.posts: list[Post] = []
        """Every valid post, drafts and future posts included."""
        self.warnings: list[Diagnostic] = []
        """Problems that do not stop the build."""


def post_files(config: SiteConfig) -> list[Path]:
    """Every post file under content/posts/, sorted."""
    root = config.content_dir / "posts"
    if not root.is_dir():
        return []
    found: list[tuple[str, ...]] = []
    _walk_posts(str(root), (), found)
    found.sort()  # by path parts, as Paths sort, without their slow __lt__
    return [root.joinpath(*parts) for parts in found]


def _walk_posts(folder: str, parts: tuple[str, ...], found: list[tuple[str, ...]]) -> None:
    """What rglob("*.md") finds under `folder` that is a file (a link to one counts) and not
    hidden, with a stat only for links: folders linked to are not entered, as with rglob."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                _walk_posts(entry.path, (*parts, entry.name), found)
            elif is_post_name(entry.name) and entry.is_file():
                found.append((*parts, entry.name))


Reader = Callable[[Path, str, SiteConfig, str | None], tuple[Post | None, list[Diagnostic]]]
"""How load_content reads one post file: read_post, or a caching stand-in with its signature."""


def _stem_slug(post: Post, taken: set[str]) -> str:
    """A free slug from the post's file name (its date prefix dropped), numbered if need be."""
    stem = re.sub(r"^\d{4}-\d{2}-\d{2}-", "", PurePosixPath(post.src_path).stem)
    base = urls.slugify(stem, fallback_seed=post.src_path)
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _unique_slugs(config: SiteConfig, result: Content, read: Reader,
                  problems: list[Diagnostic]) -> dict[str, Post]:
    """Give every post its own slug; two explicit `slug:` values that clash are an error.

    When titles give the same slug, the post that set it explicitly, else the oldest, keeps
    it; the others move to a slug from their file name, with a warning.
    """
    groups: dict[str, list[Post]] = {}
    for post in result.posts:
        groups.setdefault(post.slug, []).append(post)
    taken = set(groups)
    by_slug: dict[str, Post] = {}
    for slug, group in sorted(groups.items()):
        group.sort(key=lambda p: (not p.explicit_slug, p.date, p.src_path))
        keeper, others = group[0], group[1:]
        by_slug[slug] = keeper
        for post in others:
            if post.explicit_slug:
                problems.append(Diagnostic(
                    f'slug: expected a slug of its own, but "{slug}" is also used by '
                    f"{keeper.src_path}", post.src_path, post.line("slug"),
                    "give one of them another slug"))
                continue
            new = _stem_slug(post, taken)
            taken.add(new)
            moved, _ = read(config.root / post.src_path, post.src_path, config, new)
            if moved is None:
                continue  # the file changed under us: the next build reads it afresh
            by_slug[new] = moved
            result.warnings.append(Diagnostic(
                f'title gives the slug "{slug}" of {keeper.src_path}: this post is at '
                f"/{moved.url} instead", post.src_path, post.line("title"),
                "set slug: to choose its address", "warning"))
    return by_slug


def missing_posters(config: SiteConfig, posts: list[Post]) -> list[Diagnostic]:
    """A warning for each poster path with no file under static/ (site's or theme's)."""
    roots = (config.static_dir, theme_static())
    warnings = []
    for post in posts:
        for film in post.films:
            poster = film.poster
            if not poster or poster.startswith(("http://", "https://")):
                continue
            rel = poster.lstrip("/")
            if not any((root / rel).is_file() for root in roots):
                key = "films" if len(post.films) > 1 or "films" in dict(post.key_lines) \
                    else "film"
                warnings.append(Diagnostic(
                    f"{key}: poster: expected a file under static/, found no static/{rel}",
                    post.src_path, post.line(key),
                    "the page links it anyway; add the file or fix the path", "warning"))
    return warnings


def load_content(config: SiteConfig, read: Reader = read_post,
                 files: list[tuple[Path, str]] | None = None) -> Content:
    """Read every post and comment file; raise ContentError listing every problem found.

    `files` lists the post files as (path, path from the site folder), when the caller has
    listed them already (post_files)."""
    problems: list[Diagnostic] = []
    result = Content()
    if files is None:
        files = [(path, path.relative_to(config.root).as_posix()) for path in post_files(config)]
    for path, rel in files:
        post, diagnostics = read(path, rel, config, None)
        problems += [d for d in diagnostics if d.severity == "error"]
        result.warnings += [d for d in diagnostics if d.severity == "warning"]
        if post is not None:
            result.posts.append(post)
    by_slug = _unique_slugs(config, result, read, problems)
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
                by_slug[path.stem] = target._replace(comments=comments)
    if problems:
        raise ContentError(problems)
    result.posts = sorted(by_slug.values(), key=lambda p: p.src_path)
    result.warnings += missing_posters(config, result.posts)
    return result
