"""The menu and the dashboards: what each person sees, from every plugin's extension.

Members see the member entries and cards of the enabled plugins; staff see the
staff entries and cards whose permission they hold.  Nobody sees a link to a
page that would refuse them.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from dyncrm.web.extension import Card, MenuEntry, QueueSource, WebExtension
from dyncrm.web.guards import actor, crm, is_member

CORE_MENU = (
    MenuEntry("Home", "home.index", "member", order=0),
    MenuEntry("Home", "home.index", "staff", order=0),
    MenuEntry("Work queue", "home.queue", "staff", order=1),
)


def extensions() -> list[WebExtension]:
    """The plugins' extensions of this portal, in plugin order."""
    return current_app.extensions.get("dyncrm.web", [])


def _audience() -> str:
    who = actor()
    if who is None:
        return "public"
    return "member" if is_member(who) else "staff"


def _allowed(permission: str | None) -> bool:
    who = actor()
    return permission is None or (who is not None and crm().users.can(who, permission))


def menu() -> list[dict[str, str]]:
    """The signed-in person's menu: ``[{"label", "url", "endpoint"}]`` in order."""
    audience = _audience()
    entries: list[MenuEntry] = [e for e in CORE_MENU if e.audience == audience]
    for extension in extensions():
        entries.extend(e for e in extension.menu if e.audience == audience)
    entries = [e for e in entries if _allowed(e.permission)]
    entries.sort(key=lambda e: e.order)
    return [{"label": crm().t(e.label), "url": url_for(e.endpoint), "endpoint": e.endpoint}
            for e in entries]


def cards() -> list[tuple[Card, dict[str, Any]]]:
    """The dashboard cards for the signed-in person, with their contexts."""
    audience = _audience()
    who = actor()
    if who is None:
        return []
    found: list[Card] = []
    for extension in extensions():
        found.extend(c for c in extension.cards
                     if c.audience == audience and _allowed(c.permission))
    shown = []
    for card in sorted(found, key=lambda c: c.order):
        context = card.context(crm(), who)
        if context is not None:
            shown.append((card, context))
    return shown


def queue_sources() -> list[QueueSource]:
    """The kinds of staff work the signed-in person may do."""
    found = [q for e in extensions() for q in e.queue if _allowed(q.permission)]
    return sorted(found, key=lambda q: q.order)


def context() -> dict[str, Any]:
    """Template context on every page: the menu, who is signed in, the simulated date."""
    from flask import g

    return {"menu": menu(), "actor": actor(), "is_member": is_member(actor()),
            "simulated_day": crm().simulated_day,
            "signed_out_because": g.get("signed_out_because")}
