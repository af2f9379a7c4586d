"""Tables of retain.faq: entries, one vote per person and entry, and (on SQLite) an FTS5 index."""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from dyncrm.db import BaseModel
from dyncrm.db.models import utcnow

#: The SQLite FTS5 table (rowid = entry id), created only where FTS5 exists.
FTS_TABLE = "faq_search"


class FaqEntry(BaseModel):
    """A question with its Markdown answer; ``search_text`` is the folded text searched."""

    id = AutoField()
    question = TextField()
    answer = TextField()
    category = CharField(index=True, default="general")
    position = IntegerField(default=0)
    published = BooleanField(default=False, index=True)
    views = IntegerField(default=0)
    helpful = IntegerField(default=0)
    not_helpful = IntegerField(default=0)
    source_ticket = CharField(null=True, unique=True)
    search_text = TextField(default="")
    created_by = CharField()
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


class FaqVote(BaseModel):
    """One "was this helpful?" answer per person and entry."""

    id = AutoField()
    entry = ForeignKeyField(FaqEntry, backref="votes", on_delete="RESTRICT")
    voter = CharField()
    helpful = BooleanField()
    at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("entry", "voter"), True),)


MODELS = [FaqEntry, FaqVote]
