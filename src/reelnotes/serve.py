"""The dev server: build into a private folder, serve it, rebuild on change, push live reloads.

The MkDocs way: a watchdog handler records changed paths and sets a flag; the rebuild loop
waits for the changes to settle, calls build(), and bumps the epoch the page listens to. A
failed rebuild keeps the last good site, is reported once, and is overlaid on the open page.
"""

from __future__ import annotations

import errno
import os
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from .build import BuildReport, build
from .config import CACHE_DIR, CONFIG_NAME, SiteConfig, load_config
from .errors import ConfigError, Diagnostic, ReelnotesError
from .output import MARKER
from .preview import LiveState, PreviewServer, fallback_page, is_loopback
from .sources import is_editor_temp

WATCHED_DIRS = ("content", "templates", "static")
EVENTS = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent,
          DirCreatedEvent, DirDeletedEvent, DirMovedEvent]
SETTLE_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """How to run the dev server."""

    host: str = "127.0.0.1"
    """The address to bind; loopback unless the author asks otherwise."""
    port: int = 8000
    """The TCP port; 0 picks a free one."""
    watch: bool = False
    """Rebuild and reload when sources change."""
    drafts: bool = False
    """Include posts with draft: true."""
    poll: bool = False
    """Use watchdog's polling observer (network mounts, containers)."""
    settle: float = SETTLE_SECONDS
    """Quiet time after the last change before rebuilding."""


def serve_dir(root: Path) -> Path:
    """The folder serve builds into: never build/, so its pages never reach a deploy."""
    return root / CACHE_DIR / "serve"


def is_source(root: Path, path: str) -> bool:
    """True if `path` is one the site is built from: content/, templates/, static/, config."""
    try:
        rel = Path(path).relative_to(root)
    except ValueError:
        return False
    if rel.parts == (CONFIG_NAME,):
        return True
    return len(rel.parts) > 0 and rel.parts[0] in WATCHED_DIRS and not is_editor_temp(rel.name)


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class Changes(FileSystemEventHandler):
    """Collects changed source paths from watchdog and wakes the rebuild loop."""

    def __init__(self, root: Path, observer: BaseObserver) -> None:
        self.root = root
        self.observer = observer
        self.flag = threading.Event()
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        self._stamps: dict[str, tuple[int, int] | None] = {}

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Record the event's paths if they are sources and really changed."""
        paths = [os.fsdecode(event.src_path)]
        if event.event_type == "moved":
            paths.append(os.fsdecode(event.dest_path))
        wanted = [p for p in paths if is_source(self.root, p)]
        if not wanted:
            return
        if event.is_directory and event.event_type in ("created", "moved"):
            self._watch_new_top_dir(Path(wanted[-1]))
        if not event.is_directory:
            stamp = _stamp(wanted[-1])
            # A build reading a file can bump its atime (IN_ATTRIB): not a change.
            if event.event_type == "modified" and stamp == self._stamps.get(wanted[-1]):
                return
            self._stamps[wanted[-1]] = stamp
        with self._lock:
            self._paths.update(wanted)
        self.flag.set()

    def seed(self) -> None:
        """Remember every source file's mtime and size, to tell edits from mere reads."""
        for name in WATCHED_DIRS:
            for path in (self.root / name).rglob("*"):
                self._stamps[str(path)] = _stamp(str(path))
        config = str(self.root / CONFIG_NAME)
        self._stamps[config] = _stamp(config)

    def _watch_new_top_dir(self, path: Path) -> None:
        if path.parent == self.root and path.name in WATCHED_DIRS and path.is_dir():
            try:
                self.observer.schedule(self, str(path), recursive=True, event_filter=EVENTS)
            except OSError:  # gone again already: its deletion is an event of its own
                pass

    def take(self) -> set[str]:
        """The paths changed since the last call."""
        with self._lock:
            paths, self._paths = self._paths, set()
        return paths


class DevServer:
    """Builds a site into its serve folder, serves it, and rebuilds it on change."""

    def __init__(self, root: Path, options: ServeOptions,
                 log: Callable[[str], None] = lambda line: None) -> None:
        self.root = root.absolute()
        self.options = options
        self.log = log
        self.out = serve_dir(self.root)
        self.state = LiveState()
        self.base_url = ""
        self._http: PreviewServer | None = None
        self._observer: BaseObserver | None = None
        self._changes: Changes | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_errors: tuple[Diagnostic, ...] = ()
        self.builds = 0
        """Builds tried so far, failed ones included."""

    @property
    def url(self) -> str:
        """Where the site is served."""
        return self.base_url

    def start(self) -> None:
        """Bind the port, build once, then serve (and watch) in background threads."""
        config, warnings = load_config(self.root)
        self._http = self._bind(config.base_path)
        host, port = str(self._http.server_address[0]), self._http.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{port}{config.base_path}"
        for warning in warnings:
            self.log(str(warning))
        if self.options.watch:  # before the first build, so no save during it is lost
            self._start_watching()
        if not self.options.watch:
            try:
                self.log(self._build(set()).summary())
            except BaseException:
                self._http.server_close()
                raise
        elif not self.rebuild(set()) and not (self.out / MARKER).is_file():
            self._http.fallback = fallback_page(self._last_errors)
        self._spawn(self._serve_http)
        if self.options.watch:
            self._spawn(self._rebuild_loop)

    def _bind(self, base_path: str) -> PreviewServer:
        host, port = self.options.host, self.options.port
        try:
            return PreviewServer(host, port, self.out, base_path, self.state)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise ReelnotesError(Diagnostic(
                    f"port {port} on {host} is already in use",
                    hint=f"stop the other server or pick another port: --port {port + 1}")
                ) from err
            raise ReelnotesError(Diagnostic(f"cannot listen on {host}:{port}: "
                                            f"{err.strerror or err}")) from err

    def _serve_http(self) -> None:
        assert self._http is not None
        self._http.serve_forever(poll_interval=0.1)

    def _spawn(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True, name=f"reelnotes-{target.__name__}")
        thread.start()
        self._threads.append(thread)

    def _start_watching(self) -> None:
        observer: BaseObserver = PollingObserver(timeout=0.5) if self.options.poll else Observer()
        changes = Changes(self.root, observer)
        changes.seed()
        try:
            observer.schedule(changes, str(self.root), recursive=False, event_filter=EVENTS)
            for name in WATCHED_DIRS:
                if (self.root / name).is_dir():
                    observer.schedule(changes, str(self.root / name), recursive=True,
                                      event_filter=EVENTS)
            observer.start()
        except OSError as err:  # e.g. the inotify watch limit
            raise ReelnotesError(Diagnostic(
                f"cannot watch {self.root} for changes: {err.strerror or err}",
                hint="try --poll, or raise the system's limit on watched files")) from err
        self._observer, self._changes = observer, changes

    def _rebuild_loop(self) -> None:
        changes = self._changes
        assert changes is not None
        while not self._stop.is_set():
            if not changes.flag.wait(0.25):
                continue
            while True:  # wait until the burst of events has settled
                changes.flag.clear()
                if not changes.flag.wait(self.options.settle) or self._stop.is_set():
                    break
            if not self._stop.is_set():
                self.rebuild(changes.take())

    def _build(self, changed: set[str]) -> BuildReport:
        report = build(self._config(changed), out=self.out, drafts=self.options.drafts)
        for warning in report.warnings:
            self.log(str(warning))
        return report

    def rebuild(self, changed: set[str]) -> bool:
        """Build into the serve folder; report and overlay errors; True on success."""
        self.builds += 1
        try:
            report = self._build(changed)
        except ReelnotesError as err:
            self._failed(err.diagnostics)
            return False
        except Exception:  # our bug: keep serving, show the traceback
            self.log(traceback.format_exc().rstrip())
            self._failed((Diagnostic("internal error while building (traceback above)"),))
            return False
        css_only = (any(p.endswith(".css") for p in changed)
                    and all(p.endswith(".css") or Path(p).is_dir() for p in changed))
        if self._http is not None:
            self._http.fallback = None
        self.state.published(css_only)
        self._last_errors = ()
        names = ", ".join(sorted(Path(p).name for p in changed)[:3])
        self.log(f"{names} changed: {report.summary()}" if names else report.summary())
        return True

    def _config(self, changed: set[str]) -> SiteConfig:
        config, warnings = load_config(self.root)
        if any(Path(p).name == CONFIG_NAME for p in changed):
            for warning in warnings:
                self.log(str(warning))
        try:
            return config.with_base_url(self.base_url)
        except ConfigError:
            return config

    def _failed(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        if diagnostics == self._last_errors:  # saved again, still broken: said already
            return
        self._last_errors = diagnostics
        self.state.failed(diagnostics)
        for diagnostic in diagnostics:
            self.log(str(diagnostic))
        count = len(diagnostics)
        self.log(f"Rebuild failed ({count} problem{'s' * (count != 1)}): "
                 f"still serving the last good site")

    def wait(self) -> None:
        """Block until stop() is called (or Ctrl-C)."""
        while not self._stop.wait(0.5):
            pass

    def stop(self) -> None:
        """Stop watching and serving; end open event streams."""
        self._stop.set()
        self.state.close()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._http is not None:
            if self._threads:  # shutdown() waits for serve_forever, so only if it runs
                self._http.shutdown()
            self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=5)


def serve_warning(options: ServeOptions) -> str | None:
    """The warning to print when the server is reachable from other machines."""
    if is_loopback(options.host):
        return None
    drafts = "drafts included" if options.drafts else "and drafts too if you add --drafts"
    return (f"warning: serving on {options.host}: other machines on your network can see "
            f"this preview, {drafts}")
