"""The closed-period table: months and years of the books closed with four eyes.

Written only by :mod:`dyncrm.periods`; read by the ledger before every posting
(:meth:`dyncrm.ledger.Ledger.post`), which refuses an entry dated inside a
period in force.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    IntegerField,
    TextField,
)

from dyncrm.db.base import BaseModel
from dyncrm.db.models import utcnow

#: Statuses in which a period is closed: nothing may be posted dated inside it.
IN_FORCE = ("closed", "reopening")


class ClosedPeriod(BaseModel):
    """One closing of a month (``2025-11``) or a fiscal year (``2025``).

    A row is a *round*: proposed by one person (``proposed``), approved by
    others as the deployment's quorum asks (``closed``, in force); a reopening
    is proposed (``reopening``, still in force) and approved (``reopened``, no
    longer in force).  Closing the period again starts round ``n + 1``.  A
    year's row keeps its closing entry and its result (income − expenses, in
    minor units of ``currency``).
    """

    id = AutoField()
    period = CharField(max_length=7)  # "2025-11" or "2025"
    kind = CharField(max_length=8)  # month | year
    first_day = DateField(index=True)
    last_day = DateField(index=True)
    round = IntegerField(default=1)
    status = CharField(max_length=16, index=True)  # proposed|closed|reopening|reopened
    reason = TextField(default="")
    proposed_by = CharField()
    proposed_at = DateTimeField(default=utcnow)
    approved_by = CharField(default="")  # "ketua+bendahara"
    closed_at = DateTimeField(null=True)
    entry = BigIntegerField(null=True)  # the year's closing entry
    result = BigIntegerField(null=True)  # the year's result, minor units
    currency = CharField(max_length=8, default="")
    reopen_reason = TextField(default="")
    reopen_proposed_by = CharField(default="")
    reopen_proposed_at = DateTimeField(null=True)
    reopened_by = CharField(default="")
    reopened_at = DateTimeField(null=True)

    class Meta:
        table_name = "closed_period"
        indexes = ((("period", "round"), True),)


PERIOD_MODELS = [ClosedPeriod]
