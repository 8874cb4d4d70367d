"""The command line: parse arguments, run a command, print its outcome. The only module that
prints or exits."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .build import build
from .config import SiteConfig, load_config
from .errors import Diagnostic, ReelnotesError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def report(diagnostics: Sequence[Diagnostic]) -> None:
    """Print diagnostics to stderr, one line each."""
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)


def site_config(args: argparse.Namespace) -> SiteConfig:
    """Load the site's config and apply command-line overrides."""
    root = Path(args.site).absolute()
    if not root.is_dir():
        raise ReelnotesError(Diagnostic(f"site folder not found: {args.site}"))
    config, warnings = load_config(root)
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
    def wanted(stream: TextIO, quiet: bool) -> bool:
        """Only on a terminal, not in CI, not with --quiet."""
        return not quiet and not os.environ.get("CI") and stream.isatty()

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


def cmd_build(args: argparse.Namespace) -> int:
    """Build the site into build/."""
    config = site_config(args)
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


def parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    top = argparse.ArgumentParser(
        prog="reelnotes", description="A static site generator for a film-review blog.")
    top.add_argument("--version", action="version", version=f"reelnotes {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    b = commands.add_parser("build", help="build the site into build/",
                            description="Build the site folder into a static site.")
    b.add_argument("--site", default=".", metavar="DIR", help="the site folder (default: .)")
    b.add_argument("--out", metavar="DIR", help="the output folder (default: SITE/build)")
    b.add_argument("--drafts", action="store_true", help="include posts with draft: true")
    b.add_argument("--future", action="store_true", help="include posts dated in the future")
    b.add_argument("--base-url", metavar="URL", help="override base_url from reelnotes.toml")
    b.add_argument("--quiet", "-q", action="store_true", help="print nothing but problems")
    b.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="processes to use (default: one per CPU)")
    b.set_defaults(run=cmd_build)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run reelnotes with `argv`; return the exit code."""
    try:
        args = parser().parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
