"""Corrections of plugin-owned entries: savings and loans keep their records in step.

``dyncrm ledger reverse`` refuses entries a plugin owns; the plugin's own
correction reverses them and updates what the plugin keeps beside the ledger.
After every correction each plugin's view must equal the ledger.
"""

from __future__ import annotations

import datetime as dt

import pytest
from test_loan_helpers import (
    PRODUCTS,
    Clock,
    Staff,
    add_member,
    fund,
    idr,
    open_loans,
    table_counts,
)

from dyncrm.db.models import ActionLog, JournalEntry
from dyncrm.errors import IllegalTransition, OwnedEntryError, PermissionDenied, ValidationError
from dyncrm.values import Actor
from dyncrm_expand import deactivation, loans, savings
from dyncrm_expand.deactivation import corrections as deactivation_corrections
from dyncrm_expand.loans import corrections as loan_corrections
from dyncrm_expand.loans.models import LoanInstallment, LoanPayment
from dyncrm_expand.savings import corrections as savings_corrections
from dyncrm_expand.savings.models import SavingsDeposit

START = dt.date(2025, 1, 10)


def world(make_crm, **kw):
    clock = Clock(START)
    crm = open_loans(make_crm, clock=clock, **kw)
    people = Staff(crm)
    member_id, member = add_member(crm, "Ani", number="A001", login="ani")
    return crm, clock, people, member_id, member


def lend(crm, people, member, member_id, amount=12_000_000, term=12):
    fund(crm, member_id, "5000000")
    loan, _ = loans.apply(crm, member, member_id, "konsumtif", idr(amount), term=term)
    loans.approve(crm, people.committee, loan.id, override="test")
    loans.disburse(crm, people.treasurer, loan.id, method="transfer", reference="TRF")
    return loans.get(crm, loan.id)


def entry_of(key: str) -> int:
    return JournalEntry.get(JournalEntry.key == key).id


def assert_loan_view_equals_ledger(crm, member_id: int) -> None:
    """Installments, payments and outstanding against the member's ledger accounts."""
    insts = list(LoanInstallment.select())
    principal_paid = sum(i.principal_paid for i in insts)
    interest_paid = sum(i.interest_paid for i in insts)
    penalty_paid = sum(i.penalty_paid for i in insts)
    total_principal = sum(i.principal for i in insts)
    ledger = crm.ledger
    assert ledger.balance_or_zero("loans.principal", member_id) == idr(
        total_principal - principal_paid)
    assert ledger.balance_or_zero("income.loan_interest", member_id) == idr(interest_paid)
    assert ledger.balance_or_zero("income.loan_penalty", member_id) == idr(penalty_paid)
    for lo in loans.list_loans(crm, member_id=member_id):
        if lo.stage in ("disbursed", "closed"):
            assert loans.outstanding(crm, lo.id) == idr(sum(
                i.principal - i.principal_paid for i in insts if i.loan_id == lo.id))
    standing = LoanPayment.select().where(LoanPayment.reversed_by.is_null())
    assert sum(p.principal for p in standing) == principal_paid
    assert sum(p.interest for p in standing) == interest_paid
    assert sum(p.penalty for p in standing) == penalty_paid
    assert ledger.trial_balance() == {"IDR": 0}


def assert_savings_view_equals_ledger(crm, member_id: int) -> None:
    """Posted deposit rows minus withdrawals that stand, per product, against the ledger."""
    balances = savings.balances(crm, member_id)
    for product in ("pokok", "wajib", "sukarela"):
        deposits = sum(d.amount for d in SavingsDeposit.select().where(
            SavingsDeposit.member == member_id, SavingsDeposit.product == product,
            SavingsDeposit.status == "posted"))
        if product == "sukarela":
            continue  # sukarela also moves by withdrawals and credits: checked by the caller
        assert balances[product] == idr(deposits), product


# -- ledger reverse refuses, naming the plugin's command ----------------------------


def test_ledger_reverse_refuses_every_kind_the_bundled_plugins_own(make_crm) -> None:
    crm, clock, people, member_id, member = world(make_crm)
    loan = lend(crm, people, member, member_id)
    clock.day = dt.date(2025, 2, 25)
    loans.repay(crm, people.cashier, loan.id, idr(1_120_000), method="cash", reference="R1")
    savings.withdraw(crm, people.cashier, member_id, idr(10_000), reference="W1")
    keys = {"deposit:fund-1-sukarela-5000000": "dyncrm savings reverse",
            "withdrawal:W1": "dyncrm savings reverse",
            f"loans.disbursement:{loan.id}": "dyncrm loan reverse",
            "loans.repayment:R1": "dyncrm loan reverse"}
    for key, command in keys.items():
        entry_id = entry_of(key)
        assert JournalEntry.get_by_id(entry_id).owner is not None
        before = table_counts(crm)
        with pytest.raises(OwnedEntryError) as err, crm.action("ledger.reverse",
                                                               people.treasurer):
            crm.ledger.reverse(entry_id, actor="bendahara")
        assert f"{command} {entry_id} --reason TEXT" in str(err.value)
        assert table_counts(crm) == before


# -- savings -------------------------------------------------------------------


def test_reverse_a_deposit_marks_it_and_the_wajib_month_is_owed_again(make_crm) -> None:
    crm, clock, people, member_id, _ = world(make_crm)
    clock.day = dt.date(2025, 3, 1)
    savings.deposit(crm, people.cashier, member_id, "wajib", "50000", method="cash",
                    reference="WJ1")
    arrears_before = savings.wajib_arrears(crm, member_id, clock.day)
    entry_id = entry_of("deposit:WJ1")
    result = savings_corrections.reverse_entry(crm, people.treasurer, entry_id,
                                               reason="salah anggota")
    assert result.done and not result.replayed
    assert SavingsDeposit.get(SavingsDeposit.reference == "WJ1").status == "reversed"
    assert savings.balance(crm, member_id, "wajib") == idr(0)
    arrears_after = savings.wajib_arrears(crm, member_id, clock.day)
    # the month the deposit covered is owed again: one more month in arrears
    assert len(arrears_after) == len(arrears_before) + 1
    assert_savings_view_equals_ledger(crm, member_id)
    # the same key again: nothing changes, and it says so
    count = JournalEntry.select().count()
    again = savings_corrections.reverse_entry(crm, people.treasurer, entry_id, reason="lagi")
    assert again.replayed and again.reversal_id == result.reversal_id
    assert "already corrected" in again.describe()
    assert JournalEntry.select().count() == count
    # another key: refused, the entry is already reversed
    with pytest.raises(ValidationError, match="already reversed"):
        savings_corrections.reverse_entry(crm, people.treasurer, entry_id, reason="x",
                                          key="other")
    # the correction itself is not corrected by the ledger or a second reversal
    with pytest.raises(OwnedEntryError), crm.action("r", people.treasurer):
        crm.ledger.reverse(result.reversal_id, actor="bendahara")
    assert ActionLog.select().where(ActionLog.action == "savings.correct").count() == 1


def test_reversing_a_deposit_never_overdraws(make_crm) -> None:
    crm, _clock, people, member_id, _ = world(make_crm)
    fund(crm, member_id, "100000", reference="S1")
    savings.withdraw(crm, people.cashier, member_id, idr(60_000), reference="W1")
    before = table_counts(crm)
    with pytest.raises(ValidationError, match="never overdraws"):
        savings_corrections.reverse_entry(crm, people.treasurer, entry_of("deposit:S1"),
                                          reason="salah")
    assert table_counts(crm) == before
    # reverse the withdrawal first: the money is back, then the deposit can go
    savings_corrections.reverse_entry(crm, people.treasurer, entry_of("withdrawal:W1"),
                                      reason="dibatalkan")
    assert savings.balance(crm, member_id, "sukarela") == idr(100_000)
    savings_corrections.reverse_entry(crm, people.treasurer, entry_of("deposit:S1"),
                                      reason="salah")
    assert savings.balance(crm, member_id, "sukarela") == idr(0)


def test_savings_correction_needs_permission_and_a_reason(make_crm) -> None:
    crm, _clock, people, member_id, _ = world(make_crm)
    fund(crm, member_id, "100000", reference="S1")
    entry_id = entry_of("deposit:S1")
    with pytest.raises(PermissionDenied):
        savings_corrections.reverse_entry(crm, people.cashier, entry_id, reason="salah")
    with pytest.raises(ValidationError, match="say why"):
        savings_corrections.reverse_entry(crm, people.treasurer, entry_id, reason="  ")


def test_savings_correction_follows_the_quorum(make_crm) -> None:
    """With [quorum."savings.correct"] approvals = 2, two people must correct."""
    clock = Clock(START)
    crm = make_crm(enabled=["expand.savings", "expand.loans"], clock=clock,
                   plugins={"expand.loans": {"products": PRODUCTS}},
                   quorum={"savings.correct": {"approvals": 2}})
    people = Staff(crm)
    member_id, _ = add_member(crm, "Ani", number="A001")
    fund(crm, member_id, "100000", reference="S1")
    entry_id = entry_of("deposit:S1")
    first = savings_corrections.reverse_entry(crm, people.treasurer, entry_id, reason="salah")
    assert not first.done and "1 more approval" in first.describe()
    assert savings.balance(crm, member_id, "sukarela") == idr(100_000)
    again = savings_corrections.reverse_entry(crm, people.treasurer, entry_id, reason="salah")
    assert not again.done  # the same person twice counts once
    second = savings_corrections.reverse_entry(crm, people.admin, entry_id, reason="setuju")
    assert second.done
    assert savings.balance(crm, member_id, "sukarela") == idr(0)


def test_a_savings_command_will_not_correct_a_loan_entry(make_crm) -> None:
    crm, _clock, people, member_id, member = world(make_crm)
    loan = lend(crm, people, member, member_id)
    with pytest.raises(ValidationError, match=r"belongs to expand\.loans"):
        savings_corrections.reverse_entry(
            crm, people.treasurer, entry_of(f"loans.disbursement:{loan.id}"), reason="x")


# -- loans ---------------------------------------------------------------------


def test_reverse_a_late_repayment_reopens_installment_and_denda(make_crm) -> None:
    crm, clock, people, member_id, member = world(make_crm)
    loan = lend(crm, people, member, member_id)
    clock.day = dt.date(2025, 2, 25)
    loans.repay(crm, people.cashier, loan.id, idr(1_120_000), method="cash", reference="R1")
    snapshot = [attrs_of(i) for i in loans.installments(crm, loan.id)]
    clock.day = dt.date(2025, 4, 1)  # installment 2 late: denda assessed with this payment
    result = loans.repay(crm, people.cashier, loan.id, idr(1_200_000), method="cash",
                         reference="R2")
    assert result.payment.penalty == idr(22_400)
    assert_loan_view_equals_ledger(crm, member_id)
    # R1 is not the last payment: refused
    with pytest.raises(ValidationError, match="reverse the later payments first"):
        loan_corrections.reverse_entry(crm, people.treasurer, entry_of("loans.repayment:R1"),
                                       reason="x")
    loan_corrections.reverse_entry(crm, people.treasurer, entry_of("loans.repayment:R2"),
                                   reason="cek kosong")
    assert [attrs_of(i) for i in loans.installments(crm, loan.id)] == snapshot
    assert_loan_view_equals_ledger(crm, member_id)
    # the denda is owed again when the next payment comes
    again = loans.repay(crm, people.cashier, loan.id, idr(1_200_000), method="cash",
                        reference="R2b")
    assert again.payment.penalty == idr(22_400)
    assert_loan_view_equals_ledger(crm, member_id)


def attrs_of(inst) -> tuple:
    return (inst.number, inst.principal_paid, inst.interest_paid, inst.penalty_assessed,
            inst.penalty_paid, inst.interest_waived, inst.paid_on)


def test_reverse_a_payoff_with_overpayment_reopens_the_loan(make_crm) -> None:
    crm, clock, people, member_id, member = world(make_crm)
    loan = lend(crm, people, member, member_id, amount=2_000_000, term=2)
    clock.day = dt.date(2025, 2, 20)
    quote = loans.payoff_quote(crm, loan.id)
    sukarela = savings.balance(crm, member_id, "sukarela")
    result = loans.repay(crm, people.cashier, loan.id, quote.total + idr(5_000),
                         method="cash", reference="PAY", payoff=True)
    assert result.closed
    assert savings.balance(crm, member_id, "sukarela") == sukarela + idr(5_000)
    # the overpayment credit is corrected with the repayment, never alone
    with pytest.raises(ValidationError, match="correct the repayment"):
        savings_corrections.reverse_entry(
            crm, people.treasurer, entry_of("sukarela:loan-overpayment:PAY"), reason="x")
    loan_corrections.reverse_entry(crm, people.treasurer, entry_of("loans.repayment:PAY"),
                                   reason="transfer ditolak bank")
    assert loans.get(crm, loan.id).stage == "disbursed"
    assert savings.balance(crm, member_id, "sukarela") == sukarela
    assert all(i.paid_on is None for i in loans.installments(crm, loan.id))
    assert loans.outstanding(crm, loan.id) == idr(2_000_000)
    assert_loan_view_equals_ledger(crm, member_id)


def test_reverse_a_disbursement_only_while_nothing_is_repaid(make_crm) -> None:
    crm, clock, people, member_id, member = world(make_crm)
    loan = lend(crm, people, member, member_id)
    clock.day = dt.date(2025, 2, 25)
    loans.repay(crm, people.cashier, loan.id, idr(1_120_000), method="cash", reference="R1")
    disbursement = entry_of(f"loans.disbursement:{loan.id}")
    with pytest.raises(ValidationError, match="reverse them first"):
        loan_corrections.reverse_entry(crm, people.treasurer, disbursement, reason="x")
    loan_corrections.reverse_entry(crm, people.treasurer, entry_of("loans.repayment:R1"),
                                   reason="salah")
    loan_corrections.reverse_entry(crm, people.treasurer, disbursement,
                                   reason="dicairkan ke rekening yang salah")
    assert loans.get(crm, loan.id).stage == "approved"
    assert loans.installments(crm, loan.id) == []
    assert crm.ledger.balance(f"loans.principal:m{member_id}") == idr(0)
    assert_loan_view_equals_ledger(crm, member_id)
    # the loan can be disbursed again, with its own keys
    again = loans.disburse(crm, people.treasurer, loan.id, method="transfer", reference="TRF2")
    assert not again.replayed and loans.get(crm, loan.id).stage == "disbursed"
    assert entry_of(f"loans.disbursement:{loan.id}:2") != disbursement
    assert_loan_view_equals_ledger(crm, member_id)


def test_loan_correction_needs_its_permission(make_crm) -> None:
    crm, _clock, people, member_id, member = world(make_crm)
    loan = lend(crm, people, member, member_id)
    with pytest.raises(PermissionDenied):
        loan_corrections.reverse_entry(crm, people.cashier,
                                       entry_of(f"loans.disbursement:{loan.id}"), reason="x")
    with pytest.raises(PermissionDenied):
        loan_corrections.reverse_entry(crm, Actor.system(),
                                       entry_of(f"loans.disbursement:{loan.id}"), reason="x")


# -- deactivation ----------------------------------------------------------------

LEAVING = ("expand.savings", "expand.loans", "expand.deactivation")


def leaving_world(make_crm):
    """A member with savings and a loan, whose leave is approved (settlement posted)."""
    clock = Clock(START)
    crm = make_crm(enabled=list(LEAVING), clock=clock,
                   plugins={"expand.loans": {"products": PRODUCTS},
                            "expand.deactivation": {"payout_delay_days": 30}})
    people = Staff(crm)
    member_id, member = add_member(crm, "Ani", number="A001", login="ani")
    loan = lend(crm, people, member, member_id, amount=1_000_000, term=10)
    clock.day = dt.date(2025, 2, 3)
    request = deactivation.request_leave(crm, people.secretary, member_id, "pindah kerja")
    approved = deactivation.approve_leave(crm, people.treasurer, request.id)
    return crm, clock, people, member_id, loan, approved


def assert_refund_view_equals_ledger(crm, member_id: int) -> None:
    """What the leave requests say is owed equals payable.refund in the books."""
    owed = sum((r.settlement_total for r in deactivation.list_requests(crm, member_id=member_id)
                if r.status == "approved"), idr(0))
    assert crm.ledger.balance_or_zero("payable.refund", member_id) == owed


def test_cancel_a_settlement_cancels_its_scheduled_refund(make_crm) -> None:
    crm, clock, people, member_id, loan, approved = leaving_world(make_crm)
    assert loans.get(crm, loan.id).stage == "closed"  # netted by the settlement
    assert_refund_view_equals_ledger(crm, member_id)
    settlement = approved.settlement_entry_id
    result = deactivation_corrections.reverse_entry(crm, people.treasurer, settlement,
                                                    reason="anggota batal keluar")
    assert result.done
    request = deactivation.get_request(crm, approved.id)
    assert request.status == "cancelled" and request.reversal_entry_id == result.reversal_id
    assert crm.member(member_id).stage == "active"
    assert crm.ledger.balance(f"payable.refund:m{member_id}") == idr(0)
    assert_refund_view_equals_ledger(crm, member_id)
    # the loan is open again, its schedule as the ledger says
    assert loans.get(crm, loan.id).stage == "disbursed"
    assert_loan_view_equals_ledger(crm, member_id)
    # no refund can be paid any more
    clock.day = dt.date(2025, 3, 10)
    with pytest.raises(IllegalTransition):
        deactivation.pay_refund(crm, people.cashier, approved.id, method="cash",
                                reference="K1")
    again = deactivation_corrections.reverse_entry(crm, people.treasurer, settlement,
                                                   reason="lagi")
    assert again.replayed and again.reversal_id == result.reversal_id


def test_reverse_a_payout_makes_the_refund_payable_again(make_crm) -> None:
    crm, clock, people, member_id, _loan, approved = leaving_world(make_crm)
    clock.day = dt.date(2025, 3, 10)
    paid = deactivation.pay_refund(crm, people.cashier, approved.id, method="transfer",
                                   reference="TRF-1")
    assert crm.member(member_id).stage == "inactive"
    assert_refund_view_equals_ledger(crm, member_id)
    # a settlement whose refund is paid: reverse the payout first
    with pytest.raises(ValidationError, match="reverse the payout first"):
        deactivation_corrections.reverse_entry(crm, people.treasurer,
                                               approved.settlement_entry_id, reason="x")
    with pytest.raises(OwnedEntryError, match="dyncrm leave reverse"), \
            crm.action("r", people.treasurer):
        crm.ledger.reverse(paid.payout_entry_id, actor="bendahara")
    result = deactivation_corrections.reverse_entry(crm, people.treasurer,
                                                    paid.payout_entry_id,
                                                    reason="transfer ditolak bank")
    assert result.done
    request = deactivation.get_request(crm, approved.id)
    assert request.status == "approved" and request.payout_entry_id is None
    assert crm.member(member_id).stage == "leaving" and crm.member(member_id).left_on is None
    assert crm.ledger.balance(f"payable.refund:m{member_id}") == approved.settlement_total
    assert_refund_view_equals_ledger(crm, member_id)
    # paid again with a new reference: once, and the member leaves
    deactivation.pay_refund(crm, people.cashier, approved.id, method="cash", reference="K-2")
    assert crm.member(member_id).stage == "inactive"
    assert crm.ledger.balance(f"payable.refund:m{member_id}") == idr(0)
    assert_refund_view_equals_ledger(crm, member_id)
