"""The outbox: messages written in the action's transaction, delivered after commit.

``crm.outbox.queue(...)`` writes a row next to the action's other writes, so a
rolled-back action leaves no message behind.  ``dyncrm outbox send`` (or
:meth:`Outbox.deliver`) hands due messages to their channel: console, file,
SMTP or one a plugin adds through ``dyncrm_notification_channels``.  Every
attempt is recorded; failures are retried with exponential backoff up to
``notify.max_attempts``; a message marked sent is never sent again.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from peewee import IntegrityError

from dyncrm.db.models import DeliveryAttempt, OutboxMessage, utcnow
from dyncrm.errors import ValidationError
from dyncrm.values import Channel, OutboundMessage

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.config import SmtpSettings


@attrs.frozen
class QueueResult:
    """The message id, and whether the key had been queued before (nothing new written)."""

    id: int
    replayed: bool


@attrs.frozen
class DeliveryReport:
    """What one delivery run did."""

    sent: int
    failed: int
    gave_up: int


def console_channel(stream=None) -> Channel:
    """Print messages to stdout (development, demos)."""

    def send(message: OutboundMessage) -> None:
        out = stream or sys.stdout
        print(f"--- to {message.recipient} via console: {message.subject}", file=out)
        print(message.body, file=out)

    return Channel("console", send, "print to the terminal")


def file_channel(directory: Path) -> Channel:
    """Write each message as an ``.eml`` file, one file per message."""

    def send(message: OutboundMessage) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        msg = EmailMessage()
        msg["To"] = message.recipient
        msg["Subject"] = message.subject
        msg["X-Dyncrm-Message"] = str(message.id)
        msg.set_content(message.body)
        path = directory / f"{message.id:08d}-{message.kind or 'message'}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(msg))
        tmp.replace(path)

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
        msg["Message-ID"] = make_msgid(idstring=f"dyncrm{message.id}")
        msg.set_content(message.body)
        cls = smtplib.SMTP_SSL if settings.ssl else smtplib.SMTP
        with cls(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(msg)

    return Channel("smtp", send, f"e-mail via {settings.host}:{settings.port}")


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

    def queue(self, *, recipient: str, subject: str, body: str, channel: str | None = None,
              member_id: int | None = None, kind: str = "", key: str | None = None,
              essential: bool = True, not_before: dt.datetime | None = None) -> QueueResult:
        """Write a message to the outbox in the current transaction.

        ``key`` makes queueing idempotent: a key queued before returns the first
        message's id with ``replayed=True``.
        """
        channel = channel or self.crm.config.notify.default_channel
        if channel not in self.channels:
            raise ValidationError(f"unknown channel {channel!r}; channels: "
                                  f"{', '.join(sorted(self.channels))}", field="channel")
        if not recipient:
            raise ValidationError("a message needs a recipient", field="recipient")
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

    def pending(self, *, now: dt.datetime | None = None) -> list[OutboxMessage]:
        """Messages due for a delivery attempt."""
        now = now or utcnow()
        return list(OutboxMessage.select()
                    .where(OutboxMessage.status == "pending",
                           OutboxMessage.next_attempt_at <= now)
                    .order_by(OutboxMessage.id))

    def deliver(self, *, now: dt.datetime | None = None, limit: int | None = None,
                progress=None) -> DeliveryReport:
        """Try every due message once, each in its own transaction.

        A message is marked sent in the transaction right after its channel
        returns, so a crash can at worst repeat the one message in flight.
        """
        settings = self.crm.config.notify
        sent = failed = gave_up = 0
        due = self.pending(now=now)
        if limit is not None:
            due = due[:limit]
        for row in due:
            channel = self.channels.get(row.channel)
            message = OutboundMessage(id=row.id, channel=row.channel, recipient=row.recipient,
                                      subject=row.subject, body=row.body, kind=row.kind,
                                      member_id=row.member_id)
            error = None
            try:
                if channel is None:
                    raise ValidationError(f"channel {row.channel!r} is not available")
                channel.send(message)
            except Exception as exc:  # any failure of a channel is recorded, not raised
                error = f"{type(exc).__name__}: {exc}"
            at = now or utcnow()
            with self.crm.db.atomic():
                DeliveryAttempt.create(message=row.id, at=at, ok=error is None, error=error)
                row.attempts += 1
                if error is None:
                    row.status, row.sent_at, row.last_error = "sent", at, None
                    sent += 1
                else:
                    row.last_error = error
                    if row.attempts >= settings.max_attempts:
                        row.status = "failed"
                        gave_up += 1
                    else:
                        delay = settings.retry_base_seconds * 2 ** (row.attempts - 1)
                        row.next_attempt_at = at + dt.timedelta(seconds=delay)
                    failed += 1
                row.save()
            if progress is not None:
                progress(1)
        return DeliveryReport(sent, failed, gave_up)

    def retry(self, message_id: int) -> None:
        """Put a failed message back in the queue."""
        OutboxMessage.update(status="pending", next_attempt_at=utcnow()).where(
            OutboxMessage.id == message_id, OutboxMessage.status == "failed").execute()
