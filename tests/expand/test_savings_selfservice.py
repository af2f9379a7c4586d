"""A member's own transfers (``deposit_own_transfer``) and the lists the portal shows."""

from __future__ import annotations

import pytest
from test_savings_helpers import PNG, Staff, add_member, dump, member_actor, open_expand

from dyncrm.errors import PermissionDenied, ValidationError
from dyncrm.money import Money
from dyncrm_expand import savings


@pytest.fixture
def crm(make_crm):
    return open_expand(make_crm)


def test_a_member_records_their_own_transfer_and_a_cashier_verifies_it(crm):
    people = Staff(crm)
    m = add_member(crm)
    me = member_actor(crm, m)
    d = savings.deposit_own_transfer(crm, me, "sukarela", "75000", reference="web-1",
                                     proof=PNG)
    assert (d.member_id, d.method, d.status) == (m, "transfer", "pending")
    again = savings.deposit_own_transfer(crm, me, "sukarela", "75000", reference="web-1",
                                         proof=PNG)
    assert again.replayed and again.id == d.id
    with pytest.raises(PermissionDenied):
        savings.verify_deposit(crm, me, d.id)
    savings.verify_deposit(crm, people.cashier, d.id)
    assert savings.balance(crm, m, "sukarela") == Money.of(75000, "IDR")
    assert [x.status for x in savings.deposits_of(crm, m)] == ["posted"]


@pytest.mark.parametrize("proof", [None, b"", "/etc/passwd", b"<?php system($_GET['c']); ?>"])
def test_without_a_real_proof_nothing_is_recorded(crm, proof):
    m = add_member(crm)
    me = member_actor(crm, m)
    before = dump(crm)
    with pytest.raises(ValidationError) as caught:
        savings.deposit_own_transfer(crm, me, "sukarela", "75000", reference="web-2",
                                     proof=proof)
    assert caught.value.field == "proof"
    assert dump(crm) == before


def test_staff_accounts_have_no_savings_of_their_own(crm):
    people = Staff(crm)
    with pytest.raises(PermissionDenied):
        savings.deposit_own_transfer(crm, people.cashier, "sukarela", "75000",
                                     reference="web-3", proof=PNG)


def test_pending_transfers_come_with_their_members_oldest_first(crm):
    a = add_member(crm)
    b = add_member(crm, "Budi")
    first = savings.deposit_own_transfer(crm, member_actor(crm, a), "sukarela", "1000",
                                         reference="w-a", proof=PNG)
    second = savings.deposit_own_transfer(crm, member_actor(crm, b, "budi"), "wajib",
                                          "2000", reference="w-b", proof=PNG)
    found = savings.pending_transfers(crm)
    assert [(d.id, m.name) for d, m, _ in found] == [(first.id, "Siti Aminah"),
                                                      (second.id, "Budi")]
    assert savings.deposits_of(crm, a)[0].id == first.id
    assert all(d.member_id == b for d in savings.deposits_of(crm, b))
