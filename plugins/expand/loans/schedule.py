"""Loan schedule and penalty maths: pure functions on integers and fractions.

Nothing here touches the database or the clock, so every rule can be checked
with exact numbers (``tests/expand/test_loan_schedule.py``).  Amounts are
integer *minor units* of the loan's currency; rates are :class:`Fraction` per
month (``Fraction(1, 100)`` is 1% per month).  Never ``float``.

Interest methods (domain/koperasi.md §3):

``flat``
    interest = monthly rate × *original* principal, every month; equal
    principal parts.
``declining`` (efektif, menurun)
    equal principal parts; interest = monthly rate × principal still
    outstanding before the installment.
``annuity`` (anuitas)
    equal installments ``P·r / (1 − (1+r)^−n)``; interest on the outstanding
    principal, the rest of the installment repays principal.  The installment
    is rounded half-even (down when rounding up would repay a tiny loan early);
    each month's interest is the rate on the outstanding principal of the exact
    schedule, so rounding never drifts: every installment is within one minor
    unit of the exact annuity, and the last absorbs the residue.

Rounding: each installment's parts are rounded half-even to whole minor units;
the last installment absorbs the residue, so the principal parts always sum to
the principal exactly (and, for ``flat``, the interest parts sum to the exactly
rounded total interest).

Two product settings change the rounding (docs/loans.md, "Rounding"):

``multiple`` (Fineract's *installment amount in multiples of*)
    every installment but the last is a whole multiple of ``multiple`` minor
    units (Rp 100, Rp 500, Rp 1.000), rounded to the nearest multiple (ties to
    the even multiple); the interest parts stay as the method computes them and
    the principal part is the installment minus the interest, so the last
    installment absorbs the difference.  ``flat`` and ``annuity`` keep one
    equal installment; ``declining`` rounds each installment so that the
    principal repaid so far stays within half a multiple of the equal parts.
    A loan too small for the multiple (rounding would repay it before its last
    month) falls back to the multiple below, then to whole minor units.
``annuity_interest``
    ``ipmt`` (default): the interest of month *k* is the rate on the balance of
    the exact, unrounded annuity schedule (what a spreadsheet's ``IPMT`` gives),
    so every installment stays within one minor unit of the exact one.
    ``outstanding``: the interest is the rate on the principal actually still
    owed after the rounded installments (Fineract's convention and the
    published cooperative schedules); the rounding drift of each month lands in
    the last installment.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import attrs

METHODS = ("flat", "declining", "annuity")
#: Names cooperatives use for the same methods.
METHOD_ALIASES = {
    "flat": "flat", "tetap": "flat",
    "declining": "declining", "efektif": "declining", "menurun": "declining",
    "effective": "declining",
    "annuity": "annuity", "anuitas": "annuity",
}
RATE_UNITS = ("per_month", "per_year")
#: How an annuity's monthly interest is computed (see the module docstring).
ANNUITY_INTEREST = ("ipmt", "outstanding")


@attrs.frozen
class Row:
    """One installment of a schedule, in minor units."""

    number: int
    principal: int
    interest: int

    @property
    def total(self) -> int:
        """Principal plus interest of this installment."""
        return self.principal + self.interest


def canonical_method(name: str) -> str:
    """``flat``/``declining``/``annuity`` for a method name or its Indonesian alias."""
    method = METHOD_ALIASES.get(str(name).strip().lower())
    if method is None:
        raise ValueError(f"interest method must be one of {', '.join(METHODS)} "
                         f"(or efektif, anuitas), not {name!r}")
    return method


def monthly_rate(rate_percent: Decimal | int | str, unit: str) -> Fraction:
    """The monthly rate as a fraction from a percentage and its unit.

    ``monthly_rate("1", "per_month") == Fraction(1, 100)``;
    ``monthly_rate("12", "per_year") == Fraction(1, 100)``.
    """
    if isinstance(rate_percent, float):
        raise TypeError("rates are never float; pass a str, int or Decimal")
    rate = Fraction(Decimal(str(rate_percent))) / 100
    if rate < 0:
        raise ValueError("a rate cannot be negative")
    if unit == "per_month":
        return rate
    if unit == "per_year":
        return rate / 12
    raise ValueError(f"rate unit must be one of {', '.join(RATE_UNITS)}, not {unit!r}")


def round_half_even(value: Fraction | int) -> int:
    """Round an exact fraction to the nearest integer, ties to even."""
    return round(Fraction(value))


def _equal_parts(total: int, n: int) -> list[int]:
    """``n`` parts of ``total``: each rounded half-even, the last takes the residue.

    (Rounded down instead when rounding up would leave the last part negative,
    which only happens for amounts of a few minor units.)
    """
    part = round_half_even(Fraction(total, n))
    if part * (n - 1) > total:
        part = total // n
    parts = [part] * (n - 1)
    parts.append(total - part * (n - 1))
    return parts


def annuity_payment(principal: int, rate: Fraction, term: int) -> Fraction:
    """The exact equal installment ``P·r / (1 − (1+r)^−n)`` (``P/n`` at rate zero)."""
    if rate == 0:
        return Fraction(principal, term)
    growth = (1 + rate) ** term
    return principal * rate * growth / (growth - 1)


def round_to_multiple(value: Fraction | int, multiple: int) -> int:
    """``value`` rounded to the nearest whole multiple of ``multiple``, ties to the even one.

    ``round_to_multiple(Fraction(3277778, 100), 100) == 32_800``.
    """
    return round_half_even(Fraction(value) / multiple) * multiple


def floor_to_multiple(value: Fraction | int, multiple: int) -> int:
    """``value`` rounded down to a whole multiple of ``multiple``."""
    value = Fraction(value)
    return (value.numerator // (value.denominator * multiple)) * multiple


def schedule(principal: int, rate: Fraction, term: int, method: str, *, multiple: int = 1,
             annuity_interest: str = "ipmt") -> list[Row]:
    """The installments of a loan of ``principal`` minor units over ``term`` months.

    :param rate: monthly rate as a fraction (see :func:`monthly_rate`).
    :param method: ``flat``, ``declining`` or ``annuity`` (aliases accepted).
    :param multiple: installments but the last are whole multiples of this many
        minor units (1: no rounding beyond whole minor units).
    :param annuity_interest: ``ipmt`` or ``outstanding`` (annuities only).
    """
    method = canonical_method(method)
    if isinstance(principal, bool) or not isinstance(principal, int) or principal <= 0:
        raise ValueError("principal must be a positive whole number of minor units")
    if isinstance(term, bool) or not isinstance(term, int) or term < 1:
        raise ValueError("term must be at least one month")
    if isinstance(multiple, bool) or not isinstance(multiple, int) or multiple < 1:
        raise ValueError("the installment multiple must be a whole number of minor units, "
                         "at least 1")
    if annuity_interest not in ANNUITY_INTEREST:
        raise ValueError(f"annuity interest must be one of {', '.join(ANNUITY_INTEREST)}, "
                         f"not {annuity_interest!r}")
    rate = Fraction(rate)
    if rate < 0:
        raise ValueError("a rate cannot be negative")
    if method == "flat":
        total_int = round_half_even(rate * principal * term)
        interests = _equal_parts(total_int, term) if total_int else [0] * term
        if multiple > 1:
            exact = Fraction(principal, term) + rate * principal
            for payment in (round_to_multiple(exact, multiple),
                            floor_to_multiple(exact, multiple)):
                rows = _fixed_payment_rows(principal, interests, payment)
                if rows is not None:
                    return rows
        principals = _equal_parts(principal, term)
        return [Row(i + 1, p, q) for i, (p, q) in enumerate(zip(principals, interests,
                                                                   strict=True))]
    if method == "declining":
        if multiple > 1:
            rows = _declining_multiple_rows(principal, rate, term, multiple)
            if rows is not None:
                return rows
        rows = []
        outstanding = principal
        for i, part in enumerate(_equal_parts(principal, term)):
            rows.append(Row(i + 1, part, round_half_even(rate * outstanding)))
            outstanding -= part
        return rows
    exact = annuity_payment(principal, rate, term)
    on_outstanding = annuity_interest == "outstanding"
    if multiple > 1:
        for payment in (round_to_multiple(exact, multiple), floor_to_multiple(exact, multiple)):
            if payment <= rate * principal:  # would repay no principal in the first month
                continue
            rows = _annuity_rows(principal, rate, term, exact, payment,
                                 on_outstanding=on_outstanding)
            if rows is not None:
                return rows
    rows = _annuity_rows(principal, rate, term, exact, round_half_even(exact),
                         on_outstanding=on_outstanding)
    if rows is None:  # rounding up would overpay: round down, the last takes the rest
        rows = _annuity_rows(principal, rate, term, exact,
                             exact.numerator // exact.denominator, force=True,
                             on_outstanding=on_outstanding)
    return rows


def _fixed_payment_rows(principal: int, interests: list[int], payment: int) -> list[Row] | None:
    """Rows paying ``payment`` a month with the given interest parts, the last month
    taking the rest of the principal; ``None`` when a month before the last would
    repay no principal or the whole loan."""
    rows: list[Row] = []
    outstanding = principal
    last = len(interests) - 1
    for i, interest in enumerate(interests):
        part = outstanding if i == last else payment - interest
        if part < 0 or (i < last and not 0 < part < outstanding):
            return None
        rows.append(Row(i + 1, part, interest))
        outstanding -= part
    return rows


def _declining_multiple_rows(principal: int, rate: Fraction, term: int,
                             multiple: int) -> list[Row] | None:
    """Declining-balance rows whose installments but the last are multiples of ``multiple``.

    Installment *k* is rounded to the multiple so that the principal repaid after
    it is as near as can be to ``k/term`` of the loan: no drift, and the last
    installment differs by less than half a multiple.  ``None`` when that would
    leave a month repaying no principal, or repay the loan early.
    """
    rows: list[Row] = []
    outstanding = principal
    for i in range(term):
        interest = round_half_even(rate * outstanding)
        if i == term - 1:
            part = outstanding
        else:
            target = Fraction(principal * (i + 1), term) - (principal - outstanding)
            part = round_to_multiple(target + interest, multiple) - interest
            if not 0 < part < outstanding:
                return None
        rows.append(Row(i + 1, part, interest))
        outstanding -= part
    return rows


def _annuity_rows(principal: int, rate: Fraction, term: int, exact: Fraction, payment: int,
                  *, force: bool = False, on_outstanding: bool = False) -> list[Row] | None:
    """Annuity rows paying ``payment`` a month, the last month taking the residue.

    By default (``ipmt``) each month's interest is the rate on the principal
    outstanding in the exact (unrounded) annuity schedule, rounded half-even, so
    every installment stays within one minor unit of the exact one instead of
    drifting month by month.  With ``on_outstanding`` it is the rate on the
    principal actually still owed.  The principal part is the installment minus
    that interest.  ``None`` when the installment would repay the loan before
    its last month (unless ``force``: then the parts are capped, which only tiny
    loans need).
    """
    rows: list[Row] = []
    outstanding = principal  # actually still owed after the rounded parts
    scheduled = Fraction(principal)  # owed in the exact schedule
    for i in range(term):
        if on_outstanding:
            interest = round_half_even(rate * outstanding)
        else:
            interest = round_half_even(rate * scheduled)
            scheduled -= exact - rate * scheduled
        part = max(payment - interest, 0)
        if i == term - 1:
            part = outstanding
        elif part >= outstanding:
            if not force:
                return None
            part = outstanding
        rows.append(Row(i + 1, part, interest))
        outstanding -= part
    return rows


def total_interest(rows: Sequence[Row]) -> int:
    """Sum of the interest parts."""
    return sum(r.interest for r in rows)


# -- dates ---------------------------------------------------------------------


def add_months(day: dt.date, months: int, *, day_of_month: int | None = None) -> dt.date:
    """``day`` moved by ``months`` months, on ``day_of_month`` (default: the same day),
    clamped to the month's last day (31 → 30 April, 28/29 February)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day_of_month or day.day, last))


def due_dates(start: dt.date, term: int, due_day: int) -> list[dt.date]:
    """Due dates of ``term`` monthly installments: ``due_day`` of each month after ``start``."""
    return [add_months(start, i, day_of_month=due_day) for i in range(1, term + 1)]


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole months from ``earlier`` to ``later`` (a month is complete on the same day)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if add_months(earlier, months) > later:
        months -= 1
    return months


# -- penalties (denda) -----------------------------------------------------------

PENALTY_KINDS = ("none", "percent_per_month", "fixed_per_day")


def penalty_periods(kind: str, due_on: dt.date, on: dt.date, *, grace_days: int = 0,
                    max_periods: int | None = None) -> int:
    """How many penalty periods an installment due ``due_on`` has started by ``on``.

    ``percent_per_month``: a period starts the day after the due date (plus
    grace) and again every month after that, so paying one day late costs one
    month's denda.  ``fixed_per_day``: one period per day late beyond the grace
    days.  ``max_periods`` caps the count.
    """
    if kind == "none":
        return 0
    first_late = due_on + dt.timedelta(days=grace_days + 1)
    if on < first_late:
        return 0
    if kind == "fixed_per_day":
        count = (on - first_late).days + 1
    elif kind == "percent_per_month":
        count = months_between(first_late, on) + 1
    else:
        raise ValueError(f"penalty kind must be one of {', '.join(PENALTY_KINDS)}")
    return count if max_periods is None else min(count, max_periods)


def penalty_per_period(kind: str, unpaid_base: int, *, percent: Decimal = Decimal(0),
                       fixed_units: int = 0) -> int:
    """The denda of one period, in minor units.

    ``percent_per_month``: ``percent`` % of the installment's unpaid principal and
    interest (never of earlier penalties: no compounding), rounded half-even.
    ``fixed_per_day``: ``fixed_units``, as long as something is unpaid.
    """
    if unpaid_base <= 0 or kind == "none":
        return 0
    if kind == "percent_per_month":
        return round_half_even(Fraction(Decimal(str(percent))) / 100 * unpaid_base)
    if kind == "fixed_per_day":
        return fixed_units
    raise ValueError(f"penalty kind must be one of {', '.join(PENALTY_KINDS)}")
