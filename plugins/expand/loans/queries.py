"""Reading loans: values, schedules, arrears, collectibility, due items, segments.

Everything that lists many loans (overdue installments, collectibility grades,
due items, segments) is one grouped SQL query, whatever the number of loans.
Shared helpers of the loan modules (settings, the stage machine, row → value)
live here too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from peewee import Case, fn

from dyncrm.dates import as_date
from dyncrm.db import prepared
from dyncrm.db.models import Member
from dyncrm.errors import NotFoundError, ValidationError
from dyncrm.i18n import N_
from dyncrm.lifecycle import StateMachine
from dyncrm.money import Money, from_minor, to_minor
from dyncrm.values import DueItem
from dyncrm_expand.loans.models import Loan, LoanEvent, LoanInstallment, LoanPayment
from dyncrm_expand.loans.products import LoanProduct, LoansSettings, terms_from_json
from dyncrm_expand.loans.schedule import (
    add_months,
    penalty_per_period,
    penalty_periods,
    round_half_even,
)
from dyncrm_expand.loans.values import (
    InstallmentInfo,
    LoanGrade,
    LoanInfo,
    OverdueItem,
    PaymentInfo,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from dyncrm.app import CRM

PLUGIN = "expand.loans"

#: The loan lifecycle of DESIGN §3.  ``close`` is taken by the engine when the
#: last installment is paid, ``reopen`` when a leaving member's settlement that
#: closed the loan is cancelled; people take the other actions.
LOAN_STAGES = StateMachine("loan", {
    "submitted": {"approve": "approved", "reject": "rejected", "withdraw": "withdrawn"},
    "approved": {"disburse": "disbursed", "withdraw": "withdrawn"},
    "disbursed": {"close": "closed", "write_off": "written_off",
                  "reverse_disbursement": "approved"},
    "rejected": {},
    "withdrawn": {},
    "closed": {"reopen": "disbursed"},
    "written_off": {},
})
#: Stages in which a loan counts as "active" for the one-loan-at-a-time rule.
ACTIVE_STAGES = ("submitted", "approved", "disbursed")


def settings(crm: CRM) -> LoansSettings:
    """The parsed ``[plugins."expand.loans"]`` settings."""
    return crm.plugin_config(PLUGIN)


def product(crm: CRM, code: str) -> LoanProduct:
    """The configured product ``code`` (``ValidationError`` listing the known ones)."""
    products = settings(crm).products
    if code not in products:
        known = ", ".join(sorted(products)) or "none configured"
        raise ValidationError(f"unknown loan product {code!r}; products: {known}",
                              field="product")
    return products[code]


def units(crm: CRM, money: Money) -> int:
    """Minor units of an amount of the organisation's currency."""
    if money.currency != crm.currency:
        raise ValidationError(f"loans are in {crm.currency}, not {money.currency}",
                              field="amount")
    return to_minor(money, crm.ledger.exponent(money.currency))


def money(crm: CRM, amount_units: int, currency: str | None = None) -> Money:
    """Money from minor units of ``currency`` (default: the organisation's)."""
    currency = currency or crm.currency
    return from_minor(int(amount_units), currency, crm.ledger.exponent(currency))


def label(row: Loan) -> str:
    """How messages name a loan."""
    return N_("loan {id}").format(id=row.id)  # translated inside the sentence


def loan_row(loan_id: int) -> Loan:
    """The loan row (``NotFoundError`` when unknown)."""
    row = Loan.get_or_none(Loan.id == int(loan_id))
    if row is None:
        raise NotFoundError("loan", loan_id)
    return row


def terms(row: Loan) -> LoanProduct:
    """The product terms the loan copied at application."""
    return terms_from_json(row.terms)


def loan_info(crm: CRM, row: Loan, *, money_of: Callable[[int], Money] | None = None
              ) -> LoanInfo:
    """The immutable view of a loan row (``money_of`` as in :func:`payment_info`, for
    loans in the organisation's currency)."""
    t = row.terms
    m = money_of or (lambda v: money(crm, v, row.currency))
    return LoanInfo(
        id=row.id, member_id=row.member_id, product=row.product,
        product_name=t.get("name", row.product), method=t["method"], rate=t["rate"],
        rate_unit=t["rate_unit"], amount=m(row.amount),
        principal=m(row.principal), term=row.term, stage=row.stage,
        purpose=row.purpose, applied_on=as_date(row.applied_on), applied_by=row.applied_by,
        decided_on=as_date(row.decided_on), decided_by=row.decided_by,
        decision_reason=row.decision_reason, disbursed_on=as_date(row.disbursed_on),
        closed_on=as_date(row.closed_on), reasons=tuple(row.reasons or ()),
    )


def get(crm: CRM, loan_id: int) -> LoanInfo:
    """The loan ``loan_id``."""
    return loan_info(crm, loan_row(loan_id))


def list_loans(crm: CRM, *, member_id: int | None = None, stage: str | None = None
               ) -> list[LoanInfo]:
    """Loans, newest first, optionally of one member and/or in one stage."""
    query = Loan.select().order_by(Loan.id.desc())
    if member_id is not None:
        query = query.where(Loan.member == member_id)
    if stage is not None:
        if stage not in LOAN_STAGES.stages:
            raise ValidationError(f"stage must be one of {', '.join(LOAN_STAGES.stages)}",
                                  field="stage")
        query = query.where(Loan.stage == stage)
    return [loan_info(crm, row) for row in query]


def installment_info(crm: CRM, row: LoanInstallment, currency: str) -> InstallmentInfo:
    """The immutable view of an installment row."""
    def m(v: int) -> Money:
        return money(crm, v, currency)
    return InstallmentInfo(
        number=row.number, due_on=as_date(row.due_on), principal=m(row.principal),
        interest=m(row.interest), principal_paid=m(row.principal_paid),
        interest_paid=m(row.interest_paid), interest_waived=m(row.interest_waived),
        penalty_assessed=m(row.penalty_assessed), penalty_paid=m(row.penalty_paid),
        paid_on=as_date(row.paid_on),
    )


def installments(crm: CRM, loan_id: int) -> list[InstallmentInfo]:
    """The stored schedule of a disbursed loan, with what is paid (empty before)."""
    row = loan_row(loan_id)
    rows = (LoanInstallment.select().where(LoanInstallment.loan == row.id)
            .order_by(LoanInstallment.number))
    return [installment_info(crm, r, row.currency) for r in rows]


def payment_info(crm: CRM, p: LoanPayment, member_id: int, currency: str, *,
                 money_of: Callable[[int], Money] | None = None) -> PaymentInfo:
    """The immutable view of a payment row.

    ``money_of``: the amount of so many minor units of ``currency`` (batch work
    passes one that remembers the amounts it made; the default converts each).
    """
    m = money_of or (lambda v: money(crm, v, currency))
    return PaymentInfo(
        id=p.id, loan_id=p.loan_id, member_id=member_id, reference=p.reference,
        method=p.method, on=as_date(p.effective_date), amount=m(p.amount),
        penalty=m(p.penalty), interest=m(p.interest), principal=m(p.principal),
        overpayment=m(p.overpayment), payoff=bool(p.payoff), actor=p.actor,
        reversed=p.reversed_by is not None,
    )


def payments(crm: CRM, loan_id: int) -> list[PaymentInfo]:
    """Repayments of a loan, oldest first."""
    row = loan_row(loan_id)
    query = (LoanPayment.select().where(LoanPayment.loan == row.id)
             .order_by(LoanPayment.effective_date, LoanPayment.id))
    return [payment_info(crm, p, row.member_id, row.currency) for p in query]


def events(loan_id: int) -> list[dict[str, Any]]:
    """The loan's history: each action, its actor, reason and the reasons on the table."""
    query = LoanEvent.select().where(LoanEvent.loan == int(loan_id)).order_by(LoanEvent.id)
    return [{"action": e.action, "stage": e.stage, "actor": e.actor, "on": as_date(
        e.effective_date), "reason": e.reason, "reasons": list(e.reasons or []),
        "override": e.override} for e in query]


def outstanding_units(loan_id: int) -> int:
    """Principal still owed on a loan, in minor units (0 before disbursement)."""
    value = (LoanInstallment
             .select(fn.COALESCE(fn.SUM(LoanInstallment.principal
                                        - LoanInstallment.principal_paid), 0))
             .where(LoanInstallment.loan == int(loan_id)).scalar())
    return int(value or 0)


def outstanding(crm: CRM, loan_id: int) -> Money:
    """Principal still owed on a loan."""
    row = loan_row(loan_id)
    return money(crm, outstanding_units(row.id), row.currency)


# -- denda -------------------------------------------------------------------------


def fixed_penalty_units(crm: CRM, t: LoanProduct) -> int:
    """The fixed per-day denda of a product in minor units."""
    return round_half_even(Fraction(t.penalty.fixed) * 10 ** crm.ledger.exponent(crm.currency))


def unpaid_base(inst: Any) -> int:
    """Principal and interest still owed on an installment row (denda excluded)."""
    return (inst.principal - inst.principal_paid) + (
        inst.interest - inst.interest_paid - inst.interest_waived)


def pending_penalty(t: LoanProduct, inst: Any, on: dt.date, fixed_units: int, *,
                    memo: dict | None = None) -> tuple[int, int]:
    """``(periods, units)`` of denda an installment row has incurred by ``on`` and
    that is not assessed yet.

    The unpaid amount has not changed since the last assessment (every payment
    assesses first), so all new periods are charged on today's unpaid amount.
    ``memo``: a dict kept across calls (batch work) in which the periods of each
    due date and the denda of each unpaid amount are worked out once.
    """
    if inst.paid_on is not None:
        return inst.penalty_periods, 0
    rule = t.penalty
    key = (rule.kind, rule.grace_days, rule.max_periods, inst.due_on, on)
    periods = memo.get(key) if memo is not None else None
    if periods is None:
        periods = penalty_periods(rule.kind, as_date(inst.due_on), on,
                                  grace_days=rule.grace_days, max_periods=rule.max_periods)
        if memo is not None:
            memo[key] = periods
    new = periods - inst.penalty_periods
    if new <= 0:
        return inst.penalty_periods, 0
    base = unpaid_base(inst)
    key = (rule.kind, rule.percent, fixed_units, base)
    per = memo.get(key) if memo is not None else None
    if per is None:
        per = penalty_per_period(rule.kind, base, percent=rule.percent,
                                 fixed_units=fixed_units)
        if memo is not None:
            memo[key] = per
    return periods, new * per


# -- many loans at once ------------------------------------------------------------


def overdue(crm: CRM, on: dt.date | None = None, *, member_id: int | None = None,
            loan_id: int | None = None) -> list[OverdueItem]:
    """Unpaid installments of disbursed loans past their due date on ``on``.

    One query over all loans; the denda shown includes what would be assessed
    if the member paid on ``on``.
    """
    on = on or crm.today()
    query = (LoanInstallment.select(LoanInstallment, Loan)
             .join(Loan)
             .where(Loan.stage == "disbursed", LoanInstallment.paid_on.is_null(),
                    LoanInstallment.due_on < on)
             .order_by(LoanInstallment.due_on, Loan.id, LoanInstallment.number))
    if member_id is not None:
        query = query.where(Loan.member == member_id)
    if loan_id is not None:
        query = query.where(Loan.id == loan_id)
    items = []
    terms_cache: dict[int, tuple[LoanProduct, int]] = {}
    for inst in query:
        loan = inst.loan
        if loan.id not in terms_cache:
            t = terms(loan)
            terms_cache[loan.id] = (t, fixed_penalty_units(crm, t))
        t, fixed = terms_cache[loan.id]
        _, pending = pending_penalty(t, inst, on, fixed)
        due_on = as_date(inst.due_on)
        items.append(OverdueItem(
            loan_id=loan.id, member_id=loan.member_id, number=inst.number, due_on=due_on,
            days_past_due=(on - due_on).days,
            unpaid=money(crm, unpaid_base(inst), loan.currency),
            penalty=money(crm, inst.penalty_assessed - inst.penalty_paid + pending,
                          loan.currency)))
    return items


def collectibility(crm: CRM, on: dt.date | None = None, *,
                   member_id: int | None = None) -> list[LoanGrade]:
    """Collectibility grade of every disbursed loan on ``on``, in one grouped query.

    Days past due count from the due date of the oldest installment that was
    unpaid on ``on``; grades come from ``collectibility`` in the settings.
    """
    on = on or crm.today()
    late = ((LoanInstallment.due_on < on)
            & (LoanInstallment.paid_on.is_null() | (LoanInstallment.paid_on > on)))
    oldest = fn.MIN(Case(None, [(late, LoanInstallment.due_on)], None))
    query = (LoanInstallment
             .select(Loan.id, Loan.member, Loan.currency, oldest.alias("oldest"),
                     fn.SUM(LoanInstallment.principal - LoanInstallment.principal_paid)
                     .alias("outstanding"))
             .join(Loan)
             .where(Loan.stage == "disbursed")
             .group_by(Loan.id, Loan.member, Loan.currency)
             .order_by(Loan.id))
    if member_id is not None:
        query = query.where(Loan.member == member_id)
    cfg = settings(crm)
    grades = []
    for row in query.dicts().iterator():
        oldest_due = as_date(row["oldest"])
        dpd = (on - oldest_due).days if oldest_due else 0
        grades.append(LoanGrade(loan_id=row["id"], member_id=row["member"],
                                days_past_due=dpd, grade=cfg.grade(dpd),
                                outstanding=money(crm, int(row["outstanding"] or 0),
                                                  row["currency"])))
    return grades


#: Unpaid installments of disbursed loans due by a date, with what is owed of each
#: (denda assessed included) and their loan's product, term and terms text.
_DUE_ITEMS_SQL = (
    "SELECT l.id, l.member_id, l.product, l.term, l.currency, COALESCE(l.terms, '{}'), "
    "i.number, i.due_on, i.principal - i.principal_paid + i.interest - i.interest_paid "
    "- i.interest_waived + i.penalty_assessed - i.penalty_paid "
    "FROM loan_installment i JOIN loan l ON l.id = i.loan_id "
    "WHERE l.stage = 'disbursed' AND i.paid_on IS NULL AND i.due_on <= {p} "
    "ORDER BY i.due_on, l.id, i.number")


def due_items(crm: CRM, on: dt.date) -> list[DueItem]:
    """Unpaid installments due up to ``reminder_lookahead_days`` after ``on`` (and all
    overdue ones), as reminder items ``loans.installment`` keyed ``loan:<id>:inst:<n>``.

    One statement of the needed columns (SQL text written once), read as plain
    rows; a loan's terms (JSON) are read once per distinct text, each distinct
    amount and due date converted once.
    """
    import json

    horizon = on + dt.timedelta(days=settings(crm).reminder_lookahead_days)
    db = crm.database
    names: dict[tuple[str, str], str] = {}
    amounts: dict[tuple[int, str], Money] = {}
    dates: dict[Any, dt.date] = {}
    items = []
    for loan_id, member_id, product, term, currency, terms_text, number, due_on, units \
            in db.execute_sql(prepared.sql(db, _DUE_ITEMS_SQL), [horizon.isoformat()]):
        name = names.get((product, terms_text))
        if name is None:
            try:
                parsed = json.loads(terms_text) if terms_text else {}
            except ValueError:
                parsed = {}
            name = parsed.get("name", product) if isinstance(parsed, dict) else product
            names[(product, terms_text)] = name
        amount = amounts.get((units, currency))
        if amount is None:
            amount = amounts[(units, currency)] = money(crm, units, currency)
        due = dates.get(due_on)
        if due is None:
            due = dates[due_on] = as_date(due_on)
        items.append(DueItem(
            key=f"loan:{loan_id}:inst:{number}", kind="loans.installment",
            member_id=member_id, due_on=due, amount=amount,
            description=f"installment {number} of {term} of loan {loan_id} ({name})",
            context={"loan_id": loan_id, "installment": number, "term": term,
                     "product": product, "product_name": name},
        ))
    return items


def monthly_deductions(crm: CRM, member_id: int, month: dt.date) -> list[tuple[str, Money]]:
    """Installments (principal + interest as scheduled) of a member's disbursed loans
    falling due in the calendar month of ``month``."""
    first = month.replace(day=1)
    after = add_months(first, 1)
    query = (LoanInstallment.select(LoanInstallment, Loan).join(Loan)
             .where(Loan.member == member_id, Loan.stage == "disbursed",
                    LoanInstallment.due_on >= first, LoanInstallment.due_on < after)
             .order_by(Loan.id, LoanInstallment.number))
    return [(f"loan {i.loan.id} installment {i.number}",
             money(crm, i.principal + i.interest - i.interest_waived, i.loan.currency))
            for i in query]


def segment(crm: CRM, name: str, on: dt.date) -> frozenset[int] | None:
    """Member ids of the loan segments ``without_loan``, ``with_loan`` and ``loan_overdue``.

    A member "has a loan" on ``on`` when one was disbursed on or before it and
    not closed or written off before it.  ``without_loan`` is the active members
    without one.  Other names: ``None``.
    """
    if name not in ("without_loan", "with_loan", "loan_overdue"):
        return None
    closed_before = Loan.closed_on.is_null(False) & (Loan.closed_on <= on)
    holding = (Loan.select(Loan.member).distinct()
               .where(Loan.disbursed_on.is_null(False), Loan.disbursed_on <= on,
                      Loan.stage.in_(("disbursed", "closed", "written_off")),
                      ~closed_before))
    if name == "with_loan":
        return frozenset(r.member_id for r in holding)
    if name == "loan_overdue":
        late = (LoanInstallment.select(Loan.member).distinct().join(Loan)
                .where(Loan.stage == "disbursed", LoanInstallment.due_on < on,
                       LoanInstallment.paid_on.is_null() | (LoanInstallment.paid_on > on)))
        return frozenset(r.loan.member_id for r in late)
    active = (Member.select(Member.id)
              .where(Member.stage == "active", Member.id.not_in(holding)))
    return frozenset(r.id for r in active)


def member_summary(crm: CRM, member_id: int, on: dt.date | None = None) -> dict[str, Any]:
    """A member's loans in brief: outstanding, arrears, history (for profiles and the
    committee).  A handful of queries for one member."""
    on = on or crm.today()
    loans = list(Loan.select().where(Loan.member == member_id).order_by(Loan.id))
    by_stage: dict[str, int] = defaultdict(int)
    for row in loans:
        by_stage[row.stage] += 1
    ids = [row.id for row in loans]
    out_units = 0
    late_paid = 0
    worst_days = 0
    if ids:
        out_units = int(LoanInstallment.select(fn.COALESCE(fn.SUM(
            LoanInstallment.principal - LoanInstallment.principal_paid), 0))
            .join(Loan).where(Loan.id.in_(ids), Loan.stage == "disbursed").scalar() or 0)
        paid = (LoanInstallment.select(LoanInstallment.due_on, LoanInstallment.paid_on)
                .where(LoanInstallment.loan.in_(ids), LoanInstallment.paid_on.is_null(False)))
        for inst in paid:
            days = (as_date(inst.paid_on) - as_date(inst.due_on)).days
            if days > 0:
                late_paid += 1
                worst_days = max(worst_days, days)
    arrears = overdue(crm, on, member_id=member_id)
    arrears_units = sum(units(crm, a.unpaid) for a in arrears)
    penalty_units = sum(units(crm, a.penalty) for a in arrears)
    return {
        "loans": dict(by_stage),
        "outstanding": money(crm, out_units),
        "installments_paid_late": late_paid,
        "worst_days_late": worst_days,
        "overdue_installments": len(arrears),
        "arrears": money(crm, arrears_units),
        "penalty_owed": money(crm, penalty_units),
        "days_past_due": max((a.days_past_due for a in arrears), default=0),
    }


__all__ = [
    "ACTIVE_STAGES", "LOAN_STAGES", "as_date", "collectibility", "due_items", "events",
    "get", "installments", "list_loans", "loan_info", "member_summary", "monthly_deductions",
    "outstanding", "overdue", "payments", "segment", "settings",
]
