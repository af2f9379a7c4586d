"""Sentences that reach people, in the deployment's language.

Code writes its user-facing sentences in English as message ids with named
placeholders, and asks the CRM to translate them::

    crm.t("the member joined {months} months ago; the product needs {needed}",
          months=3, needed=12)

A sentence already written out (the text of a refusal raised deep in a parser,
``'banyak' is not an amount``) is translated by :meth:`Catalogue.sentence`: it is
matched against the message ids, their placeholders standing for any text.

Plugins (usually a deployment package) supply catalogues for the organisation's
locale through ``dyncrm_translations(locale)``: plain ``{message id: translation}``
dicts whose translations use the same placeholders.  A sentence without a
translation stays English, so a missing entry never breaks anything.

Catalogues are gettext files, written and kept with Babel (see docs/plugins.md,
"Translations"): a package ships ``locales/<language>/LC_MESSAGES/<domain>.po``
(the source, edited by translators) and the ``.mo`` compiled from it (what is
read: :func:`load_folder`).  The core's catalogues live in ``dyncrm/locales``; an
enabled plugin's in its package's ``locales`` folder or its parent package's
(so every ``koperasi_xyz.*`` plugin brings ``koperasi_xyz/locales``); all are
found and merged by :func:`deployment_catalogue`, with what the hook
``dyncrm_translations`` returns (a plain dict still works) on top.
Message ids keep their ``{named}`` placeholders (``python-brace-format``).

The command line translates click's own sentences (``Usage:``, ``Missing
argument``) through the same catalogue: :func:`activate` makes a catalogue the one
:func:`gettext` and :func:`ngettext` answer from, and :func:`install_in_click`
points click's gettext calls at those two.
"""

from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

#: The folder of a package that holds its catalogues, as Babel lays them out.
LOCALES = "locales"
#: Letters a message id with placeholders needs outside them to be recognised in a
#: finished sentence (``"note: {note}"`` has enough, ``"{member} is {tier}"`` not).
MIN_LETTERS = 3
#: The name of a field a refusal may start with (``amount: must be above zero``).
_FIELD = re.compile(r"[A-Za-z_][\w.\-\[\]\"]*")


class Catalogue:
    """Translations for one locale; calling it translates and fills placeholders."""

    def __init__(self, locale: str, messages: Mapping[str, str] | None = None, *,
                 plurals: Mapping[str, list[str]] | None = None,
                 plural: Callable[[int], int] | None = None) -> None:
        self.locale = locale
        self.messages = dict(messages or {})
        self.plurals = dict(plurals or {})  #: singular id → its forms (ngettext)
        self.plural = plural or (lambda n: int(n != 1))  #: count → index of the form

    def gettext(self, msgid: str) -> str:
        """The translation of ``msgid`` as it is (no placeholders filled), else ``msgid``."""
        return self.messages.get(msgid) or msgid

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form of ``singular``/``plural`` for ``n`` in the catalogue's language."""
        forms = self.plurals.get(singular)
        if forms:
            index = self.plural(n)
            return forms[index] if 0 <= index < len(forms) else forms[0]
        english = singular if n == 1 else plural  # each form may be its own message id
        return self.messages.get(english) or english

    def __call__(self, msgid: str, /, **params: Any) -> str:
        """The translation of ``msgid`` (or ``msgid`` itself), with ``params`` filled in."""
        template = self.messages.get(msgid, msgid)
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return msgid.format(**params)  # a broken translation falls back to English

    def __contains__(self, msgid: str) -> bool:
        return msgid in self.messages

    def sentence(self, text: str) -> str:
        """A finished sentence in the catalogue's language, or ``text`` as it is.

        ``text`` may be a message id itself, or one with its placeholders filled
        in: ``"'banyak' is not an amount"`` matches the id ``"{text} is not an
        amount"`` and is written with that id's translation and ``'banyak'``.
        Several sentences joined by ``"; "`` are translated one by one (when that
        recognises more of the text than one id for the whole); a refusal
        naming its field (``"roles: unknown role 'x'; roles are ..."``) keeps the
        field's name and translates the rest.  A filled-in value that is itself a
        message id (``"loan"`` in ``"loan 5 not found"``, ``"active"``), or a
        sentence of the catalogue itself (``"loan 5"`` from the id ``"loan {id}"`` in
        ``"cannot approve loan 5: ..."``), is translated too.
        """
        if not self.messages or not text:
            return text
        found = self._scored(text)
        return found[0] if found is not None else text

    def _scored(self, text: str) -> tuple[str, int] | None:
        """The best translation of ``text`` and how much of it the catalogue recognised
        (characters of message-id text): the whole as one sentence, or its ``"; "``
        parts one by one, whichever recognises more (``"x is not signed in here; sign in
        first: ..."`` is one id; ``"must not be empty; 'x' is not an amount"`` two)."""
        best = self._translated(text)
        parts = text.split("; ")
        if len(parts) > 1:
            each = [self._scored(part) or (part, 0) for part in parts]
            score = sum(n for _, n in each)
            if score and (best is None or score > best[1]):
                best = ("; ".join(t for t, _ in each), score)
        return best

    def _translated(self, text: str) -> tuple[str, int] | None:
        """The translation of one sentence and its score, or ``None`` without one."""
        if text in self.messages:
            return self(text), len(text)
        candidates = []
        for pattern, msgid, literals in self._patterns():
            found = self._match(text, pattern, msgid, literals)
            if found is not None:
                candidates.append((found, sum(map(len, literals))))
                break  # the ids are in order of their literal text: the best first
        field, sep, rest = text.partition(": ")
        if sep and _FIELD.fullmatch(field):
            said = self._scored(rest)
            if said is not None and said[0] != rest:
                candidates.append((field + sep + said[0], said[1]))
        # on a tie the field's reading wins: an id starting with a placeholder
        # ("{product} loans run ...") would otherwise take "term: konsumtif" as its value
        return max(reversed(candidates), key=lambda c: c[1]) if candidates else None

    def _match(self, text: str, pattern: Any, msgid: str,
               literals: tuple[str, ...]) -> str | None:
        if not all(part in text for part in literals):
            return None  # cheaper than the regular expression, and most ids fail here
        found = _regex(pattern).fullmatch(text)
        if found is None:
            return None
        best: dict[str, str] | None = None
        best_known = -1
        # placeholders next to each other ("cannot {action} {subject}") split a line in
        # several ways; the reading whose values the catalogue knows best wins
        # ("quote a payoff for" + "loan 1", not "quote" + "a payoff for loan 1")
        for values in _readings(text, msgid, found.groupdict()):
            said = {name: self._word(value) for name, value in values.items()}
            known = sum(said[name] != value for name, value in values.items())
            if known > best_known:
                best, best_known = said, known
        return self(msgid, **(best or {}))

    def _word(self, value: str) -> str:
        """A filled-in value: its translation if it is a message id without placeholders,
        or if it is itself a message id with its placeholders filled in (``"loan 5"`` in
        ``"cannot approve loan 5: ..."``, ``"member {number}"``), else as it is."""
        said = self.messages.get(value)
        if said and "{" not in value:
            return said
        if not value or "{" in value:
            return value
        found = self._translated(value)
        return found[0] if found is not None else value

    def _patterns(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """The message ids with placeholders as regular expressions (listed once per
        catalogue, compiled only when a sentence holds an id's literal parts), each
        with its literal parts, most literal text first."""
        cached = self.__dict__.get("_compiled")
        if cached is None:
            cached = []
            for msgid in self.messages:
                found = _pattern_of(msgid)
                if found is not None:
                    regex, literals = found
                    cached.append((regex, msgid, literals))
            # the most specific ids first: more literal text leaves less to guess
            cached.sort(key=lambda item: -sum(map(len, item[2])))
            self.__dict__["_compiled"] = cached
        return cached


@functools.cache
def _pattern_of(msgid: str) -> tuple[str, tuple[str, ...]] | None:
    """A message id's regular expression (its placeholders as named groups) and its
    literal parts; ``None`` for an id without placeholders, or with too few words to
    recognise it by: ``"{where}: {exc}"`` or ``"{member} is {tier}"`` would fit almost
    any line (:data:`MIN_LETTERS`)."""
    import string

    parts = list(string.Formatter().parse(msgid))
    names = [name for _, name, _, _ in parts if name]
    if not names or len(set(names)) != len(names) or any(
            not name.isidentifier() for name in names):
        return None
    regex = "".join(re.escape(literal) + (f"(?P<{name}>.+?)" if name else "")
                    for literal, name, _, _ in parts)
    literals = tuple(literal for literal, _, _, _ in parts if literal.strip())
    if sum(ch.isalpha() for literal in literals for ch in literal) < MIN_LETTERS:
        return None
    return regex, literals


#: At most this many ways of splitting a line between its placeholders are weighed.
MAX_READINGS = 24


def _readings(text: str, msgid: str, first: dict[str, str]) -> Iterator[dict[str, str]]:
    """The ways ``text`` fills ``msgid``'s placeholders: the regular expression's
    (shortest values first) and, where two placeholders are separated by a literal
    that occurs more than once, the others (at most :data:`MAX_READINGS`)."""
    import string

    yield first
    parts = list(string.Formatter().parse(msgid))
    count = 0

    def walk(pos: int, index: int, values: dict[str, str]) -> Iterator[dict[str, str]]:
        if index == len(parts):
            if pos == len(text):
                yield values
            return
        literal, name, _, _ = parts[index]
        if not text.startswith(literal, pos):
            return
        pos += len(literal)
        if not name:
            yield from walk(pos, index + 1, values)
            return
        after = parts[index + 1][0] if index + 1 < len(parts) else ""
        if not after:  # the last placeholder, or one right before another
            value = text[pos:] if index + 1 >= len(parts) else first[name]
            if value and text.startswith(value, pos):
                yield from walk(pos + len(value), index + 1, {**values, name: value})
            return
        end = text.find(after, pos + 1)
        while end != -1:
            yield from walk(end, index + 1, {**values, name: text[pos:end]})
            end = text.find(after, end + 1)

    for values in walk(0, 0, {}):
        if values != first:
            yield values
            count += 1
            if count >= MAX_READINGS:
                return


@functools.cache
def _regex(regex: str) -> re.Pattern[str]:
    """``regex`` compiled once per process (re's own cache holds only 512, fewer than
    a deployment's message ids)."""
    return re.compile(regex, re.DOTALL)


def N_(text: str) -> str:
    """Mark ``text`` for the catalogue and return it as written (gettext's ``N_``).

    For a fragment put into a sentence later (a cause in ``"cannot write {name}:
    {cause}"``): the sentence is translated when shown, and a filled-in value that
    is a message id, as this fragment is, with it (:meth:`Catalogue.sentence`).
    """
    return text


def check_catalogue(messages: Mapping[str, str]) -> list[str]:
    """Problems in a catalogue: translations whose placeholders differ from their id's."""
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    return [f"{msgid!r}: placeholders {sorted(fields(text))} differ from "
            f"{sorted(fields(msgid))}"
            for msgid, text in messages.items() if fields(text) != fields(msgid)]


# --- gettext catalogues -------------------------------------------------------------


def languages(locale: str) -> list[str]:
    """The catalogue folders to read for ``locale``, general first: ``id_ID`` →
    ``["id", "id_ID"]`` (``id-ID`` and ``id_ID.UTF-8`` are read alike)."""
    name = locale.split(".")[0].split("@")[0].replace("-", "_")
    if not name:
        return []
    general = name.split("_")[0]
    return [general] if general == name else [general, name]


@functools.lru_cache(maxsize=64)
def _read(folder: str, language: str) -> tuple[dict[str, str], dict[str, list[str]],
                                               Callable[[int], int] | None]:
    """Messages, plural forms and plural rule of every catalogue in one language folder.

    Each ``<domain>.mo`` is read with the standard library; a ``.po`` without its
    ``.mo`` (a catalogue not compiled yet) is read with Babel, more slowly.
    """
    messages: dict[str, str] = {}
    plurals: dict[str, list[str]] = {}
    rule = None
    where = Path(folder) / language / "LC_MESSAGES"
    if not where.is_dir():
        return messages, plurals, rule
    compiled = {p.stem: p for p in where.glob("*.mo")}
    sources = {p.stem: p for p in where.glob("*.po")}
    for domain in sorted(set(compiled) | set(sources)):
        if domain in compiled:
            with compiled[domain].open("rb") as handle:
                translations = _gettext.GNUTranslations(handle)
        else:
            translations = _po_translations(sources[domain])
        rule = translations.plural  # type: ignore[attr-defined]
        # the parsed catalogue; gettext keeps it here, plural forms keyed (id, index)
        for key, text in translations._catalog.items():  # type: ignore[attr-defined]
            if isinstance(key, tuple):
                forms = plurals.setdefault(key[0], [])
                forms.extend([""] * (key[1] + 1 - len(forms)))
                forms[key[1]] = text
            elif key and text:
                messages[key] = text
    for singular, forms in plurals.items():
        if forms and forms[0]:
            messages.setdefault(singular, forms[0])
    return messages, plurals, rule


def _po_translations(path: Path) -> _gettext.GNUTranslations:
    """A ``.po`` file compiled in memory (Babel), as the standard library reads ``.mo``."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def load_folder(folder: str | Path, locale: str) -> Catalogue:
    """Every catalogue under ``folder`` (a package's ``locales``) for ``locale``."""
    messages: dict[str, str] = {}
    plurals: dict[str, list[str]] = {}
    rule = None
    for language in languages(locale):
        found, forms, found_rule = _read(str(folder), language)
        messages.update(found)
        plurals.update(forms)
        rule = found_rule or rule
    return Catalogue(locale, messages, plurals=plurals, plural=rule)


def package_folders(plugins: Iterable[Any]) -> list[Path]:
    """The ``locales`` folders of the core and of the packages of ``plugins``, in order.

    A plugin (a module, or an object whose class lives in one) brings the catalogues
    of its package and of each parent package: ``koperasi_xyz.payroll`` brings
    ``koperasi_xyz/payroll/locales`` and ``koperasi_xyz/locales`` (those that exist).
    """
    folders: list[Path] = [Path(__file__).parent / LOCALES]
    for plugin in plugins:
        module = plugin if hasattr(plugin, "__name__") and hasattr(plugin, "__file__") \
            else sys.modules.get(type(plugin).__module__)
        name = getattr(module, "__name__", "")
        if module is None or not name:
            continue
        package = name if hasattr(module, "__path__") else name.rpartition(".")[0]
        while package:
            found = sys.modules.get(package)
            for base in getattr(found, "__path__", ()):
                folder = Path(base) / LOCALES
                if folder not in folders and folder.is_dir():
                    folders.append(folder)
            package = package.rpartition(".")[0]
    return folders


def deployment_catalogue(pm: Any, locale: str) -> Catalogue:
    """The catalogue of a deployment: the core's and enabled plugins' gettext
    catalogues for ``locale``, then what ``dyncrm_translations`` returns on top."""
    messages: dict[str, str] = {}
    plurals: dict[str, list[str]] = {}
    rule = None
    for folder in package_folders(plugin for _, plugin in pm.list_name_plugin()):
        found = load_folder(folder, locale)
        messages.update(found.messages)
        plurals.update(found.plurals)
        rule = found.plural if found.plurals else rule
    for catalogue in reversed(pm.hook.dyncrm_translations(locale=locale)):
        messages.update(catalogue or {})
    return Catalogue(locale, messages, plurals=plurals, plural=rule)


# --- the catalogue the command line speaks ------------------------------------------

_active: Catalogue | None = None


#: A person's choice of the command line's language over the deployment's locale:
#: ``DYNCRM_LANGUAGE=en`` shows commands in English (the message ids, as written).
LANGUAGE_ENV = "DYNCRM_LANGUAGE"


def activate(catalogue: Catalogue | None) -> None:
    """Make ``catalogue`` the one :func:`gettext`/:func:`translate` answer from
    (``None``: English again).  The command line sets it once the deployment's
    locale is known and clears it when the command ends.

    When ``$DYNCRM_LANGUAGE`` names another language than the catalogue's
    (``en`` in an ``id_ID`` deployment), the command line speaks English: the
    message ids as they are written.
    """
    import os

    global _active
    chosen = os.environ.get(LANGUAGE_ENV, "").strip()
    if catalogue is not None and chosen and \
            languages(chosen)[:1] != languages(catalogue.locale)[:1]:
        catalogue = None
    _active = catalogue


def active() -> Catalogue | None:
    """The catalogue the command line speaks now, if any."""
    return _active


def gettext(message: str) -> str:
    """``message`` in the active catalogue's language (English without one)."""
    return _active.gettext(message) if _active is not None else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The active catalogue's form of ``singular``/``plural`` for ``n``."""
    if _active is not None:
        return _active.ngettext(singular, plural, n)
    return singular if n == 1 else plural


def translate(text: str) -> str:
    """A finished sentence (an error's text) in the active catalogue's language."""
    return _active.sentence(text) if _active is not None and text else text


#: click's modules that say something to people, each with ``from gettext import gettext as _``.
CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui",
                 "types", "utils", "shell_completion")


# --- what commands say ---------------------------------------------------------------

_written = 0  # > 0: what commands echo stays as written (a --json result's message)


@contextlib.contextmanager
def as_written() -> Iterator[None]:
    """While inside, :func:`install_echo`'s ``click.echo`` prints messages as written
    (a ``--json`` result keeps its message in the message ids' language, as errors do)."""
    global _written
    _written += 1
    try:
        yield
    finally:
        _written -= 1


def _speaking(echo: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(echo)
    def speaking(message: Any = None, file: Any = None, nl: bool = True, err: bool = False,
                 color: bool | None = None) -> None:
        if isinstance(message, str) and message and _active is not None and not _written:
            message = _active.sentence(message)
        echo(message, file=file, nl=nl, err=err, color=color)

    speaking.dyncrm_as_written = echo  # type: ignore[attr-defined]
    return speaking


def install_echo() -> None:
    """Make ``click.echo`` say a finished sentence in the active catalogue's language.

    Commands print what they did with ``click.echo(f"added user {name} ({roles})")``
    (or :func:`dyncrm.output.action`); such a sentence is matched against the
    catalogue's message ids as an error's is (:meth:`Catalogue.sentence`): the
    extractor reads ``echo``'s first argument as a message id, the same way it reads
    an error's.  Tables, label/value pairs and JSON are printed with
    :func:`echo_as_written`, never translated.  Without an active catalogue (an
    English deployment, a library caller) nothing changes.
    """
    import click

    if not hasattr(click.echo, "dyncrm_as_written"):
        click.echo = _speaking(click.echo)


def echo_as_written(message: Any = None, file: Any = None, nl: bool = True, err: bool = False,
                    color: bool | None = None) -> None:
    """``click.echo`` itself: data (a table row, JSON) is printed as it is."""
    import click

    echo = getattr(click.echo, "dyncrm_as_written", click.echo)
    echo(message, file=file, nl=nl, err=err, color=color)


def install_in_click() -> None:
    """Point click's gettext calls (its own sentences) at :func:`gettext`/:func:`ngettext`.

    click asks the standard library's global ``messages`` domain, which follows the
    process's environment; a deployment's language is its config's, so click's
    modules are given these two instead (the same calls, another catalogue).
    """
    import importlib

    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    install_echo()
