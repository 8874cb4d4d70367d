"""The wheel ships the built-in theme, so `pip install .` then `reelnotes build` works anywhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO


def test_wheel_carries_the_theme(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(REPO)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("reelnotes-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    theme = {p.relative_to(REPO).as_posix() for d in ("templates", "static")
             for p in (REPO / d).rglob("*") if p.is_file()}
    assert theme
    assert {f"reelnotes/theme/{name}" for name in theme} <= names
    assert "reelnotes/py.typed" in names
    assert not any(n.startswith(("reelnotes/theme/build", "content/")) for n in names)


def test_installed_wheel_builds_a_site_without_templates(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(REPO)], check=True,
                   capture_output=True)
    wheel = next((tmp_path / "dist").glob("reelnotes-*.whl"))
    target = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(target)
    site = tmp_path / "site"
    (site / "content/posts").mkdir(parents=True)
    (site / "content/posts/p.md").write_text("---\ntitle: Hello\ndate: 2013-01-01\n---\nHi.\n")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import reelnotes.theme as t; "
            "from reelnotes.cli import main; print(t.theme_dir()); sys.exit(main(['build']))")
    run = subprocess.run([sys.executable, "-c", code, str(target)], cwd=site,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == str(target / "reelnotes" / "theme")
    assert (site / "build/posts/hello/index.html").is_file()
    assert (site / "build/css/style.css").is_file()
