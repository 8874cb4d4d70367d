"""Property tests: whatever a post or comment file holds, the build either succeeds or reports
content errors as `file:line:` lines; any title gives a safe, unique URL segment; the feeds'
escaping and dates are the standard library's."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

import lxml.html
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reelnotes import cli, config, content, feed, urls
from reelnotes.cli import main
from reelnotes.content import POST_KEYS

CONFIG = 'title = "Fuzz"\nbase_url = "https://example.org/"\n'
PROBLEM = re.compile(r"^content/(posts|comments)/[\w.-]+:\d+: \S")
FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@contextlib.contextmanager
def scratch_site() -> Iterator[Path]:
    """A fresh site folder (hypothesis runs many examples per test, so no tmp_path)."""
    folder = Path(tempfile.mkdtemp(prefix="reelnotes-fuzz-"))
    try:
        (folder / "content" / "posts").mkdir(parents=True)
        (folder / "reelnotes.toml").write_text(CONFIG, encoding="utf-8")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def build(root: Path) -> tuple[int, list[str]]:
    """Run `reelnotes build` in-process; return the exit code and stderr lines."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["build", "--site", str(root), "--drafts", "--future", "--quiet"])
    return code, err.getvalue().splitlines()


def assert_reported(code: int, lines: list[str]) -> None:
    """A failed build must be our exit 1 with one `file:line:` line per problem."""
    assert code == 1, lines
    assert re.fullmatch(r"reelnotes: build failed: \d+ problems?", lines[-1]), lines
    problems = [line for line in lines[:-1] if ": warning: " not in line]
    assert problems and all(PROBLEM.match(line) for line in problems), lines


# Front matter made of real keys with awkward values, so most examples get past the framing.
_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["2013-04-09", "2013-02-30", "2013-04-09 20:00", "9999-01-01T00:00Z",
                     "[a, [b]]", "{x: 1}", "&a [*a]", "'", "\t", "yes", "5", "-1", "3.5",
                     "!!binary aGk=", "<script>alert(1)</script>", "javascript:x()", "|",
                     "\u202ertl", "~", "null", ".nan", "1e400", "[/old/, ../x]"]),
    st.integers().map(str),
)
_keys = sorted(POST_KEYS - {"title", "date"}) + ["x"]
_front = st.dictionaries(st.sampled_from(_keys), _values, max_size=6).map(
    lambda d: "".join(f"{k}: {v}\n" for k, v in d.items()))
_noise = st.one_of(st.just(b""), st.sampled_from([b"\xff", b"\x00", b"\r", b"\xef\xbb\xbf"]),
                   st.binary(max_size=8))
_markdown = st.lists(st.one_of(st.sampled_from(list("*_`#>[]()<>!-|~\\&:\n ") + [
    "<!--more-->", "<script>", "</div>", "[^1]", "[^1]: n", "```", "http://x.org/"]),
    st.characters(exclude_categories=["Cs"])), max_size=120).map("".join)
_valid = st.builds(lambda tags, rating, body: (
    f"---\ntitle: T\ndate: 2013-04-09\ntags: {tags}\nrating: {rating}\nfilm:\n  title: F\n"
    f"  year: 1999\n---\n{body}").encode(),
    st.lists(st.text(min_size=1, max_size=10).map(repr), max_size=3).map(
        lambda t: "[" + ", ".join(t) + "]"),
    st.sampled_from(["0", "2.5", "5"]), _markdown)
_posts = st.one_of(
    _valid,
    _valid,
    st.binary(max_size=300),
    st.builds(lambda fm, body, noise: ("---\ntitle: T\ndate: 2013-04-09\n" + fm + "---\n"
                                       + body).encode("utf-8") + noise,
              _front, st.text(max_size=200), _noise),
    st.builds(lambda head, tail: b"---\n" + head + b"\n---\n" + tail,
              st.binary(max_size=80), st.binary(max_size=80)),
)


@FUZZ
@given(raw=_posts)
@example(raw=b"\xef\xbb\xbf---\r\ntitle: T\r\ndate: 2013-04-09\r\n---\r\n\x00")
@example(raw=b"---\ntitle: T\ndate: 2013-04-09\ntags: &a [*a, *a]\n---\n")
@example(raw=b"---\ntitle: T\ndate: 2013-04-09 20:00\nupdated: 2013-04-09T21:00+02:00\n---\n")
def test_any_bytes_as_a_post_build_or_report(raw: bytes) -> None:
    with scratch_site() as root:
        (root / "content/posts/fuzz.md").write_bytes(raw)
        code, lines = build(root)
        if code != 0:
            assert_reported(code, lines)
            return
        pages = list((root / "build/posts").glob("*/index.html"))
        assert len(pages) == 1, lines
        doc = lxml.html.fromstring(pages[0].read_bytes())
        assert doc.xpath("//h1")[0].text_content().strip()


_comment_values = st.one_of(st.text(max_size=20), st.sampled_from(
    ["2013-05-01", "nope", "https://ok.example/", "javascript:x()", "[1]", "{a: b}", "|"]))
_comment = st.fixed_dictionaries(
    {"author": st.one_of(st.sampled_from(["Ann", "<b>Bo</b>"]), _comment_values),
     "date": st.one_of(st.just("2013-05-01"), _comment_values),
     "body": st.one_of(st.text(max_size=40).map(lambda t: repr(t.replace("\\", ""))),
                       _comment_values)},
    optional={"url": _comment_values, "x": _comment_values})
_comments = st.one_of(
    st.binary(max_size=200),
    st.lists(_comment, max_size=3).map(lambda items: "".join(
        "- " + "  ".join(f"{k}: {v}\n" for k, v in item.items()) for item in items)
        .encode("utf-8")),
)


@FUZZ
@given(raw=_comments)
def test_any_bytes_as_a_comment_file_build_or_report(raw: bytes) -> None:
    with scratch_site() as root:
        (root / "content/posts/p.md").write_text("---\ntitle: P\ndate: 2013-04-09\n---\nHi.\n")
        (root / "content/comments/p.yml").parent.mkdir()
        (root / "content/comments/p.yml").write_bytes(raw)
        code, lines = build(root)
        if code != 0:
            assert_reported(code, lines)
            return
        assert (root / "build/posts/p/index.html").is_file()


@given(title=st.text(), seed=st.text(min_size=1))
@example(title="", seed="content/posts/a.md")
@example(title="../..", seed="content/posts/a.md")
@example(title="🎬🎥", seed="content/posts/a.md")
@example(title="东京物语", seed="content/posts/a.md")
@example(title="\u202e\u0000/%2e%2e", seed="content/posts/a.md")
def test_any_title_gives_a_safe_url_segment(title: str, seed: str) -> None:
    slug = urls.slugify(title, fallback_seed=seed)
    assert slug and urls.is_safe_slug(slug)
    assert quote(slug, safe="") == slug  # nothing that needs percent-encoding
    assert slug not in (".", "..") and "/" not in slug and "\\" not in slug


@given(text=st.text(st.sampled_from(list("ab= \t\n\r.\"#"))), key=st.sampled_from(["a", "ab", "b"]))
@example(text=" ab\t= 1\nab = 2\n", key="ab")
@example(text="a.b = 1\na=2", key="a")
def test_config_key_lines_are_where_the_key_is_set(text: str, key: str) -> None:
    """The config's line for a key is the first `key = ...` line, as this pattern finds it."""
    found = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", text, re.MULTILINE)
    expected = text.count("\n", 0, found.start()) + 1 if found else None
    assert config._key_lines(text).get(key) == expected


_BUILD_WORDS = st.sampled_from(["--site", "--out", "--base-url", "--jobs", "-j", "--drafts",
                                  "--future", "--quiet", "-q", "--qu", "--site=x", "-qj2", "-h",
                                  "--", "x", "", "-1", "7", "07", "+2", "²", "٢", "build",
                                  "https://example.org/"])


@given(words=st.lists(_BUILD_WORDS, max_size=8))
@example(words=["--site", "blog", "--quiet", "--jobs", "2", "--drafts"])
@example(words=["-q", "-j", "1", "--future", "--out", "public", "--base-url", "/x/"])
def test_the_quick_build_command_line_is_argparses(words: list[str]) -> None:
    """quick_build_args gives what the argument parser gives, or leaves the line to it."""
    argv = ["build", *words]
    quick = cli.quick_build_args(argv)
    if quick is None:
        return
    with contextlib.redirect_stderr(io.StringIO()):
        parsed = cli.parser("build").parse_args(argv)  # SystemExit if it would not parse
    assert vars(quick) == vars(parsed)


_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORDY = st.sampled_from(list("ab \t\n\x1c\x1f\x85\xa0’“”—…é\u2009\u3000東京\ud800\U0001f3ac"))


@given(text=st.text() | st.text(_WORDY) | st.text(st.characters(max_codepoint=127)))
@example(text="one two  three ")
@example(text="see 東京物語 twice")
@example(text="“quoted”\u00a0words\u2009here")
def test_word_count_is_split_s(text: str) -> None:
    """count_words counts as str.split() does (CJK characters at half a word each), however
    it gets there."""
    expected = len(_CJK.sub(" ", text).split()) + (len(_CJK.findall(text)) + 1) // 2
    assert content.count_words(text) == expected


@given(title=st.text(st.characters(max_codepoint=127)) | st.text())
@example(title="Tokyo Story (1953): Ozu's quiet masterpiece, 1,000 times")
@example(title="Fish &amp; Chips &#38; more")
@example(title=" -- Spaced -- out -- ")
@example(title="A" * 79)
@example(title="Word " * 16)
@example(title="Word " * 17)
def test_slugs_are_python_slugify_s(title: str) -> None:
    """urls.slugify skips python-slugify for plain ASCII, with the very slug it would give."""
    theirs = urls._python_slugify(title)
    assert urls.slugify.__wrapped__(title, "s") == (theirs or urls.slugify.__wrapped__("", "s"))


@given(text=st.text())
@example(text="a\"b'c & <d> \t\n\r\x00\u202e")
@example(text="a\"b&c")
def test_feed_escaping_is_saxutils(text: str) -> None:
    """feed.py escapes as xml.sax.saxutils does (it does not import it: that loads ssl)."""
    assert feed.xml_text(text) == escape(feed._FORBIDDEN.sub("", text))
    assert feed.xml_attr(text) == quoteattr(text)


@given(moment=st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31),
                           timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                                                      timezone(timedelta(hours=-11))])))
def test_feed_dates_are_email_utils(moment: datetime) -> None:
    """feed.py writes RFC 822 dates as email.utils does (it does not import it either)."""
    assert feed.rfc822(moment) == format_datetime(moment.astimezone(UTC), usegmt=True)


def _yaml_quoted(text: str) -> str:
    """A YAML double-quoted scalar holding exactly `text`, printable ASCII only."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(titles=st.lists(st.text(min_size=1, max_size=40), min_size=2, max_size=4))
@example(titles=["Heat", "🎬", "🎥", "Heat!"])
def test_titles_never_share_a_page(titles: list[str]) -> None:
    """Every post gets its own page, or the build names the clash; nothing is overwritten."""
    with scratch_site() as root:
        for i, title in enumerate(titles):
            (root / f"content/posts/p{i}.md").write_text(
                f"---\ntitle: {_yaml_quoted(title)}\ndate: 2013-04-09\n---\nText {i}.\n",
                encoding="utf-8")
        code, lines = build(root)
        if code != 0:
            assert_reported(code, lines)
            assert all("slug: expected a slug of its own" in line
                       or "title: expected text, got nothing" in line for line in lines[:-1])
            return
        bodies = sorted(lxml.html.fromstring(page.read_bytes())
                        .xpath("//div[@class='post-body']/p")[0].text
                        for page in (root / "build/posts").glob("*/index.html"))
        assert bodies == sorted(f"Text {i}." for i in range(len(titles)))


_toml = st.one_of(
    st.binary(max_size=120),
    st.lists(st.tuples(st.sampled_from(["title", "base_url", "timezone", "language",
                                        "posts_per_page", "author", "extra", "x"]),
                       st.sampled_from(['"T"', '"https://example.org/blog/"', "5", "0", "-1",
                                        "true", '"Europe/Paris"', '"../../etc"', "[1, 2]",
                                        "{a = 1}", '"http://[::1"', '"en"', "1979-05-27",
                                        '"https://x.org/\\u0000"', '""', "inf"])),
             max_size=5).map(lambda kv: "".join(f"{k} = {v}\n" for k, v in kv).encode()),
)


@settings(FUZZ, max_examples=50)
@given(raw=_toml)
@example(raw=b'base_url = "http://[::1"\n')
def test_any_bytes_as_the_config_build_or_report(raw: bytes) -> None:
    with scratch_site() as root:
        (root / "reelnotes.toml").write_bytes(raw)
        (root / "content/posts/p.md").write_text("---\ntitle: P\ndate: 2013-04-09\n---\nHi.\n")
        code, lines = build(root)
        if code != 0:
            assert code == 1, lines
            problems = [line for line in lines[:-1] if ": warning: " not in line]
            assert problems and all(line.startswith("reelnotes.toml") for line in problems), lines
            return
        assert (root / "build/posts/p/index.html").is_file()


_jinja = st.lists(st.one_of(
    st.sampled_from(["{{", "}}", "{%", "%}", "{#", "#}", " if ", " for x in ", " endfor ",
                     " endif ", " block main ", " endblock ", "extends ", '"base.html"',
                     " page.title ", " site ", " | ", "upper", "safe", " posts ", "(", ")",
                     "[", "]", "'", "\n", "0", ".", "nope", "-"]),
    st.characters(blacklist_categories=("Cs",))), max_size=30).map("".join)  # files hold UTF-8


@settings(FUZZ, max_examples=30)
@given(text=_jinja)
@example(text="{{ 1 / 0 }}")
@example(text="{{ page.title[5:2:0] }}")
def test_any_text_as_a_template_build_or_report(text: str) -> None:
    with scratch_site() as root:
        (root / "templates").mkdir()
        (root / "templates/tags.html").write_text(text, encoding="utf-8")
        (root / "content/posts/p.md").write_text("---\ntitle: P\ndate: 2013-04-09\n---\nHi.\n")
        code, lines = build(root)
        if code != 0:
            assert code == 1, lines
            assert len(lines) == 2 and re.match(r"templates/tags\.html:\d+: ", lines[0]), lines
