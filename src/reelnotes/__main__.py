"""Run reelnotes as `python -m reelnotes`."""

import sys

from .cli import main

sys.exit(main())
