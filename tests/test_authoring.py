"""The authoring commands through the CLI: init, new and check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from conftest import Result, Site, post_text

from reelnotes.theme import theme_templates


def front_matter(path: Path) -> dict[str, object]:
    """The YAML between a post's --- lines, parsed."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    data = yaml.load(text.split("---\n")[1], Loader=yaml.BaseLoader)  # dates stay text
    assert isinstance(data, dict)
    return data


def test_init_makes_a_site_that_builds(tmp_path: Path, cli: Callable[..., Result]) -> None:
    folder = tmp_path / "blog"
    result = cli("init", folder)
    assert result.code == 0, result.err
    assert result.out.splitlines()[-2:] == [f"  cd {folder}", "  reelnotes serve --watch --drafts"]
    assert not (folder / "templates").exists()
    [sample] = (folder / "content/posts").glob("*.md")
    assert sample.name == "2026-01-01-the-general.md"  # dated by the (fixed) clock
    built = cli("build", "--site", folder)
    assert built.code == 0 and built.err == "", built.err
    assert built.out.startswith("Built 1 post, 2 tags:")
    assert (folder / "build/posts/a-first-review-the-general/index.html").is_file()
    assert cli("check", "--site", folder).code == 0


def test_init_with_templates_copies_the_theme(tmp_path: Path, cli: Callable[..., Result]) -> None:
    folder = tmp_path / "blog"
    assert cli("init", folder, "--with-templates").code == 0
    copied = sorted(p.name for p in (folder / "templates").iterdir())
    assert copied == sorted(p.name for p in theme_templates().iterdir())
    (folder / "templates/404.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Lost reel</h1>{% endblock %}')
    assert cli("build", "--site", folder).code == 0
    assert "Lost reel" in (folder / "build/404.html").read_text(encoding="utf-8")


def test_init_refuses_a_folder_with_files(site: Site, cli: Callable[..., Result]) -> None:
    result = cli("init", site.root)
    assert result.code == 1
    assert result.err.splitlines()[0] == (f"{site.root} already exists and is not empty "
                                          f"(pick a new folder name)")
    assert sorted(p.name for p in site.root.iterdir()) == ["reelnotes.toml"]


def test_new_writes_a_complete_draft(site: Site, cli: Callable[..., Result]) -> None:
    title = "Heat: the city's 'long' night #1"
    result = cli("new", title, "--film", "Heat", "--year", "1995", "--tags", "crime, LA,,crime",
                 "--site", site.root)
    assert result.code == 0, result.err
    path = Path(result.out.strip())
    assert path == site.root / "content/posts/2026-01-01-heat-the-city-s-long-night-1.md"
    assert front_matter(path) == {"title": title, "date": "2026-01-01T00:00+00:00",
                                  "film": {"title": "Heat", "year": "1995"},
                                  "tags": ["crime", "LA"], "draft": "true"}
    assert cli("build", "--site", site.root).out.startswith("Built 0 posts")
    assert cli("build", "--site", site.root, "--drafts").code == 0
    doc = site.html("posts/heat-the-city-s-long-night-1/index.html")
    assert doc.xpath("//h1")[0].text_content() == title
    assert "1995" in doc.xpath("//aside[@class='film-card']")[0].text_content()


def test_new_refuses_to_overwrite(site: Site, cli: Callable[..., Result]) -> None:
    path = Path(cli("new", "Heat", "--site", site.root).out.strip())
    path.write_text(post_text("Heat", body="My precious words."), encoding="utf-8")
    again = cli("new", "Heat", "--site", site.root)
    assert again.code == 1
    assert again.err.splitlines()[0] == ("content/posts/2026-01-01-heat.md already exists: "
                                         "not overwriting it (choose another title)")
    assert "My precious words." in path.read_text(encoding="utf-8")


def test_new_rejects_a_year_without_a_film(site: Site, cli: Callable[..., Result]) -> None:
    result = cli("new", "Heat", "--year", "1995", "--site", site.root)
    assert result.code == 1 and result.err.startswith("--year needs --film")
    assert not (site.root / "content").exists()


def test_check_passes_a_good_site_and_writes_nothing(built_site: Site,
                                                     cli: Callable[..., Result]) -> None:
    before = built_site.snapshot()
    cache = built_site.root / ".reelnotes-cache"
    cache_files = sorted(cache.rglob("*"))
    result = cli("check", "--site", built_site.root)
    assert result.code == 0, result.err
    assert result.out.startswith("Checked 3 posts, ")
    assert built_site.snapshot() == before and sorted(cache.rglob("*")) == cache_files


def test_check_reports_every_problem_with_file_and_line(site: Site,
                                                       cli: Callable[..., Result]) -> None:
    site.post("good", post_text("Good", body="See [this](/posts/missing-post/) and "
                                             "[that](/posts/good/).", tags="[noir]"))
    site.post("bad", "---\ntitle: Bad\ndate: 2013-02-30\n---\nx\n")
    site.write("content/comments/good.yml", "- author: Ann\n  date: soon\n  body: Hi\n")
    site.write("templates/films.html", "{% extends 'base.html' %}\n{% block main %}{% if %}\n"
                                       "{% endblock %}\n")
    site.write("templates/tag.html", "{% extends 'base.html' %}\n{% block main %}\n"
                                     "<a href=\"{{ url('nowhere/') }}\">x</a>{% endblock %}\n")
    result = cli("check", "--site", site.root)
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[-1] == "Checked 1 post, 6 pages, 72 internal links: 5 errors, 0 warnings"
    expected = [
        'content/posts/bad.md:3: date: "2013-02-30" is not a real date',
        "content/comments/good.yml:2: date: expected YYYY-MM-DD",
        "templates/films.html:2: template syntax error:",
        'content/posts/good.md:6: broken link "/posts/missing-post/": nothing is published',
        'broken link "/nowhere/" on 1 page (/tags/noir/) (it comes from a template)',
    ]
    for start in expected:
        assert sum(line.startswith(start) for line in lines) == 1, (start, lines)
    assert not (site.root / "build").exists()
