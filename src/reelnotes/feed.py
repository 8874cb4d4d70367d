"""The RSS feeds (site and per tag), sitemap and robots.txt, as strings with absolute URLs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape

from . import urls
from .model import Post
from .site import Site, Tag

FEED_SIZE = 20
# Characters XML 1.0 forbids, and bidi controls that could disguise text.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


# These helpers write what xml.sax.saxutils and email.utils would, byte for byte: importing
# those loads urllib.request, http.client, ssl and email, some 15 ms at every start.
def xml_text(value: str) -> str:
    """Escape text for XML (&, < and >), dropping characters XML cannot carry."""
    return escape(_FORBIDDEN.sub("", value), quote=False)


def xml_attr(value: str) -> str:
    """Escape and quote an attribute value, as xml.sax.saxutils.quoteattr does."""
    value = escape(value, quote=False).replace("\n", "&#10;").replace("\r", "&#13;")
    value = value.replace("\t", "&#9;")
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', "&quot;") + '"'


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc822(moment: datetime) -> str:
    """An RFC 822 date for RSS, in GMT, independent of the locale (as
    email.utils.format_datetime writes it with usegmt)."""
    t = moment.astimezone(UTC)
    return (f"{_DAYS[t.weekday()]}, {t.day:02d} {_MONTHS[t.month - 1]} {t.year:04d} "
            f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} GMT")


Items = dict[str, list[str]]
"""Each post's RSS item by its URL: a post is in the site's feed and its tags' feeds alike."""


def rss(site: Site, now: datetime, items: Items | None = None) -> str:
    """RSS 2.0 with the 20 newest posts: summary as description, full HTML as content:encoded.
    `items` keeps the items made, for the next feed."""
    config = site.config
    return _rss(site, site.posts, config.title, config.description or config.title,
                urls.FEED, urls.INDEX, now, {} if items is None else items)


def tag_rss(site: Site, tag: Tag, now: datetime, items: Items | None = None) -> str:
    """RSS 2.0 with the 20 newest posts of one tag."""
    config = site.config
    return _rss(site, tag.posts, f"{config.title}: {tag.name}",
                f"Posts tagged “{tag.name}” on {config.title}", urls.tag_feed_url(tag.slug),
                tag.url, now, {} if items is None else items)


def _rss(site: Site, all_posts: tuple[Post, ...], title: str, description: str, self_url: str,
         home_url: str, now: datetime, items: Items) -> str:
    config = site.config
    feed_url = config.base_url + self_url
    posts = all_posts[:FEED_SIZE]
    built = posts[0].updated or posts[0].date if posts else now
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "<channel>",
        f"<title>{xml_text(title)}</title>",
        f"<link>{xml_text(config.base_url + home_url)}</link>",
        f"<description>{xml_text(description)}</description>",
        f"<language>{xml_text(config.language)}</language>",
        f"<lastBuildDate>{rfc822(built)}</lastBuildDate>",
        f"<atom:link href={xml_attr(feed_url)} rel=\"self\" type=\"application/rss+xml\"/>",
        "<generator>reelnotes</generator>",
    ]
    for post in posts:
        out += _item(site, post, items)
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


def splice_rss(text: str, site: Site, posts: Iterable[Post], items: Items) -> str | None:
    """An RSS feed `rss` or `tag_rss` made, with the items of `posts` made anew (kept in
    `items`, for the next feed): what those make of the same posts once these changed in
    their bodies alone (the title and link that open an item, and its place, are their
    cards'). None if an item is not there."""
    for post in posts:
        item = _item(site, post, items)
        start = text.find("\n".join(item[:4]) + "\n")  # <item>, title, link, guid
        end = text.find("\n</item>", start)  # (escaped, no text holds "</item>")
        if start < 0 or end < 0:
            return None
        text = text[:start] + "\n".join(item) + text[end + len("\n</item>"):]
    return text


def _item(site: Site, post: Post, items: Items) -> list[str]:
    """The lines of the RSS item of `post`, made once for all the feeds that carry it."""
    item = items.get(post.url)
    if item is None:
        item = items[post.url] = _rss_item(site, post)
    return item


def _rss_item(site: Site, post: Post) -> list[str]:
    config = site.config
    link = config.base_url + post.url
    out = [
        "<item>",
        f"<title>{xml_text(post.title)}</title>",
        f"<link>{xml_text(link)}</link>",
        f'<guid isPermaLink="true">{xml_text(link)}</guid>',
        f"<pubDate>{rfc822(post.date)}</pubDate>",
    ]
    if config.author:
        out.append(f"<dc:creator>{xml_text(config.author)}</dc:creator>")
    out += [f"<category>{xml_text(tag)}</category>" for tag in post.tags]
    out += [
        f"<description>{xml_text(post.summary_html)}</description>",
        f"<content:encoded>{xml_text(post.feed_html(config.base_url))}</content:encoded>",
        "</item>",
    ]
    return out


def sitemap(site: Site) -> str:
    """sitemaps.org XML listing every page a search engine should index."""
    base = site.config.base_url
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in site.pages:
        if page.kind in ("404", "redirect"):
            continue
        out.append(f"<url><loc>{xml_text(base + page.url)}</loc>")
        post = page.vars.get("post") if page.kind == "post" else None
        if post is not None:
            out.append(f"<lastmod>{(post.updated or post.date).date().isoformat()}</lastmod>")
        out.append("</url>")
    out += ["</urlset>", ""]
    return "\n".join(out)


def robots(site: Site) -> str:
    """robots.txt allowing everything and naming the sitemap."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.config.base_url}{urls.SITEMAP}\n"


Feed = tuple[str, tuple[str, ...]]
"""A feed: its output file, and the source file of each post it carries, newest first."""


def feeds(site: Site) -> tuple[Feed, ...]:
    """Every feed (build.generated_files), RSS and JSON: its output file, and the source file
    of each post it carries."""
    shown = tuple(post.src_path for post in site.posts[:FEED_SIZE])
    return ((urls.FEED, shown), (urls.JSON_FEED, shown), *(
        (urls.tag_feed_url(tag.slug), tuple(post.src_path for post in tag.posts[:FEED_SIZE]))
        for tag in site.tags))
