"""The content-hash cache in .reelnotes-cache/: parsed posts and what each output page was made of.

Safe to delete at any time, and a damaged cache is ignored, never an error. Parsed posts are
keyed by a hash of the file's bytes, its path, the config and reelnotes' own code; output pages
by a hash of everything their template sees, plus every template file. A page whose inputs are
unchanged and whose previous output file is untouched is reused without rendering.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta

from . import __version__
from .config import SiteConfig
from .errors import Diagnostic
from .model import Post
from .render import Renderer, template_dirs
from .site import Page, Site

CACHE_DIR = ".reelnotes-cache"
DB_NAME = "cache.sqlite"
SCHEMA = 1
SITE_GLOBALS = frozenset({"posts", "tags", "films"})

ReadResult = tuple[Post | None, list[Diagnostic]]


@functools.cache
def code_fingerprint() -> str:
    """A hash of reelnotes' version and source, so an upgrade (or a dev edit) clears the cache;
    computed once per process, whose code does not change while it runs."""
    digest = hashlib.sha256(f"{__version__}:{SCHEMA}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def templates_fingerprint(dirs: Iterable[Path]) -> str:
    """A hash of every template file's name and bytes, in override order."""
    digest = hashlib.sha256()
    for root in dirs:
        digest.update(b"\1" + str(root).encode())
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def globals_used(env: jinja2.Environment) -> frozenset[str]:
    """The site-wide globals (posts, tags, films) any template refers to."""
    used: set[str] = set()
    for name in env.list_templates():
        try:
            source = env.loader.get_source(env, name)[0] if env.loader else ""
            used |= jinja2.meta.find_undeclared_variables(env.parse(source))
        except jinja2.TemplateError:
            return SITE_GLOBALS  # the renderer will report it; assume the worst meanwhile
    return frozenset(used & SITE_GLOBALS)


def remembered_globals(env: jinja2.Environment, fingerprint: str,
                       store: BuildCache) -> frozenset[str]:
    """globals_used, noted in the cache under the templates' (and code's) `fingerprint`:
    parsing every template is the slow part of a build with little to do."""
    noted = store.note("globals_used")
    if noted is not None and noted.startswith(fingerprint + "|"):
        return frozenset(noted[len(fingerprint) + 1:].split(",")) & SITE_GLOBALS
    used = globals_used(env)
    store.store_note("globals_used", fingerprint + "|" + ",".join(sorted(used)))
    return used


_PLAIN = frozenset({type(None), str, int, float, bool, date, datetime})
_FIELDS: dict[type, tuple[str, ...]] = {}
"""Field names per dataclass type, looked up once (a fixed property of the code)."""


class Unhashable(Exception):
    """A template variable of a kind the fingerprint does not know: render the page."""


class Fingerprinter:
    """Hashes template variables; a Post hashes as its source key plus its comments.

    Pages share much of what they show (the films, the tags, the diary's years): each
    object's fingerprint is computed once per build, and a long one is folded to a hash.
    """

    def __init__(self, post_keys: dict[str, str]) -> None:
        self.post_keys = post_keys
        self.memo: dict[int, str] = {}
        self.seen: dict[int, tuple[Any, str]] = {}
        """Fingerprints by id, each with its object, kept alive so the id stays its own."""

    def post(self, post: Post) -> str:
        """The post's digest, computed once per build."""
        found = self.memo.get(id(post))
        if found is None:
            source = self.post_keys.get(post.src_path)
            if source is None:
                raise Unhashable(post.src_path)
            found = hashlib.sha256(f"{source}|{self.of(post.comments)}".encode()).hexdigest()
            self.memo[id(post)] = found
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
        """The fingerprint of a list, tuple, mapping or dataclass, from its parts'."""
        kind = type(value)
        if kind is tuple or kind is list:
            return "[" + ",".join([self.of(v) for v in value]) + "]"
        names = _FIELDS.get(kind)
        if names is None:
            if isinstance(value, Mapping):
                return "{" + ",".join([f"{k!r}:{self.of(v)}"
                                       for k, v in sorted(value.items())]) + "}"
            if not is_dataclass(value) or isinstance(value, type):
                raise Unhashable(kind.__qualname__)
            names = _FIELDS[kind] = tuple(f.name for f in fields(value))
        inner = ",".join([self.of(getattr(value, name)) for name in names])
        return f"{kind.__qualname__}({inner})"

    def key(self, *parts: Any) -> str | None:
        """A hash of `parts`, or None if one cannot be fingerprinted."""
        try:
            text = "|".join(self.of(p) for p in parts)
        except Unhashable:
            return None
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class PageKeys:
    """The input hash of each page: what its template sees, the templates, config and code."""

    def __init__(self, site: Site, renderer: Renderer, post_keys: dict[str, str],
                 store: BuildCache) -> None:
        self.prints = Fingerprinter(post_keys)
        code, templates = code_fingerprint(), templates_fingerprint(template_dirs(site.config))
        used = remembered_globals(renderer.env, f"{code}|{templates}", store)
        shared = {name: getattr(site, name) for name in sorted(used)}
        self.base = self.prints.key(code, repr(site.config), shared, templates)

    def of(self, page: Page) -> str | None:
        """The page's key, or None if it cannot be computed (then it is always rendered)."""
        if self.base is None:
            return None
        return self.prints.key(self.base, page.url, page.template, page.title, page.kind,
                               page.vars)


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """What a previous build wrote to one output file."""

    key: str
    """The hash of the page's inputs."""
    size: int
    """File size then."""
    mtime_ns: int
    """Modification time then."""
    inode: int
    """Inode then; any change means someone else touched the file."""

    def matches(self, path: str) -> bool:
        """True if `path` is still the very file this record describes."""
        try:
            st = os.stat(path)
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns, st.st_ino) == (self.size, self.mtime_ns, self.inode)


class BuildCache:
    """The cache database of one site; every failure degrades to a miss."""

    def __init__(self, folder: Path | None) -> None:
        self.db: sqlite3.Connection | None = None
        if folder is not None:
            self.db = _open(folder / DB_NAME)

    def empty(self) -> bool:
        """True if no parsed post is cached (a first build, or a deleted cache)."""
        return not self._query_args("SELECT 1 FROM posts LIMIT 1", ())

    def posts(self, keys: Iterable[str]) -> dict[str, ReadResult]:
        """The cached read results for those of `keys` that are present and readable."""
        wanted = set(keys)
        found: dict[str, ReadResult] = {}
        rows = (self._rows("SELECT key, value FROM posts") if len(wanted) > 8 else
                (row for k in wanted for row in self._query_one(k)))
        for key, blob in rows:
            if key in wanted:
                try:
                    found[key] = pickle.loads(blob)
                except (pickle.UnpicklingError, EOFError, AttributeError, ImportError,
                        IndexError, TypeError, ValueError):  # a damaged entry is a miss
                    continue
        return found

    def store_posts(self, results: dict[str, ReadResult]) -> None:
        """Add new read results."""
        self.store_pickled({k: pickle.dumps(v, pickle.HIGHEST_PROTOCOL)
                            for k, v in results.items()})

    def store_pickled(self, blobs: Mapping[str, bytes]) -> None:
        """Add new read results, pickled already (by the worker process that parsed them)."""
        self._execute(lambda db: db.executemany("INSERT OR REPLACE INTO posts VALUES (?, ?)",
                                                blobs.items()).close())

    def prune_posts(self, keep: set[str]) -> None:
        """Forget the posts whose key is not in `keep`."""
        def prune(db: sqlite3.Connection) -> None:
            stale = [(k,) for (k,) in db.execute("SELECT key FROM posts") if k not in keep]
            db.executemany("DELETE FROM posts WHERE key = ?", stale)
        self._execute(prune)

    def note(self, name: str) -> str | None:
        """The value noted under `name`, if any."""
        rows = self._query_args("SELECT value FROM notes WHERE name = ?", (name,))
        return rows[0][0] if rows and isinstance(rows[0][0], str) else None

    def store_note(self, name: str, value: str) -> None:
        """Note `value` under `name`, replacing what was there."""
        self._execute(lambda db: db.execute("INSERT OR REPLACE INTO notes VALUES (?, ?)",
                                            (name, value)).close())

    def _query_one(self, key: str) -> list[Any]:
        if self.db is None:
            return []
        try:
            return self.db.execute("SELECT key, value FROM posts WHERE key = ?",
                                   (key,)).fetchall()
        except sqlite3.Error:
            self.db = None
            return []

    def outputs(self, out: Path) -> dict[str, OutputRecord]:
        """What the previous build into `out` wrote, by output path."""
        rows = self._query_args("SELECT dest, key, size, mtime_ns, inode FROM page_outputs "
                                "WHERE out = ?", (str(out),))
        return {dest: OutputRecord(key, size, mtime, inode)
                for dest, key, size, mtime, inode in rows}

    def store_outputs(self, out: Path, records: dict[str, OutputRecord]) -> None:
        """Replace the output records of `out` with this build's."""
        rows = [(str(out), d, r.key, r.size, r.mtime_ns, r.inode) for d, r in records.items()]

        def write(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM page_outputs WHERE out = ?", (str(out),))
            db.executemany("INSERT INTO page_outputs VALUES (?, ?, ?, ?, ?, ?)", rows)
        self._execute(write)

    def close(self) -> None:
        """Close the database."""
        if self.db is not None:
            self.db.close()
            self.db = None

    def _rows(self, sql: str) -> Iterator[Any]:
        """Rows one at a time (a cache can be larger than we want in memory at once)."""
        if self.db is None:
            return
        try:
            yield from self.db.execute(sql)
        except sqlite3.Error:
            self.db = None

    def _query_args(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        if self.db is None:
            return []
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error:
            self.db = None
            return []

    def _execute(self, change: Callable[[sqlite3.Connection], None]) -> None:
        if self.db is None:
            return
        try:
            with self.db:
                change(self.db)
        except sqlite3.Error:
            self.db = None


def _open(path: Path) -> sqlite3.Connection | None:
    """Open (creating) the database; a damaged file is deleted and started afresh."""
    for attempt in range(2):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, isolation_level="DEFERRED")
            db.execute("PRAGMA page_size=65536")  # a new file only: posts are pickles of ~10 kB
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")  # a lost cache is only a slower build
            db.execute("CREATE TABLE IF NOT EXISTS posts (key TEXT PRIMARY KEY, value BLOB)")
            # small facts worth keeping between builds (BuildCache.note)
            db.execute("CREATE TABLE IF NOT EXISTS notes (name TEXT PRIMARY KEY, value TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS page_outputs (out TEXT, dest TEXT, key TEXT, "
                       "size INTEGER, mtime_ns INTEGER, inode INTEGER, PRIMARY KEY (out, dest))")
            db.execute("SELECT count(*) FROM posts").fetchone()
            return db
        except (sqlite3.Error, OSError):
            if attempt == 0:
                for stale in (path, path.with_name(path.name + "-wal"),
                              path.with_name(path.name + "-shm")):
                    stale.unlink(missing_ok=True)
    return None


def post_key(salt: str, rel: str, raw: bytes) -> str:
    """The cache key of one post file."""
    digest = hashlib.sha256(salt.encode())
    digest.update(b"\0" + rel.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(raw)
    return digest.hexdigest()


def config_fingerprint(config: SiteConfig, code: str) -> str:
    """What every cached post depends on besides its own file."""
    return hashlib.sha256(f"{code}|{config!r}".encode("utf-8", "surrogatepass")).hexdigest()
