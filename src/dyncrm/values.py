"""Small immutable values that hooks receive and return.

Hooks never see peewee rows, so a plugin cannot bypass the engine's rules by
saving a model.  Collections are tuples or frozensets, never ``None``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from dyncrm.money import Money

PHASES = ("acquire", "retain", "expand")
INFO_TYPES = ("of", "for", "by")
ROLES = ("member", "secretary", "treasurer", "cashier", "credit_committee", "admin")
#: The role of the scheduler's actor: only permissions that name it are granted.
SYSTEM_ROLE = "system"
#: The role of trusted operator code (migrations, the demo, tests): every permission.
OPERATOR_ROLE = "operator"
#: The role of someone who has not signed in (an applicant on the web form): only
#: permissions whose roles name it.
PUBLIC_ROLE = "public"
#: What the system actor may never do, whatever a deployment's [permissions] say:
#: permissions whose last part is one of these.
NEVER_SCHEDULED = frozenset({"approve", "verify", "decide", "override", "post", "disburse",
                             "reverse", "write_off", "manage", "import", "pay", "enter"})
#: Where an action came from: the command line, the web portal, the scheduler, or
#: a program that imports dyncrm and vouched for the person itself.
CHANNELS = ("cli", "web", "system", "library")


@attrs.frozen
class Actor:
    """Who performs an action: a user's name, roles and (for members) member id.

    People get an actor only by proving who they are
    (:meth:`dyncrm.sessions.Sessions.resume`, ``crm.users.authenticate``), or from
    code that vouches for them explicitly (``crm.users.trusted_actor``).
    ``channel`` is where the action came from (:data:`CHANNELS`); the audit trail
    keeps it beside the user name.
    """

    username: str
    roles: frozenset[str] = frozenset()
    member_id: int | None = None
    user_id: int | None = None
    channel: str = "library"

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """The scheduler's actor: it holds only permissions that name the ``system`` role.

        Scheduled work (delivering the outbox, reminders, due items) runs as this
        actor; it can never approve, verify, decide, override or post a year.
        """
        return cls(username=name, roles=frozenset({SYSTEM_ROLE}), channel="system")

    @classmethod
    def public(cls, name: str = "web", *, channel: str = "web") -> Actor:
        """Someone who has not signed in: an applicant filling in the web form.

        Holds only permissions whose roles name ``public`` (applying for
        membership); everything else needs a person who signed in.
        """
        return cls(username=name, roles=frozenset({PUBLIC_ROLE}), channel=channel)

    @classmethod
    def operator(cls, name: str = "operator") -> Actor:
        """An actor that holds EVERY permission, for code that is the operator itself.

        Trusted and unproven: a migration, the demo, a test, a one-off script the
        cooperative runs.  The command line and the web never use it for people.
        """
        return cls(username=name, roles=frozenset({OPERATOR_ROLE}), channel="library")

    @property
    def is_system(self) -> bool:
        """True for the scheduler's actor."""
        return SYSTEM_ROLE in self.roles

    @property
    def is_operator(self) -> bool:
        """True for trusted operator code (see :meth:`operator`)."""
        return OPERATOR_ROLE in self.roles

    def __str__(self) -> str:
        return self.username


@attrs.frozen
class MemberInfo:
    """A member as hooks see it."""

    id: int
    number: str | None
    name: str
    email: str | None
    phone: str | None
    stage: str
    joined_on: dt.date | None
    left_on: dt.date | None
    preferred_channel: str | None
    marketing_opt_out: bool


@attrs.frozen
class StageChange:
    """A member moving from one stage to another through a named action."""

    member: MemberInfo
    old_stage: str
    new_stage: str
    action: str
    actor: Actor
    reason: str = ""
    on: dt.date | None = None


@attrs.frozen
class TouchpointInfo:
    """One recorded interaction (see :meth:`dyncrm.app.CRM.touch`)."""

    id: int
    member_id: int
    phase: str
    info: str
    kind: str
    actor: str
    at: dt.datetime
    payload: dict[str, Any] = attrs.field(factory=dict, eq=False)


@attrs.frozen
class Leg:
    """One posting of an entry to be made: an account code and a signed amount.

    Positive amounts are debits, negative amounts credits.
    """

    account: str
    amount: Money


@attrs.frozen
class EntryInfo:
    """A journal entry as written, with its postings."""

    id: int
    key: str | None
    kind: str
    memo: str
    effective_date: dt.date
    actor: str
    member_id: int | None
    legs: tuple[Leg, ...]
    reverses: int | None = None
    meta: dict[str, Any] = attrs.field(factory=dict, eq=False)
    #: the plugin that owns the entry (only its correction may reverse it), if any
    owner: str | None = None


@attrs.frozen
class EntryOwner:
    """Entries a plugin owns, and the command that corrects them (hook ``dyncrm_ledger_owners``).

    ``kinds`` are journal entry kinds; an entry of kind ``k`` or ``k.<anything>``
    (``savings.deposit.reversal``) belongs to ``plugin``.  ``correction`` is the
    command a person runs instead of ``dyncrm ledger reverse``, with ``{entry}``
    standing for the entry's id, e.g. ``"dyncrm savings reverse {entry} --reason TEXT"``.
    """

    plugin: str
    kinds: tuple[str, ...] = attrs.field(converter=tuple)
    correction: str

    def owns(self, kind: str) -> bool:
        """True when entries of ``kind`` belong to this plugin."""
        return any(kind == k or kind.startswith(k + ".") for k in self.kinds)

    def command(self, entry_id: int) -> str:
        """The correction command for entry ``entry_id``."""
        return self.correction.replace("{entry}", str(entry_id))


@attrs.frozen
class PostResult:
    """What posting an entry did: the entry, and whether it was a replay of a known key."""

    entry: EntryInfo
    replayed: bool


@attrs.frozen
class Permission:
    """A permission a plugin declares, with the roles that hold it by default."""

    name: str
    roles: frozenset[str]
    description: str


@attrs.frozen
class Channel:
    """A way to deliver messages.  ``send`` raises on failure; it must not retry itself.

    ``honours_idempotency_key``: ``send`` passes ``message.idempotency_key`` to a
    receiver that delivers a key only once (an HTTP gateway's ``Idempotency-Key``
    header).  The outbox then resends a message whose hand-over was interrupted
    (a crash after ``send`` began, before "sent" was recorded) with the same key.
    Without it such a message is held as *unknown* until a person resends it
    (``dyncrm outbox resend``): it is never sent twice by itself.
    """

    name: str
    send: Any  # Callable[[OutboundMessage], None]
    description: str = ""
    honours_idempotency_key: bool = False


@attrs.frozen
class OutboundMessage:
    """A message handed to a channel for delivery.

    ``idempotency_key`` is the same on every attempt at this message and unique
    across messages and deployments (a UUID stored with it): send it along
    wherever a receiver can drop repeats (``Idempotency-Key``, ``Message-ID``).
    """

    id: int
    channel: str
    recipient: str
    subject: str
    body: str
    kind: str
    member_id: int | None
    idempotency_key: str = ""


@attrs.frozen
class DueItem:
    """Something a member (or staff) owes or must do by a date, for reminders.

    ``key`` identifies the item across runs (e.g. ``loan:12:inst:3``); a source
    stops returning an item once it is settled.
    """

    key: str
    kind: str
    member_id: int | None
    due_on: dt.date
    amount: Money | None = None
    description: str = ""
    essential: bool = True
    recipient: str | None = None
    context: dict[str, Any] = attrs.field(factory=dict, eq=False)


@attrs.frozen
class Product:
    """Something the organisation offers that a promotion can point at."""

    code: str
    name: str
    kind: str  # savings | loan | other
    description: str = ""
    plugin: str = ""


@attrs.frozen
class ScheduledJob:
    """Periodic work a plugin wants run by ``dyncrm run-due`` (cron calls it daily)."""

    name: str
    run: Any  # Callable[[CRM, date], str | None]
    description: str = ""
