"""Installment rounding to a multiple and the two annuity-interest conventions
(issue 13, "Money conventions"): worked examples computed by hand here, the
Fineract reference schedules, properties, and a loan's schedule that a later
change of its product's settings leaves alone."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_loan_helpers import PRODUCTS, Staff, add_member, fund, idr, open_loans

from dyncrm.errors import ConfigError, ValidationError
from dyncrm_expand import loans
from dyncrm_expand.loans.models import LoanInstallment
from dyncrm_expand.loans.products import LoanProduct, terms_from_json
from dyncrm_expand.loans.schedule import (
    METHODS,
    floor_to_multiple,
    monthly_rate,
    round_to_multiple,
    schedule,
    total_interest,
)

TWO_PERCENT = Fraction(2, 100)


def test_round_to_multiple_is_nearest_with_ties_to_even() -> None:
    assert round_to_multiple(Fraction(3_277_778, 100), 100) == 32_800
    assert round_to_multiple(32_750, 100) == 32_800   # tie: 327.5 -> 328 (even)
    assert round_to_multiple(32_650, 100) == 32_600   # tie: 326.5 -> 326 (even)
    assert floor_to_multiple(Fraction(346_754_67, 100), 1000) == 346_000


# -- the Fineract reference schedules (loans-fineract.md §2), in cents -------------------
# 5000.00 at 12%/year (1%/month) over 18 months, installmentAmountInMultiplesOf = 1.00


def test_fineract_rs01_flat_in_multiples_of_one() -> None:
    """RS01: 278.00 + 50.00 = 328.00 seventeen times, then 274.00 + 50.00.

    exact installment = 5000/18 + 1% x 5000 = 277.78 + 50.00 = 327.78 -> 328.00
    principal part    = 328.00 - 50.00 = 278.00
    last principal    = 5000.00 - 17 x 278.00 = 5000.00 - 4726.00 = 274.00
    """
    rows = schedule(500_000, monthly_rate("12", "per_year"), 18, "flat", multiple=100)
    assert all((r.principal, r.interest) == (27_800, 5_000) for r in rows[:-1])
    assert (rows[-1].principal, rows[-1].interest) == (27_400, 5_000)
    assert total_interest(rows) == 90_000


def test_fineract_rs02_annuity_on_the_outstanding_balance() -> None:
    """RS02: EMI 305.00 (PMT 304.91 rounded to a multiple of 1.00).

    #1 interest 1% x 5000.00 = 50.00,            principal 305.00 - 50.00 = 255.00
    #2 interest 1% x (5000.00 - 255.00) = 47.45,  principal 305.00 - 47.45 = 257.55
    #3 interest 1% x (4745.00 - 257.55) = 44.87 (44.8745), principal 260.13
    last: 300.22 + 3.00 = 303.22; total interest 488.22
    """
    rows = schedule(500_000, monthly_rate("12", "per_year"), 18, "annuity", multiple=100,
                    annuity_interest="outstanding")
    assert [(r.principal, r.interest) for r in rows[:3]] == [
        (25_500, 5_000), (25_755, 4_745), (26_013, 4_487)]
    assert all(r.total == 30_500 for r in rows[:-1])
    assert (rows[-1].principal, rows[-1].interest) == (30_022, 300)
    assert total_interest(rows) == 48_822


def test_fineract_rs04_equal_principal_without_multiple() -> None:
    """RS04 (Fineract applies no multiple to equal principal): 277.78 a month,
    interest 50.00, 47.22, 44.44, 41.67 ...; last 277.74 + 2.78; interest 475.00."""
    rows = schedule(500_000, monthly_rate("12", "per_year"), 18, "declining")
    assert [r.interest for r in rows[:4]] == [5_000, 4_722, 4_444, 4_167]
    assert (rows[-1].principal, rows[-1].interest) == (27_774, 278)
    assert total_interest(rows) == 47_500


# -- worked examples in whole rupiah ----------------------------------------------------


def test_flat_in_multiples_of_rp100() -> None:
    """Rp 1.000.000, 1%/month flat, 12 months, installments in multiples of Rp 100.

    exact installment = 1.000.000/12 + 1% x 1.000.000 = 83.333,33 + 10.000 = 93.333,33
    nearest multiple of 100 = 93.300 -> principal 93.300 - 10.000 = 83.300
    last principal = 1.000.000 - 11 x 83.300 = 1.000.000 - 916.300 = 83.700
    last installment = 83.700 + 10.000 = 93.700
    """
    rows = schedule(1_000_000, Fraction(1, 100), 12, "flat", multiple=100)
    assert [r.total for r in rows] == [93_300] * 11 + [93_700]
    assert rows[-1].principal == 83_700
    assert total_interest(rows) == 120_000


def test_annuity_both_interest_conventions_worked_by_hand() -> None:
    """Rp 1.000.000, 2%/month, 3 months, annuity in multiples of Rp 1.000.

    PMT = 1.000.000 x 0,02 x 1,02^3 / (1,02^3 - 1) = 21.224,16 / 0,061208 = 346.754,67
    -> Rp 347.000 (nearest multiple of 1.000).

    outstanding (Fineract):
      #1 interest 2% x 1.000.000 = 20.000; principal 327.000; owed 673.000
      #2 interest 2% x 673.000   = 13.460; principal 333.540; owed 339.460
      #3 interest 2% x 339.460   =  6.789,2 -> 6.789; principal 339.460 (last: all owed)
      total interest 20.000 + 13.460 + 6.789 = 40.249
    ipmt (exact schedule, default):
      exact balances 1.000.000; 1.000.000 - (346.754,67 - 20.000) = 673.245,33;
        673.245,33 - (346.754,67 - 13.464,91) = 339.955,57
      #1 interest 20.000; principal 347.000 - 20.000 = 327.000
      #2 interest 2% x 673.245,33 = 13.464,91 -> 13.465; principal 333.535
      #3 interest 2% x 339.955,57 = 6.799,11 -> 6.799;
         principal = 1.000.000 - 327.000 - 333.535 = 339.465
      total interest 20.000 + 13.465 + 6.799 = 40.264 (Rp 15 more)
    """
    owed = schedule(1_000_000, TWO_PERCENT, 3, "anuitas", multiple=1000,
                    annuity_interest="outstanding")
    assert [(r.principal, r.interest) for r in owed] == [
        (327_000, 20_000), (333_540, 13_460), (339_460, 6_789)]
    ipmt = schedule(1_000_000, TWO_PERCENT, 3, "anuitas", multiple=1000)
    assert [(r.principal, r.interest) for r in ipmt] == [
        (327_000, 20_000), (333_535, 13_465), (339_465, 6_799)]
    assert total_interest(ipmt) - total_interest(owed) == 15
    assert ipmt == schedule(1_000_000, TWO_PERCENT, 3, "annuity", multiple=1000,
                            annuity_interest="ipmt")


def test_declining_in_multiples_of_rp1000_tracks_the_equal_parts() -> None:
    """Rp 1.000.000, 1%/month efektif, 3 months, multiples of Rp 1.000.

    #1 interest 10.000; exact part 333.333,33 -> installment 343.333,33 -> 343.000,
       principal 333.000 (repaid 333.000, exact 333.333,33)
    #2 interest 1% x 667.000 = 6.670; part so the repaid total nears 666.666,67:
       666.666,67 - 333.000 = 333.666,67 + 6.670 = 340.336,67 -> 340.000,
       principal 333.330 (repaid 666.330)
    #3 interest 1% x 333.670 = 3.336,7 -> 3.337; principal 333.670; total 337.007
    """
    rows = schedule(1_000_000, Fraction(1, 100), 3, "efektif", multiple=1000)
    assert [(r.principal, r.interest) for r in rows] == [
        (333_000, 10_000), (333_330, 6_670), (333_670, 3_337)]
    assert [r.total for r in rows] == [343_000, 340_000, 337_007]


def test_a_loan_too_small_for_the_multiple_falls_back() -> None:
    """Rp 5.000 over 3 months in multiples of Rp 10.000: nearest multiple of
    1.666,67 is 0 and would repay nothing; whole rupiah is used instead."""
    rows = schedule(5_000, Fraction(0), 3, "flat", multiple=10_000)
    assert [r.principal for r in rows] == [1_667, 1_667, 1_666]


def test_bad_multiple_or_convention_is_refused() -> None:
    with pytest.raises(ValueError, match="multiple"):
        schedule(1_000, Fraction(0), 3, "flat", multiple=0)
    with pytest.raises(ValueError, match="ipmt, outstanding"):
        schedule(1_000, Fraction(0), 3, "annuity", annuity_interest="excel")


# -- properties -------------------------------------------------------------------------

PRINCIPALS = st.integers(min_value=1, max_value=10**10)
RATES = st.fractions(min_value=0, max_value=Fraction(5, 100), max_denominator=10_000)
TERMS = st.integers(min_value=1, max_value=60)
MULTIPLES = st.sampled_from([1, 100, 500, 1000])
BASES = st.sampled_from(["ipmt", "outstanding"])


@settings(max_examples=300, deadline=None)
@given(PRINCIPALS, RATES, TERMS, st.sampled_from(METHODS), MULTIPLES, BASES)
def test_principal_sums_to_the_loan_and_no_part_is_negative(principal, rate, term, method,
                                                           multiple, basis) -> None:
    rows = schedule(principal, rate, term, method, multiple=multiple, annuity_interest=basis)
    assert len(rows) == term
    assert sum(r.principal for r in rows) == principal
    assert all(r.principal >= 0 and r.interest >= 0 for r in rows)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1_000_000, max_value=10**10), RATES, TERMS,
       st.sampled_from(["flat", "annuity"]), st.sampled_from([100, 500, 1000]), BASES)
def test_installments_but_the_last_are_one_equal_multiple(principal, rate, term, method,
                                                         multiple, basis) -> None:
    """Loans large enough for the multiple: the difference lands on the last installment."""
    rows = schedule(principal, rate, term, method, multiple=multiple, annuity_interest=basis)
    head = {r.total for r in rows[:-1]}
    assert len(head) <= 1
    assert all(total % multiple == 0 for total in head)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1_000_000, max_value=10**10), RATES,
       st.integers(min_value=2, max_value=60), st.sampled_from([100, 500, 1000]))
def test_declining_multiples_never_drift(principal, rate, term, multiple) -> None:
    rows = schedule(principal, rate, term, "declining", multiple=multiple)
    repaid = 0
    for k, r in enumerate(rows[:-1], start=1):
        assert r.total % multiple == 0
        repaid += r.principal
        assert abs(repaid - Fraction(principal * k, term)) <= Fraction(multiple, 2)


@settings(max_examples=200, deadline=None)
@given(PRINCIPALS, RATES, TERMS)
def test_outstanding_convention_charges_the_rate_on_what_is_owed(principal, rate, term
                                                                 ) -> None:
    rows = schedule(principal, rate, term, "annuity", annuity_interest="outstanding")
    owed = principal
    for r in rows:
        assert r.interest == round(rate * owed)
        owed -= r.principal


# -- settings on a product, and loans that keep their own terms --------------------------


def test_product_settings_are_validated(make_crm) -> None:
    bad = {**PRODUCTS["anuitas"], "annuity_interest": "excel"}
    with pytest.raises(ConfigError, match="annuity_interest"):
        open_loans(make_crm, products={"anuitas": bad})
    with pytest.raises(ConfigError, match="installment_multiple"):
        open_loans(make_crm, products={"anuitas": {**PRODUCTS["anuitas"],
                                                   "installment_multiple": "-100"}})


def test_multiple_must_be_whole_minor_units() -> None:
    product = LoanProduct(name="x", method="flat", rate=Decimal(1), rate_unit="per_month",
                          installment_multiple=Decimal("0.5"))
    with pytest.raises(ValidationError, match="smallest unit"):
        product.schedule(1_000_000, 12, exponent=0)
    assert product.multiple_units(2) == 50


def test_terms_copied_before_the_settings_existed_keep_their_schedule() -> None:
    """A loan's stored terms without the new keys mean: whole rupiah, ipmt."""
    stored = terms_from_json(LoanProduct(name="old", method="annuity", rate=Decimal(2),
                                         rate_unit="per_month").terms())
    old = {k: v for k, v in stored.terms().items()
           if k not in ("installment_multiple", "annuity_interest")}
    again = terms_from_json(old)
    assert (again.installment_multiple, again.annuity_interest) == (None, "ipmt")
    assert again.schedule(1_000_000, 3, 0) == schedule(1_000_000, TWO_PERCENT, 3, "annuity")


def _installments(loan_id: int) -> list[tuple[int, int]]:
    return [(i.principal, i.interest) for i in LoanInstallment.select()
            .where(LoanInstallment.loan == loan_id).order_by(LoanInstallment.number)]


def test_a_loan_keeps_the_terms_it_was_applied_on(make_crm) -> None:
    """Applied under whole-rupiah ipmt terms; the product then changes to multiples of
    Rp 1.000 on the outstanding balance; disbursed afterwards, the loan still gets the
    schedule of the terms it copied, and a new loan gets the new one."""
    plain = {**PRODUCTS["anuitas"], "fees": [], "rate": "24", "term_min": 3}
    crm = open_loans(make_crm, products={"anuitas": plain})
    people = Staff(crm)
    member_id, member = add_member(crm, "Ani", number="A001", login="ani")
    fund(crm, member_id, "5000000")
    loan, _ = loans.apply(crm, member, member_id, "anuitas", idr(1_000_000), term=3)

    changed = {**plain, "installment_multiple": "1000", "annuity_interest": "outstanding"}
    crm2 = open_loans(make_crm, products={"anuitas": changed})
    loans.approve(crm2, people.committee, loan.id)
    loans.disburse(crm2, people.treasurer, loan.id, method="cash", reference="KAS-1")
    # 24%/year = 2%/month; whole-rupiah ipmt: PMT 346.754,67 -> 346.755 a month
    assert _installments(loan.id) == [
        (row.principal, row.interest)
        for row in schedule(1_000_000, TWO_PERCENT, 3, "annuity")]
    assert _installments(loan.id)[0] == (326_755, 20_000)

    sim = loans.simulate(crm2, product="anuitas", amount=idr(1_000_000), term=3)
    assert [r["installment"] for r in sim.rows] == [idr(347_000), idr(347_000),
                                                    idr(346_249)]
