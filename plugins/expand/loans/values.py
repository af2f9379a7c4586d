"""Immutable values ``expand.loans`` hands to hooks, callers and the CLI."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from dyncrm.money import Money
from dyncrm.values import MemberInfo


@attrs.frozen
class LoanRequest:
    """A loan as the eligibility policy hook sees it (``dyncrm_expand_loan_eligibility``).

    ``installment`` is the largest monthly installment the loan's schedule
    would have; ``loan_id`` is ``None`` when the check runs before anything is
    recorded (e.g. a simulation).
    """

    member: MemberInfo
    product: str
    amount: Money
    term: int
    on: dt.date
    installment: Money
    loan_id: int | None = None
    purpose: str = ""


@attrs.frozen
class LoanInfo:
    """A loan as hooks and callers see it."""

    id: int
    member_id: int
    product: str
    product_name: str
    method: str
    rate: str
    rate_unit: str
    amount: Money
    principal: Money
    term: int
    stage: str
    purpose: str
    applied_on: dt.date
    applied_by: str
    decided_on: dt.date | None
    decided_by: str | None
    decision_reason: str | None
    disbursed_on: dt.date | None
    closed_on: dt.date | None
    reasons: tuple[str, ...] = ()
    #: after ``approve``: who has approved and who is still needed (dyncrm.quorum)
    approval: Any = None


@attrs.frozen
class InstallmentInfo:
    """One installment: scheduled parts, what is paid, what is still owed."""

    number: int
    due_on: dt.date
    principal: Money
    interest: Money
    principal_paid: Money
    interest_paid: Money
    interest_waived: Money
    penalty_assessed: Money
    penalty_paid: Money
    paid_on: dt.date | None

    @property
    def total(self) -> Money:
        """Scheduled principal plus interest."""
        return self.principal + self.interest

    @property
    def unpaid(self) -> Money:
        """Principal and interest still owed (denda not included)."""
        return (self.principal - self.principal_paid) + (
            self.interest - self.interest_paid - self.interest_waived)


@attrs.frozen
class InstallmentPaid:
    """An installment settled in full (``dyncrm_expand_installment_paid``).

    ``on_time``: settled on or before its due date.  ``payoff``: settled by an
    early payoff rather than as scheduled.
    """

    loan_id: int
    member_id: int
    number: int
    due_on: dt.date
    paid_on: dt.date
    on_time: bool
    amount: Money
    reference: str
    payoff: bool = False


@attrs.frozen
class PaymentInfo:
    """A recorded repayment and how it was allocated."""

    id: int
    loan_id: int
    member_id: int
    reference: str
    method: str
    on: dt.date
    amount: Money
    penalty: Money
    interest: Money
    principal: Money
    overpayment: Money
    payoff: bool
    actor: str
    reversed: bool = False


@attrs.frozen
class RepaymentResult:
    """What :func:`dyncrm_expand.loans.repay` did; ``replayed`` for a known reference."""

    payment: PaymentInfo
    replayed: bool
    closed: bool
    installments_paid: tuple[int, ...] = ()


@attrs.frozen
class DisbursementResult:
    """What :func:`dyncrm_expand.loans.disburse` did."""

    loan: LoanInfo
    paid_out: Money
    fees: tuple[tuple[str, Money], ...]
    replayed: bool


@attrs.frozen
class PayoffQuote:
    """What settles a loan in full on a date (pelunasan).

    ``total = penalty + interest_due + principal + payoff_interest``:
    denda owed, interest of installments already due, all remaining principal
    and the product's payoff interest (``interest_months`` months, never more
    than the interest still scheduled).
    """

    loan_id: int
    on: dt.date
    penalty: Money
    interest_due: Money
    principal: Money
    payoff_interest: Money
    total: Money


@attrs.frozen
class OverdueItem:
    """An unpaid installment past its due date."""

    loan_id: int
    member_id: int
    number: int
    due_on: dt.date
    days_past_due: int
    unpaid: Money
    penalty: Money  # denda owed on it as of the query date (assessed or not yet)


@attrs.frozen
class LoanGrade:
    """A disbursed loan's collectibility on a date."""

    loan_id: int
    member_id: int
    days_past_due: int
    grade: str
    outstanding: Money


@attrs.frozen
class Simulation:
    """A schedule computed before anyone applies."""

    method: str
    rate: str
    rate_unit: str
    amount: Money
    principal: Money
    term: int
    fees: tuple[tuple[str, str, Money], ...]
    rows: tuple[dict[str, Any], ...]
    total_interest: Money
    total_paid: Money

