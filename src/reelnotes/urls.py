"""The one place that decides where things live: site-relative URLs and output paths.

A site-relative URL has no leading slash ("posts/x/", "" for the home page); templates turn it
into a link with the base path ("/blog/posts/x/"), feeds into an absolute URL.
"""

from __future__ import annotations

import functools
import hashlib
import re

INDEX = ""
TAGS = "tags/"
ARCHIVE = "archive/"
FILMS = "films/"
FILMS_BY_YEAR = "films/by-year/"
FILMS_BY_DIRECTOR = "films/by-director/"
DIARY = "diary/"
FEED = "feed.xml"
JSON_FEED = "feed.json"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
NOT_FOUND = "404.html"
REDIRECTS = "_redirects"
RESERVED = frozenset({"index.html", FEED, JSON_FEED, SITEMAP, ROBOTS, NOT_FOUND, REDIRECTS})
"""Files every build writes at the top: no alias may claim them."""

_SAFE_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*")


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_SLUGIFY_SPECIAL = frozenset("'&,")
"""What python-slugify treats otherwise than as a separator in ASCII text: quotes, entities
("&amp;"), thousands separators ("1,000")."""


@functools.lru_cache(maxsize=8192)  # pure, and called for every tag on every page
def slugify(text: str, fallback_seed: str = "") -> str:
    """A readable, non-empty, URL-safe slug: any script transliterated to ASCII."""
    if text.isascii() and _SLUGIFY_SPECIAL.isdisjoint(text):
        # python-slugify's own result for such text, without importing it (~5 ms, which is
        # much of a one-post rebuild): lower case, each run of other characters one dash
        slug = _NOT_ALNUM.sub("-", text.lower()).strip("-")
        if len(slug) >= 80:  # (it would truncate at a word boundary)
            slug = _python_slugify(text)
    else:
        slug = _python_slugify(text)
    if slug:
        return slug
    seed = fallback_seed or text
    return "x-" + hashlib.sha1(seed.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _python_slugify(text: str) -> str:
    """python-slugify's slug of `text` (its legacy algorithm), at most 80 characters."""
    from slugify import slugify as library_slugify

    return library_slugify(text, max_length=80, word_boundary=True)


def is_safe_slug(slug: str) -> bool:
    """True if `slug` can stand as one path segment: no "/", "..", spaces or leading dot."""
    return bool(_SAFE_SLUG.fullmatch(slug)) and ".." not in slug and len(slug) <= 200


def post_url(slug: str) -> str:
    """Where a post lives."""
    return f"posts/{slug}/"


def tag_url(tag_slug: str) -> str:
    """Where the posts of one tag are listed."""
    return f"tags/{tag_slug}/"


def tag_feed_url(tag_slug: str) -> str:
    """The RSS feed of one tag."""
    return f"tags/{tag_slug}/feed.xml"


def diary_year_url(year: int) -> str:
    """The films watched in one year."""
    return f"diary/{year}/"


def index_url(page: int) -> str:
    """The n-th page (1-based) of the home index."""
    return INDEX if page == 1 else f"page/{page}/"


def dest_path(url: str) -> str:
    """The output file for a site-relative URL: "posts/x/" -> "posts/x/index.html"."""
    if url == "" or url.endswith("/"):
        return url + "index.html"
    return url


def alias_url(path: str) -> str | None:
    """Normalise an old address such as "/2013/04/09/slug/" to a site-relative URL, or None."""
    path = path.strip()
    if not path.startswith("/") or "?" in path or "#" in path or "\\" in path:
        return None
    parts = [p for p in path.split("/") if p]
    if not parts or any(p in (".", "..") or not re.fullmatch(r"[\w.~%+-]+", p) for p in parts):
        return None
    last = parts[-1]
    url = "/".join(parts)
    return url if "." in last and not path.endswith("/") else url + "/"
