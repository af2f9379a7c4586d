"""expand.deactivation: leave requests, the settlement arithmetic and its postings."""

from __future__ import annotations

import datetime as dt

import pytest
from test_savings_helpers import (
    PNG,
    Staff,
    add_member,
    balanced,
    clock_at,
    dump,
    member_actor,
    open_expand,
)

from dyncrm import hookimpl
from dyncrm.db.models import Member, OutboxMessage
from dyncrm.errors import (
    DuplicateError,
    DyncrmError,
    IllegalTransition,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from dyncrm.money import Money
from dyncrm.values import Actor
from dyncrm_expand import deactivation, savings
from dyncrm_expand.deactivation import SettlementLine


def rp(value) -> Money:
    return Money.of(value, "IDR")


class FakeLoans:
    """Stands in for expand.loans: one outstanding loan per member in ``owed``."""

    def __init__(self) -> None:
        self.owed: dict[int, Money] = {}
        self.calls: list[tuple[int, dt.date]] = []

    @hookimpl
    def dyncrm_expand_settlement_lines(self, crm, member, on):
        self.calls.append((member.id, on))
        amount = self.owed.get(member.id)
        if not amount:
            return None
        account = crm.ledger.open_account("loans.principal", type="asset", member_id=member.id)
        return [SettlementLine(code="loan:1:principal", label="Loan 1 outstanding",
                               amount=-amount, account=account, plugin="fake.loans")]


@pytest.fixture
def loans():
    return FakeLoans()


@pytest.fixture
def crm(make_crm, loans):
    return open_expand(make_crm, extra_plugins=[("fake.loans", loans)])


@pytest.fixture
def people(crm):
    return Staff(crm)


def saver(crm, people, *, joined=dt.date(2025, 1, 6), wajib="150000", sukarela="200000"):
    """A member with pokok paid, some wajib (arrears from April) and sukarela."""
    m = add_member(crm, joined=joined)
    on = joined + dt.timedelta(days=1)
    savings.deposit(crm, people.cashier, m, "pokok", "100000", method="cash", reference=f"P{m}",
                    on=on)
    savings.deposit(crm, people.cashier, m, "wajib", wajib, method="payroll", reference=f"W{m}",
                    on=on)
    if sukarela:
        savings.deposit(crm, people.cashier, m, "sukarela", sukarela, method="cash",
                        reference=f"S{m}", on=on)
    return m


def lend(crm, loans, m, amount):
    """Book a loan the fake plugin will report: debit loans.principal, credit bank."""
    code = crm.ledger.open_account("loans.principal", type="asset", member_id=m)
    bank = crm.ledger.open_account("bank", type="asset")
    with crm.action("test.loan", Actor.operator()):
        crm.ledger.transfer(rp(amount), debit=code, credit=bank, kind="loans.disbursement",
                            actor="system", member_id=m)
    loans.owed[m] = rp(amount)


def test_settlement_arithmetic_is_exact(crm, people):
    m = saver(crm, people)
    found = deactivation.settlement(crm, m, dt.date(2025, 6, 15))
    lines = {ln.code: ln.amount for ln in found.lines}
    # joined January, wajib due on the 10th: January..June owed = 300.000, 150.000 paid
    assert lines == {"savings.pokok": rp(100000), "savings.wajib": rp(150000),
                     "savings.sukarela": rp(200000), "savings.wajib_arrears": rp(-150000)}
    assert found.total == rp(300000)
    assert found.owed_to_member == rp(450000) and found.owed_by_member == rp(150000)
    # before the June due date only April and May are missing
    earlier = deactivation.settlement(crm, m, dt.date(2025, 6, 9))
    assert earlier.total == rp(350000)


def test_arrears_deduction_can_be_switched_off(make_crm):
    crm = open_expand(make_crm, savings={"deduct_arrears_on_leaving": False})
    people = Staff(crm)
    m = saver(crm, people)
    found = deactivation.settlement(crm, m, dt.date(2025, 6, 15))
    assert found.total == rp(450000)
    assert "savings.wajib_arrears" not in {ln.code for ln in found.lines}


def test_leave_lifecycle_posts_and_pays_the_settlement(crm, people):
    m = saver(crm, people)
    me = member_actor(crm, m)
    request = deactivation.request_leave(crm, me, m, "moving to another city")
    assert request.status == "requested" and request.requested_by == me.username
    assert crm.member(m).stage == "active"
    assert "would be" in OutboxMessage.get(OutboxMessage.member == m).body

    with pytest.raises(PermissionDenied):
        deactivation.approve_leave(crm, people.secretary, request.id)
    approved = deactivation.approve_leave(crm, people.treasurer, request.id)
    assert approved.status == "approved" and approved.settlement_total == rp(300000)
    assert approved.payout_on == dt.date(2025, 6, 15)
    assert crm.member(m).stage == "leaving"
    assert savings.balances(crm, m) == {"pokok": rp(0), "wajib": rp(0), "sukarela": rp(0)}
    assert crm.ledger.balance(f"payable.refund:m{m}") == rp(300000)
    assert crm.ledger.balance("equity.reserve") == rp(150000)
    entry = crm.ledger.entry(approved.settlement_entry_id)
    assert entry.kind == "deactivation.settlement" and entry.member_id == m
    assert [ln["code"] for ln in entry.meta["lines"]] == [ln.code for ln in approved.lines]
    assert balanced(crm)
    # savings no longer move, arrears stop growing at the approval date
    with pytest.raises(ValidationError, match="leaving"):
        savings.deposit(crm, people.cashier, m, "wajib", "50000", method="cash", reference="L")
    assert savings.wajib_due(crm, m, dt.date(2025, 7, 1)) == rp(0)
    assert m not in savings.arrears_by_member(crm, dt.date(2025, 6, 15))
    assert not [i for i in savings.due_items(crm, dt.date(2025, 7, 5)) if i.member_id == m]

    cash_before = crm.ledger.balance("cash")
    paid = deactivation.pay_refund(crm, people.cashier, request.id, method="cash",
                                   reference="KK-55")
    assert paid.status == "paid" and paid.paid_on == dt.date(2025, 6, 15)
    assert crm.ledger.balance("cash") == cash_before - rp(300000)
    assert crm.ledger.balance(f"payable.refund:m{m}") == rp(0)
    member = crm.member(m)
    assert member.stage == "inactive" and member.left_on == dt.date(2025, 6, 15)
    again = deactivation.pay_refund(crm, people.cashier, request.id, method="cash",
                                    reference="KK-55")
    assert again.replayed and crm.ledger.balance("cash") == cash_before - rp(300000)
    # history stays
    assert Member.get_by_id(m).name == "Siti Aminah"
    kinds = [t.kind for t in crm.timeline(m)]
    assert kinds[-3:] == ["leave.requested", "stage.request_leave", "stage.complete_leave"]
    assert len(savings.statement(crm, m, "sukarela").lines) == 2
    assert balanced(crm)


def test_payout_can_be_scheduled_after_the_rat(crm, people):
    m = saver(crm, people)
    request = deactivation.request_leave(crm, people.secretary, m, "retired")
    approved = deactivation.approve_leave(crm, people.admin, request.id,
                                          payout_on=dt.date(2026, 4, 30))
    before = dump(crm)
    with pytest.raises(ValidationError, match="scheduled for 2026-04-30"):
        deactivation.pay_refund(crm, people.cashier, request.id, method="transfer",
                                reference="TRF-1")
    assert dump(crm) == before
    crm.set_clock(clock_at(dt.date(2026, 5, 4)))
    paid = deactivation.pay_refund(crm, people.cashier, request.id, method="transfer",
                                   reference="TRF-1")
    assert paid.paid_on == dt.date(2026, 5, 4)
    assert crm.ledger.entry(paid.payout_entry_id).legs[1].account == "bank"
    assert approved.settlement_total == rp(300000)


def test_default_payout_delay_from_config(make_crm):
    crm = open_expand(make_crm, deactivation={"payout_delay_days": 90})
    people = Staff(crm)
    m = saver(crm, people)
    request = deactivation.request_leave(crm, people.secretary, m, "resigned")
    assert deactivation.approve_leave(crm, people.admin, request.id).payout_on == \
        dt.date(2025, 9, 13)


def test_cancel_after_approval_reverses_the_settlement(crm, people):
    m = saver(crm, people)
    before = savings.balances(crm, m)
    request = deactivation.request_leave(crm, people.secretary, m, "resigned")
    approved = deactivation.approve_leave(crm, people.admin, request.id)
    with pytest.raises(ValidationError, match="why"):
        deactivation.cancel_leave(crm, people.secretary, request.id, "")
    cancelled = deactivation.cancel_leave(crm, people.secretary, request.id,
                                          "changed their mind")
    assert cancelled.status == "cancelled" and crm.member(m).stage == "active"
    assert savings.balances(crm, m) == before
    assert crm.ledger.balance(f"payable.refund:m{m}") == rp(0)
    assert crm.ledger.balance("equity.reserve") == rp(0)
    reversal = crm.ledger.entry(cancelled.reversal_entry_id)
    assert reversal.reverses == approved.settlement_entry_id
    assert crm.ledger.entry(approved.settlement_entry_id)  # never deleted
    # arrears are owed again, including months after the cancelled approval
    assert savings.wajib_arrears(crm, m, dt.date(2025, 6, 15))[-1][0] == dt.date(2025, 6, 1)
    with pytest.raises(IllegalTransition):
        deactivation.pay_refund(crm, people.cashier, request.id, method="cash", reference="X")
    # a new request is possible afterwards
    assert deactivation.request_leave(crm, people.secretary, m, "again").status == "requested"
    assert balanced(crm)


def test_member_cancels_own_request_before_approval(crm, people):
    m = saver(crm, people)
    me = member_actor(crm, m)
    request = deactivation.request_leave(crm, me, m, "short of money")
    done = deactivation.cancel_leave(crm, me, request.id, "found another way")
    assert done.status == "cancelled" and done.reversal_entry_id is None
    request = deactivation.request_leave(crm, me, m, "short of money")
    deactivation.approve_leave(crm, people.admin, request.id)
    with pytest.raises(PermissionDenied):
        deactivation.cancel_leave(crm, me, request.id, "too late")


def test_loan_is_netted_when_savings_cover_it(crm, people, loans):
    m = saver(crm, people)
    lend(crm, loans, m, 250000)
    request = deactivation.request_leave(crm, people.secretary, m, "leaving the company")
    approved = deactivation.approve_leave(crm, people.admin, request.id)
    assert approved.settlement_total == rp(50000)
    assert crm.ledger.balance(f"loans.principal:m{m}") == rp(0)
    assert crm.ledger.balance(f"payable.refund:m{m}") == rp(50000)
    assert balanced(crm)


def test_leaving_is_refused_while_debts_exceed_savings(crm, people, loans):
    m = saver(crm, people)
    lend(crm, loans, m, 450001)
    before = dump(crm)
    with pytest.raises(ValidationError, match=r"owes Rp 1 more than their savings cover"):
        deactivation.request_leave(crm, people.secretary, m, "leaving the company")
    assert dump(crm) == before


def test_arrears_are_deducted_only_as_far_as_the_refund_covers_them(crm, people, loans):
    m = saver(crm, people)
    lend(crm, loans, m, 400000)  # 450.000 savings: 50.000 left for 150.000 of arrears
    found = deactivation.settlement(crm, m, dt.date(2025, 6, 15))
    arrears = next(ln for ln in found.lines if ln.code == "savings.wajib_arrears")
    assert arrears.amount == rp(-50000) and "rest waived" in arrears.label
    assert found.total == rp(0)
    nothing = add_member(crm, "Tanpa Simpanan")
    assert deactivation.settlement(crm, nothing, dt.date(2025, 6, 15)).total == rp(0)
    request = deactivation.request_leave(crm, people.secretary, m, "leaving")
    approved = deactivation.approve_leave(crm, people.admin, request.id)
    assert approved.settlement_total == rp(0)
    assert crm.ledger.balance("equity.reserve") == rp(50000)
    assert crm.ledger.balance(f"loans.principal:m{m}") == rp(0)
    assert balanced(crm)


def test_debts_growing_after_the_request_block_the_approval(crm, people, loans):
    m = saver(crm, people)
    request = deactivation.request_leave(crm, people.secretary, m, "leaving")
    lend(crm, loans, m, 500000)
    before = dump(crm)
    with pytest.raises(ValidationError, match="must be repaid"):
        deactivation.approve_leave(crm, people.admin, request.id)
    assert dump(crm) == before


def test_pending_transfer_blocks_leaving(crm, people):
    m = saver(crm, people)
    pending = savings.deposit(crm, people.cashier, m, "sukarela", "1000", method="transfer",
                              reference="T", proof=PNG)
    with pytest.raises(ValidationError, match="waiting for verification"):
        deactivation.request_leave(crm, people.secretary, m, "leaving")
    savings.reject_deposit(crm, people.cashier2, pending.id, "not received")
    assert deactivation.request_leave(crm, people.secretary, m, "leaving").status == "requested"


def test_bad_requests_change_nothing(crm, people):
    m = saver(crm, people)
    applicant = Member.create(name="Calon", email="c@example.org").id
    other = add_member(crm, "Budi")
    existing = deactivation.request_leave(crm, people.secretary, other, "first")
    stranger = member_actor(crm, other)
    before = dump(crm)
    bad = [
        (lambda: deactivation.request_leave(crm, people.secretary, m, "   "), ValidationError),
        (lambda: deactivation.request_leave(crm, people.secretary, m, "x",
                                            on=dt.date(2025, 7, 1)), ValidationError),
        (lambda: deactivation.request_leave(crm, people.secretary, applicant, "x"),
         ValidationError),
        (lambda: deactivation.request_leave(crm, people.cashier, m, "x"), PermissionDenied),
        (lambda: deactivation.request_leave(crm, stranger, m, "x"), PermissionDenied),
        (lambda: deactivation.request_leave(crm, people.secretary, other, "again"),
         DuplicateError),
        (lambda: deactivation.request_leave(crm, people.secretary, 9999, "x"), NotFoundError),
        (lambda: deactivation.approve_leave(crm, people.admin, 9999), NotFoundError),
        (lambda: deactivation.approve_leave(crm, people.admin, existing.id,
                                            payout_on=dt.date(2025, 6, 1)), ValidationError),
        (lambda: deactivation.approve_leave(crm, people.admin, existing.id,
                                            on=dt.date(2025, 6, 1)), ValidationError),
        (lambda: deactivation.pay_refund(crm, people.cashier, existing.id, method="cash",
                                         reference="R"), IllegalTransition),
        (lambda: deactivation.pay_refund(crm, people.cashier, existing.id, method="cheque",
                                         reference="R"), ValidationError),
        (lambda: deactivation.cancel_leave(crm, people.cashier, existing.id, "x"),
         PermissionDenied),
    ]
    for i, (call, error) in enumerate(bad):
        with pytest.raises(error):
            call()
        assert dump(crm) == before, i


def test_illegal_transitions_name_the_stage(crm, people):
    m = saver(crm, people)
    request = deactivation.request_leave(crm, people.secretary, m, "leaving")
    deactivation.approve_leave(crm, people.admin, request.id)
    with pytest.raises(IllegalTransition, match="approved"):
        deactivation.approve_leave(crm, people.admin, request.id)
    deactivation.pay_refund(crm, people.cashier, request.id, method="cash", reference="R1")
    before = dump(crm)
    for call in (lambda: deactivation.cancel_leave(crm, people.admin, request.id, "no"),
                 lambda: deactivation.approve_leave(crm, people.admin, request.id),
                 lambda: deactivation.pay_refund(crm, people.cashier, request.id,
                                                 method="cash", reference="R2")):
        with pytest.raises(IllegalTransition, match="'paid'"):
            call()
        assert dump(crm) == before
    with pytest.raises(ValidationError, match="only active members"):
        deactivation.request_leave(crm, people.secretary, m, "again")


def test_member_with_nothing_leaves_without_postings(make_crm):
    crm = open_expand(make_crm, savings={"deduct_arrears_on_leaving": False})
    people = Staff(crm)
    m = add_member(crm, "Nol", joined=dt.date(2025, 6, 14))
    request = deactivation.request_leave(crm, people.secretary, m, "changed mind")
    approved = deactivation.approve_leave(crm, people.admin, request.id)
    assert approved.settlement_total == rp(0) and approved.settlement_entry_id is None
    assert [ln.amount for ln in approved.lines] == [rp(0)] * 3
    paid = deactivation.pay_refund(crm, people.cashier, request.id, method="cash",
                                   reference="NIL")
    assert paid.payout_entry_id is None and crm.member(m).stage == "inactive"


def test_hook_dyncrm_expand_settlement_lines(crm, people, loans):
    m = saver(crm, people)
    lend(crm, loans, m, 100000)
    member = crm.member(m)
    contributed = crm.hook.dyncrm_expand_settlement_lines(crm=crm, member=member,
                                                          on=dt.date(2025, 6, 15))
    plugins = sorted({ln.plugin for lines in contributed for ln in (lines or [])})
    assert plugins == ["expand.savings", "fake.loans"]
    found = deactivation.settlement(crm, m, dt.date(2025, 6, 15))
    assert (m, dt.date(2025, 6, 15)) in loans.calls
    assert found.total == rp(200000)
    assert [ln.code for ln in found.lines] == [
        "savings.pokok", "savings.wajib", "savings.sukarela", "loan:1:principal",
        "savings.wajib_arrears"]


def test_hook_dyncrm_expand_year_closed(crm):
    seen = []

    class YearEnd:
        @hookimpl
        def dyncrm_expand_year_closed(self, crm, year, actor):
            seen.append((year, actor.username, savings.wajib_paid_on_time(crm, year)))

    crm.pm.register(YearEnd(), name="test.year_end")
    try:
        crm.hook.dyncrm_expand_year_closed(crm=crm, year=2024, actor=Actor.operator())
    finally:
        crm.pm.unregister(name="test.year_end")
    assert seen == [(2024, "operator", frozenset())]


def test_bad_settlement_lines_are_refused(crm, people):
    m = saver(crm, people)

    class Broken:
        @hookimpl
        def dyncrm_expand_settlement_lines(self, crm, member, on):
            return [SettlementLine(code="x", label="dollars", amount=Money.of(1, "USD"),
                                   account="cash")]

    crm.pm.register(Broken(), name="test.broken")
    try:
        with pytest.raises(DyncrmError, match="USD"):
            deactivation.settlement(crm, m, dt.date(2025, 6, 15))
    finally:
        crm.pm.unregister(name="test.broken")


def test_member_details_show_the_request(crm, people):
    m = saver(crm, people)
    request = deactivation.request_leave(crm, people.secretary, m, "leaving")
    deactivation.approve_leave(crm, people.admin, request.id, payout_on=dt.date(2025, 8, 1))
    details = {}
    for d in crm.hook.dyncrm_member_details(crm=crm, member=crm.member(m)):
        details.update(d or {})
    assert details["Leave request"].startswith(f"#{request.id} approved")
    assert "Rp 300.000 payable from 2025-08-01" in details["Leave request"]
    assert [r.id for r in deactivation.list_requests(crm, status="approved")] == [request.id]
    assert deactivation.list_requests(crm, member_id=m + 100) == []
