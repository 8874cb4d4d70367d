"""Render pages to HTML through Jinja: autoescaped, strict, returning strings."""

from __future__ import annotations

import json
from collections.abc import Callable, MutableMapping
from datetime import date, datetime
from pathlib import Path
from types import BuiltinFunctionType, CodeType, FunctionType, MethodType
from typing import Any
from urllib.parse import quote

import jinja2
import jinja2.runtime
from jinja2.utils import internalcode
from markupsafe import Markup, escape

try:  # markupsafe 3: escape() is Python code around this
    from markupsafe._speedups import _escape_inner as _escape_text
except ImportError:  # (markupsafe 2, or no C speedups)
    def _escape_text(text: str, /) -> str:
        return str(escape(text))

from . import urls
from .config import SiteConfig
from .errors import Diagnostic, TemplateError
from .images import poster
from .site import Page, Site
from .structured import head_meta
from .theme import theme_templates

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def human_date(value: date | datetime) -> str:
    """"9 April 2013", the same whatever the machine's locale."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def iso_date(value: date | datetime) -> str:
    """ISO 8601, for <time datetime> and structured data."""
    return value.isoformat()


def json_ld(data: Any) -> Markup:
    """Serialise structured data so that no text can close the <script> it sits in."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for raw, safe in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                      ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, safe)
    return Markup(text)


def rating_text(rating: float) -> str:
    """"4.5 out of 5", "4 out of 5": the rating in words for screen readers."""
    return f"{rating:g} out of 5"


def stars(rating: float) -> list[str]:
    """Five star states, "full", "half" or "empty", for drawing a rating."""
    return ["full" if rating >= n else "half" if rating >= n - 0.5 else "empty"
            for n in range(1, 6)]


def mailto(address: str, subject: str) -> str:
    """A mailto: link with the subject filled in."""
    return f"mailto:{quote(address, safe='@')}?subject={quote(subject, safe='')}"


def escape_output(value: Any) -> str:
    """The text markupsafe.escape makes of a value a template prints, as a plain str.

    Jinja only joins these pieces into the page (or a macro's Markup), so they need not be
    Markup strings; making each one (Python code in markupsafe 3) took a fifth of the time
    pages took to render."""
    if type(value) is str:
        return _escape_text(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return _escape_text(str(value))


class _Template(jinja2.Template):
    """A template whose printed values are escaped by escape_output."""

    @classmethod
    def from_code(cls, environment: jinja2.Environment, code: CodeType,
                  globals: MutableMapping[str, Any],
                  uptodate: Callable[[], bool] | None = None) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        # Every function of the compiled template reads `escape` from the module's namespace,
        # and autoescaped code calls it on nothing but what it prints
        template.root_render_func.__globals__["escape"] = escape_output
        return template


_PLAIN_CALLABLES = frozenset({FunctionType, BuiltinFunctionType, MethodType,
                              jinja2.runtime.Macro})
"""Callables whose __call__ never asks for the context (what Context.call checks first)."""


class _Context(jinja2.runtime.Context):
    """A template context that calls functions and macros which ask for none of its arguments
    (pass_context and its kind) straight away: every call a template makes goes through
    `call`, and Jinja's checks took a tenth of the time pages took to render."""

    @internalcode
    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if type(__obj) not in _PLAIN_CALLABLES or hasattr(__obj, "jinja_pass_arg"):
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception")


def template_dirs(config: SiteConfig) -> list[Path]:
    """The site's templates/ first, then the built-in theme's."""
    dirs = [config.templates_dir] if config.templates_dir.is_dir() else []
    theme = theme_templates()
    if not dirs or dirs[0].resolve() != theme.resolve():
        dirs.append(theme)
    return dirs


class _Loader(jinja2.FileSystemLoader):
    """A file loader that names the file of every template problem (not UTF-8, bad syntax)."""

    def load(self, environment: jinja2.Environment, name: str,
             globals: MutableMapping[str, Any] | None = None) -> jinja2.Template:
        try:
            return super().load(environment, name, globals)
        except jinja2.TemplateSyntaxError as err:
            if err.filename is None:  # Jinja's lexer leaves some errors without a file
                err.name, err.filename = name, self.get_source(environment, name)[1]
            raise

    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as err:
            for folder in self.searchpath:
                path = Path(folder) / template
                if path.is_file():
                    raw = path.read_bytes()
                    line = raw.count(b"\n", 0, err.start) + 1
                    raise jinja2.TemplateSyntaxError(
                        f"expected UTF-8 text, found byte 0x{raw[err.start]:02x}",
                        line, template, str(path)) from err
            raise


def make_environment(config: SiteConfig, cache_dir: Path | None = None) -> jinja2.Environment:
    """A Jinja environment for one site: site templates override the theme file by file."""
    env = jinja2.Environment(
        loader=_Loader([str(d) for d in template_dirs(config)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one environment serves one build: no stat per page for each
        # template it uses, and every page of a build from the same templates
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(cache_dir)) if cache_dir else None,
    )
    env.template_class = _Template
    env.context_class = _Context
    base_path = config.base_path
    env.globals.update(
        site=config,
        url=lambda u: base_path + u,
        abs_url=lambda u: config.base_url + u,
        urls=urls,
        head=lambda page: head_meta(page, config),
        poster=lambda film: poster(film, config),
    )
    env.filters.update(human_date=human_date, iso_date=iso_date, json_ld=json_ld,
                       month_name=lambda m: MONTHS[m - 1], rating_text=rating_text,
                       stars=stars, mailto=mailto)
    return env


def _where(err: BaseException, config: SiteConfig) -> tuple[str | None, int | None]:
    """The template file and line an error came from, relative to the site when possible."""
    filename = getattr(err, "filename", None)
    line = getattr(err, "lineno", None)
    if filename is None:
        tb = err.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if code.co_filename.endswith(".html") or "templates" in code.co_filename:
                filename, line = code.co_filename, tb.tb_lineno
            tb = tb.tb_next
    if filename is None:
        return None, None
    path = Path(filename)
    try:
        return path.resolve().relative_to(config.root.resolve()).as_posix(), line
    except ValueError:
        return str(path), line


def template_error(err: Exception, config: SiteConfig, page: str | None = None) -> TemplateError:
    """Turn a Jinja exception into a TemplateError naming the template's file and line."""
    path, line = _where(err, config)
    message = getattr(err, "message", None) or str(err)
    if isinstance(err, jinja2.UndefinedError):
        message = f"undefined variable: {message}"
    elif isinstance(err, jinja2.TemplateNotFound):
        message = f"template not found: {err.name}"
    elif isinstance(err, jinja2.TemplateSyntaxError):
        message = f"template syntax error: {message}"
    else:
        message = f"template error: {type(err).__name__}: {message}"
    hint = f"while rendering /{page}" if page is not None else None
    return TemplateError(Diagnostic(message, path, line, hint))


def compiled_environment(config: SiteConfig, cache_dir: Path) -> jinja2.Environment:
    """make_environment, with every template compiled already (through the bytecode cache in
    `cache_dir`); one that fails is left for the page that uses it to report."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    env = make_environment(config, cache_dir)
    for name in env.list_templates(extensions=["html", "xml"]):
        try:
            env.get_template(name)
        except (jinja2.TemplateError, OSError, UnicodeDecodeError):
            continue
    return env


class Renderer:
    """Renders a Site's pages with one Jinja environment (made for it, or `env`, made by
    make_environment for the site's config)."""

    def __init__(self, site: Site, cache_dir: Path | None = None,
                 env: jinja2.Environment | None = None) -> None:
        self.site = site
        self.env = env or make_environment(site.config, cache_dir)
        self.env.globals.update(tags=site.tags, films=site.films, posts=site.posts)

    def render(self, page: Page) -> str:
        """Render one page to HTML; raise TemplateError on a template problem."""
        try:
            template = self.env.get_template(page.template)
            return template.render(page=page, **page.vars)
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, LookupError,
                ArithmeticError, RecursionError) as err:
            raise template_error(err, self.site.config, page.url) from err

    def check_templates(self) -> list[Diagnostic]:
        """Compile every template the site would use; return the problems found."""
        problems: list[Diagnostic] = []
        for name in sorted(set(self.env.list_templates(extensions=["html", "xml"]))):
            try:
                self.env.get_template(name)
            except jinja2.TemplateError as err:
                problems.extend(template_error(err, self.site.config).diagnostics)
        return problems
