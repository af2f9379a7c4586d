"""Corrections of plugin-owned journal entries: the steps every plugin's correction shares.

An entry a plugin owns (``journal_entry.owner``, see hook ``dyncrm_ledger_owners``)
is reversed only through that plugin, which puts its own records back in step in
the same action: a reversed deposit's row says so, a reversed repayment reopens
its installments, a cancelled settlement cancels its refund.  :func:`correct`
does what is the same for all of them, in one ``crm.action``:

1. a reason is required; the entry is locked (``journal_entry:<id>``) with any
   other names the plugin gives;
2. the same ``key`` again is a replay ("already corrected by entry N"), a key
   used for something else or an entry already reversed is refused;
3. the entry must belong to the plugin and be of a kind the command corrects,
   and must not itself be a correction;
4. the plugin's ``check(entry)`` refuses what would break its rules (a
   withdrawal that would overdraw the account, a loan already repaid);
5. the deployment's quorum for the decision is recorded
   (``[quorum."savings.correct"]`` ...): until enough distinct people approved,
   nothing is posted and the result says who is still needed (four eyes);
6. the reversing entry is posted (owned by the plugin, dated ``on`` or today,
   the reason in its memo and meta), the plugin's ``apply(entry, reversal)``
   updates its records, and a touchpoint records who corrected what and why.

The action's audit row (``action_log``) records the person and the channel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import attrs

from dyncrm.errors import DuplicateError, ValidationError
from dyncrm.money import Money
from dyncrm.quorum import QuorumStatus
from dyncrm.text import clean_text
from dyncrm.values import Actor, EntryInfo

if TYPE_CHECKING:
    from dyncrm.app import CRM

__all__ = ["Correction", "correct", "entry_amount"]


@attrs.frozen
class Correction:
    """What a correction did: the entry, its reversal (None while approvals are missing)."""

    entry_id: int
    kind: str
    reversal_id: int | None
    replayed: bool = False
    approval: QuorumStatus | None = None
    reason: str = ""

    @property
    def done(self) -> bool:
        """True once the reversing entry is posted."""
        return self.reversal_id is not None

    def describe(self) -> str:
        """One sentence for the person at the keyboard."""
        if self.replayed:
            return (f"entry {self.entry_id} was already corrected by entry {self.reversal_id}; "
                    "nothing was changed")
        if not self.done:
            what = self.approval.describe() if self.approval is not None else "waiting"
            return f"correction of entry {self.entry_id} recorded, not posted yet: {what}"
        return f"entry {self.entry_id} ({self.kind}) corrected by reversal entry " \
               f"{self.reversal_id}"


def entry_amount(entry: EntryInfo) -> Money | None:
    """The size of an entry: the largest debit among its legs (for quorum thresholds)."""
    debits = [leg.amount for leg in entry.legs if leg.amount.amount > 0]
    return max(debits, key=lambda m: m.amount) if debits else None


def _reason(reason: str | None) -> str:
    text = clean_text(reason or "", field="reason").strip()
    if not text:
        raise ValidationError("say why the entry is corrected", field="reason")
    if len(text) > 500:
        raise ValidationError("must be at most 500 characters", field="reason")
    return text


def correct(
    crm: CRM,
    actor: Actor,
    entry_id: int,
    *,
    owner: str,
    decision: str,
    permission: str,
    reason: str,
    kinds: Iterable[str],
    key: str | None = None,
    on: dt.date | None = None,
    locks: Callable[[EntryInfo], Iterable[str]] | None = None,
    check: Callable[[EntryInfo], None] | None = None,
    apply: Callable[[EntryInfo, EntryInfo], None] | None = None,
    command: str = "",
) -> Correction:
    """Reverse plugin-owned entry ``entry_id`` through its plugin, in one action.

    :param owner: the plugin's name; the entry must be owned by it.
    :param decision: the action and quorum decision name (``"savings.correct"``).
    :param permission: what the person needs (checked before anything).
    :param kinds: the entry kinds this correction handles (exact kinds).
    :param key: idempotency key of the reversing entry (default ``correction:<id>``).
    :param locks: names to lock besides the entry (the accounts ``check`` reads).
    :param check: refuses (raises) when the correction would break the plugin's rules.
    :param apply: updates the plugin's records, given the entry and its reversal.
    :param command: how the person runs this correction, for messages.
    """
    reason = _reason(reason)
    kinds = tuple(kinds)
    key = (key or "").strip() or f"correction:{entry_id}"
    ledger = crm.ledger
    with crm.action(decision, actor, permission=permission):
        crm.lock([f"journal_entry:{entry_id}"])
        entry = ledger.entry(entry_id)  # NotFoundError for an unknown id
        if locks is not None:
            names = list(locks(entry))
            if names:
                crm.lock(names)
        previous = ledger.entry_by_key(key)
        if previous is not None:
            if previous.reverses == entry_id:
                return Correction(entry_id=entry_id, kind=entry.kind,
                                  reversal_id=previous.id, replayed=True,
                                  reason=str(previous.meta.get("reason", "")))
            raise DuplicateError(f"key {key!r} was already used for entry {previous.id}; "
                                 "give another key", field="key")
        if entry.owner != owner:
            if entry.owner is None:
                raise ValidationError(
                    f"journal entry {entry_id} ({entry.kind}) does not belong to {owner}; "
                    f"correct it with: dyncrm ledger reverse {entry_id} --reason TEXT")
            other = ledger.correction_command(entry)
            raise ValidationError(
                f"journal entry {entry_id} ({entry.kind}) belongs to {entry.owner}, not "
                f"{owner}" + (f"; correct it with: {other}" if other else ""))
        if entry.reverses is not None:
            raise ValidationError(
                f"journal entry {entry_id} is itself the correction of entry "
                f"{entry.reverses}; a correction is not undone by another reversal — "
                "record the transaction again")
        if entry.kind not in kinds:
            raise ValidationError(
                f"journal entry {entry_id} is a {entry.kind}; {command or decision} corrects "
                f"{', '.join(kinds)} entries")
        done = ledger.reversal_of(entry_id)
        if done is not None:
            raise ValidationError(f"journal entry {entry_id} is already reversed by entry "
                                  f"{done.id}")
        if check is not None:
            check(entry)
        status = crm.quorum.record(decision, f"entry:{entry_id}", actor,
                                   rule=crm.quorum.rule(decision, entry_amount(entry)),
                                   note=reason)
        if not status.complete:
            return Correction(entry_id=entry_id, kind=entry.kind, reversal_id=None,
                              approval=status, reason=reason)
        posted = ledger.reverse(
            entry_id, actor=actor.username, key=key, on=on, owner=owner,
            memo=f"correction of entry {entry_id} ({entry.kind}): {reason}",
            meta={"reason": reason, "corrects": entry_id,
                  "approved_by": list(status.approvers)})
        if apply is not None:
            apply(entry, posted.entry)
        if entry.member_id is not None:
            crm.touch(entry.member_id, "expand", "of", decision, actor,
                      {"entry": entry_id, "reversal": posted.entry.id, "kind": entry.kind,
                       "reason": reason})
        return Correction(entry_id=entry_id, kind=entry.kind, reversal_id=posted.entry.id,
                          approval=status, reason=reason)
