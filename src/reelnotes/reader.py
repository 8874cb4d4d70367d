"""Read every post through the cache: hash each file, parse only the misses, across processes."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

from .cache import BuildCache, ReadResult, code_fingerprint, config_fingerprint, post_key
from .config import SiteConfig
from .content import post_files, read_post

Progress = Callable[[str, int, int], None]
T = TypeVar("T")
R = TypeVar("R")
MIN_PARALLEL = 64
"""Fewer items than this are handled in-process: starting workers would cost more."""


def default_jobs() -> int:
    """The processes a build may use: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def pool(jobs: int) -> Executor:
    """A process pool; forked when this process has one thread, else a fork server."""
    method = "fork" if threading.active_count() == 1 and os.name == "posix" else "forkserver"
    if method not in multiprocessing.get_all_start_methods():
        method = "spawn"
    return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method))


def fan_out(work: Callable[[T], R], items: Sequence[T], jobs: int) -> Iterator[R]:
    """Apply `work` to `items` in order, across `jobs` processes when that pays."""
    if jobs <= 1 or len(items) < MIN_PARALLEL:
        yield from map(work, items)
        return
    chunk = max(1, min(64, len(items) // (jobs * 8)))
    with pool(jobs) as executor:
        yield from executor.map(work, items, chunksize=chunk)


def _read_one(item: tuple[Path, str, SiteConfig]) -> ReadResult:
    return read_post(*item)


class CachedReader:
    """Every post's read result, from the cache or parsed now; `read` hands them out."""

    def __init__(self, config: SiteConfig, store: BuildCache, jobs: int,
                 progress: Progress) -> None:
        salt = config_fingerprint(config, code_fingerprint())
        self.keys: dict[str, str] = {}
        raw: dict[str, bytes] = {}
        files: list[tuple[Path, str]] = []
        for path in post_files(config):
            rel = path.relative_to(config.root).as_posix()
            files.append((path, rel))
            try:
                raw[rel] = path.read_bytes()
            except OSError:
                continue  # read_post reports it
            self.keys[rel] = post_key(salt, rel, raw[rel])
        cached = store.posts(self.keys.values())
        self.results: dict[str, ReadResult] = {
            rel: cached[key] for rel, key in self.keys.items() if key in cached}
        misses = [(path, rel, config) for path, rel in files if rel not in self.results]
        fresh: dict[str, ReadResult] = {}
        for done, (item, result) in enumerate(zip(misses, fan_out(_read_one, misses, jobs)), 1):
            fresh[item[1]] = result
            progress("reading", len(self.results) + done, len(files))
        self.parsed = len(fresh)
        store.store_posts({self.keys[rel]: result for rel, result in fresh.items()
                           if rel in self.keys and _unchanged(config.root / rel, raw[rel])},
                          keep=set(self.keys.values()))
        self.results.update(fresh)

    def read(self, path: Path, rel: str, config: SiteConfig) -> ReadResult:
        """The read result for one post file (load_content's `read`)."""
        found = self.results.get(rel)
        return found if found is not None else read_post(path, rel, config)


def _unchanged(path: Path, raw: bytes) -> bool:
    """True if the file still holds `raw` (it was not saved again while we parsed it)."""
    try:
        return path.read_bytes() == raw
    except OSError:
        return False
