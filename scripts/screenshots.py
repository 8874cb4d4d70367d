"""Take the README's screenshots: index, post, films index; desktop and 390 px; light and dark.

Builds the example site into a temporary folder, serves it on 127.0.0.1 and runs Debian's
headless Chromium once per picture. Writes docs/screenshots/*.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from serve_static import serving  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
PAGES = {
    "index": "",
    "post": "posts/a-heart-devoid-of-love-thoughts-on-documentary-last-train-home/",
    "films": "films/",
}
SIZES = {"desktop": (1280, 960), "phone": (390, 844)}
SCHEMES = {"light": "light", "dark": "dark"}


def chromium() -> str:
    """Debian's Chromium, or CHROME_PATH."""
    path = os.environ.get("CHROME_PATH") or shutil.which("chromium")
    if not path:
        sys.exit("screenshots: chromium not found; run scripts/install-test-tools.sh")
    return path


def shoot(browser: str, url: str, dest: Path, size: tuple[int, int], scheme: str,
          profile: Path) -> None:
    """One headless Chromium screenshot of `url` at `size` in `scheme`."""
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}", "--force-device-scale-factor=1",
            f"--blink-settings=preferredColorScheme={0 if scheme == 'dark' else 1}",
            f"--screenshot={dest}", url]
    if scheme == "dark":
        args.insert(1, "--force-dark-mode")
    subprocess.run(args, check=True, capture_output=True, timeout=120)


def main() -> int:
    """Build, serve and photograph the example site."""
    browser = chromium()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")
        subprocess.run([sys.executable, "-m", "reelnotes", "build", "--site", str(REPO),
                        "--out", str(site)], check=True, env=env)
        with serving(site) as root:
            for page, path in PAGES.items():
                for size_name, size in SIZES.items():
                    for scheme in SCHEMES:
                        dest = OUT / f"{page}-{size_name}-{scheme}.png"
                        shoot(browser, root + path, dest, size, scheme, Path(tmp) / "profile")
                        print(f"{dest.relative_to(REPO)}  {dest.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
