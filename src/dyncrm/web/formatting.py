"""How the portal writes money, dates and sentences: the deployment's locale.

Templates call ``_("English sentence", name=value)`` for every text a person
reads; it goes through the deployment's translation catalogue (the plugins'
``dyncrm_translations``), so Koperasi XYZ reads Indonesian and a deployment
without a catalogue reads English.  ``|money`` writes ``Rp 1.234.567`` (in an
Indonesian deployment) and ``|date`` / ``|datetime`` write dates in the
deployment's time zone.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from dyncrm.money import Money

if TYPE_CHECKING:
    import jinja2

    from dyncrm.app import CRM


def local_time(crm: CRM, value: dt.datetime) -> dt.datetime:
    """A stored time (naive UTC, or aware) in the deployment's time zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(crm.tz)


def install(env: jinja2.Environment, crm: CRM) -> None:
    """Add ``_``, ``|money``, ``|date``, ``|datetime`` and ``organisation`` to ``env``."""
    locale = crm.locale

    def money(value: Any, currency: str | None = None) -> str:
        if value is None or value == "":
            return ""
        if not isinstance(value, Money):
            value = Money.of(value, currency or crm.currency)
        return locale.money(value, crm.ledger.exponent(value.currency))

    def date(value: Any, long: bool = True) -> str:
        if isinstance(value, dt.datetime):
            value = local_time(crm, value)
        return locale.date(value, long=long)

    def datetime(value: Any) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        moment = local_time(crm, value)
        return f"{locale.date(moment)} {moment:%H:%M}"

    def sentence(message: str) -> str:
        """A finished sentence (a refusal's text) in the deployment's language."""
        return crm.translations.sentence(str(message))

    def beside(message: str, field: str) -> str:
        """An error shown beside its field, without the field's name the CLI puts first."""
        prefix = f"{field}: "
        return sentence(message[len(prefix):] if message.startswith(prefix) else message)

    env.filters["money"] = money
    env.filters["beside"] = beside
    env.filters["sentence"] = sentence
    env.filters["date"] = date
    env.filters["datetime"] = datetime
    env.globals["_"] = crm.t
    env.globals["organisation"] = crm.config.organisation
    env.globals["lang"] = "id" if locale.indonesian else "en"
