"""Find the built-in theme: the wheel's copy, or the repository's top level when run from source."""

from __future__ import annotations

from pathlib import Path


def theme_dir() -> Path:
    """The folder holding the built-in theme's templates/ and static/."""
    packaged = Path(__file__).parent / "theme"
    if (packaged / "templates").is_dir():
        return packaged
    return Path(__file__).resolve().parents[2]


def theme_templates() -> Path:
    """The built-in templates."""
    return theme_dir() / "templates"


def theme_static() -> Path:
    """The built-in static files (CSS, icons)."""
    return theme_dir() / "static"
