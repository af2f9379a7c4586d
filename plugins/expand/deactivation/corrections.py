"""Correcting a leaving member's entries: the settlement and the refund payout.

``dyncrm ledger reverse`` refuses them (they belong to ``expand.deactivation``):
reversing a settlement behind the plugin's back left the refund scheduled, so the
member could be paid twice.  ``dyncrm leave reverse ENTRY --reason TEXT`` corrects
them here:

- **the settlement** (``deactivation.settlement``): the leave request is
  cancelled (:func:`~dyncrm_expand.deactivation.cancel_leave`): the reversing
  entry is posted, the scheduled refund is gone with it (the request is
  ``cancelled``, ``payable.refund`` is back to zero), the loans it netted are
  reopened and the member is active again.  Only before the refund is paid:
  reverse the payout first.
- **the payout** (``deactivation.refund``), e.g. a transfer that bounced: the
  refund entry is reversed, the refund is payable again (the request is back to
  ``approved``, its payout date kept) and the member goes back from
  ``inactive`` to ``leaving``.  Through :func:`dyncrm.corrections.correct`:
  permission ``leave.correct``, quorum ``[quorum."leave.correct"]``.

Both are one action each, need a reason, and say so when repeated.
"""

from __future__ import annotations

import datetime as dt

from dyncrm.corrections import Correction, correct
from dyncrm.dates import as_date
from dyncrm.errors import ValidationError
from dyncrm.i18n import N_
from dyncrm.values import Actor, EntryInfo, EntryOwner

PLUGIN = "expand.deactivation"
KINDS = ("deactivation.settlement", "deactivation.refund")
COMMAND = "dyncrm leave reverse {entry} --reason TEXT"
OWNERS = [EntryOwner(PLUGIN, KINDS, COMMAND)]


def _request_of(entry: EntryInfo):
    from dyncrm_expand.deactivation.models import LeaveRequest

    request_id = entry.meta.get("leave_request")
    row = LeaveRequest.get_or_none(LeaveRequest.id == request_id) if request_id else None
    if row is None:
        raise ValidationError(f"journal entry {entry.id} names no leave request")
    return row


def reverse_entry(crm, actor: Actor, entry_id: int, *, reason: str, key: str | None = None,
                  on: dt.date | None = None) -> Correction:
    """Correct a settlement (cancels the request) or a refund payout (refund payable again)."""
    from dyncrm_expand import deactivation

    entry = crm.ledger.entry(entry_id)
    if entry.kind == "deactivation.settlement" and entry.owner == PLUGIN:
        row = _request_of(entry)
        if row.status == "cancelled" and row.reversal_entry_id is not None:
            return Correction(entry_id=entry_id, kind=entry.kind,
                              reversal_id=row.reversal_entry_id, replayed=True,
                              reason=row.cancel_reason or "")
        if row.status == "paid":
            raise ValidationError(
                f"the refund of leave request #{row.id} is already paid (entry "
                f"{row.payout_entry_id}); reverse the payout first: "
                f"dyncrm leave reverse {row.payout_entry_id} --reason TEXT")
        done = deactivation.cancel_leave(crm, actor, row.id, reason, on=on)
        return Correction(entry_id=entry_id, kind=entry.kind,
                          reversal_id=done.reversal_entry_id, reason=done.cancel_reason or "")
    return _reverse_payout(crm, actor, entry_id, reason=reason, key=key, on=on)


def _reverse_payout(crm, actor: Actor, entry_id: int, *, reason: str, key: str | None,
                    on: dt.date | None) -> Correction:
    from dyncrm_expand import deactivation

    def locks(entry: EntryInfo) -> list[str]:
        if entry.kind != "deactivation.refund":
            return []
        row = _request_of(entry)
        return [f"leave:m{row.member_id}", f"leave_request:{row.id}"]

    def check(entry: EntryInfo) -> None:
        row = _request_of(entry)
        if row.status != "paid" or row.payout_entry_id != entry.id:
            raise ValidationError(f"leave request #{row.id} is {row.status}; its payout "
                                  f"entry {entry.id} no longer stands")

    def apply(entry: EntryInfo, reversal: EntryInfo) -> None:
        row = _request_of(entry)
        row.status = deactivation.LEAVE_STAGES.next_stage(
            N_("leave request #{id}").format(id=row.id), row.status, "reverse_payout")
        paid = (row.payout_reference, as_date(row.paid_on))
        row.paid_by = row.paid_on = row.payout_method = row.payout_reference = None
        row.payout_entry = None
        row.save()
        crm.lifecycle.transition(row.member_id, "reverse_payout", actor, reason=reason,
                                 on=as_date(row.approved_on), phase="expand",
                                 payload={"leave_request": row.id, "entry": entry.id,
                                          "reversal": reversal.id,
                                          "payout_reference": paid[0]})
        crm.notify_member(row.member_id, "deactivation/payout_reversed.txt",
                          kind="deactivation", key=f"leave:{row.id}:payout:{reversal.id}",
                          essential=True, request=deactivation.get_request(crm, row.id),
                          reason=reason)

    return correct(crm, actor, entry_id, owner=PLUGIN, decision="leave.correct",
                   permission="leave.correct", reason=reason,
                   kinds=("deactivation.refund",), key=key, on=on, locks=locks, check=check,
                   apply=apply, command="dyncrm leave reverse")


__all__ = ["COMMAND", "KINDS", "OWNERS", "reverse_entry"]
