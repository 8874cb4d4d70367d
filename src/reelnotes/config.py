"""Read reelnotes.toml into a frozen SiteConfig, reporting every problem at once."""

from __future__ import annotations

import os
import pickle
import re
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .errors import ConfigError, Diagnostic, did_you_mean
from .scanner import CACHE_DIR as CACHE_DIR  # (defined there: the command reads it first)

CONFIG_NAME = "reelnotes.toml"


class SiteConfig(NamedTuple):
    """The settings of one site, validated."""

    root: Path
    """The site folder: holds content/, templates/, static/ and reelnotes.toml."""
    title: str = "Film notes"
    """The site's name, shown in every page's header and the feed."""
    author: str = ""
    """The author's name, for the feed, the footer and structured data."""
    description: str = ""
    """One sentence about the blog, for the index page and the feed."""
    base_url: str = "http://127.0.0.1:8000/"
    """Absolute URL of the site's root, ending in "/"; may have a path such as /blog/."""
    language: str = "en"
    """BCP 47 language tag of the content."""
    posts_per_page: int = 10
    """How many posts an index page lists."""
    timezone: str = "UTC"
    """IANA time zone; a date without a time means midnight there."""
    comments_email: str = ""
    """Where readers reply to a post by email; empty for no link."""
    extra: tuple[tuple[str, Any], ...] = ()
    """Keys under [extra], handed to templates as `site.extra`."""

    @property
    def base_path(self) -> str:
        """The path part of base_url, e.g. "/" or "/blog/"."""
        return urlsplit(self.base_url).path or "/"

    @property
    def tz(self) -> tzinfo:
        """The site's time zone (UTC, the default, without loading the time zone database:
        zoneinfo takes ~4 ms to import, a twentieth of a one-post rebuild)."""
        if self.timezone == "UTC":
            return UTC
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    @property
    def content_dir(self) -> Path:
        """content/ under the site folder."""
        return self.root / "content"

    @property
    def templates_dir(self) -> Path:
        """templates/ under the site folder."""
        return self.root / "templates"

    @property
    def static_dir(self) -> Path:
        """static/ under the site folder."""
        return self.root / "static"

    def with_base_url(self, base_url: str) -> SiteConfig:
        """Return a copy with another base URL (checked like the file's)."""
        problems: list[Diagnostic] = []
        url = _check_base_url(base_url, "--base-url", None, problems)
        if problems:
            raise ConfigError(problems)
        return self._replace(base_url=url)


_KEYS = set(SiteConfig._fields) - {"root", "extra"} | {"extra"}


def _key_lines(text: str) -> dict[str, int]:
    """The line where each `key = ...` is first set, for messages (one pass, no pattern to
    compile per key: a build reads the config every time)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), 1):
        key, equals, _ = line.lstrip(" \t").partition("=")
        if equals:
            lines.setdefault(key.rstrip(" \t"), number)
    return lines


def _check_base_url(value: str, path: str, line: int | None, problems: list[Diagnostic]) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(
            Diagnostic(
                f'base_url: expected an absolute http(s) URL such as "https://example.org/", '
                f'got "{value}"',
                path,
                line,
            )
        )
        return value
    if any(c.isspace() or c in '"<>\\^`{|}' for c in value):  # (no pattern to compile)
        problems.append(
            Diagnostic(f"base_url: expected no spaces, quotes or brackets, got {value!r}",
                       path, line, "percent-encode them, e.g. %20 for a space")
        )
    if parts.query or parts.fragment:
        problems.append(
            Diagnostic(f'base_url: expected no query or fragment, got "{value}"', path, line)
        )
    return value if value.endswith("/") else value + "/"


def load_config(root: Path, *, keep: bool = False) -> tuple[SiteConfig, list[Diagnostic]]:
    """Read root/reelnotes.toml; return the config and its warnings, or raise ConfigError.
    The site's cache may hold them already, validated from the same text; with `keep`, it
    will (if there is a cache folder)."""
    path = root / CONFIG_NAME
    if not path.is_file():
        note = Diagnostic(
            f"no {CONFIG_NAME} in {root}: using default settings", severity="warning"
        )
        return SiteConfig(root=root), [note]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(Diagnostic("expected UTF-8 text", CONFIG_NAME)) from err
    known = _validated(root, text)
    if known is not None:
        return known
    import tomllib  # (here: ~4 ms to import, which a site whose config is as it was skips)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"\(at line (\d+), column \d+\)", str(err))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
        raise ConfigError(
            Diagnostic(f"invalid TOML: {message}", CONFIG_NAME, int(m.group(1)) if m else None,
                       'expected lines such as title = "My films"')
        ) from err
    config, warnings = _validate(root, data, text)
    if keep:
        _remember(root, text, config, warnings)
    return config, warnings


def _validated(root: Path, text: str) -> tuple[SiteConfig, list[Diagnostic]] | None:
    """The config and warnings the last build got from this very text, if the site's cache
    holds them (written by this version of this module)."""
    try:
        with open(root / CACHE_DIR / VALIDATED, "rb") as file:
            stamp, known, fields, warnings = pickle.load(file)
    except Exception:  # noqa: BLE001 (none, damaged or foreign: the file is read again)
        return None
    if stamp != _stamp() or known != text:
        return None
    return SiteConfig(root, *fields), list(warnings)


def _remember(root: Path, text: str, config: SiteConfig, warnings: list[Diagnostic]) -> None:
    """Keep the validated config for the next build, in the cache if there is one (without
    the site folder, which may be moved)."""
    folder = root / CACHE_DIR
    if not folder.is_dir():
        return
    tmp = folder / f".{VALIDATED}.tmp-{os.getpid()}"
    try:
        tmp.write_bytes(pickle.dumps((_stamp(), text, tuple(config[1:]), tuple(warnings))))
        os.replace(tmp, folder / VALIDATED)
    except OSError:
        tmp.unlink(missing_ok=True)


def _stamp() -> tuple[str, int]:
    """This version of this module (what validates the config)."""
    from . import __version__

    return __version__, os.stat(__file__).st_mtime_ns


VALIDATED = "config"
"""The file in the cache that holds the last config validated."""


def _validate(root: Path, data: dict[str, Any], text: str) -> tuple[SiteConfig, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    values: dict[str, Any] = {}
    defaults = SiteConfig(root=root)
    lines = _key_lines(text)
    for key, value in data.items():
        line = lines.get(key)
        if key not in _KEYS:
            warnings.append(
                Diagnostic(
                    f'unknown setting "{key}" is ignored',
                    CONFIG_NAME,
                    line,
                    did_you_mean(key, _KEYS),
                    "warning",
                )
            )
            continue
        if key == "extra":
            if not isinstance(value, dict):
                problems.append(Diagnostic("extra: expected a table", CONFIG_NAME, line))
            else:
                values["extra"] = tuple(sorted(value.items()))
            continue
        expected = type(getattr(defaults, key))
        if expected is int:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                problems.append(
                    Diagnostic(f"{key}: expected a whole number of 1 or more, got {value!r}",
                               CONFIG_NAME, line)
                )
                continue
        elif not isinstance(value, str):
            problems.append(
                Diagnostic(f"{key}: expected text, got {value!r}", CONFIG_NAME, line)
            )
            continue
        if key == "base_url":
            value = _check_base_url(value, CONFIG_NAME, line, problems)
        elif key == "timezone":
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                problems.append(
                    Diagnostic(
                        f'timezone: expected an IANA time zone such as "Europe/Paris", '
                        f'got "{value}"',
                        CONFIG_NAME,
                        line,
                    )
                )
                continue
        elif key == "language" and not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", value):
            problems.append(
                Diagnostic(f'language: expected a tag such as "en" or "zh-Hans", got "{value}"',
                           CONFIG_NAME, line)
            )
            continue
        values[key] = value
    if problems:
        raise ConfigError(problems)
    return defaults._replace(**values), warnings
