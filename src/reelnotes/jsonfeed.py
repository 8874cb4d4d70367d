"""The JSON Feed (version 1.1), with each review's film in a `_reelnotes` extension."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from . import urls
from .feed import FEED_SIZE
from .markdown import plain_text
from .model import Post
from .site import Site
from .structured import absolute, first_poster

VERSION = "https://jsonfeed.org/version/1.1"


def _film_fields(post: Post) -> dict[str, Any] | None:
    """The `_reelnotes` extension: the films, the rating, when and how they were watched."""
    if not post.films and post.rating is None and post.watched is None:
        return None
    films = []
    for film in post.films:
        data: dict[str, Any] = {"title": film.title}
        for key in ("year", "director", "original_title", "country", "runtime"):
            value = getattr(film, key)
            if value is not None:
                data[key] = value
        if film.ids:
            data["ids"] = dict(film.ids)
        films.append(data)
    # The first film's title, year and director at the top, for readers that want one film.
    ext: dict[str, Any] = {k: films[0][k] for k in ("title", "year", "director")
                           if films and k in films[0]}
    ext.update(films=films, rewatch=post.rewatch, spoilers=post.spoilers)
    if post.rating is not None:
        ext["rating"] = post.rating
        ext["rating_scale"] = 5
    if post.watched is not None:
        ext["watched"] = post.watched.isoformat()
    return ext


def item(site: Site, post: Post) -> dict[str, Any]:
    """The JSON Feed item of `post`."""
    config = site.config
    link = config.base_url + post.url
    item: dict[str, Any] = {
        "id": link,
        "url": link,
        "title": post.title,
        "content_html": post.feed_html(config.base_url),
        "date_published": post.date.isoformat(),
        "language": config.language,
    }
    summary = plain_text(post.summary_html)
    if summary:
        item["summary"] = summary
    if post.updated:
        item["date_modified"] = post.updated.isoformat()
    if post.tags:
        item["tags"] = list(post.tags)
    if config.author:
        item["authors"] = [{"name": config.author}]
    found = first_poster(post, config)
    if found:
        item["image"] = absolute(config, found.url)
    ext = _film_fields(post)
    if ext is not None:
        item["_reelnotes"] = ext
    return item


def json_feed(site: Site) -> str:
    """A JSON Feed 1.1 document with the 20 newest posts."""
    config = site.config
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": config.title,
        "home_page_url": config.base_url,
        "feed_url": config.base_url + urls.JSON_FEED,
        "language": config.language,
        "favicon": config.base_url + "favicon.svg",
        "items": [item(site, post) for post in site.posts[:FEED_SIZE]],
    }
    if config.description:
        feed["description"] = config.description
    if config.author:
        feed["authors"] = [{"name": config.author, "url": config.base_url}]
    return _dump(feed)


def splice(text: str, items: Iterable[dict[str, Any]]) -> str | None:
    """A feed `json_feed` made, with `items` (item's) in place of its own for the same posts:
    what it makes of the same posts once these changed in their bodies alone (an item's id
    is its post's link, and its place its card's). None if an item is not there."""
    feed = json.loads(text)
    where = {old["id"]: i for i, old in enumerate(feed["items"])}
    for new in items:
        if new["id"] not in where:
            return None
        feed["items"][where[new["id"]]] = new
    return _dump(feed)


def _dump(feed: dict[str, Any]) -> str:
    """The feed as JSON text, compact: Python's C encoder writes that, its own Python code an
    indented one (~3 × slower: a patch of the newest post spent a millisecond there)."""
    return json.dumps(feed, ensure_ascii=False, separators=(",", ":")) + "\n"
