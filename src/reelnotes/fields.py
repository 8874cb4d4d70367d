"""Typed checks of front-matter values: each problem pinned to its file, line and key."""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo
from typing import Any

from . import urls
from .errors import Diagnostic, did_you_mean
from .frontmatter import Document
from .model import Epigraph, Film

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
MIN_YEAR, MAX_YEAR = 1000, 9000


class Checker:
    """Collects problems for one file while reading typed values out of its front matter."""

    def __init__(self, path: str, doc: Document, tz: tzinfo) -> None:
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
            self.fail(where + (key,), f"{label}: expected text, got {kind(value)}",
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


def kind(value: Any) -> str:
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


def parse_moment(value: Any, tz: tzinfo) -> datetime:
    """Parse YYYY-MM-DD or ISO 8601 date-time text; a date alone is midnight in `tz`."""
    if not isinstance(value, str):
        raise ValueError(f"expected YYYY-MM-DD, got {kind(value)}")
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


def read_films(chk: Checker, data: dict[str, Any]) -> tuple[Film, ...]:
    """The films a post reviews: `film` (a title or a mapping) or `films` (a list of them)."""
    if "film" in data and "films" in data:
        chk.fail(("films",), "films: expected either film or films, got both")
        return ()
    if "film" in data:
        raw, key, many = data["film"], "film", False
    elif "films" in data:
        raw, key, many = data["films"], "films", True
        if not isinstance(raw, list):
            chk.fail(("films",), f"films: expected a list of films, got {kind(raw)}")
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
                     f"{kind(item)}")
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
    chk: Checker, item: dict[str, Any], where: tuple[str, ...]
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


def read_tags(chk: Checker, data: dict[str, Any]) -> tuple[str, ...]:
    raw = data.get("tags")
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [t for t in (part.strip() for part in raw.split(",")) if t]
    if not isinstance(raw, list):
        chk.fail(("tags",), f"tags: expected a list or \"a, b, c\", got {kind(raw)}")
        return ()
    tags: list[str] = []
    for i, tag in enumerate(raw):
        if not isinstance(tag, str) or not tag.strip():
            chk.fail(("tags", i), f"tags: expected each tag to be text, got {kind(tag)}",
                     "put it in quotes" if isinstance(tag, (int, float)) else None)
        elif tag.strip() not in tags:
            tags.append(tag.strip())
    return tuple(tags)


def read_epigraph(chk: Checker, data: dict[str, Any]) -> Epigraph | None:
    raw = data.get("epigraph")
    if raw is None:
        return None
    if isinstance(raw, str):
        return Epigraph(raw.strip()) if raw.strip() else None
    if not isinstance(raw, dict):
        chk.fail(("epigraph",), f"epigraph: expected text or {{text, source}}, got {kind(raw)}")
        return None
    chk.unknown_keys(raw, frozenset({"text", "source"}), ("epigraph",))
    text = chk.text(raw, "text", ("epigraph",), required=True)
    source = chk.text(raw, "source", ("epigraph",))
    return Epigraph(text, source) if text else None


def read_rating(chk: Checker, data: dict[str, Any]) -> float | None:
    value = data.get("rating")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 5 \
            or value * 2 != int(value * 2):
        chk.fail(("rating",), f"rating: expected 0 to 5 in steps of 0.5, got {value!r}")
        return None
    return float(value)


def read_aliases(chk: Checker, data: dict[str, Any]) -> tuple[str, ...]:
    raw = data.get("aliases")
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        chk.fail(("aliases",), f"aliases: expected a list of old addresses, got {kind(raw)}")
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
