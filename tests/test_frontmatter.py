"""The front-matter parser, by properties: what YAML writes, split() reads back, lines included."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reelnotes.frontmatter import FrontMatterError, decode, split

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
