"""Loans at a glance (dyncrm_expand.loans.overview): a member's own loans with what is owed
and due next, a request's eligibility before applying, the committee's quorum and the loans
waiting for a decision or a payout."""

from __future__ import annotations

import datetime as dt

import pytest
from test_loan_helpers import PRODUCTS, Clock, Staff, add_member, fund, idr, open_loans

from dyncrm.testing import snapshot
from dyncrm_expand import loans

START = dt.date(2025, 1, 10)


@pytest.fixture
def book(make_crm):
    clock = Clock(START)
    crm = open_loans(make_crm, clock=clock)
    people = Staff(crm)
    ani, _ = add_member(crm, "Ani", number="M-1")
    budi, _ = add_member(crm, "Budi", number="M-2")
    fund(crm, ani, "6000000")
    return crm, clock, people, ani, budi


def test_member_loans_show_outstanding_and_the_next_installment(book) -> None:
    crm, clock, people, ani, budi = book
    assert loans.member_loans(crm, ani) == []
    loan, _ = loans.apply(crm, people.secretary, ani, "konsumtif", idr(3_000_000), term=3)
    (glance,) = loans.member_loans(crm, ani)
    assert (glance.id, glance.stage, glance.next_due) == (loan.id, "submitted", None)
    assert glance.outstanding == idr(0) and glance.amount == idr(3_000_000)
    loans.approve(crm, people.committee, loan.id)
    loans.disburse(crm, people.treasurer, loan.id, method="cash", reference="K-1")
    clock.day = dt.date(2025, 2, 25)
    loans.repay(crm, people.cashier, loan.id, idr(1_030_000), method="payroll", reference="P-1")
    (glance,) = loans.member_loans(crm, ani)
    second = loans.installments(crm, loan.id)[1]
    assert glance.outstanding == loans.outstanding(crm, loan.id) == idr(2_000_000)
    assert (glance.next_due, glance.next_amount) == (second.due_on, second.total)
    assert loans.member_loans(crm, budi) == []


def test_closed_and_rejected_loans_are_not_shown(book) -> None:
    crm, _clock, people, ani, _budi = book
    loan, _ = loans.apply(crm, people.secretary, ani, "anuitas", idr(1_000_000), term=6)
    loans.reject(crm, people.committee, loan.id, reason="no")
    assert loans.member_loans(crm, ani) == []


def test_eligibility_is_the_reasons_apply_records_and_writes_nothing(book) -> None:
    crm, _clock, people, ani, budi = book
    before = snapshot(crm)
    assert loans.eligibility(crm, ani, "konsumtif", idr(1_000_000), 6) == []
    found = loans.eligibility(crm, budi, "konsumtif", idr(25_000_000), 6)
    assert snapshot(crm) == before
    loan, _ = loans.apply(crm, people.secretary, budi, "konsumtif", idr(25_000_000), term=6)
    assert found and list(loan.reasons) == found


def test_approval_status_counts_the_quorum(make_crm) -> None:
    crm = make_crm(enabled=["expand.savings", "expand.loans"],
                   plugins={"expand.loans": {"products": PRODUCTS}},
                   quorum={"loans.approve": {"approvals": 2, "above": 10_000_000},
                           "loans.override": {"approvals": 2}})
    people = Staff(crm)
    ani, _ = add_member(crm, "Ani")
    fund(crm, ani, "10000000")
    small, _ = loans.apply(crm, people.secretary, ani, "anuitas", idr(1_000_000), term=6)
    assert loans.approval_status(crm, small.id, []).needed == 1
    assert loans.approval_status(crm, small.id, ["a reason"]).needed == 2
    big, _ = loans.apply(crm, people.secretary, ani, "anuitas", idr(12_000_000), term=6)
    loans.approve(crm, people.committee, big.id)
    status = loans.approval_status(crm, big.id, [])
    assert (status.approvers, status.needed, status.complete) == (("komite1",), 2, False)
    loans.approve(crm, people.committee2, big.id)
    assert loans.approval_status(crm, big.id, []).complete
    assert loans.get(crm, big.id).stage == "approved"


def test_waiting_lists_loans_of_a_stage_oldest_first_in_one_query(book) -> None:
    crm, _clock, people, ani, budi = book
    first, _ = loans.apply(crm, people.secretary, budi, "anuitas", idr(1_000_000), term=6)
    second, _ = loans.apply(crm, people.secretary, ani, "anuitas", idr(2_000_000), term=6)
    queries = []
    original = crm.database.execute_sql

    def counting(sql, params=None, *a, **kw):
        queries.append(sql)
        return original(sql, params, *a, **kw)

    crm.database.execute_sql = counting
    try:
        rows = loans.waiting(crm, "submitted")
    finally:
        crm.database.execute_sql = original
    assert len(queries) == 1
    assert [(r["id"], r["member"]) for r in rows] == [(first.id, "M-2 Budi"),
                                                      (second.id, "M-1 Ani")]
    assert rows[0]["amount"] == idr(1_000_000) and rows[0]["product_name"] == "Pinjaman Anuitas"
    assert loans.waiting(crm, "approved") == []
