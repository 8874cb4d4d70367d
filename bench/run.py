"""The build-speed benchmark: reelnotes against the Python floor (and, with --peers, Hugo,
Pelican and Eleventy) on the shared synthetic corpus, all timed in one run on one machine.

    python bench/run.py                  # what `make bench` runs
    python bench/run.py --peers          # `make bench PEERS=1`: also the other generators
    python bench/run.py --sizes 1000 --runs 2 --no-write   # a quick look

Every figure is the median wall time of several runs, with min–max, measured around a fresh
process; peak memory is the largest resident set of any one process of the build (the
reelnotes process or one of its workers), from getrusage(RUSAGE_CHILDREN) in a wrapper process.
Results go to bench/RESULTS.md between the bench markers; other sections are left alone.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import peers  # bench/peers.py and bench/timing.py: the script's folder is on sys.path
from timing import BENCH, REPO, RUNS, Figure, corpus, corpus_tool, fresh, measure

from reelnotes.markdown import ENGINE

RESULTS = BENCH / "RESULTS.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def reelnotes(site: Path, *extra: str) -> list[str]:
    """The command that builds `site`: the `reelnotes` command installed beside this Python,
    as a user runs it (not `python -m reelnotes`, whose runpy start-up costs ~4 ms)."""
    command = Path(sys.executable).with_name("reelnotes")
    if not command.is_file():
        raise SystemExit(f"no reelnotes command beside {sys.executable}: run `make bench`")
    return [str(command), "build", "--site", str(site), "--quiet", *extra]


def bench_cold(site: Path, runs: int, figure: Figure) -> Path:
    """Cold builds (no output, no cache), each on a fresh copy of the corpus; return the
    last copy, built."""
    for _ in range(runs):
        copy = fresh(site)
        measure(reelnotes(copy), copy, figure)
    return copy


def bench_engines(site: Path, runs: int, built: Path) -> tuple[Figure, int]:
    """Cold builds with markdown-it-py alone (REELNOTES_MARKDOWN=python), for the cost of going
    without the `fast` extra; and a byte-for-byte comparison of that site with `built`, a copy
    the default engine built: how many files, all identical."""
    figure = Figure("cold, markdown-it-py only")
    os.environ["REELNOTES_MARKDOWN"] = "python"
    try:
        slow = bench_cold(site, runs, figure)
    finally:
        del os.environ["REELNOTES_MARKDOWN"]
    ours, theirs = built / "build", slow / "build"
    files = [p.relative_to(ours) for p in sorted(ours.rglob("*")) if p.is_file()]
    others = sorted(p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file())
    differ = [str(f) for f in files if not filecmp.cmp(ours / f, theirs / f, shallow=False)]
    if files != others or differ:
        raise SystemExit(f"markdown-it-pyrs and markdown-it-py built different sites: "
                         f"{(differ or ['the file lists'])[:5]}")
    return figure, len(files)


def bench_warm(site: Path, runs: int) -> list[Figure]:
    """No-change, one-post-edited and one-template-edited rebuilds of a built site. A post is
    edited twice over: an older one, which no feed carries, and the newest, which the feeds
    carry whole (a rebuild of either is a patch; the second's swaps the whole tree in)."""
    nothing, one_post, newest, template = (
        Figure("no-change rebuild"), Figure("one post edited (an older post, in no feed)"),
        Figure("newest post edited (in the feeds)"), Figure("one template edited"))
    site = fresh(site)
    subprocess.run(reelnotes(site), check=True)
    os.sync()  # the first build's writes, flushed before the rebuilds are timed
    posts = sorted((site / "content/posts").glob("*.md"))  # (named by date: oldest first)
    post, last = posts[7], posts[-1]
    original, last_original = post.read_text(encoding="utf-8"), last.read_text(encoding="utf-8")
    templates = site / "templates"
    base = (REPO / "templates/base.html").read_text(encoding="utf-8")
    try:
        for i in range(2 * runs + 1):  # a tenth of a second each: more runs, a steadier median
            measure(reelnotes(site), site, nothing)
            post.write_text(original + f"\nEdited for run {i}.\n", encoding="utf-8")
            measure(reelnotes(site), site, one_post)
        for i in range(runs):
            last.write_text(last_original + f"\nEdited for run {i}.\n", encoding="utf-8")
            measure(reelnotes(site), site, newest)
        templates.mkdir(exist_ok=True)
        for i in range(runs):
            (templates / "base.html").write_text(base.replace("</body>", f"<!-- {i} --></body>"),
                                                 encoding="utf-8")
            measure(reelnotes(site), site, template)
    finally:
        post.write_text(original, encoding="utf-8")
        last.write_text(last_original, encoding="utf-8")
        shutil.rmtree(templates, ignore_errors=True)
    return [nothing, one_post, newest, template]


def bench_floor(site: Path, jobs: int, figure: Figure) -> None:
    """One run of the Python floor on a fresh copy of the corpus."""
    copy = fresh(site)
    measure([sys.executable, str(BENCH / "floor.py"), str(copy), str(copy / "floor-out"),
             "--jobs", str(jobs)], copy, figure)


def machine() -> str:
    """What the figures were measured on."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    except OSError:
        mem = 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{cpu}, {cores} cores, {mem} GB RAM; {platform.platform()}; "
            f"Python {platform.python_version()}")


def ratio(a: Figure | None, b: Figure | None) -> str:
    """a's median over b's, as table text."""
    return f"{a.median / b.median:.2f}" if a and b else "–"


def percent(a: Figure, b: Figure) -> str:
    """a's median as a share of b's, as table text (the rebuild targets are percentages)."""
    return f"{100 * a.median / b.median:.1f} %"


def report(sizes: list[int], cold: dict[int, Figure], floors: dict[int, list[Figure]],
           warm: list[Figure], mid: int, others: dict[str, Figure], versions: dict[str, str],
           took: float, engines: tuple[Figure, int], paired: list[Figure]) -> str:
    """The results section, as Markdown."""
    made = "make bench PEERS=1" if others else "make bench"
    lines = [START, "## Build speed", "",
             (f"Measured by `{made}` on {time.strftime('%Y-%m-%d')} in {took / 60:.1f} minutes. "
              f"Machine: {machine()}. Wall seconds: median of several runs (min–max), each a "
              "fresh process; CPU seconds: user + system of all its processes; peak RSS: the "
              "largest single process."), "",
             ("| posts | reelnotes cold | CPU s | peak RSS | floor, 1 process | floor, 2 "
              "processes | floor CPU s | cold ÷ 2-process floor |"),
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        f1, f2 = floors[n]
        lines.append(f"| {n:,} | {cold[n].cell()} | {cold[n].cpu_cell()} | "
                     f"{cold[n].rss_mb():.0f} MB | {f1.cell()} | {f2.cell()} | {f2.cpu_cell()} "
                     f"| {ratio(cold[n], f2)} |")
    lines += ["", f"Rebuilds of the {mid:,}-post site (cache and build/ in place):", "",
              "| rebuild | seconds | CPU s | share of the cold build | peak RSS |",
              "|---|---:|---:|---:|---:|"]
    lines += [f"| {f.name} | {f.cell(3)} | {f.cpu_cell()} | {percent(f, cold[mid])} "
              f"| {f.rss_mb():.0f} MB |" for f in warm]
    slow, same = engines
    lines += ["", (f"Markdown: posts are rendered by {ENGINE} (the `fast` extra). Without it, "
                   f"markdown-it-py alone builds the {mid:,}-post site cold in {slow.cell()} s "
                   f"({ratio(slow, cold[mid])} × the time), and the two builds were compared "
                   f"byte for byte: all {same:,} files identical.")]
    big = max(sizes)
    if big != mid:
        lines += ["", (f"Scaling: {big:,} posts cost {ratio(cold[big], cold[mid])} × "
                       f"{mid:,} posts ({big // mid} × the posts).")]
    if others:
        lines += peers_table(paired[0], paired[1], others, mid, versions)
    return "\n".join([*lines, END]) + "\n"


def peers_table(ours: Figure, nothing: Figure, others: dict[str, Figure], n: int,
                versions: dict[str, str]) -> list[str]:
    """The comparison with the other generators, as Markdown lines."""
    lines = ["", (f"Other generators on the same {n:,}-post corpus in the same run, with the "
                  "minimal templates the corpus tool writes for them. Each round builds with "
                  "reelnotes, then with each of them, so each ratio compares runs made within a "
                  "minute or so of each other:"), "",
             "| generator | seconds | CPU s | peak RSS | reelnotes faster by |",
             "|---|---:|---:|---:|---:|",
             f"| reelnotes cold | {ours.cell()} | {ours.cpu_cell()} | {ours.rss_mb():.0f} MB | – |",
             (f"| reelnotes no-change rebuild | {nothing.cell()} | {nothing.cpu_cell()} | "
              f"{nothing.rss_mb():.0f} MB | – |")]
    for name, fig in others.items():
        mine = nothing if "no-change" in name else ours
        lines.append(f"| {fig.name} | {fig.cell()} | {fig.cpu_cell()} | {fig.rss_mb():.0f} MB "
                     f"| {ratio(fig, mine)} × |")
    return [*lines, "", "Versions: " + "; ".join(f"{k} {v}" for k, v in versions.items()) + "."]


def write_results(section: str) -> None:
    """Replace the bench section of RESULTS.md, keeping every other section."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.is_file() else "# Benchmarks\n\n"
    if START in text and END in text:
        text = text[:text.index(START)] + section + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    """Run the benchmark and print (and by default record) its figures."""
    cli = argparse.ArgumentParser(description="Time reelnotes builds against the floor and peers.")
    cli.add_argument("--sizes", default="1000,4000,16000", help="posts per corpus")
    cli.add_argument("--runs", type=int, default=3, help="runs per measurement")
    cli.add_argument("--peers", action="store_true", help="also time Hugo, Pelican, Eleventy")
    cli.add_argument("--corpus-tool", help="path to make_corpus.py (default ../shared/bench/)")
    cli.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    opts = cli.parse_args()
    started = time.perf_counter()
    # Timed as installed, with Python's bytecode cache: a shell that sets this would have
    # every run compile reelnotes' (editable) modules again, which no user's install does.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    tool = corpus_tool(opts.corpus_tool)
    sizes = sorted(int(s) for s in opts.sizes.split(","))
    mid = 4000 if 4000 in sizes else sizes[0]

    def log(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {text}", flush=True)

    # Round-robin: each round builds every size cold, each beside its floor, so that a ratio
    # compares runs made minutes apart at most (this disk's speed drifts over a run).
    shutil.rmtree(RUNS, ignore_errors=True)
    sites = {n: corpus(tool, n) for n in sizes}
    built: dict[int, Path] = {}
    cold = {n: Figure(f"cold {n}") for n in sizes}
    floors = {n: [Figure("Python floor, 1 process"), Figure("Python floor, 2 processes")]
              for n in sizes}
    for round_ in range(opts.runs):
        for n in sizes:
            if n > 4000 and round_ == max(2, opts.runs - 1):
                continue  # the largest corpus takes long: one run fewer
            built[n] = bench_cold(sites[n], 1, cold[n])
            bench_floor(sites[n], 1, floors[n][0])
            bench_floor(sites[n], 2, floors[n][1])
    for n in sizes:
        log(f"reelnotes {n}: cold {cold[n].cell()} s; floor {floors[n][0].cell()} / "
            f"{floors[n][1].cell()} s")
    engines = bench_engines(sites[mid], opts.runs, built[mid])
    log(f"markdown-it-py only: cold {engines[0].cell()} s; {engines[1]} files identical")
    others: dict[str, Figure] = {}
    versions: dict[str, str] = {}
    paired = [Figure(f"cold {mid}"), Figure("no-change rebuild")]
    if opts.peers:
        peers.install()
        versions = peers.versions()

        def ours() -> None:
            """Our cold build and no-change rebuild, in the same round as the peers'."""
            copy = bench_cold(sites[mid], 1, paired[0])
            measure(reelnotes(copy), copy, paired[1])

        others = peers.bench(tool, mid, opts.runs, log, ours)
    # Rebuilds last: they replace thousands of files, and on a file system without a journal
    # (see timing.fresh) every file created in the next minutes costs more, whoever creates it
    warm = bench_warm(sites[mid], opts.runs + 2)
    log("rebuilds: " + "; ".join(f"{f.name} {f.cell(3)} s" for f in warm))
    section = report(sizes, cold, floors, warm, mid, others, versions,
                     time.perf_counter() - started, engines, paired)
    print(section)
    shutil.rmtree(RUNS, ignore_errors=True)
    if not opts.no_write:
        write_results(section)
        log(f"wrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
