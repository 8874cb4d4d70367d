"""A rebuild for the common edit: posts changed in their bodies only, past their summaries.

Such an edit changes nothing a list or the sitemap shows of a post: its title, date, tags,
film, rating and summary (its card, keys.card_digest) are as they were. The pages whose keys
hold its body are its own, and its neighbours' when the post template reads bodies; the feeds
that carry it hold its body too. The last full build left what it takes to make those again
in the manifest (PatchIndex): the order of the posts, their cache keys and cards, and the
posts each feed carries. So the build reads the changed files, checks their cards, loads
their neighbours from the cache, renders a few pages and makes the changed posts' items anew
in the feeds the last build wrote (a feed is made of its posts' items, in their cards'
order), without reading, modelling or keying the whole site.

`plan` decides, and renders; build.py writes. When anything is outside what it can vouch for
(a file added, removed or other than a post changed; a card; a warning, old or new; a comment
file; a template that names the site's posts, or lists their bodies), it answers None and the
build is a full one, which makes the same bytes.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from . import urls
from .cache import BuildCache, post_key
from .config import SiteConfig
from .content import read_post
from .errors import TemplateError
from .keys import CARD_PREFIX, WORST, PageKeys, TemplateDeps, card_digest
from .manifest import Inputs, Manifest, PatchIndex, packed_digests
from .model import Post
from .render import Renderer
from .site import Site, post_page

if TYPE_CHECKING:
    from .feed import Feed


class NeedsWholeSite(Exception):
    """A template used the site-wide posts, tags or films, which a patch does not load."""


class _Tripwire:
    """Stands for the site-wide globals: any use of it stops the patch."""

    def _stop(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NeedsWholeSite

    __iter__ = __len__ = __bool__ = __getitem__ = __contains__ = __getattr__ = _stop
    __str__ = __html__ = __call__ = _stop


class Plan(NamedTuple):
    """The pages a patch made, and what the build records of it."""

    pages: dict[str, tuple[str, bytes]]
    """Each page rendered: its output path, key and bytes."""
    parsed: dict[str, tuple[str, bytes]]
    """Each changed post file: its new cache key and pickled read result."""
    stale: list[str]
    """The changed posts' old cache keys."""
    next_index: PatchIndex
    """The index for the next build."""
    changed: list[str]
    """The input files changed since the last build (the changed posts')."""
    feeds: dict[str, bytes]
    """Each feed that carries a changed post, with its items made anew: output path, bytes."""


def plan(config: SiteConfig, last: Manifest, inputs: Inputs, store: BuildCache,
         jinja_cache: Path, out: Path) -> Plan | None:
    """Re-render the pages of the posts whose bodies alone changed since `last`, and splice
    them into the feeds in `out` that carry them; None if the change is anything else."""
    index = last.patch
    changed = inputs.changed(last.inputs) if index is not None else None
    if index is None or not changed:
        return None
    posts_dir = config.content_dir / "posts"
    warned = {d.path for d in last.warnings}  # a warning the edit may have mended
    salt = index.salt
    order = index.order
    keys: dict[str, str] = {}  # (those of the posts a patch renders or shows, as they are now)
    posts: dict[str, Post] = {}
    parsed: dict[str, tuple[str, bytes]] = {}
    stale: list[str] = []
    files: list[tuple[Path, str]] = []
    for name in changed:
        path = Path(name)
        if path.suffix != ".md" or not path.is_relative_to(posts_dir):
            return None
        files.append((path, path.relative_to(config.root).as_posix()))
    position = index.places([rel for _, rel in files])
    for path, rel in files:
        at = position.get(rel)
        old = None if at is None else index.key(at)
        if at is None or old is None or rel in warned:
            return None  # (not a post shown, or not shown as it was read)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        post, diagnostics = read_post(path, rel, config, raw=raw)
        if (post is None or diagnostics
                or card_digest(post)[len(CARD_PREFIX):] != index.card(at)):
            return None
        keys[rel] = post_key(salt, rel, raw)
        posts[rel] = post
        parsed[rel] = (keys[rel], pickle.dumps((post, diagnostics), pickle.HIGHEST_PROTOCOL))
        stale.append(old)

    spread = (-1, 0, 1) if index.neighbours else (0,)
    wanted = sorted({position[rel] + d for rel in posts for d in spread} & set(range(len(order))))
    shown = [j for j in {j for i in wanted for j in (i - 1, i + 1) if 0 <= j < len(order)}
             if order[j] not in posts]
    for j in shown:
        key = index.key(j)
        if key is None:
            return None  # a neighbour with comments or a moved slug: the full build composes it
        keys[order[j]] = key
    feeds = feeds_spliced(config, out, [(dest, [posts[rel] for rel in carried if rel in posts])
                                        for dest, carried in index.feeds
                                        if not posts.keys().isdisjoint(carried)])
    if feeds is None:
        return None
    cached = store.posts(keys[order[j]] for j in shown)
    for j in shown:
        entry = cached.get(keys[order[j]])
        if entry is None or entry[0] is None:
            return None
        posts[order[j]] = entry[0]

    todo = [post_page(posts[order[i]], posts[order[i - 1]] if i > 0 else None,
                      posts[order[i + 1]] if i + 1 < len(order) else None) for i in wanted]
    renderer = Renderer(Site(config, (), (), (), ()), jinja_cache)
    wire = _Tripwire()
    renderer.env.globals.update(posts=wire, tags=wire, films=wire)
    # what index_of found of the post template: no site-wide global, body read or not
    deps = TemplateDeps(frozenset(), frozenset(), index.neighbours)
    page_keys = PageKeys(index.base, {todo[0].template: deps}, keys, renderer.site)
    pages: dict[str, tuple[str, bytes]] = {}
    for page in todo:
        key = page_keys.of(page)
        if key is None:
            return None
        try:
            html = renderer.render(page).encode("utf-8")
        except (TemplateError, NeedsWholeSite):
            return None  # the full build reports a template's problem, with its context
        pages[urls.dest_path(page.url)] = (key, html)
    return Plan(pages, parsed, stale,
                index.with_keys({rel: key for rel, (key, _) in parsed.items()}), changed, feeds)


def feeds_spliced(config: SiteConfig, out: Path,
                  feeds: list[tuple[str, list[Post]]]) -> dict[str, bytes] | None:
    """Each feed in `out` at the path given, with the items of the posts given (which it
    carries) made anew: a feed depends on the config and its posts alone
    (build.generated_files), and these changed in their bodies alone. The build checks that
    each file is as the last build left it. None if one cannot be read, or lacks an item."""
    if not feeds:
        return {}
    from . import feed, jsonfeed

    site = Site(config, (), (), (), ())
    items: feed.Items = {}
    made: dict[str, bytes] = {}
    for dest, carried in feeds:
        try:
            old = (out / dest).read_bytes().decode("utf-8")
            text = (jsonfeed.splice(old, [jsonfeed.item(site, post) for post in carried])
                    if dest == urls.JSON_FEED
                    else feed.splice_rss(old, site, carried, items))
        except (OSError, ValueError, LookupError, TypeError):  # (not the file a build wrote)
            return None
        if text is None:
            return None
        made[dest] = text.encode("utf-8")
    return made


def index_of(site: Site, keys: PageKeys, salt: str, read: dict[str, Post | None],
             feeds: tuple[Feed, ...]) -> PatchIndex | None:
    """The patch index of a site just built; None if its post pages read the site-wide
    globals, or another page reads posts' bodies. `read` is each post file's read result, to
    tell posts composed after reading (comments attached, slug moved) from those read as they
    are; `feeds`, every feed with the posts it carries (feed.feeds)."""
    if keys.base is None or not site.posts:
        return None
    probe = post_page(site.posts[0], None, None)
    if keys.globals_of(probe):
        return None
    deps = keys.deps.get(probe.template)
    if deps is None:
        return None
    if any(keys.deps.get(template, WORST).reads_body
           for template in {page.template for page in site.pages if page.kind != "post"}):
        return None  # a list shows posts' bodies (a theme's own): a body edit changes it too
    post_keys = keys.full.post_keys
    plain = {post.src_path: post_keys[post.src_path] for post in site.posts
             if read.get(post.src_path) is post and post.src_path in post_keys}
    cards = {post.src_path: keys.cards.post(post) for post in site.posts}
    order = tuple(post.src_path for post in site.posts)
    return PatchIndex(keys.base, salt, order, packed_digests(order, plain),
                      packed_digests(order, cards, CARD_PREFIX), deps.reads_body, feeds)
