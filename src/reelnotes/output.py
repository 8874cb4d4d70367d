"""The output folder: changes are collected first, then applied in place with an undo journal.

Used by build.py alone, so build remains the only writer of the output folder. Rendering
finishes before anything in the output folder is touched: new bytes wait in a flat scratch
folder beside it. Applying renames each changed file into place (one atomic rename each),
moves stale files out, and on any failure puts every file back, so a failed build leaves the
previous output as it was. Files whose bytes did not change are not touched at all: they keep
their inode and mtime, and a rebuild with nothing to do does no directory work.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .cache import OutputRecord
from .errors import Diagnostic, OutputError

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
    """Remove scratch folders left by builds that were killed."""
    if out.parent.is_dir():
        for kind in ("tmp", "undo"):
            for stale in out.parent.glob(f".{out.name}.{kind}-*"):
                shutil.rmtree(stale, ignore_errors=True)


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _record(key: str, path: Path) -> OutputRecord:
    st = path.stat()
    return OutputRecord(key, st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass(frozen=True, slots=True)
class Scratch:
    """Where new files wait until the build succeeds; worker processes write here too."""

    out: Path
    """The output folder."""
    folder: Path
    """The scratch folder beside it."""
    fresh: bool
    """No previous output: files go in a tree that is renamed into place whole."""

    def where(self, dest: str) -> Path:
        """The scratch file for `dest` (a flat name when updating an existing output)."""
        if self.fresh:
            return self.folder / dest
        return self.folder / hashlib.sha1(dest.encode("utf-8", "surrogatepass")).hexdigest()

    def put(self, dest: str, data: bytes) -> bool:
        """Stage `data` for `dest` unless the output already holds these bytes; True if staged."""
        if not self.fresh and _same_bytes(self.out / dest, data):
            return False
        target = self.where(dest)
        if self.fresh:
            target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return True


class Update:
    """The next state of the output folder, collected file by file, then applied at once."""

    def __init__(self, out: Path, previous: dict[str, OutputRecord]) -> None:
        self.out = out
        self.previous = previous
        folder = out.parent / f".{out.name}.tmp-{os.getpid()}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.scratch = Scratch(out, folder, fresh=not out.is_dir())
        self.pending: dict[str, Path] = {}
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

    def write(self, dest: str, data: bytes, key: str | None = None) -> None:
        """Set `dest` to `data`; an old file with the same bytes is left alone."""
        self.staged(dest, key, self.scratch.put(dest, data))

    def staged(self, dest: str, key: str | None, changed: bool) -> None:
        """Account for `dest`, which Scratch.put staged (`changed`) or found unchanged."""
        self._claim(dest, key)
        if changed:
            self.written += 1
            self.pending[dest] = self.scratch.where(dest)
        else:
            self.unchanged += 1
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
            target = self.scratch.where(dest)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        self.staged(dest, None, not same)

    def _claim(self, dest: str, key: str | None) -> None:
        if dest in self.keys or dest == MARKER:
            raise OutputError(Diagnostic(f"two outputs claim the same file: {dest}"))
        self.keys[dest] = key or ""

    def commit(self) -> None:
        """Apply every change to the output folder; on failure restore it and re-raise."""
        if self.scratch.fresh:
            (self.scratch.folder / MARKER).write_text(MARKER_TEXT)
            os.rename(self.scratch.folder, self.out)
            self._record_pending()
            return
        journal = _Journal(self.out)
        try:
            journal.start()
            stale, dirs = self._stale()
            for dest in stale:
                journal.remove(dest)
            for folder in dirs:
                journal.remove_dir(folder)
            for dest, temp in sorted(self.pending.items()):
                journal.put(dest, temp)
            self._record_pending()
        except BaseException:
            journal.undo()
            raise
        finally:
            journal.close()
            self.abort()

    def abort(self) -> None:
        """Throw the scratch folder away."""
        shutil.rmtree(self.scratch.folder, ignore_errors=True)

    def _record_pending(self) -> None:
        for dest in self.pending:
            if self.keys[dest]:
                self.records[dest] = _record(self.keys[dest], self.out / dest)

    def _stale(self) -> tuple[list[str], list[str]]:
        """Old files the new output lacks, and folders that will be left empty (deepest first)."""
        if not self.out.is_dir():
            return [], []
        wanted = set(self.keys) | {MARKER}
        needed = {d.rsplit("/", 1)[0] for d in wanted if "/" in d}
        needed |= {d.rsplit("/", i)[0] for d in needed for i in range(1, d.count("/") + 1)}
        files: list[str] = []
        dirs: list[str] = []
        _walk(str(self.out), "", wanted, needed, files, dirs)
        return sorted(files), dirs


def _walk(root: str, prefix: str, wanted: set[str], needed: set[str], files: list[str],
          dirs: list[str]) -> None:
    """Collect unwanted files and folders under root/prefix, deepest folders first."""
    with os.scandir(os.path.join(root, prefix) if prefix else root) as entries:
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                _walk(root, rel + "/", wanted, needed, files, dirs)
                if rel not in needed:
                    dirs.append(rel)
            elif rel not in wanted:
                files.append(rel)


class _Journal:
    """Undo information for changes made in place: old files are moved aside, not deleted."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.aside = out.parent / f".{out.name}.undo-{os.getpid()}"
        self.steps: list[tuple[str, str, Path | None]] = []
        self.created_out = False

    def start(self) -> None:
        """Create the output folder (marked as ours) and the folder for old files."""
        shutil.rmtree(self.aside, ignore_errors=True)
        self.aside.mkdir(parents=True)
        if not self.out.is_dir():
            self.out.mkdir(parents=True)
            self.created_out = True
        marker = self.out / MARKER
        if not marker.is_file():
            marker.write_text(MARKER_TEXT)

    def _set_aside(self, path: Path) -> Path:
        backup = self.aside / str(len(self.steps))
        os.replace(path, backup)
        return backup

    def remove(self, dest: str) -> None:
        """Move a stale file out of the output folder."""
        self.steps.append(("file", dest, self._set_aside(self.out / dest)))

    def remove_dir(self, folder: str) -> None:
        """Remove an empty folder."""
        (self.out / folder).rmdir()
        self.steps.append(("dir", folder, None))

    def put(self, dest: str, temp: Path) -> None:
        """Rename a new file into place, keeping the old one aside."""
        target = self.out / dest
        missing = [p for p in reversed(target.relative_to(self.out).parents)
                   if p != Path(".") and not (self.out / p).is_dir()]
        for folder in missing:
            (self.out / folder).mkdir()
            self.steps.append(("mkdir", folder.as_posix(), None))
        backup = self._set_aside(target) if target.exists() else None
        self.steps.append(("file", dest, backup))
        os.replace(temp, target)

    def undo(self) -> None:
        """Put every old file back and remove what was added."""
        for kind, rel, backup in reversed(self.steps):
            path = self.out / rel
            if kind == "file":
                if path.exists():
                    path.unlink()
                if backup is not None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(backup, path)
            elif kind == "dir":
                path.mkdir(parents=True, exist_ok=True)
            elif kind == "mkdir":
                shutil.rmtree(path, ignore_errors=True)
        if self.created_out:
            shutil.rmtree(self.out, ignore_errors=True)

    def close(self) -> None:
        """Forget the old files."""
        shutil.rmtree(self.aside, ignore_errors=True)
