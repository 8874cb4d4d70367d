"""The build manifest: what the last build into an output folder read and wrote, by file stat.

Like make, or git's index. For each output folder the manifest records the size, mtime, ctime
and inode of every file a build may read (content/, templates/, static/, the theme's, and
reelnotes' own source), what the build was asked (version, config, options), the stat of every
file it left in the output, and the figures it reported. While all of that still holds and no
scheduled post has come due, the output is exactly what a build would make again, so the build
stops there: nothing is read, modelled or rendered.

A file changed twice within one tick of the file system's clock could keep its stat. As git
does for "racily clean" entries, a file changed less than RACY_NS before the scan that recorded
it also records a hash of its bytes, which the next build checks. This assumes file times at
least as fine as two seconds (every common file system's) and set from this machine's clock;
output files are trusted by their stat alone, as the cache's page records are. The manifest
lives in the cache folder: deleted or damaged, it only makes the next build a full one.

A build that re-renders one post's pages (patch.py) changes a handful of the manifest's
thousands of entries: it writes them to a journal beside it (Journal), not the whole anew.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import marshal
import os
import pickle
import select
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from . import __version__, scanner
from .config import SiteConfig
from .errors import Diagnostic
from .parallel import default_jobs
from .scanner import STAT, Stat, file_digest, stat_of, stats_under
from .theme import theme_static, theme_templates

if TYPE_CHECKING:
    from .feed import Feed


def input_roots(config: SiteConfig) -> list[Path]:
    """Every folder whose files a build may read."""
    return [config.content_dir, config.templates_dir, theme_templates(), config.static_dir,
            theme_static()]


def scanned(config: SiteConfig) -> tuple[list[str], str, str]:
    """What scanner.scan looks at: the roots, reelnotes' source and the posts folder."""
    return ([str(root) for root in input_roots(config)], os.path.dirname(__file__),
            os.path.join(config.content_dir, "posts", ""))


class StatTable(Mapping[str, Stat]):
    """Stats by path, as a build records them: the paths sorted, and their stats packed in
    one bytes object in that order (scanner.packed). Thousands of them (a manifest, a scan)
    load as two objects, not five a file, and the files changed since another table are told
    by comparing bytes."""

    __slots__ = ("packed", "paths")

    def __init__(self, paths: tuple[str, ...], packed: bytes) -> None:
        if len(packed) != len(paths) * STAT.size:
            raise ValueError("a stat table's paths and stats do not match")
        self.paths = paths
        self.packed = packed

    @staticmethod
    def of(stats: dict[str, Stat]) -> StatTable:
        """The table of `stats`."""
        return StatTable(*scanner.packed(stats))

    def __reduce__(self) -> tuple[type[StatTable], tuple[tuple[str, ...], bytes]]:
        return StatTable, (self.paths, self.packed)

    def __len__(self) -> int:
        return len(self.paths)

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def _where(self, path: object) -> int:
        """The index of `path`, or -1."""
        if not isinstance(path, str):
            return -1
        i = bisect.bisect_left(self.paths, path)
        return i if i < len(self.paths) and self.paths[i] == path else -1

    def __contains__(self, path: object) -> bool:
        return self._where(path) >= 0

    def __getitem__(self, path: str) -> Stat:
        i = self._where(path)
        if i < 0:
            raise KeyError(path)
        stat: Stat = STAT.unpack_from(self.packed, i * STAT.size)
        return stat

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StatTable):
            return self.paths == other.paths and self.packed == other.packed
        return isinstance(other, Mapping) and len(other) == len(self) and all(
            other.get(path) == stat for path, stat in self.items())

    def relative(self, prefix: str) -> list[str]:
        """The paths, each without `prefix`, which every one starts with (the output folder's,
        output_path): one pass in C over them all, for thousands of files."""
        if not self.paths:
            return []
        return "\0".join(self.paths).replace("\0" + prefix, "\0")[len(prefix):].split("\0")

    def changed(self, old: StatTable) -> list[str] | None:
        """The paths whose stat differs in `old`, or None if it holds other paths."""
        if self.paths != old.paths:
            return None
        new, was, size = self.packed, old.packed, STAT.size
        if new == was:
            return []
        found: list[str] = []
        step = 64 * size  # (runs of 64 stats compared at once, then those of a run that differs)
        for start in range(0, len(new), step):
            if new[start:start + step] != was[start:start + step]:
                found += [self.paths[at // size]
                          for at in range(start, min(start + step, len(new)), size)
                          if new[at:at + size] != was[at:at + size]]
        return found

    def updated(self, stats: Mapping[str, Stat]) -> StatTable:
        """This table with `stats` in place of (or beside) its own."""
        if not stats:
            return self
        where = [self._where(path) for path in stats]
        if min(where) < 0:  # a path it does not hold
            return StatTable.of({**self, **stats})
        packed = bytearray(self.packed)
        for i, path in zip(where, stats, strict=True):
            packed[i * STAT.size:(i + 1) * STAT.size] = scanner.packed({path: stats[path]})[1]
        return StatTable(self.paths, bytes(packed))


class Inputs(NamedTuple):
    """The stat of every file a build may read, taken before it reads any."""

    stats: StatTable
    """Stat by path."""
    digests: dict[str, str]
    """Bytes' hash by path, of the files changed just before the scan."""
    pending: frozenset[str] = frozenset()
    """Post files changed just before the scan whose hash the build's reader takes, from the
    very bytes it reads (a cold build on a fresh clone reads each file once, not twice)."""

    @staticmethod
    def scan(config: SiteConfig, now_ns: int) -> Inputs:
        """Stat the site's inputs and reelnotes' source; hash those changed since
        `now_ns` - RACY_NS (the wall clock, read before the scan), but for post files, left
        `pending`: `settled` hashes them, or the reader does (`read`). (scanner.scan)"""
        stats, digests, pending = scanner.scan(*scanned(config), now_ns)
        return Inputs(StatTable.of(stats), digests, pending)

    def settled(self) -> Inputs:
        """These inputs with the pending files hashed now (before any is read)."""
        return self.read({path: file_digest(path) for path in self.pending})

    def read(self, digests: Mapping[str, str]) -> Inputs:
        """These inputs with the pending files' hashes, taken by the reader from the bytes it
        read; one it did not read gets none that matches, so the next build checks it."""
        return self._replace(digests={**self.digests, **{
            path: digests.get(path, "") for path in self.pending}}, pending=frozenset())

    def same_as(self, old: Inputs) -> bool:
        """True if no file was added, removed or changed since `old` was scanned."""
        return self.stats == old.stats and all(
            (self.digests.get(path) or file_digest(path)) == digest
            for path, digest in old.digests.items())

    def changed(self, old: Inputs) -> list[str] | None:
        """The files changed since `old` was scanned, or None if any was added or removed."""
        changed = self.stats.changed(old.stats)
        if changed is None:
            return None
        return sorted({*changed} | {path for path, digest in old.digests.items()
                                    if (self.digests.get(path) or file_digest(path)) != digest})


class Scan:
    """Inputs.scan, made by another Python process while this one goes on (it loads the
    manifest, imports what the build may need): the scan is mostly stat calls, 4,000 for as
    many posts, which that process makes on another processor. `inputs()` waits for it,
    `close()` reaps the process. That process runs scanner.py alone (`python -I -S`, started
    by posix_spawn, ~10 ms before it scans): a forked copy of this one would start at once,
    but each page either then wrote would be copied, which took back most of what it saved.
    `reelnotes build` starts it before its own imports, with the arguments the last build
    left (scanner.start_early): it is taken over if they are this build's, else stopped.
    Where it cannot be started (no posix_spawn, a frozen application) or fails, the scan is
    made in this process; so it is on one processor, and when this one has nothing to do
    meanwhile (`aside` false: no manifest to load, as in a first build)."""

    def __init__(self, config: SiteConfig, now_ns: int, *, aside: bool = True) -> None:
        self.config, self.now_ns = config, now_ns
        self.pid, self.pipe = 0, -1
        roots, code, posts = scanned(config)
        args = [posts, code, *roots]
        child, scanner.early = scanner.early, None
        if child is not None and child.args != args:
            scanner.stop(child)
            child = None
        wanted = default_jobs() >= 2
        if child is None and aside and wanted:
            child = scanner.spawn(now_ns, args)
        if child is not None:
            self.pid, self.pipe, self.now_ns = child.pid, child.pipe, child.now_ns
        _leave_args(scanner.args_file(str(config.root)), args if wanted else None)

    def ready(self) -> bool:
        """True once the child has sent the scan, or failed (or there is no child)."""
        return self.pipe < 0 or bool(select.select([self.pipe], [], [], 0)[0])

    def inputs(self) -> Inputs:
        """The scan: the child's, once it is done, or one made now."""
        if self.pipe < 0:
            return Inputs.scan(self.config, self.now_ns)
        with open(self.pipe, "rb") as pipe:
            data = pipe.read()
        self.pipe = -2  # (read: a second call scans here)
        try:
            (paths, packed), digests, pending = marshal.loads(data)
            return Inputs(StatTable(paths, packed), digests, pending)
        except (EOFError, ValueError, TypeError):  # the child failed: scan here
            return Inputs.scan(self.config, self.now_ns)

    def close(self) -> None:
        """Reap the child (which has exited by then: waiting for it in `inputs` cost ~1 ms),
        and close the pipe if the scan was never read (the build failed first)."""
        if self.pipe >= 0:
            os.close(self.pipe)
            self.pipe = -2
        if self.pid > 0:
            with contextlib.suppress(ChildProcessError):  # reaped already: SIGCHLD ignored
                os.waitpid(self.pid, 0)
            self.pid = 0

    def __enter__(self) -> Scan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _leave_args(path: str, args: list[str] | None) -> None:
    """Leave a build's scan arguments for the next build's early start (scanner.start_early),
    or none when it would make the scan itself; written only when they change."""
    data = b"" if args is None else marshal.dumps(args)
    try:
        with open(path, "rb") as file:
            if file.read() == data:
                return
    except OSError:
        if not data:
            return
    with contextlib.suppress(OSError):
        if not data:
            os.unlink(path)
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "wb") as file:
            file.write(data)
        os.replace(tmp, path)


def output_path(out: Path, dest: str) -> str:
    """The path of an output file as output_stats records it."""
    return os.path.join(out, dest)


def output_stat(path: str) -> Stat | None:
    """The stat of one output file, as output_stats records it."""
    return stat_of(path, follow=False)


def output_stats(out: Path) -> dict[str, Stat]:
    """The stat of every file in the output folder."""
    return stats_under(str(out), follow=False)


def request(config: SiteConfig, out: Path, *, drafts: bool, future: bool) -> str:
    """A hash of what a build is asked: reelnotes' version, the config and the options."""
    text = f"{__version__}|{config!r}|{out}|{drafts}|{future}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


DIGEST = 32
"""Bytes of a SHA-256 digest: a patch index holds its keys and cards so (hex, as elsewhere,
took two strings a post, most of a manifest's load)."""

_NONE = bytes(DIGEST)
"""A post's place in a packed key table when it has no key (it was not read as it is shown)."""


def packed_digests(order: tuple[str, ...], digests: Mapping[str, str], prefix: str = "") -> bytes:
    """The hex `digests` (each `prefix` and 64 digits) of the names in `order`, packed in that
    order; zeros for a name without one."""
    cut = len(prefix)
    return b"".join([_NONE if name not in digests else bytes.fromhex(digests[name][cut:])
                     for name in order])


class PatchIndex(NamedTuple):
    """What the next build needs to re-render a post's own page alone (see patch.py)."""

    base: str
    """The page keys' common part (code, config, templates)."""
    salt: str
    """What the posts' cache keys were salted with (code and config: a patch applies only
    while neither changed, so it need not hash reelnotes' source again)."""
    order: tuple[str, ...]
    """The source file of every post shown, newest first."""
    keys: bytes
    """The cache key of each post in `order` as it was read (no comments added, slug unmoved),
    packed (packed_digests); zeros for a post composed after reading."""
    cards: bytes
    """The card digest of each post in `order` (keys.card_digest), packed alike."""
    neighbours: bool
    """True if the post template reads bodies: a post's neighbours' pages hold its body."""
    feeds: tuple[Feed, ...] = ()
    """Every feed, with the posts it carries whole (a patch makes their items anew in it)."""

    def key(self, at: int) -> str | None:
        """The cache key of the post at `at` in `order`, if it was read as it is shown."""
        packed = self.keys[at * DIGEST:(at + 1) * DIGEST]
        return None if packed == _NONE else packed.hex()

    def card(self, at: int) -> str:
        """The card digest of the post at `at` in `order`, in hex (without its prefix)."""
        return self.cards[at * DIGEST:(at + 1) * DIGEST].hex()

    def places(self, names: Collection[str]) -> dict[str, int]:
        """The place in `order` of each of `names` it holds: found by a scan of the order for
        a few, through a map of it made once for more."""
        if len(names) > PLACES_SCANNED:
            wanted = set(names)
            return {name: i for i, name in enumerate(self.order) if name in wanted}
        found: dict[str, int] = {}
        for name in names:
            with contextlib.suppress(ValueError):
                found[name] = self.order.index(name)
        return found

    def with_keys(self, keys: Mapping[str, str]) -> PatchIndex:
        """This index with the posts in `keys` (each in `order`) read anew with those keys."""
        if not keys:
            return self
        packed = bytearray(self.keys)
        for name, at in self.places(keys.keys()).items():
            packed[at * DIGEST:(at + 1) * DIGEST] = bytes.fromhex(keys[name])
        return self._replace(keys=bytes(packed))


PLACES_SCANNED = 4
"""Names PatchIndex.places finds by scanning the order, each (more: through a map)."""


class Journal(NamedTuple):
    """The entries patch builds changed since the manifest file was saved whole: what a
    load adds to it. A journal names the file it applies to by that file's stat, so one left
    from before the manifest was saved anew is ignored."""

    base: Stat
    """The stat of the manifest file the entries apply to."""
    stats: dict[str, Stat]
    """Inputs' stats, by path."""
    digests: dict[str, str] | None
    """The inputs' bytes' hashes, whole (None: the manifest file's)."""
    outputs: dict[str, Stat]
    """Output files' stats, by path."""
    keys: dict[str, str]
    """Posts' cache keys (PatchIndex.keys), by source file."""

    def entries(self) -> int:
        """How many entries it holds."""
        return len(self.stats) + len(self.outputs) + len(self.keys)

    def applied(self, saved: Manifest) -> Manifest:
        """The manifest `saved` (as the file holds it) with these entries."""
        if self.digests is None and not self.entries():
            return saved._replace(journal=self)
        inputs = saved.inputs._replace(
            stats=saved.inputs.stats.updated(self.stats),
            digests=saved.inputs.digests if self.digests is None else self.digests)
        patch = saved.patch and saved.patch.with_keys(self.keys)
        return saved._replace(inputs=inputs, outputs=saved.outputs.updated(self.outputs),
                              patch=patch, journal=self)

    def then(self, stats: dict[str, Stat], digests: dict[str, str], outputs: dict[str, Stat],
             keys: dict[str, str]) -> Journal | None:
        """This journal with the entries a patch build changed (its inputs' hashes whole);
        None past JOURNAL_MAX entries: the manifest is then due to be saved whole."""
        after = Journal(self.base, {**self.stats, **stats}, digests, {**self.outputs, **outputs},
                        {**self.keys, **keys})
        return after if after.entries() <= JOURNAL_MAX else None


JOURNAL_MAX = 1024
"""Entries a journal may hold before the manifest is saved whole again."""


class Manifest(NamedTuple):
    """What one build into an output folder read, made and reported."""

    request: str
    """What the build was asked (see `request`)."""
    inputs: Inputs
    """Its inputs, scanned before it read them."""
    outputs: StatTable
    """The output folder as it left it."""
    shown_since: datetime | None
    """The date of the newest post shown, when the clock decides it (no --future)."""
    due: datetime | None
    """The date of the first scheduled post not yet shown."""
    files: int
    """Files in the output."""
    posts: int
    """Posts published."""
    tags: int
    """Tags."""
    pages: int
    """HTML pages."""
    warnings: tuple[Diagnostic, ...]
    """Problems that did not stop the build."""
    patch: PatchIndex | None = None
    """What a build that changes only posts' bodies needs (None: such a build is a full one)."""
    journal: Journal | None = None
    """As loaded: the journal applied to the manifest file (possibly empty); None otherwise."""

    def fits(self, asked: str, out: Path, now: datetime) -> bool:
        """True if a build asked `asked` at `now` shows the same posts into the same folder."""
        return (asked == self.request and not out.is_symlink()
                and (self.shown_since is None or self.shown_since <= now)
                and (self.due is None or now < self.due))

    def holds(self, asked: str, inputs: Inputs, out: Path, now: datetime) -> bool:
        """True if a build asked `asked` of `inputs` at `now` would make the output there is."""
        return (inputs.same_as(self.inputs) and self.fits(asked, out, now)
                and StatTable.of(output_stats(out)) == self.outputs)

    def left(self, out: Path, dests: list[str]) -> bool:
        """True if these files of the output are as this build left them."""
        return all(output_stat(path) == self.outputs.get(path, ())
                   for path in (output_path(out, dest) for dest in dests))


LAYOUT = 2
"""Raised when a field keeps its name but changes its type (2: stats and digests packed)."""

_FORMAT = repr([(kind.__name__, kind._fields)
                for kind in (Inputs, PatchIndex, Journal, Manifest)] + [LAYOUT, STAT.format])
"""Saved with each manifest: one saved by a version of reelnotes whose manifest had other
fields (which unpickling would fill with defaults, or misplace) is not loaded."""


def journal_path(path: Path) -> Path:
    """Where the journal of the manifest at `path` lives."""
    return path.with_name(f"{path.name}.journal")


def load(path: Path) -> Manifest | None:
    """The manifest saved at `path`, its journal applied, or None if there is none or it is
    damaged."""
    try:
        with open(path, "rb") as file:
            st = os.fstat(file.fileno())
            form, found = pickle.loads(file.read())
    except Exception:  # noqa: BLE001 (a damaged or foreign file is only a full build)
        return None
    if form != _FORMAT or not isinstance(found, Manifest):
        return None
    base = st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino
    try:
        form, journal = pickle.loads(journal_path(path).read_bytes())
    except Exception:  # noqa: BLE001 (none, or damaged: the file's entries stand)
        journal = None
    if form != _FORMAT or not isinstance(journal, Journal) or journal.base != base:
        journal = Journal(base, {}, None, {}, {})
    return journal.applied(found)


def save(path: Path, manifest: Manifest) -> None:
    """Replace the manifest at `path` in one step, whole; a failure only costs the next
    build."""
    _write(path, manifest._replace(journal=None))
    journal_path(path).unlink(missing_ok=True)


def _write(path: Path, value: object) -> None:
    """Replace the file at `path` with `value` pickled, in one step (or leave it)."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(pickle.dumps((_FORMAT, value), pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def running(pid: str) -> bool:
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


class Recorder:
    """Saves a build's manifest, unless another build into the same folder may have changed
    the output meanwhile: the manifest must record the output its own build made.

    The first build takes a lock (a POSIX record lock: worker processes do not inherit it,
    so it goes with the build, even a killed one). A build that finds it taken runs all the
    same, but leaves a mark with its process id; no manifest is saved while a mark is there,
    and marks go once their build has ended.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = -1
        try:
            import fcntl
        except ImportError:  # no locks here: no manifest either
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.lock = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.lockf(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another build holds it (or a read-only cache, no locks)
            self.close()
            try:
                path.with_name(f"{path.name}.busy-{os.getpid()}").touch()
            except OSError:
                pass

    def save(self, saved: Manifest | Journal) -> None:
        """Save a manifest whole, or a patch build's journal (Journal.then of the one its
        manifest was loaded with), if this build holds the lock and no other ran beside it."""
        if self.lock < 0:
            return
        marks = list(self.path.parent.glob(f"{self.path.name}.busy-*"))
        for mark in marks:
            if not running(mark.name.rsplit("-", 1)[-1]):
                mark.unlink(missing_ok=True)
        if marks:
            return
        if isinstance(saved, Journal):  # the manifest file stays as it is
            _write(journal_path(self.path), saved)
        else:
            save(self.path, saved)

    def close(self) -> None:
        """Let the next build have the lock."""
        if self.lock >= 0:
            os.close(self.lock)
            self.lock = -1
