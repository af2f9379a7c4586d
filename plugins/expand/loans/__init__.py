"""``expand.loans``: loan products, credit-committee decisions, schedules and repayments.

The public API (all take the ``crm`` first; those that change data take the
acting ``actor`` and run as one ``crm.action``):

- :func:`apply`, :func:`approve`, :func:`reject`, :func:`withdraw`,
  :func:`disburse`, :func:`write_off` — the loan lifecycle
  (submitted → approved | rejected | withdrawn; approved → disbursed → closed |
  written_off), with four eyes on approval;
- :func:`repay` and :func:`payoff_quote` — repayments, denda and early payoff;
  :func:`repay_many` — thousands of repayments in one action, set-based (payroll);
- :func:`get`, :func:`list_loans`, :func:`installments`, :func:`payments`,
  :func:`events`, :func:`outstanding`, :func:`committee_view`,
  :func:`overdue`, :func:`collectibility`, :func:`simulate`.

Settings: :mod:`dyncrm_expand.loans.products`.  Schedule maths:
:mod:`dyncrm_expand.loans.schedule`.  Ledger accounts: docs/accounts.md.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from dyncrm.hookspecs import hookimpl
from dyncrm.inputs import parse_term
from dyncrm.money import Money, parse_rate
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Permission, Product
from dyncrm_expand.loans.bulk import Repayment, repay_many
from dyncrm_expand.loans.chart import dyncrm_chart_accounts  # noqa: F401  (hook)
from dyncrm_expand.loans.eligibility import (
    build_request,
    deductions,
    product_reasons,
    take_home_pay,
)
from dyncrm_expand.loans.lifecycle import (
    FourEyesViolation,
    apply,
    approve,
    disburse,
    recheck,
    reject,
    withdraw,
    write_off,
)
from dyncrm_expand.loans.products import LoanProduct, LoansSettings, fee_amounts
from dyncrm_expand.loans.queries import (
    LOAN_STAGES,
    collectibility,
    due_items,
    events,
    get,
    installments,
    list_loans,
    loan_row,
    member_summary,
    money,
    monthly_deductions,
    outstanding,
    overdue,
    payments,
    segment,
    settings,
    units,
)
from dyncrm_expand.loans.repayment import (
    apply_settlement,
    payoff_quote,
    repay,
    settlement_lines,
    undo_settlement,
)
from dyncrm_expand.loans.schedule import canonical_method, due_dates, total_interest
from dyncrm_expand.loans.values import (
    InstallmentPaid,
    LoanInfo,
    LoanRequest,
    PayoffQuote,
    Simulation,
)

if TYPE_CHECKING:
    from dyncrm.app import CRM

PLUGIN = "expand.loans"


# -- simulation and the committee's view ----------------------------------------------


def simulate(crm: CRM, *, amount: Money, term: int, product: str | None = None,
             method: str | None = None, rate: str | None = None,
             rate_unit: str | None = None, start: dt.date | None = None) -> Simulation:
    """The schedule a loan would have, before anyone applies.

    Either a configured ``product`` (its method, rate, fees and due day;
    ``method``, ``rate`` and ``rate_unit`` override them), or an explicit
    ``method``, ``rate`` (percent, as text: ``"1"``, ``"1,5"``) and
    ``rate_unit`` (``per_month``/``per_year``).  Due dates start the month
    after ``start`` (default today).
    """
    from dyncrm.errors import ValidationError
    from dyncrm_expand.loans.queries import product as get_product

    term = parse_term(term)
    base = get_product(crm, product) if product else None
    if base is not None and not base.term_min <= term <= base.term_max:
        raise ValidationError(f"{product} loans run {base.term_min} to {base.term_max} months",
                              field="term")
    if rate is None and base is None:
        raise ValidationError("give a product or a rate", field="rate")
    changes: dict[str, Any] = {}
    if rate is not None:
        changes["rate"] = parse_rate(rate if isinstance(rate, Decimal) else str(rate),
                                     field="rate")
    try:
        if method:
            changes["method"] = canonical_method(method)
        if rate_unit:
            changes["rate_unit"] = rate_unit
        if base is None:
            start_day = (start or crm.today()).day
            t = LoanProduct(name="simulation", method=changes.get("method", method or ""),
                            rate=changes["rate"], rate_unit=changes.get("rate_unit",
                                                                        "per_month"),
                            term_min=1, term_max=max(term, 1), due_day=min(start_day, 31))
        else:
            t = attrs.evolve(base, **changes)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    return simulate_terms(crm, t, amount, term, start=start)


def simulate_terms(crm: CRM, t: LoanProduct, amount: Money, term: int, *,
                   start: dt.date | None = None) -> Simulation:
    """The schedule of a loan on terms ``t`` (see :func:`simulate`)."""
    from dyncrm.errors import ValidationError

    term = parse_term(term)
    amount_units = units(crm, amount)
    if amount_units <= 0:
        raise ValidationError("must be above zero", field="amount")
    fees = fee_amounts(t, amount_units, crm.ledger.exponent(crm.currency))
    principal = amount_units + sum(u for _, mode, u in fees if mode == "added")
    rows = t.schedule(principal, term, crm.ledger.exponent(crm.currency))
    dates = due_dates(start or crm.today(), term, t.due_day)
    remaining = principal
    table = []
    for row, due in zip(rows, dates, strict=True):
        remaining -= row.principal
        table.append({"number": row.number, "due_on": due,
                      "principal": money(crm, row.principal),
                      "interest": money(crm, row.interest),
                      "installment": money(crm, row.total),
                      "remaining": money(crm, remaining)})
    interest = total_interest(rows)
    return Simulation(method=t.method, rate=f"{t.rate:f}", rate_unit=t.rate_unit,
                      amount=amount, principal=money(crm, principal), term=term,
                      fees=tuple((n, mode, money(crm, u)) for n, mode, u in fees),
                      rows=tuple(table), total_interest=money(crm, interest),
                      total_paid=money(crm, principal + interest))


def preview(crm: CRM, loan_id: int) -> Simulation:
    """The schedule a loan not yet disbursed would get if paid out today."""
    from dyncrm_expand.loans.queries import terms

    row = loan_row(loan_id)
    return simulate_terms(crm, terms(row), money(crm, row.amount), row.term)


def committee_view(crm: CRM, loan_id: int, on: dt.date | None = None) -> dict[str, Any]:
    """Everything the credit committee weighs: the loan, today's eligibility reasons,
    the member's savings, repayment history and arrears, take-home pay and
    monthly deductions, and the loan's history of decisions."""
    from dyncrm_expand import savings

    on = on or crm.today()
    loan = get(crm, loan_id)
    member = crm.member(loan.member_id)
    reasons = recheck(crm, loan_id, on) if loan.stage == "submitted" else list(loan.reasons)
    month = on.replace(day=1)
    details: dict[str, Any] = {}
    for result in crm.hook.dyncrm_member_details(crm=crm, member=member):
        details.update(result or {})
    return {
        "loan": loan,
        "member": member,
        "reasons": reasons,
        "savings": savings.balances(crm, member.id, as_of=on),
        "history": member_summary(crm, member.id, on),
        "take_home_pay": take_home_pay(crm, member.id),
        "deductions": deductions(crm, member.id, month),
        "details": details,
        "events": events(loan_id),
    }


# -- hooks ------------------------------------------------------------------------------


spec = PluginSpec(
    PLUGIN,
    web="dyncrm_expand.loans.web:dyncrm_web",
    settings=LoansSettings,
    models="dyncrm_expand.loans.models:MODELS",
    migrations="migrations",
    templates="templates",
    commands="dyncrm_expand.loans.cli:register",
    permissions=[
        Permission("loans.apply", frozenset({"member", "secretary", "cashier", "admin"}),
                   "apply for a loan (members for themselves, staff for a member)"),
        Permission("loans.view", frozenset({"admin", "secretary", "treasurer", "cashier",
                                            "credit_committee"}),
                   "see every member's loans (members always see their own)"),
        Permission("loans.decide", frozenset({"credit_committee"}),
                   "approve or reject loan applications"),
        Permission("loans.disburse", frozenset({"treasurer"}), "pay out approved loans"),
        Permission("loans.repay", frozenset({"cashier", "treasurer"}),
                   "record loan repayments"),
        Permission("loans.write_off", frozenset({"treasurer"}),
                   "write off a loan judged uncollectable"),
        Permission("loans.correct", frozenset({"treasurer", "admin"}),
                   "correct a posted repayment or disbursement (dyncrm loan reverse)"),
    ],
    requires=("expand.savings",),
)
spec.export(globals())


@hookimpl
def dyncrm_receipt_kinds(crm):
    """A disbursement gets its proof (bukti pembayaran pinjaman), a repayment its receipt."""
    from dyncrm.receipts import ReceiptKind

    return [
        ReceiptKind("loans.disbursement", "Loan disbursement proof", ("loans.disbursement",),
                    "out", template="loans/disbursement_proof.html"),
        ReceiptKind("loans.repayment", "Loan repayment receipt", ("loans.repayment",), "in"),
    ]


@hookimpl
def dyncrm_expand_loan_eligibility(crm, request):
    return product_reasons(crm, request)


@hookimpl
def dyncrm_expand_monthly_deductions(crm, member_id, month):
    return monthly_deductions(crm, member_id, month)


@hookimpl
def dyncrm_retain_due_items(crm, on):
    return due_items(crm, on)


@hookimpl
def dyncrm_acquire_segment(crm, name, on):
    return segment(crm, name, on)


@hookimpl
def dyncrm_acquire_products(crm):
    return [Product(code=code, name=p.name, kind="loan", plugin=PLUGIN,
                    description=p.description or _describe(crm, p))
            for code, p in sorted(settings(crm).products.items())]


def _describe(crm: CRM, p: LoanProduct) -> str:
    unit = "month" if p.rate_unit == "per_month" else "year"
    text = f"{p.rate:f}% per {unit} {p.method}, {p.term_min}-{p.term_max} months"
    if p.limits.max_amount is not None:
        text += f", up to {crm.format_money(crm.money(p.limits.max_amount))}"
    return text


@hookimpl
def dyncrm_member_details(crm, member):
    summary = member_summary(crm, member.id)
    if not summary["loans"]:
        return None
    details = {"Loans outstanding": crm.format_money(summary["outstanding"])}
    if summary["overdue_installments"]:
        details["Loan arrears"] = (f"{crm.format_money(summary['arrears'])} in "
                                   f"{summary['overdue_installments']} installments, "
                                   f"{summary['days_past_due']} days past due")
    return details


@hookimpl
def dyncrm_expand_settlement_lines(crm, member, on):
    from dyncrm_expand.deactivation import SettlementLine

    return [SettlementLine(code=line["code"], label=line["label"], amount=line["amount"],
                           account=line["account"], plugin=PLUGIN)
            for line in settlement_lines(crm, member.id, on)] or None


@hookimpl
def dyncrm_opening_sheets(crm):
    """The ``pinjaman`` sheet of ``dyncrm opening import``: loans running at the cut-over."""
    from dyncrm_expand.loans.opening import opening_sheet

    return [opening_sheet()]


@hookimpl
def dyncrm_ledger_owners():
    """Repayments, disbursements and write-offs belong to the loans (``loan reverse``)."""
    from dyncrm_expand.loans.corrections import OWNERS

    return OWNERS


@hookimpl
def dyncrm_transaction_posted(crm, entry):
    """A deactivation settlement pays off (or its reversal restores) the member's loans."""
    if entry.kind == "deactivation.settlement":
        apply_settlement(crm, entry)
    elif entry.kind == "deactivation.settlement.reversal" and entry.reverses is not None:
        undo_settlement(crm, entry)


@hookimpl
def dyncrm_transactions_posted(crm, entries):
    """:func:`dyncrm_transaction_posted` for a bulk post's settlements (others pass by)."""
    for entry in entries:
        if entry.kind.startswith("deactivation.settlement"):
            dyncrm_transaction_posted(crm, entry)


__all__ = [
    "LOAN_STAGES", "FourEyesViolation", "InstallmentPaid", "LoanInfo", "LoanRequest",
    "PayoffQuote", "Repayment", "Simulation", "apply", "approve", "build_request", "collectibility",
    "committee_view", "disburse", "events", "get", "installments", "list_loans", "loan_row",
    "outstanding", "overdue", "payments", "payoff_quote", "preview", "recheck", "reject",
    "repay", "repay_many", "simulate", "simulate_terms", "withdraw",
    "write_off",
]

# the portal's pages and the helpers they read with
from dyncrm_expand.loans.overview import (  # noqa: E402, F401
    approval_status,
    eligibility,
    member_loans,
    waiting,
)
