"""The Nu Html Checker finds no error on any page: the example site, a film blog, 200 posts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import REPO, Result, Site
from film_site import make_film_site

VNU = REPO / ".tools/node_modules/vnu-jar/build/dist/vnu.jar"
# shared/ sits beside the repository (in CI and in a developer's /work).
CORPUS = REPO.parent / "shared/bench/make_corpus.py"


def corpus(dest: Path, posts: int) -> Path:
    """The shared benchmark corpus, each post given its file name as slug.

    The generator repeats a few titles, and two posts may not share a slug.
    """
    script = CORPUS if CORPUS.is_file() else Path("/work/shared/bench/make_corpus.py")
    assert script.is_file(), f"the corpus generator is missing: {CORPUS}"
    subprocess.run([sys.executable, str(script), str(posts), str(dest)], check=True,
                   capture_output=True)
    for path in sorted((dest / "content/posts").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("---\n", f"---\nslug: {path.stem}\n", 1), encoding="utf-8")
    return dest


def test_every_page_is_valid_html(tmp_path: Path, site: Site,
                                  cli: Callable[..., Result]) -> None:
    assert shutil.which("java"), "java is missing: run scripts/install-test-tools.sh"
    assert VNU.is_file(), "vnu.jar is missing: run scripts/install-test-tools.sh"
    outs = [tmp_path / "example", tmp_path / "films", tmp_path / "corpus-out"]
    assert cli("build", "--site", REPO, "--out", outs[0]).code == 0
    make_film_site(site, xss=True)
    assert cli("build", "--site", site.root, "--out", outs[1]).code == 0
    result = cli("build", "--site", corpus(tmp_path / "corpus", 200), "--out", outs[2])
    assert result.code == 0, result.err
    pages = sum(len(list(out.rglob("*.html"))) for out in outs)
    assert pages > 250
    run = subprocess.run(["java", "-Xss4m", "-jar", str(VNU), "--errors-only", "--format", "json",
                          "--also-check-css", "--skip-non-html", *map(str, outs)],
                         capture_output=True, text=True, timeout=300)
    report = json.loads(run.stderr or run.stdout)
    errors = [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['message']}"
              for m in report["messages"] if m["type"] in ("error", "non-document-error")]
    assert errors == []
    assert run.returncode == 0
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", report["version"])
