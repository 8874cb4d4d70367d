"""Benchmark the drafting loop: time from saving one post to the page being ready to reload.

    .venv/bin/python bench/bench_serve.py                 # 1,000 and 4,000 posts, 3 saves each
    .venv/bin/python bench/bench_serve.py --sizes 1000 --runs 5

For each size: a corpus from ../shared/bench/make_corpus.py (in bench/work/, reused), a cold
full build into an empty folder and a warm full build over it, then `serve --watch` in this
process with a real event-stream client. Each run appends a sentence to one post and times
(a) save -> the server's "reload" event (reload-ready) and (b) save -> the edited page fetched
over HTTP with the new text. Not a test: figures go to stdout as a Markdown table.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from reelnotes.build import build
from reelnotes.config import load_config
from reelnotes.content import load_content
from reelnotes.errors import ContentError
from reelnotes.serve import DevServer, ServeOptions

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "shared/bench/make_corpus.py"
if not CORPUS.is_file():
    CORPUS = Path("/work/shared/bench/make_corpus.py")


def corpus(n: int) -> Path:
    """bench/work/corpus-N, made once."""
    root = HERE / "work" / f"corpus-{n}"
    if not (root / "reelnotes.toml").is_file():
        subprocess.run([sys.executable, str(CORPUS), str(n), str(root)], check=True,
                       stdout=subprocess.DEVNULL)
    give_clashing_posts_a_slug(root)
    return root


def give_clashing_posts_a_slug(root: Path) -> int:
    """The corpus repeats some titles; give those posts their file name's slug. Return count."""
    fixed = 0
    for _ in range(5):
        try:
            load_content(load_config(root)[0])
            return fixed
        except ContentError as err:
            for d in err.diagnostics:
                if d.path and "is also used by" in d.message:
                    path = root / d.path
                    text = path.read_text(encoding="utf-8")
                    path.write_text(text.replace("---\n", f"---\nslug: {path.stem[11:]}\n", 1),
                                    encoding="utf-8")
                    fixed += 1
    raise SystemExit("corpus still has slug clashes")


class Events:
    """A real Server-Sent Events client that records when each state event arrives."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//")[1].split("/")[0].rsplit(":", 1)
        self.conn = socket.create_connection((host, int(port)))
        self.conn.sendall(b"GET /__reelnotes/events HTTP/1.1\r\nHost: x\r\n\r\n")
        self.stream = self.conn.makefile("rb")
        self.arrived: list[tuple[float, dict[str, object]]] = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.stream:
            if line.startswith(b"data: "):
                with self.cond:
                    self.arrived.append((time.perf_counter(), json.loads(line[6:])))
                    self.cond.notify_all()

    def wait_epoch(self, epoch: int, timeout: float = 120) -> float:
        """When the event announcing `epoch` arrived."""
        with self.cond:
            self.cond.wait_for(lambda: any(e["epoch"] == epoch for _, e in self.arrived), timeout)
            return next(t for t, e in self.arrived if e["epoch"] == epoch)


def fetch(url: str, path: str) -> bytes:
    """GET a page from the dev server."""
    host, port = url.split("//")[1].split("/")[0].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.request("GET", path)
    return conn.getresponse().read()


def measure(n: int, runs: int) -> dict[str, float]:
    """Full builds and save-to-reload-ready times for one corpus size, in seconds."""
    root = corpus(n)
    config = load_config(root)[0]
    out = HERE / "work" / f"out-{n}"
    shutil.rmtree(out, ignore_errors=True)
    cold = build(config, out=out).seconds
    warm = build(config, out=out).seconds
    server = DevServer(root, ServeOptions(port=0, watch=True))
    started = time.perf_counter()
    server.start()
    startup = time.perf_counter() - started
    events = Events(server.url)
    post = sorted((root / "content/posts").glob("*.md"))[n // 2]
    original = post.read_text(encoding="utf-8")
    slug = next(p for p in load_content(config).posts if p.src_path.endswith(post.name)).slug
    ready, fetched = [], []
    try:
        for run in range(1, runs + 1):
            epoch = server.state.snapshot.epoch
            time.sleep(0.5)
            marker = f"Edited in run {run} of the benchmark."
            saved = time.perf_counter()
            post.write_text(original + f"\n{marker}\n", encoding="utf-8")
            ready.append(events.wait_epoch(epoch + 1) - saved)
            assert marker.encode() in fetch(server.url, f"/posts/{slug}/")
            fetched.append(time.perf_counter() - saved)
        time.sleep(1)
        assert server.builds == runs + 1, f"{server.builds - 1} rebuilds for {runs} saves"
    finally:
        post.write_text(original, encoding="utf-8")
        server.stop()
    return {"posts": n, "cold": cold, "warm": warm, "startup": startup,
            "ready": statistics.median(ready), "fetched": statistics.median(fetched),
            "ready_max": max(ready)}


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rows = [measure(n, args.runs) for n in args.sizes]
    print("| posts | full build, cold | full build, warm | serve start | save → reload-ready "
          "(median, max) | save → new page fetched | reload-ready / cold build |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['posts']:,} | {r['cold']:.2f} s | {r['warm']:.2f} s | {r['startup']:.2f} s "
              f"| {r['ready']:.2f} s, {r['ready_max']:.2f} s | {r['fetched']:.2f} s "
              f"| {r['ready'] / r['cold']:.2f} |")


if __name__ == "__main__":
    main()
