"""The receipt table: one numbered receipt (kwitansi) per journal entry that moved money.

Written only by :mod:`dyncrm.receipts`, inside the action that posted the entry.
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
)

from dyncrm.db.base import BaseModel, JSONField
from dyncrm.db.models import JournalEntry, Member, utcnow


class Receipt(BaseModel):
    """What a receipt proves: the entry, the member, the amount and the kind of movement.

    ``number`` (``KW-2025-000123``) comes from the gap-free sequence ``receipt:<year>``
    (``seq`` is its value); ``lines`` keeps the entry's legs as issued
    (``[{"account", "kind", "units"}]``) so a reprint shows what the original showed.
    """

    id = AutoField()
    number = CharField(unique=True, max_length=40)
    year = IntegerField()
    seq = BigIntegerField()
    kind = CharField(max_length=64, index=True)
    entry = ForeignKeyField(JournalEntry, unique=True, on_delete="RESTRICT")
    member = ForeignKeyField(Member, null=True, on_delete="RESTRICT", index=True)
    amount = BigIntegerField()
    currency = CharField(max_length=8)
    effective_date = DateField(index=True)
    issued_at = DateTimeField(default=utcnow)
    issued_by = CharField()
    lines = JSONField(default=list)


RECEIPT_MODELS = [Receipt]
