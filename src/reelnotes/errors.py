"""One exception tree for every user-facing problem, and one way to show it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Diagnostic(NamedTuple):
    """One problem found in the user's input, pinned to a file and line where known."""

    message: str
    """What was expected and what was found, in one sentence."""
    path: str | None = None
    """The input file, relative to the site folder when it lies inside it."""
    line: int | None = None
    """1-based line in `path`."""
    hint: str | None = None
    """How to fix it, e.g. a "did you mean" suggestion."""
    severity: str = "error"
    """"error" stops the build; "warning" is reported and the build goes on."""

    def __str__(self) -> str:
        """Format as `path:line: message (hint)`, one line."""
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        prefix = "warning: " if self.severity == "warning" else ""
        text = f"{where}{prefix}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return " ".join(text.split("\n"))


class ReelnotesError(Exception):
    """A problem in the user's input or environment: reported without a traceback."""

    def __init__(self, diagnostics: Iterable[Diagnostic] | Diagnostic | str) -> None:
        if isinstance(diagnostics, str):
            diagnostics = Diagnostic(diagnostics)
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class ConfigError(ReelnotesError):
    """reelnotes.toml or a command-line setting is wrong."""


class ContentError(ReelnotesError):
    """A post, comment file or other content file is wrong."""


class TemplateError(ReelnotesError):
    """A template fails to parse or to render."""


class OutputError(ReelnotesError):
    """The output folder cannot be written safely."""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Return a "did you mean" hint for a misspelt key, or None."""
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f'did you mean "{close[0]}"?' if close else None
