"""expand.savings: simpanan pokok, wajib and sukarela on the core ledger.

Library API (what other plugins and deployments call)::

    deposit(crm, actor, member, product, amount, *, method, reference, on=None,
            proof=None, note="") -> DepositResult
    verify_deposit(crm, actor, deposit_id) -> DepositResult
    reject_deposit(crm, actor, deposit_id, reason) -> DepositResult
    withdraw(crm, actor, member, amount, *, reference, on=None, product="sukarela",
             method="cash") -> WithdrawalResult
    credit_sukarela(crm, actor, member_id, amount, *, reference, source_account,
                    memo="") -> SukarelaCredit
    balance(crm, member_id, product, *, as_of=None) -> Money
    balances(crm, member_id, *, as_of=None) -> dict[str, Money]
    wajib_due(crm, member_id, month) -> Money
    wajib_arrears(crm, member_id, as_of) -> list[tuple[date, Money]]
    arrears_by_member(crm, as_of) -> dict[int, Money]
    statement(crm, member_id, product, year=None) -> Statement

Ledger: a member's savings are the liability accounts ``savings.pokok:m<id>``,
``savings.wajib:m<id>`` and ``savings.sukarela:m<id>``; cash deposits debit
``cash``, transfers and payroll remittances debit ``bank``.  Each posted
deposit is one entry of kind ``savings.deposit`` with key
``deposit:<reference>``; each withdrawal ``savings.withdrawal`` with key
``withdrawal:<reference>``.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

from dyncrm_expand import savings_proofs as proofs
from dyncrm_expand.savings_config import METHODS, PRODUCTS, SavingsSettings
from dyncrm_expand.savings_models import (
    MODELS,
    SavingsDeposit,
    SavingsMemberClass,
    SavingsObligation,
)
from dyncrm_expand.savings_values import (
    DepositResult,
    Statement,
    StatementLine,
    SukarelaCredit,
    WithdrawalResult,
)
from dyncrm_expand.savings_wajib import (
    WajibCalculator,
    load_states,
    month_label,
    month_start,
)

from dyncrm import hookimpl
from dyncrm.db.models import Member
from dyncrm.errors import (
    DuplicateError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from dyncrm.lifecycle import StateMachine, member_label
from dyncrm.money import Money, from_minor, to_minor
from dyncrm.values import Actor, DueItem, Leg, MemberInfo, Permission, Product

PLUGIN = "expand.savings"

#: A deposit's own small lifecycle.
DEPOSIT_STAGES = StateMachine("deposit", {
    "pending": {"verify": "posted", "reject": "rejected"},
    "posted": {},
    "rejected": {},
})

__all__ = [
    "DEPOSIT_STAGES",
    "DepositResult",
    "Statement",
    "StatementLine",
    "SukarelaCredit",
    "WithdrawalResult",
    "arrears_by_member",
    "balance",
    "balances",
    "credit_sukarela",
    "deposit",
    "due_items",
    "get_deposit",
    "monthly_wajib",
    "pending_deposits",
    "pending_objection",
    "proof_path",
    "reject_deposit",
    "set_member_class",
    "settings",
    "statement",
    "verify_deposit",
    "wajib_arrears",
    "wajib_due",
    "wajib_paid_on_time",
    "withdraw",
]


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def settings(crm) -> SavingsSettings:
    """The deployment's savings settings."""
    return crm.plugin_config(PLUGIN)


def _calculator(crm) -> WajibCalculator:
    return WajibCalculator(settings(crm), crm.ledger.exponent(crm.currency))


def _member_row(crm, member: MemberInfo | int | str) -> Member:
    if isinstance(member, MemberInfo):
        return crm.member_row(member.id)
    return crm.member_row(member)


def _product(crm, product: str) -> str:
    name = settings(crm).canonical(product)
    if name is None:
        codes = ", ".join(settings(crm).product(p).code for p in PRODUCTS)
        raise ValidationError(f"unknown savings product {product!r}; products: {codes}",
                              field="product")
    return name


def product_name(crm, product: str) -> str:
    """The configured display name of a canonical product."""
    return settings(crm).product(product).name


def _money(crm, amount: Money | str | int | Decimal, field: str = "amount") -> Money:
    if isinstance(amount, Money):
        if amount.currency != crm.currency:
            raise ValidationError(f"must be in {crm.currency}, not {amount.currency}",
                                  field=field)
        value = amount
    elif isinstance(amount, str):
        value = crm.money(amount)
    elif isinstance(amount, int | Decimal) and not isinstance(amount, bool):
        value = Money.of(amount, crm.currency)
    else:
        raise ValidationError(f"{amount!r} is not an amount", field=field)
    if value.amount <= 0:
        raise ValidationError(f"must be above zero, not {crm.format_money(value)}", field=field)
    to_minor(value, crm.ledger.exponent(crm.currency))  # refuses sub-unit amounts
    return value


def _units(crm, value: Money) -> int:
    return to_minor(value, crm.ledger.exponent(value.currency))


def _from_units(crm, units: int) -> Money:
    return from_minor(int(units), crm.currency, crm.ledger.exponent(crm.currency))


def _reference(reference: str | None) -> str:
    text = (reference or "").strip()
    if not text:
        raise ValidationError("give a reference (receipt, transfer or batch number); it "
                              "makes a repeated entry harmless", field="reference")
    if len(text) > 120 or any(ord(c) < 32 for c in text):
        raise ValidationError("must be at most 120 printable characters", field="reference")
    return text


def _date_on(crm, on: dt.date | None) -> dt.date:
    today = crm.today()
    if on is None:
        return today
    if isinstance(on, dt.datetime):
        on = on.date()
    if on > today:
        raise ValidationError(f"{on.isoformat()} is in the future", field="date")
    return on


def savings_account(crm, product: str, member_id: int) -> str:
    """The ledger code of a member's savings account, opened if new."""
    return crm.ledger.open_account(f"savings.{product}", type="liability", member_id=member_id,
                                   name=f"{product_name(crm, product)} m{member_id}")


def money_account(crm, method: str) -> str:
    """``cash`` for cash, ``bank`` for transfers and payroll remittances (opened if new)."""
    kind = "cash" if method == "cash" else "bank"
    return crm.ledger.open_account(kind, type="asset", name="Cash" if kind == "cash" else "Bank")


def _can_view(crm, actor: Actor, member_id: int) -> None:
    if actor.member_id is not None and actor.member_id == member_id:
        return
    crm.require(actor, "savings.view")


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def _result(crm, row: SavingsDeposit, *, replayed: bool = False) -> DepositResult:
    return DepositResult(
        id=row.id, member_id=row.member_id, product=row.product,
        amount=_from_units(crm, row.amount), method=row.method, reference=row.reference,
        status=row.status, on=_as_date(row.effective_date), entry_id=row.entry_id,
        replayed=replayed, recorded_by=row.recorded_by, decided_by=row.decided_by,
        reject_reason=row.reject_reason, note=row.note or "", proof_file=row.proof_file,
        proof_name=row.proof_name, proof_sha256=row.proof_sha256,
    )


def _require_active(member: Member, doing: str) -> None:
    if member.stage != "active":
        raise ValidationError(
            f"cannot {doing} for {member_label(member)}: the member is {member.stage!r}, "
            "and savings move only for active members")


def _notify(crm, member_id: int, template: str, *, kind: str, key: str, **context: Any) -> None:
    crm.notify_member(member_id, template, kind=kind, key=key, essential=True, **context)


# ---------------------------------------------------------------------------
# deposits
# ---------------------------------------------------------------------------


def _pending_units(member_id: int, product: str) -> int:
    from peewee import fn

    return int(SavingsDeposit.select(fn.COALESCE(fn.SUM(SavingsDeposit.amount), 0))
               .where(SavingsDeposit.member == member_id, SavingsDeposit.product == product,
                      SavingsDeposit.status == "pending").scalar() or 0)


def _check_pokok_room(crm, member: Member, units: int, *, pending_counted: bool) -> None:
    """Refuse a pokok deposit above what is still owed (pending transfers included)."""
    calc = _calculator(crm)
    state = load_states(calc, stages=None, member_ids=[member.id])[member.id]
    room = calc.pokok_unpaid(state)
    if pending_counted:
        room -= _pending_units(member.id, "pokok")
    if units > room:
        owed = crm.format_money(_from_units(crm, state.pokok_owed_units))
        if room <= 0:
            raise ValidationError(
                f"{product_name(crm, 'pokok')} of {member_label(member)} ({owed}) is already "
                "paid in full" + (" or waiting for verification" if pending_counted else ""),
                field="amount")
        raise ValidationError(
            f"{product_name(crm, 'pokok')} of {member_label(member)} is {owed}; only "
            f"{crm.format_money(_from_units(crm, room))} is still to pay", field="amount")


def _post_deposit(crm, row: SavingsDeposit, actor: Actor) -> int:
    amount = _from_units(crm, row.amount)
    credit = savings_account(crm, row.product, row.member_id)
    debit = money_account(crm, row.method)
    result = crm.ledger.post(
        [Leg(debit, amount), Leg(credit, -amount)],
        kind="savings.deposit", actor=actor.username, key=f"deposit:{row.reference}",
        memo=f"{product_name(crm, row.product)} ({row.method}) ref {row.reference}",
        on=_as_date(row.effective_date), member_id=row.member_id,
        meta={"deposit": row.id, "product": row.product, "method": row.method},
    )
    if result.replayed:
        raise DuplicateError(f"ledger key deposit:{row.reference} is already used by entry "
                             f"{result.entry.id}", field="reference")
    return result.entry.id


def _find_replay(crm, reference: str, member: Member, product: str, units: int,
                 method: str) -> DepositResult | None:
    row = SavingsDeposit.get_or_none(SavingsDeposit.reference == reference)
    if row is None:
        return None
    if (row.member_id, row.product, row.amount, row.method) != (member.id, product, units,
                                                                 method):
        raise DuplicateError(
            f"reference {reference!r} was already used for deposit #{row.id} "
            f"({row.product} {crm.format_money(_from_units(crm, row.amount))} by "
            f"{row.method} for member id {row.member_id}); use a new reference",
            field="reference")
    return _result(crm, row, replayed=True)


def deposit(crm, actor: Actor, member: MemberInfo | int | str, product: str,
            amount: Money | str | int | Decimal, *, method: str, reference: str,
            on: dt.date | None = None, proof: bytes | str | os.PathLike | None = None,
            note: str = "") -> DepositResult:
    """Record a deposit to a member's savings.

    Cash and payroll deposits are posted at once; a transfer needs ``proof``
    (JPEG, PNG or PDF, checked by content) and waits as ``pending`` until a
    cashier verifies or rejects it.  ``reference`` is the idempotency key: the
    same reference with the same details returns the first deposit with
    ``replayed=True`` and writes nothing; with other details it is refused.

    Staff need ``savings.deposit``; a member may record a transfer to their own
    savings (it still waits for a cashier).
    """
    cfg = settings(crm)
    if method not in METHODS:
        raise ValidationError(f"method must be one of {', '.join(METHODS)}, not {method!r}",
                              field="method")
    reference = _reference(reference)
    canonical = _product(crm, product)
    value = _money(crm, amount)
    row = _member_row(crm, member)
    units = _units(crm, value)
    if not (actor.member_id == row.id and method == "transfer"):
        crm.require(actor, "savings.deposit")
    replay = _find_replay(crm, reference, row, canonical, units, method)
    if replay is not None:
        return replay
    on = _date_on(crm, on)
    _require_active(row, "record a deposit")
    note = (note or "").strip()
    if method == "transfer" and proof is None:
        raise ValidationError("a transfer needs the proof of transfer (photo or PDF)",
                              field="proof")
    if canonical == "pokok":
        _check_pokok_room(crm, row, units, pending_counted=True)
    stored = None
    if proof is not None:
        data, name = proofs.read_proof(proof, cfg.proof_max_bytes)
        stored = proofs.store_proof(data, name, data_dir=crm.config.data_dir,
                                    allowed=cfg.proof_types)
    try:
        with crm.action("savings.deposit", actor):
            if SavingsDeposit.select().where(SavingsDeposit.reference == reference).exists():
                raise DuplicateError(f"reference {reference!r} was recorded a moment ago by "
                                     "someone else; nothing was changed", field="reference")
            record = SavingsDeposit.create(
                member=row.id, product=canonical, amount=units, currency=crm.currency,
                method=method, reference=reference,
                status="pending" if method == "transfer" else "posted",
                effective_date=on, note=note, recorded_by=actor.username,
                recorded_at=crm.now(),
                proof_file=stored.file if stored else None,
                proof_name=stored.original_name if stored else None,
                proof_sha256=stored.sha256 if stored else None,
                proof_type=stored.type if stored else None,
                proof_size=stored.size if stored else None,
            )
            if record.status == "posted":
                record.entry = _post_deposit(crm, record, actor)
                record.decided_by = actor.username
                record.decided_at = crm.now()
                record.save()
            crm.touch(row.id, "expand", "by", "savings.deposit", actor, {
                "deposit": record.id, "product": canonical, "amount": str(value.amount),
                "method": method, "reference": reference, "status": record.status})
            if record.status == "posted" and cfg.notify_deposits:
                _notify(crm, row.id, "savings/deposit_received.txt", kind="savings.deposit",
                        key=f"savings.deposit:{record.id}", deposit=_result(crm, record),
                        product_name=product_name(crm, canonical))
    except BaseException:
        if stored is not None:
            proofs.discard_proof(stored, crm.config.data_dir)
        raise
    return _result(crm, record)


def get_deposit(crm, deposit_id: int) -> DepositResult:
    """A deposit by id (raises ``NotFoundError``)."""
    row = SavingsDeposit.get_or_none(SavingsDeposit.id == deposit_id)
    if row is None:
        raise NotFoundError("deposit", deposit_id)
    return _result(crm, row)


def proof_path(crm, deposit: DepositResult) -> Path | None:
    """Where a deposit's proof file is stored, if it has one."""
    if not deposit.proof_file:
        return None
    return proofs.proofs_dir(crm.config.data_dir) / deposit.proof_file


def pending_deposits(crm, member_id: int | None = None) -> list[DepositResult]:
    """Transfers waiting for verification, oldest first."""
    query = (SavingsDeposit.select().where(SavingsDeposit.status == "pending")
             .order_by(SavingsDeposit.recorded_at, SavingsDeposit.id))
    if member_id is not None:
        query = query.where(SavingsDeposit.member == member_id)
    return [_result(crm, r) for r in query]


def _decide(crm, actor: Actor, deposit_id: int, action: str) -> tuple[SavingsDeposit, bool]:
    """The deposit row and whether ``action`` was already done (a harmless repeat)."""
    row = SavingsDeposit.get_or_none(SavingsDeposit.id == deposit_id)
    if row is None:
        raise NotFoundError("deposit", deposit_id)
    done = {"verify": "posted", "reject": "rejected"}[action]
    if row.status == done:
        return row, True
    DEPOSIT_STAGES.next_stage(f"deposit #{row.id}", row.status, action)
    return row, False


def verify_deposit(crm, actor: Actor, deposit_id: int) -> DepositResult:
    """Post a pending transfer after checking its proof against the bank account.

    Needs ``savings.verify``.  Unless ``verify_own_transfers`` is set, the
    person who recorded the transfer may not verify it (four eyes).  Verifying
    a deposit that is already posted changes nothing and returns it with
    ``replayed=True``.
    """
    crm.require(actor, "savings.verify")
    row, repeated = _decide(crm, actor, deposit_id, "verify")
    if repeated:
        return _result(crm, row, replayed=True)
    if (not settings(crm).verify_own_transfers and not actor.is_system
            and row.recorded_by == actor.username):
        raise PermissionDenied(
            actor.username,
            f"verify deposit #{row.id} (they recorded it; another cashier must check it)",
            actor.roles)
    member = crm.member_row(row.member_id)
    _require_active(member, "verify a deposit")
    with crm.action("savings.verify", actor):
        if row.product == "pokok":
            _check_pokok_room(crm, member, row.amount, pending_counted=False)
        row.entry = _post_deposit(crm, row, actor)
        row.status = "posted"
        row.decided_by = actor.username
        row.decided_at = crm.now()
        row.save()
        result = _result(crm, row)
        crm.touch(row.member_id, "expand", "of", "savings.deposit_verified", actor,
                  {"deposit": row.id, "entry": row.entry_id})
        _notify(crm, row.member_id, "savings/transfer_verified.txt",
                kind="savings.deposit", key=f"savings.deposit:{row.id}:verified",
                deposit=result, product_name=product_name(crm, row.product))
    return result


def reject_deposit(crm, actor: Actor, deposit_id: int, reason: str) -> DepositResult:
    """Refuse a pending transfer with a reason the member is told.  Needs ``savings.verify``."""
    crm.require(actor, "savings.verify")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("say why the transfer is rejected; the member is told",
                              field="reason")
    row, repeated = _decide(crm, actor, deposit_id, "reject")
    if repeated:
        return _result(crm, row, replayed=True)
    with crm.action("savings.reject", actor):
        row.status = "rejected"
        row.reject_reason = reason
        row.decided_by = actor.username
        row.decided_at = crm.now()
        row.save()
        result = _result(crm, row)
        crm.touch(row.member_id, "expand", "for", "savings.deposit_rejected", actor,
                  {"deposit": row.id, "reason": reason})
        _notify(crm, row.member_id, "savings/transfer_rejected.txt",
                kind="savings.deposit", key=f"savings.deposit:{row.id}:rejected",
                deposit=result, product_name=product_name(crm, row.product))
    return result


# ---------------------------------------------------------------------------
# withdrawals and credits
# ---------------------------------------------------------------------------


def withdraw(crm, actor: Actor, member: MemberInfo | int | str,
             amount: Money | str | int | Decimal, *, reference: str,
             on: dt.date | None = None, product: str = "sukarela",
             method: str = "cash") -> WithdrawalResult:
    """Pay out sukarela savings; never below zero or the product's minimum balance.

    Pokok and wajib are refused: they are refunded only when the member
    leaves, net of debts (see ``expand.deactivation``).  ``reference`` makes a
    repeat harmless.  Needs ``savings.withdraw``; ``method`` is ``cash`` or
    ``transfer``.
    """
    canonical = _product(crm, product)
    row = _member_row(crm, member)
    if canonical != "sukarela":
        raise ValidationError(
            f"{product_name(crm, canonical)} cannot be withdrawn while {member_label(row)} is "
            "a member; it is refunded, net of debts, when the member leaves "
            "(dyncrm leave request)", field="product")
    if method not in ("cash", "transfer"):
        raise ValidationError("a withdrawal is paid in cash or by transfer", field="method")
    reference = _reference(reference)
    value = _money(crm, amount)
    key = f"withdrawal:{reference}"
    previous = crm.ledger.entry_by_key(key)
    if previous is not None:
        if (previous.member_id != row.id
                or Decimal(str(previous.meta.get("amount", "-1"))) != value.amount):
            raise DuplicateError(f"reference {reference!r} was already used for another "
                                 f"withdrawal (entry {previous.id}); use a new reference",
                                 field="reference")
        return WithdrawalResult(
            entry_id=previous.id, member_id=row.id, product="sukarela", amount=value,
            method=previous.meta.get("method", method), reference=reference,
            on=previous.effective_date,
            balance_after=_from_units(crm, int(previous.meta.get("balance_after_units", 0))),
            replayed=True)
    crm.require(actor, "savings.withdraw")
    on = _date_on(crm, on)
    _require_active(row, "withdraw savings")
    with crm.action("savings.withdrawal", actor):
        code = savings_account(crm, "sukarela", row.id)
        current = crm.ledger.balance(code)
        minimum = Money.of(settings(crm).sukarela.minimum_balance, crm.currency)
        after = current - value
        if after < minimum or after.is_negative():
            available = current - minimum if current > minimum else Money.zero(crm.currency)
            extra = (f" and must keep at least {crm.format_money(minimum)}"
                     if minimum.amount > 0 else "")
            raise ValidationError(
                f"{member_label(row)} has {crm.format_money(current)} in "
                f"{product_name(crm, 'sukarela')}{extra}; at most "
                f"{crm.format_money(available)} can be withdrawn", field="amount")
        posted = crm.ledger.post(
            [Leg(code, value), Leg(money_account(crm, method), -value)],
            kind="savings.withdrawal", actor=actor.username, key=key,
            memo=f"{product_name(crm, 'sukarela')} withdrawal ({method}) ref {reference}",
            on=on, member_id=row.id,
            meta={"amount": str(value.amount), "method": method,
                  "balance_after_units": _units(crm, after)})
        result = WithdrawalResult(entry_id=posted.entry.id, member_id=row.id,
                                  product="sukarela", amount=value, method=method,
                                  reference=reference, on=on, balance_after=after)
        crm.touch(row.id, "expand", "by", "savings.withdrawal", actor,
                  {"entry": posted.entry.id, "amount": str(value.amount),
                   "reference": reference})
        _notify(crm, row.id, "savings/withdrawal.txt", kind="savings.withdrawal",
                key=f"savings.withdrawal:{posted.entry.id}", withdrawal=result,
                product_name=product_name(crm, "sukarela"))
    return result


def credit_sukarela(crm, actor: Actor, member_id: int, amount: Money | str | int | Decimal,
                    *, reference: str, source_account: str, memo: str = "",
                    on: dt.date | None = None) -> SukarelaCredit:
    """Credit a member's sukarela savings from ``source_account`` (debited).

    For other plugins: a loan overpayment, an SHU share kept as savings.
    Idempotent by ``reference`` (ledger key ``sukarela:<reference>``); runs in
    its own ``crm.action`` (a savepoint inside the caller's).  Needs
    ``savings.deposit``; the member must be active.  ``on`` dates the entry
    (default today; never in the future).
    """
    reference = _reference(reference)
    value = _money(crm, amount)
    key = f"sukarela:{reference}"
    previous = crm.ledger.entry_by_key(key)
    if previous is not None:
        if previous.member_id != member_id:
            raise DuplicateError(f"reference {reference!r} was already used for another "
                                 f"member (entry {previous.id})", field="reference")
        return SukarelaCredit(entry_id=previous.id, member_id=member_id, amount=value,
                              reference=reference, replayed=True)
    crm.require(actor, "savings.deposit")
    on = _date_on(crm, on)
    row = crm.member_row(member_id)
    _require_active(row, "credit sukarela savings")
    with crm.action("savings.credit_sukarela", actor):
        code = savings_account(crm, "sukarela", member_id)
        posted = crm.ledger.post(
            [Leg(source_account, value), Leg(code, -value)],
            kind="savings.sukarela_credit", actor=actor.username, key=key,
            memo=memo or f"credited to {product_name(crm, 'sukarela')} ref {reference}",
            on=on, member_id=member_id, meta={"source": source_account})
        crm.touch(member_id, "expand", "for", "savings.sukarela_credit", actor,
                  {"entry": posted.entry.id, "amount": str(value.amount),
                   "source": source_account})
    return SukarelaCredit(entry_id=posted.entry.id, member_id=member_id, amount=value,
                          reference=reference)


# ---------------------------------------------------------------------------
# member classes (wajib amount by grade)
# ---------------------------------------------------------------------------


def set_member_class(crm, actor: Actor, member: MemberInfo | int | str, member_class: str,
                     *, since: dt.date | None = None) -> None:
    """Set the class (grade) that fixes a member's wajib amount, from a month on.

    Months before ``since`` keep the amount of the class they had.  Needs
    ``savings.manage``.
    """
    crm.require(actor, "savings.manage")
    row = _member_row(crm, member)
    member_class = (member_class or "").strip()
    known = settings(crm).wajib.by_class
    if not member_class:
        raise ValidationError("give a class", field="class")
    if known and member_class not in known:
        raise ValidationError(f"unknown class {member_class!r}; classes: "
                              f"{', '.join(sorted(known))}", field="class")
    month = month_start(since or crm.today())
    with crm.action("savings.set_class", actor):
        existing = SavingsMemberClass.get_or_none(SavingsMemberClass.member == row.id,
                                                  SavingsMemberClass.since == month)
        if existing is not None:
            existing.member_class = member_class
            existing.set_by = actor.username
            existing.set_at = crm.now()
            existing.save()
        else:
            SavingsMemberClass.create(member=row.id, member_class=member_class, since=month,
                                      set_by=actor.username, set_at=crm.now())
        crm.touch(row.id, "expand", "of", "savings.class", actor,
                  {"class": member_class, "since": month.isoformat()})


# ---------------------------------------------------------------------------
# balances, arrears and statements (all derived from the ledger)
# ---------------------------------------------------------------------------


def balance(crm, member_id: int, product: str, *, as_of: dt.date | None = None) -> Money:
    """A member's balance of one product (zero if never used)."""
    return crm.ledger.balance_or_zero(f"savings.{_product(crm, product)}", member_id,
                                      as_of=as_of)


def balances(crm, member_id: int, *, as_of: dt.date | None = None) -> dict[str, Money]:
    """``{"pokok": ..., "wajib": ..., "sukarela": ...}`` for one member, in one query."""
    found = crm.ledger.balances_by_member([f"savings.{p}" for p in PRODUCTS], as_of=as_of,
                                          member_ids=[member_id]).get(member_id, {})
    return {p: _from_units(crm, found.get(f"savings.{p}", 0)) for p in PRODUCTS}


def wajib_due(crm, member_id: int, month: dt.date) -> Money:
    """What is still unpaid of a month's simpanan wajib (zero if paid or not owed)."""
    calc = _calculator(crm)
    state = load_states(calc, stages=None, member_ids=[member_id]).get(member_id)
    if state is None:
        raise NotFoundError("member", member_id)
    return _from_units(crm, calc.due_for_month(state, month_start(month)))


def wajib_arrears(crm, member_id: int, as_of: dt.date) -> list[tuple[dt.date, Money]]:
    """Unpaid wajib months due on or before ``as_of``, oldest first, as ``(month, amount)``.

    Payments are those effective on or before ``as_of``, allocated to the
    oldest month first.
    """
    calc = _calculator(crm)
    state = load_states(calc, stages=None, member_ids=[member_id], as_of=as_of).get(member_id)
    if state is None:
        raise NotFoundError("member", member_id)
    return [(m, _from_units(crm, u)) for m, u in calc.arrears(state, as_of)]


def arrears_by_member(crm, as_of: dt.date) -> dict[int, Money]:
    """Wajib arrears of every active member who has some, ``{member_id: amount}``.

    Set-based: a fixed handful of grouped queries whatever the number of
    members (for reports and the payroll deduction list).
    """
    calc = _calculator(crm)
    out = {}
    for member_id, state in load_states(calc, as_of=as_of).items():
        units = sum(u for _, u in calc.arrears(state, as_of))
        if units:
            out[member_id] = _from_units(crm, units)
    return out


def wajib_paid_on_time(crm, year: int) -> frozenset[int]:
    """Active members who paid every wajib month of ``year`` they owed by its due date.

    A month counts as on time when the member's wajib paid by its due date
    covers it and every month before it.  Members who owed no month that year
    are left out.  Set-based (rewards use it at year end).
    """
    from dyncrm_expand.savings_wajib import SETTLEMENT_KIND_PREFIX
    from peewee import fn

    from dyncrm.db.models import Account, JournalEntry, Posting

    calc = _calculator(crm)
    year_end = dt.date(year, 12, 31)
    states = load_states(calc, as_of=year_end)
    rows = (Posting.select(Account.member, JournalEntry.effective_date,
                           fn.SUM(Posting.amount).alias("units"))
            .join(Account).switch(Posting).join(JournalEntry)
            .where(Account.kind == "savings.wajib", Account.member.is_null(False),
                   ~JournalEntry.kind.startswith(SETTLEMENT_KIND_PREFIX),
                   JournalEntry.effective_date <= year_end)
            .group_by(Account.member, JournalEntry.effective_date)
            .order_by(Account.member, JournalEntry.effective_date))
    payments: dict[int, list[tuple[dt.date, int]]] = {}
    for row in rows.dicts().iterator():
        payments.setdefault(row["member"], []).append(
            (_as_date(row["effective_date"]), -int(row["units"] or 0)))
    on_time = set()
    for member_id, state in states.items():
        owed = calc.months(state, due_until=year_end)
        this_year = [m for m in owed if m[0].year == year]
        if not this_year:
            continue
        cumulative = sum(units for month, _, units in owed if month.year < year)
        paid = payments.get(member_id, [])
        ok = True
        for _month, due, units in this_year:
            cumulative += units
            if sum(u for day, u in paid if day <= due) < cumulative:
                ok = False
                break
        if ok:
            on_time.add(member_id)
    return frozenset(on_time)


def statement(crm, member_id: int, product: str, year: int | None = None) -> Statement:
    """A member's movements on ``product`` (in ``year``, or ever) with running balances."""
    canonical = _product(crm, product)
    since = dt.date(year, 1, 1) if year else None
    until = dt.date(year, 12, 31) if year else None
    code = f"savings.{canonical}:m{member_id}"
    zero = Money.zero(crm.currency)
    from dyncrm.db.models import Account

    if not Account.select().where(Account.code == code).exists():
        crm.member_row(member_id)  # a clear NotFoundError for unknown members
        return Statement(member_id=member_id, product=canonical, since=since, until=until,
                         opening=zero, lines=(), closing=zero)
    raw = crm.ledger.statement(code, since=since, until=until)
    opening = (crm.ledger.balance(code, as_of=since - dt.timedelta(days=1))
               if since else zero)
    lines = tuple(StatementLine(date=r["date"], entry_id=r["entry"], kind=r["kind"],
                                memo=r["memo"], amount=r["amount"], balance=r["balance"],
                                key=r["key"]) for r in raw)
    closing = lines[-1].balance if lines else opening
    return Statement(member_id=member_id, product=canonical, since=since, until=until,
                     opening=opening, lines=lines, closing=closing)


# ---------------------------------------------------------------------------
# due items for reminders
# ---------------------------------------------------------------------------


def due_items(crm, on: dt.date) -> list[DueItem]:
    """Unpaid pokok and the wajib months due around ``on`` for active members.

    Wajib months falling due from ``reminder_lookback_days`` before ``on`` to
    ``reminder_lookahead_days`` after it, still unpaid (prepayments count),
    key ``wajib:<member>:<YYYY-MM>``; unpaid pokok, key ``pokok:<member>``.
    Set-based: one load for every member.
    """
    cfg = settings(crm)
    calc = _calculator(crm)
    lo = on - dt.timedelta(days=cfg.reminder_lookback_days)
    hi = on + dt.timedelta(days=cfg.reminder_lookahead_days)
    states = load_states(calc)
    items: list[DueItem] = []
    wajib_name, pokok_name = cfg.wajib.name, cfg.pokok.name
    for member_id, state in states.items():
        if state.start_on is None:
            continue
        pokok_units = calc.pokok_unpaid(state)
        if pokok_units:
            amount = _from_units(crm, pokok_units)
            items.append(DueItem(
                key=f"pokok:{member_id}", kind="savings.pokok", member_id=member_id,
                due_on=state.start_on + dt.timedelta(days=cfg.pokok.due_days), amount=amount,
                description=pokok_name,
                context={"product": "pokok", "product_name": pokok_name}))
        owed = calc.months(state, due_until=hi)
        for month, due, units in calc.unpaid(owed, state.paid_units):
            if due < lo:
                continue
            amount = _from_units(crm, units)
            label = month_label(month)
            items.append(DueItem(
                key=f"wajib:{member_id}:{label}", kind="savings.wajib", member_id=member_id,
                due_on=due, amount=amount,
                description=f"{wajib_name} for {label}",
                context={"product": "wajib", "product_name": wajib_name, "month": label}))
    return items


def pending_objection(crm, member_id: int) -> str | None:
    """A sentence when a member has transfers waiting for verification, else ``None``."""
    count = (SavingsDeposit.select().where(SavingsDeposit.member == member_id,
                                           SavingsDeposit.status == "pending").count())
    if count:
        return (f"{count} savings transfer(s) are waiting for verification; verify or reject "
                "them first (dyncrm savings pending)")
    return None


def _record_obligations(crm, member_id: int, on: dt.date) -> None:
    """Pokok owed and the wajib period from joining; idempotent."""
    if SavingsObligation.get_or_none(SavingsObligation.member == member_id,
                                     SavingsObligation.product == "pokok") is None:
        units = to_minor(Money.of(settings(crm).pokok.amount, crm.currency),
                         crm.ledger.exponent(crm.currency))
        SavingsObligation.create(member=member_id, product="pokok", amount=units, start_on=on)
    if SavingsObligation.get_or_none(SavingsObligation.member == member_id,
                                     SavingsObligation.product == "wajib") is None:
        SavingsObligation.create(member=member_id, product="wajib", amount=0, start_on=on)


# ---------------------------------------------------------------------------
# hooks
# ---------------------------------------------------------------------------


@hookimpl
def dyncrm_config_schema():
    return {PLUGIN: SavingsSettings}


@hookimpl
def dyncrm_migrations():
    return (PLUGIN, Path(str(files("dyncrm_expand") / "migrations" / "savings")))


@hookimpl
def dyncrm_register_models():
    return list(MODELS)


@hookimpl
def dyncrm_template_dirs():
    return [Path(str(files("dyncrm_expand") / "templates"))]


@hookimpl
def dyncrm_register_commands(cli):
    from dyncrm_expand.savings_cli import register

    register(cli)


@hookimpl
def dyncrm_permissions():
    staff = frozenset({"admin", "secretary", "treasurer", "cashier", "credit_committee"})
    return [
        Permission("savings.deposit", frozenset({"cashier", "treasurer"}),
                   "record savings deposits (cash, transfer, payroll)"),
        Permission("savings.verify", frozenset({"cashier", "treasurer"}),
                   "verify or reject transfers recorded by someone else"),
        Permission("savings.withdraw", frozenset({"cashier", "treasurer"}),
                   "pay out simpanan sukarela"),
        Permission("savings.view", staff,
                   "see any member's savings (members always see their own)"),
        Permission("savings.manage", frozenset({"admin", "treasurer"}),
                   "set members' classes for the simpanan wajib amount"),
    ]


@hookimpl
def dyncrm_acquire_member_joined(crm, member, actor):
    """Record the simpanan pokok obligation (and the start of wajib) for a new member."""
    _record_obligations(crm, member.id, member.joined_on or crm.today())


@hookimpl
def dyncrm_member_stage_changed(crm, change):
    """Open obligations on joining; end the wajib period on leaving, reopen on cancel."""
    member_id = change.member.id
    if change.old_stage == "applicant" and change.new_stage == "active":
        _record_obligations(crm, member_id, change.member.joined_on or change.on
                            or crm.today())
    elif change.new_stage == "leaving":
        (SavingsObligation.update(end_on=change.on or crm.today())
         .where(SavingsObligation.member == member_id, SavingsObligation.product == "wajib")
         .execute())
    elif change.old_stage == "leaving" and change.new_stage == "active":
        (SavingsObligation.update(end_on=None)
         .where(SavingsObligation.member == member_id, SavingsObligation.product == "wajib")
         .execute())


@hookimpl
def dyncrm_stage_change_objections(crm, change):
    """A member with transfers waiting for verification cannot start leaving."""
    if change.new_stage == "leaving":
        reason = pending_objection(crm, change.member.id)
        return [reason] if reason else None
    return None


@hookimpl
def dyncrm_acquire_products(crm):
    cfg = settings(crm)
    fmt = crm.format_money
    cur = crm.currency
    return [
        Product(cfg.pokok.code, cfg.pokok.name, "savings",
                f"paid once on joining: {fmt(Money.of(cfg.pokok.amount, cur))}", PLUGIN),
        Product(cfg.wajib.code, cfg.wajib.name, "savings",
                f"monthly: {fmt(Money.of(cfg.wajib.amount, cur))}"
                + (" (by class)" if cfg.wajib.by_class else ""), PLUGIN),
        Product(cfg.sukarela.code, cfg.sukarela.name, "savings",
                "any amount, any time; withdrawable", PLUGIN),
    ]


@hookimpl
def dyncrm_member_details(crm, member):
    if member.stage == "applicant":
        return None
    found = balances(crm, member.id)
    details = {product_name(crm, p): crm.format_money(found[p]) for p in PRODUCTS}
    if member.stage == "active":
        arrears = wajib_arrears(crm, member.id, crm.today())
        if arrears:
            total = sum((m for _, m in arrears), Money.zero(crm.currency))
            details[f"{product_name(crm, 'wajib')} arrears"] = (
                f"{crm.format_money(total)} ({len(arrears)} month(s))")
    return details


@hookimpl
def dyncrm_retain_due_items(crm, on):
    return due_items(crm, on)


def monthly_wajib(crm, member_id: int, month: dt.date) -> Money | None:
    """The simpanan wajib an active member owes for ``month`` by schedule (paid or not)."""
    calc = _calculator(crm)
    state = load_states(calc, member_ids=[member_id]).get(member_id)
    if state is None:
        return None
    first = month_start(month)
    owed = calc.months(state, through_month=first)
    if not owed or owed[-1][0] != first:
        return None
    return _from_units(crm, owed[-1][2])


@hookimpl
def dyncrm_expand_monthly_deductions(crm, member_id, month):
    """The month's simpanan wajib, for the take-home-pay cap and the payroll list."""
    amount = monthly_wajib(crm, member_id, month)
    if amount is None:
        return None
    return [(f"{product_name(crm, 'wajib')} {month_label(month_start(month))}", amount)]


@hookimpl
def dyncrm_expand_settlement_lines(crm, member, on):
    """+pokok, +wajib, +sukarela balances and −wajib arrears of a leaving member."""
    from dyncrm_expand.deactivation import SettlementLine

    cfg = settings(crm)
    found = balances(crm, member.id, as_of=on)
    lines = [SettlementLine(code=f"savings.{p}", label=product_name(crm, p), amount=found[p],
                            account=f"savings.{p}:m{member.id}", plugin=PLUGIN)
             for p in PRODUCTS]
    if cfg.deduct_arrears_on_leaving:
        arrears = wajib_arrears(crm, member.id, on)
        if arrears:
            total = sum((m for _, m in arrears), Money.zero(crm.currency))
            first, last = month_label(arrears[0][0]), month_label(arrears[-1][0])
            months = first if first == last else f"{first} to {last}"
            account = crm.ledger.open_account(cfg.arrears_account,
                                              type=_account_type(cfg.arrears_account))
            lines.append(SettlementLine(
                code="savings.wajib_arrears",
                label=f"{product_name(crm, 'wajib')} arrears ({months})",
                amount=-total, account=account, plugin=PLUGIN, capped=True))
    return lines


def _account_type(kind: str) -> str:
    head = kind.split(".", 1)[0]
    return {"equity": "equity", "income": "income", "expense": "expense",
            "payable": "liability", "savings": "liability"}.get(head, "asset")

