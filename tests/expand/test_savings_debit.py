"""expand.savings ``debit_sukarela``: other plugins move sukarela savings out by the rules.

A term-deposit plugin funding a product from sukarela must meet the same rules as a
withdrawal at the counter: active member, balance floor, one posting per reference,
the account locked before it is read (the race over real processes is in
test_races.py), and a refusal that leaves the database exactly as it was.
"""

from __future__ import annotations

import pytest
from test_savings_helpers import Staff, add_member, balanced, dump, member_actor, open_expand

from dyncrm.db.models import JournalEntry
from dyncrm.errors import DuplicateError, NotFoundError, PermissionDenied, ValidationError
from dyncrm.money import Money
from dyncrm.values import Actor
from dyncrm_expand import savings

TERM_DEPOSITS = "deposito.principal"


def rp(value) -> Money:
    return Money.of(value, "IDR")


@pytest.fixture
def crm(make_crm):
    crm = open_expand(make_crm, savings={"sukarela": {"minimum_balance": "10000"}})
    with crm.action("test.open_account", Actor.operator()):
        crm.ledger.open_account(TERM_DEPOSITS, type="liability")
    return crm


@pytest.fixture
def people(crm):
    return Staff(crm)


def funded(crm, people, amount="100000") -> int:
    m = add_member(crm)
    savings.deposit(crm, people.cashier, m, "sukarela", amount, method="cash",
                    reference=f"open-{m}")
    return m


def test_debit_moves_sukarela_to_the_target_once(crm, people) -> None:
    m = funded(crm, people)
    first = savings.debit_sukarela(crm, people.cashier, m, "60.000", reference="dep:1",
                                   target_account=TERM_DEPOSITS, memo="deposito 1 dibuka")
    assert (first.amount, first.balance_after, first.replayed) == (rp(60000), rp(40000), False)
    assert savings.balance(crm, m, "sukarela") == rp(40000)
    assert crm.ledger.balance(TERM_DEPOSITS) == rp(60000)  # a liability, credited
    entry = crm.ledger.entry(first.entry_id)
    assert (entry.kind, entry.memo, entry.key) == (
        "savings.sukarela_debit", "deposito 1 dibuka", "sukarela_debit:dep:1")
    again = savings.debit_sukarela(crm, people.cashier, m, "60000", reference="dep:1",
                                   target_account=TERM_DEPOSITS)
    assert again.replayed and again.entry_id == first.entry_id
    assert again.balance_after == rp(40000)
    assert savings.balance(crm, m, "sukarela") == rp(40000)
    kinds = [t.kind for t in crm.timeline(m)]
    assert kinds.count("savings.sukarela_debit") == 1
    assert balanced(crm)


def test_refusals_write_nothing(crm, people) -> None:
    m = funded(crm, people)
    other = funded(crm, people)
    savings.debit_sukarela(crm, people.cashier, m, "10000", reference="dep:used",
                           target_account=TERM_DEPOSITS)
    before = dump(crm)
    # the floor: 90.000 held, 10.000 must stay
    with pytest.raises(ValidationError, match=r"at most Rp 80\.000 can be debited") as info:
        savings.debit_sukarela(crm, people.cashier, m, "80001", reference="dep:2",
                               target_account=TERM_DEPOSITS)
    assert info.value.field == "amount"
    # the same reference for another amount or member
    with pytest.raises(DuplicateError, match="already used"):
        savings.debit_sukarela(crm, people.cashier, m, "5000", reference="dep:used",
                               target_account=TERM_DEPOSITS)
    with pytest.raises(DuplicateError, match="already used"):
        savings.debit_sukarela(crm, people.cashier, other, "10000", reference="dep:used",
                               target_account=TERM_DEPOSITS)
    # who may, what to, how much
    with pytest.raises(PermissionDenied):
        savings.debit_sukarela(crm, member_actor(crm, m), m, "1000", reference="dep:3",
                               target_account=TERM_DEPOSITS)
    before = dump(crm)  # the member's login above is a new row; nothing after it may be
    with pytest.raises(NotFoundError):
        savings.debit_sukarela(crm, people.cashier, m, "1000", reference="dep:4",
                               target_account="no.such.account")
    with pytest.raises(ValidationError, match="amount"):
        savings.debit_sukarela(crm, people.cashier, m, "-5", reference="dep:5",
                               target_account=TERM_DEPOSITS)
    with pytest.raises(NotFoundError):
        savings.debit_sukarela(crm, people.cashier, 4242, "1000", reference="dep:6",
                               target_account=TERM_DEPOSITS)
    assert dump(crm) == before
    assert JournalEntry.select().where(JournalEntry.kind == "savings.sukarela_debit"
                                       ).count() == 1


def test_only_active_members_are_debited(crm, people) -> None:
    m = funded(crm, people)
    with crm.action("test.leave", Actor.operator()):
        crm.lifecycle.transition(m, "request_leave", Actor.operator())
    before = dump(crm)
    with pytest.raises(ValidationError, match="savings move only for active members"):
        savings.debit_sukarela(crm, people.cashier, m, "1000", reference="dep:leaving",
                               target_account=TERM_DEPOSITS)
    assert dump(crm) == before


def test_debit_is_exported_with_its_value() -> None:
    assert "debit_sukarela" in savings.__all__ and "SukarelaDebit" in savings.__all__
    assert "minimum_balance" in savings.debit_sukarela.__doc__
