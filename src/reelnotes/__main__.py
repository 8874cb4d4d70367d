"""The `reelnotes` command: `python -m reelnotes`, and the script pip installs (run)."""

import gc
import sys

GC_YOUNG = 50_000
"""Allocations between two collections of the youngest objects (Python's default: 700)."""


def run() -> None:
    """Tune the garbage collector for a short-lived command, then run it (cli.run).

    A build makes many objects that live to its end (the site model, the manifest) and few
    reference cycles: at Python's default, the collector walks the young objects after every
    700 allocations, which is ~5 ms of a one-post rebuild's ~0.13 s, imports included.
    A build's scan of its inputs is started first, in a process of its own (scanner.py).
    """
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    from . import scanner

    scanner.start_early(sys.argv[1:])
    from .cli import run as run_cli

    run_cli()


if __name__ == "__main__":
    run()
