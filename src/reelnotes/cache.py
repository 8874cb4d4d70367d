"""The content-hash cache in .reelnotes-cache/: parsed posts and what each output page was made of.

Safe to delete at any time, and a damaged cache is ignored, never an error. Parsed posts are
keyed by a hash of the file's bytes, its path, the config and reelnotes' own code; output pages
by their page key (keys.py). A page whose key is unchanged and whose previous output file is
untouched is reused without rendering.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from . import __version__
from .config import SiteConfig
from .errors import Diagnostic
from .model import Post

DB_NAME = "cache.sqlite"
SCHEMA = 1

ReadResult = tuple[Post | None, list[Diagnostic]]


@functools.cache
def code_fingerprint() -> str:
    """A hash of reelnotes' version and source, so an upgrade (or a dev edit) clears the cache;
    computed once per process, whose code does not change while it runs."""
    digest = hashlib.sha256(f"{__version__}:{SCHEMA}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class OutputRecord(NamedTuple):
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


LOOKUP_MAX = 500
"""Posts looked up by key in one query (a patch's few, up to SQLite's oldest limit on
parameters, 999); more are found in one pass over the table (a full build's)."""


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
        rows = (self._rows("SELECT key, value FROM posts") if len(wanted) > LOOKUP_MAX else
                self._query_args("SELECT key, value FROM posts WHERE key IN "
                                 f"({', '.join('?' * len(wanted))})", tuple(wanted)))
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

    def forget_posts(self, keys: Iterable[str]) -> None:
        """Forget the posts under `keys`."""
        self._execute(lambda db: db.executemany("DELETE FROM posts WHERE key = ?",
                                                [(k,) for k in keys]).close())

    def prune_posts(self, keep: set[str]) -> None:
        """Forget the posts whose key is not in `keep`."""
        self.forget_posts([k for (k,) in self._query_args("SELECT key FROM posts", ())
                           if k not in keep])

    def note(self, name: str) -> str | None:
        """The value noted under `name`, if any."""
        rows = self._query_args("SELECT value FROM notes WHERE name = ?", (name,))
        return rows[0][0] if rows and isinstance(rows[0][0], str) else None

    def store_note(self, name: str, value: str) -> None:
        """Note `value` under `name`, replacing what was there."""
        self._execute(lambda db: db.execute("INSERT OR REPLACE INTO notes VALUES (?, ?)",
                                            (name, value)).close())

    def outputs(self, out: Path) -> dict[str, OutputRecord]:
        """What the previous build into `out` wrote, by output path."""
        rows = self._query_args("SELECT dest, key, size, mtime_ns, inode FROM page_outputs "
                                "WHERE out = ?", (str(out),))
        return {dest: OutputRecord(key, size, mtime, inode)
                for dest, key, size, mtime, inode in rows}

    def store_outputs(self, out: Path, records: dict[str, OutputRecord], *,
                      every: bool = True) -> None:
        """Record what `out` holds: all of it (the records of files not given go), or with
        `every` False, only the files given (a patch's)."""
        rows = [(str(out), d, r.key, r.size, r.mtime_ns, r.inode) for d, r in records.items()]

        def write(db: sqlite3.Connection) -> None:
            if every:
                db.execute("DELETE FROM page_outputs WHERE out = ?", (str(out),))
            db.executemany("INSERT OR REPLACE INTO page_outputs VALUES (?, ?, ?, ?, ?, ?)", rows)
        self._execute(write)

    def checkpoint(self) -> None:
        """Copy what the write-ahead log holds into the database now (closing does it too):
        a build does it while its workers render, so that closing has little left to copy."""
        self._execute(lambda db: db.execute("PRAGMA wal_checkpoint(PASSIVE)").close())

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
            db.execute("SELECT 1 FROM posts LIMIT 1").fetchone()  # (a damaged file fails here)
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
