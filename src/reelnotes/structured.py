"""What a page tells machines: meta description, Open Graph, Twitter card and schema.org JSON-LD."""

from __future__ import annotations

from typing import Any, NamedTuple

from .config import SiteConfig
from .images import Poster, poster
from .model import Film, Post
from .site import Page, directors

SAME_AS = {
    "imdb": "https://www.imdb.com/title/{}/",
    "tmdb": "https://www.themoviedb.org/movie/{}",
    "wikidata": "https://www.wikidata.org/wiki/{}",
    "letterboxd": "https://letterboxd.com/film/{}/",
}
BEST_RATING, WORST_RATING = 5, 0


class HeadMeta(NamedTuple):
    """Everything the <head> of one page says about it."""

    title: str
    """The page's own title, without the site name."""
    description: str
    """One or two sentences of plain text."""
    canonical: str
    """The page's absolute URL."""
    og_type: str
    """"article" for posts, else "website"."""
    image: str | None
    """Absolute URL of the image to show when shared (the poster), if any."""
    properties: tuple[tuple[str, str], ...]
    """Extra (property, content) pairs: article times and tags."""
    json_ld: dict[str, Any] | None
    """schema.org data for posts."""

    @property
    def twitter_card(self) -> str:
        """The large card when there is a picture to show."""
        return "summary_large_image" if self.image else "summary"


def clip(text: str, limit: int = 300) -> str:
    """Shorten text to at most `limit` characters at a word boundary."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def absolute(config: SiteConfig, url: str) -> str:
    """A site-relative or absolute URL made absolute."""
    return url if url.startswith(("http://", "https://")) else config.base_url + url


def first_poster(post: Post, config: SiteConfig) -> Poster | None:
    """The poster of the first reviewed film that has one."""
    for film in post.films:
        found = poster(film, config)
        if found:
            return found
    return None


def movie(film: Film, config: SiteConfig) -> dict[str, Any]:
    """A schema.org Movie for one film."""
    data: dict[str, Any] = {"@type": "Movie", "name": film.title}
    names = directors(film)
    if names:
        people = [{"@type": "Person", "name": name} for name in names]
        data["director"] = people[0] if len(people) == 1 else people
    if film.year:
        data["dateCreated"] = str(film.year)
    if film.original_title:
        data["alternateName"] = film.original_title
    if film.country:
        data["countryOfOrigin"] = [{"@type": "Country", "name": c.strip()}
                                   for c in film.country.split(",") if c.strip()]
    if film.runtime:
        data["duration"] = f"PT{film.runtime}M"
    same_as = [SAME_AS[name].format(value) for name, value in film.ids if name in SAME_AS]
    if same_as:
        data["sameAs"] = same_as
    found = poster(film, config)
    if found:
        data["image"] = absolute(config, found.url)
    return data


def post_json_ld(post: Post, config: SiteConfig, description: str) -> dict[str, Any]:
    """A Review of the post's films (a BlogPosting for an essay), spoiler-free; `description`
    is the post's (Post.description, which each use would compute again)."""
    url = config.base_url + post.url
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Review" if post.films else "BlogPosting",
        "@id": url + "#review",
        "url": url,
        "mainEntityOfPage": url,
        "headline": post.title,
        "name": post.title,
        "datePublished": post.date.isoformat(),
        "inLanguage": config.language,
        "commentCount": len(post.comments),
        "author": {"@type": "Person", "name": config.author or config.title,
                   "url": config.base_url},
        "publisher": {"@type": "Organization", "name": config.title, "url": config.base_url},
    }
    if not post.films:
        data["wordCount"] = post.word_count  # an Article property: a Review has none
    if description:
        data["description"] = description
    if post.updated:
        data["dateModified"] = post.updated.isoformat()
    if post.tags:
        data["keywords"] = ", ".join(post.tags)
    if post.films:
        movies = [movie(film, config) for film in post.films]
        data["itemReviewed"] = movies[0] if len(movies) == 1 else movies
    if post.rating is not None and post.films:
        data["reviewRating"] = {"@type": "Rating", "ratingValue": post.rating,
                                "bestRating": BEST_RATING, "worstRating": WORST_RATING}
    if post.comments:
        data["comment"] = [{"@type": "Comment", "url": f"{url}#comment-{c.number}",
                            "dateCreated": c.date.isoformat(),
                            "author": {"@type": "Person", "name": c.author}}
                           for c in post.comments]
    return data


def head_meta(page: Page, config: SiteConfig) -> HeadMeta:
    """The head of any page: a post's summary and poster, or the page's own description."""
    canonical = config.base_url + page.url
    post = page.vars.get("post") if page.kind == "post" else None
    if not isinstance(post, Post):
        description = page.description or config.description or config.title
        return HeadMeta(page.title, clip(description), canonical, "website", None, (), None)
    found = first_poster(post, config)
    props = [("article:published_time", post.date.isoformat())]
    if post.updated:
        props.append(("article:modified_time", post.updated.isoformat()))
    props += [("article:tag", tag) for tag in post.tags]
    summary = post.description
    return HeadMeta(post.title, clip(summary or config.description or config.title), canonical,
                    "article", absolute(config, found.url) if found else None, tuple(props),
                    post_json_ld(post, config, summary))
