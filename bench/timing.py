"""Timing helpers for the benchmark: measure a command, generate a corpus."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work"

WRAPPER = """\
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "seconds": seconds, "rss_kb": usage.ru_maxrss,
                  "cpu": usage.ru_utime + usage.ru_stime}))
"""


@dataclass
class Figure:
    """Several timings of one measurement."""

    name: str
    """What was measured."""
    seconds: list[float] = field(default_factory=list)
    """Wall time of each run."""
    rss_kb: list[int] = field(default_factory=list)
    """Peak resident set of each run, in KiB."""
    cpu: list[float] = field(default_factory=list)
    """CPU seconds (user + system, all processes) of each run."""

    @property
    def median(self) -> float:
        """Median wall time."""
        return statistics.median(self.seconds)

    def cell(self, places: int = 2) -> str:
        """Median (min–max) as table text."""
        low, high = min(self.seconds), max(self.seconds)
        return f"{self.median:.{places}f} ({low:.{places}f}–{high:.{places}f})"

    def cpu_cell(self) -> str:
        """Median CPU seconds as table text."""
        return f"{statistics.median(self.cpu):.1f}"

    def rss_mb(self) -> float:
        """Largest peak RSS over the runs, in MB."""
        return max(self.rss_kb) / 1024


def measure(cmd: list[str], cwd: Path, figure: Figure) -> None:
    """Run `cmd` once in a wrapper process and add its time and peak memory to `figure`."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, str(cwd), *cmd],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    if result["code"] != 0:
        rerun = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{rerun.stderr[-2000:]}")
    figure.seconds.append(result["seconds"])
    figure.rss_kb.append(result["rss_kb"])
    figure.cpu.append(result["cpu"])


def corpus_tool(given: str | None) -> Path:
    """The shared corpus generator: --corpus-tool, else ../shared beside the repository."""
    for candidate in ([Path(given)] if given else []) + [
            REPO.parent / "shared/bench/make_corpus.py",
            REPO.parent.parent / "shared/bench/make_corpus.py"]:
        if candidate.is_file():
            return candidate
    raise SystemExit("make_corpus.py not found: pass --corpus-tool PATH")


def corpus(tool: Path, n: int, flavor: str = "reelnotes") -> Path:
    """Generate (once) the corpus of `n` posts for `flavor` under bench/work/; builds run on
    fresh copies of it (`fresh`)."""
    folder = WORK / f"{flavor}-{n}"
    stamp = folder / ".complete"
    if stamp.is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, str(tool), str(n), str(folder), "--flavor", flavor],
                   check=True, stdout=subprocess.DEVNULL)
    if flavor == "reelnotes":
        add_slugs(folder)
    stamp.write_text("")
    return folder


RUNS = WORK / "run"
"""Where the copies of the corpora that builds run on are made, for one run of the harness."""
_copies = itertools.count(1)


def fresh(site: Path) -> Path:
    """A new copy of a corpus (its sources only), for one cold build.

    The copies are kept until the harness ends: nothing is deleted while it times. This
    machine's ext4 has no journal, and without one ext4 will not reuse an inode freed in the
    last minute (five, while its table is unwritten): each new file or folder costs a scan
    past every such inode in its group. Builds that run after thousands of files were
    deleted create theirs up to ten times slower, for every program alike (perf shows the
    time in recently_deleted). A cold build on a fresh copy, with no deletion before it,
    gives every run, and every generator, the same footing. Nor does a build inherit the
    write-back of files written before it (its copy's, the last build's): all are flushed."""
    copy = RUNS / f"{site.name}-{next(_copies)}"
    shutil.copytree(site, copy, symlinks=True, ignore=shutil.ignore_patterns(
        "build", ".reelnotes-cache", "floor-out",  # reelnotes and the floor
        "public", "resources", "_site", "node_modules",  # Hugo, Eleventy
        "output", "__pycache__", "cache"))  # Pelican
    os.sync()  # the copy's writes, and the last build's, reach the disk before the timing
    return copy


def add_slugs(folder: Path) -> None:
    """Give each post the slug its file name (and the peers' copies) carry.

    The corpus's reelnotes flavor leaves slugs to be derived from titles, and some titles
    repeat, which reelnotes rejects as two posts claiming one address. The peers' flavors
    carry `slug:` from the file name; this gives reelnotes the same addresses.
    """
    for path in (folder / "content/posts").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("\n", f"\nslug: {path.stem[11:]}\n", 1), encoding="utf-8")
