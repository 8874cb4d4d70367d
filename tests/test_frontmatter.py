"""The front-matter parser, by properties: what YAML writes, split() reads back, lines included."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reelnotes.frontmatter import (
    FrontMatterError,
    _plain_front_matter,
    decode,
    parse_any_yaml,
    parse_yaml,
    split,
)

keys = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True)
scalars = st.one_of(
    # Bidi embeddings/overrides/isolates are dropped on reading (test_bad_input.py), so no
    # round trip for them.
    st.text(st.characters(blacklist_categories=("Cs", "Cc"),
                          blacklist_characters="\u202a\u202b\u202c\u202d\u202e"
                                               "\u2066\u2067\u2068\u2069"), max_size=40),
    st.integers(-10**6, 10**6),
    st.booleans(),
    st.none(),
)
values = st.one_of(scalars, st.lists(scalars, max_size=4),
                   st.dictionaries(keys, scalars, max_size=3))
front_matters = st.dictionaries(keys, values, min_size=1, max_size=8)
bodies = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200).map(
    lambda b: b.replace("\r", ""))


def dump(data: dict[str, object]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


@settings(max_examples=150, deadline=None)
@given(front_matters, bodies)
def test_round_trip(data: dict[str, object], body: str) -> None:
    text = f"---\n{dump(data)}---\n{body}"
    doc = split(text)
    assert doc.data == data
    assert doc.body == body
    assert doc.body_line == text.split("\n").index("---", 1) + 2


@settings(max_examples=100, deadline=None)
@given(front_matters)
def test_each_top_level_key_has_its_line(data: dict[str, object]) -> None:
    text = f"---\n{dump(data)}---\n"
    doc = split(text)
    rows = text.split("\n")
    for key in data:
        line = doc.lines[(key,)]
        # YAML quotes keys such as no, on, null.
        assert rows[line - 1].startswith((f"{key}:", f"'{key}':")), (key, line, rows)


@settings(max_examples=100, deadline=None)
@given(front_matters, st.sampled_from(["\r\n", "\n"]), st.booleans())
def test_crlf_and_bom_read_like_plain_text(data: dict[str, object], eol: str, bom: bool) -> None:
    text = f"---\n{dump(data)}---\nbody\n"
    raw = (("\ufeff" if bom else "") + text.replace("\n", eol)).encode("utf-8")
    assert split(decode(raw)).data == split(text).data


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_any_text_parses_or_raises_front_matter_error(text: str) -> None:
    try:
        doc = split(text)
    except FrontMatterError as err:
        assert err.line >= 1 and err.message
    else:
        assert isinstance(doc.data, dict)


def test_dates_stay_text_for_our_own_checks() -> None:
    assert split("---\ndate: 2013-04-09\n---\n").data == {"date": "2013-04-09"}


@pytest.mark.parametrize(("text", "line"), [
    ("---\ntitle: a\ntitle: b\n---\n", 3),
    ("---\nfilm:\n  year: 1\n  year: 2\n---\n", 4),
])
def test_duplicate_keys_are_errors(text: str, line: int) -> None:
    with pytest.raises(FrontMatterError) as info:
        split(text)
    assert info.value.line == line and "duplicate key" in info.value.message


# The plain front matter parser (_plain_front_matter) against libyaml and PyYAML, on texts made
# of the pieces front matter is made of, tricky ones included: wherever the fast parser gives
# an answer, it must be the one YAML gives (data, types and lines), and it must give none
# where YAML finds an error.
yaml_keys = st.sampled_from(["title", "date", "tags", "film", "a", "x-y", "_k", "Key", "on",
                             "yes", "No", "null", "1a", "é", "a b", "title"])
plain_pieces = st.sampled_from(["a", "Tokyo", "story", " ", "  ", "é", "“", "’", "'", '"', ":",
                                ": ", "#", " #", ",", "-", "- ", "1", "0", ".", "[", "]", "{",
                                "}", "&", "*", "!", "|", ">", "%", "@", "`", "\\", "~", "?",
                                "\u2028", "\t", "\ufeff", "\u202e"])
TRICKY = ["", "~", "null", "Null", "NULL", "nULL", "yes", "No", "ON", "off", "true", "FALSE",
          "tRUE", "y", "n", "0", "00", "01", "007", "08", "09", "019", "1971", "-3", "+3", "1_000",
          "0x1f", "0b1", "0o7", "1:20", "4.5", "04.5", "4.", ".5", "1e3", "4.5e+1", "1.5_0",
          "1990s", "1990 s", "1990s:", "0o17", "1:2:3", "190:20", "3 : 1", "2013-04-09x",
          "4.5 stars", "1,000",
          ".inf", ".NaN", "2013-04-09", "2013-4-9", "2013-04-09 10:00", "20130409", "[]",
          "[a, b]", "[a,b]", "[a, ]", "[, a]", "[a b, 'c d']", '["a", 1]', "[a, [b]]", "[a: b]",
          "[a:b]", "[a #b]", "[on, 1, 4.5, ~, null]", "{a: b}", "|", ">", "&x a", "*x",
          "!!str 1", "!x", '""', "''", "'it''s'", '"a\\"b"', '"a\\nb"', "'a'b'", '"a" #c',
          '"a"b', "'a' b", "a #c", "a#b", "a# b", "http://x.org/a", "a: b", "a:b", "a:", "- a",
          "-a", "a - b", "?", "? a", "a ?", "=", "<<", "%a", "@a", "`a", "é", "Yasujirō Ozu",
          "“Sun”: a", "a, b", "a,b", "a]", "a}", "a{", "'a", '"a', "a'", 'a"', "a ’b", "a'b",
          "a\\b", "a\u2028b", "a\tb", "a\ufeffb", "a\x85b", "\ufffeb", "a\u202eb",
          '"a\u2066b"']
yaml_scalars = st.one_of(
    st.sampled_from(TRICKY),
    st.lists(plain_pieces, min_size=1, max_size=6).map("".join),
    st.lists(plain_pieces, max_size=6).map(lambda p: '"' + "".join(p) + '"'),
    st.lists(plain_pieces, max_size=6).map(lambda p: "'" + "".join(p) + "'"),
)
yaml_rows = st.one_of(
    st.tuples(st.sampled_from(["", "", "", "  ", "    ", " "]), yaml_keys,
              st.sampled_from([": ", ":", ":  ", " : "]), yaml_scalars)
    .map(lambda r: f"{r[0]}{r[1]}{r[2]}{r[3]}"),
    st.tuples(st.sampled_from(["", "  ", "    "]), yaml_scalars).map(lambda r: f"{r[0]}- {r[1]}"),
    st.sampled_from(["", "  ", "# a comment", "  # indented comment", "-", "---", "..."]),
)

separators = st.sampled_from([": ", ": ", ": ", ":  ", ":"])
likely = st.one_of(  # what front matter mostly holds, so that many documents are valid
    st.sampled_from(["Tokyo Story", "1953", "4.5", "2013-04-09", "true", "[ozu, family]",
                     '"“Sun”: a, b"', "'Late Spring'", "Yasujirō Ozu", "x y z", "[]", "0"]),
    st.text(st.sampled_from("abcé’“ -,.:#'\"1"), min_size=1, max_size=12),
    st.text(st.sampled_from("abcé’“ -,.:#'\"1[]"), max_size=12).map(lambda t: f'"{t}"'),
)
yaml_keys_likely = st.one_of(st.sampled_from(["title", "date", "tags", "film", "year", "a"]),
                             yaml_keys)
values_likely = st.one_of(likely, likely, yaml_scalars)
entries = st.one_of(
    st.tuples(yaml_keys_likely, separators, values_likely).map(
        lambda e: [f"{e[0]}{e[1]}{e[2]}"]),
    st.tuples(yaml_keys_likely, st.sampled_from(["", "  "]),
              st.lists(values_likely, max_size=3)).map(
        lambda e: [f"{e[0]}:", *(f"{e[1]}- {item}" for item in e[2])]),
    st.tuples(yaml_keys_likely,
              st.lists(st.tuples(yaml_keys_likely, separators, values_likely), max_size=3))
    .map(lambda e: [f"{e[0]}:", *(f"  {k}{sep}{v}" for k, sep, v in e[1])]),
    st.lists(yaml_rows, max_size=2),
)
documents = st.one_of(
    st.lists(yaml_rows, max_size=10),
    st.lists(entries, max_size=6).map(lambda e: [row for rows in e for row in rows]),
    st.lists(entries, max_size=6, unique_by=lambda e: e[0].split(":")[0] if e else "").map(
        lambda e: [row for rows in e for row in rows]),
)


@settings(max_examples=1500, deadline=None)
@given(documents)
def test_plain_front_matter_reads_as_yaml_does(rows: list[str]) -> None:
    agrees_with_yaml("\n".join(rows))


def agrees_with_yaml(text: str) -> None:
    """_plain_front_matter gives what YAML gives for `text`, or nothing."""
    fast = _plain_front_matter(text, 2)
    try:
        data, lines = parse_any_yaml(text, 2)
    except FrontMatterError:
        assert fast is None, (text, fast)
        return
    if fast is not None:  # (parse_yaml takes it, cleaned)
        assert parse_yaml(text, 2) == (data, lines), text
        assert repr(parse_yaml(text, 2)[0]) == repr(data), text  # types: 1 is not 1.0 nor True


@pytest.mark.parametrize("value", TRICKY)
def test_plain_front_matter_reads_every_tricky_value_as_yaml_does(value: str) -> None:
    for text in (f"k: {value}", f"k: [{value}]", f"k: [a, {value}]", f"k:\n- {value}",
                 f"k:\n  - {value}\n  - b", f"k:\n  n: {value}\n  m: b", f"k: {value}\nm: 1",
                 f"{value}: a", f"k:\n  {value}: a"):
        agrees_with_yaml(text)


def test_plain_front_matter_reads_a_review() -> None:
    text = ('title: "“Sun”: Tokyo Story (1953)"\ndate: 2013-04-09\nfilm:\n  title: Tokyo Story\n'
            "  year: 1953\n  director: Yasujirō Ozu\ntags: [ozu, family]\nrating: 4.5\n"
            "draft: false\n# a comment\naliases:\n- old/tokyo\nsummary: 'A film, quietly.'")
    fast = _plain_front_matter(text, 2)
    assert fast is not None  # all of it is the plain kind: no fallback to libyaml
    assert fast == parse_any_yaml(text, 2)
    assert fast[0]["film"] == {"title": "Tokyo Story", "year": 1953, "director": "Yasujirō Ozu"}
    assert fast[1][("tags", 1)] == 8 and fast[1][("aliases", 0)] == 13
