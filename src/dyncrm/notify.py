"""The outbox: messages written in the action's transaction, delivered after commit.

``crm.outbox.queue(...)`` writes a row next to the action's other writes, so a
rolled-back action leaves no message behind.  ``dyncrm outbox send`` (or
:meth:`Outbox.deliver`) hands due messages to their channel: console, file,
SMTP or one a plugin adds through ``dyncrm_notification_channels``.  Every
attempt is recorded; failures are retried with exponential backoff up to
``notify.max_attempts``; a message marked sent is never sent again.

At most once across crashes: a message is claimed (``pending`` → ``sending``,
a conditional UPDATE committed on its own, so two senders never take the same
message) before it is handed to its channel, and marked ``sent`` after.  A
``sending`` message whose process died is resent with the same idempotency key
when its channel honours one (``Channel.honours_idempotency_key``, the HTTP
gateway); otherwise it becomes ``unknown`` — listed by ``dyncrm outbox unknown``
and resent only by a person (:meth:`Outbox.resend`).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import smtplib
import socket
import ssl
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import attrs
from peewee import IntegrityError

from dyncrm.db.concurrency import timeout_of, write_transaction
from dyncrm.db.models import DeliveryAttempt, OutboxMessage, utcnow
from dyncrm.errors import DatabaseBusy, DyncrmError, NotFoundError, ValidationError
from dyncrm.values import Actor, Channel, OutboundMessage

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.config import SmtpSettings

#: A ``sending`` claim older than this is taken for a dead process even when its
#: process cannot be checked (another machine): no hand-over takes this long.
CLAIM_LEASE = dt.timedelta(minutes=15)

#: Statuses a person may resend with :meth:`Outbox.resend`.
RESENDABLE = ("unknown", "failed")

STATUSES = ("pending", "sending", "sent", "failed", "unknown")

T = TypeVar("T")


class DeliveryUncertain(DyncrmError):
    """Raised by a channel's ``send`` when the receiver may have got the message.

    E.g. the SMTP server received the whole message and the connection broke
    before it confirmed.  Unlike any other exception (a failure, retried with
    backoff), the outbox does not retry such a message blindly: it is held as
    ``unknown`` unless its channel honours the idempotency key.
    """


@attrs.frozen
class QueueResult:
    """The message id, and whether the key had been queued before (nothing new written)."""

    id: int
    replayed: bool


@attrs.frozen
class Message:
    """A message to queue with :meth:`Outbox.queue_many` (the arguments of
    :meth:`Outbox.queue`)."""

    recipient: str
    subject: str
    body: str
    channel: str | None = None
    member_id: int | None = None
    kind: str = ""
    key: str | None = None
    essential: bool = True
    not_before: dt.datetime | None = None


@attrs.frozen
class DeliveryReport:
    """What one delivery run did.

    ``unknown``: messages this run held for a person because their hand-over was
    interrupted (a crash before) or unconfirmed (:class:`DeliveryUncertain`);
    ``resumed``: interrupted hand-overs resent with their idempotency key.
    """

    sent: int
    failed: int
    gave_up: int
    unknown: int = 0
    resumed: int = 0


def message_id_header(message: OutboundMessage, sender: str) -> str:
    """The ``Message-ID`` of ``message``: the same on every attempt, unique across messages."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    local = message.idempotency_key or f"dyncrm.{message.id}"
    return f"<{local}@{domain}>"


def console_channel(stream=None) -> Channel:
    """Print messages to stdout (development, demos)."""

    def send(message: OutboundMessage) -> None:
        out = stream or sys.stdout
        print(f"--- to {message.recipient} via console: {message.subject}", file=out)
        print(message.body, file=out, flush=True)  # delivered before "sent" is recorded

    return Channel("console", send, "print to the terminal")


def file_channel(directory: Path) -> Channel:
    """Write each message as an ``.eml`` file, one file per message."""

    def send(message: OutboundMessage) -> None:
        from dyncrm.files import write_atomic

        msg = EmailMessage()
        msg["To"] = message.recipient
        msg["Subject"] = message.subject
        msg["Message-ID"] = message_id_header(message, "dyncrm@localhost")
        msg["X-Dyncrm-Message"] = str(message.id)
        msg.set_content(message.body)
        path = directory / f"{message.id:08d}-{message.kind or 'message'}.eml"
        write_atomic(path, bytes(msg))  # whole or not at all; a full disk names the file

    return Channel("file", send, f"write .eml files to {directory}")


def smtp_channel(settings: SmtpSettings) -> Channel:
    """Send e-mail through an SMTP server (stdlib ``smtplib``)."""

    def send(message: OutboundMessage) -> None:
        if "@" not in message.recipient:
            raise ValidationError(f"{message.recipient!r} is not an e-mail address")
        msg = EmailMessage()
        msg["From"] = settings.sender
        msg["To"] = message.recipient
        msg["Subject"] = message.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = message_id_header(message, settings.sender)
        msg.set_content(message.body)
        cls = _TrackingSMTP_SSL if settings.ssl else _TrackingSMTP
        smtp = cls(settings.host, settings.port, timeout=settings.timeout)
        try:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(msg)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            raise  # the server answered no: nothing was delivered
        except (smtplib.SMTPException, OSError) as exc:
            if smtp.content_sent:  # the whole message went out, the "250" never came back
                raise DeliveryUncertain(f"{settings.host}:{settings.port} received the message "
                                        f"but did not confirm it: {exc}") from exc
            raise
        finally:
            try:
                smtp.quit()  # after a "250" the message is delivered, whatever QUIT does
            except (smtplib.SMTPException, OSError):
                smtp.close()

    return Channel("smtp", send, f"e-mail via {settings.host}:{settings.port}")


def _tracking(cls: type[smtplib.SMTP]) -> type[smtplib.SMTP]:
    """``cls`` that notes when a message's content (ending ``CRLF.CRLF``) has been sent."""

    class Tracking(cls):
        content_sent = False

        def send(self, s) -> None:
            super().send(s)
            if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
                self.content_sent = True

    return Tracking


_TrackingSMTP = _tracking(smtplib.SMTP)
_TrackingSMTP_SSL = _tracking(smtplib.SMTP_SSL)


class Outbox:
    """Queue and deliver messages; reach it as ``crm.outbox``."""

    def __init__(self, crm: CRM) -> None:
        self.crm = crm
        self._channels: dict[str, Channel] | None = None

    @property
    def channels(self) -> dict[str, Channel]:
        """Every channel by name: the core's and those plugins add."""
        if self._channels is None:
            settings = self.crm.config.notify
            channels = {
                "console": console_channel(),
                "file": file_channel(self.crm.config.resolve(settings.file_directory)),
                "smtp": smtp_channel(settings.smtp),
            }
            for extra in self.crm.hook.dyncrm_notification_channels(crm=self.crm):
                for channel in extra or []:
                    channels[channel.name] = channel
            self._channels = channels
        return self._channels

    def _checked_channel(self, channel: str | None, recipient: str) -> str:
        """The channel a message goes by (``channel`` or the default), refusing an
        unknown channel or a message without a recipient."""
        channel = channel or self.crm.config.notify.default_channel
        if channel not in self.channels:
            raise ValidationError(f"unknown channel {channel!r}; channels: "
                                  f"{', '.join(sorted(self.channels))}", field="channel")
        if not recipient:
            raise ValidationError("a message needs a recipient", field="recipient")
        return channel

    def queue(self, *, recipient: str, subject: str, body: str, channel: str | None = None,
              member_id: int | None = None, kind: str = "", key: str | None = None,
              essential: bool = True, not_before: dt.datetime | None = None) -> QueueResult:
        """Write a message to the outbox in the current transaction.

        ``key`` makes queueing idempotent: a key queued before returns the first
        message's id with ``replayed=True``.
        """
        channel = self._checked_channel(channel, recipient)
        if key is not None:
            existing = OutboxMessage.get_or_none(OutboxMessage.key == key)
            if existing is not None:
                return QueueResult(existing.id, True)
        try:
            with self.crm.db.atomic():
                row = OutboxMessage.create(
                    key=key, member=member_id, channel=channel, recipient=recipient,
                    subject=subject, body=body, kind=kind, essential=essential,
                    next_attempt_at=not_before or utcnow(),
                )
        except IntegrityError:  # a concurrent writer queued the same key
            existing = OutboxMessage.get(OutboxMessage.key == key)
            return QueueResult(existing.id, True)
        return QueueResult(row.id, False)

    def queue_many(self, messages: list[Message]) -> list[QueueResult]:
        """:meth:`queue` for many messages at once (batch work), in the current
        transaction: one lookup of keys per chunk and multi-row inserts; the results in
        the order of ``messages``.

        A key queued before, or earlier in ``messages``, is a replay: nothing is written
        for it and its first message's id is returned.  Another transaction must not
        queue the same keys meanwhile (hold a lock on what they belong to: one by one,
        :meth:`queue` takes the other writer's message instead).
        """
        from dyncrm.db import bulk

        if not messages:
            return []
        default = self.crm.config.notify.default_channel
        for m in messages:
            self._checked_channel(m.channel, m.recipient)
        db = self.crm.database
        k = bulk.quote(db, "key")
        known = dict(bulk.select_in(db, f"SELECT {k}, id FROM outbox_message WHERE {k} IN "
                                        "({in})", [m.key for m in messages if m.key is not None]))
        stamp = utcnow()
        fresh: list[int] = []  # positions of the messages written now
        first: dict[str, int] = {}  # each new key's first position
        for i, m in enumerate(messages):
            if m.key is None or (m.key not in known and m.key not in first):
                fresh.append(i)
                if m.key is not None:
                    first[m.key] = i
        with db.atomic():  # all rows or none, also when no action is open
            ids = bulk.insert_dicts(db, OutboxMessage, [
                {"key": m.key, "member": m.member_id, "channel": m.channel or default,
                 "recipient": m.recipient, "subject": m.subject, "body": m.body,
                 "kind": m.kind, "essential": m.essential,
                 "next_attempt_at": m.not_before or stamp, "created_at": stamp}
                for m in (messages[i] for i in fresh)], returning="id")
        made = dict(zip(fresh, ids, strict=True))
        out = []
        for i, m in enumerate(messages):
            if i in made:
                out.append(QueueResult(made[i], False))
            else:
                out.append(QueueResult(known[m.key] if m.key in known else made[first[m.key]],
                                       True))
        return out

    def pending(self, *, now: dt.datetime | None = None) -> list[OutboxMessage]:
        """Messages due for a delivery attempt."""
        now = now or utcnow()
        return list(OutboxMessage.select()
                    .where(OutboxMessage.status == "pending",
                           OutboxMessage.next_attempt_at <= now)
                    .order_by(OutboxMessage.id))

    def deliver(self, *, now: dt.datetime | None = None, limit: int | None = None,
                progress=None, only: int | None = None) -> DeliveryReport:
        """Try every due message once (or message ``only``), each claimed on its own.

        First settles hand-overs that a dead process left in ``sending``
        (:meth:`recover`).  Then, per message: claim it (``sending``, committed),
        hand it to its channel, record the outcome (``sent``, or a retry with
        backoff, or ``failed`` after ``notify.max_attempts``).  A crash can leave
        at most the message in flight undecided, and it is never resent blindly.
        Runs outside any transaction: the claim must be committed before the
        hand-over.
        """
        if self.crm.db.in_transaction():
            raise DyncrmError("bug in the caller: the outbox delivers outside any transaction "
                              "(a message must be marked 'sending' before it leaves)")
        settings = self.crm.config.notify
        sent = failed = gave_up = 0
        resumed, unknown = self.recover(now=now)
        due = self.pending(now=now)
        if only is not None:
            due = [row for row in due if row.id == only]
        if limit is not None:
            due = due[:limit]
        for row in due:
            outcome = self._deliver_one(row.id, now, settings)
            if outcome == "sent":
                sent += 1
            elif outcome == "unknown":
                unknown += 1
            elif outcome in ("retry", "failed"):
                failed += 1
                gave_up += outcome == "failed"
            if progress is not None:
                progress(1)
        return DeliveryReport(sent, failed, gave_up, unknown, resumed)

    def _deliver_one(self, message_id: int, now: dt.datetime | None, settings) -> str | None:
        """Claim, hand over and settle one message; ``None`` when another process took it."""
        at = now or utcnow()
        claim = f"{_HOST}:{os.getpid()}:{secrets.token_hex(6)}"
        taken = self._transaction(
            OutboxMessage.update(status="sending", claim=claim, claimed_at=utcnow(),
                                 attempts=OutboxMessage.attempts + 1)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",
                   OutboxMessage.next_attempt_at <= at)
            .execute)
        if taken != 1:
            return None
        _IN_FLIGHT.add(claim)
        try:
            row = OutboxMessage.get_by_id(message_id)
            channel = self.channels.get(row.channel)
            message = OutboundMessage(id=row.id, channel=row.channel, recipient=row.recipient,
                                      subject=row.subject, body=row.body, kind=row.kind,
                                      member_id=row.member_id, idempotency_key=row.uid)
            error, uncertain = None, False
            try:
                if channel is None:
                    raise ValidationError(f"channel {row.channel!r} is not available")
                channel.send(message)
            except Exception as exc:  # any failure of a channel is recorded, not raised
                error = f"{type(exc).__name__}: {exc}"
                uncertain = isinstance(exc, DeliveryUncertain)
            if error is None:
                # whoever holds it now (a resend after a lease ran out), it went out
                update = (OutboxMessage.update(status="sent", sent_at=at, last_error=None)
                          .where(OutboxMessage.id == row.id, OutboxMessage.status != "sent"))
                outcome = "sent"
            elif uncertain and not channel.honours_idempotency_key:
                error += "; held until a person resends it (dyncrm outbox unknown)"
                update = (OutboxMessage.update(status="unknown", last_error=error)
                          .where(OutboxMessage.id == row.id, OutboxMessage.claim == claim,
                                 OutboxMessage.status == "sending"))
                outcome = "unknown"
            else:
                if row.attempts >= settings.max_attempts:
                    changes, outcome = {"status": "failed"}, "failed"
                else:
                    delay = settings.retry_base_seconds * 2 ** (row.attempts - 1)
                    changes = {"status": "pending",
                               "next_attempt_at": at + dt.timedelta(seconds=delay)}
                    outcome = "retry"
                update = (OutboxMessage.update(last_error=error, **changes)
                          .where(OutboxMessage.id == row.id, OutboxMessage.claim == claim,
                                 OutboxMessage.status.in_(("sending", "unknown"))))

            def settle() -> None:
                update.execute()  # the message row first, then the row that refers to it
                DeliveryAttempt.create(message=row.id, at=at, ok=error is None, error=error)

            self._transaction(settle)
            return outcome
        finally:
            _IN_FLIGHT.discard(claim)

    def recover(self, *, now: dt.datetime | None = None) -> tuple[int, int]:
        """Settle messages left in ``sending`` by a process that died; ``(resumed, unknown)``.

        Such a message may or may not have reached its channel.  If the channel
        honours the idempotency key it goes back to ``pending`` and is resent with
        the same key; otherwise it becomes ``unknown`` and waits for a person.  A
        claim is dead when its process is gone (same machine) or older than
        :data:`CLAIM_LEASE`; a live sender's claims are left alone.
        """
        resumed = unknown = 0
        for row in OutboxMessage.select().where(OutboxMessage.status == "sending"):
            if not self._orphaned(row):
                continue
            channel = self.channels.get(row.channel)
            if channel is not None and channel.honours_idempotency_key:
                status = "pending"
                note = (f"interrupted while handing it to {row.channel} ({row.claim}); "
                        "resent with the same idempotency key")
            else:
                status = "unknown"
                note = (f"interrupted while handing it to {row.channel} ({row.claim}): it may "
                        "or may not have been delivered; held until a person resends it "
                        "(dyncrm outbox unknown / dyncrm outbox resend)")
            at = now or utcnow()

            def settle(row=row, status=status, note=note, at=at) -> int:
                changed = (OutboxMessage.update(status=status, last_error=note,
                                                next_attempt_at=at)
                           .where(OutboxMessage.id == row.id,
                                  OutboxMessage.status == "sending",
                                  OutboxMessage.claim == row.claim)
                           .execute())
                if changed:
                    DeliveryAttempt.create(message=row.id, at=at, ok=False, error=note)
                return changed

            if self._transaction(settle):
                resumed += status == "pending"
                unknown += status == "unknown"
        return resumed, unknown

    def _transaction(self, work: Callable[[], T]) -> T:
        """``work()`` in a write transaction of its own, run again while the database is busy.

        Every such block here is a conditional update (and the attempt it
        records), so running it again after a deadlock or a lock timeout (which
        rolled it back) is safe; giving up would lose what a channel just did.
        """
        database = self.crm.database
        deadline = time.monotonic() + timeout_of(database)
        delay = 0.005
        while True:
            try:
                with write_transaction(database):
                    return work()
            except DatabaseBusy:
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.25)

    def _orphaned(self, row: OutboxMessage) -> bool:
        """Whether the process that claimed ``row`` is gone (or its lease ran out)."""
        if row.claim in _IN_FLIGHT:
            return False
        host, _, rest = (row.claim or "").partition(":")
        pid_text = rest.partition(":")[0]
        if host == _HOST and pid_text.isdigit():
            pid = int(pid_text)
            if pid == os.getpid() or not _process_alive(pid):
                return True  # this process is not sending it any more, or the sender died
        return row.claimed_at is None or utcnow() - row.claimed_at > CLAIM_LEASE

    def message(self, message_id: int) -> OutboxMessage:
        """One outbox message by id (raises ``NotFoundError``)."""
        row = OutboxMessage.get_or_none(OutboxMessage.id == message_id)
        if row is None:
            raise NotFoundError("outbox message", message_id)
        return row

    def unknown(self) -> list[OutboxMessage]:
        """Messages whose hand-over was interrupted and whose delivery nobody can tell."""
        return list(OutboxMessage.select().where(OutboxMessage.status == "unknown")
                    .order_by(OutboxMessage.id))

    def resend(self, message_id: int, actor: Actor) -> None:
        """Put an ``unknown`` or ``failed`` message back in the queue, recording who did it.

        Needs ``outbox.resend``: only a person who checked that the recipient did
        not get it should send a message of unknown fate again.  The next
        :meth:`deliver` sends it (``deliver(only=message_id)`` at once).
        """
        with self.crm.action("outbox.resend", actor, permission="outbox.resend"):
            row = self.message(message_id)
            if row.status not in RESENDABLE:
                raise ValidationError(f"message {message_id} is {row.status}; only a message "
                                      "whose delivery is unknown or that failed can be resent",
                                      field="id")
            at = utcnow()
            changed = (OutboxMessage.update(status="pending", next_attempt_at=at,
                                            resent_by=actor.username, resent_at=at)
                       .where(OutboxMessage.id == message_id,
                              OutboxMessage.status == row.status)
                       .execute())
            if changed != 1:
                raise DyncrmError(f"message {message_id} changed while it was being resent; "
                                  "nothing was done, look at it again")

    def retry(self, message_id: int) -> None:
        """Put a failed message back in the queue."""
        OutboxMessage.update(status="pending", next_attempt_at=utcnow()).where(
            OutboxMessage.id == message_id, OutboxMessage.status == "failed").execute()


_HOST = socket.gethostname()

#: Claims this process is handing over right now, whichever ``CRM`` (thread) made them.
_IN_FLIGHT: set[str] = set()


def _process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (only checked on POSIX)."""
    if os.name != "posix":
        return True  # no safe probe: rely on the lease
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True
