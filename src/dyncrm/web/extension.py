"""What a plugin adds to the web portal: :class:`WebExtension` and its parts.

A plugin implements ``dyncrm_web(crm)`` and returns one :class:`WebExtension`:
a Flask blueprint with its views and templates, the menu entries it adds for
members and for staff, the cards it puts on their dashboards and the kinds of
work it adds to the staff work queue.  A plugin that is not enabled adds
nothing, so its pages do not exist.

Labels and titles are English sentences; the portal shows them through the
deployment's translation catalogue (``dyncrm_translations``), so a deployment in
Indonesian translates them like every other sentence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    import flask

    from dyncrm.app import CRM
    from dyncrm.values import Actor

__all__ = ["Audience", "Card", "MenuEntry", "QueueItem", "QueueSource", "WebExtension"]

#: Who a menu entry or card is for: signed-in members, staff (anyone else signed in),
#: or visitors who have not signed in (``"public"``: applying to join, the FAQ).
Audience = Literal["member", "staff", "public"]


@attrs.frozen
class MenuEntry:
    """A link in the portal's menu.

    :param label: English text, translated through the deployment's catalogue.
    :param endpoint: the Flask endpoint (``"savings.overview"``).
    :param audience: ``"member"``, ``"staff"`` or ``"public"`` (visitors).
    :param permission: shown only to those who hold it (staff entries); ``None``
        shows it to everyone of the audience.
    :param order: place in the menu, smallest first.
    """

    label: str
    endpoint: str
    audience: Audience = "member"
    permission: str | None = None
    order: int = 100


@attrs.frozen
class Card:
    """A box on a dashboard, rendered from a template with what ``context`` returns.

    :param title: English text, translated.
    :param template: the template rendering the card's body (``"savings/_card.html"``).
    :param context: ``context(crm, actor) -> dict`` of values for the template, or
        ``None`` to leave the card out for this person (nothing to show).
    :param audience: ``"member"`` (the member's own dashboard) or ``"staff"``.
    :param permission: shown only to those who hold it.
    :param order: place on the dashboard, smallest first.
    :param wide: spans the whole width of the dashboard (a summary with charts).
    """

    title: str
    template: str
    context: Callable[[CRM, Actor], dict[str, Any] | None]
    audience: Audience = "member"
    permission: str | None = None
    order: int = 100
    wide: bool = False


@attrs.frozen
class QueueItem:
    """One piece of work waiting for staff: an application, a proof, a loan, a ticket.

    :param title: what it is (``"Transfer proof D-12 from Siti, Rp 500.000"``),
        already in the reader's language.
    :param url: where staff handle it.
    :param waiting_since: when it arrived (oldest work is shown first).
    :param due: when it must be handled by (service level), if there is such a limit.
    :param note: a short detail (the member's number, the amount, the reasons).
    """

    title: str
    url: str
    waiting_since: dt.datetime | dt.date | None = None
    due: dt.datetime | None = None
    note: str = ""


@attrs.frozen
class QueueSource:
    """A kind of work in the staff work queue, shown to those who hold ``permission``.

    :param title: English text, translated (``"Transfer proofs to verify"``).
    :param permission: who does this work (``"savings.verify"``).
    :param items: ``items(crm, actor) -> list[QueueItem]``, the work waiting now.
    :param order: place in the queue, smallest first.
    """

    title: str
    permission: str
    items: Callable[[CRM, Actor], Sequence[QueueItem]]
    order: int = 100


@attrs.frozen
class WebExtension:
    """Everything one plugin adds to the portal (the return value of ``dyncrm_web``).

    :param blueprint: a Flask blueprint with the plugin's views; give it a
        ``template_folder`` for its templates and a ``url_prefix``.
    :param menu: its menu entries.
    :param cards: its dashboard cards.
    :param queue: the kinds of staff work it adds to the work queue.
    """

    blueprint: flask.Blueprint
    menu: Sequence[MenuEntry] = ()
    cards: Sequence[Card] = ()
    queue: Sequence[QueueSource] = ()
