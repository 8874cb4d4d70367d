"""Turn posts into the site's pages: index, posts, tags, archive, films (pure, no I/O)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from . import urls
from .config import SiteConfig
from .errors import ContentError, Diagnostic
from .model import Film, Post


class Tag(NamedTuple):
    """A tag and the posts that carry it, newest first."""

    name: str
    """The name as the author wrote it (first spelling seen)."""
    slug: str
    """Its URL segment."""
    posts: tuple[Post, ...]
    """Posts with this tag, newest first."""

    @property
    def url(self) -> str:
        """The tag's page."""
        return urls.tag_url(self.slug)


class FilmEntry(NamedTuple):
    """A film in the films index, with every review of it."""

    film: Film
    """The film as its newest review describes it."""
    reviews: tuple[Post, ...]
    """Posts that review it, oldest first (the first viewing, then rewatches)."""
    sort_key: str
    """The title without a leading article, folded, for A–Z order."""

    @property
    def letter(self) -> str:
        """The A–Z heading it files under ("#" for digits and other scripts)."""
        first = self.sort_key[:1].upper()
        return first if "A" <= first <= "Z" else "#"


class Page(NamedTuple):
    """One HTML page to render: where it goes, which template, and what the template gets."""

    url: str
    """Site-relative URL ("" for home, "posts/x/")."""
    template: str
    """Template file name under templates/."""
    title: str
    """The page's own title (the site name is added by the template)."""
    kind: str
    """What the page is: index, post, tags, tag, archive, films, 404 or redirect."""
    vars: Mapping[str, Any] = MappingProxyType({})
    """The template's variables besides `site` and `page`."""
    description: str = ""
    """The meta description ("" means the site's description)."""


class Pager(NamedTuple):
    """Where one page of a paginated list sits among its siblings."""

    number: int
    """1-based page number."""
    total: int
    """How many pages there are."""
    prev_url: str | None
    """The newer page, if any."""
    next_url: str | None
    """The older page, if any."""


class Site(NamedTuple):
    """The whole site as data: what gets published, and every page to render."""

    config: SiteConfig
    """The site's settings."""
    posts: tuple[Post, ...]
    """Published posts, newest first."""
    tags: tuple[Tag, ...]
    """Every tag, A–Z."""
    films: tuple[FilmEntry, ...]
    """Every film reviewed, A–Z."""
    pages: tuple[Page, ...]
    """Every HTML page, in a stable order."""


_ARTICLES = re.compile(
    r"^(the|a|an|le|la|les|l'|l’|el|los|las|il|lo|gli|der|die|das|den|de|het|een)\s*(?<=\s|'|’)",
    re.IGNORECASE,
)


def film_sort_key(title: str) -> str:
    """Fold a title for A–Z order, ignoring a leading article ("The", "A", "Le", ...)."""
    stripped = _ARTICLES.sub("", title.strip(), count=1) or title
    return stripped.casefold()


def newest_first(posts: list[Post]) -> tuple[Post, ...]:
    """Sort posts newest first; ties by slug so the order is stable."""
    return tuple(sorted(posts, key=lambda p: (-p.date.timestamp(), p.slug)))


def published(posts: list[Post], *, drafts: bool, future: bool, now: datetime) -> list[Post]:
    """The posts that go into this build."""
    return [p for p in posts if (drafts or not p.draft) and (future or p.date <= now)]


def publication_span(posts: list[Post], *, drafts: bool, future: bool,
                     now: datetime) -> tuple[datetime | None, datetime | None]:
    """When `published` gives the posts it gives at `now`: from the date of the newest post
    shown (None with `future`: the clock decides nothing) until the first one due (None if
    no post is scheduled)."""
    if future:
        return None, None
    dates = [p.date for p in published(posts, drafts=drafts, future=True, now=now)]
    return (max((d for d in dates if d <= now), default=None),
            min((d for d in dates if d > now), default=None))


def build_tags(posts: tuple[Post, ...]) -> tuple[Tag, ...]:
    """Group posts (given newest first) by tag slug; two spellings of one slug are one tag,
    named as the first post by file name spells it."""
    names: dict[str, str] = {}
    for post in sorted(posts, key=lambda p: p.src_path):
        for name in post.tags:
            names.setdefault(urls.slugify(name), name)
    groups: dict[str, list[Post]] = defaultdict(list)
    for post in posts:  # (so each group is newest first too)
        for name in post.tags:
            group = groups[urls.slugify(name)]
            if not group or group[-1] is not post:  # two spellings in one post: list it once
                group.append(post)
    tags = [Tag(names[s], s, tuple(groups[s])) for s in groups]
    return tuple(sorted(tags, key=lambda t: (t.name.casefold(), t.slug)))


def build_films(posts: tuple[Post, ...]) -> tuple[FilmEntry, ...]:
    """Every film reviewed, keyed by title and year, A–Z ignoring leading articles."""
    groups: dict[tuple[str, int | None], list[Post]] = defaultdict(list)
    latest: dict[tuple[str, int | None], Film] = {}
    for post in sorted(posts, key=lambda p: (p.date, p.slug)):
        for film in post.films:
            key = (film.title.casefold(), film.year)
            groups[key].append(post)
            latest[key] = film
    entries = [FilmEntry(latest[k], tuple(groups[k]), film_sort_key(latest[k].title))
               for k in groups]
    return tuple(sorted(entries, key=lambda e: (e.sort_key, e.film.year or 0, e.film.title)))


def films_by_year(films: tuple[FilmEntry, ...]) -> list[tuple[int | None, list[FilmEntry]]]:
    """Films grouped by year of release, newest year first, unknown years last."""
    years: dict[int | None, list[FilmEntry]] = defaultdict(list)
    for entry in films:
        years[entry.film.year].append(entry)
    known = sorted((y for y in years if y is not None), reverse=True)
    return [(y, years[y]) for y in known] + ([(None, years[None])] if None in years else [])


def directors(film: Film) -> list[str]:
    """The film's directors, one name each ("A, B" and "A & B" name two)."""
    if not film.director:
        return []
    return [name.strip() for name in re.split(r",|&| and ", film.director) if name.strip()]


def films_by_director(films: tuple[FilmEntry, ...]) -> list[tuple[str, list[FilmEntry]]]:
    """Films grouped by director A–Z, each director's films by year."""
    names: dict[str, str] = {}
    groups: dict[str, list[FilmEntry]] = defaultdict(list)
    for entry in films:
        for name in directors(entry.film):
            key = name.casefold()
            names.setdefault(key, name)
            groups[key].append(entry)
    return [(names[k], sorted(groups[k], key=lambda e: (e.film.year or 0, e.sort_key)))
            for k in sorted(groups)]


def diary_years(posts: tuple[Post, ...]) -> list[tuple[int, list[Post]]]:
    """Posts with a watch date, by year watched (newest first), newest viewing first."""
    years: dict[int, list[Post]] = defaultdict(list)
    for post in posts:
        if post.watched is not None:
            years[post.watched.year].append(post)
    return [(y, sorted(years[y], key=lambda p: (p.watched, p.date, p.slug), reverse=True))
            for y in sorted(years, reverse=True)]


def film_pages(config: SiteConfig, posts: tuple[Post, ...],
               films: tuple[FilmEntry, ...]) -> list[Page]:
    """The films index, its by-year and by-director views, and the diary pages."""
    about = config.title
    pages = [
        Page(urls.FILMS, "films.html", "Films", "films", {"films": films},
             f"Every film reviewed on {about}, A–Z."),
        Page(urls.FILMS_BY_YEAR, "films_by_year.html", "Films by year", "films",
             {"films": films, "years": films_by_year(films)},
             f"Every film reviewed on {about}, by year of release."),
        Page(urls.FILMS_BY_DIRECTOR, "films_by_director.html", "Films by director", "films",
             {"films": films, "directors": films_by_director(films)},
             f"Every film reviewed on {about}, by director."),
    ]
    years = diary_years(posts)
    pages.append(Page(urls.DIARY, "diary.html", "Diary", "diary", {"years": years},
                      f"The films reviewed on {about}, by the date they were watched."))
    for year, entries in years:
        pages.append(Page(urls.diary_year_url(year), "diary_year.html",
                          f"Films watched in {year}", "diary",
                          {"year": year, "entries": entries, "years": years},
                          f"The {len(entries)} film review{'s' if len(entries) != 1 else ''} "
                          f"of films watched in {year}, on {about}."))
    return pages


def archive_groups(posts: tuple[Post, ...]) -> list[tuple[int, list[tuple[int, list[Post]]]]]:
    """Posts grouped by year, then month, newest first."""
    years: dict[int, dict[int, list[Post]]] = defaultdict(lambda: defaultdict(list))
    for post in posts:
        years[post.date.year][post.date.month].append(post)
    return [(y, [(m, years[y][m]) for m in sorted(years[y], reverse=True)])
            for y in sorted(years, reverse=True)]


def paginate(posts: tuple[Post, ...], per_page: int) -> list[tuple[Pager, tuple[Post, ...]]]:
    """Split posts into index pages; there is always at least one page."""
    chunks = [posts[i : i + per_page] for i in range(0, len(posts), per_page)] or [()]
    total = len(chunks)
    return [
        (Pager(n, total, urls.index_url(n - 1) if n > 1 else None,
               urls.index_url(n + 1) if n < total else None), chunk)
        for n, chunk in enumerate(chunks, 1)
    ]


def build_site(config: SiteConfig, posts: list[Post], *, drafts: bool = False,
               future: bool = False, now: datetime) -> Site:
    """Model the whole site from every post read."""
    shown = newest_first(published(posts, drafts=drafts, future=future, now=now))
    tags = build_tags(shown)
    films = build_films(shown)
    pages: list[Page] = []
    for pager, chunk in paginate(shown, config.posts_per_page):
        title = "Home" if pager.number == 1 else f"Page {pager.number}"
        pages.append(Page(urls.index_url(pager.number), "index.html", title, "index",
                          {"posts": chunk, "pager": pager}))
    for i, post in enumerate(shown):
        newer = shown[i - 1] if i > 0 else None
        older = shown[i + 1] if i + 1 < len(shown) else None
        pages.append(post_page(post, newer, older))
    pages.append(Page(urls.TAGS, "tags.html", "Tags", "tags", {"tags": tags},
                      f"Every tag on {config.title}."))
    for tag in tags:
        pages.append(Page(tag.url, "tag.html", f"Posts tagged “{tag.name}”", "tag",
                          {"tag": tag, "posts": tag.posts},
                          f"{len(tag.posts)} post{'s' if len(tag.posts) != 1 else ''} tagged "
                          f"“{tag.name}” on {config.title}."))
    pages.append(Page(urls.ARCHIVE, "archive.html", "Archive", "archive",
                      {"years": archive_groups(shown)}, f"Every post on {config.title}, by month."))
    pages += film_pages(config, shown, films)
    pages.append(Page(urls.NOT_FOUND, "404.html", "Page not found", "404", {}))
    taken = {p.url for p in pages} | {urls.tag_feed_url(tag.slug) for tag in tags}
    pages += redirect_pages(shown, taken)
    return Site(config, shown, tags, films, tuple(pages))


def post_page(post: Post, newer: Post | None, older: Post | None) -> Page:
    """A post's own page, between its newer and older neighbours."""
    return Page(post.url, "post.html", post.title, "post",
                {"post": post, "newer": newer, "older": older})


def redirect_pages(posts: tuple[Post, ...], taken: set[str]) -> list[Page]:
    """A redirect page at each post's old addresses; an address claimed twice is an error."""
    owners: dict[str, Post] = {}
    problems = []
    for post in sorted(posts, key=lambda p: p.src_path):
        for alias in post.aliases:
            other = owners.get(alias)
            if alias in taken or other is not None:
                what = f"the post {other.src_path}" if other else "a page of the site"
                problems.append(Diagnostic(
                    f'aliases: "/{alias}" is already used by {what}', post.src_path,
                    post.line("aliases"), "remove it from aliases"))
            owners[alias] = post
    if problems:
        raise ContentError(problems)
    return [Page(alias, "redirect.html", post.title, "redirect", {"target": post})
            for alias, post in sorted(owners.items())]
