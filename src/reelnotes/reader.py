"""Read every post through the cache: hash each file, parse only the misses, across processes.

A worker reads a file once, and the cache key is the hash of the very bytes it parsed."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

from .cache import BuildCache, ReadResult, code_fingerprint, config_fingerprint, post_key
from .config import SiteConfig
from .content import post_files, read_post
from .parallel import fan_out
from .scanner import digest_of

Progress = Callable[[str, int, int], None]
SAVE_EVERY = 256
"""Parsed posts stored in the cache in one go while reading."""


def _read_one(item: tuple[Path, str, SiteConfig, str, bool]) -> tuple[str, bytes, str]:
    """Read one post file once, parse it, and pickle the result, once for both the build and
    the cache; return its cache key (of the very bytes parsed, "" if unreadable), that, and
    if asked (`item[4]`) the manifest's hash of those bytes (else "")."""
    path, rel, config, salt, digest = item
    try:
        raw = path.read_bytes()
    except OSError:
        return "", pickle.dumps(read_post(path, rel, config), pickle.HIGHEST_PROTOCOL), ""
    result = read_post(path, rel, config, raw=raw)
    return (post_key(salt, rel, raw), pickle.dumps(result, pickle.HIGHEST_PROTOCOL),
            digest_of(raw) if digest else "")


class CachedReader:
    """Every post's read result, from the cache or parsed now; `read` hands them out."""

    def __init__(self, config: SiteConfig, store: BuildCache, jobs: int,
                 progress: Progress, meanwhile: Callable[[], None] | None = None,
                 digest: frozenset[str] = frozenset()) -> None:
        """Read every post; `meanwhile` runs once the first parsed post is back (the worker
        processes are busy then), or at the end if none needs parsing. The files in `digest`
        (paths as Inputs.pending writes them) are hashed as read, into `digests`."""
        salt = self.salt = config_fingerprint(config, code_fingerprint())
        self.store = store
        self.keys: dict[str, str] = {}
        files = self.files = [(path, path.relative_to(config.root).as_posix())
                              for path in post_files(config)]
        self.results: dict[str, ReadResult] = {}
        self.digests: dict[str, str] = {}
        if not store.empty():  # else every post is a miss: the workers hash what they parse
            for path, rel in files:
                try:
                    raw = path.read_bytes()
                except OSError:
                    continue  # read_post reports it
                self.keys[rel] = post_key(salt, rel, raw)
                if str(path) in digest:
                    self.digests[str(path)] = digest_of(raw)
            cached = store.posts(self.keys.values())
            self.results = {rel: cached[key] for rel, key in self.keys.items() if key in cached}
        misses = [(path, rel, config, salt, str(path) in digest) for path, rel in files
                  if rel not in self.results]
        self.unsaved: dict[str, bytes] = {}
        for done, (item, (key, blob, hashed)) in enumerate(
                zip(misses, fan_out(_read_one, misses, jobs), strict=True), 1):
            self.results[item[1]] = pickle.loads(blob)
            if key:
                self.keys[item[1]] = key  # of the bytes parsed, even if saved since hashing
                self.unsaved[key] = blob
                if len(self.unsaved) >= SAVE_EVERY:
                    self.save()
            if hashed:
                self.digests[str(item[0])] = hashed
            progress("reading posts", len(files) - len(misses) + done, len(files))
            if done == 1 and meanwhile is not None:
                meanwhile()
        if not misses and meanwhile is not None:
            meanwhile()
        self.parsed = len(misses)
        self.used = set(self.keys.values())

    def read(self, path: Path, rel: str, config: SiteConfig,
             slug: str | None = None) -> ReadResult:
        """The read result for one post file (load_content's `read`); with `slug`, the post
        moved to that slug because its title's slug is taken (cached under its own key)."""
        if slug is None:
            found = self.results.get(rel)
            return found if found is not None else read_post(path, rel, config)
        try:
            key = post_key(self.salt, f"{rel}\0slug={slug}", path.read_bytes())
        except OSError:
            return read_post(path, rel, config, slug)
        self.used.add(key)
        cached = self.store.posts([key]).get(key)
        if cached is not None:
            return cached
        result = read_post(path, rel, config, slug)
        self.store.store_posts({key: result})
        return result

    def save(self) -> None:
        """Store the posts parsed and not stored yet in the cache. The reader does it as they
        come, a batch at a time: the pickles are not kept in memory that render workers,
        forked later, would share."""
        self.store.store_pickled(self.unsaved)
        self.unsaved = {}

    def forget_the_rest(self) -> None:
        """Drop cached posts this build did not use (deleted or edited files)."""
        self.store.prune_posts(self.used)
