"""The one place that decides where things live: site-relative URLs and output paths.

A site-relative URL has no leading slash ("posts/x/", "" for the home page); templates turn it
into a link with the base path ("/blog/posts/x/"), feeds into an absolute URL.
"""

from __future__ import annotations

import hashlib
import re

from slugify import slugify as _slugify

INDEX = ""
TAGS = "tags/"
ARCHIVE = "archive/"
FILMS = "films/"
FEED = "feed.xml"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
NOT_FOUND = "404.html"
REDIRECTS = "_redirects"
RESERVED = frozenset({"index.html", FEED, SITEMAP, ROBOTS, NOT_FOUND, REDIRECTS})
"""Files every build writes at the top: no alias may claim them."""

_SAFE_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*")


def slugify(text: str, fallback_seed: str = "") -> str:
    """A readable, non-empty, URL-safe slug: any script transliterated to ASCII."""
    slug = _slugify(text, max_length=80, word_boundary=True)
    if slug:
        return slug
    seed = fallback_seed or text
    return "x-" + hashlib.sha1(seed.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def is_safe_slug(slug: str) -> bool:
    """True if `slug` can stand as one path segment: no "/", "..", spaces or leading dot."""
    return bool(_SAFE_SLUG.fullmatch(slug)) and ".." not in slug and len(slug) <= 200


def post_url(slug: str) -> str:
    """Where a post lives."""
    return f"posts/{slug}/"


def tag_url(tag_slug: str) -> str:
    """Where the posts of one tag are listed."""
    return f"tags/{tag_slug}/"


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
