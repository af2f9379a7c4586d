"""Applying, deciding (four eyes, eligibility), disbursing and writing off loans."""

from __future__ import annotations

import datetime as dt

import pytest
from test_loan_helpers import (
    TODAY,
    Clock,
    Staff,
    TakeHomePay,
    add_member,
    dump,
    fund,
    idr,
    open_loans,
    staff,
)

from dyncrm import hookimpl
from dyncrm.errors import (
    ConfigError,
    IllegalTransition,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from dyncrm_expand import loans
from dyncrm_expand.loans.models import LoanEvent, LoanInstallment


@pytest.fixture
def setup(make_crm):
    crm = open_loans(make_crm)
    people = Staff(crm)
    member_id, member = add_member(crm, "Ani", number="A001", login="ani")
    fund(crm, member_id, "5000000")
    return crm, people, member_id, member


def test_apply_records_a_submitted_loan_with_a_touchpoint(setup) -> None:
    crm, people, member_id, member = setup
    loan, replayed = loans.apply(crm, member, member_id, "konsumtif", idr(6_000_000), term=12,
                                 purpose="school fees")
    assert not replayed
    assert (loan.stage, loan.applied_by, loan.amount, loan.reasons) == (
        "submitted", "ani", idr(6_000_000), ())
    assert (loan.method, loan.rate, loan.rate_unit) == ("flat", "1", "per_month")
    kinds = [t.kind for t in crm.timeline(member_id)]
    assert "loans.applied" in kinds
    assert loans.events(loan.id)[0]["action"] == "apply"
    # the reference makes a repeat harmless
    first, _ = loans.apply(crm, people.secretary, member_id, "konsumtif", idr(1_000_000),
                           term=3, reference="FORM-7")
    again, replayed = loans.apply(crm, people.secretary, member_id, "konsumtif",
                                  idr(1_000_000), term=3, reference="FORM-7")
    assert replayed and again.id == first.id


def test_apply_refuses_bad_input_and_writes_nothing(setup) -> None:
    crm, people, member_id, member = setup
    before = dump(crm)
    with pytest.raises(ValidationError, match="run 1 to 36 months"):
        loans.apply(crm, member, member_id, "konsumtif", idr(1_000_000), term=48)
    with pytest.raises(ValidationError, match="unknown loan product 'mobil'"):
        loans.apply(crm, member, member_id, "mobil", idr(1_000_000), term=12)
    with pytest.raises(ValidationError, match="above zero"):
        loans.apply(crm, member, member_id, "konsumtif", idr(0), term=12)
    with pytest.raises(ValidationError, match="future"):
        loans.apply(crm, member, member_id, "konsumtif", idr(10), term=1,
                    on=TODAY + dt.timedelta(days=1))
    _other_id, other = add_member(crm, "Budi", login="budi")
    before = dump(crm)
    with pytest.raises(PermissionDenied):
        loans.apply(crm, other, member_id, "konsumtif", idr(1_000_000), term=12)
    with pytest.raises(PermissionDenied):
        loans.apply(crm, people.treasurer, member_id, "konsumtif", idr(1_000_000), term=12)
    assert dump(crm) == before


def test_applicants_who_are_not_active_cannot_apply(setup) -> None:
    crm, people, _, _ = setup
    from dyncrm.db.models import Member
    from dyncrm.values import Actor

    with crm.action("t", Actor.operator()):
        applicant = Member.create(name="Calon")
    with pytest.raises(ValidationError, match="only active members"):
        loans.apply(crm, people.secretary, applicant.id, "konsumtif", idr(100_000), term=2)


def test_four_eyes_applicant_and_recorder_cannot_approve(make_crm) -> None:
    crm = open_loans(make_crm)
    people = Staff(crm)
    # a committee member who is also a member of the cooperative
    member_id, insider = add_member(crm, "Citra", login="citra",
                                    roles=("member", "credit_committee"))
    fund(crm, member_id, "5000000")
    own, _ = loans.apply(crm, insider, member_id, "konsumtif", idr(1_000_000), term=6)
    other_id, _ = add_member(crm, "Dedi")
    fund(crm, other_id, "5000000")
    recorder = staff(crm, "komite3", "credit_committee", "secretary")
    recorded, _ = loans.apply(crm, recorder, other_id, "konsumtif", idr(1_000_000), term=6)
    before = dump(crm)
    with pytest.raises(PermissionDenied, match="borrower of loan"):
        loans.approve(crm, insider, own.id)
    with pytest.raises(PermissionDenied, match="recorded the application"):
        loans.approve(crm, recorder, recorded.id)
    with pytest.raises(PermissionDenied, match=r"loans.decide"):
        loans.approve(crm, people.treasurer, recorded.id)
    assert dump(crm) == before
    assert loans.approve(crm, people.committee, own.id).stage == "approved"
    assert loans.approve(crm, insider, recorded.id).decided_by == "citra"
    crm.users.set_roles("citra", ["member", "treasurer"])
    with pytest.raises(PermissionDenied, match=r"borrower of loan .* cannot disburse"):
        loans.disburse(crm, crm.actor("citra"), own.id, method="cash", reference="X")


def test_reject_needs_a_reason_and_keeps_it(setup) -> None:
    crm, people, member_id, member = setup
    loan, _ = loans.apply(crm, member, member_id, "konsumtif", idr(1_000_000), term=6)
    with pytest.raises(ValidationError, match="say why"):
        loans.reject(crm, people.committee, loan.id, reason="  ")
    rejected = loans.reject(crm, people.committee, loan.id, reason="income too low")
    assert (rejected.stage, rejected.decided_by, rejected.decision_reason) == (
        "rejected", "komite1", "income too low")
    event = LoanEvent.select().where(LoanEvent.action == "reject").get()
    assert (event.actor, event.reason) == ("komite1", "income too low")
    assert any(t.kind == "loans.rejected" and t.payload["reason"] == "income too low"
               for t in crm.timeline(member_id))
    with pytest.raises(IllegalTransition, match="cannot approve loan"):
        loans.approve(crm, people.committee2, loan.id)


def test_illegal_transitions_change_nothing(setup) -> None:
    crm, people, member_id, member = setup
    loan, _ = loans.apply(crm, member, member_id, "konsumtif", idr(1_000_000), term=6)
    before = dump(crm)
    with pytest.raises(IllegalTransition, match="it is 'submitted'"):
        loans.disburse(crm, people.treasurer, loan.id, method="cash", reference="K1")
    with pytest.raises(IllegalTransition):
        loans.repay(crm, people.cashier, loan.id, idr(1000), method="cash", reference="R")
    with pytest.raises(IllegalTransition):
        loans.write_off(crm, people.treasurer, loan.id, reason="x")
    with pytest.raises(IllegalTransition):
        loans.payoff_quote(crm, loan.id)
    assert dump(crm) == before
    loans.withdraw(crm, member, loan.id, reason="changed my mind")
    before = dump(crm)
    for action in (lambda: loans.approve(crm, people.committee, loan.id),
                   lambda: loans.reject(crm, people.committee, loan.id, reason="x"),
                   lambda: loans.withdraw(crm, member, loan.id)):
        with pytest.raises(IllegalTransition, match="'withdrawn'"):
            action()
    assert dump(crm) == before


def test_eligibility_reasons_need_an_override_to_approve(setup) -> None:
    crm, people, member_id, member = setup
    first, _ = loans.apply(crm, member, member_id, "konsumtif", idr(2_000_000), term=6)
    second, _ = loans.apply(crm, member, member_id, "konsumtif", idr(16_000_000), term=12)
    text = " | ".join(second.reasons)
    assert "above 3× the member's savings" in text
    assert f"already has loan {first.id} (submitted)" in text
    assert "the amount Rp 16.000.000 is above" in text
    assert "max" not in text or "maximum" not in text  # 16M is under the 20M maximum
    before = dump(crm)
    with pytest.raises(ValidationError, match="not eligible"):
        loans.approve(crm, people.committee, second.id)
    assert dump(crm) == before
    approved = loans.approve(crm, people.committee, second.id,
                             override="guaranteed by the employer")
    assert approved.decision_reason == "guaranteed by the employer"
    event = LoanEvent.select().where(LoanEvent.action == "approve").get()
    assert event.override == "guaranteed by the employer"
    assert len(event.reasons) == 2


def test_deduction_cap_and_membership_months(make_crm) -> None:
    pay = TakeHomePay()
    crm = open_loans(make_crm, extra_plugins=[("thp", pay)])
    people = Staff(crm)
    new_id, _ = add_member(crm, "Baru", joined=TODAY - dt.timedelta(days=40))
    loan, _ = loans.apply(crm, people.secretary, new_id, "efektif", idr(3_000_000), term=6)
    assert any("joined 1 months ago; the product needs 6" in r for r in loan.reasons)
    assert any("take-home pay is unknown" in r for r in loan.reasons)
    pay.pay[new_id] = "4000000"
    # efektif 3,000,000 over 6 at 1.5%: the first installment is 500,000 + 45,000
    reasons = loans.recheck(crm, loan.id)
    assert not any("take-home" in r for r in reasons)
    pay.pay[new_id] = "1500000"
    capped = [r for r in loans.recheck(crm, loan.id) if "monthly deductions" in r]
    assert capped == ["monthly deductions would be Rp 595.000 (Simpanan Wajib 2025-07 "
                      "Rp 50.000 and this loan's Rp 545.000), 39.7% of take-home pay "
                      "Rp 1.500.000; the product allows at most 35%"]


def test_disburse_posts_principal_and_deducted_fees(setup) -> None:
    crm, people, member_id, member = setup
    loan, _ = loans.apply(crm, member, member_id, "konsumtif", idr(12_000_000), term=12)
    loans.approve(crm, people.committee, loan.id, override="within policy")
    result = loans.disburse(crm, people.treasurer, loan.id, method="transfer",
                            reference="TRF-001")
    assert (result.paid_out, result.fees) == (idr(11_880_000), (("provisi", idr(120_000)),))
    assert result.loan.stage == "disbursed" and result.loan.principal == idr(12_000_000)
    assert crm.ledger.balance(f"loans.principal:m{member_id}") == idr(12_000_000)
    assert crm.ledger.balance(f"income.loan_fees:m{member_id}") == idr(120_000)
    assert crm.ledger.balance("bank") == idr(-11_880_000)
    items = loans.installments(crm, loan.id)
    assert [i.due_on for i in items[:2]] == [dt.date(2025, 7, 25), dt.date(2025, 8, 25)]
    assert all(i.total == idr(1_120_000) for i in items)
    # the same disbursement again says so and changes nothing
    before = dump(crm)
    again = loans.disburse(crm, people.treasurer, loan.id, method="transfer",
                           reference="TRF-001")
    assert again.replayed and again.paid_out == idr(11_880_000)
    assert dump(crm) == before
    assert crm.ledger.trial_balance() == {"IDR": 0}


def test_fees_added_to_the_principal(setup) -> None:
    crm, people, member_id, member = setup
    loan, _ = loans.apply(crm, member, member_id, "anuitas", idr(5_000_000), term=12)
    loans.approve(crm, people.committee, loan.id)
    result = loans.disburse(crm, people.treasurer, loan.id, method="cash", reference="KAS-1")
    assert result.paid_out == idr(5_000_000)
    assert result.loan.principal == idr(5_050_000)
    assert crm.ledger.balance(f"loans.principal:m{member_id}") == idr(5_050_000)
    assert crm.ledger.balance(f"income.loan_fees:m{member_id}") == idr(50_000)
    assert crm.ledger.balance("cash") == idr(5_000_000 - 5_000_000)  # fund() put 5M in cash
    rows = LoanInstallment.select().where(LoanInstallment.loan == loan.id)
    assert sum(r.principal for r in rows) == 5_050_000
    assert [i.due_on.day for i in loans.installments(crm, loan.id)] == [10] * 12


def test_disburse_checks_method_reference_and_date(setup) -> None:
    crm, people, member_id, member = setup
    loan, _ = loans.apply(crm, member, member_id, "konsumtif", idr(1_000_000), term=3)
    loans.approve(crm, people.committee, loan.id)
    before = dump(crm)
    with pytest.raises(ValidationError, match="method"):
        loans.disburse(crm, people.treasurer, loan.id, method="cheque", reference="C")
    with pytest.raises(ValidationError, match="reference"):
        loans.disburse(crm, people.treasurer, loan.id, method="cash", reference=" ")
    with pytest.raises(ValidationError, match="before"):
        loans.disburse(crm, people.treasurer, loan.id, method="cash", reference="K",
                       on=TODAY - dt.timedelta(days=3))
    with pytest.raises(PermissionDenied, match=r"loans.disburse"):
        loans.disburse(crm, people.cashier, loan.id, method="cash", reference="K")
    assert dump(crm) == before


def test_write_off_moves_principal_to_expense(make_crm) -> None:
    clock = Clock(TODAY)
    crm = open_loans(make_crm, clock=clock)
    people = Staff(crm)
    member_id, member = add_member(crm, "Eko", login="eko")
    fund(crm, member_id, "5000000")
    loan, _ = loans.apply(crm, member, member_id, "konsumtif", idr(3_000_000), term=3)
    loans.approve(crm, people.committee, loan.id)
    loans.disburse(crm, people.treasurer, loan.id, method="cash", reference="K9")
    clock.day = dt.date(2026, 6, 1)
    assert loans.collectibility(crm)[0].grade == "macet"
    with pytest.raises(ValidationError, match="say why"):
        loans.write_off(crm, people.treasurer, loan.id, reason="")
    done = loans.write_off(crm, people.treasurer, loan.id, reason="member absconded")
    assert (done.stage, done.closed_on) == ("written_off", dt.date(2026, 6, 1))
    assert crm.ledger.balance(f"loans.principal:m{member_id}") == idr(0)
    assert crm.ledger.balance("expense.loan_writeoff") == idr(3_000_000)
    assert loans.overdue(crm) == [] and loans.collectibility(crm) == []
    assert crm.ledger.trial_balance() == {"IDR": 0}


def test_products_config_errors_are_clear(make_crm) -> None:
    bad = {"x": {"name": "X", "method": "balloon", "rate": "1", "rate_unit": "per_month"}}
    with pytest.raises(ConfigError, match="interest method"):
        open_loans(make_crm, products=bad)
    bad = {"x": {"name": "X", "method": "flat", "rate": 1.5, "rate_unit": "per_month"}}
    with pytest.raises(ConfigError, match="quotes"):
        open_loans(make_crm, products=bad)
    bad = {"x": {"name": "X", "method": "flat", "rate": "1", "rate_unit": "per_week"}}
    with pytest.raises(ConfigError, match="rate_unit"):
        open_loans(make_crm, products=bad)
    bad = {"x": {"name": "X", "method": "flat", "rate": "1", "rate_unit": "per_month",
                 "fees": [{"name": "provisi", "percent": "1", "fixed": "5"}]}}
    with pytest.raises(ConfigError, match="exactly one of percent and fixed"):
        open_loans(make_crm, products=bad)


def test_loans_need_the_savings_plugin(make_crm) -> None:
    with pytest.raises(PluginError, match=r"requires plugin 'expand.savings'"):
        make_crm(enabled=["expand.loans"])


# -- hooks -------------------------------------------------------------------------------


def test_hook_dyncrm_expand_loan_eligibility(make_crm) -> None:
    """Every plugin adds reasons; the committee sees them, approval needs an override."""

    class HrPolicy:
        @hookimpl
        def dyncrm_expand_loan_eligibility(self, crm, request):
            self.seen = request
            if request.term > request.member.joined_on.year - 2000:
                return [f"HR: contract ends before month {request.term}"]
            return None

    policy = HrPolicy()
    crm = open_loans(make_crm, extra_plugins=[("hr", policy)])
    people = Staff(crm)
    member_id, _ = add_member(crm, "Fajar", joined=dt.date(2024, 1, 2))
    fund(crm, member_id, "1000000")
    loan, _ = loans.apply(crm, people.secretary, member_id, "konsumtif", idr(900_000),
                          term=30)
    assert policy.seen.installment == idr(30_000 + 9_000)
    assert policy.seen.loan_id == loan.id and policy.seen.product == "konsumtif"
    assert loan.reasons == ("HR: contract ends before month 30",)
    view = loans.committee_view(crm, loan.id)
    assert view["reasons"] == ["HR: contract ends before month 30"]
    assert view["savings"]["sukarela"] == idr(1_000_000)


def test_hook_dyncrm_expand_loan_decided(make_crm) -> None:
    class Watcher:
        def __init__(self):
            self.calls = []

        @hookimpl
        def dyncrm_expand_loan_decided(self, crm, loan, decision, actor):
            self.calls.append((loan.id, loan.stage, decision, actor.username))

    watcher = Watcher()
    crm = open_loans(make_crm, extra_plugins=[("watch", watcher)])
    people = Staff(crm)
    member_id, _ = add_member(crm, "Gita")
    fund(crm, member_id, "5000000")
    a, _ = loans.apply(crm, people.secretary, member_id, "anuitas", idr(1_000_000), term=6)
    b, _ = loans.apply(crm, people.secretary, member_id, "anuitas", idr(2_000_000), term=6)
    loans.approve(crm, people.committee, a.id)
    loans.reject(crm, people.committee2, b.id, reason="one at a time")
    assert watcher.calls == [(a.id, "approved", "approved", "komite1"),
                             (b.id, "rejected", "rejected", "komite2")]


def test_hook_dyncrm_expand_take_home_pay(make_crm) -> None:
    """First non-None answer wins; the deduction cap uses it."""

    class Payroll:
        @hookimpl
        def dyncrm_expand_take_home_pay(self, crm, member_id):
            return crm.money("2000000") if member_id == 1 else None

    pay = TakeHomePay({1: "9000000"})
    crm = open_loans(make_crm, extra_plugins=[("payroll", Payroll()), ("thp", pay)])
    member_id, _ = add_member(crm, "Hadi")
    assert member_id == 1
    assert crm.hook.dyncrm_expand_take_home_pay(crm=crm, member_id=1) in (
        idr(2_000_000), idr(9_000_000))
    assert crm.hook.dyncrm_expand_take_home_pay(crm=crm, member_id=2) is None
    from dyncrm_expand.loans.eligibility import take_home_pay

    assert take_home_pay(crm, 1) is not None


def test_hook_dyncrm_expand_monthly_deductions(make_crm) -> None:
    """Loans contribute each installment due in the month; other plugins add theirs."""

    class UnionFee:
        @hookimpl
        def dyncrm_expand_monthly_deductions(self, crm, member_id, month):
            return [("union fee", crm.money("10000"))]

    pay = TakeHomePay()
    crm = open_loans(make_crm, extra_plugins=[("union", UnionFee()), ("thp", pay)])
    people = Staff(crm)
    member_id, _ = add_member(crm, "Indah")
    fund(crm, member_id, "9000000")
    loan, _ = loans.apply(crm, people.secretary, member_id, "konsumtif", idr(6_000_000),
                          term=12)
    loans.approve(crm, people.committee, loan.id)
    loans.disburse(crm, people.treasurer, loan.id, method="cash", reference="K")
    lines = [line for result in crm.hook.dyncrm_expand_monthly_deductions(
        crm=crm, member_id=member_id, month=dt.date(2025, 7, 1)) for line in result or []]
    assert sorted(lines, key=lambda x: x[0]) == [
        ("Simpanan Wajib 2025-07", idr(50_000)),
        (f"loan {loan.id} installment 1", idr(560_000)),
        ("union fee", idr(10_000))]
    assert loans.monthly_deductions(crm, member_id, dt.date(2026, 7, 3)) == []
    # the cap counts them all: 560,000 + 50,000 + 10,000 + the new loan's 118,000
    pay.pay[member_id] = "2000000"
    second, _ = loans.apply(crm, people.secretary, member_id, "efektif", idr(1_200_000),
                            term=12)
    capped = [r for r in second.reasons if "monthly deductions" in r]
    assert capped and "Rp 738.000" in capped[0] and "36.9%" in capped[0]
