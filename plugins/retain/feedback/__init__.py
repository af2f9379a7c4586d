"""Plugin ``retain.feedback``: complaints and suggestions (kritik dan saran) with follow-up.

Members file tickets (category, subject, text, optional attachment, optionally
anonymous towards staff other than the admin).  Staff acknowledge, assign,
write internal notes and replies, resolve or reject; the member rates the
resolution (CSAT).  Service levels come from the settings; tickets past a
deadline are listed and handed to ``retain.reminders`` as due items for staff.
The logic lives in :mod:`dyncrm_retain.feedback.tickets`, the report in
:mod:`dyncrm_retain.feedback.report`, the commands in
:mod:`dyncrm_retain.feedback.cli`.
"""

from __future__ import annotations

from dyncrm import hookimpl
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import DueItem, Permission
from dyncrm_retain.feedback.config import PLUGIN, FeedbackSettings
from dyncrm_retain.feedback.tickets import OPEN_STAGES, Ticket, TicketResult, settings, to_ticket

__all__ = ["PLUGIN", "FeedbackSettings", "Ticket", "TicketResult", "spec"]

#: Due-item kinds this plugin supplies to the reminder engine.
DUE_KINDS = ("feedback.acknowledge", "feedback.resolve")

STAFF = frozenset({"admin", "secretary", "treasurer", "cashier", "credit_committee"})


spec = PluginSpec(
    PLUGIN,
    web="dyncrm_retain.feedback.web:dyncrm_web",
    settings=FeedbackSettings,
    models="dyncrm_retain.feedback.models:MODELS",
    migrations="migrations",
    templates="templates",
    commands="dyncrm_retain.feedback.cli:register",
    permissions=[
        Permission("feedback.submit", frozenset({"member", "admin", "secretary"}),
                   "file a complaint or suggestion (staff: for a member)"),
        Permission("feedback.view", STAFF, "see feedback tickets (anonymous ones unnamed)"),
        Permission("feedback.manage", frozenset({"admin", "secretary"}),
                   "acknowledge, assign, reply to, resolve and reject feedback tickets"),
        Permission("feedback.publish", frozenset({"admin"}),
                   "publish what came of a suggestion, without personal data"),
        Permission("feedback.report", frozenset({"admin", "secretary"}),
                   "see the feedback report"),
    ],
)
spec.export(globals())


@hookimpl
def dyncrm_retain_due_items(crm, on):
    """Deadlines of open tickets, as due items for staff (escalation of overdue tickets).

    Every open ticket has a ``feedback.resolve`` item; a ticket not yet
    acknowledged also a ``feedback.acknowledge`` item.  They go to the
    assignee's address in ``staff_contacts``, else to ``escalate_to``.  A
    ticket that is acknowledged or resolved stops being returned, so the
    engine stops reminding.
    """
    from dyncrm_retain.feedback.models import FeedbackTicket

    cfg = settings(crm)
    items = []
    rows = FeedbackTicket.select().where(FeedbackTicket.stage.in_(OPEN_STAGES))
    for row in rows:
        ticket = to_ticket(row)
        recipient = cfg.staff_contacts.get(row.assignee or "") or cfg.escalate_to
        deadlines = [("resolve", ticket.resolve_due_on)]
        if ticket.stage == "new":
            deadlines.insert(0, ("acknowledge", ticket.ack_due_on))
        for step, due_on in deadlines:
            items.append(DueItem(
                key=f"feedback:{ticket.number}:{step}", kind=f"feedback.{step}",
                member_id=None, due_on=due_on,
                description=f"{step} ticket {ticket.number} ({ticket.category}): "
                            f"{ticket.subject}",
                essential=True, recipient=recipient,
                context={"ticket": ticket, "step": step},
            ))
    return items


@hookimpl
def dyncrm_retain_reminder_offsets(crm, kind):
    """Overdue tickets escalate ``escalation_offsets`` days after their deadline."""
    if kind in DUE_KINDS:
        return tuple(settings(crm).escalation_offsets)
    return None
