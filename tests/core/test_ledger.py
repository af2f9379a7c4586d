"""The ledger: balanced entries, derived balances, idempotent keys, reversals."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dyncrm.db.models import JournalEntry, Member, Posting
from dyncrm.errors import NotFoundError, UnbalancedEntryError, ValidationError
from dyncrm.money import Money
from dyncrm.values import Actor, Leg

SYSTEM = Actor.operator()


def idr(n: int | str) -> Money:
    return Money.of(n, "IDR")


def setup_accounts(crm):
    with crm.action("setup", SYSTEM):
        member = Member.create(name="Siti")
        cash = crm.ledger.open_account("cash", type="asset")
        savings = crm.ledger.open_account("savings.sukarela", type="liability",
                                          member_id=member.id)
    return member, cash, savings


def test_transfer_posts_balanced_entry_and_derives_balances(crm) -> None:
    member, cash, savings = setup_accounts(crm)
    with crm.action("deposit", SYSTEM):
        result = crm.ledger.transfer(idr(250_000), debit=cash, credit=savings,
                                     kind="savings.deposit", actor="kasir", member_id=member.id)
    assert not result.replayed
    assert crm.ledger.balance(savings) == idr(250_000)
    assert crm.ledger.balance(cash) == idr(250_000)
    assert crm.ledger.balance(savings, natural=False) == idr(-250_000)
    assert crm.ledger.trial_balance() == {"IDR": 0}


def test_unbalanced_entry_is_refused_and_writes_nothing(crm) -> None:
    _, cash, savings = setup_accounts(crm)
    with pytest.raises(UnbalancedEntryError, match="sum to 1"), crm.action("bad", SYSTEM):
        crm.ledger.post([Leg(cash, idr(10)), Leg(savings, idr(-9))], kind="x", actor="a")
    assert JournalEntry.select().count() == 0
    assert Posting.select().count() == 0


def test_posting_to_unknown_account_or_wrong_commodity_is_refused(crm) -> None:
    _, cash, savings = setup_accounts(crm)
    with pytest.raises(NotFoundError), crm.action("bad", SYSTEM):
        crm.ledger.transfer(idr(1), debit=cash, credit="nope", kind="x", actor="a")
    with pytest.raises(ValidationError, match="holds IDR"), crm.action("bad", SYSTEM):
        crm.ledger.post([Leg(cash, Money.of(1, "POINTS")), Leg(savings, Money.of(-1, "POINTS"))],
                        kind="x", actor="a")


def test_same_key_posts_once(crm) -> None:
    _, cash, savings = setup_accounts(crm)
    for _ in range(3):
        with crm.action("deposit", SYSTEM):
            result = crm.ledger.transfer(idr(1000), debit=cash, credit=savings, kind="d",
                                         actor="a", key="deposit:BT-1")
    assert result.replayed
    assert crm.ledger.balance(savings) == idr(1000)
    assert JournalEntry.select().count() == 1


def test_reversal_mirrors_and_cannot_repeat(crm) -> None:
    _, cash, savings = setup_accounts(crm)
    with crm.action("deposit", SYSTEM):
        entry = crm.ledger.transfer(idr(700), debit=cash, credit=savings, kind="d",
                                    actor="a").entry
    with crm.action("reverse", SYSTEM):
        rev = crm.ledger.reverse(entry.id, actor="bendahara", memo="typo")
    assert rev.entry.reverses == entry.id
    assert crm.ledger.balance(savings) == idr(0)
    with crm.action("reverse", SYSTEM):
        again = crm.ledger.reverse(entry.id, actor="bendahara")
    assert again.replayed
    with pytest.raises(ValidationError, match="already reversed"), crm.action("r", SYSTEM):
        crm.ledger.reverse(entry.id, actor="bendahara", key="other-key")


def test_as_of_and_statement(crm) -> None:
    member, cash, savings = setup_accounts(crm)
    with crm.action("deposits", SYSTEM):
        for day, amount in [(1, 100), (15, 200), (28, 300)]:
            crm.ledger.transfer(idr(amount), debit=cash, credit=savings, kind="d", actor="a",
                                on=dt.date(2026, 1, day), member_id=member.id)
    assert crm.ledger.balance(savings, as_of=dt.date(2026, 1, 20)) == idr(300)
    lines = crm.ledger.statement(savings, since=dt.date(2026, 1, 10))
    assert [line["balance"] for line in lines] == [idr(300), idr(600)]
    by_member = crm.ledger.balances_by_member(["savings.sukarela"], since=dt.date(2026, 1, 10))
    assert by_member == {member.id: {"savings.sukarela": 500}}


class LedgerMachine(RuleBasedStateMachine):
    """Random postings: every entry balances, balances equal sums, replays change nothing."""

    def __init__(self) -> None:
        super().__init__()
        import tempfile
        from pathlib import Path

        from dyncrm.app import CRM
        from dyncrm.testing import build_config

        self.dir = tempfile.TemporaryDirectory()
        self.crm = CRM(build_config(Path(self.dir.name)))
        self.crm.upgrade()
        with self.crm.action("setup", SYSTEM):
            self.members = [Member.create(name=f"m{i}").id for i in range(3)]
            self.accounts = [self.crm.ledger.open_account("cash", type="asset")] + [
                self.crm.ledger.open_account("savings.wajib", type="liability", member_id=m)
                for m in self.members]
        self.expected = dict.fromkeys(self.accounts, 0)
        self.keys: dict[str, int] = {}

    def teardown(self) -> None:
        self.crm.close()
        self.dir.cleanup()

    @rule(data=st.data(), amounts=st.lists(st.integers(-10**9, 10**9), min_size=1, max_size=4),
          key=st.one_of(st.none(), st.sampled_from(["k1", "k2", "k3"])))
    def post(self, data, amounts, key) -> None:
        accounts = [data.draw(st.sampled_from(self.accounts)) for _ in amounts]
        balancing = data.draw(st.sampled_from(self.accounts))
        legs = [Leg(a, idr(n)) for a, n in zip(accounts, amounts, strict=True)]
        legs.append(Leg(balancing, idr(-sum(amounts))))
        with self.crm.action("post", SYSTEM):
            result = self.crm.ledger.post(legs, kind="test", actor="t", key=key)
        if key is not None and key in self.keys:
            assert result.replayed and result.entry.id == self.keys[key]
            return
        assert not result.replayed
        if key is not None:
            self.keys[key] = result.entry.id
        for leg in legs:
            self.expected[leg.account] += int(leg.amount.amount)

    @rule(data=st.data())
    def unbalanced_is_refused(self, data) -> None:
        a, b = data.draw(st.sampled_from(self.accounts)), data.draw(st.sampled_from(self.accounts))
        before = Posting.select().count()
        with pytest.raises(UnbalancedEntryError), self.crm.action("bad", SYSTEM):
            self.crm.ledger.post([Leg(a, idr(5)), Leg(b, idr(-4))], kind="bad", actor="t")
        assert Posting.select().count() == before

    @precondition(lambda self: JournalEntry.select().where(JournalEntry.reverses.is_null()).count())
    @rule(data=st.data())
    def reverse_one(self, data) -> None:
        candidates = [e.id for e in JournalEntry.select().where(JournalEntry.reverses.is_null())
                      if not e.reversals.exists()]
        if not candidates:
            return
        entry = self.crm.ledger.entry(data.draw(st.sampled_from(candidates)))
        with self.crm.action("reverse", SYSTEM):
            self.crm.ledger.reverse(entry.id, actor="t")
        for leg in entry.legs:
            self.expected[leg.account] -= int(leg.amount.amount)

    @invariant()
    def balances_are_sums_and_everything_balances(self) -> None:
        assert set(self.crm.ledger.trial_balance().values()) <= {0}
        for code, units in self.expected.items():
            assert int(self.crm.ledger.balance(code, natural=False).amount) == units


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(max_examples=25, stateful_step_count=15, deadline=None,
                                      suppress_health_check=[HealthCheck.too_slow])
