"""Closed periods: a month or a fiscal year of the books closed with four eyes.

A period is closed in two steps by two different people: one *proposes*
(``dyncrm books close --month 2025-11``), another *approves* with the same
command; the deployment's rule ``[quorum."books.close"]`` may ask for more
approvals or for roles (the proposer never counts as an approver).  From then
on the ledger refuses every posting dated inside the period — ``post``,
``post_many`` and ``reverse`` alike — with a message naming the period; a
correction of an entry in a closed period is dated in an open period (today).
Reopening takes the same two steps under ``[quorum."books.reopen"]`` and
needs a reason.

Closing a fiscal year closes its months not closed yet, then posts the year's
**closing entry** (one entry, key ``books:close:<year>``, kind
``books.closing``, dated 31 December): every income and expense account in
the deployment's currency is brought to zero against the equity account
``equity.year_result`` (the result of the year; SHU tahun berjalan in a
cooperative), and the result — income minus expenses — is kept with the
period (:func:`year_result`).  Then hook ``dyncrm_expand_year_closed`` fires.
Reopening the year reverses its closing entry; closing it again posts a new
one (``books:close:<year>:r2``).

Readers of income over a year (the SHU's jasa usaha basis, an income
statement) leave out closing entries: :data:`CLOSING_KINDS`.

Races: the ledger takes a shared lock on the month of every date it posts
(``books.period:YYYY-MM``, :func:`dyncrm.db.concurrency.share_names`) before
it reads the closed periods; closing takes the same names exclusively.  So a
posting in flight finishes before the close reads the balances, and a posting
that starts while the close runs waits and is then refused.  On SQLite every
action already runs alone.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import re
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import attrs
from peewee import fn

from dyncrm.db.concurrency import insert_once, share_names
from dyncrm.db.models import Account, JournalEntry, Posting
from dyncrm.db.periods import IN_FORCE, ClosedPeriod
from dyncrm.errors import PermissionDenied, ValidationError
from dyncrm.money import Money, from_minor
from dyncrm.quorum import QuorumStatus
from dyncrm.text import clean_text
from dyncrm.values import Actor, Leg

if TYPE_CHECKING:
    from dyncrm.app import CRM

#: The owner recorded on closing entries: only reopening the year reverses them.
OWNER = "books"
#: The entry kinds of year-end closing (and their reversal when a year is reopened).
CLOSING_KIND = "books.closing"
CLOSING_KINDS = (CLOSING_KIND, f"{CLOSING_KIND}.reversal")
#: Where the closing entries put the year's result (income − expenses).
RESULT_ACCOUNT = "equity.year_result"
RESULT_TYPES = ("income", "expense")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_unchecked = threading.local()


class ClosedPeriodError(ValidationError):
    """A posting dated inside a closed period.  Names the date, the period and
    what to do instead."""

    def __init__(self, day: dt.date, row: ClosedPeriod) -> None:
        self.day, self.period = day, row.period
        period = Period.parse(row.period)
        by = f" by {row.proposed_by} and {row.approved_by.replace('+', ' and ')}" \
            if row.approved_by else ""
        when = f" on {row.closed_at:%Y-%m-%d}" if isinstance(row.closed_at, dt.datetime) else ""
        super().__init__(
            f"cannot post an entry dated {day.isoformat()}: {period.label} is closed{by}{when}; "
            f"date the entry or its correction in an open period (for instance today), or "
            f"reopen {period.label} with four eyes: dyncrm books reopen "
            f"{period.option} --reason TEXT", field="on")


@attrs.frozen
class Period:
    """A month (``2025-11``) or a fiscal year (``2025``) of the books."""

    name: str
    kind: str  # month | year
    first_day: dt.date
    last_day: dt.date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The calendar month ``year``-``month``."""
        last = calendar.monthrange(year, month)[1]
        return cls(f"{year:04d}-{month:02d}", "month", dt.date(year, month, 1),
                   dt.date(year, month, last))

    @classmethod
    def year(cls, year: int) -> Period:
        """The fiscal year ``year`` (the calendar year, tutup buku on 31 December)."""
        return cls(f"{year:04d}", "year", dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def parse(cls, text: str) -> Period:
        """``YYYY-MM`` is a month, ``YYYY`` a year; anything else is refused."""
        text = (text or "").strip()
        found = _MONTH.match(text)
        if found and 1 <= int(found[2]) <= 12 and int(found[1]) >= 1900:
            return cls.month(int(found[1]), int(found[2]))
        found = _YEAR.match(text)
        if found and int(found[1]) >= 1900:
            return cls.year(int(found[1]))
        raise ValidationError(f"{text!r} is not a period: give a month as YYYY-MM "
                              "(2025-11) or a year as YYYY (2025)", field="period")

    @property
    def label(self) -> str:
        """``November 2025`` or ``the fiscal year 2025``."""
        if self.kind == "year":
            return f"the fiscal year {self.name}"
        return f"{calendar.month_name[self.first_day.month]} {self.first_day.year}"

    @property
    def option(self) -> str:
        """The command-line option naming this period: ``--month 2025-11``."""
        return f"--{self.kind} {self.name}"

    def months(self) -> list[Period]:
        """The months of this period (itself for a month)."""
        if self.kind == "month":
            return [self]
        return [Period.month(self.first_day.year, m) for m in range(1, 13)]

    def lock_names(self) -> list[str]:
        """The names the ledger share-locks for dates in this period."""
        return [f"books.period:{m.name}" for m in self.months()]


@attrs.frozen
class PeriodInfo:
    """One round of a period's closing, as stored."""

    period: str
    kind: str
    first_day: dt.date
    last_day: dt.date
    round: int
    status: str
    reason: str
    proposed_by: str
    approved_by: tuple[str, ...]
    closed_at: dt.datetime | None
    entry_id: int | None
    result: Money | None
    reopen_reason: str
    reopened_by: tuple[str, ...]
    reopened_at: dt.datetime | None

    @property
    def in_force(self) -> bool:
        """True while nothing may be posted dated inside the period."""
        return self.status in IN_FORCE


@attrs.frozen
class PeriodOutcome:
    """What one ``close`` or ``reopen`` call did."""

    period: Period
    action: str  # close | reopen
    stage: str  # proposed | approved | done | already
    info: PeriodInfo
    approval: QuorumStatus | None = None
    months_closed: tuple[str, ...] = ()

    def describe(self) -> str:
        """One sentence for the person at the keyboard."""
        p, info = self.period, self.info
        verb = "closing" if self.action == "close" else "reopening"
        if self.stage == "already":
            who = " and ".join((info.proposed_by, *info.approved_by)) \
                if self.action == "close" else " and ".join(info.reopened_by)
            state = "closed" if self.action == "close" else "reopened"
            return f"{p.label} is already {state} (by {who}); nothing was changed"
        if self.stage == "proposed":
            return (f"proposed {verb} {p.label}; another person must approve it with: "
                    f"dyncrm books {self.action} {p.option}")
        if self.stage == "approved":
            return f"approved {verb} {p.label}, not done yet: {self.approval.describe()}"
        if self.action == "reopen":
            return f"reopened {p.label}: entries dated in it can be posted again"
        text = f"closed {p.label}"
        if self.months_closed:
            text += f" (with its months {', '.join(self.months_closed)})"
        if info.result is not None:
            text += f"; closing entry {info.entry_id}" if info.entry_id else "; no income " \
                "or expenses to close"
            text += f"; result of the year {info.result.amount:,} {info.result.currency}"
        return text + "; nothing can be posted dated in it any more"


# -- the ledger's check ----------------------------------------------------------------


@contextlib.contextmanager
def unchecked() -> Iterator[None]:
    """Let this thread post into closed periods: only for the closing entry of a
    year and its reversal, which belong to the closed year by definition."""
    saved = getattr(_unchecked, "on", False)
    _unchecked.on = True
    try:
        yield
    finally:
        _unchecked.on = saved


def check_open(crm: CRM, days: Iterable[dt.date]) -> None:
    """Refuse when any of ``days`` falls inside a closed period (the ledger calls
    this before writing an entry).

    Share-locks the months of ``days`` first (see the module's notes on races),
    then reads the periods in force: one query for the whole set of days.

    :raises ClosedPeriodError: naming the first such day and its period.
    """
    if getattr(_unchecked, "on", False):
        return
    days = sorted(set(days))
    if not days:
        return
    state = crm._action_state()
    share_names(crm.database, {f"books.period:{d:%Y-%m}" for d in days},
                holds_write_lock=state.write_locked)
    rows = list(ClosedPeriod.select().where(
        ClosedPeriod.status.in_(IN_FORCE), ClosedPeriod.first_day <= days[-1],
        ClosedPeriod.last_day >= days[0]).order_by(ClosedPeriod.kind.desc()))
    for day in days:
        for row in rows:  # years first: the message names the widest closed period
            if _date(row.first_day) <= day <= _date(row.last_day):
                raise ClosedPeriodError(day, row)


def closed_period_of(crm: CRM, day: dt.date) -> PeriodInfo | None:
    """The closed period ``day`` lies in (the year before its month), if any."""
    row = (ClosedPeriod.select().where(ClosedPeriod.status.in_(IN_FORCE),
                                       ClosedPeriod.first_day <= day,
                                       ClosedPeriod.last_day >= day)
           .order_by(ClosedPeriod.kind.desc()).first())
    return _info(crm, row) if row is not None else None


# -- reading ---------------------------------------------------------------------------


def _date(value) -> dt.date:
    from dyncrm.dates import as_date

    return as_date(value)


def _latest(period: Period) -> ClosedPeriod | None:
    return (ClosedPeriod.select().where(ClosedPeriod.period == period.name)
            .order_by(ClosedPeriod.round.desc()).first())


def _info(crm: CRM, row: ClosedPeriod) -> PeriodInfo:
    result = None
    if row.result is not None:
        currency = row.currency or crm.currency
        result = from_minor(row.result, currency, crm.ledger.exponent(currency))
    return PeriodInfo(
        period=row.period, kind=row.kind, first_day=_date(row.first_day),
        last_day=_date(row.last_day), round=row.round, status=row.status, reason=row.reason,
        proposed_by=row.proposed_by,
        approved_by=tuple(n for n in row.approved_by.split("+") if n),
        closed_at=row.closed_at, entry_id=row.entry, result=result,
        reopen_reason=row.reopen_reason,
        reopened_by=tuple(n for n in (row.reopen_proposed_by, *row.reopened_by.split("+"))
                          if n) if row.reopened_by else (),
        reopened_at=row.reopened_at)


def periods(crm: CRM, *, year: int | None = None) -> list[PeriodInfo]:
    """Every round of every period, oldest period first (``year``: only that year's)."""
    query = ClosedPeriod.select()
    if year is not None:
        query = query.where(ClosedPeriod.first_day >= dt.date(year, 1, 1),
                            ClosedPeriod.last_day <= dt.date(year, 12, 31))
    rows = query.order_by(ClosedPeriod.first_day, ClosedPeriod.kind.desc(), ClosedPeriod.round)
    return [_info(crm, r) for r in rows]


def status_of(crm: CRM, period: Period | str) -> PeriodInfo | None:
    """The latest round of ``period``, or ``None`` if it was never proposed."""
    period = Period.parse(period) if isinstance(period, str) else period
    row = _latest(period)
    return _info(crm, row) if row is not None else None


def is_closed(crm: CRM, period: Period | str) -> bool:
    """True while ``period`` is closed (in force)."""
    info = status_of(crm, period)
    return info is not None and info.in_force


def year_result(crm: CRM, year: int) -> Money | None:
    """The result (income − expenses) of fiscal ``year`` as its closing put it in the
    books, or ``None`` while the year is not closed."""
    info = status_of(crm, Period.year(year))
    if info is None or not info.in_force:
        return None
    return info.result if info.result is not None else Money.zero(crm.currency)


def year_closing(crm: CRM, year: int) -> PeriodInfo | None:
    """The closing of fiscal ``year`` in force, or ``None``."""
    info = status_of(crm, Period.year(year))
    return info if info is not None and info.in_force else None


# -- closing and reopening ------------------------------------------------------------


def _reason(reason: str | None, *, required: bool) -> str:
    text = clean_text(reason or "", field="reason").strip()
    if required and not text:
        raise ValidationError("say why the period is reopened", field="reason")
    if len(text) > 500:
        raise ValidationError("must be at most 500 characters", field="reason")
    return text


def _person(actor: Actor, doing: str) -> None:
    if actor.is_system:
        raise PermissionDenied(actor.username, f"{doing}: scheduled work cannot", actor.roles)


def close(crm: CRM, actor: Actor, period: Period | str, *, reason: str = "") -> PeriodOutcome:
    """Propose closing ``period``, or approve the proposal; one action.

    The first call proposes (permission ``books.close``); a call by another
    person approves, and once the approvals satisfy ``[quorum."books.close"]``
    (one approval by default) the period is closed: a year also closes its
    open months and gets its closing entry, and ``dyncrm_expand_year_closed``
    fires.  The proposer cannot approve (four eyes).  Closing a period already
    closed changes nothing and says so.  Refused before the period has ended,
    and for a year when an earlier year with income or expenses is not closed.
    """
    period = Period.parse(period) if isinstance(period, str) else period
    reason = _reason(reason, required=False)
    _person(actor, f"close {period.label}")
    with crm.action("books.close", actor, permission="books.close"):
        crm.lock([f"books.close:{period.name}", *_year_of(period).lock_names()])
        if period.last_day >= crm.today():
            raise ValidationError(f"{period.label} ends on {period.last_day.isoformat()}; it "
                                  "can be closed from the day after", field="period")
        row = _latest(period)
        if row is not None and row.status in IN_FORCE:
            return PeriodOutcome(period, "close", "already", _info(crm, row))
        if period.kind == "month":
            year_row = _latest(_year_of(period))
            if year_row is not None and year_row.status in IN_FORCE:  # pragma: no cover
                return PeriodOutcome(period, "close", "already", _info(crm, year_row))
        if row is None or row.status != "proposed":
            if period.kind == "year":
                _check_year_before(crm, period)
            number = 1 if row is None else row.round + 1
            created = insert_once(ClosedPeriod, {
                "period": period.name, "kind": period.kind, "first_day": period.first_day,
                "last_day": period.last_day, "round": number, "status": "proposed",
                "reason": reason, "proposed_by": actor.username, "proposed_at": crm.now(),
                "currency": crm.currency})
            if created is None:  # pragma: no cover - the lock above makes this unreachable
                raise ValidationError(f"{period.label} was proposed by someone else a moment "
                                      "ago; run the command again to approve it")
            return PeriodOutcome(period, "close", "proposed", _info(crm, _latest(period)))
        if row.proposed_by == actor.username:
            raise ValidationError(
                f"four eyes: {actor.username} proposed closing {period.label} and cannot "
                f"also approve it; another person approves with: dyncrm books close "
                f"{period.option}")
        status = crm.quorum.record("books.close", f"period:{period.name}:r{row.round}", actor,
                                   note=reason)
        if not status.complete:
            return PeriodOutcome(period, "close", "approved", _info(crm, row), approval=status)
        closed_months: tuple[str, ...] = ()
        if period.kind == "year":
            _check_year_before(crm, period)
            closed_months = _close_months(crm, period, row, status)
        row.status, row.approved_by, row.closed_at = \
            "closed", "+".join(status.approvers)[:255], crm.now()
        if period.kind == "year":
            row.entry, row.result = _post_closing(crm, period, row, actor)
            row.currency = crm.currency
        row.save()
        if period.kind == "year":
            crm.hook.dyncrm_expand_year_closed(crm=crm, year=period.first_day.year,
                                               actor=actor)
        return PeriodOutcome(period, "close", "done", _info(crm, row), approval=status,
                             months_closed=closed_months)


def reopen(crm: CRM, actor: Actor, period: Period | str, *, reason: str) -> PeriodOutcome:
    """Propose reopening a closed ``period`` with a reason, or approve the proposal.

    Same steps as :func:`close` under ``[quorum."books.reopen"]`` (permission
    ``books.reopen``; the proposer cannot approve).  A month of a closed year
    is reopened only after the year.  Reopening a year reverses its closing
    entry; its months stay closed until they are reopened themselves.
    """
    period = Period.parse(period) if isinstance(period, str) else period
    reason = _reason(reason, required=True)
    _person(actor, f"reopen {period.label}")
    with crm.action("books.reopen", actor, permission="books.reopen"):
        crm.lock([f"books.close:{period.name}", *_year_of(period).lock_names()])
        row = _latest(period)
        if row is None or row.status not in (*IN_FORCE, "reopened"):
            raise ValidationError(f"{period.label} is not closed; there is nothing to reopen")
        if row.status == "reopened":
            return PeriodOutcome(period, "reopen", "already", _info(crm, row))
        if period.kind == "month":
            year_row = _latest(_year_of(period))
            if year_row is not None and year_row.status in IN_FORCE:
                raise ValidationError(
                    f"{period.label} belongs to the fiscal year {year_row.period}, which is "
                    f"closed; reopen the year first: dyncrm books reopen --year "
                    f"{year_row.period} --reason TEXT")
        if row.status == "closed":
            row.status, row.reopen_reason = "reopening", reason
            row.reopen_proposed_by, row.reopen_proposed_at = actor.username, crm.now()
            row.save()
            return PeriodOutcome(period, "reopen", "proposed", _info(crm, row))
        if row.reopen_proposed_by == actor.username:
            raise ValidationError(
                f"four eyes: {actor.username} proposed reopening {period.label} and cannot "
                f"also approve it; another person approves with: dyncrm books reopen "
                f"{period.option} --reason TEXT")
        status = crm.quorum.record("books.reopen", f"period:{period.name}:r{row.round}",
                                   actor, note=reason)
        if not status.complete:
            return PeriodOutcome(period, "reopen", "approved", _info(crm, row), approval=status)
        if row.entry is not None:
            with unchecked():
                crm.ledger.reverse(row.entry, actor=actor.username, owner=OWNER,
                                   on=_date(row.last_day),
                                   memo=f"{period.label} reopened: {row.reopen_reason}",
                                   meta={"reason": row.reopen_reason,
                                         "approved_by": list(status.approvers)})
        row.status, row.reopened_at = "reopened", crm.now()
        row.reopened_by = "+".join(status.approvers)[:255]
        row.save()
        return PeriodOutcome(period, "reopen", "done", _info(crm, row), approval=status)


def _year_of(period: Period) -> Period:
    return Period.year(period.first_day.year)


def _check_year_before(crm: CRM, period: Period) -> None:
    """Refuse closing a year while an earlier year with income or expenses is open."""
    year = period.first_day.year
    before = Period.year(year - 1)
    row = _latest(before)
    if row is not None and row.status in IN_FORCE:
        return
    earlier = (Posting.select(fn.COUNT(Posting.id)).join(Account)
               .switch(Posting).join(JournalEntry)
               .where(Account.type.in_(RESULT_TYPES), Posting.commodity == crm.currency,
                      JournalEntry.effective_date < period.first_day)
               .scalar() or 0)
    if earlier:
        first = (JournalEntry.select(fn.MIN(JournalEntry.effective_date))
                 .join(Posting).join(Account)
                 .where(Account.type.in_(RESULT_TYPES),
                        JournalEntry.effective_date < period.first_day).scalar())
        first_year = _date(first).year if first is not None else year - 1
        raise ValidationError(
            f"the fiscal year {year - 1} has income or expenses and is not closed; close the "
            f"years in order, from {first_year}: dyncrm books close --year {first_year}")


def _close_months(crm: CRM, year: Period, row: ClosedPeriod, status: QuorumStatus
                  ) -> tuple[str, ...]:
    """Close the months of ``year`` not closed yet, by the year's proposer and approvers."""
    done = []
    for month in year.months():
        latest = _latest(month)
        if latest is not None and latest.status in IN_FORCE:
            continue
        if latest is not None and latest.status == "proposed":
            latest.status, latest.approved_by, latest.closed_at = \
                "closed", "+".join(status.approvers)[:255], crm.now()
            latest.reason = latest.reason or f"closed with {year.label}"
            latest.save()
        else:
            ClosedPeriod.create(
                period=month.name, kind="month", first_day=month.first_day,
                last_day=month.last_day, round=1 if latest is None else latest.round + 1,
                status="closed", reason=f"closed with {year.label}",
                proposed_by=row.proposed_by, proposed_at=row.proposed_at,
                approved_by="+".join(status.approvers)[:255], closed_at=crm.now(),
                currency=crm.currency)
        done.append(month.name)
    return tuple(done)


def result_balances(crm: CRM, until: dt.date) -> list[tuple[str, str, int]]:
    """``(code, type, raw units)`` of every income and expense account in the
    deployment's currency with a balance up to ``until`` (one grouped query)."""
    query = (Posting.select(Account.code, Account.type, fn.SUM(Posting.amount))
             .join(Account).switch(Posting).join(JournalEntry)
             .where(Account.type.in_(RESULT_TYPES), Posting.commodity == crm.currency,
                    JournalEntry.effective_date <= until)
             .group_by(Account.code, Account.type).order_by(Account.code))
    return [(code, type_, int(units)) for code, type_, units in crm.database.execute(query)
            if units]


def _post_closing(crm: CRM, year: Period, row: ClosedPeriod, actor: Actor
                  ) -> tuple[int | None, int]:
    """Post ``year``'s closing entry; ``(entry id or None, result in minor units)``."""
    balances = result_balances(crm, year.last_day)
    money = crm.ledger_money
    income = -sum(units for _, type_, units in balances if type_ == "income")
    expenses = sum(units for _, type_, units in balances if type_ == "expense")
    result = income - expenses
    if not balances:
        return None, 0
    target = crm.ledger.open_account(RESULT_ACCOUNT, type="equity",
                                     name=crm.t("Result of the year"))
    legs = [Leg(code, money(-units)) for code, _, units in balances]
    legs.append(Leg(target, money(-result)))
    key = f"books:close:{year.name}" + (f":r{row.round}" if row.round > 1 else "")
    with unchecked():
        posted = crm.ledger.post(
            legs, kind=CLOSING_KIND, actor=actor.username, key=key, on=year.last_day,
            owner=OWNER, memo=f"Closing entries of {year.label}: income and expenses to "
                              "the result of the year",
            meta={"year": year.first_day.year, "income": income, "expenses": expenses,
                  "result": result, "accounts": len(balances)})
    return posted.entry.id, result


__all__ = [
    "CLOSING_KIND", "CLOSING_KINDS", "RESULT_ACCOUNT", "ClosedPeriodError", "Period",
    "PeriodInfo", "PeriodOutcome", "check_open", "close", "closed_period_of", "is_closed",
    "periods", "reopen", "result_balances", "status_of", "unchecked", "year_closing",
    "year_result",
]
