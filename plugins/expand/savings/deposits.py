"""Deposits: cash and payroll posted at once, transfers with a proof verified by a cashier.

A transfer's proof that is the same file as the proof of another deposit (its
SHA-256 as uploaded or as stored equals either hash of the other's) is recorded
when it is uploaded (``DepositResult.duplicate_proof_of``, and the deposit's
touchpoint) and stops its verification: :func:`verify_deposit` refuses with
:class:`DuplicateProof`, naming the other deposits, until the cashier confirms
(``confirm_duplicate_proof=True``) that it is another transfer after all; who
confirmed is recorded in the touchpoint and the audit trail
(``savings.verify_duplicate_proof``).  See :func:`same_proof`.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import attrs

from dyncrm.dates import as_date
from dyncrm.db.models import Member
from dyncrm.errors import DuplicateError, NotFoundError, PermissionDenied, ValidationError
from dyncrm.i18n import N_
from dyncrm.lifecycle import StateMachine, member_label
from dyncrm.money import Money
from dyncrm.text import clean_text
from dyncrm.values import Actor, Leg, MemberInfo
from dyncrm_expand.savings import proofs
from dyncrm_expand.savings.common import (
    calculator,
    canonical_product,
    check_reference,
    date_on,
    from_units,
    member_row,
    money_account,
    notify,
    parse_amount,
    product_name,
    require_active,
    savings_account,
    settings,
    to_units,
)
from dyncrm_expand.savings.config import METHODS
from dyncrm_expand.savings.models import SavingsDeposit
from dyncrm_expand.savings.values import DepositResult, ProofUse
from dyncrm_expand.savings.wajib import load_states

#: A deposit's own small lifecycle.
DEPOSIT_STAGES = StateMachine("deposit", {
    "pending": {"verify": "posted", "reject": "rejected"},
    "posted": {},
    "rejected": {},
    "reversed": {},  # posted, then corrected: dyncrm savings reverse ENTRY
})


def deposit_result(crm, row: SavingsDeposit, *, replayed: bool = False) -> DepositResult:
    """The value of a deposit row."""
    return DepositResult(
        id=row.id, member_id=row.member_id, product=row.product,
        amount=from_units(crm, row.amount), method=row.method, reference=row.reference,
        status=row.status, on=as_date(row.effective_date), entry_id=row.entry_id,
        replayed=replayed, recorded_by=row.recorded_by, decided_by=row.decided_by,
        reject_reason=row.reject_reason, note=row.note or "", proof_file=row.proof_file,
        proof_name=row.proof_name, proof_sha256=row.proof_sha256,
        proof_type=proofs.content_type(row.proof_type) if row.proof_file else None,
    )





class DuplicateProof(ValidationError):
    """A transfer's proof is the same file as the proof of other deposits (``others``).

    Verifying it needs the cashier's confirmation that it is another transfer.
    """

    def __init__(self, deposit_id: int, others: tuple[ProofUse, ...], format_money, *,
                 hint: str = "") -> None:
        self.deposit_id, self.others = deposit_id, others
        listed = "; ".join(u.describe(format_money) for u in others)
        word = "deposit" if len(others) == 1 else "deposits"
        how = f" ({hint})" if hint else ""
        super().__init__(
            f"the proof of deposit #{deposit_id} is the same file as the proof of {word} "
            f"{listed}; check the bank statement that this is another transfer, then confirm "
            f"it to verify{how}", field="proof")


def _proof_uses(crm, hashes: tuple[str, ...] | list[str], *, exclude: int | None = None
                ) -> list[tuple[str, ProofUse]]:
    """``(matched hash, use)`` of every deposit whose proof has one of ``hashes``, by id."""
    hashes = [h for h in hashes if h]
    if not hashes:
        return []
    D = SavingsDeposit
    query = (D.select(D, Member.number, Member.name).join(Member)
             .where(D.proof_upload_sha256.in_(hashes) | D.proof_sha256.in_(hashes))
             .order_by(D.id))
    if exclude is not None:
        query = query.where(D.id != exclude)
    out = []
    for row in query:
        member = row.member
        matched = next(h for h in (row.proof_upload_sha256, row.proof_sha256) if h in hashes)
        out.append((matched, ProofUse(
            deposit_id=row.id, member_id=row.member_id,
            member=f"{member.number or '#' + str(member.id)} {member.name}",
            product=row.product, amount=from_units(crm, row.amount), method=row.method,
            reference=row.reference, on=as_date(row.effective_date), status=row.status)))
    return out


def _hashes(row: SavingsDeposit) -> tuple[str, ...]:
    return tuple(dict.fromkeys(h for h in (row.proof_upload_sha256, row.proof_sha256) if h))


def same_proof(crm, deposit_id: int) -> tuple[ProofUse, ...]:
    """The other deposits whose proof is the same file as deposit ``deposit_id``'s.

    The same file is the same SHA-256, as uploaded or as stored (images are
    stored re-encoded; the same upload re-encodes to the same bytes), in any
    status: a rejected transfer's proof sent again for a new deposit is shown
    too.  Empty for a deposit without a proof.
    """
    row = SavingsDeposit.get_or_none(SavingsDeposit.id == deposit_id)
    if row is None:
        raise NotFoundError("deposit", deposit_id)
    return tuple(use for _, use in _proof_uses(crm, _hashes(row), exclude=row.id))


def same_proofs(crm, deposit_ids: list[int]) -> dict[int, tuple[ProofUse, ...]]:
    """:func:`same_proof` of many deposits with two queries (lists: pending transfers)."""
    rows = list(SavingsDeposit.select(SavingsDeposit.id, SavingsDeposit.proof_sha256,
                                      SavingsDeposit.proof_upload_sha256)
                .where(SavingsDeposit.id.in_(deposit_ids))) if deposit_ids else []
    wanted = {r.id: _hashes(r) for r in rows}
    uses = _proof_uses(crm, [h for hs in wanted.values() for h in hs])
    return {deposit_id: tuple(dict.fromkeys(
        use for matched, use in uses if matched in hashes and use.deposit_id != deposit_id))
        for deposit_id, hashes in wanted.items()}


def _pending_units(member_id: int, product: str) -> int:
    from peewee import fn

    return int(SavingsDeposit.select(fn.COALESCE(fn.SUM(SavingsDeposit.amount), 0))
               .where(SavingsDeposit.member == member_id, SavingsDeposit.product == product,
                      SavingsDeposit.status == "pending").scalar() or 0)


def _check_pokok_room(crm, member: Member, units: int, *, pending_counted: bool) -> None:
    """Refuse a pokok deposit above what is still owed (pending transfers included)."""
    calc = calculator(crm)
    state = load_states(calc, stages=None, member_ids=[member.id])[member.id]
    room = calc.pokok_unpaid(state)
    if pending_counted:
        room -= _pending_units(member.id, "pokok")
    if units > room:
        owed = crm.format_money(from_units(crm, state.pokok_owed_units))
        if room <= 0:
            raise ValidationError(
                f"{product_name(crm, 'pokok')} of {member_label(member)} ({owed}) is already "
                "paid in full" + (" or waiting for verification" if pending_counted else ""),
                field="amount")
        raise ValidationError(
            f"{product_name(crm, 'pokok')} of {member_label(member)} is {owed}; only "
            f"{crm.format_money(from_units(crm, room))} is still to pay", field="amount")


def _post_deposit(crm, row: SavingsDeposit, actor: Actor) -> int:
    amount = from_units(crm, row.amount)
    credit = savings_account(crm, row.product, row.member_id)
    debit = money_account(crm, row.method)
    result = crm.ledger.post(
        [Leg(debit, amount), Leg(credit, -amount)],
        kind="savings.deposit", actor=actor.username, key=f"deposit:{row.reference}",
        memo=f"{product_name(crm, row.product)} ({row.method}) ref {row.reference}",
        on=as_date(row.effective_date), member_id=row.member_id,
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
            f"({row.product} {crm.format_money(from_units(crm, row.amount))} by "
            f"{row.method} for member id {row.member_id}); use a new reference",
            field="reference")
    return deposit_result(crm, row, replayed=True)


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
    reference = check_reference(reference)
    canonical = canonical_product(crm, product)
    value = parse_amount(crm, amount)
    row = member_row(crm, member)
    units = to_units(crm, value)
    if not (actor.member_id == row.id and method == "transfer"):
        crm.require(actor, "savings.deposit")
    replay = _find_replay(crm, reference, row, canonical, units, method)
    if replay is not None:
        return replay
    on = date_on(crm, on)
    require_active(row, N_("record a deposit"))
    note = clean_text(note, field="note", max_length=1000)
    if method == "transfer" and proof is None:
        raise ValidationError("a transfer needs the proof of transfer (photo or PDF)",
                              field="proof")
    if canonical == "pokok":
        _check_pokok_room(crm, row, units, pending_counted=True)
    stored = None
    if proof is not None:
        data, name = proofs.read_proof(proof, cfg.proof_max_bytes)
        stored = proofs.store_proof(data, name, data_dir=crm.config.data_dir,
                                    allowed=cfg.proof_types, max_bytes=cfg.proof_max_bytes)
    try:
        with crm.action("savings.deposit", actor):
            # lock the member's account, then look at the reference and what is owed again:
            # a second cashier entering the same slip at the same moment gets a replay
            crm.ledger.lock([savings_account(crm, canonical, row.id)])
            replay = _find_replay(crm, reference, row, canonical, units, method)
            if replay is not None:
                if stored is not None:
                    proofs.discard_proof(stored, crm.config.data_dir)
                return replay
            if canonical == "pokok":
                _check_pokok_room(crm, row, units, pending_counted=True)
            record = SavingsDeposit.create(
                member=row.id, product=canonical, amount=units, currency=crm.currency,
                method=method, reference=reference,
                status="pending" if method == "transfer" else "posted",
                effective_date=on, note=note, recorded_by=actor.username,
                recorded_at=crm.now(),
                proof_file=stored.file if stored else None,
                proof_name=stored.original_name if stored else None,
                proof_sha256=stored.sha256 if stored else None,
                proof_upload_sha256=stored.upload_sha256 if stored else None,
                proof_type=stored.type if stored else None,
                proof_size=stored.size if stored else None,
            )
            duplicates = tuple(dict.fromkeys(
                use.deposit_id for _, use in _proof_uses(crm, stored.hashes, exclude=record.id)
            )) if stored else ()
            if record.status == "posted":
                record.entry = _post_deposit(crm, record, actor)
                record.decided_by = actor.username
                record.decided_at = crm.now()
                record.save()
            crm.touch(row.id, "expand", "by", "savings.deposit", actor, {
                "deposit": record.id, "product": canonical, "amount": str(value.amount),
                "method": method, "reference": reference, "status": record.status,
                **({"duplicate_proof_of": list(duplicates)} if duplicates else {})})
            if record.status == "posted" and cfg.notify_deposits:
                notify(crm, row.id, "savings/deposit_received.txt", kind="savings.deposit",
                        key=f"savings.deposit:{record.id}", deposit=deposit_result(crm, record),
                        product_name=product_name(crm, canonical))
    except BaseException:
        if stored is not None:
            proofs.discard_proof(stored, crm.config.data_dir)
        raise
    return attrs.evolve(deposit_result(crm, record), duplicate_proof_of=duplicates)


def get_deposit(crm, deposit_id: int) -> DepositResult:
    """A deposit by id (raises ``NotFoundError``)."""
    row = SavingsDeposit.get_or_none(SavingsDeposit.id == deposit_id)
    if row is None:
        raise NotFoundError("deposit", deposit_id)
    return deposit_result(crm, row)


def proof_path(crm, deposit: DepositResult) -> Path | None:
    """Where a deposit's proof file is stored, if it has one."""
    if not deposit.proof_file:
        return None
    return proofs.proofs_dir(crm.config.data_dir) / deposit.proof_file


def proof_download(crm, deposit: DepositResult) -> tuple[Path, dict[str, str]] | None:
    """A deposit's proof file and the HTTP headers to serve it with, if it has one.

    The headers make it a download (``Content-Disposition: attachment``) of the
    type found when it was parsed, with ``X-Content-Type-Options: nosniff``;
    a web portal serves proofs only this way.
    """
    path = proof_path(crm, deposit)
    if path is None:
        return None
    row = SavingsDeposit.get_by_id(deposit.id)
    return path, proofs.download_headers(deposit.proof_name, row.proof_type)


def pending_deposits(crm, member_id: int | None = None) -> list[DepositResult]:
    """Transfers waiting for verification, oldest first."""
    query = (SavingsDeposit.select().where(SavingsDeposit.status == "pending")
             .order_by(SavingsDeposit.recorded_at, SavingsDeposit.id))
    if member_id is not None:
        query = query.where(SavingsDeposit.member == member_id)
    return [deposit_result(crm, r) for r in query]


def _decide(deposit_id: int, action: str) -> tuple[SavingsDeposit, bool]:
    """The deposit row and whether ``action`` was already done (a harmless repeat)."""
    row = SavingsDeposit.get_or_none(SavingsDeposit.id == deposit_id)
    if row is None:
        raise NotFoundError("deposit", deposit_id)
    done = {"verify": "posted", "reject": "rejected"}[action]
    if row.status == done:
        return row, True
    DEPOSIT_STAGES.next_stage(f"deposit #{row.id}", row.status, action)
    return row, False


def _lock_deposit(crm, row: SavingsDeposit) -> None:
    """Lock a deposit and the account it credits: one cashier decides, the other waits."""
    code = savings_account(crm, row.product, row.member_id)
    crm.lock([f"savings_deposit:{row.id}", f"account:{code}"])


def verify_deposit(crm, actor: Actor, deposit_id: int, *,
                   confirm_duplicate_proof: bool = False) -> DepositResult:
    """Post a pending transfer after checking its proof against the bank account.

    Needs ``savings.verify``.  Unless ``verify_own_transfers`` is set, the
    person who recorded the transfer may not verify it (four eyes).  Verifying
    a deposit that is already posted changes nothing and returns it with
    ``replayed=True``.

    When its proof is the same file as another deposit's (:func:`same_proof`)
    it is refused with :class:`DuplicateProof`, nothing changed, unless
    ``confirm_duplicate_proof``: the cashier has checked the bank statement and
    confirms it is another transfer.  Then it is posted as the action
    ``savings.verify_duplicate_proof``, and the touchpoint records the other
    deposits and who confirmed.
    """
    crm.require(actor, "savings.verify")
    row, repeated = _decide(deposit_id, "verify")
    if repeated:
        return deposit_result(crm, row, replayed=True)
    if (not settings(crm).verify_own_transfers and not actor.is_operator
            and row.recorded_by == actor.username):
        raise PermissionDenied(
            actor.username,
            f"verify deposit #{row.id} (they recorded it; another cashier must check it)",
            actor.roles)
    member = crm.member_row(row.member_id)
    require_active(member, N_("verify a deposit"))
    others = same_proof(crm, row.id)
    if others and not confirm_duplicate_proof:
        raise DuplicateProof(row.id, others, crm.format_money)
    with crm.action("savings.verify_duplicate_proof" if others else "savings.verify", actor):
        _lock_deposit(crm, row)
        row, repeated = _decide(deposit_id, "verify")  # again, under the lock
        if repeated:
            return deposit_result(crm, row, replayed=True)
        now_others = same_proof(crm, row.id)  # a deposit with the same proof since?
        if now_others != others and not confirm_duplicate_proof:
            raise DuplicateProof(row.id, now_others, crm.format_money)
        if row.product == "pokok":
            _check_pokok_room(crm, member, row.amount, pending_counted=False)
        row.entry = _post_deposit(crm, row, actor)
        row.status = "posted"
        row.decided_by = actor.username
        row.decided_at = crm.now()
        row.save()
        result = deposit_result(crm, row)
        confirmed = {"duplicate_proof_of": [u.deposit_id for u in now_others],
                     "duplicate_proof_confirmed_by": actor.username} if now_others else {}
        crm.touch(row.member_id, "expand", "of", "savings.deposit_verified", actor,
                  {"deposit": row.id, "entry": row.entry_id, **confirmed})
        notify(crm, row.member_id, "savings/transfer_verified.txt",
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
    row, repeated = _decide(deposit_id, "reject")
    if repeated:
        return deposit_result(crm, row, replayed=True)
    with crm.action("savings.reject", actor):
        _lock_deposit(crm, row)
        row, repeated = _decide(deposit_id, "reject")  # again, under the lock
        if repeated:
            return deposit_result(crm, row, replayed=True)
        row.status = "rejected"
        row.reject_reason = reason
        row.decided_by = actor.username
        row.decided_at = crm.now()
        row.save()
        result = deposit_result(crm, row)
        crm.touch(row.member_id, "expand", "for", "savings.deposit_rejected", actor,
                  {"deposit": row.id, "reason": reason})
        notify(crm, row.member_id, "savings/transfer_rejected.txt",
                kind="savings.deposit", key=f"savings.deposit:{row.id}:rejected",
                deposit=result, product_name=product_name(crm, row.product))
    return result


def pending_objection(crm, member_id: int) -> str | None:
    """A sentence when a member has transfers waiting for verification, else ``None``."""
    count = (SavingsDeposit.select().where(SavingsDeposit.member == member_id,
                                           SavingsDeposit.status == "pending").count())
    if count:
        return (f"{count} savings transfer(s) are waiting for verification; verify or reject "
                "them first (dyncrm savings pending)")
    return None


