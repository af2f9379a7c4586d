"""import_loans: a running loan imported in bulk is the loan disburse + repay would make."""

from __future__ import annotations

import datetime as dt

import pytest
from test_loan_helpers import Clock, Staff, add_member, fund, idr, open_loans, table_counts

from dyncrm.errors import DuplicateError, ValidationError
from dyncrm.values import Actor
from dyncrm_expand import loans
from dyncrm_expand.loans.importing import LoanImport, import_loans
from dyncrm_expand.loans.models import Loan, LoanPayment

DISBURSED = dt.date(2025, 1, 10)
LATER = dt.date(2026, 3, 1)


def _installments(crm, loan_id):
    return [(i.number, i.due_on, i.principal, i.interest, i.principal_paid, i.interest_paid,
             i.paid_on) for i in loans.installments(crm, loan_id)]


def _balances(crm, member_id):
    return {kind: crm.ledger.balance_or_zero(kind, member_id)
            for kind in ("loans.principal", "income.loan_interest", "income.loan_fees",
                         "income.loan_penalty")}


@pytest.mark.parametrize(("product", "amount", "term", "paid"), [
    ("konsumtif", 12_000_000, 12, 0), ("konsumtif", 7_500_000, 10, 4),
    ("anuitas", 9_000_000, 6, 5), ("anuitas", 5_000_000, 24, 13)])
def test_imported_loan_equals_disbursed_and_repaid(make_crm, product, amount, term, paid):
    clock = Clock(DISBURSED)
    crm = open_loans(make_crm, clock=clock)
    people = Staff(crm)
    a, member = add_member(crm, "Ani", number="A001", login="ani")
    b, _ = add_member(crm, "Budi", number="B001")
    fund(crm, a, "5000000")
    loan, _ = loans.apply(crm, member, a, product, idr(amount), term=term)
    loans.approve(crm, people.committee, loan.id, override="test")
    if loans.get(crm, loan.id).stage != "approved":  # above the quorum: a second approval
        loans.approve(crm, people.committee2, loan.id, override="test")
    loans.disburse(crm, people.treasurer, loan.id, method="transfer", reference="TRF-A")
    clock.day = LATER
    for number, due, principal, interest, *_ in _installments(crm, loan.id)[:paid]:
        loans.repay(crm, people.cashier, loan.id, principal + interest, method="payroll",
                    reference=f"PAY-A:{number}", on=due)

    [imported] = import_loans(crm, Actor.operator("import"), [LoanImport(
        member_id=b, product=product, amount=amount, term=term, disbursed_on=DISBURSED,
        reference="TRF-B", paid=paid)], on=LATER)

    assert _installments(crm, imported) == _installments(crm, loan.id)
    assert _balances(crm, b) == _balances(crm, a)
    assert loans.outstanding(crm, imported) == loans.outstanding(crm, loan.id)
    mine, theirs = Loan.get_by_id(imported), Loan.get_by_id(loan.id)
    assert (mine.stage, mine.principal, mine.disbursed_on) == \
        (theirs.stage, theirs.principal, theirs.disbursed_on)
    assert [(p.effective_date, p.amount, p.interest, p.principal)
            for p in LoanPayment.select().where(LoanPayment.loan == imported)
            .order_by(LoanPayment.id)] == \
        [(p.effective_date, p.amount, p.interest, p.principal)
         for p in LoanPayment.select().where(LoanPayment.loan == loan.id)
         .order_by(LoanPayment.id)]
    assert crm.ledger.trial_balance() == {"IDR": 0}


def test_refused_imports_write_nothing(make_crm):
    crm = open_loans(make_crm, clock=Clock(LATER))
    member, _ = add_member(crm, "Ani", number="A001")
    actor = Actor.operator("import")
    good = LoanImport(member_id=member, product="konsumtif", amount=3_000_000, term=12,
                      disbursed_on=DISBURSED, reference="PK-1", paid=2)
    import_loans(crm, actor, [good], on=LATER)
    before = table_counts(crm)
    with pytest.raises(DuplicateError):  # the same disbursement again
        import_loans(crm, actor, [good], on=LATER)
    with pytest.raises(ValidationError):  # a loan fully repaid is not a running loan
        import_loans(crm, actor, [LoanImport(
            member_id=member, product="konsumtif", amount=3_000_000, term=12,
            disbursed_on=DISBURSED, reference="PK-2", paid=12)], on=LATER)
    with pytest.raises(ValidationError):  # payments after the import's date
        import_loans(crm, actor, [LoanImport(
            member_id=member, product="konsumtif", amount=3_000_000, term=12,
            disbursed_on=DISBURSED, reference="PK-3", paid=6)], on=dt.date(2025, 3, 1))
    assert table_counts(crm) == before
