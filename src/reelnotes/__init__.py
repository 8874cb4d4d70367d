"""reelnotes: a static site generator for a film-review blog."""

__version__ = "0.1.0"
