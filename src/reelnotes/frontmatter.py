"""Split a Markdown file into YAML front matter and body, keeping line numbers for messages."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import Diagnostic

if TYPE_CHECKING:
    import yaml


@functools.cache
def _loader() -> Any:
    """The C safe loader when present, with dates left as text so we can check them ourselves.

    PyYAML is imported only when a front matter needs more than _plain_front_matter reads."""
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc]
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return Loader

KeyPath = tuple[str | int, ...]

# C0 controls other than tab and newline, DEL, and C1 controls: invisible, invalid in XML.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Bidi embeddings, overrides and isolates, which can make text read differently than it is.
_BIDI = "\u202a-\u202e\u2066-\u2069"
_UNSAFE_IN_BODY = re.compile(f"[{_CONTROLS}]")
_C0_BYTES = bytes([*range(9), *range(11, 13), *range(14, 32), 127])
"""The bytes of the controls in _CONTROLS below U+0080 (not \r: line ends are made \n)."""
_UNSAFE_IN_VALUES = re.compile(f"[{_CONTROLS}{_BIDI}]")


class Document(NamedTuple):
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
    if b"\r" in raw:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(raw.translate(None, _C0_BYTES)) != len(raw) or b"\xc2" in raw:  # (C1: \xc2\x80-\x9f)
        text = _UNSAFE_IN_BODY.sub("", text)  # (checked on the bytes first: ~10x faster)
    return text


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
    fast = _plain_front_matter(text, first_line)
    if fast is not None:  # (its values are pieces of the text: clean only if it needs it)
        return clean(fast[0]) if _UNSAFE_IN_VALUES.search(text) else fast[0], fast[1]
    return parse_any_yaml(text, first_line)


def parse_any_yaml(text: str, first_line: int = 1) -> tuple[Any, dict[KeyPath, int]]:
    """parse_yaml by libyaml and PyYAML alone, for any YAML."""
    import yaml

    loader = _loader()(text)
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


# The front matter people write is mostly the plainest YAML: `key: value` lines, a level of
# nested keys, lists in brackets or dashes, values quoted or plain. _plain_front_matter reads
# that much in pure Python, four times faster than libyaml and PyYAML's constructor, with the
# same result (a hypothesis test compares them); anything else it leaves to them.

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?$")
_BOOLS = {word: value for value, words in ((True, "yes Yes YES true True TRUE on On ON"),
                                           (False, "no No NO false False FALSE off Off OFF"))
          for word in words.split()}
_NULLS = frozenset({"~", "null", "Null", "NULL"})
_INT = re.compile(r"0|[1-9][0-9]*")
_FLOAT = re.compile(r"[0-9]+\.[0-9]+")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMERIC = "0123456789_.:+-abcdefxoABCDEFXO"
"""What YAML's number forms are written with: a text of other characters too (1990s) is text."""
_NOT_PLAIN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
"""Characters whose reading this parser leaves to libyaml (tabs, line breaks, controls)."""
_IN_PLAIN_BLOCK = frozenset(":#[]{}")
_IN_PLAIN_FLOW = frozenset(":#[]{},")
_FAIL: Any = object()


def _scalar(value: str, flow: bool) -> Any:
    """A one-line scalar (not empty) as YAML reads it, or _FAIL if that may need libyaml."""
    first = value[0]
    if first == '"':
        inner = value[1:-1]
        return (inner if len(value) > 1 and value[-1] == '"' and '"' not in inner
                and "\\" not in inner else _FAIL)
    if first == "'":
        inner = value[1:-1]
        return inner if len(value) > 1 and value[-1] == "'" and "'" not in inner else _FAIL
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return _BOOLS[value]
    if "0" <= first <= "9":
        if _INT.fullmatch(value):
            return int(value)
        if _FLOAT.fullmatch(value):
            return float(value)
        if _DAY.fullmatch(value):
            return value  # (dates stay text: see _loader)
        if not value.strip(_NUMERIC):
            return _FAIL  # may be a number YAML reads otherwise: 0x1f, 1_000, 1:20, 4.
    unsafe = _IN_PLAIN_FLOW if flow else _IN_PLAIN_BLOCK
    if (first.isalpha() or "0" <= first <= "9") and not any(c in unsafe for c in value):
        return value
    return _FAIL


def _value(value: str, path: KeyPath, line: int, lines: dict[KeyPath, int]) -> Any:
    """A value written on its key's line: a scalar or a list in brackets."""
    if value[0] != "[":
        return _scalar(value, flow=False)
    if value[-1] != "]":
        return _FAIL
    inner = value[1:-1].strip(" ")
    if not inner:
        return []
    items = []
    for i, item in enumerate(inner.split(",")):
        item = item.strip(" ")
        parsed = _scalar(item, flow=True) if item else _FAIL
        if parsed is _FAIL:
            return _FAIL
        items.append(parsed)
        lines[(*path, i)] = line
    return items


def _plain_front_matter(text: str, first_line: int) -> tuple[Any, dict[KeyPath, int]] | None:
    """(data, lines) as parse_yaml gives them, for front matter in the plainest YAML: keys at
    the left edge, each with a one-line value, or with a block of one-line `- item`s or of
    `key: value`s indented alike. None for anything else, valid or not."""
    if _NOT_PLAIN.search(text):
        return None
    rows = [(n, row) for n, row in enumerate(text.split("\n"), first_line)
            if row.strip(" ") and row.lstrip(" ")[0] != "#"]
    data: dict[str, Any] = {}
    lines: dict[KeyPath, int] = {}
    at = 0
    while at < len(rows):
        line, row = rows[at]
        match = _plain_key(row, data)
        if match is None:
            return None
        key, value = match.group(1), (match.group(2) or "").rstrip(" ")
        lines[(key,)] = line
        at += 1
        if value:
            data[key] = _value(value, (key,), line, lines)
        else:
            block = []
            while at < len(rows) and (rows[at][1][0] == " " or rows[at][1].startswith("- ")):
                block.append(rows[at])
                at += 1
            data[key] = _block(block, key, lines) if block else None
        if data[key] is _FAIL:
            return None
    return (data or None), lines


def _plain_key(row: str, taken: dict[str, Any]) -> re.Match[str] | None:
    """The `key: value` match of a row whose key is text, and new in its mapping (YAML reads
    yes, on, null... as other values; a duplicate is libyaml's to report)."""
    match = _KEY.match(row)
    if match is None or match.group(1) in taken or match.group(1) in _BOOLS or (
            match.group(1) in _NULLS):
        return None
    return match


def _block(block: list[tuple[int, str]], key: str, lines: dict[KeyPath, int]) -> Any:
    """The list or mapping a key's block of lines holds, all at one indent, or _FAIL."""
    indent = len(block[0][1]) - len(block[0][1].lstrip(" "))
    items: list[Any] = []
    mapping: dict[str, Any] = {}
    sequence = block[0][1][indent:].startswith("- ")
    for line, row in block:
        if len(row) - len(row.lstrip(" ")) != indent:
            return _FAIL
        row = row[indent:].rstrip(" ")
        if sequence:
            if not row.startswith("- ") or not row[2:].strip(" "):
                return _FAIL
            lines[(key, len(items))] = line
            items.append(_scalar(row[2:].strip(" "), flow=False))
            if items[-1] is _FAIL:
                return _FAIL
            continue
        match = _plain_key(row, mapping)
        if match is None or not match.group(2):
            return _FAIL
        name = match.group(1)
        lines[(key, name)] = line
        mapping[name] = _value(match.group(2).rstrip(" "), (key, name), line, lines)
        if mapping[name] is _FAIL:
            return _FAIL
    return items if sequence else mapping


def _index(node: yaml.Node, path: KeyPath, first_line: int, lines: dict[KeyPath, int],
           seen_nodes: set[int]) -> None:
    """Record each key's line; reject duplicate keys and aliases (*name)."""
    import yaml

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
