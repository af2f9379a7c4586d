"""Tables of the Koperasi XYZ plugins (created by ``migrations/<plugin>/``)."""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from dyncrm.db import BaseModel
from dyncrm.db.base import JSONField
from dyncrm.db.models import JournalEntry, Member, utcnow


class ShuYear(BaseModel):
    """One fiscal year's SHU: the amount entered, the locked snapshot, and its status.

    ``status`` goes ``entered`` → ``approved`` → ``posted``.  Once approved, the
    ``snapshot`` (the whole distribution with its rules) is the year's SHU and
    is never computed from live data again.
    """

    year = IntegerField(primary_key=True)
    amount = BigIntegerField()  # minor units
    currency = CharField(max_length=8)
    status = CharField(default="entered")
    entered_by = CharField()
    entered_at = DateTimeField(default=utcnow)
    entry = ForeignKeyField(JournalEntry, null=True, on_delete="RESTRICT")
    snapshot = JSONField(null=True)
    digest = CharField(null=True)
    rat_date = DateField(null=True)
    approved_at = DateTimeField(null=True)
    posted_by = CharField(null=True)
    posted_at = DateTimeField(null=True)
    posted_on = DateField(null=True)

    class Meta:
        table_name = "kxyz_shu_year"


class ShuApproval(BaseModel):
    """One approval of a year's computed SHU, by the treasurer or by the chair.

    An approval counts only for the snapshot it saw (``digest``); approvals of
    an earlier snapshot stay as history.
    """

    id = AutoField()
    year = IntegerField(index=True)
    username = CharField()
    capacity = CharField()  # bendahara | ketua
    digest = CharField()
    at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "kxyz_shu_approval"


class ShuPurchaseFile(BaseModel):
    """A file of members' purchases imported for the SHU (``dyncrm shu purchases import``).

    Identified by its content (``sha256``): the same file again imports nothing.
    """

    id = AutoField()
    sha256 = CharField(unique=True)
    year = IntegerField(index=True)
    unit = CharField()
    filename = CharField(default="")
    lines = IntegerField(default=0)
    total = BigIntegerField(default=0)  # minor units
    imported_by = CharField()
    imported_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "kxyz_shu_purchase_file"


class ShuPurchase(BaseModel):
    """One line of an imported purchases file: a member bought ``amount`` in a unit."""

    id = AutoField()
    file = ForeignKeyField(ShuPurchaseFile, backref="purchases", on_delete="RESTRICT")
    line_no = IntegerField()
    year = IntegerField()
    unit = CharField()
    member = ForeignKeyField(Member, on_delete="RESTRICT")
    amount = BigIntegerField()  # minor units

    class Meta:
        table_name = "kxyz_shu_purchase"
        indexes = ((("year", "unit", "member"), False),)


class PayrollBatch(BaseModel):
    """An imported confirmation file of the payroll office (one per batch id)."""

    id = AutoField()
    batch = CharField(unique=True)
    period = CharField()  # YYYY-MM
    filename = CharField(default="")
    imported_by = CharField()
    imported_at = DateTimeField(default=utcnow)
    posted_lines = IntegerField(default=0)
    rejected_lines = IntegerField(default=0)
    posted_total = BigIntegerField(default=0)
    report = JSONField(default=dict)

    class Meta:
        table_name = "kxyz_payroll_batch"


class PayrollLine(BaseModel):
    """One line of an imported batch: posted, or rejected with the reason."""

    id = AutoField()
    batch = ForeignKeyField(PayrollBatch, backref="lines", on_delete="RESTRICT")
    line_no = IntegerField()
    employee_no = CharField()
    member = ForeignKeyField(Member, null=True, on_delete="RESTRICT")
    amount = BigIntegerField()
    expected = BigIntegerField(null=True)
    status = CharField()  # posted | rejected
    reason = CharField(default="")

    class Meta:
        table_name = "kxyz_payroll_line"


SHU_MODELS = [ShuYear, ShuApproval, ShuPurchaseFile, ShuPurchase]
PURCHASE_MODELS = [ShuPurchaseFile, ShuPurchase]
PAYROLL_MODELS = [PayrollBatch, PayrollLine]
