"""The feedback report (laporan kritik dan saran): volume, speed, service levels, satisfaction,
and the complaints and suggestions themselves.

Counts and shares come from grouped SQL (one query for volume by category and
month, one for the service-level and rating aggregates per category); the
medians, which SQL cannot compute portably, come from one query of the
durations.  The tickets of the period (:class:`TicketLine`: date, kind,
category, stage, subject and text, the replies the member was sent, the
resolution and the rating) are read a page of :data:`TICKET_PAGE` tickets at a
time, with one query each for their replies, members and the members' logins.
An anonymous ticket carries no personal data in the report: no member name,
number, e-mail or phone, and any of these written in its texts is blanked out
(:func:`redact`), whoever reads the report.  The same :class:`FeedbackReport`
is printed as a table, written as CSV or laid out as a printable PDF.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Callable, Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

import attrs
from peewee import Case, fn

from dyncrm.app import CRM
from dyncrm.db.models import User
from dyncrm_retain.feedback.models import FeedbackTicket as T
from dyncrm_retain.feedback.tickets import OPEN_STAGES

SECONDS_PER_DAY = Decimal(86400)
#: Tickets read per query when the report lists them.
TICKET_PAGE = 500
#: Ticket events whose text the member was sent, shown as replies.
REPLY_ACTIONS = ("acknowledge", "reply", "start")
#: What stands in the report where an anonymous ticket's text named its writer.
REDACTED = "[…]"
#: The member column of an anonymous ticket.
ANONYMOUS = "(anonymous)"
#: The columns of the ticket list (CSV and the key order of :meth:`TicketLine.row`).
TICKET_COLUMNS = ("ticket", "submitted", "kind", "category", "stage", "member", "subject",
                  "text", "replies", "resolution", "rating", "rating_comment")


@attrs.frozen
class TicketLine:
    """One complaint or suggestion as the report lists it.

    ``member`` is ``"number name"``, or :data:`ANONYMOUS` for an anonymous ticket,
    whose texts are also :func:`redact`-ed of the member's name, number, e-mail,
    phone and login names.  ``replies`` are ``(date, text)`` of what staff sent
    the member (acknowledgement message, replies); internal notes are never listed.
    """

    number: str
    submitted_on: dt.date
    kind: str
    category: str
    stage: str
    member: str
    anonymous: bool
    subject: str
    text: str
    replies: tuple[tuple[dt.date, str], ...] = ()
    resolution: str = ""
    reject_reason: str = ""
    rating: int | None = None
    rating_comment: str = ""

    @property
    def replies_text(self) -> str:
        """The replies, one a line: ``2026-03-03: text``."""
        return "\n".join(f"{on.isoformat()}: {text}" for on, text in self.replies)

    @property
    def outcome(self) -> str:
        """The resolution, or ``rejected: reason``."""
        if self.reject_reason:
            return f"rejected: {self.reject_reason}"
        return self.resolution

    def row(self) -> dict[str, Any]:
        """The line as a CSV row (keys :data:`TICKET_COLUMNS`)."""
        return {"ticket": self.number, "submitted": self.submitted_on.isoformat(),
                "kind": self.kind, "category": self.category, "stage": self.stage,
                "member": self.member, "subject": self.subject, "text": self.text,
                "replies": self.replies_text, "resolution": self.outcome,
                "rating": self.rating if self.rating is not None else "",
                "rating_comment": self.rating_comment}


@attrs.frozen
class CategoryLine:
    """The figures of one category (or of all, ``category="total"``)."""

    category: str
    tickets: int
    acknowledged: int
    ack_in_sla: int
    ack_due: int  # tickets whose acknowledgement is judged: done, or late and still open
    resolved: int
    resolve_in_sla: int
    resolve_due: int
    median_ack_days: Decimal | None
    median_resolve_days: Decimal | None
    rated: int
    rating_sum: int
    satisfied: int  # ratings of 4 or 5

    @property
    def ack_sla_share(self) -> Decimal | None:
        """Share acknowledged within the service level, in percent."""
        return _pct(self.ack_in_sla, self.ack_due)

    @property
    def resolve_sla_share(self) -> Decimal | None:
        """Share resolved within the service level, in percent."""
        return _pct(self.resolve_in_sla, self.resolve_due)

    @property
    def csat(self) -> Decimal | None:
        """CSAT: share of ratings that are 4 or 5, in percent."""
        return _pct(self.satisfied, self.rated)

    @property
    def average_rating(self) -> Decimal | None:
        """Mean rating (1–5), two decimals."""
        if not self.rated:
            return None
        return (Decimal(self.rating_sum) / self.rated).quantize(Decimal("0.01"), ROUND_HALF_UP)


@attrs.frozen
class FeedbackReport:
    """Everything the report shows for one period."""

    since: dt.date
    until: dt.date
    generated_on: dt.date
    months: tuple[str, ...]  # "2026-03"
    categories: tuple[str, ...]
    volume: dict[tuple[str, str], int]  # (category, month) -> tickets
    lines: tuple[CategoryLine, ...]
    total: CategoryLine
    tickets: tuple[TicketLine, ...] = ()

    def volume_rows(self) -> list[dict[str, Any]]:
        """Category × month table rows, with totals."""
        rows = []
        for c in self.categories:
            row: dict[str, Any] = {"category": c}
            for m in self.months:
                row[m] = self.volume.get((c, m), 0)
            row["total"] = sum(self.volume.get((c, m), 0) for m in self.months)
            rows.append(row)
        total: dict[str, Any] = {"category": "total"}
        for m in self.months:
            total[m] = sum(self.volume.get((c, m), 0) for c in self.categories)
        total["total"] = sum(total[m] for m in self.months)
        rows.append(total)
        return rows

    def summary_rows(self) -> list[dict[str, Any]]:
        """Per-category service levels and satisfaction, with a total line."""
        return [{
            "category": ln.category, "tickets": ln.tickets,
            "median ack (days)": _fmt(ln.median_ack_days),
            "ack within SLA": _share(ln.ack_sla_share, ln.ack_in_sla, ln.ack_due),
            "median resolve (days)": _fmt(ln.median_resolve_days),
            "resolved within SLA": _share(ln.resolve_sla_share, ln.resolve_in_sla,
                                          ln.resolve_due),
            "ratings": ln.rated, "avg rating": _fmt(ln.average_rating),
            "CSAT": f"{ln.csat}%" if ln.csat is not None else "-",
        } for ln in (*self.lines, self.total)]


    def ticket_rows(self) -> list[dict[str, Any]]:
        """The tickets of the period as rows (keys :data:`TICKET_COLUMNS`), oldest first."""
        return [t.row() for t in self.tickets]


def personal_values(member: Any, logins: Iterable[str] = ()) -> list[str]:
    """What names a member in a text: name, each word of it (3 letters or more), number,
    e-mail, phone and login names; the longest first."""
    values = {v.strip() for v in (member.name, member.number, member.email, member.phone,
                                  *logins) if v and len(v.strip()) >= 3}
    values |= {w for w in re.split(r"[\s,.'-]+", member.name or "") if len(w) >= 3}
    return sorted(values, key=lambda v: (-len(v), v))


def _pattern(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 6 and len(digits) >= len(value) - 4:  # a phone number, however written
        forms = [digits] + ([digits[1:]] if digits.startswith("0") else [])
        spaced = "|".join(r"[\s.()-]*".join(form) for form in forms)
        # 0812… also as +62 812… / 62812…
        return r"(?<!\d)(?:\+?62[\s.()-]*)?(?:" + spaced + r")(?!\d)"
    edge = r"\b" if value[:1].isalnum() else ""
    tail = r"\b" if value[-1:].isalnum() else ""
    return edge + re.escape(value) + tail


def redact(text: str | None, values: Iterable[str]) -> str:
    """``text`` with every occurrence of ``values`` (case-insensitive, whole words; phone
    numbers with any spacing) replaced by :data:`REDACTED`."""
    return redactor(values)(text)


def redactor(values: Iterable[str]) -> Callable[[str | None], str]:
    """:func:`redact` of ``values`` as a function of the text, its pattern compiled once
    (for the several texts of one ticket)."""
    patterns = [_pattern(v) for v in values if v]
    if not patterns:
        return lambda text: text or ""
    sub = re.compile("|".join(patterns), re.IGNORECASE).sub
    return lambda text: sub(REDACTED, text) if text else ""


def _local_date(crm: CRM, value: Any) -> dt.date:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC).astimezone(crm.tz).date()


def ticket_lines(crm: CRM, since: dt.date, until: dt.date, *, page: int = TICKET_PAGE
                 ) -> Iterator[TicketLine]:
    """The tickets submitted from ``since`` to ``until`` (inclusive), in the order filed.

    Read ``page`` tickets at a time (by id), each page with one query for its
    replies, one for its members and one for the logins of the anonymous tickets'
    members; an anonymous ticket's line names nobody (see :class:`TicketLine`).
    """
    from dyncrm.db import prepared
    from dyncrm_retain.feedback.tickets import _date

    db = crm.database
    period = [since.isoformat(), until.isoformat()]
    tickets_sql = prepared.sql(db, _PAGE_TICKETS)
    events_sql = prepared.sql(db, _PAGE_REPLIES)
    writers_sql = prepared.sql(db, _PAGE_WRITERS)
    days: dict[Any, dt.date] = {}  # a reply's time -> its local date, once each
    dates: dict[Any, dt.date] = {}  # a submission date as stored -> the date, once each
    last = 0
    while True:  # statements written once (prepared), rows read plain
        rows = [_TicketRow(*row) for row in db.execute_sql(tickets_sql, [*period, last, page])]
        if not rows:
            return
        # the page's tickets by id range, not by a list of their ids (no parameter per id)
        in_page = [*period, rows[0].id, rows[-1].id]
        last = rows[-1].id
        replies: dict[int, list[tuple[dt.date, str]]] = {}
        for ticket_id, at, text in db.execute_sql(events_sql, [*in_page, False,
                                                               *REPLY_ACTIONS]):
            if text:
                day = days.get(at) or days.setdefault(at, _local_date(crm, at))
                replies.setdefault(ticket_id, []).append((day, text))
        members = {m.id: m for m in map(_Writer._make, db.execute_sql(writers_sql, in_page))}
        hidden = list({r.member_id for r in rows if r.anonymous})
        logins: dict[int, list[str]] = {}
        if hidden:
            for username, member_id in (User.select(User.username, User.member)
                                        .where(User.member.in_(hidden)).tuples()):
                logins.setdefault(member_id, []).append(username)
        for r in rows:
            day = dates.get(r.submitted_on) or dates.setdefault(r.submitted_on,
                                                                _date(r.submitted_on))
            yield _ticket_line(r, members.get(r.member_id), replies.get(r.id, []),
                               logins.get(r.member_id, []), day)
        if len(rows) < page:
            return


class _TicketRow(NamedTuple):
    """The columns of a ticket the report lists (a plain row, not a model instance)."""

    id: int
    member_id: int
    number: str
    submitted_on: Any
    kind: str
    category: str
    stage: str
    anonymous: Any
    subject: str
    text: str
    resolution: str | None
    reject_reason: str | None
    rating: int | None
    rating_comment: str | None


#: A page of the tickets of a period after an id ({p}: since, until, last id, page size).
_PAGE_TICKETS = (
    "SELECT t.id, t.member_id, t.number, t.submitted_on, t.kind, t.category, t.stage, "
    "t.anonymous, t.subject, t.text, t.resolution, t.reject_reason, t.rating, "
    "t.rating_comment FROM feedback_ticket t WHERE t.submitted_on >= {p} "
    "AND t.submitted_on <= {p} AND t.id > {p} ORDER BY t.id LIMIT {p}")
#: The page's tickets: of the period, ids from the page's first to its last.
_IN_PAGE = ("SELECT t.{column} FROM feedback_ticket t WHERE t.submitted_on >= {p} "
            "AND t.submitted_on <= {p} AND t.id >= {p} AND t.id <= {p}")
#: What staff sent the members of a page's tickets, in the order sent ({p}: the page,
#: internal, the reply actions).
_PAGE_REPLIES = (
    "SELECT e.ticket_id, e.at, e.text FROM feedback_event e WHERE e.ticket_id IN ("
    + _IN_PAGE.replace("{column}", "id") + ") AND e.internal = {p} "
    f"AND e.action IN ({', '.join(['{p}'] * len(REPLY_ACTIONS))}) AND e.text IS NOT NULL "
    "ORDER BY e.at, e.id")
#: The writers of a page's tickets.
_PAGE_WRITERS = ("SELECT m.id, m.number, m.name, m.email, m.phone FROM member m "
                 "WHERE m.id IN (" + _IN_PAGE.replace("{column}", "member_id") + ")")


class _Writer(NamedTuple):
    """What the report needs of a ticket's writer."""

    id: int
    number: str | None
    name: str
    email: str | None
    phone: str | None


def _ticket_line(r: _TicketRow, member: _Writer | None, replies: list[tuple[dt.date, str]],
                 logins: list[str], submitted_on: dt.date | None = None) -> TicketLine:
    """One ticket's line (``submitted_on``: its date when the caller converted it already)."""
    if submitted_on is None:
        from dyncrm_retain.feedback.tickets import _date

        submitted_on = _date(r.submitted_on)
    if r.anonymous:
        clean = redactor(personal_values(member, logins) if member is not None else [])
        return TicketLine(
            number=r.number, submitted_on=submitted_on, kind=r.kind, category=r.category,
            stage=r.stage, member=ANONYMOUS, anonymous=True, subject=clean(r.subject),
            text=clean(r.text), replies=tuple((on, clean(text)) for on, text in replies),
            resolution=clean(r.resolution), reject_reason=clean(r.reject_reason),
            rating=r.rating, rating_comment=clean(r.rating_comment))
    who = (f"{member.number or '#' + str(member.id)} {member.name}" if member is not None
           else f"#{r.member_id}")
    return TicketLine(
        number=r.number, submitted_on=submitted_on, kind=r.kind, category=r.category,
        stage=r.stage, member=who, anonymous=False, subject=r.subject or "",
        text=r.text or "", replies=tuple((on, text or "") for on, text in replies),
        resolution=r.resolution or "", reject_reason=r.reject_reason or "",
        rating=r.rating, rating_comment=r.rating_comment or "")


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _fmt(value: Decimal | None) -> str:
    return "-" if value is None else str(value)


def _share(pct: Decimal | None, part: int, whole: int) -> str:
    return "-" if pct is None else f"{pct}% ({part}/{whole})"


def _days(start: Any, end: Any) -> Decimal:
    if isinstance(start, str):
        start = dt.datetime.fromisoformat(start)
    if isinstance(end, str):
        end = dt.datetime.fromisoformat(end)
    return Decimal(int((end - start).total_seconds())) / SECONDS_PER_DAY


def _median(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return Decimal(statistics.median(values)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _month_range(since: dt.date, until: dt.date) -> tuple[str, ...]:
    months = []
    y, m = since.year, since.month
    while (y, m) <= (until.year, until.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(months)


def build(crm: CRM, since: dt.date, until: dt.date, *, tickets: bool = True
          ) -> FeedbackReport:
    """The report for tickets submitted from ``since`` to ``until`` (inclusive).

    With ``tickets`` (the default) it also lists the tickets themselves
    (:func:`ticket_lines`); ``tickets=False`` gives the figures alone.

    A deadline is judged once it is met or has passed: an open ticket whose
    deadline lies before ``until`` (or before today, if earlier) counts as
    outside the service level.
    """
    from dyncrm_retain.feedback.tickets import settings

    as_of = min(until, crm.today())
    in_period = (T.submitted_on >= since) & (T.submitted_on <= until)

    # counted per category and day, the months taken from the dates here (a year or month
    # function in SQL is a Python function called per row on SQLite)
    volume: dict[tuple[str, str], int] = {}
    query = (T.select(T.category, T.submitted_on, fn.COUNT(T.id).alias("n"))
             .where(in_period).group_by(T.category, T.submitted_on))
    months: dict[Any, str] = {}
    for category, day, n in crm.database.execute_sql(*query.sql()):  # plain rows
        label = months.get(day)
        if label is None:
            label = months[day] = str(day)[:7]  # ISO text or a date: "2026-03"
        key = (category, label)
        volume[key] = volume.get(key, 0) + n

    def count_if(cond) -> Any:
        return fn.SUM(Case(None, [(cond, 1)], 0))

    late_unacked = (T.stage == "new") & (T.ack_due_on < as_of)
    late_unresolved = T.stage.in_(OPEN_STAGES) & (T.resolve_due_on < as_of)
    aggregates = (T.select(
        T.category,
        fn.COUNT(T.id),
        fn.COUNT(T.acknowledged_on),
        count_if(T.acknowledged_on <= T.ack_due_on),
        count_if(T.acknowledged_on.is_null(False) | late_unacked),
        fn.COUNT(T.resolved_on),
        count_if(T.resolved_on <= T.resolve_due_on),
        count_if(T.resolved_on.is_null(False) | late_unresolved),
        fn.COUNT(T.rating),
        fn.SUM(T.rating),
        count_if(T.rating >= 4),
    ).where(in_period).group_by(T.category).tuples())
    figures = {row[0]: [int(v or 0) for v in row[1:]] for row in aggregates}

    ack_times: dict[str, list[Decimal]] = {}
    resolve_times: dict[str, list[Decimal]] = {}
    durations = (T.select(T.category, T.created_at, T.acknowledged_at, T.resolved_at)
                 .where(in_period & (T.acknowledged_at.is_null(False)
                                     | T.resolved_at.is_null(False))))
    for category, created, acked, resolved in crm.database.execute_sql(*durations.sql()):
        if acked is not None:
            ack_times.setdefault(category, []).append(_days(created, acked))
        if resolved is not None:
            resolve_times.setdefault(category, []).append(_days(created, resolved))

    configured = list(settings(crm).categories)
    seen = sorted(set(figures) - set(configured))
    categories = tuple(configured + seen)
    lines = []
    for c in categories:
        f = figures.get(c, [0] * 10)
        lines.append(_line(c, f, ack_times.get(c, []), resolve_times.get(c, [])))
    sums = [sum(figures.get(c, [0] * 10)[i] for c in categories) for i in range(10)]
    total = _line("total", sums, [v for vs in ack_times.values() for v in vs],
                  [v for vs in resolve_times.values() for v in vs])
    return FeedbackReport(since=since, until=until, generated_on=crm.today(),
                          months=_month_range(since, until), categories=categories,
                          volume=volume, lines=tuple(lines), total=total,
                          tickets=tuple(ticket_lines(crm, since, until)) if tickets else ())


def _line(category: str, f: list[int], ack: list[Decimal], res: list[Decimal]) -> CategoryLine:
    tickets, acked, ack_in, ack_due, resolved, res_in, res_due, rated, rating_sum, sat = f
    return CategoryLine(category=category, tickets=tickets, acknowledged=acked,
                        ack_in_sla=ack_in, ack_due=ack_due, resolved=resolved,
                        resolve_in_sla=res_in, resolve_due=res_due,
                        median_ack_days=_median(ack), median_resolve_days=_median(res),
                        rated=rated, rating_sum=rating_sum, satisfied=sat)
