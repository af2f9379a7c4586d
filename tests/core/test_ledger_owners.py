"""Entries a plugin owns: recorded at posting, reversed only through the plugin."""

from __future__ import annotations

import pytest

from dyncrm.db.models import JournalEntry
from dyncrm.errors import OwnedEntryError, PluginError
from dyncrm.hookspecs import hookimpl
from dyncrm.ledger import EntrySpec
from dyncrm.money import Money
from dyncrm.values import Actor, EntryOwner, Leg

SYSTEM = Actor.operator()


class Shop:
    """A plugin owning 'shop.sale' entries."""

    @hookimpl
    def dyncrm_ledger_owners(self):
        return [EntryOwner("shop", ("shop.sale",), "dyncrm shop refund {entry} --reason TEXT")]


class Thief:
    @hookimpl
    def dyncrm_ledger_owners(self):
        return [EntryOwner("thief", ("shop.sale.extra", "thief.x"), "none")]


def _accounts(crm):
    return (crm.ledger.open_account("cash", type="asset"),
            crm.ledger.open_account("income.sales", type="income"))


def _sale(crm, key="s1", **kwargs):
    with crm.action("sale", SYSTEM):
        cash, sales = _accounts(crm)
        return crm.ledger.transfer(Money.of(500, "IDR"), debit=cash, credit=sales,
                                   kind="shop.sale", actor="t", key=key, **kwargs).entry


def test_hook_dyncrm_ledger_owners(make_crm) -> None:
    crm = make_crm(extra_plugins=[("shop", Shop())])
    entry = _sale(crm)
    assert entry.owner == "shop"
    assert JournalEntry.get_by_id(entry.id).owner == "shop"  # recorded at posting time
    assert crm.ledger.entry(entry.id).owner == "shop"
    with pytest.raises(OwnedEntryError) as err, crm.action("reverse", SYSTEM):
        crm.ledger.reverse(entry.id, actor="t")
    assert f"dyncrm shop refund {entry.id} --reason TEXT" in str(err.value)
    assert err.value.plugin == "shop"
    assert crm.ledger.reversal_of(entry.id) is None
    with crm.action("refund", SYSTEM):
        reversal = crm.ledger.reverse(entry.id, actor="t", owner="shop").entry
    assert reversal.owner == "shop" and reversal.kind == "shop.sale.reversal"
    assert crm.ledger.reversal_of(entry.id).id == reversal.id
    # the reversal belongs to the shop too: nobody else undoes the correction
    with pytest.raises(OwnedEntryError), crm.action("reverse", SYSTEM):
        crm.ledger.reverse(reversal.id, actor="t")


def test_unowned_entries_reverse_as_before(make_crm) -> None:
    crm = make_crm()
    with crm.action("post", SYSTEM):
        cash, sales = _accounts(crm)
        entry = crm.ledger.transfer(Money.of(5, "IDR"), debit=cash, credit=sales,
                                    kind="manual", actor="t").entry
        assert entry.owner is None
        assert not crm.ledger.reverse(entry.id, actor="t").replayed


def test_explicit_owner_wins_and_post_many_records_owner(make_crm) -> None:
    crm = make_crm(extra_plugins=[("shop", Shop())])
    with crm.action("post", SYSTEM):
        cash, sales = _accounts(crm)
        legs = (Leg(cash, Money.of(7, "IDR")), Leg(sales, Money.of(-7, "IDR")))
        results = crm.ledger.post_many([
            EntrySpec(legs=legs, kind="shop.sale", actor="t", key="b1"),
            EntrySpec(legs=legs, kind="other", actor="t", key="b2"),
            EntrySpec(legs=legs, kind="other", actor="t", key="b3", owner="shop"),
        ])
        manual = crm.ledger.post(list(legs), kind="manual", actor="t", owner="shop").entry
    stored = {e.key: e.owner for e in JournalEntry.select()}
    assert stored == {"b1": "shop", "b2": None, "b3": "shop", None: "shop"}
    assert [r.entry.owner for r in results] == ["shop", None, "shop"]
    assert manual.owner == "shop"


def test_entry_without_recorded_owner_is_claimed_by_its_kind(make_crm) -> None:
    """An entry posted before the owner column (owner NULL) is still protected."""
    crm = make_crm(extra_plugins=[("shop", Shop())])
    entry = _sale(crm)
    JournalEntry.update(owner=None).where(JournalEntry.id == entry.id).execute()
    with pytest.raises(OwnedEntryError), crm.action("reverse", SYSTEM):
        crm.ledger.reverse(entry.id, actor="t")


def test_two_plugins_claiming_one_kind_is_a_plugin_error(make_crm) -> None:
    crm = make_crm(extra_plugins=[("shop", Shop()), ("thief", Thief())])
    with pytest.raises(PluginError, match="claimed by both"):
        crm.ledger.owners()
