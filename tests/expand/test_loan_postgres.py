"""Loans and rewards on a real PostgreSQL server: the grouped queries and postings are
portable, not SQLite-only."""

from __future__ import annotations

import datetime as dt

from peewee import PostgresqlDatabase
from test_loan_helpers import PRODUCTS, Clock, Staff, add_member, fund, idr

from dyncrm_expand import loans, rewards


def test_a_loan_life_on_postgres(make_crm, pg_url) -> None:
    clock = Clock(dt.date(2025, 1, 10))
    crm = make_crm(enabled=["expand.savings", "expand.loans", "expand.rewards"],
                   plugins={"expand.loans": {"products": PRODUCTS}}, clock=clock,
                   database_url=pg_url)
    assert isinstance(crm.database, PostgresqlDatabase)
    people = Staff(crm)
    member_id, _ = add_member(crm, "Ani")
    other_id, _ = add_member(crm, "Budi")
    fund(crm, member_id, "5000000")
    loan, _ = loans.apply(crm, people.secretary, member_id, "konsumtif", idr(3_000_000), term=3)
    loans.approve(crm, people.committee, loan.id)
    loans.disburse(crm, people.treasurer, loan.id, method="transfer", reference="TRF")
    clock.day = dt.date(2025, 2, 25)
    loans.repay(crm, people.cashier, loan.id, idr(1_030_000), method="cash", reference="R1")
    clock.day = dt.date(2025, 4, 2)
    assert [(i.number, i.days_past_due) for i in loans.overdue(crm)] == [(2, 8)]
    assert [(g.days_past_due, g.grade) for g in loans.collectibility(crm)] == [
        (8, "dalam perhatian khusus")]
    on = dt.date(2025, 4, 2)
    assert crm.hook.dyncrm_acquire_segment(crm=crm, name="without_loan", on=on) == \
        frozenset({other_id})
    assert crm.hook.dyncrm_acquire_segment(crm=crm, name="loan_overdue", on=on) == \
        frozenset({member_id})
    quote = loans.payoff_quote(crm, loan.id)
    result = loans.repay(crm, people.cashier, loan.id, quote.total + idr(5), method="cash",
                         reference="R2", payoff=True)
    assert result.closed and result.payment.penalty == idr(20_600)
    assert rewards.balance(crm, member_id).amount == 10
    assert crm.ledger.trial_balance() == {"IDR": 0, "POINTS": 0}
    assert loans.monthly_deductions(crm, member_id, dt.date(2025, 3, 1)) == []
