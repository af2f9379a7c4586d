"""Is a loan request eligible?  Reasons from every plugin, and the products' own limits.

Reasons are gathered through ``dyncrm_expand_loan_eligibility``; this plugin's
own implementation (:func:`product_reasons`) applies the limits switched on for
the product: maximum amount, a multiple of savings, the share of take-home pay
all monthly deductions may take, minimum months of membership and one active
loan at a time.  Reasons never block an application: the credit committee sees
them, and approving despite them needs a written override.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from dyncrm.money import Money
from dyncrm_expand.loans.models import Loan
from dyncrm_expand.loans.products import LoanProduct
from dyncrm_expand.loans.queries import ACTIVE_STAGES, money, settings, units
from dyncrm_expand.loans.schedule import add_months, months_between
from dyncrm_expand.loans.values import LoanRequest

if TYPE_CHECKING:
    from dyncrm.app import CRM


def largest_installment(crm: CRM, t: LoanProduct, amount_units: int, term: int) -> int:
    """The largest monthly installment (minor units) of a loan on terms ``t``,
    fees added to the principal included."""
    from dyncrm_expand.loans.products import fee_amounts

    added = sum(u for _, mode, u in fee_amounts(t, amount_units,
                                                  crm.ledger.exponent(crm.currency))
                if mode == "added")
    rows = t.schedule(amount_units + added, term, crm.ledger.exponent(crm.currency))
    return max(r.total for r in rows)


def build_request(crm: CRM, member_id: int, product_code: str, t: LoanProduct, amount: Money,
                  term: int, on: dt.date, *, loan_id: int | None = None,
                  purpose: str = "") -> LoanRequest:
    """The :class:`LoanRequest` the eligibility hook receives."""
    installment = largest_installment(crm, t, units(crm, amount), term)
    return LoanRequest(member=crm.member(member_id), product=product_code, amount=amount,
                       term=term, on=on, installment=money(crm, installment),
                       loan_id=loan_id, purpose=purpose)


def reasons(crm: CRM, request: LoanRequest) -> list[str]:
    """Every plugin's reasons, in plugin order, without duplicates."""
    found: list[str] = []
    for result in crm.hook.dyncrm_expand_loan_eligibility(crm=crm, request=request):
        for reason in result or []:
            if reason and reason not in found:
                found.append(str(reason))
    return found


def take_home_pay(crm: CRM, member_id: int) -> Money | None:
    """Monthly take-home pay, from whichever plugin knows it (``None`` if none does)."""
    return crm.hook.dyncrm_expand_take_home_pay(crm=crm, member_id=member_id)


def deductions(crm: CRM, member_id: int, month: dt.date) -> list[tuple[str, Money]]:
    """Every monthly deduction of a member in ``month``, from every plugin."""
    lines: list[tuple[str, Money]] = []
    for result in crm.hook.dyncrm_expand_monthly_deductions(crm=crm, member_id=member_id,
                                                            month=month):
        lines.extend((str(label), amount) for label, amount in (result or []))
    return lines


def _pct(value: Fraction) -> str:
    shown = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.1"))
    return f"{shown.normalize():f}%"


def product_reasons(crm: CRM, request: LoanRequest) -> list[str]:
    """This plugin's own rules: the limits switched on for the request's product."""
    out: list[str] = []
    member = request.member
    fmt = crm.format_money
    if member.stage != "active":
        out.append(crm.t("the member is {stage}, not an active member", stage=member.stage))
    product = settings(crm).products.get(request.product)
    if product is None:
        out.append(crm.t("loan product {product} is no longer offered",
                         product=request.product))
        return out
    limits = product.limits
    if limits.max_amount is not None and request.amount.amount > limits.max_amount:
        out.append(crm.t("the amount {amount} is above the product's maximum {maximum}",
                         amount=fmt(request.amount),
                         maximum=fmt(crm.money(limits.max_amount))))
    if limits.max_savings_multiple is not None:
        from dyncrm_expand import savings

        balances = savings.balances(crm, member.id, as_of=request.on)
        total = sum((balances[p] for p in limits.savings_products if p in balances),
                    Money.zero(crm.currency))
        allowed = total * limits.max_savings_multiple
        if request.amount > allowed:
            out.append(crm.t(
                "the amount {amount} is above {multiple}× the member's savings "
                "({products} = {savings}, so at most {allowed})",
                amount=fmt(request.amount), multiple=f"{limits.max_savings_multiple:g}",
                products="+".join(limits.savings_products), savings=fmt(total),
                allowed=fmt(allowed.quantize(crm.ledger.exponent(crm.currency)))))
    if limits.min_membership_months is not None:
        if member.joined_on is None:
            out.append(crm.t("the member has no joining date, so months of membership are "
                             "unknown"))
        else:
            months = months_between(member.joined_on, request.on)
            if months < limits.min_membership_months:
                out.append(crm.t("the member joined {months} months ago; the product needs "
                                 "{needed}", months=months,
                                 needed=limits.min_membership_months))
    if limits.one_active_loan:
        others = (Loan.select(Loan.id, Loan.stage)
                  .where(Loan.member == member.id, Loan.stage.in_(ACTIVE_STAGES))
                  .order_by(Loan.id))
        if request.loan_id is not None:
            others = others.where(Loan.id != request.loan_id)
        for other in others:
            out.append(crm.t("the member already has loan {loan} ({stage}); the product "
                             "allows one active loan at a time", loan=other.id,
                             stage=other.stage))
    if limits.max_deduction_share is not None:
        out.extend(_deduction_reasons(crm, request, limits.max_deduction_share))
    return out


def _deduction_reasons(crm: CRM, request: LoanRequest, share: Decimal) -> list[str]:
    fmt = crm.format_money
    pay = take_home_pay(crm, request.member.id)
    if pay is None or pay.amount <= 0:
        return [crm.t("the member's take-home pay is unknown, so the {share}% cap on "
                      "monthly deductions cannot be checked", share=f"{share:g}")]
    month = add_months(request.on, 1)
    existing = deductions(crm, request.member.id, month)
    total = sum((a for _, a in existing), Money.zero(crm.currency)) + request.installment
    used = Fraction(total.amount) / Fraction(pay.amount) * 100
    if used > Fraction(share):
        parts = ", ".join(f"{label} {fmt(a)}" for label, a in existing)
        parts = crm.t(" ({deductions} and this loan's {installment})", deductions=parts,
                      installment=fmt(request.installment)) if parts else \
            crm.t(" (this loan's installment {installment})",
                  installment=fmt(request.installment))
        return [crm.t("monthly deductions would be {total}{parts}, {used} of take-home pay "
                      "{pay}; the product allows at most {share}%", total=fmt(total),
                      parts=parts, used=_pct(used), pay=fmt(pay), share=f"{share:g}")]
    return []
