"""Split a Markdown file into YAML front matter and body, keeping line numbers for messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from .errors import Diagnostic

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """The C safe loader when present, with dates left as text so we can check them ourselves."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}

KeyPath = tuple[str | int, ...]

# C0 controls other than tab and newline, DEL, and C1 controls: invisible, invalid in XML.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Bidi embeddings, overrides and isolates, which can make text read differently than it is.
_BIDI = "\u202a-\u202e\u2066-\u2069"
_UNSAFE_IN_BODY = re.compile(f"[{_CONTROLS}]")
_UNSAFE_IN_VALUES = re.compile(f"[{_CONTROLS}{_BIDI}]")


@dataclass(frozen=True, slots=True)
class Document:
    """A text file's front matter and body."""

    data: dict[str, Any]
    """The front matter, as YAML gives it (dates as text)."""
    lines: dict[KeyPath, int]
    """1-based file line of each key path, e.g. ("film", "year")."""
    body: str
    """The Markdown after the closing delimiter."""
    body_line: int
    """The file line where the body starts."""

    def line(self, *path: str | int) -> int:
        """The line of the longest known prefix of `path` (1 if none)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1


class FrontMatterError(Exception):
    """Raised with a Diagnostic whose path the caller fills in."""

    def __init__(self, message: str, line: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint

    def diagnostic(self, path: str) -> Diagnostic:
        """This problem as a Diagnostic for `path`."""
        return Diagnostic(self.message, path, self.line, self.hint)


def decode(raw: bytes) -> str:
    """Decode UTF-8 (a BOM allowed), normalise line ends; raise FrontMatterError otherwise."""
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise FrontMatterError("expected a text file, found binary data (a NUL byte)", line)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise FrontMatterError(
            f"expected UTF-8 text, found byte 0x{raw[err.start]:02x}",
            line,
            "save the file as UTF-8",
        ) from err
    return _UNSAFE_IN_BODY.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def clean(value: Any) -> Any:
    """Drop control and bidi-override characters from every string in parsed YAML."""
    if isinstance(value, str):
        return _UNSAFE_IN_VALUES.sub("", value)
    if isinstance(value, list):
        return [clean(item) for item in value]
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    return value


def parse_yaml(text: str, first_line: int = 1) -> tuple[Any, dict[KeyPath, int]]:
    """Parse YAML text; return the data and the line of every key path. Duplicate keys fail."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        if node is not None:
            _index(node, (), first_line, lines, set())
        data = clean(loader.construct_document(node)) if node is not None else None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = err.problem or err.context or "invalid YAML"
        hint = None
        rows = text.split("\n")
        if mark is not None and mark.line < len(rows) and "\t" in rows[mark.line]:
            hint = "YAML does not allow tabs: indent with spaces"
        raise FrontMatterError(f"invalid YAML: {problem}", line, hint) from err
    except yaml.YAMLError as err:
        raise FrontMatterError(f"invalid YAML: {err}", first_line) from err
    finally:
        loader.dispose()
    return data, lines


def _index(node: yaml.Node, path: KeyPath, first_line: int, lines: dict[KeyPath, int],
           seen_nodes: set[int]) -> None:
    """Record each key's line; reject duplicate keys and aliases (*name)."""
    if isinstance(node, yaml.CollectionNode):
        # An alias is the same node met twice: refusing it stops cycles and alias bombs.
        if id(node) in seen_nodes:
            raise FrontMatterError("expected plain values: YAML aliases (*name) are not supported",
                                   first_line + node.start_mark.line, "write the value out")
        seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = first_line + key_node.start_mark.line
            if key in seen:
                raise FrontMatterError(f'{key}: expected once, found a duplicate key', line,
                                       "keep one of them")
            seen.add(key)
            lines[path + (key,)] = line
            _index(value_node, path + (key,), first_line, lines, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = first_line + item.start_mark.line
            _index(item, path + (i,), first_line, lines, seen_nodes)


def split(text: str) -> Document:
    """Split decoded text into front matter and body; raise FrontMatterError if malformed."""
    if not text.strip():
        raise FrontMatterError("empty file: expected front matter between '---' lines", 1)
    if not text.startswith("---") or text.split("\n", 1)[0].rstrip() != "---":
        raise FrontMatterError(
            "expected front matter: the file must start with a line '---'",
            1,
            "did you forget to add '---' above the title?",
        )
    lines = text.split("\n")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            break
    else:
        raise FrontMatterError(
            "front matter is not closed: expected a line '---' after it", 1,
            "add a line '---' between the front matter and the text",
        )
    yaml_text = "\n".join(lines[1:index])
    data, key_lines = parse_yaml(yaml_text, first_line=2)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({data!r:.40})"
        raise FrontMatterError(f"front matter: expected key: value pairs, got {kind}", 2)
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise FrontMatterError(f"front matter: expected text keys, got {bad[0]!r}", 2)
    return Document(data, key_lines, "\n".join(lines[index + 1 :]), index + 2)
