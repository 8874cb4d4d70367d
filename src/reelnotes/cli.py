"""The command line: parse arguments, run a command, print its outcome. The only module that
prints or exits."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

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


def cmd_build(args: argparse.Namespace) -> int:
    """Build the site into build/."""
    config = site_config(args)
    result = build(config, out=Path(args.out) if args.out else None, drafts=args.drafts,
                   future=args.future)
    report(result.warnings)
    if not args.quiet:
        print(result.summary())
    return EXIT_OK


# --- import wordpress ---------------------------------------------------------------------

class _ProgressLine:
    """Show import progress on one terminal line, redrawn at most once a percent."""

    def __init__(self) -> None:
        self.last: tuple[str, int] | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if (stage, percent) != self.last:
            self.last = (stage, percent)
            print(f"\r{stage:<10} {percent:3d}%", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.last is not None:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def cmd_import_wordpress(args: argparse.Namespace) -> int:
    """Import a WordPress export into the site's content/ folder."""
    from .wpimport import import_wordpress

    config = site_config(args)
    show = _ProgressLine() if sys.stderr.isatty() else None
    try:
        result = import_wordpress(Path(args.export), config, force=args.force, progress=show)
    finally:
        if show is not None:
            show.close()
    print("\n".join(result.lines()))
    return EXIT_OK


def add_import_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    wp.add_argument("--site", default=".", metavar="DIR", help="the site folder (default: .)")
    wp.add_argument("--force", action="store_true",
                    help="replace files edited since the last import")
    wp.set_defaults(run=cmd_import_wordpress)

# --- end import wordpress -----------------------------------------------------------------


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
    b.set_defaults(run=cmd_build)
    add_import_parser(commands)
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
