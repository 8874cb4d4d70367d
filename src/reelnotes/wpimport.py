"""`reelnotes import wordpress`: read the export, plan, write content files, report."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import urls
from .config import SiteConfig
from .content import post_files
from .errors import Diagnostic
from .frontmatter import FrontMatterError, decode, split
from .wordpress import ExportError, Progress, read_export
from .wpplan import Plan, make_plan

RECORD = ".reelnotes-import.json"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What one import did and what is left for the user to do."""

    plan: Plan
    """What the export held and what it became."""
    written: tuple[str, ...]
    """Files created or replaced."""
    unchanged: tuple[str, ...]
    """Files that already held exactly what the import would write."""
    kept: tuple[str, ...]
    """Files edited since the last import (or not written by it), left alone."""

    def count(self, kind: str) -> int:
        """How many post files of a kind ("post", "draft", "scheduled") the export gave."""
        return sum(1 for k in self.plan.kinds.values() if k == kind)

    def lines(self) -> list[str]:
        """The report, one line each, for the terminal."""
        p = self.plan
        out = [(f"Imported {self.count('post')} posts, {self.count('draft')} drafts, "
                f"{self.count('scheduled')} scheduled, {p.comments} comments: "
                f"{len(self.written)} files written, {len(self.unchanged)} unchanged, "
                f"{len(self.kept)} kept")]
        for rel in self.kept:
            out.append(f"  kept (edited since the last import; --force replaces it): {rel}")
        if p.skipped:
            out.append(f"Skipped {len(p.skipped)}:")
            out += [f"  {what}: {why}" for what, why in p.skipped]
        if p.not_posts:
            out.append("Not posts, not imported: " + ", ".join(
                f"{n} {kind}{'s' * (n != 1)}" for kind, n in sorted(p.not_posts.items())))
        if p.images:
            out.append(f"Images to download ({len(p.images)}), still linked at their old "
                       "addresses:")
            out += [f"  {url}" for url in p.images]
        if p.shortcodes:
            out.append("Shortcodes left as text:")
            out += [f"  [{name}] in {', '.join(files)}" for name, files in
                    sorted(p.shortcodes.items())]
        if p.query_links:
            out.append("Old /?p=ID addresses (a static host cannot serve them as files; "
                       "add them to your host's redirect rules):")
            out += [f"  {old} -> {new}" for old, new in p.query_links]
        out += [f"Note: {note}" for note in p.notes]
        return out


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load_record(root: Path) -> dict[str, str]:
    path = root / RECORD
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        if not isinstance(files, dict):
            raise TypeError("files")
        return {str(k): str(v) for k, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ExportError(Diagnostic(f"cannot read the record of earlier imports ({err})",
                                      RECORD, hint="delete it and import again with --force")
                           ) from err


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_plan(plan: Plan, root: Path, force: bool,
               progress: Progress | None = None) -> ImportReport:
    """Write the planned files, leaving alone any the user edited since the last import."""
    record = _load_record(root)
    written, unchanged, kept = [], [], []
    for done, planned in enumerate(plan.files, 1):
        if progress is not None:
            progress("writing", done, len(plan.files))
        path = root / planned.rel
        data = planned.text.encode("utf-8")
        if path.exists():
            current = _digest(path.read_bytes())
            if current == _digest(data):
                unchanged.append(planned.rel)
                record[planned.rel] = current
                continue
            if record.get(planned.rel) != current and not force:
                kept.append(planned.rel)
                continue
        _write_atomic(path, data)
        record[planned.rel] = _digest(data)
        written.append(planned.rel)
    payload = {"comment": "Written by `reelnotes import wordpress`: the hash of each file it "
                          "wrote, so a re-run leaves files you edited alone.",
               "files": dict(sorted(record.items()))}
    _write_atomic(root / RECORD, (json.dumps(payload, indent=1) + "\n").encode("utf-8"))
    return ImportReport(plan, tuple(written), tuple(unchanged), tuple(kept))


def existing_slugs(config: SiteConfig) -> dict[str, str]:
    """The slug of every post already in content/posts, and its file."""
    slugs: dict[str, str] = {}
    for path in post_files(config):
        rel = path.relative_to(config.root).as_posix()
        try:
            data = split(decode(path.read_bytes())).data
        except (OSError, FrontMatterError):
            continue  # the build reports it; it cannot clash with an import
        slug, title = data.get("slug"), data.get("title")
        if isinstance(slug, str) and slug.strip():
            slugs[slug.strip()] = rel
        elif isinstance(title, str) and title.strip():
            slugs[urls.slugify(title.strip(), fallback_seed=rel)] = rel
    return slugs


def import_wordpress(export: Path, config: SiteConfig, *, force: bool = False,
                     progress: Progress | None = None) -> ImportReport:
    """Import a WordPress export into the site's content/ folder."""
    channel, items = read_export(export, progress)
    plan = make_plan(channel, items, config.tz, progress, existing_slugs(config))
    plan.query_links = [(old, config.base_path + new.lstrip("/")) for old, new in plan.query_links]
    return write_plan(plan, config.root, force, progress)
