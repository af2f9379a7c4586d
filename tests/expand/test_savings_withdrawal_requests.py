"""Members ask to withdraw sukarela; a cashier pays or refuses the request."""

from __future__ import annotations

import pytest
from test_savings_helpers import Staff, add_member, dump, member_actor, open_expand

from dyncrm.errors import PermissionDenied, ValidationError
from dyncrm.money import Money
from dyncrm_expand import savings


def rp(value) -> Money:
    return Money.of(value, "IDR")


@pytest.fixture
def crm(make_crm):
    return open_expand(make_crm)


@pytest.fixture
def saver(crm):
    people = Staff(crm)
    m = add_member(crm)
    savings.deposit(crm, people.cashier, m, "sukarela", "500000", method="cash",
                    reference="KW-1")
    return people, m, member_actor(crm, m)


def test_a_request_is_paid_by_the_cashier(crm, saver):
    people, m, me = saver
    asked = savings.request_withdrawal(crm, me, "200000", key="k-1")
    assert asked.status == "pending" and asked.member_id == m
    assert savings.balance(crm, m, "sukarela") == rp(500000)  # nothing moves yet
    assert savings.request_withdrawal(crm, me, "200000", key="k-1").replayed
    with pytest.raises(PermissionDenied):
        savings.pay_withdrawal_request(crm, me, asked.id)
    paid = savings.pay_withdrawal_request(crm, people.cashier, asked.id)
    assert paid.status == "paid" and paid.entry_id
    assert savings.balance(crm, m, "sukarela") == rp(300000)
    again = savings.pay_withdrawal_request(crm, people.cashier, asked.id)
    assert again.replayed and savings.balance(crm, m, "sukarela") == rp(300000)


def test_a_member_cannot_ask_for_more_than_is_free(crm, saver):
    _, _, me = saver
    savings.request_withdrawal(crm, me, "400000", key="k-1")
    before = dump(crm)
    with pytest.raises(ValidationError) as caught:
        savings.request_withdrawal(crm, me, "200000", key="k-2")
    assert caught.value.field == "amount"
    assert dump(crm) == before


def test_staff_accounts_cannot_ask(crm, saver):
    people, _, _ = saver
    with pytest.raises(PermissionDenied):
        savings.request_withdrawal(crm, people.cashier, "1000", key="k-9")


def test_a_refused_request_keeps_the_reason(crm, saver):
    people, m, me = saver
    asked = savings.request_withdrawal(crm, me, "100000", key="k-1", method="transfer")
    with pytest.raises(ValidationError):
        savings.refuse_withdrawal_request(crm, people.cashier, asked.id, " ")
    done = savings.refuse_withdrawal_request(crm, people.cashier, asked.id, "no account")
    assert done.status == "refused" and done.reason == "no account"
    with pytest.raises(ValidationError):
        savings.pay_withdrawal_request(crm, people.cashier, asked.id)
    assert [r.status for r, _ in savings.withdrawal_requests(crm, member_id=m)] == ["refused"]
