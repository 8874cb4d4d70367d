"""`reelnotes import wordpress`: WXR files written here, imported, then built and checked."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
import yaml
from conftest import Result, Site
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from reelnotes.config import load_config
from reelnotes.wordpress import Channel, WpItem
from reelnotes.wpautop import wpautop
from reelnotes.wpconvert import convert, find_shortcodes
from reelnotes.wpimport import import_wordpress
from reelnotes.wpplan import old_address

OLD = "https://oldblog.example.com"


def cdata(text: str) -> str:
    """Wrap text in CDATA the way WordPress does (splitting any "]]>")."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def comment(cid: int, author: str, date: str, body: str, approved: str = "1",
            parent: int = 0, kind: str = "", url: str = "") -> str:
    """One <wp:comment>; `date` is local time, eight hours ahead of UTC."""
    hour = int(date[11:13]) - 8
    gmt = date[:11] + f"{hour:02d}" + date[13:]
    return f"""
    <wp:comment>
      <wp:comment_id>{cid}</wp:comment_id>
      <wp:comment_author>{cdata(author)}</wp:comment_author>
      <wp:comment_author_email>{cdata("x@example.com")}</wp:comment_author_email>
      <wp:comment_author_url>{url}</wp:comment_author_url>
      <wp:comment_date>{cdata(date)}</wp:comment_date>
      <wp:comment_date_gmt>{cdata(gmt)}</wp:comment_date_gmt>
      <wp:comment_content>{cdata(body)}</wp:comment_content>
      <wp:comment_approved>{cdata(approved)}</wp:comment_approved>
      <wp:comment_type>{cdata(kind)}</wp:comment_type>
      <wp:comment_parent>{parent}</wp:comment_parent>
    </wp:comment>"""


def item(pid: int, title: str, body: str, *, name: str = "", status: str = "publish",
         date: str = "2013-04-09 13:00:00", gmt: str | None = None, kind: str = "post",
         modified: str | None = None, terms: str = "", comments: str = "",
         password: str = "", link: str | None = None) -> str:
    """One <item>; the UTC time defaults to eight hours behind `date`."""
    if gmt is None:
        gmt = date[:11] + f"{int(date[11:13]) - 8:02d}" + date[13:]
    modified = modified or date
    mod_gmt = modified[:11] + f"{int(modified[11:13]) - 8:02d}" + modified[13:]
    if link is None:
        link = f"{OLD}/{date[:10].replace('-', '/')}/{name}/" if name else f"{OLD}/?p={pid}"
    return f"""
  <item>
    <title>{title}</title>
    <link>{link}</link>
    <pubDate>Tue, 09 Apr 2013 05:00:00 +0000</pubDate>
    <dc:creator>{cdata("admin")}</dc:creator>
    <guid isPermaLink="false">{OLD}/?p={pid}</guid>
    <description></description>
    <content:encoded>{cdata(body)}</content:encoded>
    <excerpt:encoded>{cdata("")}</excerpt:encoded>
    <wp:post_id>{pid}</wp:post_id>
    <wp:post_date>{cdata(date)}</wp:post_date>
    <wp:post_date_gmt>{cdata(gmt)}</wp:post_date_gmt>
    <wp:post_modified>{cdata(modified)}</wp:post_modified>
    <wp:post_modified_gmt>{cdata(mod_gmt)}</wp:post_modified_gmt>
    <wp:comment_status>{cdata("open")}</wp:comment_status>
    <wp:post_name>{cdata(name)}</wp:post_name>
    <wp:status>{cdata(status)}</wp:status>
    <wp:post_parent>0</wp:post_parent>
    <wp:post_type>{cdata(kind)}</wp:post_type>
    <wp:post_password>{cdata(password)}</wp:post_password>
    <wp:is_sticky>0</wp:is_sticky>{terms}{comments}
  </item>"""


def wxr(*items: str, version: str = "1.2") -> str:
    """A whole export file around `items`."""
    ns = f"http://wordpress.org/export/{version}/"
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="{ns}excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:wfw="http://wellformedweb.org/CommentAPI/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{ns}">
<channel>
  <title>Old notes</title>
  <link>{OLD}</link>
  <language>en</language>
  <wp:wxr_version>{version}</wp:wxr_version>
  <wp:base_site_url>{OLD}</wp:base_site_url>
  <wp:base_blog_url>{OLD}</wp:base_blog_url>
  {"".join(items)}
</channel>
</rss>
"""


CAPTION = ('[caption id="attachment_7" align="aligncenter" width="300"]'
           '<a href="/wp-content/uploads/2013/04/qin.jpg"><img class="size-medium wp-image-7" '
           'src="/wp-content/uploads/2013/04/qin-300x200.jpg" alt="Qin at the station" '
           'width="300" height="200" /></a> Qin at the <strong>station</strong>[/caption]')

REVIEW = f"""<em>There are 130 million migrant workers in China.</em> It is the biggest migration.
This line is a soft break — 归途列车 🚂 “quoted”.

{CAPTION}

<blockquote>The parents said:
<blockquote>Study hard.</blockquote>
</blockquote>
<ul>
	<li>Sichuan</li>
	<li>Guangdong
<ol>
	<li>Shenzhen</li>
</ol>
</li>
</ul>
Over 130 million<sup><a href="#fn1" id="ref1">1</a></sup> workers; E = mc<sup>2</sup>.
<!--more-->
[gallery ids="7,8"] stays, and so does [sic].

<p id="fn1"><sup>1</sup> National Bureau of Statistics, 2009. <a href="#ref1">↩</a></p>"""

TERMS = """
    <category domain="category" nicename="documentary">{}</category>
    <category domain="category" nicename="china">{}</category>
    <category domain="post_tag" nicename="migration">{}</category>""".format(
    cdata("Documentary"), cdata("China"), cdata("migration"))

THREAD = "".join([
    comment(1, "Alice 🎬", "2013-04-10 09:00:00", "Great review!\n\nTwo paragraphs.",
            url="https://alice.example.com/"),
    comment(2, "Bob", "2013-04-12 10:00:00", "I <em>agree</em> with Alice.", parent=1),
    comment(3, "Carol", "2013-04-11 08:00:00", "Seen it <b>twice</b>: a: b: {c}"),
    comment(4, "Spammer", "2013-04-11 09:00:00", "Cheap pills", approved="spam",
            url="http://spam.example.com/"),
    comment(5, "Pending Pete", "2013-04-11 10:00:00", "Waiting", approved="0"),
    comment(6, "Other blog", "2013-04-11 11:00:00", "Linked here", kind="pingback"),
    comment(7, "Dan", "2013-04-13 10:00:00", "Replying to Bob", parent=2),
])

EXPORT = wxr(
    item(101, "Last Train Home — 归途列车 &amp; 🚂", REVIEW, name="last-train-home",
         modified="2013-05-01 12:00:00", terms=TERMS, comments=THREAD),
    item(102, "", "<p>Just a photo today, no title at all.</p>", name="102",
         date="2013-05-02 20:00:00"),
    item(103, cdata("A draft <i>in progress</i>"), "Unfinished.", status="draft",
         gmt="0000-00-00 00:00:00", date="2013-06-01 10:00:00"),
    item(104, "Private diary", "Secret.", name="private-diary", status="private"),
    item(105, "Coming soon", "Next year.", name="coming-soon", status="future",
         date="2030-01-01 09:00:00"),
    item(106, "Locked", "Hidden.", name="locked", password="hunter2"),
    item(107, "归途 notes", "Chinese slug.", name="%e5%bd%92%e9%80%94",
         date="2014-05-01 12:00:00"),
    item(108, "Pending review", "Waiting for the editor.", name="pending-review",
         status="pending", date="2014-06-01 12:00:00"),
    item(201, "About", "About me.", name="about", kind="page"),
    item(202, "qin", "", name="qin", kind="attachment", status="inherit"),
    item(203, "", "", name="203", kind="nav_menu_item"),
)

BOMB = """<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss version="2.0"><channel><item><title>&lol3;</title></item></channel></rss>
"""

LTH = "content/posts/2013-04-09-last-train-home.md"


def front_matter(path: Path) -> tuple[dict[str, object], str]:
    """The YAML front matter and the body of a post file."""
    _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
    data = yaml.safe_load(head)
    assert isinstance(data, dict)
    return data, body


@pytest.fixture
def imported(site: Site, cli: Callable[..., Result]) -> tuple[Site, Result]:
    """The export above imported into an empty site."""
    export = site.write("export.xml", EXPORT)
    result = cli("import", "wordpress", export, "--site", site.root)
    assert result.code == 0, result.err
    return site, result


def redirect_map(out: Path) -> dict[str, str]:
    """The _redirects file as {old path: new path}."""
    lines = (out / "_redirects").read_text(encoding="utf-8").splitlines()
    return {unquote(old): unquote(new)
            for old, new, code in (line.split() for line in lines) if code == "301"}


def test_build_after_import_resolves_every_old_address(
        imported: tuple[Site, Result], cli: Callable[..., Result]) -> None:
    site, _ = imported
    result = cli("build", "--site", site.root)
    assert result.code == 0, result.err
    redirects = redirect_map(site.out)
    assert redirects == {
        "/2013/04/09/last-train-home/": "/posts/last-train-home/",
        "/2013/05/02/102/": "/posts/102/",
        "/2014/05/01/归途/": "/posts/gui-tu/",
    }
    for old, new in redirects.items():
        page = lxml.html.fromstring((site.out / unquote(old).lstrip("/") / "index.html")
                                    .read_bytes())
        refresh = page.xpath("//meta[@http-equiv='refresh']/@content")[0]
        assert refresh.split("url=", 1)[1] == new
        assert page.xpath("//link[@rel='canonical']/@href") == ["https://example.org" + new]
        target = lxml.html.fromstring((site.out / new.lstrip("/") / "index.html").read_bytes())
        assert target.xpath("//link[@rel='canonical']/@href") == ["https://example.org" + new]


def test_post_front_matter_keeps_dates_offsets_tags_and_old_address(
        imported: tuple[Site, Result]) -> None:
    site, _ = imported
    data, _ = front_matter(site.root / LTH)
    assert data == {
        "title": "Last Train Home — 归途列车 & 🚂",
        "date": "2013-04-09T13:00:00+08:00",
        "updated": "2013-05-01T12:00:00+08:00",
        "slug": "last-train-home",
        "tags": ["Documentary", "China", "migration"],
        "aliases": ["/2013/04/09/last-train-home/"],
    }
    assert "title: Last Train Home — 归途列车 & 🚂\n" in (site.root / LTH).read_text("utf-8")
    chinese, _ = front_matter(site.root / "content/posts/2014-05-01-gui-tu.md")
    assert chinese["slug"] == "gui-tu" and chinese["aliases"] == ["/2014/05/01/归途/"]


def test_body_becomes_markdown_that_builds_to_the_same_structure(
        imported: tuple[Site, Result], cli: Callable[..., Result]) -> None:
    site, _ = imported
    assert cli("build", "--site", site.root).code == 0
    doc = site.html("posts/last-train-home/index.html")
    body = doc.xpath("//div[@class='post-body']")[0]
    assert "归途列车 🚂" in body.xpath("p")[0].text_content()
    assert len(body.xpath("p[1]/br")) == 1  # a single newline is a line break, as in wpautop
    figure = body.xpath("figure")[0]
    assert figure.xpath(".//img/@src") == [f"{OLD}/wp-content/uploads/2013/04/qin-300x200.jpg"]
    assert figure.xpath(".//img/@alt") == ["Qin at the station"]
    assert figure.xpath(".//a/@href") == [f"{OLD}/wp-content/uploads/2013/04/qin.jpg"]
    assert figure.xpath("figcaption")[0].text_content().strip() == "Qin at the station"
    assert figure.xpath("figcaption//strong/text()") == ["station"]
    assert body.xpath("blockquote/blockquote/p/text()") == ["Study hard."]
    assert body.xpath("blockquote/p/text()") == ["The parents said:"]
    assert body.xpath("ul/li/text()")[0] == "Sichuan"
    assert body.xpath("ul/li/ol/li/text()") == ["Shenzhen"]
    note_ref = body.xpath(".//sup[@class='footnote-ref']/a/@href")
    assert note_ref and body.xpath(f".//*[@id='{note_ref[0][1:]}']")[0].text_content().startswith(
        "National Bureau of Statistics, 2009.")
    assert "↩" not in body.xpath(".//section[@class='footnotes']")[0].text_content().replace(
        "↩︎", "", 1)
    assert body.xpath(".//sup[not(@class)]/text()") == ["2"]
    assert body.xpath(".//code/text()") == ['[gallery ids="7,8"]']
    assert "[sic]" in body.text_content()
    summary = site.html("index.html").xpath("//article")
    assert summary, "the post is listed on the home page"


def test_comments_approved_only_flattened_by_date_with_reply_notes(
        imported: tuple[Site, Result], cli: Callable[..., Result]) -> None:
    site, result = imported
    comments = yaml.safe_load((site.root / "content/comments/last-train-home.yml")
                              .read_text(encoding="utf-8"))
    assert [c["author"] for c in comments] == ["Alice 🎬", "Carol", "Bob", "Dan"]
    assert comments[0]["url"] == "https://alice.example.com/"
    assert comments[0]["date"] == "2013-04-10T09:00:00+08:00"
    assert comments[1]["body"] == "Seen it **twice**: a: b: {c}"
    assert comments[2]["body"].startswith("*[In reply to Alice 🎬](#comment-1):*")
    assert comments[3]["body"].startswith("*[In reply to Bob](#comment-3):*")
    for line in ["comment 4 on post 101: spam", "comment 5 on post 101: pending",
                 "comment 6 on post 101: a pingback"]:
        assert line in result.out
    assert cli("build", "--site", site.root).code == 0
    page = site.html("posts/last-train-home/index.html")
    items = page.xpath("//li[@class='comment']")
    assert [li.xpath(".//p[@class='comment-author']")[0].text_content() for li in items] == [
        "Alice 🎬", "Carol", "Bob", "Dan"]
    reply = items[2].xpath(".//div[@class='comment-body']//a")[0]
    assert reply.get("href") == "#comment-1" and items[0].get("id") == "comment-1"
    assert "Cheap pills" not in lxml.html.tostring(page, encoding="unicode")


def test_drafts_scheduled_private_and_non_posts(imported: tuple[Site, Result],
                                                 cli: Callable[..., Result]) -> None:
    site, result = imported
    draft, body = front_matter(site.root / "content/posts/2013-06-01-a-draft-in-progress.md")
    assert draft["draft"] is True and "aliases" not in draft
    assert draft["title"] == "A draft in progress" and body.strip() == "Unfinished."
    assert draft["date"] == "2013-06-01T10:00:00+08:00"  # no UTC time: the site's zone
    pending, _ = front_matter(site.root / "content/posts/2014-06-01-pending-review.md")
    assert pending["draft"] is True
    future, _ = front_matter(site.root / "content/posts/2030-01-01-coming-soon.md")
    assert "draft" not in future and future["aliases"] == ["/2030/01/01/coming-soon/"]
    posts = sorted(p.name for p in (site.root / "content/posts").iterdir())
    assert not any(name in n for n in posts for name in ("private", "locked", "about", "qin"))
    assert 'post 104 "Private diary": private' in result.out
    assert 'post 106 "Locked": password-protected' in result.out
    assert 'page 201 "About": a page' in result.out
    assert "1 attachment" in result.out and "1 menu item" in result.out and "1 page" in result.out
    assert "Skipped 6:" in result.out
    assert result.out.startswith("Imported 3 posts, 2 drafts, 1 scheduled, 4 comments")
    assert cli("build", "--site", site.root).code == 0
    built = {p.parent.name for p in (site.out / "posts").glob("*/index.html")}
    assert built == {"last-train-home", "102", "gui-tu"}
    assert cli("build", "--site", site.root, "--drafts", "--future").code == 0
    built = {p.parent.name for p in (site.out / "posts").glob("*/index.html")}
    assert built == {"last-train-home", "102", "gui-tu", "a-draft-in-progress",
                     "pending-review", "coming-soon"}


def test_empty_title_falls_back_to_first_words(imported: tuple[Site, Result]) -> None:
    site, _ = imported
    data, _ = front_matter(site.root / "content/posts/2013-05-02-102.md")
    assert data["title"] == "Just a photo today, no title at all…"


def test_report_lists_images_shortcodes_and_query_addresses(
        imported: tuple[Site, Result]) -> None:
    _, result = imported
    lines = result.out.splitlines()
    images = lines[lines.index(next(x for x in lines if x.startswith("Images to download"))) + 1:]
    assert images[:2] == [f"  {OLD}/wp-content/uploads/2013/04/qin.jpg",
                          f"  {OLD}/wp-content/uploads/2013/04/qin-300x200.jpg"]
    assert f"  [gallery] in {LTH}" in lines
    assert not any("[sic]" in line for line in lines)
    assert "  /?p=101 -> /posts/last-train-home/" in lines


def test_query_addresses_point_under_the_base_path(site: Site, cli: Callable[..., Result]) -> None:
    site.write("reelnotes.toml", 'title = "T"\nbase_url = "https://example.org/blog/"\n')
    export = site.write("export.xml", EXPORT)
    result = cli("import", "wordpress", export, "--site", site.root)
    assert "  /?p=101 -> /blog/posts/last-train-home/" in result.out.splitlines()


def test_entity_expansion_is_refused(site: Site, cli: Callable[..., Result]) -> None:
    export = site.write("bomb.xml", BOMB)
    result = cli("import", "wordpress", export, "--site", site.root)
    assert result.code == 1
    first = result.err.splitlines()[0]
    assert first.startswith(f"{export}: refused: the file declares XML entities")
    assert "Traceback" not in result.err
    assert not (site.root / "content").exists()


def test_broken_xml_is_reported_with_its_line(site: Site, cli: Callable[..., Result]) -> None:
    export = site.write("broken.xml", EXPORT.replace("</channel>", "</chanel>"))
    result = cli("import", "wordpress", export, "--site", site.root)
    assert result.code == 1
    line = EXPORT.splitlines().index("</channel>") + 1
    assert result.err.startswith(f"{export}:{line}: not well-formed XML")


def test_rerun_keeps_edited_files_unless_forced(imported: tuple[Site, Result],
                                                 cli: Callable[..., Result]) -> None:
    site, _ = imported
    export = site.root / "export.xml"
    again = cli("import", "wordpress", export, "--site", site.root)
    assert again.code == 0 and "0 files written, 7 unchanged, 0 kept" in again.out
    post = site.root / LTH
    post.write_text(post.read_text(encoding="utf-8") + "\nMy own addition.\n", encoding="utf-8")
    edited = post.read_bytes()
    kept = cli("import", "wordpress", export, "--site", site.root)
    assert kept.code == 0 and f"--force replaces it): {LTH}" in kept.out
    assert post.read_bytes() == edited
    forced = cli("import", "wordpress", export, "--site", site.root, "--force")
    assert forced.code == 0 and "1 files written" in forced.out
    assert b"My own addition." not in post.read_bytes()


def test_wxr_1_1_and_version_agnostic_namespaces(site: Site, cli: Callable[..., Result]) -> None:
    export = site.write("old.xml", wxr(item(1, "Old format", "Text.", name="old-format"),
                                       version="1.1"))
    result = cli("import", "wordpress", export, "--site", site.root)
    assert result.code == 0, result.err
    data, body = front_matter(site.root / "content/posts/2013-04-09-old-format.md")
    assert data["title"] == "Old format" and body == "Text.\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("One\ntwo", "<p>One<br />\ntwo</p>\n"),
    ("One\n\n\n\ntwo", "<p>One</p>\n<p>two</p>\n"),
    ("Line\n<div>block</div>\nafter", "<p>Line</p>\n<div>block</div>\n<p>after</p>\n"),
    ("<pre>keep\n\nthis</pre>", "<pre>keep\n\nthis</pre>\n"),
    ('<a href="x"\ntitle="y">link</a>', '<p><a href="x"\ntitle="y">link</a></p>\n'),
    ("a<br><br>b", "<p>a</p>\n<p>b</p>\n"),
    ("<blockquote>Quote</blockquote>", "<blockquote><p>Quote</p></blockquote>\n"),
    ("   \n", ""),
])
def test_wpautop_follows_wordpress(text: str, expected: str) -> None:
    assert wpautop(text) == expected


def test_block_editor_content_skips_wpautop() -> None:
    raw = ("<!-- wp:paragraph -->\n<p>One\ntwo</p>\n<!-- /wp:paragraph -->\n\n"
           "<!-- wp:quote -->\n<blockquote class=\"wp-block-quote\"><p>Q</p></blockquote>\n"
           "<!-- /wp:quote -->")
    assert convert(raw).markdown == "One\ntwo\n\n> Q\n"


def test_shortcode_detection() -> None:
    text = '[gallery ids="1"] [sic] [1] [embed]https://x.org[/embed] [[escaped]] [note/]'
    assert find_shortcodes(text) == ["gallery", "embed", "note"]
    assert urlsplit(convert('[caption caption="Cap"]<img src="a.png">[/caption]',
                            OLD).images[0]).path == "/a.png"


def test_progress_is_reported_for_each_stage(site: Site) -> None:
    export = site.write("export.xml", EXPORT)
    seen: dict[str, tuple[int, int]] = {}
    config, _ = load_config(site.root)
    import_wordpress(export, config,
                     progress=lambda stage, done, total: seen.__setitem__(stage, (done, total)))
    assert seen["reading"] == (export.stat().st_size, export.stat().st_size)
    assert seen["converting"] == (11, 11)
    assert seen["writing"] == (7, 7)


def test_old_address_under_a_subfolder_and_plain_permalinks() -> None:
    channel = Channel(link="https://x.org/blog", base_blog_url="https://x.org/blog")
    when = datetime(2013, 4, 9, 13, tzinfo=UTC)
    pretty = wp_item("https://x.org/blog/2013/04/09/a-post/", "a-post")
    plain_link = wp_item("https://x.org/blog/?p=5", "a-post")
    assert old_address(pretty, channel, when) == "/2013/04/09/a-post/"
    assert old_address(plain_link, channel, when) == "/2013/04/09/a-post/"
    assert old_address(wp_item("https://x.org/blog/?p=5", ""), channel, when) is None


def wp_item(link: str, name: str) -> WpItem:
    """A published post with just a link and a slug."""
    return WpItem(id="5", title="A post", link=link, content="", excerpt="", post_type="post",
                  status="publish", name=name, date="", date_gmt="", modified="",
                  modified_gmt="", password="")


def test_post_already_in_the_site_is_not_imported_twice(site: Site,
                                                         cli: Callable[..., Result]) -> None:
    site.post("hand-made", "---\ntitle: Mine\ndate: 2013-01-01\nslug: last-train-home\n---\nHi.\n")
    export = site.write("export.xml", EXPORT)
    result = cli("import", "wordpress", export, "--site", site.root)
    assert result.code == 0, result.err
    assert ('slug "last-train-home" is already used by content/posts/hand-made.md'
            in result.out)
    assert not (site.root / LTH).exists()
    assert cli("build", "--site", site.root).code == 0


def test_emoji_images_become_text_and_embeds_become_links() -> None:
    raw = ('Off we go <img class="wp-smiley" src="https://s.w.org/e/1f682.png" alt="🚂"> '
           '&#x1f3ac;\n\n<iframe src="https://www.youtube.com/embed/abc" title="Trailer">'
           "</iframe>")
    result = convert(raw, OLD)
    assert result.markdown == "Off we go 🚂 🎬\n\n[Trailer](https://www.youtube.com/embed/abc)\n"
    assert result.images == ()


@pytest.mark.parametrize("title", ['yes: no # "quoted" — null', "- 2013-04-09", "---", "'*&x"])
def test_awkward_text_survives_yaml(site: Site, cli: Callable[..., Result], title: str) -> None:
    body = "Text.\n\n---\n\n--- a: [b]"
    thread = comment(1, title, "2013-04-10 09:00:00", body)
    export = site.write("x.xml", wxr(item(1, cdata(title), body, name="awkward",
                                          comments=thread)))
    assert cli("import", "wordpress", export, "--site", site.root).code == 0
    result = cli("build", "--site", site.root)
    assert result.code == 0, result.err
    page = site.html("posts/awkward/index.html")
    assert page.xpath("//h1")[0].text_content() == title
    assert page.xpath("//p[@class='comment-author']")[0].text_content() == title


def test_missing_export_is_one_line_error(site: Site, cli: Callable[..., Result]) -> None:
    result = cli("import", "wordpress", site.root / "nope.xml", "--site", site.root)
    assert result.code == 1
    assert result.err.splitlines()[0] == f"{site.root / 'nope.xml'}: cannot read: " \
                                         "No such file or directory"


def rendered_text(markdown: str) -> str:
    """The text CommonMark (raw HTML allowed, as for posts) shows for `markdown`."""
    html_out = MarkdownIt("commonmark", {"html": True}).render(markdown)
    return " ".join(lxml.html.fromstring(f"<div>{html_out}</div>").text_content().split())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="ab 1.#-+>=*_`<&;\\[]()!~|", min_size=1, max_size=12),
                min_size=1, max_size=4))
def test_text_converts_to_markdown_that_shows_the_same_text(lines: list[str]) -> None:
    text = "\n".join(lines)
    markdown = convert(html.escape(text, quote=False)).markdown
    assert rendered_text(markdown) == " ".join(text.split())
