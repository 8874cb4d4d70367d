"""Read every post through the cache: hash each file, parse only the misses, across processes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .cache import BuildCache, ReadResult, code_fingerprint, config_fingerprint, post_key
from .config import SiteConfig
from .content import post_files, read_post
from .parallel import fan_out

Progress = Callable[[str, int, int], None]


def _read_one(item: tuple[Path, str, SiteConfig, str, str]) -> tuple[ReadResult, bool]:
    """Parse one post; also say whether the file still hashes to `key` (not saved meanwhile)."""
    path, rel, config, salt, key = item
    result = read_post(path, rel, config)
    try:
        return result, post_key(salt, rel, path.read_bytes()) == key
    except OSError:
        return result, False


class CachedReader:
    """Every post's read result, from the cache or parsed now; `read` hands them out."""

    def __init__(self, config: SiteConfig, store: BuildCache, jobs: int,
                 progress: Progress) -> None:
        salt = config_fingerprint(config, code_fingerprint())
        self.keys: dict[str, str] = {}
        files: list[tuple[Path, str]] = []
        for path in post_files(config):
            rel = path.relative_to(config.root).as_posix()
            files.append((path, rel))
            try:
                self.keys[rel] = post_key(salt, rel, path.read_bytes())
            except OSError:
                continue  # read_post reports it
        cached = store.posts(self.keys.values())
        self.results: dict[str, ReadResult] = {
            rel: cached[key] for rel, key in self.keys.items() if key in cached}
        misses = [(path, rel, config, salt, self.keys.get(rel, ""))
                  for path, rel in files if rel not in self.results]
        fresh: dict[str, ReadResult] = {}
        stable: dict[str, ReadResult] = {}
        for done, (item, (result, same)) in enumerate(
                zip(misses, fan_out(_read_one, misses, jobs)), 1):
            fresh[item[1]] = result
            if same:
                stable[item[4]] = result
            progress("reading posts", len(self.results) + done, len(files))
        self.parsed = len(fresh)
        store.store_posts(stable, keep=set(self.keys.values()))
        self.results.update(fresh)

    def read(self, path: Path, rel: str, config: SiteConfig) -> ReadResult:
        """The read result for one post file (load_content's `read`)."""
        found = self.results.get(rel)
        return found if found is not None else read_post(path, rel, config)
