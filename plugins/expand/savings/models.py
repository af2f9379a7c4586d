"""Tables of ``expand.savings``: deposits waiting for or past verification,
obligations (pokok owed, the wajib period) and member classes.

Balances are never stored here: they are sums over the core ledger.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from dyncrm.db import BaseModel
from dyncrm.db.models import JournalEntry, Member, utcnow


class SavingsDeposit(BaseModel):
    """One deposit as recorded: posted at once (cash, payroll) or after verification.

    ``reference`` is the idempotency key of the deposit.  Proof files live in
    ``<data_dir>/proofs/<proof_file>`` under a generated name; the name the
    person uploaded is only kept as text.  Two hashes identify the proof's
    content (both indexed): ``proof_sha256`` of the file as stored and
    ``proof_upload_sha256`` of the file as uploaded.
    """

    id = AutoField()
    member = ForeignKeyField(Member, backref="savings_deposits", on_delete="RESTRICT",
                             index=True)
    product = CharField()  # pokok | wajib | sukarela
    amount = BigIntegerField()  # minor units, above zero
    currency = CharField(max_length=8)
    method = CharField()  # cash | transfer | payroll
    reference = CharField(unique=True)
    status = CharField(index=True)  # pending | posted | rejected
    effective_date = DateField()
    note = TextField(default="")
    recorded_by = CharField()
    recorded_at = DateTimeField(default=utcnow)
    decided_by = CharField(null=True)
    decided_at = DateTimeField(null=True)
    reject_reason = TextField(null=True)
    entry = ForeignKeyField(JournalEntry, null=True, backref="+", on_delete="RESTRICT")
    proof_file = CharField(null=True)
    proof_name = CharField(null=True)
    proof_sha256 = CharField(null=True, index=True)  # of the file as stored (checked)
    #: of the file exactly as it was uploaded; with ``proof_sha256`` it finds a proof used
    #: for another deposit before (``proofs.same_proof``)
    proof_upload_sha256 = CharField(null=True, index=True)
    proof_type = CharField(null=True)
    proof_size = IntegerField(null=True)


class SavingsObligation(BaseModel):
    """What a member owes as pokok (once) and the period wajib is owed for.

    ``amount`` is the pokok amount fixed when the member joined (minor units);
    for wajib it is 0 and the monthly amount comes from the settings and the
    member's class.  ``end_on`` closes the wajib period when the member leaves.
    """

    id = AutoField()
    member = ForeignKeyField(Member, backref="savings_obligations", on_delete="RESTRICT")
    product = CharField()
    amount = BigIntegerField(default=0)
    start_on = DateField()
    end_on = DateField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("member", "product"), True),)


class SavingsMemberClass(BaseModel):
    """A member's class (grade) for the wajib amount, from a month on."""

    id = AutoField()
    member = ForeignKeyField(Member, backref="savings_classes", on_delete="RESTRICT")
    member_class = CharField()
    since = DateField()  # first day of the month the class applies from
    set_by = CharField()
    set_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("member", "since"), True),)


class SavingsWithdrawalRequest(BaseModel):
    """A member's request to withdraw sukarela savings, until a cashier pays or refuses it."""

    id = AutoField()
    member = ForeignKeyField(Member, backref="+", on_delete="RESTRICT", index=True)
    amount = BigIntegerField()  # minor units, above zero
    currency = CharField(max_length=8)
    method = CharField()  # cash | transfer
    note = TextField(default="")
    key = CharField(unique=True)  # idempotency key of the request
    status = CharField(index=True, default="pending")
    requested_by = CharField()
    requested_at = DateTimeField(default=utcnow)
    decided_by = CharField(null=True)
    decided_at = DateTimeField(null=True)
    reason = TextField(null=True)
    entry = ForeignKeyField(JournalEntry, null=True, backref="+", on_delete="RESTRICT")


MODELS = [SavingsDeposit, SavingsObligation, SavingsMemberClass, SavingsWithdrawalRequest]
