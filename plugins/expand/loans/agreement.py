"""The loan agreement (perjanjian pinjaman): terms, full schedule and signature blocks.

Printed for an approved loan before it is paid out (the schedule as it would be if
disbursed today) and for a disbursed or closed one (the schedule it got).  Rendered
from the template ``loans/agreement.html`` (a deployment overrides it by name) as the
portal's page and, through :mod:`dyncrm.documents`, as a PDF.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs

from dyncrm.errors import ValidationError
from dyncrm.money import Money
from dyncrm.values import Actor
from dyncrm_expand.loans.values import LoanInfo

TEMPLATE = "loans/agreement.html"
#: stages a loan can be in for its agreement to be printed
STAGES = ("approved", "disbursed", "closed")


@attrs.frozen
class AgreementRow:
    """One installment of the schedule."""

    number: int
    due_on: dt.date
    principal: Money
    interest: Money
    installment: Money
    remaining: Money


@attrs.frozen
class Agreement:
    """What the agreement states: the loan, its terms, fees, schedule and totals."""

    loan: LoanInfo
    member_name: str
    member_number: str | None
    terms: Any  # dyncrm_expand.loans.products.LoanProduct (as copied onto the loan)
    fees: tuple[tuple[str, str, Money], ...]
    principal: Money  # the amount applied for plus fees added to it
    rows: tuple[AgreementRow, ...]
    total_interest: Money
    total_paid: Money
    preview: bool  # True: not disbursed yet; due dates as if paid out today
    printed_on: dt.date


def agreement(crm, actor: Actor, loan_id: int) -> Agreement:
    """The agreement of loan ``loan_id``: its member, or anyone holding ``loans.view``."""
    from dyncrm_expand import loans
    from dyncrm_expand.loans.queries import loan_row, terms

    loan = loans.get(crm, loan_id)
    if actor.member_id is None or actor.member_id != loan.member_id:
        crm.require(actor, "loans.view")
    if loan.stage not in STAGES:
        raise ValidationError(f"loan {loan.id} is {loan.stage}; an agreement is printed for "
                              "an approved, disbursed or closed loan", field="loan")
    member = crm.member_row(loan.member_id)
    sim = loans.preview(crm, loan.id)
    stored = loans.installments(crm, loan.id)
    if stored:
        remaining = loan.principal
        rows = []
        for item in stored:
            remaining = remaining - item.principal
            rows.append(AgreementRow(item.number, item.due_on, item.principal, item.interest,
                                     item.total, remaining))
        zero = Money.zero(loan.principal.currency)
        total_interest = sum((r.interest for r in rows), zero)
        total_paid = sum((r.installment for r in rows), zero)
    else:
        rows = [AgreementRow(r["number"], r["due_on"], r["principal"], r["interest"],
                             r["installment"], r["remaining"]) for r in sim.rows]
        total_interest, total_paid = sim.total_interest, sim.total_paid
    return Agreement(loan=loan, member_name=member.name, member_number=member.number,
                     terms=terms(loan_row(loan.id)), fees=tuple(sim.fees),
                     principal=loan.principal if stored else sim.principal, rows=tuple(rows),
                     total_interest=total_interest, total_paid=total_paid,
                     preview=not stored, printed_on=crm.today())


def agreement_html(crm, doc: Agreement) -> str:
    """The agreement as an HTML fragment (the portal's page, the PDF's source)."""
    return crm.render(TEMPLATE, agreement=doc, organisation=crm.config.organisation)


def agreement_pdf(crm, doc: Agreement) -> bytes:
    """The agreement as PDF bytes."""
    from dyncrm.documents import html_to_pdf

    return html_to_pdf(agreement_html(crm, doc),
                       title=f"{crm.t('Loan agreement')} {doc.loan.id}",
                       author=crm.config.organisation.name)


def write_agreement(crm, doc: Agreement, path: str | Path) -> Path:
    """Write the agreement's PDF to ``path`` whole or not at all, mode 0600."""
    from dyncrm.documents import write_private

    return write_private(path, agreement_pdf(crm, doc))


__all__ = ["Agreement", "AgreementRow", "agreement", "agreement_html", "agreement_pdf",
           "write_agreement"]
