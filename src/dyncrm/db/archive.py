"""The archive table: documents kept exactly as they were sent outside the organisation.

Written only by :mod:`dyncrm.archive`, and only inserted: a row is never updated
or deleted (there is no code that does either).  ``content`` holds the document's
bytes; ``sha256`` their hash, checked again on every read.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    BlobField,
    CharField,
    DateTimeField,
)

from dyncrm.db.base import BaseModel, JSONField
from dyncrm.db.models import utcnow


class ArchivedDocument(BaseModel):
    """One file of a sent document: what kind, for which period, the bytes and their hash.

    A *set* is every file archived under one ``(kind, key)`` — a month's payroll
    deduction list as sent (its data, CSV and PDF), a year's SHU slips, a report
    handed to the RAT.  ``name`` is the file's name within its set.
    """

    id = AutoField()
    kind = CharField(max_length=64, index=True)
    key = CharField(max_length=120)
    name = CharField(max_length=200)
    media_type = CharField(max_length=100)
    sha256 = CharField(max_length=64, index=True)
    size = BigIntegerField()
    content = BlobField()
    created_at = DateTimeField(default=utcnow)
    created_by = CharField()
    channel = CharField(max_length=16, default="library")
    meta = JSONField(default=dict)

    class Meta:
        table_name = "archived_document"
        indexes = ((("kind", "key", "name"), True),)


ARCHIVE_MODELS = [ArchivedDocument]
