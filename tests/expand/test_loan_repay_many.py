"""``loans.repay_many`` (a payroll import's repayments) writes what a loop of ``repay`` writes.

Payments, installments, ledger entries and postings, receipts with their numbers,
action keys, touchpoints, the members' receipt messages and what the installment
hooks write: the same on SQLite and on PostgreSQL, whatever the loans owe (on time,
in arrears with denda, several installments at once), and with plugins that
implement the per-installment hook, the batch hook or both.  (Money left over
beyond what a loan owes goes through the per-loan code after the batch's entries,
so its entry comes later than one by one: not drawn here.)
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_loan_helpers import LOANS, PRODUCTS, Clock, Staff, add_member, fund, idr

from dyncrm import hookimpl
from dyncrm.testing import DEFAULT_EXCLUDE, snapshot
from dyncrm.values import Actor
from dyncrm_expand import loans

START = dt.date(2025, 1, 10)
PAYDAY = dt.date(2025, 5, 27)  # installments of February to May due; two days' grace gone
AMOUNTS = (12_000_000, 6_000_000, 3_000_000, 2_400_000)
#: A PostgreSQL sequence is not given back by a rollback: ids (and what holds them)
#: differ between two runs there, so they are compared through keys and codes instead.
IDS = {"*.id", "*.entry_id", "*.account_id", "*.touchpoint_id", "action_key.result"}
#: Stamped with the computer's clock, not the deployment's: they differ between two runs.
STAMPS = {"*.recorded_at", "outbox_message.created_at",
          "outbox_message.next_attempt_at", "outbox_message.uid",
          # repay touches the member before the hooks run, repay_many every member first
          "touchpoint.id", "loan_event.at",
          # repay opens a payment's accounts as it goes, repay_many every kind at once
          "account.id", "*.account_id",
          # a loan closed by its payment: repay_many queues the closing message before the
          # receipts, repay after its receipt
          "outbox_message.id"}


class EachOnly:
    """Implements only the per-installment hook: a touchpoint per installment."""

    @hookimpl
    def dyncrm_expand_installment_paid(self, crm, payment):
        crm.touch(payment.member_id, "expand", "by", "test.each", "test",
                  {"loan": payment.loan_id, "number": payment.number,
                   "on_time": payment.on_time, "amount": str(payment.amount.amount)})


class BatchOnly:
    """Implements only the batch hook: the installments' touchpoints in one statement."""

    @hookimpl
    def dyncrm_expand_installments_paid(self, crm, payments):
        crm.touch_many([p.member_id for p in payments], "expand", "by", "test.batch", "test",
                       [{"loan": p.loan_id, "number": p.number} for p in payments])


class Both:
    """Implements both: the batch hook for repay_many, the per-item one for repay."""

    @hookimpl
    def dyncrm_expand_installment_paid(self, crm, payment):
        crm.touch(payment.member_id, "expand", "by", "test.both", "test",
                  {"loan": payment.loan_id, "number": payment.number})

    @hookimpl
    def dyncrm_expand_installments_paid(self, crm, payments):
        crm.touch_many([p.member_id for p in payments], "expand", "by", "test.both", "test",
                       [{"loan": p.loan_id, "number": p.number} for p in payments])


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend(request):
    return request.param


@pytest.fixture
def world(backend, request, make_crm):
    """Four members with a disbursed loan each (term 12, paid in part on some), on payday."""
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    clock = Clock(START)
    crm = make_crm(enabled=list(LOANS), plugins={"expand.loans": {"products": PRODUCTS}},
                   clock=clock, database_url=url,
                   extra_plugins=[("each", EachOnly()), ("batch", BatchOnly()),
                                  ("both", Both())])
    people = Staff(crm)
    loan_ids = []
    for n, amount in enumerate(AMOUNTS):
        member_id, member = add_member(crm, f"Anggota{n}", number=f"A{n:03d}",
                                       login=f"anggota{n}")
        fund(crm, member_id, "5000000")
        loan, _ = loans.apply(crm, member, member_id, "konsumtif", idr(amount), term=12)
        loans.approve(crm, people.committee, loan.id, override="test")
        loans.disburse(crm, people.treasurer, loan.id, method="transfer", reference=f"T{n}")
        loan_ids.append(loan.id)
    clock.day = dt.date(2025, 3, 20)  # the first two members paid February already
    for n, loan_id in enumerate(loan_ids[:2]):
        loans.repay(crm, people.cashier, loan_id, idr(AMOUNTS[n] // 12 + AMOUNTS[n] // 100),
                    method="cash", reference=f"FEB-{n}")
    clock.day = PAYDAY
    return crm, people.treasurer, loan_ids


class Rollback(Exception):
    """Undoes a run: both paths start from the same rows."""


def rows_after(crm, backend, run) -> dict:
    """Every row ``run()`` leaves (ids left out on PostgreSQL, with the postings named by
    entry key and account code instead), then undone."""
    exclude = DEFAULT_EXCLUDE | STAMPS | (IDS if backend == "postgres" else set())
    try:
        with crm.action("payroll.test", Actor.operator()):
            run()
            rows = snapshot(crm, exclude=exclude)
            rows["postings by key"] = sorted(crm.database.execute_sql(
                "SELECT e.key, a.code, p.amount, p.commodity FROM posting p "
                "JOIN journal_entry e ON e.id = p.entry_id "
                "JOIN account a ON a.id = p.account_id").fetchall())
            raise Rollback
    except Rollback:
        pass
    return rows


payments = st.lists(st.one_of(st.none(), st.integers(1, 40).map(lambda n: n * 50_000),
                              st.sampled_from([224_000, 1_120_000, 2_260_800])),
                    min_size=len(AMOUNTS), max_size=len(AMOUNTS))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=payments)
def test_repay_many_leaves_the_rows_a_loop_of_repay_leaves(world, backend, amounts) -> None:
    crm, actor, loan_ids = world
    batch = [(f"payroll:HR-1:{n + 2}:loan{loan_id}", loan_id, units)
             for n, (loan_id, units) in enumerate(zip(loan_ids, amounts, strict=True))
             if units is not None]

    def one_by_one():
        for reference, loan_id, units in batch:
            loans.repay(crm, actor, loan_id, idr(units), method="payroll",
                        reference=reference, on=PAYDAY)

    def at_once():
        loans.repay_many(crm, actor, [loans.Repayment(reference=r, loan_id=loan_id,
                                                      amount=units)
                                      for r, loan_id, units in batch],
                         method="payroll", on=PAYDAY)

    expected = rows_after(crm, backend, one_by_one)
    got = rows_after(crm, backend, at_once)
    assert got.keys() == expected.keys()
    for table in expected:
        assert sorted(got[table], key=repr) == sorted(expected[table], key=repr), table


def test_hook_dyncrm_expand_installments_paid(world, backend) -> None:
    """repay_many: one batch call with every installment completed, the per-item hook
    only on the plugin without the batch hook; repay: the per-item hook, and the
    batch-only plugin gets the payment's installments as one list."""
    crm, actor, loan_ids = world
    calls = []
    spy = type("Spy", (), {
        "dyncrm_expand_installments_paid": hookimpl(
            lambda self, crm, payments: calls.append(
                [(p.loan_id, p.number, p.on_time) for p in payments]))})()
    crm.pm.register(spy, name="spy")
    with crm.action("payroll.test", Actor.operator()):
        loans.repay_many(crm, actor, [
            loans.Repayment(reference="B1", loan_id=loan_ids[2], amount=100_000),  # denda only
            loans.Repayment(reference="B2", loan_id=loan_ids[3], amount=1_000_000)],
            method="payroll", on=PAYDAY)
    from dyncrm.db.models import Touchpoint

    def touched(kind):
        return [(t.payload["loan"], t.payload["number"]) for t in
                Touchpoint.select().where(Touchpoint.kind == kind).order_by(Touchpoint.id)]

    assert len(calls) == 1 and len(calls[0]) >= 2  # one call, several installments
    assert [(loan, n) for loan, n, _ in calls[0]] == touched("test.each") == \
        touched("test.batch") == touched("test.both")
    assert {loan for loan, _, _ in calls[0]} == {loan_ids[3]}
    before = len(touched("test.each"))
    result = loans.repay(crm, actor, loan_ids[2], idr(2_000_000), method="payroll",
                         reference="S1", on=PAYDAY)
    assert len(calls) == 2 and [n for _, n, _ in calls[1]] == list(result.installments_paid)
    assert len(result.installments_paid) >= 2
    assert len(touched("test.each")) == len(touched("test.batch")) == \
        len(touched("test.both")) == before + len(result.installments_paid)
