"""A small film blog exercising every film-aware feature, for the page, feed and HTML tests."""

from __future__ import annotations

import struct
import zlib

from conftest import Site

XSS = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'


def png(width: int, height: int, rgb: tuple[int, int, int] = (138, 43, 14)) -> bytes:
    """A real, solid-colour PNG of the given size."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw)
            + chunk(b"IEND", b""))


REVIEW = """\
---
title: "Leaving home, twice"
date: 2014-03-02
updated: 2014-03-05
films:
  - title: The Road Home
    original_title: 我的父亲母亲
    year: 1999
    director: Zhang Yimou
    country: China
    runtime: 89
    poster: images/road-home.png
    ids: {imdb: tt0235060, wikidata: Q1140491}
rating: 4.5
watched: 2013-12-30
rewatch: true
spoilers: true
tags: [drama, china]
epigraph:
  text: A road is a promise.
  source: An old saying
---
The village waits for the teacher, and the film waits with it.[^1]

<!--spoilers-->

SECRET-ENDING: the son carries the coffin on foot, all the way home.

[^1]: Seen on a restored print.
"""

ESSAY = """\
---
title: "On watching slowly"
date: 2015-01-10
tags: [essay]
---
Some thoughts with no film in particular. 慢慢看电影，是一种习惯。
"""

DUO = """\
---
title: "Two by Chantal Akerman"
date: 2013-06-01
films:
  - title: Jeanne Dielman
    year: 1975
    director: Chantal Akerman
  - title: News from Home
    year: 1977
    director: Chantal Akerman
watched: 2013-05-20
tags: [drama, {tag}]
---
A double bill.
"""

COMMENTS = """\
- author: "<b>Mallory</b>"
  date: 2014-03-03
  body: "</script><script>alert(2)</script> nice <img src=x onerror=alert(3)>"
- author: Ann
  date: 2014-03-04
  url: https://ann.example/
  body: Agreed.
"""


def make_film_site(site: Site, *, xss: bool = False) -> Site:
    """Write the film blog into `site` (with a hostile title and tag when `xss`)."""
    site.write("reelnotes.toml", 'title = "Test Notes"\nauthor = "Tester"\n'
               'description = "A test blog."\nbase_url = "https://example.org/"\n'
               'comments_email = "notes@example.org"\nlanguage = "en-GB"\n')
    site.write("static/images/road-home.png", png(40, 60))
    site.post("review", REVIEW)
    site.post("essay", ESSAY)
    site.post("duo", DUO.replace("{tag}", repr(XSS) if xss else "akerman"))
    site.write("content/comments/leaving-home-twice.yml", COMMENTS)
    if xss:
        site.post("xss", f"---\ntitle: {XSS!r}\nslug: xss\ndate: 2016-01-01\n"
                  f"film:\n  title: {XSS!r}\n  director: {XSS!r}\nrating: 3\n---\n"
                  f"Body {XSS.replace('<', '&lt;')}\n")
        site.write("content/comments/xss.yml", COMMENTS)
    return site
