"""The content model: Post, Film, Epigraph, Comment (immutable, validated, ready to render).

The value records here and in every module a one-post rebuild imports are typed NamedTuples,
not frozen dataclasses: Python 3.11 writes and compiles up to six methods for each dataclass
as its module is imported (about 1 ms a class; 15 ms of a 130 ms rebuild, measured). A
NamedTuple is made in a third of that and is as immutable, comparable, hashable and
picklable; unlike a dataclass it is also a tuple, so no code here iterates, indexes or orders
records, and the page keys (keys.py) fingerprint them field by field, by type."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import NamedTuple

from . import urls
from .markdown import absolute_links, plain_text

WORDS_PER_MINUTE = 230


class Film(NamedTuple):
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


class Epigraph(NamedTuple):
    """A line quoted at the head of a post, and where it comes from."""

    text: str
    """The quotation."""
    source: str | None = None
    """The work or person it is from."""


class Comment(NamedTuple):
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


class Post(NamedTuple):
    """One review or essay, validated and rendered to HTML."""

    src_path: str
    """The source file, relative to the site folder (posix)."""
    slug: str
    """The last segment of the post's URL."""
    title: str
    """The post's title."""
    date: datetime
    """Publication date (time-zone aware)."""
    body: bytes
    """The body rendered for the post page, in UTF-8 (body_html): a str would take two or four
    bytes a character as soon as the text has a curly quote or an emoji, and the bodies are
    most of the memory a build takes."""
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
    """Words in the body, for the reading time (each CJK character counts as half a word)."""
    explicit_slug: bool = False
    """True if the front matter sets `slug:`: a clash is then an error, not renamed."""
    key_lines: tuple[tuple[str, int], ...] = ()
    """The line of each top-level front-matter key, for messages raised after reading."""

    def line(self, key: str) -> int:
        """The line of a front-matter key in the source file (1 if absent)."""
        return dict(self.key_lines).get(key, 1)

    @property
    def body_html(self) -> str:
        """The body rendered for the post page."""
        return self.body.decode("utf-8", "surrogatepass")

    @property
    def url(self) -> str:
        """The post's site-relative URL."""
        return urls.post_url(self.slug)

    def feed_html(self, base_url: str) -> str:
        """The body with every link and image made absolute, for feeds."""
        return absolute_links(self.body_html, base_url + self.url)

    @property
    def film(self) -> Film | None:
        """The first film reviewed, if any."""
        return self.films[0] if self.films else None

    @property
    def description(self) -> str:
        """The summary as plain text, for meta descriptions."""
        return plain_text(self.summary_html)

    @property
    def reading_minutes(self) -> int:
        """Minutes to read the body at 230 words a minute, at least 1."""
        return max(1, round(self.word_count / WORDS_PER_MINUTE))
