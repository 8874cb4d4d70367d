"""Build a site: read everything, model it, render it, and swap the result into place.

The only module that writes the output folder. The new site is written to a staging folder
beside the output and swapped in at the end, so a failed or killed build leaves the previous
output as it was. Files whose bytes did not change keep their old inode and mtime.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import feed, jsonfeed, urls
from .config import SiteConfig
from .content import load_content
from .errors import Diagnostic, OutputError
from .render import Renderer
from .site import Site, build_site
from .sources import is_published
from .theme import theme_static

MARKER = ".reelnotes-build"
CACHE_DIR = ".reelnotes-cache"


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did."""

    out: Path
    """The output folder."""
    written: int
    """Files written because they are new or changed."""
    unchanged: int
    """Files left as they were (same bytes)."""
    posts: int
    """Posts published."""
    tags: int
    """Tags."""
    seconds: float
    """Wall time of the whole build."""
    warnings: tuple[Diagnostic, ...] = field(default=())
    """Problems that did not stop the build."""
    site: Site | None = None
    """The site model that was built."""

    @property
    def pages(self) -> int:
        """Files in the new output."""
        return self.written + self.unchanged

    def summary(self) -> str:
        """One line for the terminal."""
        return (f"Built {_count(self.posts, 'post')}, {_count(self.tags, 'tag')}: "
                f"{self.pages} files "
                f"({self.written} written, {self.unchanged} unchanged) "
                f"in {self.seconds:.2f} s → {self.out}")


def clock() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


def default_out(config: SiteConfig) -> Path:
    """build/ in the site folder."""
    return config.root / "build"


def check_out_dir(out: Path) -> None:
    """Refuse to replace a folder that reelnotes did not create."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputError(Diagnostic(f"{out} exists and is not a folder: refusing to replace it"))
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise OutputError(Diagnostic(
            f"{out} exists and was not made by reelnotes: refusing to replace it",
            hint="choose another --out, or empty that folder first"))


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


class _Stage:
    """A staging folder filled file by file, reusing unchanged files of the previous output."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = out.parent / f".{out.name}.tmp-{os.getpid()}"
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        self.written = 0
        self.unchanged = 0
        self.seen: set[str] = set()

    def _reuse(self, old: Path, new: Path) -> None:
        try:
            os.link(old, new)
        except OSError:
            shutil.copy2(old, new)
        self.unchanged += 1

    def _target(self, dest: str) -> Path:
        if dest in self.seen:
            raise OutputError(Diagnostic(f"two outputs claim the same file: {dest}"))
        self.seen.add(dest)
        target = self.path / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write(self, dest: str, data: bytes) -> None:
        """Stage `data` as `dest`, linking the old file instead if its bytes are the same."""
        target = self._target(dest)
        old = self.out / dest
        if _same_bytes(old, data):
            self._reuse(old, target)
        else:
            target.write_bytes(data)
            self.written += 1

    def copy(self, dest: str, source: Path) -> None:
        """Stage a static file, reusing the old copy if size and mtime match."""
        target = self._target(dest)
        old = self.out / dest
        try:
            src_stat, old_stat = source.stat(), old.stat()
            same = (src_stat.st_size == old_stat.st_size
                    and int(src_stat.st_mtime) == int(old_stat.st_mtime))
        except OSError:
            same = False
        if same:
            self._reuse(old, target)
        else:
            shutil.copy2(source, target)
            self.written += 1

    def commit(self) -> None:
        """Swap the staged folder into place atomically where the OS allows."""
        (self.path / MARKER).write_text("This folder is written by reelnotes build.\n")
        if self.out.exists():
            if not _exchange(self.path, self.out):
                old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
                os.rename(self.out, old)
                os.rename(self.path, self.out)
                self.path = old
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            os.rename(self.path, self.out)

    def abort(self) -> None:
        """Throw the staged folder away."""
        shutil.rmtree(self.path, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    name = ctypes.util.find_library("c")
    if not name or not hasattr(os, "getpid"):
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(result == 0)


def _clean_stale(out: Path) -> None:
    """Remove staging folders left by builds that were killed (not those of running builds)."""
    if not out.parent.is_dir():
        return
    for stale in [*out.parent.glob(f".{out.name}.tmp-*"), *out.parent.glob(f".{out.name}.old-*")]:
        if not _running(stale.name.rsplit("-", 1)[-1]):
            shutil.rmtree(stale, ignore_errors=True)


def _running(pid: str) -> bool:
    """True if `pid` is another process that is still alive."""
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, but another user's
        return True
    return True


def static_files(config: SiteConfig) -> Iterator[tuple[str, Path]]:
    """(dest, source) for the theme's static files, then the site's, which win."""
    sources: dict[str, Path] = {}
    roots = [theme_static(), config.static_dir]
    seen_roots: set[Path] = set()
    for root in roots:
        if not root.is_dir() or root.resolve() in seen_roots:
            continue
        seen_roots.add(root.resolve())
        real_root = root.resolve()
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if (path.is_file() and all(is_published(part) for part in rel.parts)
                    and path.resolve().is_relative_to(real_root)):
                sources[rel.as_posix()] = path
    yield from sorted(sources.items())


def redirects_file(site: Site) -> str:
    """A _redirects file (Netlify, Cloudflare Pages) mapping old addresses to posts."""
    base = site.config.base_path
    lines = [f"{base}{page.url} {base}{page.vars['target'].url} 301"
             for page in site.pages if page.kind == "redirect"]
    return "\n".join(lines) + "\n" if lines else ""


def generated_files(site: Site, now: datetime) -> list[tuple[str, str]]:
    """Every output besides pages and static files: feeds, sitemap, robots.txt, redirects."""
    files = [(urls.FEED, feed.rss(site, now))]
    files += [(urls.tag_feed_url(tag.slug), feed.tag_rss(site, tag, now)) for tag in site.tags]
    files += [(urls.JSON_FEED, jsonfeed.json_feed(site)), (urls.SITEMAP, feed.sitemap(site)),
              (urls.ROBOTS, feed.robots(site))]
    redirects = redirects_file(site)
    return files + [("_redirects", redirects)] if redirects else files


def build(config: SiteConfig, *, out: Path | None = None, drafts: bool = False,
          future: bool = False, now: datetime | None = None, live_reload: str | None = None,
          progress: Callable[[str, int, int], None] | None = None) -> BuildReport:
    """Build the site into `out` (default build/); raise ReelnotesError on bad input."""
    started = time.perf_counter()
    out = (out or default_out(config)).absolute()
    check_out_dir(out)
    now = now or clock()
    content = load_content(config)
    site = build_site(config, content.posts, drafts=drafts, future=future, now=now)
    renderer = Renderer(site, config.root / CACHE_DIR / "jinja", live_reload)
    (config.root / CACHE_DIR / "jinja").mkdir(parents=True, exist_ok=True)
    _clean_stale(out)
    stage = _Stage(out)
    try:
        total = len(site.pages)
        for done, page in enumerate(site.pages, 1):
            stage.write(urls.dest_path(page.url), renderer.render(page).encode("utf-8"))
            if progress is not None:
                progress("rendering", done, total)
        for dest, text in generated_files(site, now):
            stage.write(dest, text.encode("utf-8"))
        for dest, source in static_files(config):
            stage.copy(dest, source)
        stage.commit()
    except BaseException:
        stage.abort()
        raise
    return BuildReport(out, stage.written, stage.unchanged, len(site.posts), len(site.tags),
                       time.perf_counter() - started, tuple(content.warnings), site)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
