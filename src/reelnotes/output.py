"""The output folder: the next site is staged beside it and swapped in whole, or not at all.

Used by build.py alone (serve just reads MARKER): build stays the output's only writer. Pages are
rendered (by worker processes too) into a staging tree. If nothing changed, the output is not
touched at all. Otherwise every file that kept its bytes is a hard link to the output's (same
inode and mtime, so a sync tool skips it) and the tree is swapped with the output in one
atomic rename, so a build that fails or is killed at any moment leaves the complete previous
site or the complete new one. The staging tree is the site before last, kept in the cache
(the "spare"): bringing it up to date costs a stat per unchanged file, not a link and an
unlink, so a one-post edit does not pay for the whole tree; without it (first swap, another
build holding it, another file system) a fresh tree is staged beside the output. Each swap
keeps a record of the files where the spare then differs from the output: the next patch
build brings those alone up to date, without a walk of either tree.
"""

from __future__ import annotations

import marshal
import os
import shutil
from collections.abc import Callable, Collection, Iterator, Mapping
from functools import partial
from pathlib import Path
from stat import S_ISREG
from typing import NamedTuple

from .cache import OutputRecord
from .errors import Diagnostic, OutputError
from .manifest import output_path, output_stat, running
from .scanner import Stat

MARKER = ".reelnotes-build"
MARKER_TEXT = "This folder is written by reelnotes build.\n"


def check_out_dir(out: Path) -> None:
    """Refuse to replace a folder that reelnotes did not create."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputError(Diagnostic(f"{out} exists and is not a folder: refusing to replace it"))
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise OutputError(Diagnostic(
            f"{out} exists and was not made by reelnotes: refusing to replace it",
            hint="choose another --out, or empty that folder first"))


def clean_stale(out: Path) -> None:
    """Remove staging folders left by builds that were killed (not those of running builds)."""
    if not out.parent.is_dir():
        return
    for stale in [*out.parent.glob(f".{out.name}.tmp-*"), *out.parent.glob(f".{out.name}.old-*")]:
        if not running(stale.name.rsplit("-", 1)[-1]):
            shutil.rmtree(stale, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    from .parallel import libc

    try:
        renameat2 = libc().renameat2
    except AttributeError:  # no C library, or one without renameat2
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(result == 0)


def same_bytes(path: Path, data: bytes) -> bool:
    """True if the file at `path` holds exactly `data`."""
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _record(key: str, path: Path) -> OutputRecord:
    st = path.stat()
    return OutputRecord(key, st.st_size, st.st_mtime_ns, st.st_ino)


class Scratch(NamedTuple):
    """Where new files wait until the build succeeds; worker processes write here too."""

    out: Path
    """The output folder."""
    folder: Path
    """The scratch folder beside it."""
    fresh: bool
    """No previous output: nothing to compare with or link from."""
    clean: bool = False
    """Created empty for this build: no file in it is a hard link to the output's yet (those
    are added at commit), so a file can be written in place, without a temporary file."""

    def where(self, dest: str) -> Path:
        """The staged file for `dest`."""
        return self.folder / dest

    def put(self, dest: str, data: bytes, *, differs: bool = False) -> Stat | bool:
        """Stage `data` for `dest` unless the output already holds these bytes (False; with
        `differs`, the caller found they do not). Staged, the file's stat when it was written
        in place (as in a clean tree: the caller, maybe another process, need not stat it
        again), else True."""
        if not self.fresh and not differs and same_bytes(self.out / dest, data):
            return False
        target = self.where(dest)
        if self.clean:
            stat = _write_new(target, data)
            if stat is not None:
                return stat
        elif _rewrite_alone(target, data):
            return True
        _replace(target, lambda tmp: tmp.write_bytes(data))
        return True


def _write_new(target: Path, data: bytes) -> Stat | None:
    """Write `target` in place, making its folders, and return its stat; None if something is
    in the way (a file where a folder should be, or a folder where the file should be)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)  # mkdir first: no stat if new
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    except (FileExistsError, NotADirectoryError, IsADirectoryError):
        return None
    try:
        _write_all(fd, data)
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _rewrite_alone(target: Path, data: bytes) -> bool:
    """Write `data` over `target` in place if it is a file no other path links to (in a
    spare tree, one the output no longer shares: it changed in the last swap); False, and
    nothing done, otherwise. No inode is freed and another taken, which on a file system
    slow to reuse freed ones (ext4 without a journal) keeps later files quick to create."""
    try:
        st = os.lstat(target)
        if not S_ISREG(st.st_mode) or st.st_nlink != 1:
            return False
        fd = os.open(target, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)
    return True


def _write_all(fd: int, data: bytes) -> None:
    """Write all of `data` to the open file `fd` (os.write may take only part of it)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _replace(target: Path, fill: Callable[[Path], object]) -> None:
    """Give `target` new contents as a new file: a staged file may be a hard link to the
    live output's, which must never change under a reader."""
    _clear_way(target)
    tmp = target.with_name(f".{target.name}.rn-{os.getpid()}")
    fill(tmp)
    os.replace(tmp, target)


def replace_files(out: Path, spare: Path, files: Mapping[str, bytes]) -> None:
    """Give output files new bytes, each in one rename (a patch's writing when it is one
    file, so the output is the old site or the new one, as with a swap); the spare's record
    names them first, as the spare no longer holds what the output does there (output
    records are the caller's)."""
    claimed = _Spare.claim(spare, out) if out.is_dir() else None
    if claimed is None:
        _record_path(spare).unlink(missing_ok=True)  # (no record is being kept meanwhile)
    else:
        try:
            if claimed.known is not None:
                claimed.remember(out, set(claimed.known | files.keys()))
        finally:
            claimed.release()
    for dest, data in files.items():
        _replace(out / dest, partial(Path.write_bytes, data=data))


class Update:
    """The next state of the output folder, collected file by file, then applied at once."""

    def __init__(self, out: Path, previous: dict[str, OutputRecord],
                 spare: Path | None = None, *, listed: bool = False) -> None:
        self.out = out
        self.previous = previous
        self.listed = listed
        """The caller claims every file the output holds as the last build left it (a patch):
        the spare's record, if there is one, is all it need look at."""
        self.spare = _Spare.claim(spare, out) if spare is not None and out.is_dir() else None
        if self.spare is not None:
            folder = self.spare.folder  # the previous site: brought up to date, then swapped
        else:
            folder = out.parent / f".{out.name}.tmp-{os.getpid()}"
            shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)  # the output's file system, for the swap
        self.scratch = Scratch(out, folder, fresh=not out.is_dir(), clean=self.spare is None)
        self.pending: set[str] = set()
        self.checked: set[str] = set()
        """Files found the same as the output's (the spare must link to those)."""
        self.touched: set[str] | None = None
        """After a commit into the spare: the files whose stat the swap may have changed
        (written, or linked again; and the marker). None: unknown (a fresh tree)."""
        self.written_stats: dict[str, Stat] = {}
        """In a tree staged afresh, the stat of each file as written (the swap keeps it)."""
        self.keys: dict[str, str] = {}
        self.records: dict[str, OutputRecord] = {}
        self.written = self.unchanged = 0

    def reuse(self, dest: str, key: str | None) -> bool:
        """Keep the old `dest` if it was made from inputs hashing to `key` and is untouched."""
        record = self.previous.get(dest)
        if key is None or record is None or record.key != key:
            return False
        if not record.matches(os.path.join(self.out, dest)):
            return False
        self._claim(dest, key)
        self.unchanged += 1
        self.records[dest] = record
        return True

    def keep(self, dests: Collection[str]) -> None:
        """Keep `dests` as the output holds them, unchecked (a patch build's swap: it checked
        the files it replaces, and the manifest tells the next build of any other); claimed
        first, each one once."""
        self.keys.update(dict.fromkeys(dests, ""))
        self.unchanged += len(dests)

    def write(self, dest: str, data: bytes, key: str | None = None, *,
              differs: bool = False) -> None:
        """Set `dest` to `data`; an old file with the same bytes is left alone (`differs`: the
        caller found the old file's bytes other than these)."""
        self.staged(dest, key, self.scratch.put(dest, data, differs=differs))

    def staged(self, dest: str, key: str | None, staged: Stat | bool) -> None:
        """Account for `dest`, as Scratch.put left it: staged (with its stat, or True) or found
        unchanged (False)."""
        self._claim(dest, key)
        if staged is not False:
            self.written += 1
            self.pending.add(dest)
            if self.scratch.clean:  # known now, while the workers render, not after the swap
                stat = output_stat(str(self.scratch.where(dest))) if staged is True else staged
                if stat is not None:
                    self.written_stats[dest] = stat
        else:
            self.unchanged += 1
            self.checked.add(dest)
            if key:
                self.records[dest] = _record(key, self.out / dest)

    def copy(self, dest: str, source: Path) -> None:
        """Set `dest` to a copy of a static file, unless the old copy has its size and mtime."""
        try:
            src, old = source.stat(), (self.out / dest).stat()
            same = src.st_size == old.st_size and int(src.st_mtime) == int(old.st_mtime)
        except OSError:
            same = False
        if not same:
            _replace(self.scratch.where(dest), lambda tmp: shutil.copy2(source, tmp))
        self.staged(dest, None, not same)

    def _claim(self, dest: str, key: str | None) -> None:
        if dest in self.keys or dest == MARKER:
            raise OutputError(Diagnostic(f"two outputs claim the same file: {dest}"))
        self.keys[dest] = key or ""

    def commit(self) -> None:
        """Swap the staged site into place, unless it is the same as the output already; then
        `record` what was written."""
        if not self.scratch.fresh and not self.pending and not self._stale():
            # nothing changed: leave every file, and the folder, as it is; the spare too, so
            # its record (which claiming it took away) still holds
            if self.spare is not None and self.spare.known is not None:
                self.spare.remember(self.out, set(self.spare.known))
            self.abort()
            return
        if self.spare is not None:
            self._commit_spare()
            return
        kept = [dest for dest in self.keys if dest not in self.pending]
        for dest in kept:
            target = self.scratch.where(dest)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(self.out / dest, target)
            except OSError:  # a file system without hard links
                shutil.copy2(self.out / dest, target)
        (self.scratch.folder / MARKER).write_text(MARKER_TEXT)
        marker = output_stat(str(self.scratch.folder / MARKER))
        if marker is not None and not kept:
            self.written_stats[MARKER] = marker
        if not self.out.exists():
            os.rename(self.scratch.folder, self.out)
        elif _exchange(self.scratch.folder, self.out):
            shutil.rmtree(self.scratch.folder, ignore_errors=True)  # now the old site
        else:
            old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
            os.rename(self.out, old)
            os.rename(self.scratch.folder, self.out)
            shutil.rmtree(old, ignore_errors=True)

    def output_stats(self) -> dict[str, Stat] | None:
        """After commit, the stat of every file in the output as manifest.output_stats gives
        it, when this update wrote them all into a fresh tree (a cold build): else None."""
        if MARKER not in self.written_stats or len(self.written_stats) != len(self.keys) + 1:
            return None
        return {output_path(self.out, dest): stat for dest, stat in self.written_stats.items()}

    def record(self, stats: Mapping[str, Stat]) -> None:
        """Record the files this update wrote (after commit), from the stats of the output's
        files (manifest.output_stats) or, for one missing there, its own."""
        for dest in self.pending:
            key = self.keys[dest]
            if key:
                stat = stats.get(output_path(self.out, dest))
                self.records[dest] = (_record(key, self.out / dest) if stat is None
                                      else OutputRecord(key, stat[0], stat[1], stat[3]))

    def abort(self) -> None:
        """Throw the staging folder away (a spare tree stays: the next build reconciles it)."""
        if self.spare is not None:
            self.spare.release()
        else:
            shutil.rmtree(self.scratch.folder, ignore_errors=True)

    def _stale(self) -> bool:
        """True if the output holds a file the new site lacks."""
        wanted = set(self.keys) | {MARKER}
        return any(rel not in wanted for rel in _files(str(self.out), ""))

    def _commit_spare(self) -> None:
        """Make the spare tree the new site, file by file, then swap it with the output.

        The spare holds the site of the build before last, mostly as hard links shared with
        the output. Every kept file becomes a link to the output's (a stat tells if it is one
        already), staged files are in place, files the new site lacks go; then one atomic
        exchange, and the old output is the spare for the next build. Until the exchange
        nothing the output holds is touched, so a crash leaves it whole.

        A patch's swap (`listed`) with the record the last swap left looks only at the files
        the record names and those found the same as the output's: the spare is the output
        elsewhere. A full build walks the whole spare, and so clears anything the records do
        not know of (a file added to the output by hand, which a patch's swap carries into
        the spare); after its swap it lists the old output, so its record is exact.
        """
        assert self.spare is not None
        folder, known = self.scratch.folder, self.spare.known if self.listed else None
        relinked: set[str] = set()
        if known is None:
            for dest in self.keys:
                if dest not in self.pending and _link_if_needed(self.out / dest, folder / dest):
                    relinked.add(dest)
            wanted = set(self.keys) | {MARKER}
            for rel in list(_files(str(folder), "")):
                if rel not in wanted:
                    os.unlink(folder / rel)
            _prune_empty_dirs(folder)
        else:
            for dest in sorted((known | self.checked) - self.pending - {MARKER}):
                if dest in self.keys:
                    if _link_if_needed(self.out / dest, folder / dest):
                        relinked.add(dest)
                else:
                    _unlink_and_prune(folder, dest)
        if not _rewrite_alone(folder / MARKER, MARKER_TEXT.encode()):  # (a new stat)
            _replace(folder / MARKER, lambda tmp: tmp.write_text(MARKER_TEXT))
        before = output_stat(str(self.out / MARKER))
        swapped = _exchange(folder, self.out)
        if not swapped:  # no atomic exchange here: three renames, as close as it gets
            old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
            os.rename(self.out, old)
            os.rename(folder, self.out)
            os.rename(old, folder)
        self.touched = self.pending | relinked | {MARKER}
        if before is not None and output_stat(str(folder / MARKER)) == before:
            # the old output is the spare now (unless another build swapped meanwhile): it
            # differs in the files written, and in those the new site lacks, which a patch
            # knows (it keeps every file) and a full build lists (the output may have held
            # files no build made, added by hand)
            differ = self.pending | {MARKER}
            if not self.listed:
                differ |= set(_files(str(folder), "")) - self.keys.keys()
            self.spare.remember(self.out, differ)
        self.spare.release()


class _Spare:
    """The previous site kept beside the cache, locked so that one build at a time uses it.

    Each swap leaves a record beside it: the files where it differs from the output, and the
    stat of both trees' markers (each swap writes a new one), so a record left from another
    pair of trees (the output deleted and built afresh, another build's swap) is not
    believed. Claiming the spare takes the record away, so one left by a build
    that changed the spare and was killed before its swap is not believed either.
    """

    def __init__(self, folder: Path, lock: int, known: frozenset[str] | None) -> None:
        self.folder = folder
        self._lock = lock
        self.known = known
        """The files where the spare may differ from the output (None: not known)."""

    @staticmethod
    def claim(folder: Path, out: Path) -> _Spare | None:
        """Lock the spare tree for this build; None if another build holds it, locks are not
        available, or it is not on the output's file system (no swap possible)."""
        try:
            import fcntl
        except ImportError:
            return None
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            if os.stat(folder.parent).st_dev != os.stat(out).st_dev:
                return None
            lock = os.open(f"{folder}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock)
            return None
        return _Spare(folder, lock, _take_record(folder, out))

    def remember(self, out: Path, differ: set[str]) -> None:
        """Record that the spare differs from the output in `differ` alone (or fewer), for
        the next build that claims it; no record if it cannot be written."""
        identity = _identity(self.folder, out)
        if identity is None:
            return
        tmp = _record_path(self.folder).with_name(f".{self.folder.name}.rn-{os.getpid()}")
        try:
            tmp.write_bytes(marshal.dumps((identity, sorted(differ))))
            os.replace(tmp, _record_path(self.folder))
        except OSError:
            tmp.unlink(missing_ok=True)

    def release(self) -> None:
        """Let the next build have the spare tree."""
        os.close(self._lock)


def _record_path(spare: Path) -> Path:
    return spare.with_name(f"{spare.name}.differs")


def _identity(spare: Path, out: Path) -> tuple[int, ...] | None:
    """The two trees' markers, as their stats show them (each swap writes a new one)."""
    a, b = output_stat(str(spare / MARKER)), output_stat(str(out / MARKER))
    return None if a is None or b is None else (a[0], a[1], a[3], b[0], b[1], b[3])


def _take_record(spare: Path, out: Path) -> frozenset[str] | None:
    """Read and remove the spare's record; the files it names, if it is about these trees."""
    path = _record_path(spare)
    try:
        identity, differ = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    path.unlink(missing_ok=True)
    if identity != _identity(spare, out) or not isinstance(differ, list):
        return None
    return frozenset(differ)


def _unlink_and_prune(root: Path, dest: str) -> None:
    """Remove root/dest if it is there, and the folders it leaves empty."""
    target = root / dest
    try:
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
    except FileNotFoundError:
        return
    for parent in target.parents:
        if parent == root:
            return
        try:
            parent.rmdir()
        except OSError:
            return


def _clear_way(target: Path) -> None:
    """Make room for a file at `target`: a folder there, or a file where a parent folder
    should be, is what an older site had (a static file that became a folder, say)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        for parent in reversed(target.parents):
            if parent.is_file() or parent.is_symlink():
                parent.unlink()
                break
        target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)


def _link_if_needed(live: Path, spare: Path) -> bool:
    """Make `spare` a hard link to `live` unless it is one already; True if it made one."""
    try:
        a, b = live.stat(), spare.stat()
        if (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev):
            return False
    except FileNotFoundError:
        pass
    try:
        _replace(spare, lambda tmp: os.link(live, tmp))
    except OSError:  # a file system without hard links
        _replace(spare, lambda tmp: shutil.copy2(live, tmp))
    return True


def _prune_empty_dirs(root: Path) -> None:
    """Remove folders left empty under `root`, deepest first (rmdir refuses the others)."""
    for dirpath, _, _ in os.walk(root, topdown=False):
        if dirpath != str(root):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass


def _files(root: str, prefix: str) -> Iterator[str]:
    """Every file (and symlink) under root/prefix, as a relative posix path."""
    with os.scandir(os.path.join(root, prefix) if prefix else root) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _files(root, prefix + entry.name + "/")
            else:
                yield prefix + entry.name
