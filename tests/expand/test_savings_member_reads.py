"""Savings read three ways give the same figures: one member, every member, a report.

``savings.balances`` / ``wajib_arrears`` (one member, prepared statements through
``wajib.load_state``), ``arrears_by_member`` (every member, ``load_states`` reading the
paid sums per member) and ``balances_and_arrears`` (the laporan simpanan: one grouped
pass over the postings, ``load_states(paid=...)``) are three SQL paths to the same
numbers.  They are checked against each other, against the ledger's own
``balances_by_member`` and against figures worked out by hand, on several dates, for a
saver with arrears, a member whose wajib amount changes with their class, a member
who left (the settlement's ``deactivation.*`` entries empty the accounts without
un-paying anything) and a member who never paid; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from test_savings_helpers import EXPAND, Staff, add_member, clock_at, member_actor

from dyncrm.money import Money
from dyncrm_expand import deactivation, savings
from dyncrm_expand.savings.common import calculator
from dyncrm_expand.savings.wajib import load_state, load_states

KINDS = ("savings.pokok", "savings.wajib", "savings.sukarela")
DATES = (dt.date(2025, 2, 28), dt.date(2025, 4, 30), dt.date(2025, 6, 15))
TODAY = DATES[-1]


def rp(value) -> Money:
    return Money.of(value, "IDR")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
                        pytest.param("mariadb", marks=pytest.mark.mysql)])
def world(request, make_crm):
    """The four members, on SQLite, PostgreSQL and MariaDB (the prepared statements' ``%s``)."""
    url = {"postgresql": "pg_url", "mariadb": "mysql_url"}.get(request.param)
    url = request.getfixturevalue(url) if url else None
    crm = make_crm(enabled=list(EXPAND), clock=clock_at(TODAY), database_url=url,
                   plugins={"expand.savings": {"wajib": {"amount": "50000", "due_day": 10,
                                                         "by_class": {"II": "75000"}}}})
    people = Staff(crm)
    ids = {}

    def deposit(m, product, amount, on, ref):
        savings.deposit(crm, people.cashier, m, product, amount, method="cash",
                        reference=ref, on=on)

    ids["saver"] = add_member(crm, "Siti Aminah")
    deposit(ids["saver"], "pokok", "100000", dt.date(2025, 1, 7), "P1")
    deposit(ids["saver"], "wajib", "150000", dt.date(2025, 3, 3), "W1")
    deposit(ids["saver"], "sukarela", "200000", dt.date(2025, 5, 2), "S1")
    ids["class"] = add_member(crm, "Budi Santoso")
    savings.set_member_class(crm, people.admin, ids["class"], "II", since=dt.date(2025, 3, 1))
    deposit(ids["class"], "pokok", "100000", dt.date(2025, 1, 7), "P2")
    deposit(ids["class"], "wajib", "125000", dt.date(2025, 3, 3), "W2")
    ids["leaver"] = add_member(crm, "Dewi Lestari")
    deposit(ids["leaver"], "pokok", "100000", dt.date(2025, 1, 7), "P3")
    deposit(ids["leaver"], "wajib", "300000", dt.date(2025, 2, 3), "W3")
    request = deactivation.request_leave(crm, member_actor(crm, ids["leaver"]), ids["leaver"],
                                         "pindah kota")
    deactivation.approve_leave(crm, people.treasurer, request.id)
    ids["never"] = add_member(crm, "Eko Prasetyo")
    return crm, ids


def test_one_member_every_member_and_the_report_agree(world) -> None:
    crm, ids = world
    calc = calculator(crm)
    for as_of in DATES:
        ledger = crm.ledger.balances_by_member(KINDS, as_of=as_of)
        report = savings.balances_and_arrears(crm, as_of)
        every = {m: int(v.amount) for m, v in savings.arrears_by_member(crm, as_of).items()}
        assert {m: units for m, (_, units) in report.items() if units} == every
        assert {m: found for m, (found, _) in report.items() if found} == ledger
        for m in ids.values():
            one = savings.balances(crm, m, as_of=as_of)
            assert {f"savings.{p}": int(v.amount) for p, v in one.items() if v} == \
                {kind: units for kind, units in ledger.get(m, {}).items() if units}
            stage, state = load_state(calc, crm.database, m, as_of=as_of)
            assert state == load_states(calc, stages=None, member_ids=[m], as_of=as_of)[m]
            arrears = savings.wajib_arrears(crm, m, as_of)
            loop = calc.unpaid(calc.months(state, due_until=as_of), state.paid_units)
            assert [(month, int(a.amount)) for month, a in arrears] == \
                [(month, units) for month, _, units in loop]
            if stage == "active":
                assert sum(int(a.amount) for _, a in arrears) == every.get(m, 0)


def test_figures_worked_out_by_hand(world) -> None:
    crm, ids = world
    on = DATES[-1]  # 15 June: January to June due (on the 10th)
    report = savings.balances_and_arrears(crm, on)
    # 150,000 pays January to March; April, May and June are owed
    assert [m.month for m, _ in savings.wajib_arrears(crm, ids["saver"], on)] == [4, 5, 6]
    assert report[ids["saver"]] == ({"savings.pokok": 100_000, "savings.wajib": 150_000,
                                     "savings.sukarela": 200_000}, 150_000)
    # class II from March: 50,000 for January and February, 75,000 after; 125,000 paid
    # covers January, February and a third of March
    assert [(m.month, a) for m, a in savings.wajib_arrears(crm, ids["class"], on)] == \
        [(3, rp(50_000)), (4, rp(75_000)), (5, rp(75_000)), (6, rp(75_000))]
    assert report[ids["class"]][1] == 275_000
    # the leaver's accounts are empty and they owe nothing any more; what they paid
    # still counts as paid (the settlement is not a withdrawal of wajib)
    assert savings.balances(crm, ids["leaver"], as_of=on) == {
        "pokok": rp(0), "wajib": rp(0), "sukarela": rp(0)}
    assert ids["leaver"] not in savings.arrears_by_member(crm, on)
    assert load_state(calculator(crm), crm.database, ids["leaver"])[1].paid_units == 300_000
    # on 15 June the settlement has emptied the accounts; before it, the savings were there
    assert report[ids["leaver"]] == ({"savings.pokok": 0, "savings.wajib": 0}, 0)
    earlier = savings.balances_and_arrears(crm, DATES[1])
    assert earlier[ids["leaver"]] == ({"savings.pokok": 100_000, "savings.wajib": 300_000},
                                      0)
    # nothing paid: six months of 50,000
    assert report[ids["never"]] == ({}, 300_000)
