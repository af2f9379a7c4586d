"""The monthly payroll deduction list (daftar potongan gaji), computed set-based.

For a month ``M`` every active member's line holds:

- the simpanan wajib of ``M`` still unpaid, and the unpaid wajib of earlier
  months (tunggakan wajib) — from ``expand.savings``' wajib arithmetic, loaded
  for all members in a fixed handful of queries;
- per disbursed loan, the installments falling due in ``M`` (principal and
  interest still unpaid) and the arrears of earlier months with their denda as
  it stands on payday — one query over all installments;
- the take-home pay and the cap: all deductions together may take at most
  ``cap_percent`` % of it; lines above the cap (or without a known take-home
  pay) are flagged for the payroll office and the treasurer.

Payday is the configured day of ``M``: the date the deductions are booked.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs
from peewee import JOIN, Case, fn

from dyncrm.dates import as_date
from dyncrm.db.models import Account, JournalEntry, Member, Posting
from dyncrm.errors import ValidationError

if TYPE_CHECKING:
    from dyncrm.app import CRM

PLUGIN = "koperasi_xyz.payroll"
NO_DEPARTMENT = "(tanpa departemen)"


@attrs.frozen
class PayrollSettings:
    """``[plugins."koperasi_xyz.payroll"]``.

    :ivar cap_percent: all monthly deductions together at most this % of take-home pay.
    :ivar payday: day of the month the deductions are booked (the month's last day if shorter).
    :ivar include_arrears: put unpaid earlier months (wajib and installments) on the list.
    :ivar csv_delimiter: ``,`` or ``;`` (what the payroll office's spreadsheet expects).
    :ivar confirm_within_days: the staff reminder fires when a month's confirmation
        file is not imported this many days after payday.
    :ivar staff_recipients: e-mail addresses reminded of a missing confirmation.
    """

    cap_percent: Decimal = Decimal(35)
    payday: int = 25
    include_arrears: bool = True
    csv_delimiter: str = ","
    confirm_within_days: int = 5
    staff_recipients: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        if not 0 < self.cap_percent <= 100:
            raise ValueError(f"cap_percent must be above 0 and at most 100, not "
                             f"{self.cap_percent}")
        if not 1 <= self.payday <= 31:
            raise ValueError(f"payday must be a day of the month (1-31), not {self.payday}")
        if self.csv_delimiter not in (",", ";", "\t"):
            raise ValueError("csv_delimiter must be ',', ';' or a tab")
        if self.confirm_within_days < 0:
            raise ValueError("confirm_within_days must not be negative")


@attrs.frozen
class LoanDue:
    """What one loan asks of the member this month (minor units)."""

    loan_id: int
    product: str
    due_now: int  # installments falling due in the month, still unpaid
    arrears: int  # earlier installments still unpaid, with their denda on payday

    @property
    def total(self) -> int:
        """Everything this loan asks for this month."""
        return self.due_now + self.arrears


@attrs.frozen
class DeductionLine:
    """One member's line of the list."""

    member_id: int
    number: str
    name: str
    employee_number: str | None
    department: str
    wajib: int
    wajib_arrears: int
    loans: tuple[LoanDue, ...]
    take_home_pay: int | None
    cap: int | None

    @property
    def installments(self) -> int:
        """Loan installments falling due in the month."""
        return sum(d.due_now for d in self.loans)

    @property
    def loan_arrears(self) -> int:
        """Earlier installments still unpaid, with denda."""
        return sum(d.arrears for d in self.loans)

    @property
    def total(self) -> int:
        """Everything to deduct from this member's pay."""
        return self.wajib + self.wajib_arrears + self.installments + self.loan_arrears

    @property
    def flag(self) -> str:
        """Why the line needs a look ('' when it does not)."""
        return line_flag(self)


def line_flag(line: DeductionLine, total: int | None = None) -> str:
    """Why ``line`` needs a look ('' when it does not); ``total`` if already summed."""
    if line.employee_number is None:
        return "tanpa NIK karyawan"
    if line.take_home_pay is None:
        return "THP tidak diketahui"
    if line.cap is not None and (line.total if total is None else total) > line.cap:
        return "melebihi batas"
    return ""


@attrs.frozen
class DeductionList:
    """The whole month's list."""

    month: dt.date
    payday: dt.date
    cap_percent: Decimal
    lines: tuple[DeductionLine, ...]

    @property
    def label(self) -> str:
        """``YYYY-MM``."""
        return f"{self.month.year:04d}-{self.month.month:02d}"

    @property
    def total(self) -> int:
        """Sum of every line."""
        return sum(line.total for line in self.lines)

    def departments(self) -> dict[str, list[DeductionLine]]:
        """Lines grouped by department, departments sorted by name."""
        groups: dict[str, list[DeductionLine]] = defaultdict(list)
        for line in self.lines:
            groups[line.department].append(line)
        return dict(sorted(groups.items()))

    def by_employee_number(self) -> dict[str, DeductionLine]:
        """Lines by employee number (lines without one are left out)."""
        return {line.employee_number: line for line in self.lines if line.employee_number}


def parse_month(text: str) -> dt.date:
    """The first day of a month written ``YYYY-MM``."""
    try:
        year, month = text.strip().split("-")[:2]
        return dt.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise ValidationError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2026-03",
                              field="month") from None


def payday_of(month: dt.date, day: int) -> dt.date:
    """The payday of ``month`` (its last day when the month is shorter)."""
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=min(day, last))


def settings_of(crm: CRM) -> PayrollSettings:
    """The parsed payroll settings."""
    return crm.plugin_config(PLUGIN)


def _engine(crm: CRM) -> str:
    name = type(crm.database).__name__.lower()
    return "postgres" if "postgres" in name else "mysql" if (
        "mysql" in name or "maria" in name) else "sqlite"


def _binary(crm: CRM, expr):
    """``expr`` ordered by code point on every backend (as Python compares strings)."""
    engine = _engine(crm)
    if engine == "postgres":
        return expr.collate('"C"')
    if engine == "mysql":
        return expr.collate("utf8mb4_bin")
    return expr


def _line_order(crm: CRM) -> list:
    """ORDER BY of the list: department, employee number, member number (``#id`` when
    there is none, compared as text), member id — the order the list is sorted in."""
    from dyncrm_acquire.models import ApplicationRow

    id_text = Member.id.cast("CHAR" if _engine(crm) == "mysql" else "TEXT")
    return [_binary(crm, fn.COALESCE(ApplicationRow.department, NO_DEPARTMENT)),
            _binary(crm, fn.COALESCE(ApplicationRow.employee_number, "")),
            _binary(crm, fn.COALESCE(Member.number, "#")),
            _binary(crm, Case(None, [(Member.number.is_null(), id_text)], "")),
            Member.id]


def wajib_due(calc, state, month: dt.date) -> tuple[int, int]:
    """``(wajib of month still unpaid, unpaid earlier months)`` of one member.

    Without member classes and without an end of the obligation every month
    owes the same amount and the closed form of :func:`_wajib_closed` applies;
    otherwise the months are listed one by one (``WajibCalculator``).
    """
    if state.start_on is None:
        return 0, 0
    wajib = calc.settings.wajib
    if state.end_on is None and (not state.classes or not wajib.by_class):
        return _wajib_closed(state.start_on, state.paid_units, calc.units(wajib.amount), month)
    now = earlier = 0
    for m, _due, units in calc.unpaid(calc.months(state, through_month=month),
                                      state.paid_units):
        if m == month:
            now += units
        elif m < month:
            earlier += units
    return now, earlier


def _wajib_closed(start: dt.date, paid: int, amount: int, month: dt.date) -> tuple[int, int]:
    """The oldest-first allocation for a constant monthly ``amount``, in closed form.

    With ``k`` months owed from ``start``'s month through ``month`` and ``T`` paid,
    the first ``i`` months lack ``max(i·a − T, 0) − max(−T, 0)`` together (each month
    lacks ``clamp(i·a − T, 0, a)``, a telescoping sum).
    """
    owed = (month.year - start.year) * 12 + month.month - start.month + 1
    if owed <= 0:
        return 0, 0
    credit = max(-paid, 0)
    before = max((owed - 1) * amount - paid, 0) - credit
    through = max(owed * amount - paid, 0) - credit
    return through - before, before


def _member_rows(crm: CRM, month: dt.date) -> Iterator[tuple]:
    """Active members in list order with their profile and wajib facts (one query).

    ``(id, number, name, employee number, department, take-home pay, wajib start,
    wajib end, wajib paid)``; paid is the natural sum of ``savings.wajib``
    postings without leaving settlements, as ``expand.savings`` counts it.
    """
    from dyncrm_acquire.models import ApplicationRow
    from dyncrm_expand.savings.models import SavingsObligation
    from dyncrm_expand.savings.wajib import SETTLEMENT_KIND_PREFIX

    paid = (Posting.select(Account.member.alias("member_id"),
                           fn.SUM(Posting.amount).alias("units"))
            .join(Account).switch(Posting).join(JournalEntry)
            .where(Account.kind == "savings.wajib", Account.member.is_null(False),
                   ~JournalEntry.kind.startswith(SETTLEMENT_KIND_PREFIX))
            .group_by(Account.member).alias("paid"))
    wajib = SavingsObligation.alias("w")
    query = (Member
             .select(Member.id, Member.number, Member.name, ApplicationRow.employee_number,
                     ApplicationRow.department, ApplicationRow.take_home_pay,
                     fn.COALESCE(wajib.start_on, Member.joined_on).coerce(False),
                     wajib.end_on, paid.c.units)
             .join(ApplicationRow, JOIN.LEFT_OUTER, on=(ApplicationRow.member == Member.id))
             .switch(Member)
             .join(wajib, JOIN.LEFT_OUTER,
                   on=((wajib.member == Member.id) & (wajib.product == "wajib")))
             .switch(Member)
             .join(paid, JOIN.LEFT_OUTER, on=(paid.c.member_id == Member.id))
             .where(Member.stage == "active")
             .order_by(*_line_order(crm)))
    return iter(crm.database.execute(query))  # plain rows: no per-column conversion


def _loan_rows(crm: CRM, month: dt.date) -> Iterator[tuple]:
    """Unpaid installments due by the end of ``month`` of active members' disbursed
    loans, in list order then by loan and number (one query).

    ``(member id, loan id, product, terms text, due on, principal, principal paid,
    interest, interest paid, interest waived, penalty assessed, penalty paid,
    penalty periods)``; the terms stay text so that each distinct text is parsed once.
    """
    from dyncrm_acquire.models import ApplicationRow
    from dyncrm_expand.loans.models import Loan, LoanInstallment

    end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    i = LoanInstallment
    query = (i.select(Loan.member, Loan.id, Loan.product,
                      fn.COALESCE(Loan.terms, "").coerce(False), i.due_on, i.principal,
                      i.principal_paid, i.interest, i.interest_paid, i.interest_waived,
                      i.penalty_assessed, i.penalty_paid, i.penalty_periods)
             .join(Loan).join(Member)
             .join(ApplicationRow, JOIN.LEFT_OUTER, on=(ApplicationRow.member == Member.id))
             .where(Loan.stage == "disbursed", i.paid_on.is_null(), i.due_on <= end,
                    Member.stage == "active")
             .order_by(*_line_order(crm), Loan.id, i.number))
    return iter(crm.database.execute(query))  # plain rows: dates may be ISO text


@attrs.frozen
class _Installment:
    """The columns of an installment row the denda arithmetic reads."""

    due_on: dt.date
    principal: int
    principal_paid: int
    interest: int
    interest_paid: int
    interest_waived: int
    penalty_assessed: int
    penalty_paid: int
    penalty_periods: int
    paid_on: None = None


def iter_lines(crm: CRM, month: dt.date, *, department: str | None = None
               ) -> Iterator[DeductionLine]:
    """The lines of ``month``'s deduction list as they come, in list order.

    Two queries streamed side by side (members with their wajib facts, and the
    unpaid installments in the same order); nothing is held per member beyond
    the line being built, so a file written from this stays flat in memory.
    """
    for (member_id, number, name, employee_number, department_name, now, earlier, dues,
         _installments, _arrears, thp, cap) in line_values(crm, month, department=department):
        loan_dues: tuple[LoanDue, ...] = ()
        if dues is not None:
            loan_dues = tuple(LoanDue(loan_id=lid, product=v[0], due_now=v[1], arrears=v[2])
                              for lid, v in dues.items() if v[1] + v[2])
        yield DeductionLine(
            member_id=member_id, number=number, name=name,
            employee_number=employee_number, department=department_name,
            wajib=now, wajib_arrears=earlier, loans=loan_dues,
            take_home_pay=thp, cap=cap)


def line_values(crm: CRM, month: dt.date, *, department: str | None = None
                ) -> Iterator[tuple]:
    """What :func:`iter_lines` yields, as plain tuples (for writers that need no objects).

    ``(member id, number, name, employee number, department, wajib, wajib arrears,
    loans, installments, loan arrears, take-home pay, cap)``: ``number`` is ``#id``
    when the member has none, ``department`` is :data:`NO_DEPARTMENT` when unknown,
    ``loans`` is ``None`` or ``{loan id: [product, due now, arrears]}`` (arrears zero
    when the list leaves them out), ``installments`` and ``loan arrears`` their sums;
    amounts in minor units, ``cap`` ``None`` when the take-home pay is unknown.
    """
    from dyncrm_expand import savings
    from dyncrm_expand.loans import queries as lq
    from dyncrm_expand.savings.wajib import WajibCalculator, WajibState

    cfg = settings_of(crm)
    month = month.replace(day=1)
    payday = payday_of(month, cfg.payday)
    calc = WajibCalculator(savings.settings(crm), crm.ledger.exponent(crm.currency))
    classes = _classes() if calc.settings.wajib.by_class else {}
    cap_rate = Fraction(cfg.cap_percent) / 100
    cap_num, cap_den = cap_rate.numerator, cap_rate.denominator
    by_class = bool(calc.settings.wajib.by_class)
    amount = calc.units(calc.settings.wajib.amount)
    wanted = department.strip().lower() if department else None
    loans = _loan_rows(crm, month) if crm.is_enabled("expand.loans") else iter(())
    pending = next(loans, None)
    parsed: dict[str, tuple[object, int, str | None]] = {}
    penalties: dict[tuple, int] = {}
    dates: dict[object, dt.date] = {}  # due dates as read (ISO text on SQLite), converted once
    starts: dict[object, dt.date] = {}  # wajib starts as read, converted once
    include_arrears = cfg.include_arrears
    for (member_id, number, name, employee_number, dept, thp, start, end,
         paid) in _member_rows(crm, month):
        dues: dict[int, list] | None = None
        installments = arrears = 0
        while pending is not None and pending[0] == member_id:
            _, loan_id, product, text, *cols = pending
            if text not in parsed:
                data = json.loads(text) if text else {}
                t = lq.terms_from_json(data)
                parsed[text] = (t, lq.fixed_penalty_units(crm, t), data.get("name"))
            t, fixed, product_name = parsed[text]
            due_on = dates.get(cols[0])
            if due_on is None:
                if len(dates) > 4096:
                    dates.clear()
                due_on = dates[cols[0]] = lq.as_date(cols[0])
            base = cols[1] - cols[2] + cols[3] - cols[4] - cols[5]
            # the denda depends on these alone: installments alike share the arithmetic
            key = (text, due_on, base, cols[8])
            if key not in penalties:
                if len(penalties) > 4096:
                    penalties.clear()
                inst = _Installment(due_on, *cols[1:])
                penalties[key] = lq.pending_penalty(t, inst, payday, fixed)[1]
            penalty = cols[6] - cols[7] + penalties[key]
            if dues is None:
                dues = {}
            slot = dues.setdefault(loan_id, [product if product_name is None else product_name,
                                             0, 0])
            if due_on >= month:
                slot[1] += base
                slot[2] += penalty
            else:
                slot[2] += base + penalty
            pending = next(loans, None)
        department_name = dept or NO_DEPARTMENT
        if wanted is not None and department_name.lower() != wanted:
            continue
        if dues is not None:
            for slot in dues.values():
                if not include_arrears:
                    slot[2] = 0
                installments += slot[1]
                arrears += slot[2]
        paid_units = -int(paid or 0)
        if start is None:
            now = earlier = 0
        else:
            start_on = starts.get(start)
            if start_on is None:
                if len(starts) > 4096:
                    starts.clear()
                start_on = starts[start] = as_date(start)
            if end is None and not (by_class and member_id in classes):
                now, earlier = _wajib_closed(start_on, paid_units, amount, month)
            else:
                now, earlier = wajib_due(calc, WajibState(
                    member_id=member_id, start_on=start_on, end_on=as_date(end),
                    classes=tuple(classes.get(member_id, ())), paid_units=paid_units,
                    pokok_owed_units=0, pokok_paid_units=0), month)
        if not include_arrears:
            earlier = 0
        yield (member_id, number or f"#{member_id}", name, employee_number, department_name,
               now, earlier, dues, installments, arrears, thp,
               None if thp is None else thp * cap_num // cap_den)


def _classes() -> dict[int, list[tuple[dt.date, str]]]:
    """Members' savings classes by member, oldest first (only when classes matter)."""
    from dyncrm_expand.savings.models import SavingsMemberClass

    out: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    query = (SavingsMemberClass.select(SavingsMemberClass.member,
                                       SavingsMemberClass.since,
                                       SavingsMemberClass.member_class)
             .order_by(SavingsMemberClass.member, SavingsMemberClass.since))
    for member, since, cls in query.tuples().iterator():
        out[member].append((as_date(since), cls))
    return out


def deduction_list(crm: CRM, month: dt.date, *, department: str | None = None
                   ) -> DeductionList:
    """The payroll deduction list of ``month`` (any date in it), optionally one department.

    Sorted by department, employee number and member number; see
    :func:`iter_lines` for the streaming form a file writer uses.
    """
    cfg = settings_of(crm)
    month = month.replace(day=1)
    return DeductionList(month=month, payday=payday_of(month, cfg.payday),
                         cap_percent=cfg.cap_percent,
                         lines=tuple(iter_lines(crm, month, department=department)))
