"""expand.deactivation: leaving the cooperative with a correct settlement.

Library API::

    request_leave(crm, actor, member, reason, *, on=None) -> LeaveRequest
    settlement(crm, member_id, on) -> Settlement
    approve_leave(crm, actor, request_id, *, payout_on=None, on=None) -> LeaveRequest
    pay_refund(crm, actor, request_id, *, method, reference, on=None) -> LeaveRequest
    cancel_leave(crm, actor, request_id, reason, *, on=None) -> LeaveRequest
    get_request(crm, request_id) -> LeaveRequest
    list_requests(crm, *, status=None, member_id=None) -> list[LeaveRequest]

The settlement is gathered from every plugin through
``dyncrm_expand_settlement_lines``: savings contributes +pokok, +wajib,
+sukarela and −wajib arrears, the loans plugin −outstanding loan.  Each line
names the ledger account it settles.  On approval one entry of kind
``deactivation.settlement`` posts every line to its account (a positive line
is debited: the member's savings are released; a negative line is credited:
the loan receivable is netted, the arrears go to the cooperative) and credits
the total to ``payable.refund:m<id>``.  The member moves active → leaving.
Paying the refund (``deactivation.refund``: debit ``payable.refund``, credit
``cash`` or ``bank``) moves them leaving → inactive; the payout may be
scheduled for a later date (many AD/ART pay after the next RAT).  Cancelling
before payout posts the reversing entry (nothing is deleted) and moves the
member back to active.  The member row and all history stay.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from dyncrm import hookimpl
from dyncrm.dates import as_date as _as_date
from dyncrm.db.models import Member
from dyncrm.errors import DuplicateError, NotFoundError, ValidationError
from dyncrm.i18n import N_
from dyncrm.lifecycle import StateMachine, member_info, member_label
from dyncrm.money import Money, from_minor, to_minor
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Actor, Leg, MemberInfo, Permission
from dyncrm_expand.deactivation.chart import dyncrm_chart_accounts  # noqa: F401  (hook)
from dyncrm_expand.deactivation.models import MODELS
from dyncrm_expand.deactivation.models import LeaveRequest as LeaveRequestRow
from dyncrm_expand.savings import pending_objection

PLUGIN = "expand.deactivation"
REFUND_KIND = "payable.refund"

#: A leave request's lifecycle.
LEAVE_STAGES = StateMachine("leave request", {
    "requested": {"approve": "approved", "cancel": "cancelled"},
    "approved": {"pay": "paid", "cancel": "cancelled"},
    "paid": {"reverse_payout": "approved"},  # dyncrm leave reverse PAYOUT_ENTRY
    "cancelled": {},
})

__all__ = [
    "LEAVE_STAGES",
    "DeactivationSettings",
    "LeaveRequest",
    "Settlement",
    "SettlementLine",
    "approve_leave",
    "cancel_leave",
    "get_request",
    "list_requests",
    "pay_refund",
    "request_leave",
    "settlement",
]


# ---------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------


@attrs.frozen
class SettlementLine:
    """One line of a leaving member's settlement statement.

    ``amount`` is positive when the cooperative owes it to the member
    (savings), negative when the member owes it (loan, arrears).  ``account``
    is the ledger code the line is posted to at approval: ``amount`` is
    debited to it, so a positive line releases a liability (the member's
    savings) and a negative line credits an asset (the loan receivable) or
    the account that receives a deduction.

    ``capped`` marks a deduction taken only as far as the refund covers it
    (wajib arrears): it never makes the total negative and never blocks
    leaving; what it cannot take is waived.  Uncapped negative lines (loans)
    are debts: a total below zero refuses the request.
    """

    code: str
    label: str
    amount: Money
    account: str
    plugin: str = ""
    capped: bool = False


@attrs.frozen
class Settlement:
    """A member's settlement on a date: every line and the exact total."""

    member_id: int
    on: dt.date
    lines: tuple[SettlementLine, ...]
    total: Money

    @property
    def owed_to_member(self) -> Money:
        """Sum of the positive lines."""
        return sum((ln.amount for ln in self.lines if ln.amount.amount > 0),
                   Money.zero(self.total.currency))

    @property
    def owed_by_member(self) -> Money:
        """Sum of the negative lines, as a positive amount."""
        return -sum((ln.amount for ln in self.lines if ln.amount.amount < 0),
                    Money.zero(self.total.currency))


@attrs.frozen
class LeaveRequest:
    """A leave request as stored, with the settlement posted at approval (if any)."""

    id: int
    member_id: int
    status: str
    reason: str
    requested_on: dt.date
    requested_by: str
    approved_by: str | None = None
    approved_on: dt.date | None = None
    payout_on: dt.date | None = None
    settlement_total: Money | None = None
    lines: tuple[SettlementLine, ...] = ()
    settlement_entry_id: int | None = None
    paid_by: str | None = None
    paid_on: dt.date | None = None
    payout_method: str | None = None
    payout_reference: str | None = None
    payout_entry_id: int | None = None
    cancelled_by: str | None = None
    cancelled_on: dt.date | None = None
    cancel_reason: str | None = None
    reversal_entry_id: int | None = None
    replayed: bool = False


@attrs.frozen
class DeactivationSettings:
    """Settings of ``expand.deactivation`` (``[plugins."expand.deactivation"]``)."""

    #: default payout date = approval date + this many days (0: payable at once)
    payout_delay_days: int = attrs.field(default=0)

    @payout_delay_days.validator
    def _check(self, attribute, value) -> None:
        if value < 0:
            raise ValueError("payout_delay_days must not be negative")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _settings(crm) -> DeactivationSettings:
    return crm.plugin_config(PLUGIN)


def _exp(crm) -> int:
    return crm.ledger.exponent(crm.currency)


def _line_json(line: SettlementLine) -> dict[str, Any]:
    return {"code": line.code, "label": line.label, "amount": str(line.amount.amount),
            "currency": line.amount.currency, "account": line.account, "plugin": line.plugin,
            "capped": line.capped}


def _line_from_json(data: dict[str, Any]) -> SettlementLine:
    return SettlementLine(code=data["code"], label=data["label"],
                          amount=Money.of(Decimal(data["amount"]), data["currency"]),
                          account=data["account"], plugin=data.get("plugin", ""),
                          capped=bool(data.get("capped", False)))


def _value(crm, row: LeaveRequestRow, *, replayed: bool = False) -> LeaveRequest:
    total = (from_minor(int(row.settlement_total), row.currency or crm.currency, _exp(crm))
             if row.settlement_total is not None else None)
    return LeaveRequest(
        id=row.id, member_id=row.member_id, status=row.status, reason=row.reason,
        requested_on=_as_date(row.requested_on), requested_by=row.requested_by,
        approved_by=row.approved_by, approved_on=_as_date(row.approved_on),
        payout_on=_as_date(row.payout_on), settlement_total=total,
        lines=tuple(_line_from_json(d) for d in (row.lines or [])),
        settlement_entry_id=row.settlement_entry_id, paid_by=row.paid_by,
        paid_on=_as_date(row.paid_on), payout_method=row.payout_method,
        payout_reference=row.payout_reference, payout_entry_id=row.payout_entry_id,
        cancelled_by=row.cancelled_by, cancelled_on=_as_date(row.cancelled_on),
        cancel_reason=row.cancel_reason, reversal_entry_id=row.reversal_entry_id,
        replayed=replayed,
    )


def _row(request_id: int) -> LeaveRequestRow:
    row = LeaveRequestRow.get_or_none(LeaveRequestRow.id == request_id)
    if row is None:
        raise NotFoundError("leave request", request_id)
    return row


def _date_on(crm, on: dt.date | None, field: str = "date") -> dt.date:
    today = crm.today()
    if on is None:
        return today
    if isinstance(on, dt.datetime):
        on = on.date()
    if on > today:
        raise ValidationError(f"{on.isoformat()} is in the future", field=field)
    return on


def _text(value: str | None, field: str, why: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(why, field=field)
    if len(text) > 2000:
        raise ValidationError("must be at most 2000 characters", field=field)
    return text


def _is_self(actor: Actor, member_id: int) -> bool:
    return actor.member_id is not None and actor.member_id == member_id


def _next(row: LeaveRequestRow, action: str) -> str:
    return LEAVE_STAGES.next_stage(N_("leave request #{id}").format(id=row.id), row.status,
                                  action)


def _notify(crm, member_id: int, template: str, *, key: str, **context: Any) -> None:
    crm.notify_member(member_id, template, kind="deactivation", key=key, essential=True,
                      **context)


def refund_account(crm, member_id: int) -> str:
    """The member's ``payable.refund`` account (opened if new)."""
    return crm.ledger.open_account(REFUND_KIND, type="liability", member_id=member_id,
                                   name=f"Savings refund m{member_id}")


def _too_little(crm, member: Member, found: Settlement) -> ValidationError:
    debts = ", ".join(f"{ln.label} {crm.format_money(-ln.amount)}"
                      for ln in found.lines if ln.amount.amount < 0 and not ln.capped)
    return ValidationError(
        f"{member_label(member)} owes {crm.format_money(-found.total)} more than their "
        f"savings cover ({debts}); the debts must be repaid before they can leave")


# ---------------------------------------------------------------------------
# the API
# ---------------------------------------------------------------------------


def settlement(crm, member_id: int, on: dt.date | None = None) -> Settlement:
    """The settlement of ``member_id`` on ``on``: every plugin's lines and the exact total."""
    on = on or crm.today()
    member = member_info(crm.member_row(member_id))
    lines: list[SettlementLine] = []
    for result in crm.hook.dyncrm_expand_settlement_lines(crm=crm, member=member, on=on):
        for line in result or []:
            if not isinstance(line, SettlementLine):
                raise ValidationError(f"a settlement line must be a SettlementLine, "
                                      f"not {type(line).__name__}")
            if line.amount.currency != crm.currency:
                raise ValidationError(f"settlement line {line.code} is in "
                                      f"{line.amount.currency}, not {crm.currency}")
            lines.append(line)
    # what the member gets, then their debts, then capped deductions (stable within each)
    lines.sort(key=lambda ln: 2 if ln.capped else (1 if ln.amount.is_negative() else 0))
    lines = _apply_caps(crm, lines)
    total = sum((ln.amount for ln in lines), Money.zero(crm.currency))
    return Settlement(member_id=member_id, on=on, lines=tuple(lines), total=total)


def _apply_caps(crm, lines: list[SettlementLine]) -> list[SettlementLine]:
    """Shrink capped deductions, in order, to what the uncapped lines leave over."""
    zero = Money.zero(crm.currency)
    available = sum((ln.amount for ln in lines if not ln.capped), zero)
    out = []
    for line in lines:
        if line.capped and line.amount.is_negative():
            wanted = -line.amount
            take = min(wanted, available) if available.amount > 0 else zero
            available = available - take
            if take != wanted:
                line = attrs.evolve(line, amount=-take, label=(
                    f"{line.label}: {crm.format_money(take)} of {crm.format_money(wanted)} "
                    "deducted, the rest waived"))
        out.append(line)
    return out


def request_leave(crm, actor: Actor, member: MemberInfo | int | str, reason: str, *,
                  on: dt.date | None = None) -> LeaveRequest:
    """Record a member's request to leave, by the member or a secretary on their behalf.

    Refused when the member is not active, already has an open request, has
    savings transfers waiting for verification, or their debts exceed their
    savings (a loan is netted only when the settlement total stays at or
    above zero; capped deductions such as wajib arrears never refuse).
    """
    row = crm.member_row(member.id if isinstance(member, MemberInfo) else member)
    if not _is_self(actor, row.id):
        crm.require(actor, "leave.request")
    reason = _text(reason, "reason", "say why the member leaves")
    on = _date_on(crm, on)
    with crm.action("leave.request", actor):
        # two requests for one member at the same moment: the second sees the first
        crm.lock([f"leave:m{row.id}"])
        row = crm.member_row(row.id)
        if row.stage != "active":
            raise ValidationError(f"{member_label(row)} is {row.stage!r}; only active "
                                  "members can ask to leave")
        open_request = (LeaveRequestRow.select()
                        .where(LeaveRequestRow.member == row.id,
                               LeaveRequestRow.status.in_(["requested", "approved"])).first())
        if open_request is not None:
            raise DuplicateError(f"{member_label(row)} already has leave request "
                                 f"#{open_request.id} ({open_request.status})")
        pending = pending_objection(crm, row.id)
        if pending:
            raise ValidationError(f"{member_label(row)} cannot leave yet: {pending}")
        found = settlement(crm, row.id, on)
        if found.total.is_negative():
            raise _too_little(crm, row, found)
        created = LeaveRequestRow.create(member=row.id, status="requested", reason=reason,
                                         requested_on=on, requested_by=actor.username,
                                         requested_at=crm.now())
        crm.touch(row.id, "expand", "by" if _is_self(actor, row.id) else "of",
                  "leave.requested", actor, {"leave_request": created.id, "reason": reason})
        result = _value(crm, created)
        _notify(crm, row.id, "deactivation/requested.txt",
                key=f"leave:{created.id}:requested", request=result, settlement=found)
    return result


def approve_leave(crm, actor: Actor, request_id: int, *, payout_on: dt.date | None = None,
                  on: dt.date | None = None) -> LeaveRequest:
    """Approve a leave request: post the settlement and move the member to ``leaving``.

    The settlement is computed again on the approval date; the refund is
    credited to ``payable.refund`` and can be paid from ``payout_on``
    (default: the approval date plus ``payout_delay_days``).  Needs
    ``leave.approve``.
    """
    crm.require(actor, "leave.approve")
    row = _row(request_id)
    new_status = _next(row, "approve")
    on = _date_on(crm, on)
    requested_on = _as_date(row.requested_on)
    if on < requested_on:
        raise ValidationError(f"the request was made on {requested_on.isoformat()}; it "
                              "cannot be approved before that", field="date")
    if payout_on is None:
        payout_on = on + dt.timedelta(days=_settings(crm).payout_delay_days)
    if isinstance(payout_on, dt.datetime):
        payout_on = payout_on.date()
    if payout_on < on:
        raise ValidationError(f"the payout cannot be before the approval ({on.isoformat()})",
                              field="payout_on")
    member = crm.member_row(row.member_id)
    with crm.action("leave.approve", actor):
        crm.lock([f"leave:m{member.id}", f"leave_request:{row.id}"])
        row = _row(request_id)  # again, under the lock
        new_status = _next(row, "approve")
        # lock every account the settlement reads, then compute it on what they hold
        found = settlement(crm, member.id, on)
        crm.ledger.lock([ln.account for ln in found.lines]
                        + [refund_account(crm, member.id)])
        found = settlement(crm, member.id, on)
        if found.total.is_negative():
            raise _too_little(crm, member, found)
        legs = [Leg(ln.account, ln.amount) for ln in found.lines if ln.amount.amount != 0]
        entry_id = None
        if legs:
            if found.total.amount != 0:
                legs.append(Leg(refund_account(crm, member.id), -found.total))
            posted = crm.ledger.post(
                legs, kind="deactivation.settlement", actor=actor.username,
                key=f"leave:{row.id}:settlement", on=on, member_id=member.id,
                memo=f"settlement of {member_label(member)} leaving (request #{row.id})",
                meta={"leave_request": row.id,
                      "lines": [_line_json(ln) for ln in found.lines]})
            entry_id = posted.entry.id
        crm.lifecycle.transition(member.id, "request_leave", actor, reason=row.reason, on=on,
                                 phase="expand", payload={"leave_request": row.id})
        row.status = new_status
        row.approved_by = actor.username
        row.approved_on = on
        row.payout_on = payout_on
        row.settlement_total = to_minor(found.total, _exp(crm))
        row.currency = crm.currency
        row.lines = [_line_json(ln) for ln in found.lines]
        row.settlement_entry = entry_id
        row.save()
        result = _value(crm, row)
        _notify(crm, member.id, "deactivation/approved.txt", key=f"leave:{row.id}:approved",
                request=result, settlement=found)
    return result


def pay_refund(crm, actor: Actor, request_id: int, *, method: str, reference: str,
               on: dt.date | None = None) -> LeaveRequest:
    """Pay out an approved settlement and move the member to ``inactive``.

    Debits ``payable.refund`` and credits ``cash`` or ``bank`` with what the
    member is owed; not before the scheduled payout date.  ``reference``
    makes a repeat harmless.  Needs ``leave.pay``.
    """
    crm.require(actor, "leave.pay")
    if method not in ("cash", "transfer"):
        raise ValidationError("a refund is paid in cash or by transfer", field="method")
    reference = _text(reference, "reference",
                      "give a reference (receipt or transfer number) for the payout")
    row = _row(request_id)
    if row.status == "paid" and row.payout_reference == reference:
        return _value(crm, row, replayed=True)
    new_status = _next(row, "pay")
    on = _date_on(crm, on)
    payout_on = _as_date(row.payout_on)
    if payout_on is not None and on < payout_on:
        raise ValidationError(f"the refund of leave request #{row.id} is scheduled for "
                              f"{payout_on.isoformat()}; it cannot be paid before", field="date")
    if LeaveRequestRow.select().where(LeaveRequestRow.payout_reference == reference).exists():
        raise DuplicateError(f"reference {reference!r} was already used for another payout",
                             field="reference")
    member = crm.member_row(row.member_id)
    with crm.action("leave.pay", actor):
        crm.lock([f"leave:m{member.id}", f"leave_request:{row.id}"])
        row = _row(request_id)  # again, under the lock: a second cashier waits here
        if row.status == "paid" and row.payout_reference == reference:
            return _value(crm, row, replayed=True)
        new_status = _next(row, "pay")
        if LeaveRequestRow.select().where(
                LeaveRequestRow.payout_reference == reference).exists():
            raise DuplicateError(f"reference {reference!r} was already used for another "
                                 "payout", field="reference")
        code = refund_account(crm, member.id)
        crm.ledger.lock([code])
        owed = crm.ledger.balance(code)
        entry_id = None
        if owed.amount > 0:
            kind = "cash" if method == "cash" else "bank"
            cash = crm.ledger.open_account(kind, type="asset",
                                           name="Cash" if kind == "cash" else "Bank")
            posted = crm.ledger.post(
                [Leg(code, owed), Leg(cash, -owed)], kind="deactivation.refund",
                actor=actor.username, key=f"refund:{reference}", on=on, member_id=member.id,
                memo=f"savings refund to {member_label(member)} (request #{row.id})",
                meta={"leave_request": row.id, "method": method})
            if posted.replayed:
                raise DuplicateError(f"ledger key refund:{reference} is already used",
                                     field="reference")
            entry_id = posted.entry.id
        crm.lifecycle.transition(member.id, "complete_leave", actor, reason=row.reason, on=on,
                                 phase="expand", payload={"leave_request": row.id})
        row.status = new_status
        row.paid_by = actor.username
        row.paid_on = on
        row.payout_method = method
        row.payout_reference = reference
        row.payout_entry = entry_id
        row.save()
        result = _value(crm, row)
        _notify(crm, member.id, "deactivation/paid.txt", key=f"leave:{row.id}:paid",
                request=result, amount=owed)
    return result


def cancel_leave(crm, actor: Actor, request_id: int, reason: str, *,
                 on: dt.date | None = None) -> LeaveRequest:
    """Cancel a leave request before the refund is paid.

    An approved request's settlement entry is reversed (a reversing entry,
    nothing deleted) and the member returns to ``active``.  Needs
    ``leave.cancel``; the member may cancel their own request while it is not
    yet approved.
    """
    row = _row(request_id)
    if not (_is_self(actor, row.member_id) and row.status == "requested"):
        crm.require(actor, "leave.cancel")
    reason = _text(reason, "reason", "say why the request is cancelled")
    new_status = _next(row, "cancel")
    on = _date_on(crm, on)
    member = crm.member_row(row.member_id)
    with crm.action("leave.cancel", actor):
        crm.lock([f"leave:m{member.id}", f"leave_request:{row.id}"])
        row = _row(request_id)  # again, under the lock
        new_status = _next(row, "cancel")
        if row.status == "approved":
            if row.settlement_entry_id is not None:
                reversal = crm.ledger.reverse(
                    row.settlement_entry_id, actor=actor.username, owner=PLUGIN,
                    key=f"leave:{row.id}:settlement:reversal", on=on,
                    memo=f"leave request #{row.id} cancelled: {reason}")
                row.reversal_entry = reversal.entry.id
            crm.lifecycle.transition(member.id, "cancel_leave", actor, reason=reason, on=on,
                                     phase="expand", payload={"leave_request": row.id})
        else:
            crm.touch(member.id, "expand", "by" if _is_self(actor, member.id) else "of",
                      "leave.cancelled", actor, {"leave_request": row.id, "reason": reason})
        row.status = new_status
        row.cancelled_by = actor.username
        row.cancelled_on = on
        row.cancel_reason = reason
        row.save()
        result = _value(crm, row)
        _notify(crm, member.id, "deactivation/cancelled.txt", key=f"leave:{row.id}:cancelled",
                request=result)
    return result


def get_request(crm, request_id: int) -> LeaveRequest:
    """A leave request by id (raises ``NotFoundError``)."""
    return _value(crm, _row(request_id))


def list_requests(crm, *, status: str | None = None,
                  member_id: int | None = None) -> list[LeaveRequest]:
    """Leave requests, newest first, optionally by status or member."""
    query = LeaveRequestRow.select().order_by(LeaveRequestRow.id.desc())
    if status is not None:
        if status not in LEAVE_STAGES.stages:
            raise ValidationError(f"status must be one of {', '.join(LEAVE_STAGES.stages)}",
                                  field="status")
        query = query.where(LeaveRequestRow.status == status)
    if member_id is not None:
        query = query.where(LeaveRequestRow.member == member_id)
    return [_value(crm, r) for r in query]


# ---------------------------------------------------------------------------
# hooks
# ---------------------------------------------------------------------------


spec = PluginSpec(
    PLUGIN,
    web="dyncrm_expand.deactivation.web:dyncrm_web",
    settings=DeactivationSettings,
    models=MODELS,
    migrations="migrations",
    templates="templates",
    commands="dyncrm_expand.deactivation.cli:register",
    permissions=[
        Permission("leave.request", frozenset({"admin", "secretary"}),
                   "record a member's request to leave (members may ask for themselves)"),
        Permission("leave.approve", frozenset({"admin", "treasurer"}),
                   "approve a leave request and post its settlement"),
        Permission("leave.pay", frozenset({"treasurer", "cashier"}),
                   "pay out a leaving member's refund"),
        Permission("leave.cancel", frozenset({"admin", "secretary", "treasurer"}),
                   "cancel a leave request before the refund is paid"),
        Permission("leave.view", frozenset({"admin", "secretary", "treasurer", "cashier"}),
                   "see leave requests and settlements (members see their own)"),
        Permission("leave.correct", frozenset({"admin", "treasurer"}),
                   "reverse a refund payout that did not reach the member "
                   "(dyncrm leave reverse)"),
    ],
    requires=("expand.savings",),
)
spec.export(globals())


@hookimpl
def dyncrm_receipt_kinds(crm):
    """The settlement of a leaving member and the refund paid out get a receipt."""
    from dyncrm.receipts import ReceiptKind

    return [
        ReceiptKind("deactivation.settlement", "Leave settlement",
                    ("deactivation.settlement",), "internal"),
        ReceiptKind("deactivation.refund", "Savings refund on leaving",
                    ("deactivation.refund",), "out"),
    ]


@hookimpl
def dyncrm_ledger_owners():
    """Settlements and refund payouts are corrected by ``leave reverse``, never alone."""
    from dyncrm_expand.deactivation.corrections import OWNERS

    return OWNERS


@hookimpl
def dyncrm_member_details(crm, member):
    open_request = (LeaveRequestRow.select()
                    .where(LeaveRequestRow.member == member.id)
                    .order_by(LeaveRequestRow.id.desc()).first())
    if open_request is None:
        return None
    value = _value(crm, open_request)
    text = f"#{value.id} {value.status} since {value.requested_on.isoformat()}"
    if value.status == "approved" and value.settlement_total is not None:
        text += (f"; refund {crm.format_money(value.settlement_total)} payable from "
                 f"{value.payout_on.isoformat()}")
    return {"Leave request": text}
