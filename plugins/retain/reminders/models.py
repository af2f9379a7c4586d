"""Table of retain.reminders: every reminder queued, one row per (item, offset)."""

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
from dyncrm.db.models import Member, OutboxMessage, utcnow


class Reminder(BaseModel):
    """A reminder queued for a due item at one offset; ``key`` makes it happen once."""

    id = AutoField()
    key = CharField(unique=True)  # remind:<item key>:<offset>
    item_key = CharField(index=True)
    kind = CharField(index=True)
    day_offset = IntegerField()
    due_on = DateField()
    run_on = DateField(index=True)
    member = ForeignKeyField(Member, null=True, backref="reminders", on_delete="RESTRICT",
                             index=True)
    recipient = CharField()
    channel = CharField()
    message = ForeignKeyField(OutboxMessage, backref="reminders", on_delete="RESTRICT")
    amount = BigIntegerField(null=True)  # minor units of ``commodity``
    commodity = CharField(max_length=8, null=True)
    actor = CharField()
    queued_at = DateTimeField(default=utcnow)


MODELS = [Reminder]
