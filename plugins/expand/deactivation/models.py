"""The table of ``expand.deactivation``: leave requests and how each ended."""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    TextField,
)

from dyncrm.db import BaseModel, JSONField
from dyncrm.db.models import JournalEntry, Member, utcnow


class LeaveRequest(BaseModel):
    """A member's request to leave: requested → approved → paid, or cancelled.

    The settlement posted at approval is kept as ``lines`` (a JSON snapshot of
    the statement the member was given) and ``settlement_total`` (minor units);
    the ledger entries are referenced, never deleted.
    """

    id = AutoField()
    member = ForeignKeyField(Member, backref="leave_requests", on_delete="RESTRICT",
                             index=True)
    status = CharField(index=True)  # requested | approved | paid | cancelled
    reason = TextField()
    requested_on = DateField()
    requested_by = CharField()
    requested_at = DateTimeField(default=utcnow)
    approved_by = CharField(null=True)
    approved_on = DateField(null=True)
    payout_on = DateField(null=True)
    settlement_total = BigIntegerField(null=True)
    currency = CharField(max_length=8, null=True)
    lines = JSONField(default=list)
    settlement_entry = ForeignKeyField(JournalEntry, null=True, backref="+", on_delete="RESTRICT")
    paid_by = CharField(null=True)
    paid_on = DateField(null=True)
    payout_method = CharField(null=True)
    payout_reference = CharField(null=True, unique=True)
    payout_entry = ForeignKeyField(JournalEntry, null=True, backref="+", on_delete="RESTRICT")
    cancelled_by = CharField(null=True)
    cancelled_on = DateField(null=True)
    cancel_reason = TextField(null=True)
    reversal_entry = ForeignKeyField(JournalEntry, null=True, backref="+", on_delete="RESTRICT")


MODELS = [LeaveRequest]
