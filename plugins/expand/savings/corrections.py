"""Correcting savings entries: a deposit, a withdrawal, a sukarela credit or debit.

``dyncrm ledger reverse`` refuses these entries (they belong to
``expand.savings``); ``dyncrm savings reverse ENTRY --reason TEXT`` corrects them
here, through :func:`dyncrm.corrections.correct` (one action, a reason, the
quorum ``[quorum."savings.correct"]``, idempotent by key):

- the member must be active (a leaving member's savings are settled by
  ``expand.deactivation``);
- reversing money paid *into* savings (a deposit, a credit) is refused when the
  account no longer holds it: a correction never overdraws;
- a deposit row is marked ``reversed``, a withdrawal request ``reversed``;
- wajib months follow by themselves: what is paid is the sum over the ledger, so
  the month the reversed deposit covered is owed again;
- a sukarela credit that a loan overpayment made is corrected with the
  repayment (``dyncrm loan reverse``), never alone.
"""

from __future__ import annotations

import datetime as dt

from dyncrm.corrections import Correction, correct
from dyncrm.errors import ValidationError
from dyncrm.i18n import N_
from dyncrm.lifecycle import member_label
from dyncrm.values import Actor, EntryInfo, EntryOwner
from dyncrm_expand.savings.common import PLUGIN, require_active
from dyncrm_expand.savings.models import SavingsDeposit, SavingsWithdrawalRequest

#: The entry kinds expand.savings posts and corrects.
KINDS = ("savings.deposit", "savings.withdrawal", "savings.sukarela_credit",
         "savings.sukarela_debit")
COMMAND = "dyncrm savings reverse {entry} --reason TEXT"
OWNERS = [EntryOwner(PLUGIN, KINDS, COMMAND)]


def _savings_legs(entry: EntryInfo) -> list:
    return [leg for leg in entry.legs if leg.account.startswith("savings.")]


def reverse_entry(crm, actor: Actor, entry_id: int, *, reason: str, key: str | None = None,
                  on: dt.date | None = None) -> Correction:
    """Reverse a savings entry and keep the savings records in step (``savings.correct``).

    Refused when the member is not active, when the reversal would take more
    from a savings account than it holds, or for a sukarela credit made by a
    loan overpayment (correct the repayment instead).  The same ``key``
    (default ``correction:<entry>``) again changes nothing and says so.
    """

    def locks(entry: EntryInfo) -> list[str]:
        return [f"account:{leg.account}" for leg in _savings_legs(entry)]

    def check(entry: EntryInfo) -> None:
        if entry.member_id is None:
            raise ValidationError(f"journal entry {entry.id} names no member")
        member = crm.member_row(entry.member_id)
        require_active(member, N_("correct entry {entry}").format(entry=entry.id))
        reference = str(entry.key or "")
        if reference.startswith("sukarela:loan-overpayment:"):
            raise ValidationError(
                f"journal entry {entry.id} credits the overpayment of a loan repayment; "
                "correct the repayment itself (dyncrm loan reverse ENTRY --reason TEXT), "
                "which takes the overpayment back too")
        for leg in _savings_legs(entry):
            if leg.amount.amount >= 0:
                continue  # reversing a payout puts money back: always possible
            balance = crm.ledger.balance(leg.account)
            if balance < -leg.amount:
                raise ValidationError(
                    f"reversing entry {entry.id} would take {crm.format_money(-leg.amount)} "
                    f"from {leg.account} of {member_label(member)}, which holds only "
                    f"{crm.format_money(balance)}; a correction never overdraws savings — "
                    "reverse the later withdrawals first, or record the refund as a "
                    "withdrawal")

    def apply(entry: EntryInfo, reversal: EntryInfo) -> None:
        (SavingsDeposit.update(status="reversed", decided_by=actor.username,
                               decided_at=crm.now(), reject_reason=reason)
         .where(SavingsDeposit.entry == entry.id).execute())
        (SavingsWithdrawalRequest.update(status="reversed", reason=reason)
         .where(SavingsWithdrawalRequest.entry == entry.id).execute())

    return correct(crm, actor, entry_id, owner=PLUGIN, decision="savings.correct",
                   permission="savings.correct", reason=reason, kinds=KINDS, key=key, on=on,
                   locks=locks, check=check, apply=apply,
                   command="dyncrm savings reverse")


__all__ = ["COMMAND", "KINDS", "OWNERS", "reverse_entry"]
