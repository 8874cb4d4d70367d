"""Run Lighthouse on the example site's index and post pages; fail below 95 in any category.

Builds the example site into a temporary folder, serves it on 127.0.0.1, runs npm's
`lighthouse` (installed into .tools/) with Debian's Chromium, prints the four scores of each
page and writes them to docs/audit-scores.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from serve_static import serving  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LIGHTHOUSE = REPO / ".tools/node_modules/.bin/lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PAGES = {
    "index": "",
    "post": "posts/a-heart-devoid-of-love-thoughts-on-documentary-last-train-home/",
}
MINIMUM = 95


def audit(url: str, report: Path, env: dict[str, str]) -> dict[str, int]:
    """Lighthouse scores (0-100) of one page, with mobile emulation and throttling (defaults)."""
    subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
         f"--only-categories={','.join(CATEGORIES)}",
         "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"],
        check=True, env=env, timeout=300)
    data = json.loads(report.read_text(encoding="utf-8"))
    failed = [a["id"] for a in data["audits"].values()
              if a.get("score") is not None and a["score"] < 1
              and a.get("scoreDisplayMode") == "binary"]
    if failed:
        print(f"  audits not passed on {url}: {', '.join(sorted(failed))}")
    return {c: round(data["categories"][c]["score"] * 100) for c in CATEGORIES}


def main() -> int:
    """Build, serve and audit the example site; exit 1 if a score is under 95."""
    if not LIGHTHOUSE.exists():
        sys.exit("audit: lighthouse missing; run `make audit` (it installs it into .tools/)")
    chrome = os.environ.get("CHROME_PATH") or shutil.which("chromium") or ""
    env = dict(os.environ, CHROME_PATH=chrome, SOURCE_DATE_EPOCH="1767225600")
    scores: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        subprocess.run([sys.executable, "-m", "reelnotes", "build", "--site", str(REPO),
                        "--out", str(site)], check=True, env=env)
        with serving(site) as root:
            for name, path in PAGES.items():
                scores[name] = audit(root + path, Path(tmp) / f"{name}.json", env)
                print(f"{name:6} " + "  ".join(f"{c} {s}" for c, s in scores[name].items()))
    (REPO / "docs").mkdir(exist_ok=True)
    (REPO / "docs/audit-scores.json").write_text(json.dumps(scores, indent=2) + "\n")
    low = [(p, c, s) for p, cats in scores.items() for c, s in cats.items() if s < MINIMUM]
    for page, category, score in low:
        print(f"audit: {page} scores {score} in {category}, below {MINIMUM}", file=sys.stderr)
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
