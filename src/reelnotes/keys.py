"""Page keys: a hash of everything a page's output depends on, so that unchanged pages are reused.

What a page depends on is found by reading its templates, statically, once per set of
templates: the site-wide globals they name, and whether they read posts' bodies. A page whose
templates read no body counts each post by its card (every field but the body's), so an edit
past a post's summary leaves the lists that show it alone. The keys go with each output file
into the cache (cache.py); the build compares them.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
import jinja2.meta
import jinja2.nodes

from .cache import BuildCache, code_fingerprint
from .config import SiteConfig
from .model import Post
from .render import template_dirs
from .site import Page, Site

SITE_GLOBALS = frozenset({"posts", "tags", "films"})


def templates_fingerprint(dirs: Iterable[Path]) -> str:
    """A hash of every template file's name and bytes, in override order."""
    digest = hashlib.sha256()
    for root in dirs:
        digest.update(b"\1" + str(root).encode())
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


BODY_FIELDS = frozenset({"body", "body_html", "word_count", "reading_minutes", "feed_html"})
"""A post's attributes that come from its body past the summary: a page that reads none of
them shows the same whatever the rest of the body says."""
_ATTRIBUTE_FILTERS = frozenset({"attr", "map", "selectattr", "rejectattr", "sort", "groupby",
                                "sum", "unique", "min", "max", "join"})
"""Filters that read an attribute named by an argument."""
_DUMPING_FILTERS = frozenset({"pprint", "string", "format", "tojson"})
"""Filters that may show an object whole, body and all."""


class TemplateDeps(NamedTuple):
    """What a template, with every template it extends, includes or imports, may read."""

    shared: frozenset[str]
    """Site-wide globals (posts, tags, films) named in its context: a page variable of the
    same name hides the global."""
    globals: frozenset[str]
    """Site-wide globals named where no page variable can hide them (imported macros)."""
    reads_body: bool
    """True if it may read a post's body (BODY_FIELDS)."""


_REFERENCES = (jinja2.nodes.Extends, jinja2.nodes.Include, jinja2.nodes.Import,
               jinja2.nodes.FromImport)
WORST = TemplateDeps(SITE_GLOBALS, SITE_GLOBALS, True)
"""What to assume of a template that cannot be analysed (the renderer reports its problem)."""


def template_deps(env: jinja2.Environment) -> dict[str, TemplateDeps]:
    """TemplateDeps of every template: statically, from their syntax trees."""
    probe = env.overlay()  # the site-wide globals would hide their own names from the analysis
    probe.globals = {k: v for k, v in env.globals.items() if k not in SITE_GLOBALS}
    Own = tuple[frozenset[str], bool, list[tuple[str | None, bool]]]
    owns: dict[str, Own | None] = {}

    def own(name: str) -> Own | None:
        """A template's own globals, body reads and references (name, shares the context);
        None if it cannot be parsed or analysed."""
        if name not in owns:
            try:
                source = env.loader.get_source(env, name)[0] if env.loader else ""
                ast = probe.parse(source)
                shared = jinja2.meta.find_undeclared_variables(ast) & SITE_GLOBALS
            except jinja2.TemplateError:  # e.g. an unknown filter: the renderer reports it
                owns[name] = None
                return None
            refs = []
            for node in ast.find_all(_REFERENCES):
                assert isinstance(node, _REFERENCES)
                target = node.template
                named = (target.value if isinstance(target, jinja2.nodes.Const)
                         and isinstance(target.value, str) else None)
                refs.append((named, isinstance(node, jinja2.nodes.Extends)
                             or bool(getattr(node, "with_context", False))))
            owns[name] = (frozenset(shared), _reads_body(ast), refs)
        return owns[name]

    def deps(name: str, seen: frozenset[str]) -> TemplateDeps:
        found = own(name)
        if found is None:
            return WORST
        if name in seen:
            return TemplateDeps(frozenset(), frozenset(), False)
        shared, body, refs = set(found[0]), found[1], found[2]
        hidden: set[str] = set()
        for target, with_context in refs:
            if target is None:
                return WORST  # a template chosen at render time
            inner = deps(target, seen | {name})
            body = body or inner.reads_body
            hidden |= inner.globals
            if with_context:
                shared |= inner.shared  # sees the page's variables
            else:
                hidden |= inner.shared  # sees the globals only
        return TemplateDeps(frozenset(shared), frozenset(hidden), body)

    return {name: deps(name, frozenset()) for name in env.list_templates()}


def _reads_body(ast: jinja2.nodes.Template) -> bool:
    """True if a template's own syntax may read a post's body."""
    for node in ast.find_all((jinja2.nodes.Getattr, jinja2.nodes.Getitem, jinja2.nodes.Filter)):
        if isinstance(node, jinja2.nodes.Getattr):
            if node.attr in BODY_FIELDS:
                return True
        elif isinstance(node, jinja2.nodes.Getitem):
            if not isinstance(node.arg, jinja2.nodes.Const) or node.arg.value in BODY_FIELDS:
                return True
        elif not isinstance(node, jinja2.nodes.Filter):
            continue
        elif node.name in _DUMPING_FILTERS:
            return True
        elif node.name in _ATTRIBUTE_FILTERS:
            if node.dyn_args is not None or node.dyn_kwargs is not None:
                return True
            args = ([*node.args, *(kw.value for kw in node.kwargs)]
                    if node.name not in ("selectattr", "rejectattr") else node.args[:1])
            for arg in args:
                if not isinstance(arg, jinja2.nodes.Const):
                    return True
                if isinstance(arg.value, str) and BODY_FIELDS & set(arg.value.split(".")):
                    return True
    return False


def remembered_deps(env: jinja2.Environment, fingerprint: str,
                    store: BuildCache) -> dict[str, TemplateDeps]:
    """template_deps, noted in the cache under the templates' (and code's) `fingerprint`:
    parsing every template is the slow part of a build with little to do."""
    noted = store.note("template_deps")
    if noted is not None and noted.startswith(fingerprint + "|"):
        try:
            return {name: TemplateDeps(frozenset(shared), frozenset(hidden), bool(body))
                    for name, (shared, hidden, body) in json.loads(
                        noted[len(fingerprint) + 1:]).items()}
        except (ValueError, TypeError):
            pass
    found = template_deps(env)
    store.store_note("template_deps", fingerprint + "|" + json.dumps(
        {name: [sorted(d.shared), sorted(d.globals), d.reads_body] for name, d in found.items()}))
    return found


_PLAIN = frozenset({type(None), str, int, float, bool, date, datetime})
_FIELDS: dict[type, tuple[str, ...]] = {}
"""Field names per record type, looked up once (a fixed property of the code)."""


class Unhashable(Exception):
    """A template variable of a kind the fingerprint does not know: render the page."""


CARD_FIELDS = tuple(name for name in Post._fields if name not in BODY_FIELDS)
"""What a page that does not read a post's body may show of it."""
_card = operator.attrgetter(*CARD_FIELDS)


class Fingerprinter:
    """Hashes template variables; a Post hashes as its source key plus its comments, or, for
    pages that read no post's body (`cards`), as every field but the body's.

    Pages share much of what they show (the films, the tags, the diary's years): each
    object's fingerprint is computed once per build, and a long one is folded to a hash.
    """

    def __init__(self, post_keys: Mapping[str, str], *, cards: bool = False) -> None:
        self.post_keys = post_keys
        self.cards = cards
        self.seen: dict[int, tuple[Any, str]] = {}
        """Fingerprints by id, each with its object, kept alive so the id stays its own."""

    def post(self, post: Post) -> str:
        """The post's digest, computed once per build."""
        seen = self.seen.get(id(post))
        if seen is not None:
            return seen[1]
        if self.cards:
            found = card_digest(post)
        else:
            source = self.post_keys.get(post.src_path)
            if source is None:
                raise Unhashable(post.src_path)
            found = hashlib.sha256(f"{source}|{self.of(post.comments)}".encode()).hexdigest()
        self.seen[id(post)] = (post, found)
        return found

    def of(self, value: Any) -> str:
        """A string that changes whenever `value` would render differently."""
        kind = type(value)
        if kind is Post:
            return "P" + self.post(value)
        if kind in _PLAIN:
            return repr(value)
        found = self.seen.get(id(value))
        if found is not None:
            return found[1]
        text = self._compound(value)
        if len(text) > 80:
            text = "#" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        self.seen[id(value)] = (value, text)
        return text

    def _compound(self, value: Any) -> str:
        """The fingerprint of a list, tuple, mapping or record (NamedTuple), from its parts'."""
        kind = type(value)
        if kind is tuple or kind is list:
            return "[" + ",".join([self.of(v) for v in value]) + "]"
        names = _FIELDS.get(kind)
        if names is None:
            if isinstance(value, Mapping):
                return "{" + ",".join([f"{k!r}:{self.of(v)}"
                                       for k, v in sorted(value.items())]) + "}"
            names = getattr(kind, "_fields", None)  # a record (NamedTuple)
            if not isinstance(names, tuple):
                raise Unhashable(kind.__qualname__)
            _FIELDS[kind] = names
        inner = ",".join([self.of(getattr(value, name)) for name in names])
        return f"{kind.__qualname__}({inner})"

    def key(self, *parts: Any) -> str | None:
        """A hash of `parts`, or None if one cannot be fingerprinted."""
        try:
            text = "|".join(self.of(p) for p in parts)
        except Unhashable:
            return None
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def card_digest(post: Post) -> str:
    """A hash of every field of `post` but its body's (reprs of plain values and of records
    are exact and stable)."""
    card = repr(_card(post))
    return CARD_PREFIX + hashlib.sha256(card.encode("utf-8", "surrogatepass")).hexdigest()


CARD_PREFIX = "C"
"""What a card digest starts with, before its 64 hex digits (a post's keys' have none)."""


class Templates(NamedTuple):
    """A site's templates, as the page keys count them."""

    fingerprint: str
    """A hash of every template file (templates_fingerprint)."""
    deps: Mapping[str, TemplateDeps]
    """What each template may read (template_deps)."""

    @staticmethod
    def analyse(config: SiteConfig, env: jinja2.Environment, store: BuildCache) -> Templates:
        """The site's templates, analysed once, then noted in `store`; it needs no content, so
        a build does it while its workers read posts."""
        fingerprint = templates_fingerprint(template_dirs(config))
        return Templates(fingerprint, remembered_deps(env, f"{code_fingerprint()}|{fingerprint}",
                                                      store))


class PageKeys:
    """The input hash of each page: what its template may see, the templates, config and code.

    What a template may see is found statically (template_deps): the site-wide globals it
    names that no page variable hides, and whether it reads posts' bodies; if not, a post
    counts by its card (card_digest), so an edit past a post's summary leaves the lists alone.
    """

    def __init__(self, base: str | None, deps: Mapping[str, TemplateDeps],
                 post_keys: Mapping[str, str], site: Site) -> None:
        self.base, self.deps, self.site = base, deps, site
        self.full = Fingerprinter(post_keys)
        self.cards = Fingerprinter(post_keys, cards=True)

    @staticmethod
    def of_site(site: Site, templates: Templates, post_keys: dict[str, str]) -> PageKeys:
        """The page keys of a whole site."""
        base = Fingerprinter(post_keys).key(code_fingerprint(), repr(site.config),
                                            templates.fingerprint)
        return PageKeys(base, templates.deps, post_keys, site)

    def globals_of(self, page: Page) -> list[str]:
        """The site-wide globals (posts, tags, films) the page's templates may read."""
        deps = self.deps.get(page.template, WORST)
        return sorted((deps.shared - page.vars.keys()) | deps.globals)

    def of(self, page: Page) -> str | None:
        """The page's key, or None if it cannot be computed (then it is always rendered)."""
        if self.base is None:
            return None
        prints = self.full if self.deps.get(page.template, WORST).reads_body else self.cards
        used = self.globals_of(page)
        # head() puts a post page's structured data (word count, comments) in every page's
        # <head>: the page's own post counts whole
        own = page.vars.get("post") if page.kind == "post" else None
        try:
            text = "|".join([self.base, prints.of((page.url, page.template, page.title,
                                                   page.kind, page.vars)),
                             prints.of([(name, getattr(self.site, name)) for name in used]),
                             self.full.of(own)])
        except Unhashable:
            return None
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
