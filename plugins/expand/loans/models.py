"""Tables of ``expand.loans``: loans, their installments, payments and events.

Money columns are integer minor units of the loan's currency.  The ledger is
the book of record for principal, interest, fees and denda; these tables keep
what the ledger cannot: the schedule, what each payment settled, and who
decided what and why.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from dyncrm.db import BaseModel, JSONField
from dyncrm.db.models import JournalEntry, Member, utcnow


class Loan(BaseModel):
    """One loan from application to closing.

    ``terms`` is the product's configuration copied at application time, so a
    later change of the product never alters a loan already made.
    ``principal`` is set at disbursement (amount plus fees added to it).
    """

    id = AutoField()
    member = ForeignKeyField(Member, backref="loans", on_delete="RESTRICT", index=True)
    product = CharField()
    terms = JSONField(default=dict)
    currency = CharField(max_length=8)
    amount = BigIntegerField()  # applied for
    principal = BigIntegerField(default=0)  # owed after disbursement (amount + added fees)
    term = IntegerField()
    purpose = TextField(default="")
    stage = CharField(index=True)
    reasons = JSONField(default=list)  # eligibility reasons when last checked
    applied_on = DateField()
    applied_by = CharField()  # who recorded the application
    decided_on = DateField(null=True)
    decided_by = CharField(null=True)
    decision_reason = TextField(null=True)
    disbursed_on = DateField(null=True)
    disbursement_method = CharField(null=True)
    disbursement_reference = CharField(null=True)
    disbursed_by = CharField(null=True)
    closed_on = DateField(null=True)
    created_at = DateTimeField(default=utcnow)


class LoanInstallment(BaseModel):
    """One row of a disbursed loan's schedule and what has been paid on it.

    ``penalty_assessed`` is the denda charged so far (assessed when payments are
    recorded, see docs/user-guide/loans.md); ``penalty_periods`` how many
    months or days of it.  ``interest_waived`` is scheduled interest an early
    payoff made no longer owed.
    """

    id = AutoField()
    loan = ForeignKeyField(Loan, backref="installments", on_delete="RESTRICT")
    number = IntegerField()
    due_on = DateField(index=True)
    principal = BigIntegerField()
    interest = BigIntegerField()
    principal_paid = BigIntegerField(default=0)
    interest_paid = BigIntegerField(default=0)
    interest_waived = BigIntegerField(default=0)
    penalty_assessed = BigIntegerField(default=0)
    penalty_paid = BigIntegerField(default=0)
    penalty_periods = IntegerField(default=0)
    paid_on = DateField(null=True, index=True)

    class Meta:
        indexes = ((("loan", "number"), True),)


class LoanPayment(BaseModel):
    """One repayment as recorded; ``reference`` is its idempotency key.

    ``method`` ``settlement`` marks a loan netted against a leaving member's
    savings by ``expand.deactivation``: its ledger entry is the settlement's.
    """

    id = AutoField()
    loan = ForeignKeyField(Loan, backref="payments", on_delete="RESTRICT", index=True)
    reference = CharField(unique=True)
    method = CharField()  # cash | transfer | payroll | offset | settlement
    effective_date = DateField()
    amount = BigIntegerField()
    penalty = BigIntegerField(default=0)
    interest = BigIntegerField(default=0)
    principal = BigIntegerField(default=0)
    overpayment = BigIntegerField(default=0)  # credited to sukarela savings
    payoff = BooleanField(default=False)
    actor = CharField()
    entry = ForeignKeyField(JournalEntry, null=True, on_delete="RESTRICT")
    #: what the payment did to each installment (deltas), so it can be undone
    allocation = JSONField(default=list)
    #: the reversing entry, when a settlement was cancelled (the row stays)
    reversed_by = IntegerField(null=True)
    recorded_at = DateTimeField(default=utcnow)


class LoanEvent(BaseModel):
    """The history of a loan: every stage change, who made it, why, and what was seen.

    ``reasons`` keeps the eligibility reasons on the table when the decision was
    taken; ``override`` the committee's justification for approving despite them.
    """

    id = AutoField()
    loan = ForeignKeyField(Loan, backref="events", on_delete="RESTRICT", index=True)
    action = CharField()  # apply approve reject withdraw disburse close reopen write_off
    stage = CharField()  # the stage after the action
    actor = CharField()
    reason = TextField(default="")
    reasons = JSONField(default=list)
    override = TextField(default="")
    effective_date = DateField()
    at = DateTimeField(default=utcnow)


MODELS = [Loan, LoanInstallment, LoanPayment, LoanEvent]
