"""The leave lifecycle driven at random: legal moves keep the books right, illegal ones
are refused and change nothing."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from test_savings_helpers import Staff, add_member, dump

from dyncrm.app import CRM
from dyncrm.errors import DyncrmError, IllegalTransition, ValidationError
from dyncrm.money import Money
from dyncrm.testing import build_config
from dyncrm_expand import deactivation, savings
from dyncrm_expand.deactivation import LEAVE_STAGES

START = dt.date(2025, 3, 3)
STAGE_OF = {"requested": "active", "approved": "leaving", "paid": "inactive",
            "cancelled": "active"}


def rp(units: int) -> Money:
    return Money.of(units, "IDR")


class LeaveMachine(RuleBasedStateMachine):
    """Two members asking to leave, being approved, paid or cancelled, in any order."""

    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory()
        self.today = START
        config = build_config(Path(self._tmp.name), ["expand.savings", "expand.deactivation"])
        self.crm = CRM(config, clock=self._clock)
        self.crm.upgrade()
        self.people = Staff(self.crm)
        self.members = [add_member(self.crm, f"M{i}", joined=dt.date(2025, 1, 6))
                        for i in range(2)]
        for i, m in enumerate(self.members):
            savings.deposit(self.crm, self.people.cashier, m, "pokok", "100000",
                            method="cash", reference=f"P{i}")
        self.requests: dict[int, tuple[int, str]] = {}  # id -> (member, status)
        self.refs = 0

    def _clock(self):
        return dt.datetime(self.today.year, self.today.month, self.today.day, 3, 0)

    def teardown(self) -> None:
        self.crm.close()
        self._tmp.cleanup()

    def _open(self, member: int) -> int | None:
        for rid, (m, status) in self.requests.items():
            if m == member and status in ("requested", "approved"):
                return rid
        return None

    def _refused(self, call, error=DyncrmError) -> None:
        before = dump(self.crm)
        try:
            call()
        except error:
            pass
        else:
            raise AssertionError(f"expected {error.__name__}")
        assert dump(self.crm) == before

    @rule(days=st.integers(1, 40))
    def time_passes(self, days):
        self.today += dt.timedelta(days=days)

    @rule(who=st.integers(0, 1), units=st.integers(1, 200_000))
    def save(self, who, units):
        member = self.members[who]
        self.refs += 1
        call = lambda: savings.deposit(  # noqa: E731
            self.crm, self.people.cashier, member, "sukarela", rp(units), method="cash",
            reference=f"S{self.refs}")
        if self.crm.member(member).stage != "active":
            self._refused(call, ValidationError)
        else:
            call()

    @rule(who=st.integers(0, 1))
    def request(self, who):
        member = self.members[who]
        call = lambda: deactivation.request_leave(  # noqa: E731
            self.crm, self.people.secretary, member, "moving away")
        if self.crm.member(member).stage != "active" or self._open(member) is not None:
            self._refused(call)
            return
        result = call()
        self.requests[result.id] = (member, "requested")

    @precondition(lambda self: self.requests)
    @rule(pick=st.integers(0, 50), action=st.sampled_from(["approve", "pay", "cancel"]),
          delay=st.integers(0, 60))
    def act(self, pick, action, delay):
        rid = sorted(self.requests)[pick % len(self.requests)]
        member, status = self.requests[rid]
        self.refs += 1
        calls = {
            "approve": lambda: deactivation.approve_leave(
                self.crm, self.people.admin, rid,
                payout_on=self.today + dt.timedelta(days=delay)),
            "pay": lambda: deactivation.pay_refund(
                self.crm, self.people.cashier, rid, method="cash", reference=f"K{self.refs}"),
            "cancel": lambda: deactivation.cancel_leave(
                self.crm, self.people.secretary, rid, "changed their mind"),
        }
        if action not in LEAVE_STAGES.allowed(status):
            self._refused(calls[action], IllegalTransition)
            return
        if action == "pay":
            payout_on = deactivation.get_request(self.crm, rid).payout_on
            if self.today < payout_on:
                self._refused(calls[action], ValidationError)
                return
        expected = savings.balances(self.crm, member) if action == "approve" else None
        result = calls[action]()
        self.requests[rid] = (member, result.status)
        if action == "approve":
            owed = sum(expected.values(), rp(0))
            later = (self.today + dt.timedelta(days=62)).replace(day=1)
            assert savings.wajib_due(self.crm, member, later) == rp(0)  # the period ended
            assert result.settlement_total <= owed

    @invariant()
    def ledger_balances(self):
        assert all(v == 0 for v in self.crm.ledger.trial_balance().values())

    @invariant()
    def member_stage_follows_the_latest_request(self):
        for member in self.members:
            latest = [s for rid, (m, s) in sorted(self.requests.items()) if m == member]
            expected = STAGE_OF[latest[-1]] if latest else "active"
            assert self.crm.member(member).stage == expected

    @invariant()
    def refund_payable_matches_the_approved_settlement(self):
        for rid, (member, status) in self.requests.items():
            payable = self.crm.ledger.balance_or_zero("payable.refund", member)
            assert not payable.is_negative()
            if status == "approved":
                assert payable == deactivation.get_request(self.crm, rid).settlement_total
            if self.crm.member(member).stage == "active":
                assert payable == rp(0)
            if status in ("approved", "paid"):
                assert all(not v for v in savings.balances(self.crm, member).values())


TestLeaveMachine = LeaveMachine.TestCase
TestLeaveMachine.settings = settings(
    max_examples=25, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
