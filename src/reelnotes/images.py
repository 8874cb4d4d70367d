"""Posters: where a film's poster lives and how big it is, read from the image's own header."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import NamedTuple

from .config import SiteConfig
from .model import Film
from .theme import theme_static

# A poster whose size cannot be read (a remote URL) is laid out at 2:3, the usual one-sheet.
DEFAULT_SIZE = (400, 600)


class Poster(NamedTuple):
    """A poster ready for an <img>: its link and the size to reserve for it."""

    url: str
    """Site-relative ("images/x.jpg") or absolute ("https://...")."""
    width: int
    """Width in CSS pixels for the width attribute."""
    height: int
    """Height in CSS pixels for the height attribute."""

    @property
    def is_remote(self) -> bool:
        """True for a poster hosted elsewhere."""
        return self.url.startswith(("http://", "https://"))


def _png(head: bytes) -> tuple[int, int] | None:
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        w, h = struct.unpack(">II", head[16:24])
        return int(w), int(h)
    return None


def _gif(head: bytes) -> tuple[int, int] | None:
    if head[:6] in (b"GIF87a", b"GIF89a"):
        w, h = struct.unpack("<HH", head[6:10])
        return int(w), int(h)
    return None


def _webp(head: bytes) -> tuple[int, int] | None:
    if head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    kind = head[12:16]
    if kind == b"VP8X":
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    if kind == b"VP8 ":
        w, h = struct.unpack("<HH", head[26:30])
        return int(w) & 0x3FFF, int(h) & 0x3FFF
    if kind == b"VP8L":
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg(data: bytes) -> tuple[int, int] | None:
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


def _svg(data: bytes) -> tuple[int, int] | None:
    head = data[:2048].decode("utf-8", "replace")
    if "<svg" not in head:
        return None
    box = re.search(r'viewBox="\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)', head)
    return (round(float(box.group(1))), round(float(box.group(2)))) if box else None


def image_size(path: Path) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG, GIF, WebP or SVG file, or None if unreadable."""
    try:
        with path.open("rb") as handle:
            data = handle.read(256 * 1024)
    except OSError:
        return None
    for reader in (_png, _gif, _webp, _jpeg, _svg):
        size = reader(data)
        if size and size[0] > 0 and size[1] > 0:
            return size
    return None


def poster(film: Film, config: SiteConfig) -> Poster | None:
    """The film's poster with its size: the site's static/ first, then the theme's."""
    if not film.poster:
        return None
    if film.poster.startswith(("http://", "https://")):
        return Poster(film.poster, *DEFAULT_SIZE)
    rel = film.poster.lstrip("/")
    for root in (config.static_dir, theme_static()):
        size = image_size(root / rel)
        if size:
            return Poster(rel, *size)
    return Poster(rel, *DEFAULT_SIZE)
