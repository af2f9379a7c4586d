"""Correcting loan entries: a repayment, or a disbursement nothing was repaid on.

``dyncrm ledger reverse`` refuses these entries (they belong to ``expand.loans``);
``dyncrm loan reverse ENTRY --reason TEXT`` corrects them here, through
:func:`dyncrm.corrections.correct` (one action, a reason, the quorum
``[quorum."loans.correct"]``, idempotent by key):

- **a repayment**: only the loan's latest payment not yet reversed (payments
  are allocated in date order, each on what the one before left); the payment's
  recorded allocation is undone, so its installments, their interest and their
  denda (assessed and paid, and the periods counted) are open again exactly as
  before it, and a loan the payment had closed is reopened.  An overpayment the
  payment credited to simpanan sukarela is taken back in the same action
  (refused when the member no longer has it there).  The payment row stays,
  marked ``reversed_by``.
- **a disbursement**: only while no payment on the loan stands; the schedule is
  removed and the loan is ``approved`` again, so it can be disbursed anew (the
  next disbursement gets its own keys).

Settlements of a leaving member are corrected by cancelling the leave request
(``dyncrm leave reverse``), which reopens the loans; a write-off is not
corrected here.
"""

from __future__ import annotations

import datetime as dt

from peewee import fn

from dyncrm.corrections import Correction, correct
from dyncrm.errors import ValidationError
from dyncrm.values import Actor, EntryInfo, EntryOwner
from dyncrm_expand.loans.lifecycle import _event, locked_loan_row
from dyncrm_expand.loans.models import Loan, LoanEvent, LoanInstallment, LoanPayment
from dyncrm_expand.loans.queries import LOAN_STAGES, PLUGIN, label

#: The entry kinds expand.loans posts (all owned), and those ``loan reverse`` corrects.
OWNED = ("loans.repayment", "loans.disbursement", "loans.write_off")
KINDS = ("loans.repayment", "loans.disbursement")
COMMAND = "dyncrm loan reverse {entry} --reason TEXT"
OWNERS = [EntryOwner(PLUGIN, OWNED, COMMAND)]
SAVINGS = "expand.savings"


def disbursement_generation(loan_id: int) -> int:
    """How many times loan ``loan_id``'s disbursement was reversed (its keys' suffix)."""
    return (LoanEvent.select().where(LoanEvent.loan == loan_id,
                                     LoanEvent.action == "reverse_disbursement").count())


def disbursement_suffix(loan_id: int) -> str:
    """``""`` for the first disbursement of a loan, ``":2"``, ``":3"`` after reversals."""
    n = disbursement_generation(loan_id)
    return f":{n + 1}" if n else ""


def _loan_id(entry: EntryInfo) -> int:
    loan = entry.meta.get("loan")
    if loan is None:
        raise ValidationError(f"journal entry {entry.id} names no loan")
    return int(loan)


def _payment(entry: EntryInfo) -> LoanPayment:
    p = LoanPayment.get_or_none(LoanPayment.entry == entry.id)
    if p is None:
        raise ValidationError(f"journal entry {entry.id} has no payment recorded with it")
    return p


def _overpayment_entry(crm, p: LoanPayment) -> EntryInfo | None:
    if not p.overpayment:
        return None
    return crm.ledger.entry_by_key(f"sukarela:loan-overpayment:{p.reference}")


def reverse_entry(crm, actor: Actor, entry_id: int, *, reason: str, key: str | None = None,
                  on: dt.date | None = None) -> Correction:
    """Reverse a repayment or a disbursement and keep the loan in step (``loans.correct``)."""

    def locks(entry: EntryInfo) -> list[str]:
        names = []
        if entry.kind in KINDS and entry.meta.get("loan") is not None:
            names.append(f"loan:{_loan_id(entry)}")
        if entry.member_id is not None:
            names.append(f"account:savings.sukarela:m{entry.member_id}")
        return names

    def check(entry: EntryInfo) -> None:
        row = locked_loan_row(crm, _loan_id(entry))
        if entry.kind == "loans.repayment":
            p = _payment(entry)
            later = (LoanPayment.select().where(LoanPayment.loan == row.id,
                                                LoanPayment.id > p.id,
                                                LoanPayment.reversed_by.is_null())
                     .order_by(LoanPayment.id.desc()).first())
            if later is not None:
                raise ValidationError(
                    f"payment {p.reference!r} is not the last payment of loan {row.id}: "
                    f"payment {later.reference!r} (entry {later.entry_id}) was allocated "
                    "after it; reverse the later payments first")
            if row.stage not in ("disbursed", "closed"):
                raise ValidationError(f"{label(row)} is {row.stage}; its payments are "
                                      "no longer corrected")
            over = _overpayment_entry(crm, p)
            if over is not None:
                held = crm.ledger.balance(f"savings.sukarela:m{row.member_id}")
                amount = crm.ledger_money(p.overpayment, row.currency)
                if held < amount:
                    raise ValidationError(
                        f"payment {p.reference!r} put an overpayment of "
                        f"{crm.format_money(amount)} into simpanan sukarela, which now holds "
                        f"{crm.format_money(held)}; it cannot be taken back")
        else:
            if row.stage != "disbursed":
                raise ValidationError(f"{label(row)} is {row.stage}; only a disbursed loan's "
                                      "disbursement can be reversed")
            standing = (LoanPayment.select().where(LoanPayment.loan == row.id,
                                                   LoanPayment.reversed_by.is_null()).count())
            if standing:
                raise ValidationError(
                    f"{label(row)} has {standing} payment(s) recorded; reverse them first "
                    "(a disbursement is reversed only while nothing is repaid)")

    def apply(entry: EntryInfo, reversal: EntryInfo) -> None:
        row = Loan.get_by_id(_loan_id(entry))
        if entry.kind == "loans.repayment":
            _undo_payment(crm, actor, row, _payment(entry), reversal, reason)
        else:
            LoanInstallment.delete().where(LoanInstallment.loan == row.id).execute()
            row.stage = LOAN_STAGES.next_stage(label(row), row.stage, "reverse_disbursement")
            row.principal, row.disbursed_on, row.disbursed_by = 0, None, None
            row.disbursement_method = row.disbursement_reference = None
            row.save()
            _event(row, "reverse_disbursement", actor, reversal.effective_date, reason=reason)

    return correct(crm, actor, entry_id, owner=PLUGIN, decision="loans.correct",
                   permission="loans.correct", reason=reason, kinds=KINDS, key=key, on=on,
                   locks=locks, check=check, apply=apply, command="dyncrm loan reverse")


def _undo_payment(crm, actor: Actor, row: Loan, p: LoanPayment, reversal: EntryInfo,
                  reason: str) -> None:
    """Put the installments back as they were before payment ``p``; reopen the loan."""
    from dyncrm_expand.loans.repayment import FIELDS

    over = _overpayment_entry(crm, p)
    if over is not None:
        crm.ledger.reverse(over.id, actor=actor.username, owner=SAVINGS,
                           key=f"{reversal.key}:overpayment", on=reversal.effective_date,
                           memo=f"overpayment of {p.reference} taken back: {reason}")
    insts = {i.number: i for i in LoanInstallment.select().where(
        LoanInstallment.loan == row.id)}
    for delta in p.allocation or []:
        inst = insts[delta["number"]]
        for f in FIELDS:
            setattr(inst, f, getattr(inst, f) - delta[f])
        if delta.get("completed"):
            inst.paid_on = None
        inst.save()
    p.reversed_by = reversal.id
    p.save()
    if row.stage == "closed":
        row.stage = LOAN_STAGES.next_stage(label(row), row.stage, "reopen")
        row.closed_on = None
        row.save()
        _event(row, "reopen", actor, reversal.effective_date,
               reason=f"payment {p.reference} reversed: {reason}")
    else:
        _event(row, "reverse_payment", actor, reversal.effective_date,
               reason=f"payment {p.reference} reversed: {reason}")


def last_payment_date(loan_id: int) -> dt.date | None:
    """The date of the loan's latest payment that stands (reversed ones do not count)."""
    return (LoanPayment.select(fn.MAX(LoanPayment.effective_date))
            .where(LoanPayment.loan == loan_id, LoanPayment.reversed_by.is_null()).scalar())


__all__ = ["COMMAND", "KINDS", "OWNED", "OWNERS", "disbursement_suffix", "reverse_entry"]
