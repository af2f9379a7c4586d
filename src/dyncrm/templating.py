"""Jinja2 over the deployment's, the plugins' and the core's template folders.

Search order: the deployment's ``template_dir`` (which can override any
template by name), then each enabled plugin's folders, then the core's.
``{% extends "default:base.txt" %}`` reaches the core original past an
override.  HTML is autoescaped; ``money`` and ``date`` filters follow the
organisation's locale.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from dyncrm.errors import ConfigError, DyncrmError, PluginError
from dyncrm.money import Money, format_money
from dyncrm.plugins import package_path

if TYPE_CHECKING:
    from dyncrm.app import CRM

MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")

#: Formatted amounts the ``money`` filter keeps (cleared when full).
_FORMATTED_MAX = 4096


def core_template_dir() -> Path:
    """The core's own template folder."""
    return package_path("dyncrm", "templates")


class Locale:
    """Number and date conventions of a locale such as ``id_ID`` or ``en_US``."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.indonesian = tag.lower().startswith("id")
        self.decimal_mark, self.thousands = ("," , ".") if self.indonesian else (".", ",")

    def month_name(self, month: int) -> str:
        """Full month name."""
        return (MONTHS_ID if self.indonesian else MONTHS_EN)[month - 1]

    def date(self, value: dt.date | dt.datetime | str | None, *, long: bool = True) -> str:
        """``28 November 2026`` (long) or ``28-11-2026`` / ``2026-11-28`` (short)."""
        if value is None:
            return ""
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        if isinstance(value, dt.datetime):
            value = value.date()
        if long:
            return f"{value.day} {self.month_name(value.month)} {value.year}"
        return value.strftime("%d-%m-%Y" if self.indonesian else "%Y-%m-%d")

    def money(self, value: Money, exponent: int) -> str:
        """``Rp 1.250.000`` in Indonesian, ``IDR 1,250,000`` elsewhere."""
        symbol = None if self.indonesian else value.currency
        return format_money(value, exponent, symbol=symbol, decimal_mark=self.decimal_mark,
                            thousands=self.thousands)


def build_environment(crm: CRM) -> jinja2.Environment:
    """The Jinja2 environment of ``crm`` (see module docstring for the search order)."""
    folders: list[Path] = []
    if crm.config.template_dir is not None:
        folders.append(crm.config.template_dir)
    for result in crm.hook.dyncrm_template_dirs():
        folders.extend(Path(p) for p in (result or []))
    core = core_template_dir()
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader([str(f) for f in folders] + [str(core)]),
        jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(str(core))}, delimiter=":"),
    ])
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    locale = crm.locale
    formatted: dict[tuple[Any, str], str] = {}  # equal amounts format alike: format once

    def money_filter(value: Any, currency: str | None = None) -> str:
        if value is None:
            return ""
        if not isinstance(value, Money):
            value = Money.of(value, currency or crm.currency)
        key = (value.amount, value.currency)
        text = formatted.get(key)
        if text is None:
            if len(formatted) >= _FORMATTED_MAX:
                formatted.clear()
            text = formatted[key] = locale.money(value, crm.ledger.exponent(value.currency))
        return text

    env.filters["money"] = money_filter
    env.filters["date"] = lambda v, long=True: locale.date(v, long=long)
    env.globals["organisation"] = crm.config.organisation
    crm.hook.dyncrm_prepare_jinja2_environment(env=env, crm=crm)
    return env


def render_message(env: jinja2.Environment, name: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render a message template into ``(subject, body)``.

    Message templates start with a ``Subject: ...`` line, then a blank line,
    then the body.
    """
    return _split_message(env.get_template(name).render(**context))


def render_messages(env: jinja2.Environment, name: str,
                    contexts: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """:func:`render_message` of one template for many contexts, in order.

    The template is looked up once and each context rendered straight through
    its compiled code (no per-message lookup), for batch work such as a
    payroll import's thousands of receipts: the same texts as one by one.
    """
    template = env.get_template(name)
    new_context, root, concat = template.new_context, template.root_render_func, env.concat
    for context in contexts:
        try:
            text = concat(root(new_context(dict(context))))
        except Exception:
            env.handle_exception()  # re-raises with the template's file and line
        yield _split_message(text)


def _split_message(text: str) -> tuple[str, str]:
    first, _, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        return first.split(":", 1)[1].strip(), rest.lstrip("\n")
    return "", text


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """File and line of the innermost template frame in ``exc``'s traceback.

    Jinja2 rewrites tracebacks so that template code shows as frames whose file
    is the template itself.
    """
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if not name.endswith(".py") and not name.startswith("<"):
            found = (name, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _owner(crm: CRM, filename: str) -> str | None:
    """``"deployment"``, a plugin's name, or ``None`` (the core) for a template file."""
    path = Path(filename).resolve()
    if crm.config.template_dir is not None and \
            path.is_relative_to(Path(crm.config.template_dir).resolve()):
        return "deployment"
    for impl in crm.pm.hook.dyncrm_template_dirs.get_hookimpls():
        with contextlib.suppress(Exception):
            for folder in impl.function() or []:
                if path.is_relative_to(Path(folder).resolve()):
                    return impl.plugin_name
    return None


def template_error(crm: CRM, exc: jinja2.TemplateError) -> DyncrmError | None:
    """A sentence for a broken template, naming its file, line and the variable.

    The deployment's own templates (``template_dir``) are its operator's to fix
    (:class:`ConfigError`), a plugin's templates that plugin's
    (:class:`PluginError`, exit 3); ``None`` for the core's own (a bug).
    """
    if isinstance(exc, jinja2.TemplateSyntaxError):
        filename, line = exc.filename, exc.lineno
        what = f"syntax error: {exc.message}"
    elif isinstance(exc, jinja2.UndefinedError):
        filename, line = _template_frame(exc)
        what = (f"{exc.message}; the variable is not given to this template "
                "(check its spelling, or the context the code passes)")
    else:
        return None
    if filename is None:
        return None
    owner = _owner(crm, filename)
    if owner is None:
        return None
    where = f"template {filename}" + (f", line {line}" if line else "")
    if owner == "deployment":
        return ConfigError(f"{where}: {what}", path=str(crm.config.path or ""))
    return PluginError(f"{where}: {what}", plugin=owner)


@contextlib.contextmanager
def template_errors(crm: CRM) -> Iterator[None]:
    """Turn Jinja2 errors raised inside into :func:`template_error` sentences."""
    try:
        yield
    except (jinja2.TemplateSyntaxError, jinja2.UndefinedError) as exc:
        error = template_error(crm, exc)
        if error is None:
            raise
        raise error from exc
