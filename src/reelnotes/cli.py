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


def cmd_serve(args: argparse.Namespace) -> int:
    """Build into a private folder and serve it, rebuilding on change with --watch."""
    from .serve import DevServer, ServeOptions, serve_warning  # keeps watchdog out of build

    root = site_config(args).root
    options = ServeOptions(host=args.host, port=args.port, watch=args.watch, drafts=args.drafts,
                           poll=args.poll)
    warning = serve_warning(options)
    if warning:
        print(warning, file=sys.stderr)
    server = DevServer(root, options, log=lambda line: print(line, file=sys.stderr, flush=True))
    server.start()
    try:
        watching = " (watching for changes)" if args.watch else ""
        print(f"Serving {server.url}{watching}; press Ctrl-C to stop", flush=True)
        server.wait()
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
    finally:
        server.stop()
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
    b.set_defaults(run=cmd_build)

    s = commands.add_parser("serve", help="preview the site, rebuilding on change",
                            description="Build the site into .reelnotes-cache/serve/ and serve "
                            "it; with --watch, rebuild and reload the browser on every save.")
    s.add_argument("--site", default=".", metavar="DIR", help="the site folder (default: .)")
    s.add_argument("--watch", action="store_true", help="rebuild and live-reload on change")
    s.add_argument("--port", type=int, default=8000, help="the port (default: 8000)")
    s.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default: 127.0.0.1, this machine only)")
    s.add_argument("--drafts", action="store_true", help="include posts with draft: true")
    s.add_argument("--poll", action="store_true",
                   help="poll for changes (network drives, containers) instead of OS events")
    s.set_defaults(run=cmd_serve)
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
