"""The portal's pages of kritik & saran (complaints and suggestions).

Members (``/feedback/``) file a ticket, follow their own tickets, write back and
rate a resolved one; a ticket of another member is a 404.  Staff holding
``feedback.manage`` handle tickets: acknowledge, reply, resolve, reject, as
``dyncrm feedback`` does.  Every rule is the library's
(:mod:`dyncrm_retain.feedback.tickets`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from dyncrm.errors import IllegalTransition, NotFoundError, ValidationError
from dyncrm.hookspecs import hookimpl
from dyncrm.web import Card, MenuEntry, QueueItem, QueueSource, WebExtension
from dyncrm.web.forms import field_error, form_key
from dyncrm.web.guards import actor, crm, member_only, own_member_id, staff_only
from dyncrm_retain.feedback import attachments, tickets
from dyncrm_retain.feedback.member import member_reply
from dyncrm_retain.feedback.models import FeedbackTicket

blueprint = Blueprint("feedback", __name__, url_prefix="/feedback", template_folder="templates")

#: staff actions on the ticket page: form action -> library action
STAFF_ACTIONS = ("acknowledge", "start", "resolve", "reject")






def _own_row(number: str) -> FeedbackTicket:
    """The signed-in member's ticket ``number`` (404 for anyone else's)."""
    try:
        row = tickets.get_row(number)
    except NotFoundError:
        abort(404)
    if row.member_id != own_member_id():
        abort(404)
    return row


def _staff_row(number: str) -> FeedbackTicket:
    try:
        return tickets.get_row(number)
    except NotFoundError:
        abort(404)


def _due(c, day: dt.date) -> dt.datetime:
    """The end of ``day`` in the organisation's time, as naive UTC (like ``crm.now()``)."""
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=c.tz)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _member_label(c, who, row: FeedbackTicket) -> str:
    if not tickets.sees_identity(c, who, row):
        return c.t("(anonymous)")
    m = row.member
    return f"{m.number or '#' + str(m.id)} {m.name}"


def _categories() -> list[tuple[str, str]]:
    return [(name, name) for name in tickets.settings(crm()).categories]


def _kinds() -> list[tuple[str, str]]:
    c = crm()
    return [("complaint", c.t("Complaint")), ("suggestion", c.t("Suggestion"))]


# -- members -------------------------------------------------------------------------


def _mine(errors: dict[str, str] | None = None, form: Any = None, status: int = 200):
    rows = list(FeedbackTicket.select().where(FeedbackTicket.member == own_member_id())
                .order_by(FeedbackTicket.id.desc()))
    return render_template("web/feedback/mine.html", rows=rows, errors=errors or {},
                           form=form or {}, categories=_categories(), kinds=_kinds(),
                           key=form_key((form or {}).get("key"))), status


@blueprint.route("/")
@member_only
def mine():
    """The member's tickets and the form to file a new one."""
    return _mine()


@blueprint.route("/", methods=["POST"])
@member_only
def submit():
    """File a complaint or suggestion for the signed-in member."""
    c = crm()
    form = request.form
    errors: dict[str, str] = {}
    upload = request.files.get("attachment")
    attachment = None
    if upload is not None and upload.filename:
        attachment = (upload.read(), upload.filename)
    try:
        result = tickets.submit(c, actor(), category=form.get("category", ""),
                                subject=form.get("subject", ""), text=form.get("text", ""),
                                kind=form.get("kind", "complaint"),
                                anonymous=form.get("anonymous") == "1",
                                attachment=attachment, key=form_key(form.get("key")))
    except ValidationError as exc:
        errors.update(field_error(exc))
        return _mine(errors, form, 400)
    flash(c.t("Ticket {number} is filed.", number=result.ticket.number))
    return redirect(url_for("feedback.ticket", number=result.ticket.number), 303)


def _ticket_page(row: FeedbackTicket, errors: dict[str, str] | None = None, status: int = 200):
    return render_template("web/feedback/ticket.html", row=row, hidden=set(),
                           history=tickets.history(row, internal=False),
                           errors=errors or {}, key=form_key(None)), status


@blueprint.route("/<number>")
@member_only
def ticket(number: str):
    """One of the member's tickets with its history (internal notes left out)."""
    return _ticket_page(_own_row(number))


@blueprint.route("/<number>/reply", methods=["POST"])
@member_only
def reply(number: str):
    """The member writes back on their ticket."""
    c = crm()
    row = _own_row(number)
    errors: dict[str, str] = {}
    try:
        member_reply(c, actor(), row.number, request.form.get("text", ""),
                     key=form_key(request.form.get("key")))
    except (ValidationError, IllegalTransition) as exc:
        errors.update(field_error(exc))
        return _ticket_page(row, errors, 400)
    flash(c.t("Your message is added to ticket {number}.", number=row.number))
    return redirect(url_for("feedback.ticket", number=row.number), 303)


@blueprint.route("/<number>/rate", methods=["POST"])
@member_only
def rate(number: str):
    """The member rates how a resolved ticket was handled (1 to 5)."""
    c = crm()
    row = _own_row(number)
    errors: dict[str, str] = {}
    try:
        try:
            rating = int(request.form.get("rating", ""))
        except ValueError:
            raise ValidationError(c.t("Choose a rating from 1 to 5."), field="rating") from None
        tickets.rate(c, actor(), row.number, rating, comment=request.form.get("comment", ""))
    except (ValidationError, IllegalTransition) as exc:
        errors.update(field_error(exc))
        return _ticket_page(row, errors, 400)
    flash(c.t("Thank you for rating ticket {number}.", number=row.number))
    return redirect(url_for("feedback.ticket", number=row.number), 303)


def _attachment(number: str) -> Response:
    """The ticket's attachment, always as a download (never shown inside the portal)."""
    data, name, content_type = tickets.read_attachment(crm(), actor(), number)
    return Response(data, headers=attachments.download_headers(name, content_type))


@blueprint.route("/<number>/attachment")
@member_only
def attachment(number: str):
    """The attachment of the member's own ticket."""
    return _attachment(_own_row(number).number)


# -- staff ---------------------------------------------------------------------------


@blueprint.route("/handle/")
@staff_only("feedback.manage")
def handle_list():
    """Open tickets, oldest first, with their deadlines."""
    c = crm()
    rows = list(FeedbackTicket.select().where(FeedbackTicket.stage.in_(tickets.OPEN_STAGES))
                .order_by(FeedbackTicket.submitted_on, FeedbackTicket.id))
    return render_template("web/feedback/handle_list.html", rows=rows, today=c.today(),
                           label=lambda r: _member_label(c, actor(), r))


def _handle_page(row: FeedbackTicket, errors: dict[str, str] | None = None, form: Any = None,
                 status: int = 200):
    c = crm()
    who = actor()
    hidden: set[str] = set()
    if not tickets.sees_identity(c, who, row):  # the member's logins would give them away
        from dyncrm.db.models import User

        hidden = {u.username for u in User.select(User.username)
                  .where(User.member == row.member_id)}
    labels = {"acknowledge": c.t("Acknowledge"), "start": c.t("Start work"),
              "resolve": c.t("Resolve"), "reject": c.t("Reject")}
    choices = [(a, labels[a]) for a in tickets.TICKET_STAGES.allowed(row.stage) if a in labels]
    if row.stage in tickets.ACTIVE_STAGES:
        choices.append(("reply", c.t("Reply to the member")))
        choices.append(("note", c.t("Internal note (never shown to the member)")))
    return render_template("web/feedback/handle.html", row=row, hidden=hidden, choices=choices,
                           member=_member_label(c, who, row),
                           history=tickets.history(row, internal=True),
                           errors=errors or {}, form=form or {}, key=form_key(None),
                           today=c.today()), status


@blueprint.route("/handle/<number>")
@staff_only("feedback.manage")
def handle(number: str):
    """A ticket for staff: what the member wrote, the history and the actions."""
    return _handle_page(_staff_row(number))


@blueprint.route("/handle/<number>", methods=["POST"])
@staff_only("feedback.manage")
def handle_post(number: str):
    """Acknowledge, start, resolve, reject, reply or note, as ``dyncrm feedback`` does."""
    c = crm()
    row = _staff_row(number)
    form = request.form
    action = form.get("action", "")
    text = form.get("text", "")
    errors: dict[str, str] = {}
    try:
        if action == "reply":
            tickets.reply(c, actor(), row.number, text, key=form_key(form.get("key")))
        elif action == "note":
            tickets.add_note(c, actor(), row.number, text, key=form_key(form.get("key")))
        elif action in STAFF_ACTIONS:
            tickets.transition(c, actor(), row.number, action, text=text or None)
        else:
            raise ValidationError(c.t("Choose what to do with the ticket."), field="action")
    except (ValidationError, IllegalTransition) as exc:
        errors.update(field_error(exc))
        for field in ("resolution", "reason", "reply", "note"):
            if field in errors:
                errors["text"] = errors.pop(field)
        return _handle_page(tickets.get_row(row.number), errors, form, 400)
    flash(c.t("Ticket {number} is updated.", number=row.number))
    return redirect(url_for("feedback.handle", number=row.number), 303)


@blueprint.route("/handle/<number>/attachment")
@staff_only("feedback.manage")
def handle_attachment(number: str):
    """A ticket's attachment for staff handling it."""
    return _attachment(_staff_row(number).number)


def _queue(c, who) -> list[QueueItem]:
    rows = (FeedbackTicket.select().where(FeedbackTicket.stage.in_(tickets.OPEN_STAGES))
            .order_by(FeedbackTicket.submitted_on, FeedbackTicket.id))
    return [QueueItem(
        title=c.t("Ticket {number}: {subject}", number=r.number, subject=r.subject),
        url=url_for("feedback.handle", number=r.number),
        waiting_since=r.created_at,
        due=_due(c, tickets._date(r.ack_due_on if r.stage == "new" else r.resolve_due_on)),
        note=f"{r.category}, {r.stage.replace('_', ' ')}") for r in rows]


def _card(c, who) -> dict[str, Any] | None:
    if who.member_id is None:
        return None
    open_ = (FeedbackTicket.select().where(FeedbackTicket.member == who.member_id,
                                           FeedbackTicket.stage.in_(tickets.OPEN_STAGES))
             .count())
    return {"open": open_}


@hookimpl
def dyncrm_web(crm):
    """The kritik & saran pages, the member's card and the staff queue of tickets."""
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("Complaints and suggestions", "feedback.mine", "member", order=60),
              MenuEntry("Tickets to handle", "feedback.handle_list", "staff",
                        permission="feedback.manage", order=60)],
        cards=[Card("Complaints and suggestions", "web/feedback/_card.html", _card, "member",
                    order=60)],
        queue=[QueueSource("Tickets to handle", "feedback.manage", _queue, order=60)],
    )
