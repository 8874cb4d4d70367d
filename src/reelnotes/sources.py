"""Which files in a site folder are the author's: not editors' scratch files, not hidden ones."""

from __future__ import annotations

import re

from .scanner import is_post_name as is_post_name  # (defined there: the scanner runs alone)

_SWAP = re.compile(r"\.sw[a-z]$")


def is_editor_temp(name: str) -> bool:
    """True for editors' scratch files: vim's .swp and 4913, backups~, emacs .#x and #x#."""
    return (name.endswith("~") or name.startswith(".#") or name in ("4913", ".DS_Store")
            or (name.startswith("#") and name.endswith("#"))
            or _SWAP.search(name) is not None)


def is_published(name: str) -> bool:
    """True if a static file of this name belongs in the output (not hidden, not scratch)."""
    return not name.startswith(".") and not is_editor_temp(name) and name != "Thumbs.db"
