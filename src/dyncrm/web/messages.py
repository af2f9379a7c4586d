"""A member's messages: what the cooperative sent them, read in the portal.

Every message a member is sent goes through the outbox (e-mail, WhatsApp, a
file); the portal shows the member the same messages, newest first, so a member
without e-mail still reads their decisions, receipts and reminders.  Messages
carrying sign-in codes (kind ``auth.*``) are left out.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from dyncrm.db.models import OutboxMessage
from dyncrm.web.extension import Card, MenuEntry, WebExtension
from dyncrm.web.guards import member_only, own_member_id

blueprint = Blueprint("messages", __name__, url_prefix="/messages")

SHOWN = 50


def member_messages(member_id: int, limit: int = SHOWN) -> list[OutboxMessage]:
    """The member's latest messages, newest first (one query)."""
    return list(OutboxMessage.select(OutboxMessage.id, OutboxMessage.subject,
                                     OutboxMessage.body, OutboxMessage.created_at,
                                     OutboxMessage.kind, OutboxMessage.channel)
                .where(OutboxMessage.member == member_id,
                       ~OutboxMessage.kind.startswith("auth."))
                .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                .limit(limit))


@blueprint.route("/")
@member_only
def inbox():
    """Every message of the signed-in member, newest first."""
    return render_template("web/messages.html", messages=member_messages(own_member_id()))


def _card(crm, actor):
    if actor.member_id is None:
        return None
    latest = member_messages(actor.member_id, limit=3)
    return {"messages": latest} if latest else None


EXTENSION = WebExtension(
    blueprint=blueprint,
    menu=[MenuEntry("Messages", "messages.inbox", "member", order=90)],
    cards=[Card("Latest messages", "web/_messages_card.html", _card, "member", order=90)],
)
