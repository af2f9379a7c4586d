"""Complaints and suggestions as tickets: submit, handle, resolve, rate, publish.

Every function here is one action (one transaction through ``crm.action``):
the ticket row, its history event, the member's touchpoint and the message to
the member commit together or not at all.  Stage changes follow
:data:`TICKET_STAGES`; a change not allowed from the current stage raises
:class:`~dyncrm.errors.IllegalTransition` and changes nothing.  Each stage
change happens at most once per ticket, so it is keyed by ticket and action:
repeating it is a replay that says so (``replayed=True``) and writes nothing.

Anonymous tickets keep the member (the ticket must reach someone), but only
the member, the batch actor and users holding a role in
``identity_roles`` (default: admin) see who wrote it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs

from dyncrm.app import CRM
from dyncrm.errors import (
    IllegalTransition,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from dyncrm.i18n import N_
from dyncrm.lifecycle import StateMachine
from dyncrm.text import clean_text
from dyncrm.values import Actor
from dyncrm_retain.feedback import attachments
from dyncrm_retain.feedback.config import PLUGIN, FeedbackSettings
from dyncrm_retain.feedback.models import FeedbackEvent, FeedbackTicket
from dyncrm_retain.feedback.sla import due_date

KINDS = ("complaint", "suggestion")

#: The ticket workflow.  ``acknowledged -> resolved`` is allowed: a quick
#: answer needs no separate "in progress" step.
TICKET_STAGES = StateMachine("feedback ticket", {
    "new": {"acknowledge": "acknowledged", "reject": "rejected"},
    "acknowledged": {"start": "in_progress", "resolve": "resolved", "reject": "rejected"},
    "in_progress": {"resolve": "resolved", "reject": "rejected"},
    "resolved": {"close": "closed"},
    "closed": {},
    "rejected": {},
})

OPEN_STAGES = ("new", "acknowledged", "in_progress")
#: Stages in which notes and replies may still be added.
ACTIVE_STAGES = ("new", "acknowledged", "in_progress", "resolved")
#: Past tense of each action, for messages.
DONE = {"acknowledge": "acknowledged", "start": "started", "resolve": "resolved",
        "close": "closed", "reject": "rejected"}


@attrs.frozen
class Ticket:
    """A ticket as hooks and callers see it (never a database row).

    ``member_id`` is set even for anonymous tickets: code handling it must
    respect ``anonymous`` when showing it to people.
    """

    number: str
    kind: str
    category: str
    subject: str
    text: str
    stage: str
    member_id: int
    anonymous: bool
    assignee: str | None
    submitted_on: dt.date
    ack_due_on: dt.date
    resolve_due_on: dt.date
    acknowledged_on: dt.date | None = None
    resolved_on: dt.date | None = None
    resolution: str | None = None
    reject_reason: str | None = None
    rating: int | None = None
    has_attachment: bool = False
    published: bool = False


@attrs.frozen
class TicketResult:
    """What an action did: the ticket after it, and whether it was a replay."""

    ticket: Ticket
    replayed: bool = False
    event_id: int | None = None


def settings(crm: CRM) -> FeedbackSettings:
    """The plugin's parsed settings."""
    return crm.plugin_config(PLUGIN)


def _date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def to_ticket(row: FeedbackTicket) -> Ticket:
    """The immutable view of a ticket row."""
    return Ticket(
        number=row.number, kind=row.kind, category=row.category, subject=row.subject,
        text=row.text, stage=row.stage, member_id=row.member_id, anonymous=bool(row.anonymous),
        assignee=row.assignee, submitted_on=_date(row.submitted_on),
        ack_due_on=_date(row.ack_due_on), resolve_due_on=_date(row.resolve_due_on),
        acknowledged_on=_date(row.acknowledged_on), resolved_on=_date(row.resolved_on),
        resolution=row.resolution, reject_reason=row.reject_reason, rating=row.rating,
        has_attachment=row.attachment_stored is not None, published=bool(row.published),
    )


def get_row(number: str) -> FeedbackTicket:
    """The ticket row by number (case-insensitive), or ``NotFoundError``."""
    text = number.strip()
    if not text.isascii():  # a case mapping must not turn it into another ticket number
        raise NotFoundError("feedback ticket", number)
    row = FeedbackTicket.get_or_none(FeedbackTicket.number == text.upper())
    if row is None:
        raise NotFoundError("feedback ticket", number)
    return row


def label(row: FeedbackTicket) -> str:
    """How errors name a ticket."""
    return N_("ticket {number}").format(number=row.number)  # translated in the sentence


# -- who may do what --------------------------------------------------------


def sees_identity(crm: CRM, actor: Actor, row: FeedbackTicket) -> bool:
    """True when ``actor`` may see who wrote the ticket."""
    trusted = actor.is_operator or actor.is_system
    if not row.anonymous or trusted or actor.member_id == row.member_id:
        return True
    return bool(actor.roles & set(settings(crm).identity_roles))


def is_owner(actor: Actor, row: FeedbackTicket) -> bool:
    """True when ``actor`` is the member who the ticket belongs to."""
    return actor.member_id is not None and actor.member_id == row.member_id


def require_view(crm: CRM, actor: Actor, row: FeedbackTicket) -> None:
    """Staff with ``feedback.view`` see every ticket; a member sees their own."""
    if is_owner(actor, row):
        return
    crm.require(actor, "feedback.view")


def require_handler(crm: CRM, actor: Actor, row: FeedbackTicket) -> None:
    """``feedback.manage``, or being the assignee while holding ``feedback.view``."""
    if crm.users.can(actor, "feedback.manage"):
        return
    if row.assignee and row.assignee == actor.username and crm.users.can(actor, "feedback.view"):
        return
    raise PermissionDenied(actor.username, "handle feedback tickets (feedback.manage, or "
                           "feedback.view and being the assignee)", actor.roles)


# -- writing helpers -------------------------------------------------------


def _event(crm: CRM, row: FeedbackTicket, actor: Actor, action: str, *,
           from_stage: str | None = None, to_stage: str | None = None,
           text: str | None = None, internal: bool = False) -> FeedbackEvent:
    return FeedbackEvent.create(ticket=row.id, at=crm.now(), actor=actor.username,
                                action=action, from_stage=from_stage, to_stage=to_stage,
                                text=text, internal=internal)


def _touch(crm: CRM, row: FeedbackTicket, actor: Actor, action: str, info: str,
           extra: dict[str, Any] | None = None) -> None:
    """A touchpoint on the member's timeline; anonymous tickets stay unnamed there."""
    payload: dict[str, Any] = {"anonymous": True} if row.anonymous else {
        "ticket": row.number, "category": row.category, "kind": row.kind, **(extra or {})}
    crm.touch(row.member_id, "retain", info, f"feedback.{action}", actor, payload)


def _notify(crm: CRM, row: FeedbackTicket, template: str, kind: str, key: str,
            **context: Any) -> None:
    crm.notify_member(row.member_id, template, kind=kind, key=key, essential=True,
                      ticket=to_ticket(row), **context)


def _changed(crm: CRM, row: FeedbackTicket, action: str, actor: Actor) -> None:
    crm.hook.dyncrm_retain_feedback_changed(crm=crm, ticket=to_ticket(row), action=action,
                                            actor=actor)


def _text(value: str | None, field: str, *, required: bool = True, limit: int = 10_000) -> str:
    """Multi-line text as stored: NFC, no control characters (:func:`dyncrm.text.clean_text`)."""
    return clean_text(value, field=field, multiline=True, max_length=limit,
                      min_length=1 if required else 0)


def attachment_dir(crm: CRM) -> Path:
    """Where attachments are stored: under the deployment's ``data_dir``."""
    return crm.config.data_dir / settings(crm).attachment_dir


def ticket_number(crm: CRM, on: dt.date) -> str:
    """The next ticket number from the configured pattern (a counter per year if it has {year})."""
    pattern = settings(crm).number_pattern
    counter = f"feedback.ticket.{on.year}" if "{year" in pattern else "feedback.ticket"
    return pattern.format(year=on.year, seq=crm.next_number(counter)).upper()


# -- actions ---------------------------------------------------------------


def submit(crm: CRM, actor: Actor, *, category: str, subject: str, text: str,
           kind: str = "complaint", member: int | str | None = None, anonymous: bool = False,
           attachment: tuple[bytes, str] | None = None, key: str | None = None
           ) -> TicketResult:
    """File a complaint or suggestion; the member is told it was received.

    A member files for themselves; staff holding ``feedback.manage`` may file
    for a member (``member=`` number or id), e.g. from a letter or a visit.
    ``attachment`` is ``(content, file name)``; its type is checked by content.
    ``key`` (e.g. a web form's submission id) makes a resubmission a replay.
    """
    cfg = settings(crm)
    crm.require(actor, "feedback.submit")
    if member is None:
        if actor.member_id is None:
            raise ValidationError("say which member the feedback is from (--member)",
                                  field="member")
        member_id = actor.member_id
    else:
        member_id = crm.member(member).id
        if member_id != actor.member_id:
            crm.require(actor, "feedback.manage")
    if kind not in KINDS:
        raise ValidationError(f"must be one of {', '.join(KINDS)}", field="kind")
    category = category.strip().lower()
    if category not in cfg.categories:
        raise ValidationError(f"{category!r} is not a category; categories: "
                              f"{', '.join(cfg.categories)}", field="category")
    subject = _text(subject, "subject", limit=200)
    text = _text(text, "text")
    info = crm.member(member_id)
    if info.stage not in ("active", "leaving"):
        raise ValidationError(f"member {info.number or info.id} is {info.stage}; only members "
                              "can file feedback", field="member")
    checked = None
    if attachment is not None:  # parsed before anything is written
        checked = attachments.check(attachment[0], allowed=cfg.attachment_types,
                                    max_bytes=cfg.max_attachment_bytes)
    stored = None
    try:
        with crm.action("feedback.submit", actor, key=key) as act:
            if act.replayed:
                return TicketResult(to_ticket(get_row(act.previous["number"])), replayed=True)
            today = crm.today()
            holidays = cfg.holiday_dates
            if attachment is not None and checked is not None:
                stored = attachments.store(checked, attachment[1], attachment_dir(crm))
            row = FeedbackTicket.create(
                number=ticket_number(crm, today), member=member_id, kind=kind,
                category=category, subject=subject, text=text, anonymous=anonymous,
                submitted_by=actor.username, created_at=crm.now(), submitted_on=today,
                ack_due_on=due_date(today, cfg.ack_working_days, working=True,
                                    holidays=holidays),
                resolve_due_on=due_date(today, cfg.resolve_days,
                                        working=cfg.resolve_in_working_days, holidays=holidays),
                attachment_stored=stored.stored_name if stored else None,
                attachment_name=stored.original_name if stored else None,
                attachment_type=stored.content_type if stored else None,
                attachment_size=stored.size if stored else None,
                attachment_sha256=stored.sha256 if stored else None,
            )
            event = _event(crm, row, actor, "submit", to_stage="new", text=None)
            _touch(crm, row, actor, "submitted", "by")
            _notify(crm, row, "feedback/received.txt", "feedback.received",
                    f"feedback:{row.number}:received")
            crm.hook.dyncrm_retain_feedback_received(crm=crm, ticket=to_ticket(row))
            act.done(number=row.number)
            return TicketResult(to_ticket(row), event_id=event.id)
    except BaseException:
        if stored is not None:
            attachments.remove(attachment_dir(crm), stored.stored_name)
        raise


def transition(crm: CRM, actor: Actor, number: str, action: str, *, text: str | None = None
               ) -> TicketResult:
    """Move a ticket through ``action`` (acknowledge, start, resolve, close, reject).

    ``resolve`` needs the resolution (what was done) and ``reject`` the reason,
    both sent to the member.  ``close`` may also be done by the member once
    the ticket is resolved.
    """
    row = get_row(number)
    if action == "close" and is_owner(actor, row):
        pass
    else:
        require_handler(crm, actor, row)
        if action == "reject":
            crm.require(actor, "feedback.manage")
    with crm.action(f"feedback.{action}", actor, key=f"feedback:{row.number}:{action}") as act:
        if act.replayed:
            return TicketResult(to_ticket(get_row(row.number)), replayed=True)
        row = get_row(row.number)  # re-read inside the transaction
        old = row.stage
        new = TICKET_STAGES.next_stage(label(row), old, action)
        if action == "resolve":
            text = _text(text, "resolution")
        elif action == "reject":
            text = _text(text, "reason")
        else:
            text = _text(text, "text", required=False) or None
        now, today = crm.now(), crm.today()
        row.stage = new
        if action == "acknowledge":
            row.acknowledged_at, row.acknowledged_on = now, today
        elif action == "start":
            row.started_at = now
        elif action == "resolve":
            row.resolved_at, row.resolved_on, row.resolution = now, today, text
        elif action == "close":
            row.closed_at = now
        elif action == "reject":
            row.rejected_at, row.reject_reason = now, text
        row.save()
        event = _event(crm, row, actor, action, from_stage=old, to_stage=new, text=text)
        _touch(crm, row, actor, DONE[action], "for")
        if action in ("acknowledge", "resolve", "reject"):
            _notify(crm, row, f"feedback/{DONE[action]}.txt", f"feedback.{DONE[action]}",
                    f"feedback:{row.number}:{action}", text=text)
        _changed(crm, row, action, actor)
        act.done(number=row.number)
        return TicketResult(to_ticket(row), event_id=event.id)


def acknowledge(crm: CRM, actor: Actor, number: str, *, text: str | None = None) -> TicketResult:
    """new → acknowledged; the member is told someone is looking at it."""
    return transition(crm, actor, number, "acknowledge", text=text)


def start(crm: CRM, actor: Actor, number: str) -> TicketResult:
    """acknowledged → in_progress."""
    return transition(crm, actor, number, "start")


def resolve(crm: CRM, actor: Actor, number: str, *, resolution: str) -> TicketResult:
    """acknowledged/in_progress → resolved, saying what was done; the member may then rate it."""
    return transition(crm, actor, number, "resolve", text=resolution)


def close(crm: CRM, actor: Actor, number: str) -> TicketResult:
    """resolved → closed (staff, or the member accepting the resolution)."""
    return transition(crm, actor, number, "close")


def reject(crm: CRM, actor: Actor, number: str, *, reason: str) -> TicketResult:
    """new/acknowledged/in_progress → rejected, with the reason sent to the member."""
    return transition(crm, actor, number, "reject", text=reason)


def assign(crm: CRM, actor: Actor, number: str, username: str) -> TicketResult:
    """Give the ticket to a staff member (who needs ``feedback.view``).

    Assigning to the current assignee again changes nothing and says so.
    """
    crm.require(actor, "feedback.manage")
    assignee = crm.actor(username)
    if not crm.users.can(assignee, "feedback.view"):
        raise ValidationError(f"{assignee.username} cannot see feedback tickets; assign it to "
                              "someone holding feedback.view", field="assignee")
    with crm.action("feedback.assign", actor) as act:
        row = get_row(number)
        if row.stage not in OPEN_STAGES:
            raise IllegalTransition(label(row), row.stage, "assign",
                                    ())
        if row.assignee == assignee.username:
            act.done(number=row.number)
            return TicketResult(to_ticket(row), replayed=True)
        old = row.assignee
        row.assignee = assignee.username
        row.save()
        event = _event(crm, row, actor, "assign", text=f"{old or '-'} -> {assignee.username}",
                       internal=True)
        _touch(crm, row, actor, "assigned", "for")
        _changed(crm, row, "assign", actor)
        return TicketResult(to_ticket(row), event_id=event.id)


def _message(crm: CRM, actor: Actor, number: str, text: str, *, internal: bool,
             key: str | None) -> TicketResult:
    action = "note" if internal else "reply"
    row = get_row(number)
    require_handler(crm, actor, row)
    text = _text(text, action)
    with crm.action(f"feedback.{action}", actor,
                    key=f"feedback:{row.number}:{action}:{key}" if key else None) as act:
        if act.replayed:
            return TicketResult(to_ticket(get_row(row.number)), replayed=True,
                                event_id=act.previous.get("event_id"))
        row = get_row(row.number)
        if row.stage not in ACTIVE_STAGES:
            raise IllegalTransition(label(row), row.stage, action, ())
        event = _event(crm, row, actor, action, text=text, internal=internal)
        _touch(crm, row, actor, "noted" if internal else "replied", "for")
        if not internal:
            _notify(crm, row, "feedback/reply.txt", "feedback.reply",
                    f"feedback:{row.number}:reply:{event.id}", text=text)
        _changed(crm, row, action, actor)
        act.done(number=row.number, event_id=event.id)
        return TicketResult(to_ticket(row), event_id=event.id)


def add_note(crm: CRM, actor: Actor, number: str, text: str, *, key: str | None = None
             ) -> TicketResult:
    """An internal note: staff see it, the member never does."""
    return _message(crm, actor, number, text, internal=True, key=key)


def reply(crm: CRM, actor: Actor, number: str, text: str, *, key: str | None = None
          ) -> TicketResult:
    """A reply the member sees and is sent (``crm.notify_member``)."""
    return _message(crm, actor, number, text, internal=False, key=key)


def rate(crm: CRM, actor: Actor, number: str, rating: int, *, comment: str = "") -> TicketResult:
    """The member's satisfaction (CSAT) with a resolved ticket, 1 (bad) to 5 (very good).

    Only once: the same rating again is a replay; a different one is refused.
    """
    row = get_row(number)
    if not is_owner(actor, row):
        raise PermissionDenied(actor.username, f"rate {label(row)} (only the member who filed "
                               "it can)", actor.roles)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError("must be a whole number from 1 to 5", field="rating")
    comment = _text(comment, "comment", required=False, limit=2000)
    with crm.action("feedback.rate", actor) as act:
        row = get_row(number)
        if row.rating is not None:
            if row.rating == rating:
                act.done(number=row.number)
                return TicketResult(to_ticket(row), replayed=True)
            raise ValidationError(f"{label(row)} was already rated {row.rating}; a rating "
                                  "cannot be changed", field="rating")
        if row.stage not in ("resolved", "closed"):
            raise IllegalTransition(label(row), row.stage, "rate", ())
        row.rating, row.rating_comment, row.rated_at = rating, comment or None, crm.now()
        row.save()
        event = _event(crm, row, actor, "rate", text=f"{rating}" + (f": {comment}"
                                                                    if comment else ""))
        _touch(crm, row, actor, "rated", "by", {"rating": rating})
        _changed(crm, row, "rate", actor)
        return TicketResult(to_ticket(row), event_id=event.id)


def publish(crm: CRM, actor: Actor, number: str, *, text: str, title: str | None = None
            ) -> TicketResult:
    """Show members what came of a resolved ticket, without personal data.

    Only ``title`` (default: the category) and ``text``, written by the admin,
    are published: never the member, the original text or the attachment.
    Text that names the member (name, number, e-mail, phone) is refused.
    """
    crm.require(actor, "feedback.publish")
    row = get_row(number)
    text = _text(text, "text", limit=4000)
    title = _text(title, "title", required=False, limit=200) or f"About {row.category}"
    member = crm.member(row.member_id)
    personal = [v for v in (member.name, member.number, member.email, member.phone)
                if v and len(v) >= 3]
    for value in personal:
        if value.casefold() in f"{title}\n{text}".casefold():
            raise ValidationError("the published text names the member (name, number, e-mail "
                                  "or phone); write it without personal data", field="text")
    with crm.action("feedback.publish", actor, key=f"feedback:{row.number}:publish") as act:
        if act.replayed:
            return TicketResult(to_ticket(get_row(row.number)), replayed=True)
        row = get_row(row.number)
        if row.stage not in ("resolved", "closed"):
            raise IllegalTransition(label(row), row.stage, "publish", ())
        row.published, row.public_title, row.public_text = True, title, text
        row.published_at = crm.now()
        row.save()
        event = _event(crm, row, actor, "publish", text=text)
        _touch(crm, row, actor, "published", "for")
        _changed(crm, row, "publish", actor)
        act.done(number=row.number)
        return TicketResult(to_ticket(row), event_id=event.id)


# -- reading ---------------------------------------------------------------


def history(row: FeedbackTicket, *, internal: bool) -> list[FeedbackEvent]:
    """The ticket's events, oldest first; without internal ones unless ``internal``."""
    query = FeedbackEvent.select().where(FeedbackEvent.ticket == row.id)
    if not internal:
        query = query.where(FeedbackEvent.internal == False)  # noqa: E712 (SQL, not Python)
    return list(query.order_by(FeedbackEvent.at, FeedbackEvent.id))


def read_attachment(crm: CRM, actor: Actor, number: str) -> tuple[bytes, str, str]:
    """``(content, display name, content type)`` of a ticket's attachment.

    A web portal serves it only with ``attachments.download_headers(name,
    content type)``: as an attachment, with ``X-Content-Type-Options: nosniff``.
    """
    row = get_row(number)
    require_view(crm, actor, row)
    if not row.attachment_stored:
        raise NotFoundError("attachment of ticket", row.number)
    data = (attachment_dir(crm) / row.attachment_stored).read_bytes()
    return data, row.attachment_name or "attachment", row.attachment_type or ""


def overdue_rows(crm: CRM, on: dt.date) -> list[tuple[FeedbackTicket, str, dt.date]]:
    """Open tickets past a deadline on ``on``: ``(row, "acknowledge"|"resolve", due date)``.

    One query; a ticket late for both deadlines appears twice.
    """
    rows = (FeedbackTicket.select()
            .where(FeedbackTicket.stage.in_(OPEN_STAGES),
                   ((FeedbackTicket.stage == "new") & (FeedbackTicket.ack_due_on < on))
                   | (FeedbackTicket.resolve_due_on < on))
            .order_by(FeedbackTicket.submitted_on, FeedbackTicket.id))
    out = []
    for row in rows:
        if row.stage == "new" and _date(row.ack_due_on) < on:
            out.append((row, "acknowledge", _date(row.ack_due_on)))
        if _date(row.resolve_due_on) < on:
            out.append((row, "resolve", _date(row.resolve_due_on)))
    return out
