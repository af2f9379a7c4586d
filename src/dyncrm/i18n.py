"""Sentences that reach people, in the deployment's language.

Code writes its user-facing sentences in English as message ids with named
placeholders, and asks the CRM to translate them::

    crm.t("the member joined {months} months ago; the product needs {needed}",
          months=3, needed=12)

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


def check_catalogue(messages: Mapping[str, str]) -> list[str]:
    """Problems in a catalogue: translations whose placeholders differ from their id's."""
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    return [f"{msgid!r}: placeholders {sorted(fields(text))} differ from "
            f"{sorted(fields(msgid))}"
            for msgid, text in messages.items() if fields(text) != fields(msgid)]
