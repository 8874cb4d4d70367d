"""Authoring commands that write source files: a new site (init) and a new post (new)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import yaml

from . import urls
from .config import CONFIG_NAME, SiteConfig
from .errors import Diagnostic, ReelnotesError
from .theme import theme_templates

SITE_CONFIG = """\
# reelnotes settings: https://example.org/ is a placeholder, use your site's address.
title = "Film notes"
author = ""
description = "Thoughts on films, and the lives they show."
base_url = "https://example.org/"
language = "en"
posts_per_page = 10
timezone = "UTC"
"""

SAMPLE_POST = """\
---
title: "A first review: The General"
date: {date}
film:
  title: The General
  year: 1926
  director: Buster Keaton, Clyde Bruckman
tags: [silent, comedy]
epigraph:
  text: If you lose this war don't blame me.
  source: Johnnie Gray
---
Buster Keaton chases a stolen locomotive across the South, and every gag runs on rails.

<!--more-->

This is a sample post: edit it, or write a new one with `reelnotes new "Title"`. The text
above `<!--more-->` is the summary shown on the home page.
"""

GITIGNORE = "/build/\n/.reelnotes-cache/\n"


def init_site(folder: Path, *, with_templates: bool, now: datetime) -> list[Path]:
    """Create a working site in `folder` (new or empty); return the files written."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ReelnotesError(Diagnostic(f"{folder} already exists and is not empty",
                                        hint="pick a new folder name"))
    files = {
        CONFIG_NAME: SITE_CONFIG,
        ".gitignore": GITIGNORE,
        f"content/posts/{now:%Y-%m-%d}-the-general.md": SAMPLE_POST.format(date=f"{now:%Y-%m-%d}"),
    }
    written = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    if with_templates:
        shutil.copytree(theme_templates(), folder / "templates")
        written += sorted(p for p in (folder / "templates").rglob("*") if p.is_file())
    return written


def post_front_matter(title: str, when: datetime, film: str | None, year: int | None,
                      tags: list[str]) -> str:
    """The front matter of a new draft, every value quoted as YAML needs."""
    def dump(value: object) -> str:
        return yaml.safe_dump(value, allow_unicode=True, default_flow_style=True,
                              width=1000).strip().removesuffix("\n...").strip()

    lines = [f"title: {dump(title)}", f"date: {when.isoformat(timespec='minutes')}"]
    if film:
        lines += ["film:", f"  title: {dump(film)}"]
        if year is not None:
            lines.append(f"  year: {year}")
    lines += [f"tags: {dump(tags)}", "draft: true"]
    return "---\n" + "\n".join(lines) + "\n---\n"


def new_post(config: SiteConfig, title: str, *, film: str | None = None,
             year: int | None = None, tags: list[str] | None = None,
             now: datetime) -> Path:
    """Write content/posts/<date>-<slug>.md as a draft; refuse to overwrite. Return its path."""
    title = title.strip()
    if not title:
        raise ReelnotesError(Diagnostic("the title is empty", hint='reelnotes new "My title"'))
    if year is not None and not film:
        raise ReelnotesError(Diagnostic("--year needs --film", hint='add --film "Name"'))
    if year is not None and not 1870 <= year <= 2100:
        raise ReelnotesError(Diagnostic(f"--year: expected a year from 1870 to 2100, got {year}"))
    when = now.astimezone(config.tz).replace(second=0, microsecond=0)
    tags = list(dict.fromkeys(t.strip() for t in tags or [] if t.strip()))
    body = ("\nWrite here. The text before the line below is the summary on the home page.\n"
            "\n<!--more-->\n\n")
    slug = urls.slugify(title)
    path = config.content_dir / "posts" / f"{when:%Y-%m-%d}-{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as out:
            out.write(post_front_matter(title, when, film, year, tags) + body)
    except FileExistsError as err:
        rel = path.relative_to(config.root).as_posix()
        raise ReelnotesError(Diagnostic(f"{rel} already exists: not overwriting it",
                                        hint="choose another title")) from err
    return path
