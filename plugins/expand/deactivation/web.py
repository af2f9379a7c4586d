"""The portal's pages of members leaving the cooperative.

A member (``/leave/``) sees the settlement they would get if they left today
(the lines ``dyncrm leave settlement`` shows), asks to leave with a reason, and
may withdraw the request while it waits for approval; the member always comes
from the sign-in.  Staff see the requests (``leave.view``) and approve
(``leave.approve``), pay the refund (``leave.pay``) or cancel (``leave.cancel``)
as ``dyncrm leave`` does.  Every rule is the library's
(:mod:`dyncrm_expand.deactivation`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from dyncrm.errors import IllegalTransition, NotFoundError, ValidationError
from dyncrm.hookspecs import hookimpl
from dyncrm.inputs import parse_date
from dyncrm.web import MenuEntry, QueueItem, QueueSource, WebExtension
from dyncrm.web.forms import field_error
from dyncrm.web.guards import actor, crm, member_only, own_member_id, staff_only
from dyncrm_expand import deactivation
from dyncrm_expand.deactivation import LEAVE_STAGES

blueprint = Blueprint("leave", __name__, url_prefix="/leave", template_folder="templates")




def _request(request_id: int):
    try:
        return deactivation.get_request(crm(), request_id)
    except NotFoundError:
        abort(404)


def _own_request(request_id: int):
    """The signed-in member's leave request (404 for anyone else's)."""
    found = _request(request_id)
    if found.member_id != own_member_id():
        abort(404)
    return found


# -- members -------------------------------------------------------------------------


def _mine(errors: dict[str, str] | None = None, form: Any = None, status: int = 200):
    c = crm()
    member_id = own_member_id()
    requests = deactivation.list_requests(c, member_id=member_id)
    open_ = next((r for r in requests if r.status in ("requested", "approved")), None)
    preview = deactivation.settlement(c, member_id, c.today())
    return render_template("web/leave/mine.html", requests=requests, open=open_,
                           preview=preview, member=c.member(member_id), errors=errors or {},
                           form=form or {}), status


@blueprint.route("/")
@member_only
def mine():
    """The member's settlement preview, their requests and the form to ask to leave."""
    return _mine()


@blueprint.route("/", methods=["POST"])
@member_only
def ask():
    """The member asks to leave, for themself, with a reason."""
    c = crm()
    errors: dict[str, str] = {}
    try:
        found = deactivation.request_leave(c, actor(), own_member_id(),
                                           request.form.get("reason", ""))
    except (ValidationError, IllegalTransition) as exc:
        errors.update(field_error(exc))
        return _mine(errors, request.form, 400)
    flash(c.t("Your request to leave (#{id}) is recorded; the board will decide on it.",
              id=found.id))
    return redirect(url_for("leave.mine"), 303)


@blueprint.route("/<int:request_id>/withdraw", methods=["POST"])
@member_only
def withdraw(request_id: int):
    """The member withdraws their own request while it waits for approval."""
    c = crm()
    found = _own_request(request_id)
    errors: dict[str, str] = {}
    try:
        deactivation.cancel_leave(c, actor(), found.id,
                                  request.form.get("reason", "") or c.t("I stay a member."))
    except (ValidationError, IllegalTransition) as exc:
        errors.update(field_error(exc))
        return _mine(errors, {}, 400)
    flash(c.t("Your request to leave is withdrawn; you stay a member."))
    return redirect(url_for("leave.mine"), 303)


# -- staff ---------------------------------------------------------------------------


@blueprint.route("/requests/")
@staff_only("leave.view")
def requests_list():
    """Leave requests waiting for approval or payout, then the others, newest first."""
    c = crm()
    found = deactivation.list_requests(c)
    members = _members({r.member_id for r in found})
    return render_template("web/leave/requests.html", requests=found, members=members)


def _members(ids: set[int]) -> dict[int, Any]:
    from dyncrm.db.models import Member

    if not ids:
        return {}
    return {m.id: m for m in Member.select().where(Member.id.in_(sorted(ids)))}


def _detail(found, errors: dict[str, str] | None = None, form: Any = None, status: int = 200):
    c = crm()
    preview = (deactivation.settlement(c, found.member_id, c.today())
               if found.status == "requested" else None)
    allowed = LEAVE_STAGES.allowed(found.status)
    return render_template("web/leave/detail.html", found=found, preview=preview,
                           member=c.member(found.member_id), allowed=allowed,
                           can=lambda p: c.users.can(actor(), p), errors=errors or {},
                           form=form or {}), status


@blueprint.route("/requests/<int:request_id>")
@staff_only("leave.view")
def detail(request_id: int):
    """A leave request with its settlement (preview or as posted) and the actions."""
    return _detail(_request(request_id))


def _act(request_id: int, do) -> Any:
    c = crm()
    found = _request(request_id)
    errors: dict[str, str] = {}
    try:
        message = do(c, found)
    except (ValidationError, IllegalTransition) as exc:
        errors.update(field_error(exc))
        return _detail(deactivation.get_request(c, found.id), errors, request.form, 400)
    flash(message)
    return redirect(url_for("leave.detail", request_id=found.id), 303)


@blueprint.route("/requests/<int:request_id>/approve", methods=["POST"])
@staff_only("leave.approve")
def approve(request_id: int):
    """Approve: the settlement is posted and the member becomes 'leaving'."""
    def do(c, found):
        text = request.form.get("payout_on", "").strip()
        payout_on = parse_date(text, field="payout_on", kind="business") if text else None
        deactivation.approve_leave(c, actor(), found.id, payout_on=payout_on)
        return c.t("Leave request #{id} is approved; the settlement is posted.", id=found.id)
    return _act(request_id, do)


@blueprint.route("/requests/<int:request_id>/pay", methods=["POST"])
@staff_only("leave.pay")
def pay(request_id: int):
    """Pay the refund: the member's membership ends."""
    def do(c, found):
        result = deactivation.pay_refund(c, actor(), found.id,
                                         method=request.form.get("method", ""),
                                         reference=request.form.get("reference", ""))
        return c.t("Paid {amount}; the membership has ended.",
                   amount=c.format_money(result.settlement_total))
    return _act(request_id, do)


@blueprint.route("/requests/<int:request_id>/cancel", methods=["POST"])
@staff_only("leave.cancel")
def cancel(request_id: int):
    """Cancel before payout; an approved settlement is reversed."""
    def do(c, found):
        deactivation.cancel_leave(c, actor(), found.id, request.form.get("reason", ""))
        return c.t("Leave request #{id} is cancelled; the member stays active.", id=found.id)
    return _act(request_id, do)


def _queue(c, who) -> list[QueueItem]:
    from dyncrm.db.models import Member
    from dyncrm_expand.deactivation.models import LeaveRequest as LeaveRequestRow

    rows = (LeaveRequestRow.select(LeaveRequestRow, Member)
            .join(Member, on=(LeaveRequestRow.member == Member.id))
            .where(LeaveRequestRow.status.in_(["requested", "approved"]))
            .order_by(LeaveRequestRow.requested_on, LeaveRequestRow.id))
    status = {"requested": c.t("waiting for approval"), "approved": c.t("refund to pay")}
    return [QueueItem(
        title=c.t("Leave request #{id}: {member}", id=r.id,
                  member=f"{r.member.number or '#' + str(r.member.id)} {r.member.name}"),
        url=url_for("leave.detail", request_id=r.id),
        waiting_since=r.requested_on if r.status == "requested" else r.approved_on,
        note=status[r.status]) for r in rows]


@hookimpl
def dyncrm_web(crm):
    """The leaving pages: the member's request and preview, the staff's requests."""
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("Leave the cooperative", "leave.mine", "member", order=95),
              MenuEntry("Members leaving", "leave.requests_list", "staff",
                        permission="leave.view", order=95)],
        queue=[QueueSource("Members leaving", "leave.view", _queue, order=95)],
    )
