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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Catalogue:
    """Translations for one locale; calling it translates and fills placeholders."""

    def __init__(self, locale: str, messages: Mapping[str, str] | None = None) -> None:
        self.locale = locale
        self.messages = dict(messages or {})

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
        Several sentences joined by ``"; "`` are translated one by one.
        """
        if not self.messages or not text:
            return text
        parts = text.split("; ")
        if len(parts) > 1:
            each = [self._translated(part) for part in parts]
            if all(found is not None for found in each):
                return "; ".join(each)  # type: ignore[arg-type]
        whole = self._translated(text)
        if whole is not None:
            return whole
        if len(parts) > 1:
            return "; ".join(self.sentence(part) for part in parts)
        return text

    def _translated(self, text: str) -> str | None:
        """The translation of one sentence, or ``None`` when the catalogue has none."""
        if text in self.messages:
            return self(text)
        for pattern, msgid in self._patterns():
            found = pattern.fullmatch(text)
            if found:
                return self(msgid, **found.groupdict())
        return None

    def _patterns(self) -> list[tuple[Any, str]]:
        """The message ids with placeholders as regular expressions (made once)."""
        cached = self.__dict__.get("_compiled")
        if cached is None:
            import re
            import string

            cached = []
            for msgid in self.messages:
                parts = list(string.Formatter().parse(msgid))
                names = [name for _, name, _, _ in parts if name]
                if not names or len(set(names)) != len(names) or any(
                        not name.isidentifier() for name in names):
                    continue
                regex = "".join(re.escape(literal) + (f"(?P<{name}>.+?)" if name else "")
                                for literal, name, _, _ in parts)
                cached.append((re.compile(regex, re.DOTALL), msgid))
            # the most specific ids first: more literal text leaves less to guess
            cached.sort(key=lambda item: -len(item[0].pattern))
            self.__dict__["_compiled"] = cached
        return cached


def check_catalogue(messages: Mapping[str, str]) -> list[str]:
    """Problems in a catalogue: translations whose placeholders differ from their id's."""
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    return [f"{msgid!r}: placeholders {sorted(fields(text))} differ from "
            f"{sorted(fields(msgid))}"
            for msgid, text in messages.items() if fields(text) != fields(msgid)]
