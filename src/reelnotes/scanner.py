"""The scan of a build's inputs: the stat of every file it may read, and a hash of the files
changed just before it (manifest.py says why).

This module needs only the standard library and imports nothing of reelnotes, so that a build
can run it as a script in a Python of its own (`python -I -S scanner.py`, manifest.Scan):
that process makes the scan, mostly stat calls, on another processor while the build loads
its manifest and imports what it needs, and writes it to its standard output (marshal).

`reelnotes build` starts that process before it imports anything else (start_early), with
the arguments the last build into the site left in its cache folder; the build takes it over
if its own arguments are the same (manifest.Scan), and starts another if not.
"""

from __future__ import annotations

import marshal
import os
import struct
import sys
import time

CACHE_DIR = ".reelnotes-cache"
"""The site's cache folder (cache.py, the manifest, serve's site): safe to delete."""

ARGS_FILE = "scan-args"
"""The file in the cache folder that holds the last build's scan arguments (marshal)."""

RACY_NS = 3_000_000_000
"""How recently a file may have changed before a scan and still be trusted by its stat alone."""

Stat = tuple[int, int, int, int]
"""A file's size, mtime_ns, ctime_ns and inode."""

Found = tuple[dict[str, Stat], dict[str, str], frozenset[str]]
"""A scan: the stat of every file by path; the hash of each file changed just before the scan
but posts; the posts changed just before the scan (their hash is taken as they are read)."""

STAT = struct.Struct("<qqqQ")
"""A Stat packed (manifest.StatTable): size, mtimes and ctime as signed, inode as unsigned."""

_LIMITS = ((-1 << 63, (1 << 63) - 1),) * 3 + ((0, (1 << 64) - 1),)


def packed(stats: dict[str, Stat]) -> tuple[tuple[str, ...], bytes]:
    """The paths of `stats`, sorted, and their stats packed in that order (STAT)."""
    paths = tuple(sorted(stats))
    pack = STAT.pack
    try:
        return paths, b"".join([pack(*stats[path]) for path in paths])
    except struct.error:  # a time past 2262 (touch -d), say: held at the limit, as the ctime,
        # which the system sets, still tells a change
        return paths, b"".join([pack(*(min(max(value, low), high) for value, (low, high)
                                       in zip(stats[path], _LIMITS, strict=True)))
                                for path in paths])


def stat_of(path: str, *, follow: bool) -> Stat | None:
    """The stat of `path` (through a symlink if `follow`, else of a dangling link itself)."""
    try:
        st = os.stat(path, follow_symlinks=follow)
    except OSError:
        try:
            st = os.lstat(path)
        except OSError:
            return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def stats_under(root: str, *, follow: bool,
                into: dict[str, Stat] | None = None) -> dict[str, Stat]:
    """The stat of every file and symlink under `root`, by path, added `into` a dict; like the
    build's own walk, it does not descend into symlinked folders (their own stat is kept).
    (One loop, no generator: it runs over every input and output file of every build.)"""
    found: dict[str, Stat] = {} if into is None else into
    try:
        with os.scandir(root) as entries:
            listed = list(entries)
    except OSError:
        return found
    stat = os.stat
    for entry in listed:
        if entry.is_dir(follow_symlinks=False):
            stats_under(entry.path, follow=follow, into=found)
            continue
        path = entry.path
        try:
            st = stat(path, follow_symlinks=follow)
        except OSError:
            fallback = stat_of(path, follow=follow)
            if fallback is not None:
                found[path] = fallback
            continue
        found[path] = st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino
    return found


def digest_of(data: bytes) -> str:
    """The hash the manifest keeps of a file's bytes."""
    import hashlib  # (here: the scan seldom needs it, and OpenSSL takes 2 ms to load)

    return hashlib.sha256(data).hexdigest()


def file_digest(path: str) -> str:
    """A hash of a file's bytes (of a folder's names), or "" if it cannot be read."""
    try:
        if os.path.isdir(path):
            data = "\0".join(sorted(os.listdir(path))).encode("utf-8", "surrogateescape")
        else:
            with open(path, "rb") as file:
                data = file.read()
    except OSError:
        return ""
    return digest_of(data)


def is_post_name(name: str) -> bool:
    """True if a file of this name under content/posts/ is a post: Markdown, not hidden."""
    return name.endswith(".md") and not name.startswith(".")


def scan(roots: list[str], code: str, posts: str, now_ns: int) -> Found:
    """Stat every file under `roots` and the Python files in `code` (reelnotes' source); hash
    those changed since `now_ns` - RACY_NS (the wall clock, read before the scan), but for
    post files (under `posts`, ending in a separator), left pending."""
    stats: dict[str, Stat] = {}
    for root in roots:
        stats_under(root, follow=True, into=stats)
    try:
        sources = sorted(name for name in os.listdir(code) if name.endswith(".py"))
    except OSError:
        sources = []
    for name in sources:
        path = os.path.join(code, name)
        stat = stat_of(path, follow=True)
        if stat is not None:
            stats[path] = stat
    racy = now_ns - RACY_NS
    recent = [path for path, stat in stats.items() if max(stat[1], stat[2]) > racy]
    pending = frozenset(path for path in recent
                        if path.startswith(posts) and is_post_name(os.path.basename(path)))
    return stats, {path: file_digest(path) for path in recent if path not in pending}, pending


PIPE_SIZE = 1 << 20
"""Bytes the scan's pipe may hold (Linux's largest unprivileged size; ~0.4 MB at 4,000 posts)."""


class Child:
    """A scanning process, started by `spawn`. (A plain class: the scanning process itself
    does without typing's import.)"""

    __slots__ = ("args", "now_ns", "pid", "pipe")

    def __init__(self, pid: int, pipe: int, now_ns: int, args: list[str]) -> None:
        self.pid = pid
        self.pipe = pipe
        """The read end of its standard output."""
        self.now_ns = now_ns
        """The wall clock, read before it was started (its scan's `now_ns`)."""
        self.args = args
        """POSTS, CODE and the ROOTs it scans (main's arguments after NOW_NS)."""


def _pipe() -> tuple[int, int]:
    """A pipe with room for a whole scan, so that its writer need not wait for the reader."""
    import fcntl  # (POSIX, as posix_spawn is)

    read_end, write_end = os.pipe()  # (neither is inherited but as dup2 makes it stdout)
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        try:
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:
            pass
    return read_end, write_end


def spawn(now_ns: int, args: list[str]) -> Child | None:
    """Start this script in a Python of its own (`python -I -S`, by posix_spawn) to scan with
    `args`, writing into a pipe; None where it cannot be started (no posix_spawn, a frozen
    application, an error)."""
    if not hasattr(os, "posix_spawn") or not sys.executable or getattr(sys, "frozen", False):
        return None
    read_end, write_end = _pipe()
    try:
        pid = os.posix_spawn(
            sys.executable, [sys.executable, "-I", "-S", os.path.abspath(__file__), str(now_ns),
                             *args], os.environ,
            file_actions=[(os.POSIX_SPAWN_DUP2, write_end, 1),
                          (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
    except OSError:
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
    return Child(pid, read_end, now_ns, args)


def stop(child: Child) -> None:
    """Stop a scanning process whose scan is not wanted, and reap it."""
    os.close(child.pipe)
    try:
        os.kill(child.pid, 9)
        os.waitpid(child.pid, 0)
    except OSError:  # gone already
        pass


early: Child | None = None
"""The scan started by start_early, until a build takes it over (manifest.Scan)."""


def args_file(site: str) -> str:
    """Where a build into the site folder `site` leaves its scan arguments."""
    return os.path.join(site, CACHE_DIR, ARGS_FILE)


def start_early(argv: list[str]) -> None:
    """For `reelnotes build` (as `argv`, its command line, gives it: the site as `--site DIR`
    or `--site=DIR`, or the current folder), start the scan the last build into that site
    made, so that it runs while this process imports the build's modules (~20 ms) instead of
    after them. (A forked copy of this process would start sooner, but the pages it shares
    with this one are copied as this one imports: slower, measured.)"""
    global early  # noqa: PLW0603 (one per process: the command's)
    if not argv or argv[0] != "build" or early is not None:
        return
    site = "."
    for word, value in zip(argv[1:], [*argv[2:], ""], strict=True):
        if word == "--site" and value:
            site = value
        elif word.startswith("--site="):
            site = word.removeprefix("--site=")
    try:
        with open(args_file(site), "rb") as file:
            args = marshal.loads(file.read())
    except (OSError, EOFError, ValueError, TypeError):  # none yet, or damaged
        return
    if isinstance(args, list) and args and all(isinstance(arg, str) for arg in args):
        early = spawn(time.time_ns(), args)


def main(argv: list[str]) -> None:
    """`scanner.py NOW_NS POSTS CODE ROOT...`: write scan(...), its stats packed, to standard
    output (marshal), and exit there: the build reads to the end of it, which comes only as
    this process ends, and tearing the interpreter down took ~2 ms of that wait."""
    now_ns, posts, code, *roots = argv
    stats, digests, pending = scan(roots, code, posts, int(now_ns))
    out = sys.stdout.buffer
    out.write(marshal.dumps((packed(stats), digests, pending)))
    out.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
