"""Tables of ``expand.rewards``: redemptions and restocking of the catalogue.

Points themselves live only in the ledger (commodity ``POINTS``); the stock
left of a catalogue item is its configured ``stock`` plus restocks minus
redemptions.
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


class RewardRedemption(BaseModel):
    """Points exchanged for a catalogue item; ``reference`` is the idempotency key."""

    id = AutoField()
    member = ForeignKeyField(Member, backref="reward_redemptions", on_delete="RESTRICT",
                             index=True)
    item = CharField(index=True)
    quantity = IntegerField()
    points = BigIntegerField()
    reference = CharField(unique=True)
    effective_date = DateField()
    actor = CharField()
    entry = ForeignKeyField(JournalEntry, on_delete="RESTRICT")
    recorded_at = DateTimeField(default=utcnow)


class RewardStock(BaseModel):
    """Items added to (or, negative, taken out of) the catalogue's stock."""

    id = AutoField()
    item = CharField(index=True)
    quantity = IntegerField()
    reference = CharField(unique=True)
    note = TextField(default="")
    actor = CharField()
    at = DateTimeField(default=utcnow)


MODELS = [RewardRedemption, RewardStock]
