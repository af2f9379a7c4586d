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
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

from dyncrm.errors import ValidationError

from ..profiles import Profile, profiles

if TYPE_CHECKING:
    from dyncrm.app import CRM

PLUGIN = "koperasi_xyz.payroll"


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
        if self.employee_number is None:
            return "tanpa NIK karyawan"
        if self.take_home_pay is None:
            return "THP tidak diketahui"
        if self.cap is not None and self.total > self.cap:
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


def _wajib_by_member(crm: CRM, month: dt.date) -> dict[int, tuple[int, int]]:
    """``{member: (wajib of month still unpaid, unpaid earlier months)}`` for active members."""
    from dyncrm_expand import savings
    from dyncrm_expand.savings.wajib import WajibCalculator, load_states

    calc = WajibCalculator(savings.settings(crm), crm.ledger.exponent(crm.currency))
    out = {}
    for member_id, state in load_states(calc, stages=("active",)).items():
        owed = calc.months(state, through_month=month)
        now = earlier = 0
        for m, _due, units in calc.unpaid(owed, state.paid_units):
            if m == month:
                now += units
            elif m < month:
                earlier += units
        out[member_id] = (now, earlier)
    return out


def _loans_by_member(crm: CRM, month: dt.date, payday: dt.date) -> dict[int, list[LoanDue]]:
    """Per member, what each disbursed loan asks this month (one query)."""
    from dyncrm_expand.loans import queries as lq
    from dyncrm_expand.loans.models import Loan, LoanInstallment

    end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    query = (LoanInstallment.select(LoanInstallment, Loan).join(Loan)
             .where(Loan.stage == "disbursed", LoanInstallment.paid_on.is_null(),
                    LoanInstallment.due_on <= end)
             .order_by(Loan.member, Loan.id, LoanInstallment.number))
    sums: dict[int, dict[int, list[int]]] = defaultdict(dict)
    products: dict[int, str] = {}
    cache: dict[int, tuple[object, int]] = {}
    for inst in query:
        loan = inst.loan
        if loan.id not in cache:
            t = lq.terms(loan)
            cache[loan.id] = (t, lq.fixed_penalty_units(crm, t))
            products[loan.id] = loan.terms.get("name", loan.product)
        t, fixed = cache[loan.id]
        _, pending = lq.pending_penalty(t, inst, payday, fixed)
        penalty = inst.penalty_assessed - inst.penalty_paid + pending
        base = lq.unpaid_base(inst)
        slot = sums[loan.member_id].setdefault(loan.id, [0, 0])
        if lq.as_date(inst.due_on) >= month:
            slot[0] += base
            slot[1] += penalty
        else:
            slot[1] += base + penalty
    return {member: [LoanDue(loan_id=lid, product=products[lid], due_now=v[0], arrears=v[1])
                     for lid, v in loans.items()]
            for member, loans in sums.items()}


def deduction_list(crm: CRM, month: dt.date, *, department: str | None = None
                   ) -> DeductionList:
    """The payroll deduction list of ``month`` (any date in it), optionally one department."""
    cfg = settings_of(crm)
    month = month.replace(day=1)
    payday = payday_of(month, cfg.payday)
    people: dict[int, Profile] = profiles(stages=("active",))
    wajib = _wajib_by_member(crm, month)
    loans = _loans_by_member(crm, month, payday) if crm.is_enabled("expand.loans") else {}
    lines = []
    for member_id, p in people.items():
        now, earlier = wajib.get(member_id, (0, 0))
        dues = loans.get(member_id, [])
        if not cfg.include_arrears:
            earlier = 0
            dues = [LoanDue(d.loan_id, d.product, d.due_now, 0) for d in dues]
        cap = None
        if p.take_home_pay is not None:
            exact = Fraction(p.take_home_pay) * Fraction(cfg.cap_percent) / 100
            cap = exact.numerator // exact.denominator
        line = DeductionLine(
            member_id=member_id, number=p.number or f"#{member_id}", name=p.name,
            employee_number=p.employee_number, department=p.department or "(tanpa departemen)",
            wajib=now, wajib_arrears=earlier,
            loans=tuple(d for d in dues if d.total), take_home_pay=p.take_home_pay, cap=cap)
        if department and line.department.lower() != department.strip().lower():
            continue
        lines.append(line)
    lines.sort(key=lambda x: (x.department, x.employee_number or "", x.number))
    return DeductionList(month=month, payday=payday, cap_percent=cfg.cap_percent,
                         lines=tuple(lines))
