"""Properties of expand.savings: a balanced ledger, no negative balances, harmless replays."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from test_savings_helpers import PNG, Staff, add_member, clock_at, dump

from dyncrm.app import CRM
from dyncrm.errors import (
    DuplicateError,
    IllegalTransition,
    PermissionDenied,
    ValidationError,
)
from dyncrm.money import Money
from dyncrm.testing import build_config
from dyncrm_expand import savings
from dyncrm_expand.savings.config import SavingsSettings, WajibProduct
from dyncrm_expand.savings.wajib import WajibCalculator, WajibState, add_months

TODAY = dt.date(2025, 6, 15)
POKOK = 100_000
MINIMUM = 5_000


def rp(units: int) -> Money:
    return Money.of(units, "IDR")


# -- the allocation rule, on its own ---------------------------------------------------


@given(amounts=st.lists(st.integers(1, 200_000), min_size=0, max_size=40),
       paid=st.integers(0, 10_000_000))
@settings(max_examples=300, deadline=None)
def test_payments_fill_the_oldest_months_first(amounts, paid):
    start = dt.date(2020, 1, 1)
    months = [(add_months(start, i), add_months(start, i), a) for i, a in enumerate(amounts)]
    unpaid = WajibCalculator.unpaid(months, paid)
    assert sum(u for *_, u in unpaid) == max(sum(amounts) - paid, 0)
    # what is unpaid is a suffix: at most the first unpaid month is partly paid
    if unpaid:
        first = [m for m, _, _ in months].index(unpaid[0][0])
        assert [m for m, _, _ in unpaid] == [m for m, _, _ in months[first:]]
        assert all(u == a for (_, _, u), (_, _, a) in zip(unpaid[1:], months[first + 1:],
                                                          strict=True))
        assert 0 < unpaid[0][2] <= months[first][2]


@given(joined=st.dates(dt.date(2023, 1, 1), dt.date(2025, 6, 15)),
       due_day=st.integers(1, 31), as_of=st.dates(dt.date(2023, 1, 1), dt.date(2026, 1, 1)),
       paid=st.integers(0, 2_000_000))
@settings(max_examples=300, deadline=None)
def test_arrears_months_are_due_and_never_more_than_owed(joined, due_day, as_of, paid):
    cfg = SavingsSettings(wajib=WajibProduct(due_day=due_day))
    calc = WajibCalculator(cfg, 0)
    state = WajibState(member_id=1, start_on=joined, end_on=None, classes=(), paid_units=paid,
                       pokok_owed_units=POKOK, pokok_paid_units=0)
    owed = calc.months(state, due_until=as_of)
    arrears = calc.arrears(state, as_of)
    assert all(due <= as_of and due >= joined for _, due, _ in owed)
    assert sum(u for _, u in arrears) == max(50_000 * len(owed) - paid, 0)
    if owed:
        assert owed[0][0] == joined.replace(day=1)


# -- random deposits, verifications, rejections and withdrawals ---------------------------


class SavingsMachine(RuleBasedStateMachine):
    """A small cooperative driven at random; the model is plain integers."""

    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory()
        path = Path(self._tmp.name)
        config = build_config(path, ["expand.savings"], {
            "expand.savings": {"sukarela": {"minimum_balance": str(MINIMUM)}}})
        self.crm = CRM(config, clock=clock_at(TODAY))
        self.crm.upgrade()
        self.people = Staff(self.crm)
        self.members = [add_member(self.crm, f"M{i}", joined=dt.date(2025, 1 + 2 * i, 6))
                        for i in range(3)]
        self.balance = {(m, p): 0 for m in self.members for p in ("pokok", "wajib", "sukarela")}
        self.pending: dict[int, tuple[int, str, int, str]] = {}
        self.used: dict[str, tuple] = {}
        self.decided: dict[int, str] = {}
        self.withdrawals: dict[str, tuple[int, int]] = {}

    def teardown(self) -> None:
        self.crm.close()
        self._tmp.cleanup()

    def _pending_pokok(self, member: int) -> int:
        return sum(u for m, p, u, _ in self.pending.values() if m == member and p == "pokok")

    def _unchanged(self, call, error) -> None:
        before = dump(self.crm)
        try:
            call()
        except error:
            pass
        else:
            raise AssertionError(f"expected {error.__name__}")
        assert dump(self.crm) == before

    @rule(who=st.integers(0, 2), product=st.sampled_from(["pokok", "wajib", "sukarela"]),
          units=st.integers(1, 120_000), method=st.sampled_from(["cash", "transfer", "payroll"]),
          ref=st.integers(0, 12), by=st.sampled_from(["cashier", "cashier2"]))
    def deposit(self, who, product, units, method, ref, by):
        member = self.members[who]
        reference = f"R{ref}"
        actor = getattr(self.people, by)
        details = (member, product, units, method)
        call = lambda: savings.deposit(  # noqa: E731
            self.crm, actor, member, product, rp(units), method=method, reference=reference,
            proof=PNG if method == "transfer" else None)
        if reference in self.used:
            if self.used[reference] == details:
                before = dump(self.crm)
                result = call()
                assert result.replayed
                assert dump(self.crm) == before
            else:
                self._unchanged(call, DuplicateError)
            return
        if product == "pokok" and (self.balance[(member, "pokok")] + self._pending_pokok(member)
                                   + units > POKOK):
            self._unchanged(call, ValidationError)
            return
        result = call()
        assert not result.replayed
        self.used[reference] = details
        if method == "transfer":
            assert result.status == "pending"
            self.pending[result.id] = (member, product, units, actor.username)
        else:
            assert result.status == "posted"
            self.balance[(member, product)] += units

    @precondition(lambda self: self.pending)
    @rule(pick=st.integers(0, 100), by=st.sampled_from(["cashier", "cashier2", "treasurer"]))
    def verify(self, pick, by):
        deposit_id = sorted(self.pending)[pick % len(self.pending)]
        member, product, units, recorder = self.pending[deposit_id]
        actor = getattr(self.people, by)
        # every transfer here carries the same proof file: the cashier confirms it is
        # another transfer (tests/expand/test_duplicate_proofs.py tests the refusal)
        call = lambda: savings.verify_deposit(  # noqa: E731
            self.crm, actor, deposit_id, confirm_duplicate_proof=True)
        if actor.username == recorder:
            self._unchanged(call, PermissionDenied)
            return
        assert call().status == "posted"
        del self.pending[deposit_id]
        self.decided[deposit_id] = "posted"
        self.balance[(member, product)] += units

    @precondition(lambda self: self.pending)
    @rule(pick=st.integers(0, 100))
    def reject(self, pick):
        deposit_id = sorted(self.pending)[pick % len(self.pending)]
        result = savings.reject_deposit(self.crm, self.people.cashier2, deposit_id,
                                        "not on the bank statement")
        assert result.status == "rejected"
        del self.pending[deposit_id]
        self.decided[deposit_id] = "rejected"

    @precondition(lambda self: self.decided)
    @rule(pick=st.integers(0, 100), action=st.sampled_from(["verify", "reject"]))
    def decide_again(self, pick, action):
        deposit_id = sorted(self.decided)[pick % len(self.decided)]
        status = self.decided[deposit_id]
        if action == "verify":
            call = lambda: savings.verify_deposit(  # noqa: E731
                self.crm, self.people.treasurer, deposit_id)
        else:
            call = lambda: savings.reject_deposit(  # noqa: E731
                self.crm, self.people.treasurer, deposit_id, "again")
        if {"verify": "posted", "reject": "rejected"}[action] == status:
            before = dump(self.crm)
            assert call().replayed
            assert dump(self.crm) == before
        else:
            self._unchanged(call, IllegalTransition)

    @rule(who=st.integers(0, 2), units=st.integers(1, 150_000), ref=st.integers(0, 6),
          product=st.sampled_from(["sukarela", "sukarela", "sukarela", "wajib", "pokok"]))
    def withdraw(self, who, units, ref, product):
        member = self.members[who]
        reference = f"W{ref}"
        call = lambda: savings.withdraw(  # noqa: E731
            self.crm, self.people.cashier, member, rp(units), reference=reference,
            product=product)
        if product != "sukarela":
            self._unchanged(call, ValidationError)
            return
        if reference in self.withdrawals:
            if self.withdrawals[reference] == (member, units):
                before = dump(self.crm)
                assert call().replayed
                assert dump(self.crm) == before
            else:
                self._unchanged(call, DuplicateError)
            return
        if self.balance[(member, "sukarela")] - units < MINIMUM:
            self._unchanged(call, ValidationError)
            return
        result = call()
        self.withdrawals[reference] = (member, units)
        self.balance[(member, "sukarela")] -= units
        assert result.balance_after == rp(self.balance[(member, "sukarela")])

    @invariant()
    def ledger_balances(self):
        assert all(v == 0 for v in self.crm.ledger.trial_balance().values())

    @invariant()
    def balances_match_the_model_and_are_never_negative(self):
        for member in self.members:
            found = savings.balances(self.crm, member)
            for product, amount in found.items():
                assert amount == rp(self.balance[(member, product)])
                assert not amount.is_negative()
        assert {d.id for d in savings.pending_deposits(self.crm)} == set(self.pending)

    @invariant()
    def arrears_agree_between_the_batch_and_the_single_member_view(self):
        batch = savings.arrears_by_member(self.crm, TODAY)
        for member in self.members:
            single = savings.wajib_arrears(self.crm, member, TODAY)
            total = sum((a for _, a in single), rp(0))
            assert batch.get(member, rp(0)) == total


TestSavingsMachine = SavingsMachine.TestCase
TestSavingsMachine.settings = settings(
    max_examples=25, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
