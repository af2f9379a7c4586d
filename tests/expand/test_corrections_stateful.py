"""Random sequences of savings and loan postings and their corrections.

A model in plain Python predicts every balance and whether a correction must be
refused (a reversed deposit may not overdraw; only a loan's latest payment may be
reversed; a disbursement only while nothing is repaid).  After every step the
plugins' views (deposit rows, installments, payments, outstanding, laporan
pinjaman's loan figures) equal the ledger, and a refused correction changed nothing.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from test_loan_helpers import LOANS, PRODUCTS, Clock, Staff, add_member, dump, idr

from dyncrm.app import CRM
from dyncrm.db.models import JournalEntry
from dyncrm.errors import DyncrmError, ValidationError
from dyncrm.testing import build_config
from dyncrm_expand import loans, savings
from dyncrm_expand.loans import corrections as loan_corrections
from dyncrm_expand.loans.models import Loan, LoanInstallment, LoanPayment
from dyncrm_expand.savings import corrections as savings_corrections
from dyncrm_expand.savings.models import SavingsDeposit


class PostAndCorrect(RuleBasedStateMachine):
    """One member: sukarela deposits and withdrawals, a loan and its repayments, corrected."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="dyncrm-corrections-")
        self.clock = Clock(dt.date(2025, 1, 6))
        config = build_config(Path(self.tmp), LOANS, {"expand.loans": {"products": PRODUCTS}})
        self.crm = CRM(config, clock=self.clock)
        self.crm.upgrade()
        self.people = Staff(self.crm)
        self.member, applicant = add_member(self.crm, "Ani", joined=dt.date(2023, 1, 2),
                                            login="ani")
        self.applicant = applicant
        self.refs = 0
        # the model
        self.sukarela = 0
        self.deposits: dict[str, int] = {}     # standing deposits: reference -> amount
        self.withdrawals: dict[str, int] = {}  # standing withdrawals
        self.loan_id: int | None = None
        self.payments: list[tuple[str, list]] = []  # standing payments, with the schedule
        # before each

    def teardown(self) -> None:
        self.crm.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _ref(self, prefix: str) -> str:
        self.refs += 1
        return f"{prefix}{self.refs}"

    def _schedule(self) -> list:
        return [(i.number, i.principal_paid, i.interest_paid, i.interest_waived,
                 i.penalty_assessed, i.penalty_paid, i.penalty_periods, i.paid_on)
                for i in LoanInstallment.select().where(LoanInstallment.loan == self.loan_id)
                .order_by(LoanInstallment.number)]

    def _refused(self, action, match: str) -> None:
        before = dump(self.crm)
        try:
            action()
        except ValidationError as exc:
            assert match in str(exc), str(exc)
            assert dump(self.crm) == before
            return
        raise AssertionError(f"should have been refused ({match})")

    # -- savings -----------------------------------------------------------------------

    @rule(amount=st.integers(1, 40).map(lambda n: n * 50_000))
    def deposit(self, amount) -> None:
        ref = self._ref("S")
        savings.deposit(self.crm, self.people.cashier, self.member, "sukarela", idr(amount),
                        method="cash", reference=ref)
        self.deposits[ref] = amount
        self.sukarela += amount

    @precondition(lambda self: self.sukarela > 0)
    @rule(share=st.integers(1, 100))
    def withdraw(self, share) -> None:
        amount = max(1, self.sukarela * share // 100)
        ref = self._ref("W")
        savings.withdraw(self.crm, self.people.cashier, self.member, idr(amount),
                         reference=ref)
        self.withdrawals[ref] = amount
        self.sukarela -= amount

    @precondition(lambda self: self.deposits)
    @rule(index=st.integers(0, 1000))
    def correct_deposit(self, index) -> None:
        ref = sorted(self.deposits)[index % len(self.deposits)]
        entry = JournalEntry.get(JournalEntry.key == f"deposit:{ref}").id
        amount = self.deposits[ref]

        def run():
            return savings_corrections.reverse_entry(self.crm, self.people.treasurer, entry,
                                                     reason="salah catat")

        if amount > self.sukarela:
            self._refused(run, "never overdraws")
            return
        assert run().done
        assert SavingsDeposit.get(SavingsDeposit.reference == ref).status == "reversed"
        del self.deposits[ref]
        self.sukarela -= amount

    @precondition(lambda self: self.withdrawals)
    @rule(index=st.integers(0, 1000))
    def correct_withdrawal(self, index) -> None:
        ref = sorted(self.withdrawals)[index % len(self.withdrawals)]
        entry = JournalEntry.get(JournalEntry.key == f"withdrawal:{ref}").id
        assert savings_corrections.reverse_entry(self.crm, self.people.treasurer, entry,
                                                 reason="batal").done
        self.sukarela += self.withdrawals.pop(ref)

    # -- loans -------------------------------------------------------------------------

    @precondition(lambda self: self.loan_id is None or
                  Loan.get_by_id(self.loan_id).stage in ("approved", "closed"))
    @rule(amount=st.integers(5, 30).map(lambda n: n * 100_000), term=st.integers(2, 12))
    def lend(self, amount, term) -> None:
        if self.loan_id is not None and Loan.get_by_id(self.loan_id).stage == "approved":
            loan_id = self.loan_id  # a reversed disbursement: disburse it again
        else:
            loan, _ = loans.apply(self.crm, self.people.secretary, self.member, "efektif",
                                  idr(amount), term=term)
            loans.approve(self.crm, self.people.committee, loan.id, override="test")
            loan_id = loan.id
        loans.disburse(self.crm, self.people.treasurer, loan_id, method="transfer",
                       reference=self._ref("D"))
        self.loan_id = loan_id
        self.payments = []

    @rule(days=st.integers(1, 45))
    def time_passes(self, days) -> None:
        self.clock.day += dt.timedelta(days=days)

    @precondition(lambda self: self.loan_id is not None
                  and Loan.get_by_id(self.loan_id).stage == "disbursed")
    @rule(amount=st.integers(1, 30).map(lambda n: n * 50_000))
    def repay(self, amount) -> None:
        before = self._schedule()
        ref = self._ref("R")
        result = loans.repay(self.crm, self.people.cashier, self.loan_id, idr(amount),
                             method="cash", reference=ref)
        self.payments.append((ref, before))
        self.sukarela += int(result.payment.overpayment.amount)

    @precondition(lambda self: self.payments)
    @rule(index=st.integers(0, 1000))
    def correct_repayment(self, index) -> None:
        ref, before = self.payments[index % len(self.payments)]
        entry = JournalEntry.get(JournalEntry.key == f"loans.repayment:{ref}").id
        over = LoanPayment.get(LoanPayment.reference == ref).overpayment

        def run():
            return loan_corrections.reverse_entry(self.crm, self.people.treasurer, entry,
                                                  reason="cek ditolak")

        if ref != self.payments[-1][0]:
            self._refused(run, "reverse the later payments first")
            return
        if over > self.sukarela:
            self._refused(run, "cannot be taken back")
            return
        assert run().done
        assert self._schedule() == before  # installments and denda as before the payment
        assert Loan.get_by_id(self.loan_id).stage == "disbursed"
        self.payments.pop()
        self.sukarela -= over

    @precondition(lambda self: self.loan_id is not None
                  and Loan.get_by_id(self.loan_id).stage == "disbursed")
    @rule()
    def correct_disbursement(self) -> None:
        entry = (JournalEntry.select().where(JournalEntry.kind == "loans.disbursement",
                                             JournalEntry.member == self.member)
                 .order_by(JournalEntry.id.desc()).first().id)

        def run():
            return loan_corrections.reverse_entry(self.crm, self.people.treasurer, entry,
                                                  reason="salah rekening")

        if self.payments:
            self._refused(run, "reverse them first")
            return
        assert run().done
        assert Loan.get_by_id(self.loan_id).stage == "approved"

    @rule(index=st.integers(0, 1000))
    def ledger_reverse_is_always_refused(self, index) -> None:
        owned = list(JournalEntry.select(JournalEntry.id).where(
            JournalEntry.owner.is_null(False)).order_by(JournalEntry.id))
        if not owned:
            return
        entry = owned[index % len(owned)].id
        before = dump(self.crm)
        try:
            with self.crm.action("ledger.reverse", self.people.treasurer):
                self.crm.ledger.reverse(entry, actor="bendahara")
        except DyncrmError as exc:
            assert "belongs to" in str(exc)
        else:
            raise AssertionError("ledger reverse of an owned entry went through")
        assert dump(self.crm) == before

    # -- the views equal the ledger ------------------------------------------------------

    @invariant()
    def savings_equal_the_ledger(self) -> None:
        assert savings.balance(self.crm, self.member, "sukarela") == idr(self.sukarela)
        posted = {d.reference: d.amount for d in SavingsDeposit.select().where(
            SavingsDeposit.status == "posted", SavingsDeposit.product == "sukarela")}
        assert posted == self.deposits

    @invariant()
    def loans_equal_the_ledger(self) -> None:
        ledger = self.crm.ledger
        insts = list(LoanInstallment.select())
        standing = list(LoanPayment.select().where(LoanPayment.reversed_by.is_null()))
        assert {p.reference for p in standing} >= {r for r, _ in self.payments}
        owed = sum(i.principal - i.principal_paid for i in insts)
        assert ledger.balance_or_zero("loans.principal", self.member) == idr(owed)
        assert ledger.balance_or_zero("income.loan_interest", self.member) == idr(
            sum(i.interest_paid for i in insts))
        assert ledger.balance_or_zero("income.loan_penalty", self.member) == idr(
            sum(i.penalty_paid for i in insts))
        assert sum(p.principal for p in standing) == sum(i.principal_paid for i in insts)
        for lo in loans.list_loans(self.crm, member_id=self.member):
            if lo.stage in ("disbursed", "closed"):
                assert loans.outstanding(self.crm, lo.id) == idr(sum(
                    i.principal - i.principal_paid for i in insts if i.loan_id == lo.id))
            else:
                assert not [i for i in insts if i.loan_id == lo.id]
        assert all(v == 0 for v in ledger.trial_balance().values())


TestPostAndCorrect = PostAndCorrect.TestCase
TestPostAndCorrect.settings = settings(max_examples=30, stateful_step_count=30, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow])
