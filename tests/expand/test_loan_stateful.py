"""Random loan lives (applications, decisions, repayments on time and late, early payoffs):
the ledger always balances, outstanding principal never goes negative, every payment is
fully accounted for, and illegal moves change nothing."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from test_loan_helpers import LOANS, PRODUCTS, Clock, Staff, add_member, dump, fund, idr

from dyncrm.app import CRM
from dyncrm.errors import DyncrmError, IllegalTransition
from dyncrm.testing import build_config
from dyncrm_expand import loans
from dyncrm_expand.loans.models import Loan, LoanInstallment, LoanPayment

MEMBERS = 3
FUNDED = 4_000_000


class LoanLives(RuleBasedStateMachine):
    """Loans of three members over a couple of simulated years."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="dyncrm-loans-")
        self.clock = Clock(dt.date(2025, 1, 6))
        config = build_config(Path(self.tmp), LOANS, {"expand.loans": {"products": PRODUCTS}})
        self.crm = CRM(config, clock=self.clock)
        self.crm.upgrade()
        self.people = Staff(self.crm)
        self.members = []
        for n in range(MEMBERS):
            member_id, _ = add_member(self.crm, f"Anggota{n}", joined=dt.date(2023, 1, 2))
            fund(self.crm, member_id, str(FUNDED))
            self.members.append(member_id)
        self.ids: list[int] = []
        self.refs = 0

    def teardown(self) -> None:
        self.crm.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- helpers -------------------------------------------------------------------

    def _ref(self) -> str:
        self.refs += 1
        return f"REF-{self.refs}"

    def _pick(self, index: int, stage: str | None = None) -> int | None:
        candidates = [i for i in self.ids if stage is None or Loan.get_by_id(i).stage == stage]
        return candidates[index % len(candidates)] if candidates else None

    def _refused_changes_nothing(self, action) -> None:
        before = dump(self.crm)
        try:
            action()
        except DyncrmError:
            assert dump(self.crm) == before
            return
        raise AssertionError("the action should have been refused")

    # -- rules ---------------------------------------------------------------------

    @rule(member=st.integers(0, MEMBERS - 1),
          product=st.sampled_from(sorted(PRODUCTS)),
          amount=st.integers(1, 60).map(lambda n: n * 100_000),
          term=st.integers(3, 24))
    def apply(self, member, product, amount, term) -> None:
        loan, _ = loans.apply(self.crm, self.people.secretary, self.members[member], product,
                              idr(amount), term=term)
        self.ids.append(loan.id)

    @rule(member=st.integers(0, MEMBERS - 1),
          product=st.sampled_from(sorted(PRODUCTS)),
          amount=st.integers(1, 60).map(lambda n: n * 100_000),
          term=st.integers(3, 24))
    def apply_and_disburse(self, member, product, amount, term) -> None:
        """The short way to a running loan, so repayments get most of the steps."""
        loan, _ = loans.apply(self.crm, self.people.secretary, self.members[member], product,
                              idr(amount), term=term)
        self.ids.append(loan.id)
        loans.approve(self.crm, self.people.committee, loan.id, override="stateful test")
        loans.disburse(self.crm, self.people.treasurer, loan.id, method="transfer",
                       reference=self._ref())

    @precondition(lambda self: self.ids)
    @rule(index=st.integers(0, 50), decision=st.sampled_from(["approve", "reject", "withdraw"]))
    def decide(self, index, decision) -> None:
        loan_id = self._pick(index, "submitted")
        if loan_id is None:
            return
        if decision == "approve":
            loans.approve(self.crm, self.people.committee, loan_id, override="stateful test")
        elif decision == "reject":
            loans.reject(self.crm, self.people.committee2, loan_id, reason="stateful test")
        else:
            loans.withdraw(self.crm, self.people.secretary, loan_id)

    @precondition(lambda self: self.ids)
    @rule(index=st.integers(0, 50), method=st.sampled_from(["cash", "transfer"]))
    def disburse(self, index, method) -> None:
        loan_id = self._pick(index, "approved")
        if loan_id is not None:
            loans.disburse(self.crm, self.people.treasurer, loan_id, method=method,
                           reference=self._ref())

    @rule(days=st.integers(1, 45))
    def time_passes(self, days) -> None:
        self.clock.day += dt.timedelta(days=days)

    @precondition(lambda self: self.ids)
    @rule(index=st.integers(0, 50), amount=st.integers(1_000, 3_000_000),
          method=st.sampled_from(["cash", "transfer", "payroll"]))
    def repay(self, index, amount, method) -> None:
        loan_id = self._pick(index, "disbursed")
        if loan_id is not None:
            result = loans.repay(self.crm, self.people.cashier, loan_id, idr(amount),
                                 method=method, reference=self._ref())
            event("repayment with denda" if result.payment.penalty else "repayment")
            if result.closed:
                event("repaid in full")

    @precondition(lambda self: self.ids)
    @rule(index=st.integers(0, 50), late=st.integers(1, 70),
          fraction=st.sampled_from([1, 2, 4]))
    def pay_late(self, index, late, fraction) -> None:
        """Let the oldest unpaid installment fall ``late`` days behind, then pay part of it."""
        loan_id = self._pick(index, "disbursed")
        if loan_id is None:
            return
        oldest = next(i for i in loans.installments(self.crm, loan_id) if i.paid_on is None)
        self.clock.day = max(self.clock.day, oldest.due_on + dt.timedelta(days=late))
        amount = max(oldest.total.amount // fraction, 1)
        result = loans.repay(self.crm, self.people.cashier, loan_id, idr(amount),
                             method="payroll", reference=self._ref())
        assert result.payment.penalty.amount > 0 or oldest.penalty_assessed.amount > 0 \
            or late <= PRODUCTS[Loan.get_by_id(loan_id).product].get(
                "penalty", {}).get("grace_days", 0) or \
            "penalty" not in PRODUCTS[Loan.get_by_id(loan_id).product]
        event("late repayment")

    @precondition(lambda self: self.ids)
    @rule(index=st.integers(0, 50), extra=st.sampled_from([0, 0, 1, 25_000]))
    def pay_off(self, index, extra) -> None:
        loan_id = self._pick(index, "disbursed")
        if loan_id is None:
            return
        quote = loans.payoff_quote(self.crm, loan_id)
        result = loans.repay(self.crm, self.people.cashier, loan_id, quote.total + idr(extra),
                             method="cash", reference=self._ref(), payoff=True)
        event("early payoff")
        assert result.closed and result.payment.overpayment == idr(extra)
        if extra == 0:
            self._refused_changes_nothing(lambda: loans.repay(
                self.crm, self.people.cashier, loan_id, idr(1), method="cash",
                reference=self._ref()))

    @precondition(lambda self: self.ids)
    @rule(index=st.integers(0, 50),
          action=st.sampled_from(["approve", "reject", "withdraw", "disburse", "repay",
                                  "payoff", "write_off"]))
    def illegal_moves_change_nothing(self, index, action) -> None:
        loan_id = self._pick(index)
        stage = Loan.get_by_id(loan_id).stage
        allowed = {"submitted": {"approve", "reject", "withdraw"},
                   "approved": {"disburse", "withdraw"},
                   "disbursed": {"repay", "payoff", "write_off"}}.get(stage, set())
        if action in allowed:
            return
        p = self.people
        calls = {
            "approve": lambda: loans.approve(self.crm, p.committee, loan_id, override="x"),
            "reject": lambda: loans.reject(self.crm, p.committee, loan_id, reason="x"),
            "withdraw": lambda: loans.withdraw(self.crm, p.secretary, loan_id),
            "disburse": lambda: loans.disburse(self.crm, p.treasurer, loan_id, method="cash",
                                               reference=self._ref()),
            "repay": lambda: loans.repay(self.crm, p.cashier, loan_id, idr(1000),
                                         method="cash", reference=self._ref()),
            "payoff": lambda: loans.payoff_quote(self.crm, loan_id),
            "write_off": lambda: loans.write_off(self.crm, p.treasurer, loan_id, reason="x"),
        }
        before = dump(self.crm)
        try:
            result = calls[action]()
        except IllegalTransition:
            assert dump(self.crm) == before
        else:
            # disbursing is idempotent per loan: once paid out, it says so and does nothing
            assert action == "disburse" and result.replayed, f"{action} allowed from {stage}"
            assert dump(self.crm) == before

    # -- invariants ----------------------------------------------------------------

    @invariant()
    def ledger_balances(self) -> None:
        assert self.crm.ledger.trial_balance() in ({}, {"IDR": 0})

    @invariant()
    def every_payment_is_accounted_for(self) -> None:
        ledger = self.crm.ledger
        per_member = defaultdict(lambda: defaultdict(int))
        overpaid = defaultdict(int)
        for row in Loan.select():
            insts = list(LoanInstallment.select().where(LoanInstallment.loan == row.id))
            pays = list(LoanPayment.select().where(LoanPayment.loan == row.id))
            if row.stage in ("submitted", "approved", "rejected", "withdrawn"):
                assert not insts and not pays
                continue
            owed = sum(i.principal - i.principal_paid for i in insts)
            assert owed >= 0
            assert sum(i.principal for i in insts) == row.principal
            for i in insts:
                assert 0 <= i.principal_paid <= i.principal
                assert 0 <= i.interest_paid + i.interest_waived <= i.interest
                assert 0 <= i.penalty_paid <= i.penalty_assessed
                assert (i.paid_on is not None) == (
                    i.principal_paid == i.principal
                    and i.interest_paid + i.interest_waived == i.interest
                    and i.penalty_paid == i.penalty_assessed)
            assert (row.stage == "closed") == all(i.paid_on is not None for i in insts)
            principal = sum(i.principal_paid for i in insts)
            interest = sum(i.interest_paid for i in insts)
            penalty = sum(i.penalty_paid for i in insts)
            over = sum(p.overpayment for p in pays)
            # the sum of repayments = principal + interest + denda paid + overpayments
            assert sum(p.amount for p in pays) == principal + interest + penalty + over
            assert sum(p.principal for p in pays) == principal
            assert sum(p.interest for p in pays) == interest
            assert sum(p.penalty for p in pays) == penalty
            m = per_member[row.member_id]
            m["owed"] += owed if row.stage == "disbursed" else 0
            m["interest"] += interest
            m["penalty"] += penalty
            overpaid[row.member_id] += over
        for member_id in self.members:
            m = per_member[member_id]
            assert ledger.balance_or_zero("loans.principal", member_id) == idr(m["owed"])
            assert ledger.balance_or_zero("income.loan_interest", member_id) == idr(
                m["interest"])
            assert ledger.balance_or_zero("income.loan_penalty", member_id) == idr(m["penalty"])
            assert ledger.balance_or_zero("savings.sukarela", member_id) == idr(
                FUNDED + overpaid[member_id])


TestLoanLives = LoanLives.TestCase
TestLoanLives.settings = settings(max_examples=25, stateful_step_count=35, deadline=None,
                                  suppress_health_check=[HealthCheck.too_slow])
