"""The reminder engine: due items from every plugin in, each (item, offset) queued once.

One run for a date ``on``:

1. **collect** the due items every enabled plugin returns from
   ``dyncrm_retain_due_items(crm, on)`` (a paid item is no longer returned, so
   it is no longer reminded);
2. **plan**: for each item, the offsets of its kind's schedule whose day has
   come (``due_on + offset <= on``); only the *latest* of them is a
   candidate, so a skipped day is caught up with one message, not a flood.
   It is dropped when it (or a later offset) was already sent, when its day
   lies more than ``catch_up_days`` back, when the member opted out of
   non-essential messages, or when there is nobody to send it to.  What was
   sent is read with one query per 500 items, not per item;
3. **queue** each remaining reminder in its own small transaction
   (``crm.action`` keyed ``remind:<item key>:<offset>``): the outbox message,
   the :class:`~dyncrm_retain.reminders.models.Reminder` row and the member's
   touchpoint commit together.  A run killed half way leaves the finished
   reminders committed and the rest untouched; the next run queues only the
   rest, and the keys make a second queueing of the same reminder impossible.

Delivery is the outbox's job (``crm.outbox.deliver``), after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs
import jinja2

from dyncrm.app import CRM
from dyncrm.dates import as_date
from dyncrm.db.models import Member
from dyncrm.errors import ConfigError, DyncrmError, PluginError
from dyncrm.money import to_minor
from dyncrm.values import Actor, DueItem, MemberInfo
from dyncrm_retain.reminders.models import Reminder
from dyncrm_retain.reminders.quiet import parse_ranges, release_time
from dyncrm_retain.reminders.settings import PLUGIN, ReminderSettings

CHUNK = 500
#: Channels that deliver to an e-mail address; every other channel gets the phone number.
EMAIL_CHANNELS = ("smtp", "file", "console")

SEND = "send"
STATUS_TEXT = {
    SEND: "to send",
    "sent": "already sent",
    "not_yet": "not yet due",
    "too_old": "too old to catch up",
    "opted_out": "member opted out",
    "no_recipient": "no address",
}


@attrs.frozen
class Planned:
    """What the engine intends for one due item on a date."""

    item: DueItem
    status: str
    offset: int | None
    sent_offsets: tuple[int, ...]
    schedule: tuple[int, ...]
    member: MemberInfo | None = None
    channel: str | None = None
    recipient: str | None = None
    next_on: dt.date | None = None

    @property
    def key(self) -> str | None:
        """The idempotency key of the reminder to send (``None`` when nothing is to be sent)."""
        return reminder_key(self.item.key, self.offset) if self.offset is not None else None


@attrs.frozen
class ReminderSent:
    """A reminder just queued (what ``dyncrm_retain_reminder_queued`` receives)."""

    key: str
    item_key: str
    kind: str
    offset: int
    due_on: dt.date
    run_on: dt.date
    member_id: int | None
    recipient: str
    channel: str
    message_id: int
    template: str


@attrs.frozen
class RunReport:
    """What a run did (or, for a dry run, would do)."""

    on: dt.date
    items: int
    queued: tuple[ReminderSent, ...]
    planned: tuple[Planned, ...]
    failed: tuple[tuple[str, str], ...]
    replayed: int
    duplicates: tuple[str, ...]
    dry_run: bool

    def count(self, status: str) -> int:
        """How many items had ``status`` in the plan."""
        return sum(1 for p in self.planned if p.status == status)

    def summary(self) -> str:
        """One line for people and logs."""
        verb = "would queue" if self.dry_run else "queued"
        n = self.count(SEND) if self.dry_run else len(self.queued)
        parts = [f"{self.items} due items on {self.on.isoformat()}: {verb} {n}"]
        for status in ("sent", "not_yet", "opted_out", "no_recipient", "too_old"):
            c = self.count(status)
            if c:
                parts.append(f"{c} {STATUS_TEXT[status]}")
        if self.replayed:
            parts.append(f"{self.replayed} queued by a concurrent run")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicate item keys ignored")
        return ", ".join(parts)


def reminder_key(item_key: str, offset: int) -> str:
    """``remind:<item key>:<offset>``: the key of one reminder (outbox and action)."""
    return f"remind:{item_key}:{offset}"


def settings(crm: CRM) -> ReminderSettings:
    """The plugin's parsed settings."""
    return crm.plugin_config(PLUGIN)


def quiet_ranges(crm: CRM):
    """The quiet-hour ranges in force (plugin setting, else ``[notify] quiet_hours``)."""
    values = settings(crm).quiet_hours
    if values is None:
        values = crm.config.notify.quiet_hours
    try:
        return parse_ranges(values)
    except ValueError as exc:
        raise ConfigError(str(exc), key="notify.quiet_hours") from None


def schedule_for(crm: CRM, kind: str) -> tuple[int, ...]:
    """The offsets for ``kind``: the ``offsets`` setting, else the source's suggestion
    (``dyncrm_retain_reminder_offsets``), else ``default_offsets``; sorted, unique."""
    cfg = settings(crm)
    offsets = cfg.offsets.get(kind)
    if offsets is None:
        offsets = crm.hook.dyncrm_retain_reminder_offsets(crm=crm, kind=kind)
    if offsets is None:
        offsets = cfg.default_offsets
    return tuple(sorted(set(int(o) for o in offsets)))


def collect(crm: CRM, on: dt.date) -> tuple[list[DueItem], list[str]]:
    """Every plugin's due items for ``on`` (first of each key kept) and the duplicate keys."""
    items: dict[str, DueItem] = {}
    duplicates = []
    for result in crm.hook.dyncrm_retain_due_items(crm=crm, on=on):
        for item in result or ():
            if not isinstance(item, DueItem):
                raise PluginError(f"dyncrm_retain_due_items returned {type(item).__name__}, "
                                  "not a DueItem", hook="dyncrm_retain_due_items")
            if item.key in items:
                duplicates.append(item.key)
                continue
            items[item.key] = item
    return sorted(items.values(), key=lambda i: (i.due_on, i.key)), duplicates


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


def sent_offsets(item_keys: Sequence[str]) -> dict[str, set[int]]:
    """Offsets already queued per item key.

    When the reminder table holds no more than a few rows per key asked about (a
    month's plan over every member), one streamed read of the whole table; else one
    query per 500 keys, written once per chunk size (placeholders, not a query tree).
    """
    keys = list(item_keys)
    sent: dict[str, set[int]] = {}
    if not keys:
        return sent
    db = Reminder._meta.database
    table = Reminder._meta.table_name
    select = f"SELECT item_key, day_offset FROM {table}"
    if len(keys) > CHUNK and Reminder.select().count() <= 4 * len(keys):
        wanted = set(keys)
        for key, offset in db.execute_sql(select):
            if key in wanted:
                sent.setdefault(key, set()).add(offset)
        return sent
    for chunk in _chunks(keys):
        marks = ", ".join([db.param] * len(chunk))
        for key, offset in db.execute_sql(f"{select} WHERE item_key IN ({marks})", list(chunk)):
            sent.setdefault(key, set()).add(offset)
    return sent


def _members(ids: Iterable[int]) -> dict[int, MemberInfo]:
    """The members' :class:`MemberInfo`, one per member, from the columns it needs: one
    streamed pass over the member table when the ids are most of it (a month's plan),
    else one query per 500 ids."""
    wanted = sorted(set(ids))
    out: dict[int, MemberInfo] = {}
    if not wanted:
        return out
    db = Member._meta.database
    columns = ("id", "number", "name", "email", "phone", "stage", "joined_on", "left_on",
               "preferred_channel", "marketing_opt_out")
    select = (f"SELECT {', '.join(Member._meta.fields[c].column_name for c in columns)} "
              f"FROM {Member._meta.table_name}")
    if len(wanted) > CHUNK and Member.select().count() <= 2 * len(wanted):
        keep = set(wanted)
        cursors = [(row for row in db.execute_sql(select) if row[0] in keep)]
    else:
        cursors = (db.execute_sql(f"{select} WHERE id IN ("
                                  + ", ".join([db.param] * len(chunk)) + ")", list(chunk))
                   for chunk in _chunks(wanted))
    for cursor in cursors:
        for (member_id, number, name, email, phone, stage, joined_on, left_on, channel,
             opt_out) in cursor:
            out[member_id] = MemberInfo(
                id=member_id, number=number, name=name, email=email, phone=phone,
                stage=stage, joined_on=as_date(joined_on), left_on=as_date(left_on),
                preferred_channel=channel, marketing_opt_out=bool(opt_out))
    return out


def _address(crm: CRM, item: DueItem, member: MemberInfo | None) -> tuple[str, str | None]:
    """``(channel, recipient)`` for an item: the member's preferred channel if available."""
    return _Addresser(crm)(item, member)


class _Addresser:
    """:func:`_address` with the deployment's channels read once per plan."""

    def __init__(self, crm: CRM) -> None:
        self.channels = crm.outbox.channels
        self.default = crm.config.notify.default_channel
        staff = settings(crm).staff_channel or self.default
        self.staff = staff if staff in self.channels else self.default

    def __call__(self, item: DueItem, member: MemberInfo | None) -> tuple[str, str | None]:
        if member is None:
            return self.staff, item.recipient
        channel = member.preferred_channel or self.default
        if channel not in self.channels:
            channel = self.default
        if item.recipient:
            return channel, item.recipient
        recipient = member.email if channel in EMAIL_CHANNELS else member.phone
        return channel, recipient or member.email or member.phone


def plan(crm: CRM, on: dt.date) -> tuple[list[Planned], list[str]]:
    """Decide, for every due item on ``on``, whether and which reminder goes out."""
    items, duplicates = collect(crm, on)
    sent = sent_offsets([i.key for i in items])
    members = _members(i.member_id for i in items if i.member_id is not None)
    catch_up = settings(crm).catch_up_days
    address = _Addresser(crm)
    schedules: dict[str, tuple[int, ...]] = {}
    # per (kind, due date): the schedule, days since due, latest offset reached, next date
    timing: dict[tuple[str, dt.date], tuple] = {}
    out = []
    for item in items:
        found = timing.get((item.kind, item.due_on))
        if found is None:
            if item.kind not in schedules:
                schedules[item.kind] = schedule_for(crm, item.kind)
            schedule = schedules[item.kind]
            days = (on - item.due_on).days  # offset o is reached when o <= days
            reached = [o for o in schedule if o <= days]
            later = [o for o in schedule if o > days]
            found = timing[(item.kind, item.due_on)] = (
                schedule, days, reached[-1] if reached else None,
                item.due_on + dt.timedelta(days=later[0]) if later else None)
        schedule, days, latest, next_on = found
        done = tuple(sorted(sent[item.key])) if item.key in sent else ()
        member = members.get(item.member_id) if item.member_id is not None else None
        channel, recipient = address(item, member)
        if latest is None:
            out.append(Planned(item=item, status="not_yet", offset=None, sent_offsets=done,
                               schedule=schedule, member=member, channel=channel,
                               recipient=recipient, next_on=next_on))
            continue
        if any(o >= latest for o in done):
            status = "sent"
        elif member is not None and not item.essential and member.marketing_opt_out:
            status = "opted_out"
        elif not recipient or (item.member_id is not None and member is None):
            status = "no_recipient"
        elif days - latest > catch_up:
            status = "too_old"
        else:
            status = SEND
        out.append(Planned(item=item, status=status, offset=latest if status == SEND else None,
                           sent_offsets=done, schedule=schedule, member=member,
                           channel=channel, recipient=recipient, next_on=next_on))
    return out, duplicates


def template_names(kind: str, offset: int) -> list[str]:
    """Templates tried for a reminder, most specific first."""
    return [f"reminders/{kind}/{offset}.txt", f"reminders/{kind}.txt", "reminders/default.txt"]


def render(crm: CRM, planned: Planned) -> tuple[str, str, str]:
    """``(template name, subject, body)`` of the reminder ``planned`` stands for."""
    item, offset = planned.item, planned.offset
    template = crm.templates.select_template(template_names(item.kind, offset))
    context: dict[str, Any] = dict(item.context)
    context.update(item=item, member=planned.member, offset=offset, days=abs(offset),
                   due_on=item.due_on, amount=item.amount, description=item.description)
    subject, body = crm.render_message(template.name, **context)
    return template.name, subject, body


def send_one(crm: CRM, planned: Planned, on: dt.date, actor: Actor,
             not_before: dt.datetime | None) -> ReminderSent | None:
    """Queue one reminder in its own transaction; ``None`` if it had been queued already."""
    item, offset = planned.item, planned.offset
    key = reminder_key(item.key, offset)
    with crm.action("reminders.send", actor, key=key) as act:
        if act.replayed:
            return None
        template, subject, body = render(crm, planned)
        queued = crm.outbox.queue(
            recipient=planned.recipient, subject=subject, body=body, channel=planned.channel,
            member_id=item.member_id, kind=f"remind.{item.kind}", key=key,
            essential=item.essential, not_before=not_before or crm.now())
        if queued.replayed:  # someone queued this key outside the engine
            return None
        amount = commodity = None
        if item.amount is not None:
            commodity = item.amount.currency
            amount = to_minor(item.amount, crm.ledger.exponent(commodity))
        Reminder.create(key=key, item_key=item.key, kind=item.kind, day_offset=offset,
                        due_on=item.due_on, run_on=on, member=item.member_id,
                        recipient=planned.recipient, channel=planned.channel,
                        message=queued.id, amount=amount, commodity=commodity,
                        actor=actor.username, queued_at=crm.now())
        if item.member_id is not None:
            crm.touch(item.member_id, "retain", "for", f"reminder.{item.kind}", actor,
                      {"item": item.key, "offset": offset, "due_on": item.due_on.isoformat(),
                       "message": queued.id})
        sent = ReminderSent(key=key, item_key=item.key, kind=item.kind, offset=offset,
                            due_on=item.due_on, run_on=on, member_id=item.member_id,
                            recipient=planned.recipient, channel=planned.channel,
                            message_id=queued.id, template=template)
        crm.hook.dyncrm_retain_reminder_queued(crm=crm, reminder=sent)
        act.done(message_id=queued.id)
        return sent


def run(crm: CRM, on: dt.date, actor: Actor, *, dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
        on_plan: Callable[[list[Planned]], None] | None = None) -> RunReport:
    """Queue the reminders due on ``on``; safe to run any number of times.

    Each reminder is its own transaction.  A reminder that fails with a
    ``DyncrmError`` or a template error is reported and skipped (it is tried
    again next run); any other exception ends the run, leaving every
    reminder queued so far committed.  ``on_plan`` sees the plan before
    anything is queued (the CLI sizes its progress bar with it).
    """
    crm.require(actor, "reminders.run")
    planned, duplicates = plan(crm, on)
    if on_plan is not None:
        on_plan(planned)
    todo = [p for p in planned if p.status == SEND]
    queued: list[ReminderSent] = []
    failed: list[tuple[str, str]] = []
    replayed = 0
    if not dry_run:
        not_before = release_time(crm.now(), quiet_ranges(crm), crm.tz)
        for p in todo:
            try:
                sent = send_one(crm, p, on, actor, not_before)
            except (DyncrmError, jinja2.TemplateError) as exc:
                failed.append((p.key or p.item.key, f"{type(exc).__name__}: {exc}"))
                sent = None
            else:
                if sent is None:
                    replayed += 1
                else:
                    queued.append(sent)
            if progress is not None:
                progress(1)
    return RunReport(on=on, items=len(planned), queued=tuple(queued), planned=tuple(planned),
                     failed=tuple(failed), replayed=replayed, duplicates=tuple(duplicates),
                     dry_run=dry_run)


def history(member_id: int) -> list[tuple[Reminder, str]]:
    """A member's reminders with their outbox status, newest first (one joined query)."""
    from dyncrm.db.models import OutboxMessage

    query = (Reminder.select(Reminder, OutboxMessage.status)
             .join(OutboxMessage)
             .where(Reminder.member == member_id)
             .order_by(Reminder.queued_at.desc(), Reminder.id.desc()))
    return [(r, r.message.status) for r in query]
