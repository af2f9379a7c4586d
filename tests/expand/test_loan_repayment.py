"""Repayments: allocation, denda, early payoff, overpayment, idempotency."""

from __future__ import annotations

import datetime as dt

import pytest
from test_loan_helpers import Clock, Staff, add_member, dump, fund, idr, open_loans

from dyncrm import hookimpl
from dyncrm.db.models import OutboxMessage
from dyncrm.errors import IllegalTransition, ValidationError
from dyncrm_expand import loans
from dyncrm_expand.loans.models import LoanInstallment

START = dt.date(2025, 1, 10)


def disbursed(make_crm, product="konsumtif", amount=12_000_000, term=12, extra_plugins=()):
    """A CRM on 10 January 2025 with one disbursed loan; the clock can be moved."""
    clock = Clock(START)
    crm = open_loans(make_crm, clock=clock, extra_plugins=extra_plugins)
    people = Staff(crm)
    member_id, member = add_member(crm, "Ani", number="A001", login="ani")
    fund(crm, member_id, "5000000")
    loan, _ = loans.apply(crm, member, member_id, product, idr(amount), term=term)
    loans.approve(crm, people.committee, loan.id, override="test")
    loans.disburse(crm, people.treasurer, loan.id, method="transfer", reference="TRF")
    return crm, clock, people, member_id, loans.get(crm, loan.id)


def pay(crm, people, loan, amount, ref, on=None, **kw):
    return loans.repay(crm, people.cashier, loan.id, idr(amount), method="cash",
                       reference=ref, on=on, **kw)


def test_on_time_installment(make_crm) -> None:
    crm, clock, people, member_id, loan = disbursed(make_crm)
    clock.day = dt.date(2025, 2, 25)
    result = pay(crm, people, loan, 1_120_000, "R1")
    p = result.payment
    assert (p.penalty, p.interest, p.principal, p.overpayment) == (
        idr(0), idr(120_000), idr(1_000_000), idr(0))
    assert result.installments_paid == (1,) and not result.closed
    assert loans.outstanding(crm, loan.id) == idr(11_000_000)
    assert crm.ledger.balance(f"loans.principal:m{member_id}") == idr(11_000_000)
    assert crm.ledger.balance(f"income.loan_interest:m{member_id}") == idr(120_000)
    assert OutboxMessage.select().where(OutboxMessage.kind == "loans.receipt").count() == 1


def test_late_payment_pays_denda_then_interest_then_principal(make_crm) -> None:
    """2% of the overdue installment per started month; oldest installment first."""
    crm, clock, people, member_id, loan = disbursed(make_crm)
    clock.day = dt.date(2025, 3, 1)  # installment 1 (25 Feb) is 4 days late
    result = pay(crm, people, loan, 1_120_000, "R1")
    p = result.payment
    assert (p.penalty, p.interest, p.principal) == (idr(22_400), idr(120_000), idr(977_600))
    assert result.installments_paid == ()
    first = loans.installments(crm, loan.id)[0]
    assert (first.penalty_assessed, first.penalty_paid, first.paid_on) == (
        idr(22_400), idr(22_400), None)
    assert crm.ledger.balance(f"income.loan_penalty:m{member_id}") == idr(22_400)
    # a month later: installment 1 owes 22,400 principal -> a second month's denda on it
    # only (448), installment 2 (due 25 Mar) is 7 days late -> 22,400; never on denda
    clock.day = dt.date(2025, 4, 1)
    result = pay(crm, people, loan, 1_100_000, "R2")
    p = result.payment
    assert p.penalty == idr(448 + 22_400)
    assert p.principal == idr(22_400 + 1_100_000 - 22_400 - 448 - 22_400 - 120_000)
    assert result.installments_paid == (1,)
    items = loans.installments(crm, loan.id)
    assert items[0].paid_on == dt.date(2025, 4, 1) and items[1].paid_on is None
    assert crm.ledger.trial_balance() == {"IDR": 0}


def test_overdue_shows_denda_before_it_is_charged(make_crm) -> None:
    crm, clock, _people, _member_id, loan = disbursed(make_crm)
    clock.day = dt.date(2025, 5, 1)
    items = loans.overdue(crm)
    assert [(i.number, i.days_past_due) for i in items] == [(1, 65), (2, 37), (3, 6)]
    # installment 1: three started months late, 2% of 1,120,000 each
    assert [i.penalty for i in items] == [idr(67_200), idr(44_800), idr(22_400)]
    quote = loans.payoff_quote(crm, loan.id)
    assert quote.penalty == idr(134_400)
    assert quote.interest_due == idr(360_000)
    assert quote.principal == idr(12_000_000)
    assert quote.payoff_interest == idr(120_000)  # flat: one month on the original principal
    assert quote.total == idr(134_400 + 360_000 + 12_000_000 + 120_000)
    assert LoanInstallment.select().where(LoanInstallment.penalty_assessed > 0).count() == 0


def test_fixed_denda_per_day_with_grace(make_crm) -> None:
    crm, clock, people, _member_id, loan = disbursed(make_crm, "anuitas", 6_000_000, 6)
    first = loans.installments(crm, loan.id)[0]
    assert first.due_on == dt.date(2025, 2, 10)
    clock.day = dt.date(2025, 2, 12)  # within the two grace days
    assert loans.overdue(crm)[0].penalty == idr(0)
    clock.day = dt.date(2025, 2, 22)  # 12 days late, 10 beyond grace: Rp 1.000 a day
    result = pay(crm, people, loan, first.total.amount, "R1")
    assert result.payment.penalty == idr(10_000)


def test_early_payoff_and_overpayment_to_sukarela(make_crm) -> None:
    crm, clock, people, member_id, loan = disbursed(make_crm)
    clock.day = dt.date(2025, 2, 25)
    pay(crm, people, loan, 1_120_000, "R1")
    clock.day = dt.date(2025, 3, 10)
    quote = loans.payoff_quote(crm, loan.id)
    assert (quote.principal, quote.interest_due, quote.payoff_interest, quote.penalty) == (
        idr(11_000_000), idr(0), idr(120_000), idr(0))
    before = dump(crm)
    with pytest.raises(ValidationError, match=r"takes Rp 11.120.000"):
        pay(crm, people, loan, 11_000_000, "R2", payoff=True)
    assert dump(crm) == before
    sukarela = crm.ledger.balance(f"savings.sukarela:m{member_id}")
    result = pay(crm, people, loan, 11_200_000, "R2", payoff=True)
    assert result.closed and result.payment.overpayment == idr(80_000)
    assert result.installments_paid == tuple(range(2, 13))
    assert crm.ledger.balance(f"savings.sukarela:m{member_id}") == sukarela + idr(80_000)
    done = loans.get(crm, loan.id)
    assert (done.stage, done.closed_on) == ("closed", dt.date(2025, 3, 10))
    waived = sum(i.interest_waived.amount for i in loans.installments(crm, loan.id))
    assert waived == 120_000 * 11 - 120_000
    assert crm.ledger.balance(f"loans.principal:m{member_id}") == idr(0)
    assert crm.ledger.trial_balance() == {"IDR": 0}
    with pytest.raises(IllegalTransition, match="'closed'"):
        pay(crm, people, loan, 1000, "R3")


def test_overpayment_of_a_backdated_payment_is_credited_on_the_payment_date(make_crm) -> None:
    """A cashier entering yesterday's payment today: the sukarela credit is yesterday's too."""
    crm, clock, people, member_id, loan = disbursed(make_crm)
    clock.day = dt.date(2025, 2, 25)
    pay(crm, people, loan, 1_120_000, "R1")
    clock.day = dt.date(2025, 3, 12)
    result = pay(crm, people, loan, 11_200_000, "R2", on=dt.date(2025, 3, 10), payoff=True)
    assert result.payment.overpayment == idr(80_000)
    [credit] = [line for line in crm.ledger.statement(f"savings.sukarela:m{member_id}")
                if line["kind"] != "savings.deposit"]
    assert (credit["date"], credit["amount"]) == (dt.date(2025, 3, 10), idr(80_000))


def test_declining_payoff_interest_is_on_the_outstanding(make_crm) -> None:
    crm, clock, _people, _member_id, loan = disbursed(make_crm, "anuitas", 6_000_000, 6)
    # annuity 1%/month (12%/year), principal 6,050,000 with the admin fee; 2 months' interest
    clock.day = dt.date(2025, 1, 20)
    quote = loans.payoff_quote(crm, loan.id)
    assert quote.principal == idr(6_050_000)
    assert quote.payoff_interest == idr(2 * 60_500)


def test_paying_more_than_everything_closes_and_credits_the_rest(make_crm) -> None:
    crm, clock, people, _member_id, loan = disbursed(make_crm, amount=1_200_000, term=3)
    clock.day = dt.date(2025, 2, 1)
    result = pay(crm, people, loan, 2_000_000, "ALL")
    # without payoff the whole schedule is paid: 1,200,000 + 3 × 12,000
    assert result.payment.overpayment == idr(2_000_000 - 1_236_000)
    assert result.closed and result.installments_paid == (1, 2, 3)


def test_reference_is_the_idempotency_key(make_crm) -> None:
    crm, clock, people, _member_id, loan = disbursed(make_crm)
    clock.day = dt.date(2025, 2, 20)
    first = pay(crm, people, loan, 500_000, "SLIP-1")
    before = dump(crm)
    again = pay(crm, people, loan, 500_000, "SLIP-1")
    assert again.replayed and again.payment == first.payment
    assert dump(crm) == before
    other_id, _ = add_member(crm, "Budi")
    fund(crm, other_id, "5000000")
    other, _ = loans.apply(crm, people.secretary, other_id, "anuitas", idr(1_000_000), term=3)
    loans.approve(crm, people.committee, other.id)
    loans.disburse(crm, people.treasurer, other.id, method="cash", reference="K2")
    with pytest.raises(ValidationError, match="already used for a payment on loan"):
        loans.repay(crm, people.cashier, other.id, idr(1000), method="cash",
                    reference="SLIP-1")


def test_bad_payments_change_nothing(make_crm) -> None:
    crm, clock, people, _member_id, loan = disbursed(make_crm)
    clock.day = dt.date(2025, 2, 20)
    pay(crm, people, loan, 100_000, "R1")
    before = dump(crm)
    with pytest.raises(ValidationError, match="before the loan's last payment"):
        pay(crm, people, loan, 100_000, "R2", on=dt.date(2025, 2, 1))
    with pytest.raises(ValidationError, match="future"):
        pay(crm, people, loan, 100_000, "R2", on=dt.date(2025, 3, 1))
    with pytest.raises(ValidationError, match="above zero"):
        pay(crm, people, loan, 0, "R2")
    with pytest.raises(ValidationError, match="reference"):
        pay(crm, people, loan, 10, " ")
    with pytest.raises(ValidationError, match="method"):
        loans.repay(crm, people.cashier, loan.id, idr(10), method="cheque", reference="R2")
    with pytest.raises(ValidationError, match="source_account"):
        loans.repay(crm, people.cashier, loan.id, idr(10), method="offset", reference="R2")
    from dyncrm.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        loans.repay(crm, people.secretary, loan.id, idr(10), method="cash", reference="R2")
    assert dump(crm) == before


def test_offset_from_another_account(make_crm) -> None:
    crm, clock, people, member_id, loan = disbursed(make_crm)
    clock.day = dt.date(2025, 2, 25)
    code = f"savings.sukarela:m{member_id}"
    loans.repay(crm, people.cashier, loan.id, idr(1_120_000), method="offset",
                reference="OFF-1", source_account_code=code)
    assert crm.ledger.balance(code) == idr(5_000_000 - 1_120_000)


def test_hook_dyncrm_expand_installment_paid(make_crm) -> None:
    class Watcher:
        def __init__(self):
            self.paid = []

        @hookimpl
        def dyncrm_expand_installment_paid(self, crm, payment):
            self.paid.append((payment.number, payment.on_time, payment.payoff,
                              payment.amount, payment.reference))

    watcher = Watcher()
    crm, clock, people, _member_id, loan = disbursed(make_crm, amount=3_000_000, term=3,
                                                    extra_plugins=[("watch", watcher)])
    clock.day = dt.date(2025, 2, 25)
    pay(crm, people, loan, 500_000, "P1")  # part of installment 1: no call yet
    assert watcher.paid == []
    pay(crm, people, loan, 530_000, "P2")
    clock.day = dt.date(2025, 3, 27)  # installment 2 two days late: 2% denda
    pay(crm, people, loan, 1_030_000 + 20_600, "P3")
    clock.day = dt.date(2025, 4, 2)
    quote = loans.payoff_quote(crm, loan.id)
    pay(crm, people, loan, quote.total.amount, "P4", payoff=True)
    assert watcher.paid == [
        (1, True, False, idr(1_030_000), "P2"),
        (2, False, False, idr(1_050_600), "P3"),
        (3, True, True, idr(1_030_000), "P4"),
    ]
