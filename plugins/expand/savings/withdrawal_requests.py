"""Members ask to withdraw simpanan sukarela; a cashier pays (or refuses) the request.

A request is only a wish: nothing leaves the member's savings until a cashier
pays it with :func:`pay_withdrawal_request`, which posts an ordinary
``savings.withdraw`` withdrawal (same checks of the balance and the minimum).
The checks live here: a member asks only for their own savings, only while
active, and never for more than is free (balance less the minimum and less
what their other open requests ask); asking again with the same ``key``
replays the first request.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from dyncrm.db.models import Member
from dyncrm.errors import NotFoundError, PermissionDenied, ValidationError
from dyncrm.i18n import N_
from dyncrm.money import Money
from dyncrm.text import clean_text
from dyncrm.values import Actor
from dyncrm_expand.savings.common import (
    check_reference,
    from_units,
    parse_amount,
    product_name,
    require_active,
    savings_account,
    settings,
    to_units,
)
from dyncrm_expand.savings.models import SavingsWithdrawalRequest

#: a request's stages
STATUSES = ("pending", "paid", "refused")




@attrs.frozen
class WithdrawalRequest:
    """A request to withdraw sukarela savings; ``replayed`` when the key was seen before."""

    id: int
    member_id: int
    amount: Money
    method: str
    note: str
    status: str
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None = None
    reason: str | None = None
    entry_id: int | None = None
    replayed: bool = False


def _value(crm, row: SavingsWithdrawalRequest, *, replayed: bool = False) -> WithdrawalRequest:
    return WithdrawalRequest(
        id=row.id, member_id=row.member_id, amount=from_units(crm, row.amount),
        method=row.method, note=row.note or "", status=row.status,
        requested_by=row.requested_by, requested_at=row.requested_at,
        decided_by=row.decided_by, reason=row.reason, entry_id=row.entry_id,
        replayed=replayed)


def _open_units(member_id: int) -> int:
    from peewee import fn

    return int(SavingsWithdrawalRequest
               .select(fn.COALESCE(fn.SUM(SavingsWithdrawalRequest.amount), 0))
               .where(SavingsWithdrawalRequest.member == member_id,
                      SavingsWithdrawalRequest.status == "pending").scalar() or 0)


def free_to_withdraw(crm, member_id: int) -> Money:
    """Sukarela a member may still ask for: balance less the minimum and open requests."""
    balance = crm.ledger.balance(savings_account(crm, "sukarela", member_id))
    minimum = Money.of(settings(crm).sukarela.minimum_balance, crm.currency)
    free = balance - minimum - from_units(crm, _open_units(member_id))
    return free if not free.is_negative() else Money.zero(crm.currency)


def request_withdrawal(crm, actor: Actor, amount: Money | str | int | Decimal, *, key: str,
                       method: str = "cash", note: str = "") -> WithdrawalRequest:
    """Ask to withdraw ``amount`` of one's own sukarela savings; a cashier pays it later.

    Only a member's own account may ask (``actor.member_id``).  ``key`` is the
    idempotency key: the same key again returns the first request.
    """
    if actor.member_id is None:
        raise PermissionDenied(actor.username, "ask to withdraw savings (the account is "
                               "not a member's)", actor.roles)
    if method not in ("cash", "transfer"):
        raise ValidationError("a withdrawal is paid in cash or by transfer", field="method")
    key = check_reference(key)
    value = parse_amount(crm, amount)
    note = clean_text(note, field="note", max_length=500)
    member_id = actor.member_id
    with crm.action("savings.withdrawal_request", actor):
        crm.lock([f"savings_withdrawal_requests:m{member_id}"])
        previous = SavingsWithdrawalRequest.get_or_none(SavingsWithdrawalRequest.key == key)
        if previous is not None:
            if previous.member_id != member_id or previous.amount != to_units(crm, value):
                raise ValidationError("this request was already sent with other details",
                                      field="_")
            return _value(crm, previous, replayed=True)
        require_active(crm.member_row(member_id), N_("ask to withdraw savings"))
        free = free_to_withdraw(crm, member_id)
        if value > free:
            raise ValidationError(
                f"at most {crm.format_money(free)} of {product_name(crm, 'sukarela')} can be "
                "asked for now", field="amount")
        row = SavingsWithdrawalRequest.create(
            member=member_id, amount=to_units(crm, value), currency=crm.currency,
            method=method, note=note, key=key, status="pending",
            requested_by=actor.username, requested_at=crm.now())
        crm.touch(member_id, "expand", "by", "savings.withdrawal_request", actor,
                  {"request": row.id, "amount": str(value.amount), "method": method})
    return _value(crm, row)


def _row(request_id: int) -> SavingsWithdrawalRequest:
    row = SavingsWithdrawalRequest.get_or_none(SavingsWithdrawalRequest.id == request_id)
    if row is None:
        raise NotFoundError("withdrawal request", request_id)
    return row


def get_withdrawal_request(crm, request_id: int) -> WithdrawalRequest:
    """A request by id (raises ``NotFoundError``)."""
    return _value(crm, _row(request_id))


def pay_withdrawal_request(crm, actor: Actor, request_id: int) -> WithdrawalRequest:
    """Pay a pending request: posts the withdrawal (``savings.withdraw``) and closes it.

    Paying a request already paid returns it with ``replayed=True``.
    """
    from dyncrm_expand.savings import withdraw

    crm.require(actor, "savings.withdraw")
    with crm.action("savings.withdrawal_request_paid", actor):
        crm.lock([f"savings_withdrawal_request:{request_id}"])
        row = _row(request_id)
        if row.status == "paid":
            return _value(crm, row, replayed=True)
        if row.status != "pending":
            raise ValidationError(f"withdrawal request {row.id} is {row.status}", field="_")
        paid = withdraw(crm, actor, row.member_id, from_units(crm, row.amount),
                        reference=f"withdrawal-request-{row.id}", method=row.method)
        row.status = "paid"
        row.entry = paid.entry_id
        row.decided_by = actor.username
        row.decided_at = crm.now()
        row.save()
    return _value(crm, row)


def refuse_withdrawal_request(crm, actor: Actor, request_id: int,
                              reason: str) -> WithdrawalRequest:
    """Close a pending request without paying, with a reason the member sees."""
    crm.require(actor, "savings.withdraw")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("say why the request is refused; the member is told",
                              field="reason")
    with crm.action("savings.withdrawal_request_refused", actor):
        crm.lock([f"savings_withdrawal_request:{request_id}"])
        row = _row(request_id)
        if row.status == "refused":
            return _value(crm, row, replayed=True)
        if row.status != "pending":
            raise ValidationError(f"withdrawal request {row.id} is {row.status}", field="_")
        row.status = "refused"
        row.reason = reason[:500]
        row.decided_by = actor.username
        row.decided_at = crm.now()
        row.save()
        crm.touch(row.member_id, "expand", "for", "savings.withdrawal_request_refused", actor,
                  {"request": row.id, "reason": row.reason})
    return _value(crm, row)


def withdrawal_requests(crm, *, member_id: int | None = None, status: str | None = None,
                        limit: int = 200) -> list[tuple[WithdrawalRequest, Member]]:
    """Requests with their member (one query), oldest first; filter by member or status."""
    query = (SavingsWithdrawalRequest.select(SavingsWithdrawalRequest, Member)
             .join(Member, on=(SavingsWithdrawalRequest.member == Member.id))
             .order_by(SavingsWithdrawalRequest.requested_at, SavingsWithdrawalRequest.id)
             .limit(limit))
    if member_id is not None:
        query = query.where(SavingsWithdrawalRequest.member == member_id)
    if status is not None:
        query = query.where(SavingsWithdrawalRequest.status == status)
    return [(_value(crm, row), row.member) for row in query]


__all__ = ["STATUSES", "SavingsWithdrawalRequest", "WithdrawalRequest",
           "free_to_withdraw", "get_withdrawal_request", "pay_withdrawal_request",
           "refuse_withdrawal_request", "request_withdrawal", "withdrawal_requests"]
