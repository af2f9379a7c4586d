"""Tables of retain.feedback: tickets and their history."""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from dyncrm.db import BaseModel
from dyncrm.db.models import Member, utcnow


class FeedbackTicket(BaseModel):
    """A complaint or suggestion, with its workflow dates and service-level deadlines."""

    id = AutoField()
    number = CharField(unique=True)
    member = ForeignKeyField(Member, backref="feedback_tickets", on_delete="RESTRICT",
                             index=True)
    kind = CharField()  # complaint | suggestion
    category = CharField(index=True)
    subject = CharField()
    text = TextField()
    anonymous = BooleanField(default=False)
    stage = CharField(index=True, default="new")
    assignee = CharField(null=True, index=True)
    submitted_by = CharField()
    created_at = DateTimeField(default=utcnow)
    submitted_on = DateField(index=True)
    ack_due_on = DateField()
    resolve_due_on = DateField()
    acknowledged_at = DateTimeField(null=True)
    acknowledged_on = DateField(null=True)
    started_at = DateTimeField(null=True)
    resolved_at = DateTimeField(null=True)
    resolved_on = DateField(null=True)
    resolution = TextField(null=True)
    closed_at = DateTimeField(null=True)
    rejected_at = DateTimeField(null=True)
    reject_reason = TextField(null=True)
    rating = IntegerField(null=True)
    rating_comment = TextField(null=True)
    rated_at = DateTimeField(null=True)
    attachment_stored = CharField(null=True)
    attachment_name = CharField(null=True)
    attachment_type = CharField(null=True)
    attachment_size = IntegerField(null=True)
    attachment_sha256 = CharField(null=True)
    published = BooleanField(default=False)
    public_title = CharField(null=True)
    public_text = TextField(null=True)
    published_at = DateTimeField(null=True)


class FeedbackEvent(BaseModel):
    """One change of a ticket: stage changes, assignment, notes (internal) and replies."""

    id = AutoField()
    ticket = ForeignKeyField(FeedbackTicket, backref="events", on_delete="RESTRICT", index=True)
    at = DateTimeField(default=utcnow)
    actor = CharField()
    action = CharField()
    from_stage = CharField(null=True)
    to_stage = CharField(null=True)
    text = TextField(null=True)
    internal = BooleanField(default=False)


MODELS = [FeedbackTicket, FeedbackEvent]
