"""Arrears, collectibility, reminders' due items, segments, products, member details,
and a leaving member's settlement netting the loan."""

from __future__ import annotations

import datetime as dt

import pytest
from test_loan_helpers import Clock, Staff, add_member, fund, idr, open_loans

from dyncrm.errors import ValidationError
from dyncrm_expand import loans

START = dt.date(2025, 1, 10)


@pytest.fixture
def book(make_crm):
    """Three members: one repaying on time, one late, one without a loan."""
    clock = Clock(START)
    crm = open_loans(make_crm, clock=clock,
                     enabled=("expand.savings", "expand.loans", "expand.deactivation"))
    people = Staff(crm)
    ids = {}
    for name in ("Ani", "Budi", "Citra"):
        ids[name], _ = add_member(crm, name, number=f"M-{name}")
        fund(crm, ids[name], "6000000")
    made = {}
    for name in ("Ani", "Budi"):
        loan, _ = loans.apply(crm, people.secretary, ids[name], "konsumtif", idr(3_000_000),
                              term=3)
        loans.approve(crm, people.committee, loan.id)
        loans.disburse(crm, people.treasurer, loan.id, method="cash", reference=f"K-{name}")
        made[name] = loan.id
    clock.day = dt.date(2025, 2, 25)
    loans.repay(crm, people.cashier, made["Ani"], idr(1_030_000), method="payroll",
                reference="PAY-2025-02-Ani")
    return crm, clock, people, ids, made


def test_overdue_and_collectibility(book) -> None:
    crm, clock, _people, ids, made = book
    clock.day = dt.date(2025, 6, 1)
    items = loans.overdue(crm)
    assert {(i.loan_id, i.number) for i in items} == {
        (made["Ani"], 2), (made["Ani"], 3), (made["Budi"], 1), (made["Budi"], 2),
        (made["Budi"], 3)}
    grades = {g.loan_id: (g.days_past_due, g.grade) for g in loans.collectibility(crm)}
    assert grades == {made["Ani"]: (68, "dalam perhatian khusus"),
                      made["Budi"]: (96, "kurang lancar")}
    # as of an earlier date, Ani was current
    early = {g.loan_id: g for g in loans.collectibility(crm, dt.date(2025, 3, 1))}
    assert early[made["Ani"]].grade == "lancar"
    assert early[made["Budi"]].days_past_due == 4
    assert loans.overdue(crm, member_id=ids["Ani"])[0].number == 2


def test_collectibility_grades_come_from_config(make_crm) -> None:
    crm = open_loans(make_crm, loans={"collectibility": [
        {"name": "current", "min_days": 0}, {"name": "late", "min_days": 30}]})
    from dyncrm_expand.loans.queries import settings

    assert [settings(crm).grade(d) for d in (0, 29, 30, 400)] == [
        "current", "current", "late", "late"]
    from dyncrm.errors import ConfigError

    with pytest.raises(ConfigError, match="start at min_days = 0"):
        open_loans(make_crm, loans={"collectibility": [{"name": "x", "min_days": 3}]})


def test_collectibility_is_one_query(book) -> None:
    crm, _clock, *_ = book
    queries = []
    crm.database.execute_sql_orig = crm.database.execute_sql

    def counting(sql, params=None, *a, **kw):
        queries.append(sql)
        return crm.database.execute_sql_orig(sql, params, *a, **kw)

    crm.database.execute_sql = counting
    try:
        loans.collectibility(crm, dt.date(2025, 6, 1))
        loans.overdue(crm, dt.date(2025, 6, 1))
    finally:
        crm.database.execute_sql = crm.database.execute_sql_orig
    assert len(queries) == 2


def test_due_items_for_reminders(book) -> None:
    crm, _clock, _people, ids, made = book
    items = crm.hook.dyncrm_retain_due_items(crm=crm, on=dt.date(2025, 3, 20))
    mine = sorted((i for batch in items for i in batch or [] if i.kind == "loans.installment"),
                  key=lambda i: i.key)
    assert [i.key for i in mine] == [f"loan:{made['Ani']}:inst:2", f"loan:{made['Budi']}:inst:1",
                                     f"loan:{made['Budi']}:inst:2"]
    assert mine[0].due_on == dt.date(2025, 3, 25) and mine[0].amount == idr(1_030_000)
    assert mine[0].member_id == ids["Ani"]
    assert mine[0].context["product_name"] == "Pinjaman Konsumtif"
    assert mine[0].description == f"installment 2 of 3 of loan {made['Ani']} (Pinjaman Konsumtif)"


def test_segments(book) -> None:
    crm, _clock, _people, ids, _made = book
    on = dt.date(2025, 3, 1)
    segment = crm.hook.dyncrm_acquire_segment
    assert segment(crm=crm, name="without_loan", on=on) == frozenset({ids["Citra"]})
    assert segment(crm=crm, name="with_loan", on=on) == frozenset({ids["Ani"], ids["Budi"]})
    assert segment(crm=crm, name="loan_overdue", on=on) == frozenset({ids["Budi"]})
    assert segment(crm=crm, name="without_loan", on=dt.date(2025, 1, 1)) == frozenset(
        ids.values())
    assert segment(crm=crm, name="no such segment", on=on) is None


def test_products_and_member_details(book) -> None:
    crm, clock, _people, ids, _made = book
    products = [p for batch in crm.hook.dyncrm_acquire_products(crm=crm) for p in batch or []
                if p.kind == "loan"]
    assert [p.code for p in products] == ["anuitas", "efektif", "konsumtif"]
    assert products[2].description == "1% per month flat, 1-36 months, up to Rp 20.000.000"
    clock.day = dt.date(2025, 4, 1)
    details = {}
    for batch in crm.hook.dyncrm_member_details(crm=crm, member=crm.member(ids["Budi"])):
        details.update(batch or {})
    assert details["Loans outstanding"] == "Rp 3.000.000"
    assert details["Loan arrears"].startswith("Rp 2.060.000 in 2 installments, 35 days")


def test_simulate_before_anyone_applies(book) -> None:
    crm, *_ = book
    sim = loans.simulate(crm, amount=idr(12_000_000), term=12, method="efektif", rate="1",
                         rate_unit="per_month")
    assert sim.rows[0]["installment"] == idr(1_120_000)
    assert sim.rows[-1]["installment"] == idr(1_010_000)
    assert sim.total_interest == idr(780_000) and sim.rows[-1]["remaining"] == idr(0)
    sim = loans.simulate(crm, amount=idr(12_000_000), term=12, product="konsumtif")
    assert sim.fees == (("provisi", "deducted", idr(120_000)),)
    assert sim.total_interest == idr(1_440_000)
    sim = loans.simulate(crm, amount=idr(12_000_000), term=12, product="konsumtif",
                         method="anuitas")
    assert sim.rows[0]["installment"] == idr(1_066_185)
    with pytest.raises(ValidationError, match="give a product or a rate"):
        loans.simulate(crm, amount=idr(1000), term=3, method="flat")
    with pytest.raises(ValidationError, match="interest method"):
        loans.simulate(crm, amount=idr(1000), term=3, method="balloon", rate="1")
    assert loans.simulate(crm, amount=idr(1000), term=3, method="flat", rate="1%").rate == "1"
    with pytest.raises(ValidationError, match="'1 persen' is not a percentage"):
        loans.simulate(crm, amount=idr(1000), term=3, method="flat", rate="1 persen")
    with pytest.raises(ValidationError, match=r"rate cannot be negative|must not be negative"):
        loans.simulate(crm, amount=idr(1000), term=3, method="flat", rate="-1")
    with pytest.raises(ValidationError, match="run 1 to 36"):
        loans.simulate(crm, amount=idr(1000), term=40, product="konsumtif")


def test_leaving_member_settlement_nets_the_loan_and_cancel_reopens_it(book) -> None:
    from dyncrm_expand import deactivation

    crm, clock, people, ids, made = book
    clock.day = dt.date(2025, 3, 10)
    member = crm.member(ids["Budi"])
    quote = loans.payoff_quote(crm, made["Budi"])
    # installment 1 is 13 days late: 2% denda; interest due 30,000; payoff interest 30,000
    assert (quote.penalty, quote.interest_due, quote.payoff_interest) == (
        idr(20_600), idr(30_000), idr(30_000))
    lines = [line for batch in crm.hook.dyncrm_expand_settlement_lines(
        crm=crm, member=member, on=clock.day) for line in batch or []
        if line.plugin == "expand.loans"]
    assert [(line.code, line.amount) for line in lines] == [
        (f"loan:{made['Budi']}:principal", idr(-3_000_000)),
        (f"loan:{made['Budi']}:interest", idr(-60_000)),
        (f"loan:{made['Budi']}:penalty", idr(-20_600))]
    request = deactivation.request_leave(crm, people.admin, member.id, "moving away")
    approved = deactivation.approve_leave(crm, people.admin, request.id)
    # sukarela 6,000,000 − the loan − 15 months of unpaid simpanan wajib (savings' line)
    assert approved.settlement_total == idr(6_000_000 - 3_080_600 - 15 * 50_000)
    loan = loans.get(crm, made["Budi"])
    assert (loan.stage, loan.closed_on) == ("closed", dt.date(2025, 3, 10))
    assert loans.outstanding(crm, loan.id) == idr(0)
    assert crm.ledger.balance(f"loans.principal:m{member.id}") == idr(0)
    assert crm.ledger.balance(f"income.loan_penalty:m{member.id}") == idr(20_600)
    settled = loans.payments(crm, loan.id)[-1]
    assert (settled.method, settled.amount, settled.payoff) == (
        "settlement", idr(3_080_600), True)
    # cancelling before the payout reopens the loan exactly as it was
    deactivation.cancel_leave(crm, people.admin, request.id, "stays after all")
    loan = loans.get(crm, made["Budi"])
    assert (loan.stage, loan.closed_on) == ("disbursed", None)
    assert loans.outstanding(crm, loan.id) == idr(3_000_000)
    assert loans.payments(crm, loan.id)[-1].reversed
    assert crm.ledger.balance(f"loans.principal:m{member.id}") == idr(3_000_000)
    assert all(i.paid_on is None and i.penalty_paid == idr(0)
               for i in loans.installments(crm, loan.id))
    assert loans.payoff_quote(crm, loan.id) == quote
    assert [e["action"] for e in loans.events(loan.id)][-2:] == ["close", "reopen"]
    assert crm.ledger.trial_balance() == {"IDR": 0}
