"""Validate a site without writing it: every post, comment file, template and internal link.

Reuses the build's loading, modelling and rendering, in memory: nothing is written anywhere
(no build/, no template cache), so it is safe to run in a blog's own CI.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from . import urls
from .build import clock, generated_files, static_files
from .config import SiteConfig
from .content import Post, load_content, read_post
from .errors import ContentError, Diagnostic, ReelnotesError
from .render import Renderer
from .site import Page, build_site

LINK_ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src",
              "iframe": "src", "audio": "src", "video": "src"}


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What a check found."""

    problems: tuple[Diagnostic, ...]
    """Errors and warnings, in the order found."""
    posts: int = 0
    """Posts read without error."""
    pages: int = 0
    """Pages rendered."""
    links: int = 0
    """Internal links checked."""

    @property
    def errors(self) -> int:
        """How many problems are errors (not warnings)."""
        return sum(d.severity == "error" for d in self.problems)

    def summary(self) -> str:
        """One line for the terminal."""
        counts = [(self.posts, "post"), (self.pages, "page"), (self.links, "internal link"),
                  (self.errors, "error"), (len(self.problems) - self.errors, "warning")]
        words = [f"{n} {noun}{'s' * (n != 1)}" for n, noun in counts]
        return f"Checked {', '.join(words[:3])}: {', '.join(words[3:])}"


class _Links(HTMLParser):
    """Collects the href and src values of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = LINK_ATTRS.get(tag)
        self.found += [v for k, v in attrs if k == wanted and v]


def page_links(html: str) -> list[str]:
    """Every href/src in a page, as written."""
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser.found


def link_target(config: SiteConfig, page_url: str, href: str) -> str | None:
    """The site-relative path a link points to, or None if it leaves the site (or cannot be
    read as an address at all, as https://[ cannot)."""
    try:
        absolute = urlsplit(urljoin(config.base_url + page_url, href))
    except ValueError:
        return None
    if absolute.scheme not in ("http", "https"):
        return None
    if absolute.netloc != urlsplit(config.base_url).netloc:
        return None
    path = unquote(absolute.path)
    base = config.base_path
    if not path.startswith(base):
        return None
    return path[len(base):]


def _exists(target: str, outputs: set[str]) -> bool:
    return urls.dest_path(target) in outputs or f"{target}/index.html" in outputs


def _line_of(root: Path, rel: str, href: str) -> int | None:
    """The first line of a source file that mentions `href`."""
    try:
        text = (root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for needle in (href, unquote(href)):
        at = text.find(needle)
        if at >= 0:
            return text.count("\n", 0, at) + 1
    return None


def check_links(config: SiteConfig, rendered: dict[str, tuple[Page, str]],
                outputs: set[str]) -> tuple[list[Diagnostic], int]:
    """Report each broken internal link once: at its post's line, or with the pages using it."""
    broken: dict[str, list[Page]] = defaultdict(list)
    count = 0
    for page, html in rendered.values():
        for href in page_links(html):
            target = link_target(config, page.url, href)
            if target is None:
                continue
            count += 1
            if not _exists(target, outputs):
                broken[href].append(page)
    problems = []
    for href, pages in sorted(broken.items()):
        sources = [p.vars["post"].src_path for p in pages if p.kind == "post"]
        lines = [(src, _line_of(config.root, src, href)) for src in dict.fromkeys(sources)]
        found = [(src, line) for src, line in lines if line is not None]
        if found:
            problems += [Diagnostic(f'broken link "{href}": nothing is published there', src,
                                    line, "check the address, or whether that post is a draft")
                         for src, line in found]
        else:
            where = ", ".join(f"/{p.url}" for p in pages[:3]) + (", ..." if len(pages) > 3 else "")
            problems.append(Diagnostic(
                f'broken link "{href}" on {len(pages)} page{"s" * (len(pages) != 1)} ({where})',
                hint="it comes from a template"))
    return problems, count


def _load(config: SiteConfig) -> tuple[list[Post], list[Diagnostic]]:
    """Every post that reads cleanly, and all problems: one bad file must not hide the rest."""
    problems: list[Diagnostic] = []
    valid: dict[str, Post] = {}  # by file: a post re-read under another slug replaces itself

    def read(path: Path, rel: str, cfg: SiteConfig,
             slug: str | None) -> tuple[Post | None, list[Diagnostic]]:
        post, diagnostics = read_post(path, rel, cfg, slug)
        problems.extend(d for d in diagnostics if d.severity == "error")
        if post is not None:
            valid[rel] = post
        return post, [d for d in diagnostics if d.severity != "error"]

    try:
        content = load_content(config, read)
    except ContentError as err:  # comment files or clashing slugs: keep the posts read
        return list(valid.values()), problems + list(err.diagnostics)
    return content.posts, problems + content.warnings


def check(config: SiteConfig, *, drafts: bool = False, now: datetime | None = None) -> CheckReport:
    """Load, model and render the whole site in memory; return every problem found."""
    now = now or clock()
    posts, problems = _load(config)
    site = build_site(config, posts, drafts=drafts, now=now)
    renderer = Renderer(site)
    problems += renderer.check_templates()
    rendered: dict[str, tuple[Page, str]] = {}
    seen = {(d.message, d.path, d.line) for d in problems}
    for page in site.pages:
        try:
            rendered[page.url] = (page, renderer.render(page))
        except ReelnotesError as err:  # one template bug breaks many pages: say it once
            fresh = [d for d in err.diagnostics if (d.message, d.path, d.line) not in seen]
            seen |= {(d.message, d.path, d.line) for d in fresh}
            problems += fresh
    outputs = {urls.dest_path(p.url) for p in site.pages}
    try:
        outputs |= {dest for dest, _ in generated_files(site, now)}
    except ReelnotesError as err:
        problems += err.diagnostics
    outputs |= {dest for dest, _ in static_files(config)}
    link_problems, links = check_links(config, rendered, outputs)
    return CheckReport(tuple(problems + link_problems), len(posts), len(rendered), links)
