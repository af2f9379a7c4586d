"""The plugin's one table: visits of members to a branch office."""

from __future__ import annotations

from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, TextField

from dyncrm.db import BaseModel
from dyncrm.db.models import Member, utcnow


class Visit(BaseModel):
    """A member came to (or is expected at) a branch: who, where, when and why."""

    id = AutoField()
    member = ForeignKeyField(Member, backref="visits", on_delete="RESTRICT", index=True)
    branch = CharField()
    kind = CharField(default="walk-in")  # walk-in | welcome
    note = TextField(default="")
    actor = CharField()
    at = DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "visits_visit"


MODELS = [Visit]
