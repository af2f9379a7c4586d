"""Core tables: members, people, touchpoints, the ledger, the outbox, action keys."""

from __future__ import annotations

import datetime as dt
import uuid

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

from dyncrm.db.base import BaseModel, JSONField


def utcnow() -> dt.datetime:
    """Naive UTC timestamp, the only kind stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_uid() -> str:
    """A fresh random UUID as text: the stable identity of one outbox message."""
    return str(uuid.uuid4())


class Member(BaseModel):
    """Anyone the organisation has a relationship with, from applicant to former member."""

    id = AutoField()
    number = CharField(null=True, unique=True)
    name = CharField()
    email = CharField(null=True, index=True)
    phone = CharField(null=True)
    stage = CharField(index=True, default="applicant")
    preferred_channel = CharField(null=True)
    marketing_opt_out = BooleanField(default=False)
    joined_on = DateField(null=True)
    left_on = DateField(null=True)
    created_at = DateTimeField(default=utcnow)


class User(BaseModel):
    """A login: staff and members alike.  Roles are a comma-separated list."""

    id = AutoField()
    username = CharField(unique=True)
    display_name = CharField(default="")
    password_hash = CharField(null=True)
    roles = CharField(default="")
    member = ForeignKeyField(Member, null=True, backref="users", on_delete="RESTRICT")
    active = BooleanField(default=True)
    activation_token_hash = CharField(null=True)
    activation_expires_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)


class Touchpoint(BaseModel):
    """One interaction with a member: phase × information type × kind."""

    id = AutoField()
    member = ForeignKeyField(Member, backref="touchpoints", on_delete="RESTRICT", index=True)
    phase = CharField()  # acquire | retain | expand
    info = CharField()  # of | for | by
    kind = CharField(index=True)
    actor = CharField()
    at = DateTimeField(default=utcnow, index=True)
    payload = JSONField(default=dict)
    channel = CharField(max_length=16, default="unknown")  # cli | web | system | library


class Account(BaseModel):
    """A ledger account.  ``kind`` groups accounts across members (e.g. ``savings.wajib``)."""

    id = AutoField()
    code = CharField(unique=True)
    name = CharField()
    type = CharField()  # asset | liability | equity | income | expense
    kind = CharField(index=True)
    member = ForeignKeyField(Member, null=True, backref="accounts", on_delete="RESTRICT")
    commodity = CharField(max_length=8)


class JournalEntry(BaseModel):
    """A balanced set of postings; never updated or deleted once written."""

    id = AutoField()
    key = CharField(null=True, unique=True)
    kind = CharField(index=True)
    memo = TextField(default="")
    effective_date = DateField(index=True)
    recorded_at = DateTimeField(default=utcnow)
    actor = CharField()
    member = ForeignKeyField(Member, null=True, backref="entries", on_delete="RESTRICT")
    reverses = ForeignKeyField("self", null=True, backref="reversals", on_delete="RESTRICT")
    meta = JSONField(default=dict)
    #: the plugin that posted the entry and alone may correct it (None: anyone with
    #: ``ledger.reverse``); see ``Ledger.reverse`` and hook ``dyncrm_ledger_owners``
    owner = CharField(null=True, max_length=64, index=True)


class Posting(BaseModel):
    """One leg of an entry: a signed amount in integer minor units (debit > 0)."""

    id = AutoField()
    entry = ForeignKeyField(JournalEntry, backref="postings", on_delete="RESTRICT", index=True)
    account = ForeignKeyField(Account, backref="postings", on_delete="RESTRICT", index=True)
    amount = BigIntegerField()
    commodity = CharField(max_length=8)


class OutboxMessage(BaseModel):
    """A message waiting to leave, written in the same transaction as its cause.

    ``status``: ``pending`` (queued, due at ``next_attempt_at``) → ``sending``
    (claimed by the process in ``claim``, committed before the hand-over to the
    channel) → ``sent``; or back to ``pending`` (a failure, retried with backoff)
    → ``failed`` (gave up).  A ``sending`` row whose process died is ``unknown``
    (the channel may or may not have delivered it) unless its channel honours the
    idempotency key ``uid``; a person resends it (``resent_by``).
    """

    id = AutoField()
    uid = CharField(max_length=36, unique=True, default=new_uid)
    key = CharField(null=True, unique=True)
    member = ForeignKeyField(Member, null=True, backref="messages", on_delete="RESTRICT")
    channel = CharField()
    recipient = CharField()
    subject = CharField(default="")
    body = TextField()
    kind = CharField(default="", index=True)
    essential = BooleanField(default=True)
    status = CharField(default="pending", index=True)  # pending|sending|sent|failed|unknown
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    last_error = TextField(null=True)
    claim = CharField(null=True)  # "host:pid:nonce" of the process handing it over
    claimed_at = DateTimeField(null=True)
    resent_by = CharField(null=True)
    resent_at = DateTimeField(null=True)


class DeliveryAttempt(BaseModel):
    """Each try at delivering an outbox message, successful or not."""

    id = AutoField()
    message = ForeignKeyField(OutboxMessage, backref="delivery_attempts", on_delete="RESTRICT")
    at = DateTimeField(default=utcnow)
    ok = BooleanField()
    error = TextField(null=True)


class ActionKey(BaseModel):
    """Idempotency keys of actions that are not journal entries (see ``CRM.action``)."""

    key = CharField(primary_key=True)
    action = CharField()
    actor = CharField()
    at = DateTimeField(default=utcnow)
    result = JSONField(default=dict)
    channel = CharField(max_length=16, default="unknown")


class Counter(BaseModel):
    """Named sequences (member numbers, ticket numbers) that never hand out a value twice."""

    name = CharField(primary_key=True)
    value = BigIntegerField(default=0)


CORE_MODELS = [Member, User, Touchpoint, Account, JournalEntry, Posting,
               OutboxMessage, DeliveryAttempt, ActionKey, Counter]


class NamedLock(BaseModel):
    """One row per lock name (``account:cash``), locked by ``crm.lock`` (FOR UPDATE).

    The rows carry no data; they exist so that PostgreSQL and MariaDB can lock
    a name whatever it stands for, including an account not opened yet.
    Created by the core's migration 0003 (see :mod:`dyncrm.db.concurrency`).
    """

    name = CharField(primary_key=True, max_length=190)


class UserSession(BaseModel):
    """A signed-in session: only the SHA-256 of its token is stored.

    It ends when revoked (``revoked_at``), after ``idle`` without use, at
    ``expires_at`` whatever the use, or when its user is disabled.
    """

    id = AutoField()
    user = ForeignKeyField(User, backref="sessions", on_delete="RESTRICT", index=True)
    token_hash = CharField(max_length=64, unique=True)
    channel = CharField(max_length=16)  # cli | web
    label = CharField(default="")  # where it was opened (host, browser)
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    revoked_at = DateTimeField(null=True)
    revoked_by = CharField(null=True)


class LoginThrottle(BaseModel):
    """Failed sign-ins counted per scope (``user:ketua``, ``cli:root@host``)."""

    scope = CharField(primary_key=True, max_length=190)
    failures = IntegerField(default=0)
    last_failure_at = DateTimeField(null=True)
    locked_until = DateTimeField(null=True)


class Approval(BaseModel):
    """One person's approval of a decision that may need a quorum (``crm.quorum``)."""

    id = AutoField()
    decision = CharField(max_length=64)  # loans.approve, loans.override
    subject = CharField(max_length=64)  # loan:42
    username = CharField()
    roles = CharField(default="")  # the roles the person held when approving
    channel = CharField(max_length=16, default="unknown")
    note = TextField(default="")
    at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("decision", "subject", "username"), True),)


class ActionLog(BaseModel):
    """The audit trail: every action that ran (not replays), who ran it and from where."""

    id = AutoField()
    action = CharField(max_length=64, index=True)
    actor = CharField(index=True)
    channel = CharField(max_length=16)  # cli | web | system | library
    key = CharField(null=True)
    at = DateTimeField(default=utcnow, index=True)
