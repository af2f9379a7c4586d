"""Schedule and denda maths: worked vectors, properties for every method, and an
independent cross-check of annuities against numpy-financial."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyncrm_expand.loans.schedule import (
    METHODS,
    add_months,
    annuity_payment,
    canonical_method,
    due_dates,
    monthly_rate,
    months_between,
    penalty_per_period,
    penalty_periods,
    schedule,
    total_interest,
)

ONE_PERCENT = Fraction(1, 100)

# -- koperasi.md §3: P = 12,000,000, 12 months, 1% per month ---------------------------


def test_flat_vector() -> None:
    rows = schedule(12_000_000, ONE_PERCENT, 12, "flat")
    assert all(r.principal == 1_000_000 and r.interest == 120_000 for r in rows)
    assert all(r.total == 1_120_000 for r in rows)
    assert total_interest(rows) == 1_440_000


def test_efektif_vector() -> None:
    rows = schedule(12_000_000, ONE_PERCENT, 12, "efektif")
    assert rows[0].total == 1_120_000
    assert rows[-1].total == 1_010_000
    assert [r.interest for r in rows] == [120_000 - 10_000 * i for i in range(12)]
    assert total_interest(rows) == 780_000


def test_annuity_vector_in_cents() -> None:
    """1,066,185.46 per month when the currency keeps two decimals."""
    rows = schedule(1_200_000_000, ONE_PERCENT, 12, "anuitas")
    assert all(r.total == 106_618_546 for r in rows[:-1])
    assert sum(r.principal for r in rows) == 1_200_000_000
    # the published total interest 794,225.57 comes from unrounded maths; rounding each
    # month's interest to the cent moves it by at most a few cents
    assert abs(total_interest(rows) - 79_422_557) <= 12


def test_annuity_vector_in_whole_rupiah() -> None:
    rows = schedule(12_000_000, ONE_PERCENT, 12, "annuity")
    assert all(r.total == 1_066_185 for r in rows[:-1])
    assert rows[-1].total != 1_066_185  # the residue lands on the last installment
    assert sum(r.principal for r in rows) == 12_000_000
    assert rows[0].interest == 120_000


def test_public_flat_vectors() -> None:
    assert schedule(9_000_000, ONE_PERCENT, 12, "flat")[0].total == 840_000
    rows = schedule(12_000_000, monthly_rate("5", "per_year"), 24, "flat")
    assert (rows[0].principal, rows[0].interest) == (500_000, 50_000)


def test_fineract_rs01_and_rs04() -> None:
    """loans-fineract.md: 5000.00 at 12%/year over 18 months (in cents)."""
    rate = monthly_rate("12", "per_year")
    flat = schedule(500_000, rate, 18, "flat")
    assert (flat[0].principal, flat[0].interest) == (27_778, 5_000)
    assert total_interest(flat) == 90_000
    equal = schedule(500_000, rate, 18, "declining")
    assert [r.interest for r in equal[:4]] == [5_000, 4_722, 4_444, 4_167]
    assert equal[-1].principal == 500_000 - 27_778 * 17
    assert total_interest(equal) == 47_500


def test_rate_units_and_method_names() -> None:
    assert monthly_rate("1", "per_month") == Fraction(1, 100)
    assert monthly_rate(Decimal("12"), "per_year") == Fraction(1, 100)
    assert monthly_rate("1,5".replace(",", "."), "per_month") == Fraction(3, 200)
    with pytest.raises(ValueError, match="rate unit"):
        monthly_rate("1", "per_tenor")
    with pytest.raises(TypeError):
        monthly_rate(1.0, "per_month")  # type: ignore[arg-type]
    assert canonical_method("Anuitas") == "annuity"
    assert canonical_method("menurun") == "declining"
    with pytest.raises(ValueError, match="interest method"):
        canonical_method("balloon")


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        schedule(0, ONE_PERCENT, 12, "flat")
    with pytest.raises(ValueError):
        schedule(1000, ONE_PERCENT, 0, "flat")
    with pytest.raises(ValueError):
        schedule(1000, Fraction(-1, 100), 3, "flat")


def test_zero_rate() -> None:
    for method in METHODS:
        rows = schedule(1000, Fraction(0), 3, method)
        assert [r.principal for r in rows] == [333, 333, 334]
        assert total_interest(rows) == 0


# -- properties for every method -------------------------------------------------------

principals = st.integers(min_value=1, max_value=10**12)
terms = st.integers(min_value=1, max_value=120)
rates = st.fractions(min_value=0, max_value=Fraction(1, 10), max_denominator=100_000)


@settings(max_examples=300, deadline=None)
@given(principals, rates, terms, st.sampled_from(METHODS))
def test_principal_parts_sum_exactly(principal, rate, term, method) -> None:
    rows = schedule(principal, rate, term, method)
    assert len(rows) == term
    assert [r.number for r in rows] == list(range(1, term + 1))
    assert sum(r.principal for r in rows) == principal
    assert all(isinstance(r.principal, int) and isinstance(r.interest, int) for r in rows)
    assert all(r.principal >= 0 and r.interest >= 0 for r in rows)


@settings(max_examples=200, deadline=None)
@given(principals, rates, terms)
def test_flat_interest_is_on_the_original_principal(principal, rate, term) -> None:
    rows = schedule(principal, rate, term, "flat")
    exact = rate * principal
    assert all(abs(r.interest - exact) <= 1 for r in rows[:-1])
    assert total_interest(rows) == round(rate * principal * term)
    assert all(abs(r.principal - Fraction(principal, term)) < 1 for r in rows[:-1])


@settings(max_examples=200, deadline=None)
@given(principals, rates, terms)
def test_declining_interest_is_on_the_outstanding_principal(principal, rate, term) -> None:
    rows = schedule(principal, rate, term, "declining")
    outstanding = principal
    for r in rows:
        assert r.interest == round(rate * outstanding)
        outstanding -= r.principal
    assert outstanding == 0
    assert all(r.principal == rows[0].principal for r in rows[:-1])
    totals = [r.total for r in rows[:-1]]
    assert totals == sorted(totals, reverse=True)  # installments shrink


@settings(max_examples=200, deadline=None)
@given(principals, rates, terms)
def test_annuity_installments_are_equal_but_the_last(principal, rate, term) -> None:
    rows = schedule(principal, rate, term, "annuity")
    exact = annuity_payment(principal, rate, term)
    if term > 1:
        assert rows[0].total in (round(exact), exact.numerator // exact.denominator)
    scheduled = Fraction(principal)
    for r in rows:  # interest on the outstanding principal of the exact schedule
        assert r.interest == round(rate * scheduled)
        scheduled -= exact - rate * scheduled
    assert scheduled == 0
    if principal >= 100 * term:  # tiny loans: interest rounding can exceed the installment
        assert all(r.total == rows[0].total for r in rows[:-1])
        assert rows[-1].principal > 0


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=10_000, max_value=10**11), rates, st.integers(1, 60))
def test_annuity_matches_numpy_financial(principal, rate, term) -> None:
    """An independent implementation (in floats, test-only) agrees within one minor unit
    per installment; the last installment carries the rounding residue of them all."""
    rows = schedule(principal, rate, term, "annuity")
    r = float(rate)
    periods = range(1, term + 1)
    if r == 0:
        pmt = principal / term
        ipmt = [0.0] * term
        ppmt = [pmt] * term
    else:
        pmt = -float(npf.pmt(r, term, principal))
        ipmt = [-float(npf.ipmt(r, p, term, principal)) for p in periods]
        ppmt = [-float(npf.ppmt(r, p, term, principal)) for p in periods]
    for row, i, p in zip(rows[:-1], ipmt, ppmt, strict=False):
        assert abs(row.total - pmt) <= 1
        assert abs(row.interest - i) <= 1
        assert abs(row.principal - p) <= 1 + 1e-9
    last = rows[-1]
    assert abs(last.total - pmt) <= term
    assert abs(total_interest(rows) - (pmt * term - principal)) <= term


# -- dates --------------------------------------------------------------------------------


def test_due_dates_clamp_to_the_end_of_the_month() -> None:
    dates = due_dates(dt.date(2025, 1, 10), 4, 31)
    assert dates == [dt.date(2025, 2, 28), dt.date(2025, 3, 31), dt.date(2025, 4, 30),
                     dt.date(2025, 5, 31)]
    assert due_dates(dt.date(2024, 12, 31), 2, 25) == [dt.date(2025, 1, 25),
                                                       dt.date(2025, 2, 25)]
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 1, 1)),
       st.integers(0, 400))
def test_months_between_inverts_add_months(start, months) -> None:
    later = add_months(start, months)
    assert months_between(start, later) == months or start.day > later.day


# -- denda --------------------------------------------------------------------------------


def test_percent_per_month_periods() -> None:
    due = dt.date(2025, 2, 25)
    count = lambda on, **kw: penalty_periods("percent_per_month", due, on, **kw)  # noqa: E731
    assert count(dt.date(2025, 2, 25)) == 0
    assert count(dt.date(2025, 2, 26)) == 1
    assert count(dt.date(2025, 3, 25)) == 1
    assert count(dt.date(2025, 3, 26)) == 2
    assert count(dt.date(2025, 2, 28), grace_days=3) == 0
    assert count(dt.date(2025, 3, 1), grace_days=3) == 1
    assert count(dt.date(2026, 2, 26), max_periods=6) == 6


def test_fixed_per_day_periods() -> None:
    due = dt.date(2025, 2, 25)
    assert penalty_periods("fixed_per_day", due, dt.date(2025, 2, 25)) == 0
    assert penalty_periods("fixed_per_day", due, dt.date(2025, 3, 7)) == 10
    assert penalty_periods("fixed_per_day", due, dt.date(2025, 3, 7), grace_days=2) == 8
    assert penalty_periods("none", due, dt.date(2030, 1, 1)) == 0


def test_penalty_per_period_never_compounds() -> None:
    assert penalty_per_period("percent_per_month", 1_120_000, percent=Decimal(2)) == 22_400
    assert penalty_per_period("percent_per_month", 0, percent=Decimal(2)) == 0
    assert penalty_per_period("fixed_per_day", 5, fixed_units=1000) == 1000
    assert penalty_per_period("fixed_per_day", 0, fixed_units=1000) == 0


@given(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)),
       st.integers(0, 800), st.integers(0, 800), st.integers(0, 10),
       st.sampled_from(["percent_per_month", "fixed_per_day"]))
def test_penalty_periods_only_grow(due, a, b, grace, kind) -> None:
    first, second = sorted([a, b])
    early = penalty_periods(kind, due, due + dt.timedelta(days=first), grace_days=grace)
    late = penalty_periods(kind, due, due + dt.timedelta(days=second), grace_days=grace)
    assert 0 <= early <= late
