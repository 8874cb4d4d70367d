"""Build a site: read everything, model it, render what changed, and update the output.

The only module that writes the output folder (through output.Update). Posts come from the
content-hash cache when their file is unchanged, and are parsed across processes otherwise;
pages whose inputs did not change are not rendered again. The new site is staged beside the
output and swapped in whole (output.Update), so a failed or killed build leaves the previous
site as it was; files whose bytes did not change keep their inode and mtime.

The modules that read, model and render a site are imported by the functions that use them:
a build the manifest shows to have nothing to do loads none of them (Markdown, Jinja, YAML,
the cache), which take longer to import than that build takes to run.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote

from . import manifest
from .config import CACHE_DIR, SiteConfig
from .errors import Diagnostic, TemplateError
from .manifest import (
    Inputs,
    Manifest,
    PatchIndex,
    Recorder,
    Scan,
    StatTable,
    output_path,
    output_stat,
    output_stats,
    request,
)
from .scanner import Stat
from .sources import is_published
from .theme import theme_static

if TYPE_CHECKING:
    import jinja2

    from .content import Content
    from .keys import PageKeys, Templates
    from .output import Scratch, Update
    from .reader import Progress
    from .render import Renderer
    from .site import Site


class BuildReport(NamedTuple):
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
    warnings: tuple[Diagnostic, ...] = ()
    """Problems that did not stop the build."""
    site: Site | None = None
    """The site model that was built (None when the manifest showed nothing changed)."""
    html_pages: int = 0
    """HTML pages in the site."""
    rendered: int = 0
    """Pages rendered through a template (the others' inputs had not changed)."""
    parsed: int = 0
    """Post files parsed (the others came from the cache)."""

    @property
    def pages(self) -> int:
        """Files in the new output."""
        return self.written + self.unchanged

    def summary(self) -> str:
        """One line for the terminal."""
        return (f"Built {_count(self.posts, 'post')}, {_count(self.tags, 'tag')}: "
                f"{self.pages} files "
                f"({self.written} written, {self.unchanged} unchanged; "
                f"{_count(self.parsed, 'post')} parsed, {self.rendered} of "
                f"{self.html_pages} pages rendered) "
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
    lines = [f"{quote(base + page.url, safe='/%')} {quote(base + page.vars['target'].url)} 301"
             for page in site.pages if page.kind == "redirect"]
    return "\n".join(lines) + "\n" if lines else ""


def generated_files(site: Site, now: datetime) -> list[tuple[str, str]]:
    """Every output besides pages and static files: feeds, sitemap, robots.txt, redirects."""
    from . import feed, jsonfeed, urls

    items: feed.Items = {}
    files = [(urls.FEED, feed.rss(site, now, items))]
    files += [(urls.tag_feed_url(tag.slug), feed.tag_rss(site, tag, now, items))
              for tag in site.tags]
    files += [(urls.JSON_FEED, jsonfeed.json_feed(site)), (urls.SITEMAP, feed.sitemap(site)),
              (urls.ROBOTS, feed.robots(site))]
    redirects = redirects_file(site)
    return files + [("_redirects", redirects)] if redirects else files


def spare_folder(config: SiteConfig, out: Path) -> Path:
    """Where the site before the current one is kept, to stage the next one cheaply."""
    return config.root / CACHE_DIR / f"spare-{_out_name(out)}"


def manifest_file(config: SiteConfig, out: Path) -> Path:
    """Where the manifest of the last build into `out` is kept."""
    return config.root / CACHE_DIR / f"manifest-{_out_name(out)}"


def _out_name(out: Path) -> str:
    return hashlib.sha1(os.fsencode(out)).hexdigest()[:12]


def build(config: SiteConfig, *, out: Path | None = None, drafts: bool = False,
          future: bool = False, now: datetime | None = None,
          progress: Progress | None = None, jobs: int | None = None) -> BuildReport:
    """Build the site into `out` (default build/); raise ReelnotesError on bad input.

    When the manifest of the last build into `out` shows that nothing it depends on changed,
    the output is left as it is and that build's figures are reported again.
    """
    started = time.perf_counter()
    out = (out or default_out(config)).absolute()
    now = now or clock()
    asked = request(config, out, drafts=drafts, future=future)
    record = manifest_file(config, out)
    # (the scan is made aside while a manifest is loaded; its child is reaped as the build ends)
    with Scan(config, time.time_ns(), aside=record.is_file()) as scan:
        last = manifest.load(record)
        if last is not None and last.patch is not None:
            _prefetch(scan.ready)
        inputs = scan.inputs()
        if last is not None and last.holds(asked, inputs, out, now):
            return BuildReport(out, 0, last.files, last.posts, last.tags,
                               time.perf_counter() - started, last.warnings, html_pages=last.pages)
        recorder = Recorder(record)
        try:
            if last is not None and last.patch is not None and last.fits(asked, out, now):
                patched = _patch(config, out, last, inputs.settled(), recorder, started)
                if patched is not None:
                    return patched
            result, content, index, stats, inputs = _build(config, out, drafts, future, now,
                                                           progress, jobs, started, inputs)
            if result.site is not None and result.site.posts:
                # (with no post, the feed is dated now: every build differs)
                from .site import publication_span

                since, due = publication_span(content.posts, drafts=drafts, future=future, now=now)
                recorder.save(Manifest(asked, inputs, StatTable.of(stats), since, due, result.pages,
                                       result.posts, result.tags, result.html_pages,
                                       result.warnings, index))
        finally:
            recorder.close()
        return result


PATCH_MODULES = ("reelnotes.content", "reelnotes.cache", "reelnotes.output", "jinja2",
                 "reelnotes.render", "reelnotes.keys", "reelnotes.patch")
"""What a patch build imports, in the order a build imports them while its inputs are scanned."""


def _prefetch(done: Callable[[], bool]) -> None:
    """Import what a patch build needs (one may follow the last build) until `done()`: the
    time it takes is the scan's, which another process makes, so that a build with nothing
    to do loses little (at most the import under way when the scan comes)."""
    import importlib

    for name in PATCH_MODULES:
        if done():
            return
        importlib.import_module(name)


def _patch(config: SiteConfig, out: Path, last: Manifest, inputs: Inputs, recorder: Recorder,
           started: float) -> BuildReport | None:
    """Re-render only the pages of posts edited past their summaries, and their items in the
    feeds that carry them (patch.py); None if a full build is needed. One changed file is replaced
    in one rename; several are staged in a tree swapped in whole, as a full build does."""
    from . import patch
    from .cache import BuildCache, OutputRecord
    from .output import MARKER, replace_files, same_bytes

    if recorder.lock < 0:
        return None  # another build is running: the full build copes with that
    store = BuildCache(config.root / CACHE_DIR)
    try:
        found = patch.plan(config, last, inputs, store, config.root / CACHE_DIR / "jinja", out)
        # the files it replaces, and the marker (a new one with every whole tree swapped in),
        # are as the last build left them; a file edited by hand elsewhere in the output is
        # set right by the next full build, as the manifest still holds its old stat
        if found is None or not last.left(out, [MARKER, *found.pages, *found.feeds]):
            return None
        made = {dest: data for dest, (_, data) in found.pages.items()} | found.feeds
        changed = {dest: data for dest, data in made.items() if not same_bytes(out / dest, data)}
        swapped: dict[str, Stat] = {}
        if len(changed) > 1:
            try:
                swapped = _swap_in(config, out, last, made, changed)
            except OSError:
                return None  # an output file gone, say: the full build sets it right
        elif changed:
            replace_files(out, spare_folder(config, out), changed)
        written: dict[str, Stat] = {}
        records: dict[str, OutputRecord] = {}
        for dest in made:
            path = output_path(out, dest)
            stat = output_stat(path)
            if stat is None:
                return None  # gone since it was checked: the full build sets it right
            written[path] = stat
            if dest in found.pages:
                records[dest] = OutputRecord(found.pages[dest][0], stat[0], stat[1], stat[3])
        store.store_outputs(out, records, every=False)
        store.store_pickled(dict(found.parsed.values()))
        store.forget_posts(found.stale)
    finally:
        store.close()
    written |= swapped
    journal = None
    if last.journal is not None:
        journal = last.journal.then(
            {path: inputs.stats[path] for path in found.changed}, inputs.digests, written,
            {rel: key for rel, (key, _) in found.parsed.items()})
    recorder.save(journal or last._replace(
        inputs=inputs, outputs=last.outputs.updated(written), patch=found.next_index))
    return BuildReport(out, len(changed), last.files - len(changed), last.posts, last.tags,
                       time.perf_counter() - started, last.warnings, html_pages=last.pages,
                       rendered=len(found.pages), parsed=len(found.parsed))


def _swap_in(config: SiteConfig, out: Path, last: Manifest, made: dict[str, bytes],
             changed: dict[str, bytes]) -> dict[str, Stat]:
    """Stage the files a patch `made` (writing those `changed`) in a tree with every other
    file of the output, as the last build left it, and swap it in whole (output.Update);
    return the stats the swap changed, but for the files made (the caller stats those), as
    the manifest should hold them: anew for each file as the last build left it (linked
    again, its ctime moved), as the manifest held them for any other (a file edited by hand
    meanwhile is set right by the next full build)."""
    from .output import MARKER, Update

    update = Update(out, {}, spare_folder(config, out), listed=True)
    prefix = output_path(out, "")
    dests = last.outputs.relative(prefix)  # (each is output_path(out, dest))
    try:
        for dest in made:
            if dest in changed:
                update.write(dest, changed[dest], differs=True)
            else:
                update.staged(dest, None, False)  # found the same as the output's
        update.keep([dest for dest in dests if dest not in made and dest != MARKER])
        update.commit()
    except BaseException:
        update.abort()
        raise
    outputs: dict[str, Stat] = {}
    touched = update.touched  # (None: a fresh tree, every file linked again)
    for dest in touched if touched is not None else dests:
        if dest in made:
            continue
        path = output_path(out, dest)
        stat, old = output_stat(path), last.outputs.get(path)
        if stat is None or old is None:
            continue
        same = (old[0], old[1], old[3]) == (stat[0], stat[1], stat[3])
        outputs[path] = stat if dest == MARKER or same else old
    return outputs


def _build(config: SiteConfig, out: Path, drafts: bool, future: bool, now: datetime,
           progress: Progress | None, jobs: int | None,
           started: float, inputs: Inputs
           ) -> tuple[BuildReport, Content, PatchIndex | None, dict[str, Stat], Inputs]:
    """Read, model, render and write the whole site (what changed of it); also return the
    content read, what the next build needs to patch it, the output's stats, and the inputs
    with the hashes the reader took of pending files."""
    # Jinja and what uses it (keys, render) are imported while the workers read posts, which
    # do not need them: the reading starts sooner
    from . import feed
    from .cache import BuildCache
    from .content import load_content
    from .output import Update, check_out_dir, clean_stale
    from .parallel import default_jobs
    from .reader import CachedReader
    from .site import build_site

    check_out_dir(out)
    report = progress or _quiet
    store = BuildCache(config.root / CACHE_DIR)
    try:
        jobs = jobs or default_jobs()
        made: list[tuple[jinja2.Environment, Templates]] = []

        def templates() -> None:
            """While the workers read posts: compile the templates (once, for all the render
            workers, which inherit them) and analyse them for the page keys."""
            from .keys import Templates
            from .render import compiled_environment

            env = compiled_environment(config, config.root / CACHE_DIR / "jinja")
            made.append((env, Templates.analyse(config, env, store)))

        reader = CachedReader(config, store, jobs, report, templates, inputs.pending)
        try:
            content = load_content(config, read=reader.read, files=reader.files)
            reader.forget_the_rest()
            site = build_site(config, content.posts, drafts=drafts, future=future, now=now)
            from . import patch
            from .keys import PageKeys
            from .render import Renderer

            env, analysed = made[0]
            renderer = Renderer(site, env=env)
            keys = PageKeys.of_site(site, analysed, reader.keys)
            clean_stale(out)
            update = Update(out, store.outputs(out), spare_folder(config, out))

            def meanwhile() -> None:
                """The main process's work while the workers render: store the posts they
                parsed, and write the feeds, sitemap and static files."""
                reader.save()
                _write_extras(site, config, now, update)
                store.checkpoint()

            try:
                rendered = _render_pages(site, renderer, keys, update, report, jobs, meanwhile)
                report("writing files", update.written, update.written)
                update.commit()
                index = patch.index_of(site, keys, reader.salt,
                                       {rel: result[0] for rel, result in reader.results.items()},
                                       feed.feeds(site))
            except BaseException:
                update.abort()
                raise
        finally:
            reader.save()  # parsed posts are worth keeping even if the build failed
        stats = update.output_stats() or output_stats(out)
        update.record(stats)
        store.store_outputs(out, update.records)
    finally:
        store.close()
    return BuildReport(out, update.written, update.unchanged, len(site.posts), len(site.tags),
                       time.perf_counter() - started, tuple(content.warnings), site,
                       len(site.pages), rendered=rendered, parsed=reader.parsed), content, index, \
        stats, inputs.read(reader.digests)


def _render_pages(site: Site, renderer: Renderer, keys: PageKeys, update: Update,
                  progress: Progress, jobs: int, meanwhile: Callable[[], None]) -> int:
    """Render every page whose inputs changed, across processes; return how many.

    Once the first page is back, the worker processes are running and the main process has
    nothing to do but wait for theirs: then it runs `meanwhile` (with nothing to render, it
    runs it all the same).
    """
    from . import urls
    from .parallel import fan_out

    # With no record of a previous build nothing can be reused: the workers start at once, and
    # each page is keyed (for the next build) as it comes back, not before.
    late = not update.previous
    todo: list[tuple[int, str, str | None]] = []
    for index, page in enumerate(site.pages):
        dest = urls.dest_path(page.url)
        key = None if late else keys.of(page)
        if late or not update.reuse(dest, key):
            todo.append((index, dest, key))
    # List pages first: they take ten to a hundred times longer than a post's, and a worker
    # still rendering a film index when the other has run out of pages would idle a CPU
    todo.sort(key=lambda item: site.pages[item[0]].kind in ("post", "redirect"))
    total, done = len(site.pages), len(site.pages) - len(todo)
    worker = (renderer, update.scratch)
    results = fan_out(partial(_render_one, worker), [index for index, _, _ in todo], jobs,
                      _render_in_worker, _adopt, (worker,), inherit=True)
    for n, ((index, dest, key), staged) in enumerate(zip(todo, results, strict=True)):
        if isinstance(staged, list):
            raise TemplateError(tuple(staged))
        update.staged(dest, keys.of(site.pages[index]) if late else key, staged)
        if n == 0:
            meanwhile()
        done += 1
        progress("rendering pages", done, total)
    if not todo:
        meanwhile()
    return len(todo)


if TYPE_CHECKING:
    Worker = tuple[Renderer, Scratch]


def _render_one(worker: Worker, index: int) -> Stat | bool | list[Diagnostic]:
    """Render one page into the scratch folder: as Scratch.put staged it (its stat, or True) or
    found its bytes the same as the old file's (False), or the template problem's
    diagnostics."""
    from . import urls

    renderer, scratch = worker
    page = renderer.site.pages[index]
    try:
        html = renderer.render(page).encode("utf-8")
    except TemplateError as err:
        return list(err.diagnostics)
    return scratch.put(urls.dest_path(page.url), html)


_WORKER: list[Worker] = []
"""In a render worker process only: the renderer and scratch folder inherited from the build."""


def _adopt(worker: Worker) -> None:
    _WORKER[:] = [worker]


def _render_in_worker(index: int) -> Stat | bool | list[Diagnostic]:
    return _render_one(_WORKER[0], index)


def _write_extras(site: Site, config: SiteConfig, now: datetime, update: Update) -> None:
    """Feeds, sitemap, robots.txt, _redirects and static files (always cheap)."""
    for dest, text in generated_files(site, now):
        update.write(dest, text.encode("utf-8"))
    for dest, source in static_files(config):
        update.copy(dest, source)


def _quiet(stage: str, done: int, total: int) -> None:
    """The progress callback when nobody listens."""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
