"""What a member does on their own ticket besides filing and rating it: write back.

Staff replies go through :func:`dyncrm_retain.feedback.tickets.reply`; a member
answering on their own ticket (e.g. from the web portal) uses :func:`member_reply`,
which only the member who filed the ticket may call.
"""

from __future__ import annotations

from dyncrm.app import CRM
from dyncrm.errors import IllegalTransition, PermissionDenied
from dyncrm.values import Actor
from dyncrm_retain.feedback import tickets


def member_reply(crm: CRM, actor: Actor, number: str, text: str, *, key: str | None = None
                 ) -> tickets.TicketResult:
    """The member writes on their own open ticket; staff see it in the ticket's history.

    ``key`` (a form's submission id) makes a resubmission a replay.
    """
    row = tickets.get_row(number)
    if not tickets.is_owner(actor, row):
        raise PermissionDenied(actor.username, f"write on {tickets.label(row)} (only the "
                               "member who filed it can)", actor.roles)
    text = tickets._text(text, "text")
    with crm.action("feedback.member_reply", actor,
                    key=f"feedback:{row.number}:member_reply:{key}" if key else None) as act:
        if act.replayed:
            return tickets.TicketResult(tickets.to_ticket(tickets.get_row(row.number)),
                                        replayed=True, event_id=act.previous.get("event_id"))
        row = tickets.get_row(row.number)
        if row.stage not in tickets.ACTIVE_STAGES:
            raise IllegalTransition(tickets.label(row), row.stage, "reply", ())
        event = tickets._event(crm, row, actor, "member_reply", text=text)
        tickets._touch(crm, row, actor, "member_replied", "by")
        act.done(number=row.number, event_id=event.id)
        return tickets.TicketResult(tickets.to_ticket(row), event_id=event.id)
