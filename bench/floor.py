"""The Python floor: the least work any Python generator must do for a corpus of posts.

Reads each post file, parses its front matter with the C YAML loader, renders its Markdown
with markdown-it-py and the page with one Jinja template, and writes the HTML. Nothing else:
no tags, indexes, feeds, validation or caching. Run on one process or a pool:

    python bench/floor.py CORPUS OUT [--jobs 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
from pathlib import Path

import jinja2
import yaml
from markdown_it import MarkdownIt

TEMPLATE = jinja2.Environment(autoescape=True).from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · Corpus Reviews</title></head>
<body><main><article><h1>{{ title }}</h1><time datetime="{{ date }}">{{ date }}</time>
<div class="post-body">{{ body | safe }}</div></article></main></body></html>
""")
MD = MarkdownIt("commonmark", {"typographer": True}).enable(["replacements", "smartquotes"])
LOADER = yaml.CSafeLoader


def render_one(job: tuple[str, str]) -> None:
    """Read, parse, render and write one post."""
    src, out = job
    with open(src, encoding="utf-8") as f:
        text = f.read()
    _, front, body = text.split("---\n", 2)
    meta = yaml.load(front, Loader=LOADER)
    html = TEMPLATE.render(title=meta["title"], date=str(meta["date"]), body=MD.render(body))
    dest = os.path.join(out, "posts", Path(src).stem, "index.html")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "w", encoding="utf-8") as f:
        f.write(html)


def main() -> None:
    """Render every post of CORPUS into OUT."""
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("corpus", type=Path)
    args.add_argument("out", type=Path)
    args.add_argument("--jobs", type=int, default=1)
    opts = args.parse_args()
    jobs = [(str(p), str(opts.out)) for p in sorted((opts.corpus / "content/posts").glob("*.md"))]
    if opts.jobs <= 1:
        for job in jobs:
            render_one(job)
    else:
        with multiprocessing.get_context("fork").Pool(opts.jobs) as pool:
            pool.map(render_one, jobs, chunksize=32)


if __name__ == "__main__":
    main()
