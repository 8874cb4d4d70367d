"""Run reelnotes as `python -m reelnotes`."""

from .cli import run

run()
