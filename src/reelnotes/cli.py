"""The command line: parse arguments, run a command, print its outcome. The only module that
prints or exits."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TextIO

from . import __version__
from .build import build, clock
from .config import SiteConfig, load_config
from .errors import Diagnostic, ReelnotesError

if TYPE_CHECKING:
    import argparse

    Args = argparse.Namespace | SimpleNamespace
    """A command's arguments, as parse_args or quick_build_args gives them."""
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]
    """Where each command's parser is added."""

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def report(diagnostics: Sequence[Diagnostic]) -> None:
    """Print diagnostics to stderr, one line each."""
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)


def add_site_option(command: argparse.ArgumentParser) -> None:
    """The --site option every command that reads a site takes."""
    command.add_argument("--site", default=".", metavar="DIR",
                         help="the site folder (default: .)")


def add_drafts_option(command: argparse.ArgumentParser,
                      text: str = "include posts with draft: true") -> None:
    """The --drafts option of the commands that can show a site's drafts."""
    command.add_argument("--drafts", action="store_true", help=text)


def site_root(args: Args) -> Path:
    """The --site folder, which must exist."""
    root = Path(args.site).absolute()
    if not root.is_dir():
        raise ReelnotesError(Diagnostic(f"site folder not found: {args.site}"))
    return root


def site_config(args: Args, *, keep: bool = False) -> SiteConfig:
    """Load the site's config and apply command-line overrides; with `keep` (a build, which
    writes the cache anyway), keep it validated in the cache for the next."""
    config, warnings = load_config(site_root(args), keep=keep)
    report(warnings)
    if getattr(args, "base_url", None):
        config = config.with_base_url(args.base_url)
    return config


class LiveLine:
    """Build progress on one terminal line that rewrites itself, once a build runs past a
    delay; cleared before the summary is printed in its place."""

    def __init__(self, stream: TextIO, delay: float) -> None:
        self.stream = stream
        self.delay = delay
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    @staticmethod
    def wanted(stream: TextIO | None, quiet: bool) -> bool:
        """Only on a terminal, not in CI, not with --quiet (nor with no stdout at all)."""
        return (not quiet and not os.environ.get("CI") and stream is not None
                and stream.isatty())

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Show `stage: done/total`, at most ten times a second."""
        now = time.monotonic()
        if now - self.started < self.delay or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        self.shown = True
        self.stream.write(f"\r{stage}: {done}/{total}\x1b[K")
        self.stream.flush()

    def clear(self) -> None:
        """Erase the line, if anything was shown."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def progress_delay() -> float:
    """Seconds before progress shows: REELNOTES_PROGRESS_AFTER, else 1."""
    try:
        return float(os.environ.get("REELNOTES_PROGRESS_AFTER", "1"))
    except ValueError:
        return 1.0


def cmd_build(args: Args) -> int:
    """Build the site into build/."""
    config = site_config(args, keep=True)
    live = LiveLine(sys.stdout, progress_delay())
    try:
        result = build(config, out=Path(args.out) if args.out else None, drafts=args.drafts,
                       future=args.future, jobs=args.jobs,
                       progress=live if LiveLine.wanted(sys.stdout, args.quiet) else None)
    finally:
        live.clear()
    report(result.warnings)
    if not args.quiet:
        print(result.summary())
    return EXIT_OK


# --- import wordpress ---------------------------------------------------------------------

def cmd_import_wordpress(args: Args) -> int:
    """Import a WordPress export into the site's content/ folder."""
    from .wpimport import import_wordpress

    config = site_config(args)
    live = LiveLine(sys.stderr, progress_delay())  # stdout is for the report
    try:
        result = import_wordpress(Path(args.export), config, force=args.force,
                                  progress=live if LiveLine.wanted(sys.stderr, False) else None)
    finally:
        live.clear()
    print("\n".join(result.lines()))
    return EXIT_OK


def add_import_parser(commands: Commands) -> None:
    """`reelnotes import wordpress EXPORT.xml [--site DIR] [--force]`."""
    imp = commands.add_parser("import", help="import posts from another blog",
                              description="Import posts and comments from another blog.")
    sources = imp.add_subparsers(dest="source", metavar="SOURCE")
    sources.required = True
    wp = sources.add_parser(
        "wordpress", help="import a WordPress export (Tools → Export)",
        description="Import a WordPress export file (WXR): posts, drafts and approved "
                    "comments, with each post's old address kept as a redirect.")
    wp.add_argument("export", metavar="EXPORT.xml", help="the export file")
    add_site_option(wp)
    wp.add_argument("--force", action="store_true",
                    help="replace files edited since the last import")
    wp.set_defaults(run=cmd_import_wordpress)

# --- end import wordpress -----------------------------------------------------------------

def cmd_serve(args: Args) -> int:
    """Build into a private folder and serve it, rebuilding on change with --watch."""
    import logging

    from .serve import DevServer, ServeOptions, serve_warning  # keeps watchdog out of build

    # watchdog logs a harmless race when it stops; the terminal is for the author's news.
    logging.getLogger("watchdog").addHandler(logging.NullHandler())

    root = site_root(args)
    options = ServeOptions(host=args.host, port=args.port, watch=args.watch, drafts=args.drafts,
                           poll=args.poll)
    warning = serve_warning(options)
    if warning:
        print(warning, file=sys.stderr)
    server = DevServer(root, options, log=lambda line: print(line, file=sys.stderr, flush=True))
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it like Ctrl-C does
    try:
        server.start()
        watching = " (watching for changes)" if args.watch else ""
        print(f"Serving {server.url}{watching}; press Ctrl-C to stop", flush=True)
        server.wait()
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    return EXIT_OK


def _interrupt(signum: int, frame: object) -> None:
    """Turn a termination request into the same clean stop as Ctrl-C."""
    raise KeyboardInterrupt


def cmd_init(args: Args) -> int:
    """Create a new site folder."""
    import shlex

    from .scaffold import init_site

    folder = Path(args.dir)
    written = init_site(folder, with_templates=args.with_templates, now=clock())
    print(f"Created a new site in {folder} ({len(written)} files). Next:")
    print(f"  cd {shlex.quote(str(folder))}")
    print("  reelnotes serve --watch --drafts")
    return EXIT_OK


def cmd_new(args: Args) -> int:
    """Write a new draft post and print its path."""
    from .scaffold import new_post

    config = site_config(args)
    tags = args.tags.split(",") if args.tags else []
    path = new_post(config, args.title, film=args.film, year=args.year, tags=tags, now=clock())
    print(path.relative_to(config.root).as_posix() if args.site == "." else path)
    return EXIT_OK


def cmd_check(args: Args) -> int:
    """Validate everything without writing; exit 1 on any error."""
    from .check import check

    config = site_config(args)
    result = check(config, drafts=args.drafts)
    report(result.problems)
    print(result.summary(), file=sys.stderr if result.errors else sys.stdout)
    return EXIT_ERROR if result.errors else EXIT_OK


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser for every command, or with `only` one of them: each parser costs
    a millisecond or so (argparse looks its messages up in gettext's catalogues)."""
    import argparse

    class VersionAction(argparse._VersionAction):
        """--version, naming the Markdown engine: finding that out loads the engines, so
        it is done only when asked."""

        def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                     values: str | Sequence[Any] | None,
                     option_string: str | None = None) -> None:
            from .markdown import ENGINE

            self.version = f"reelnotes {__version__} (Markdown: {ENGINE})"
            super().__call__(parser, namespace, values, option_string)

    top = argparse.ArgumentParser(
        prog="reelnotes", description="A static site generator for a film-review blog.")
    top.add_argument("--version", action=VersionAction)
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name in COMMANDS if only is None else (only,):
        COMMANDS[name](commands)
    return top


def _build_parser(commands: Commands) -> None:
    b = commands.add_parser("build", help="build the site into build/",
                            description="Build the site folder into a static site.")
    add_site_option(b)
    b.add_argument("--out", metavar="DIR", help="the output folder (default: SITE/build)")
    add_drafts_option(b)
    b.add_argument("--future", action="store_true", help="include posts dated in the future")
    b.add_argument("--base-url", metavar="URL", help="override base_url from reelnotes.toml")
    b.add_argument("--quiet", "-q", action="store_true", help="print nothing but problems")
    b.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="processes to use (default: one per CPU)")
    b.set_defaults(run=cmd_build)


def _serve_parser(commands: Commands) -> None:
    s = commands.add_parser("serve", help="preview the site, rebuilding on change",
                            description="Build the site into .reelnotes-cache/serve/ and serve "
                            "it; with --watch, rebuild and reload the browser on every save.")
    add_site_option(s)
    s.add_argument("--watch", action="store_true", help="rebuild and live-reload on change")
    s.add_argument("--port", type=int, default=8000, help="the port (default: 8000)")
    s.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default: 127.0.0.1, this machine only)")
    add_drafts_option(s)
    s.add_argument("--poll", action="store_true",
                   help="poll for changes (network drives, containers) instead of OS events")
    s.set_defaults(run=cmd_serve)


def _init_parser(commands: Commands) -> None:
    i = commands.add_parser("init", help="create a new site",
                            description="Create a new, working site: settings, one sample "
                            "post, and optionally the theme.")
    i.add_argument("dir", metavar="DIR", help="the new site's folder (new or empty)")
    i.add_argument("--with-templates", action="store_true",
                   help="copy the built-in theme's templates into DIR/templates to edit them")
    i.set_defaults(run=cmd_init)


def _new_parser(commands: Commands) -> None:
    n = commands.add_parser(
        "new", help="start a new draft post",
        description="Write content/posts/<date>-<slug>.md with draft: true.")
    n.add_argument("title", help="the post's title")
    n.add_argument("--film", metavar="NAME", help="the film the post reviews")
    n.add_argument("--year", type=int, help="the film's year of release")
    n.add_argument("--tags", metavar="A,B", help="comma-separated tags")
    add_site_option(n)
    n.set_defaults(run=cmd_new)


def _check_parser(commands: Commands) -> None:
    c = commands.add_parser("check", help="validate the site without building it",
                            description="Check every post, comment file, template and "
                            "internal link; write nothing; exit 1 on any error.")
    add_site_option(c)
    add_drafts_option(c, "check as if drafts were published")
    c.set_defaults(run=cmd_check)


COMMANDS: dict[str, Callable[[Commands], None]] = {
    "build": _build_parser, "serve": _serve_parser, "init": _init_parser, "new": _new_parser,
    "check": _check_parser, "import": add_import_parser}
"""Each command, with what adds its parser (in the order `--help` lists them)."""


_FLAGS = {"--drafts": "drafts", "--future": "future", "--quiet": "quiet", "-q": "quiet"}
_VALUES = {"--site": "site", "--out": "out", "--base-url": "base_url", "--jobs": "jobs",
           "-j": "jobs"}


def quick_build_args(argv: Sequence[str]) -> SimpleNamespace | None:
    """The arguments of `reelnotes build` with its options spelt out in full, each value its
    own word, as parser() gives them, without loading argparse (about 7 ms of a one-post
    rebuild's 0.13 s); None for any other command line (help, an abbreviation, `-qj2`,
    `--site=DIR`, a value that starts with "-"), which argparse parses, or rejects, itself.
    A test holds the two to the same result."""
    if not argv or argv[0] != "build":
        return None
    args = SimpleNamespace(command="build", site=".", out=None, drafts=False, future=False,
                           base_url=None, quiet=False, jobs=None, run=cmd_build)
    words = iter(argv[1:])
    for word in words:
        if word in _FLAGS:
            setattr(args, _FLAGS[word], True)
            continue
        value = next(words, None) if word in _VALUES else None
        if value is None or value.startswith("-"):
            return None
        if _VALUES[word] == "jobs":
            if not (value.isascii() and value.isdigit()):
                return None  # int() takes more ("+2", " 2", "2_0"): argparse decides
            args.jobs = int(value)
        else:
            setattr(args, _VALUES[word], value)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run reelnotes with `argv`; return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args: Args = quick_build_args(argv) or parser(
            argv[0] if argv and argv[0] in COMMANDS else None).parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0) if isinstance(stop.code, int) else EXIT_USAGE
    try:
        code: int = args.run(args)
        return code
    except ReelnotesError as err:
        report(err.diagnostics)
        count = len(err.diagnostics)
        print(f"reelnotes: {args.command} failed: {count} problem{'s' * (count != 1)}",
              file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("reelnotes: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def run() -> None:
    """The `reelnotes` command: main(), then exit without tearing the interpreter down.

    Freeing every object a build made (the site model, the manifest, the modules) takes
    longer than a one-post rebuild's own work (18 ms of its 0.17 s). Once main() has returned,
    the cache and every output file are closed; when no other thread runs, nothing is left
    to finish but the standard streams, which are flushed first.
    """
    code = main()
    if threading.active_count() == 1:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):  # none, a closed pipe, closed
                pass
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
