"""Loans at a glance: a member's own loans, a request's eligibility, the committee's quorum.

Read-only helpers for pages that show loans (the web portal's member dashboard,
its simulate page and the staff work queue).  Each reads what it needs in a
fixed number of queries, whatever the number of loans.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs

from dyncrm.db.models import Member
from dyncrm.money import Money
from dyncrm.quorum import QuorumStatus
from dyncrm.quorum import merge as merge_rules
from dyncrm_expand.loans.eligibility import build_request, reasons
from dyncrm_expand.loans.models import Loan, LoanInstallment
from dyncrm_expand.loans.queries import ACTIVE_STAGES, as_date, money, product

if TYPE_CHECKING:
    from dyncrm.app import CRM


@attrs.frozen
class LoanGlance:
    """One of a member's active loans in brief (stage submitted, approved or disbursed).

    ``outstanding`` is the principal still owed (zero before disbursement);
    ``next_due`` and ``next_amount`` the oldest unpaid installment (what is still
    owed of it, denda not included), ``None`` when there is none.
    """

    id: int
    product: str
    product_name: str
    stage: str
    amount: Money
    term: int
    applied_on: dt.date
    outstanding: Money
    next_due: dt.date | None = None
    next_amount: Money | None = None


def member_loans(crm: CRM, member_id: int) -> list[LoanGlance]:
    """The member's active loans, newest first, with what is owed and due next (two queries)."""
    rows = list(Loan.select().where(Loan.member == int(member_id),
                                    Loan.stage.in_(ACTIVE_STAGES)).order_by(Loan.id.desc()))
    ids = [r.id for r in rows if r.stage == "disbursed"]
    owed: dict[int, int] = {}
    due: dict[int, tuple[dt.date, int]] = {}
    if ids:
        query = (LoanInstallment.select()
                 .where(LoanInstallment.loan.in_(ids))
                 .order_by(LoanInstallment.loan, LoanInstallment.number))
        for inst in query:
            loan_id = inst.loan_id
            owed[loan_id] = owed.get(loan_id, 0) + inst.principal - inst.principal_paid
            if inst.paid_on is None and loan_id not in due:
                unpaid = (inst.principal - inst.principal_paid) + (
                    inst.interest - inst.interest_paid - inst.interest_waived)
                due[loan_id] = (as_date(inst.due_on), unpaid)
    found = []
    for r in rows:
        nxt = due.get(r.id)
        found.append(LoanGlance(
            id=r.id, product=r.product, product_name=r.terms.get("name", r.product),
            stage=r.stage, amount=money(crm, r.amount, r.currency), term=r.term,
            applied_on=as_date(r.applied_on),
            outstanding=money(crm, owed.get(r.id, 0), r.currency),
            next_due=nxt[0] if nxt else None,
            next_amount=money(crm, nxt[1], r.currency) if nxt else None))
    return found


def eligibility(crm: CRM, member_id: int, product_code: str, amount: Money, term: int,
                on: dt.date | None = None) -> list[str]:
    """The reasons the committee would see if the member applied now (nothing is written).

    The same check as :func:`~dyncrm_expand.loans.lifecycle.apply` makes: every
    plugin's ``dyncrm_expand_loan_eligibility`` reasons for this request.
    """
    t = product(crm, product_code)
    request = build_request(crm, int(member_id), product_code, t, amount, term,
                            on or crm.today())
    return reasons(crm, request)


def approval_status(crm: CRM, loan_id: int, found: list[str] | tuple[str, ...]
                    ) -> QuorumStatus:
    """Who has approved loan ``loan_id`` so far and how many are needed.

    ``found`` are the loan's eligibility reasons now: with reasons, approving is
    an override and the stricter ``loans.override`` quorum applies too, as in
    :func:`~dyncrm_expand.loans.lifecycle.approve`.
    """
    row = Loan.get_by_id(int(loan_id))
    amount = money(crm, row.amount, row.currency)
    rules = [crm.quorum.rule("loans.approve", amount)]
    if found:
        rules.append(crm.quorum.rule("loans.override", amount))
    return crm.quorum.status("loans.approve", f"loan:{row.id}", rule=merge_rules(rules))


def waiting(crm: CRM, stage: str, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Loans in ``stage`` (``submitted``: to decide, ``approved``: to disburse,
    ``disbursed``: being repaid), oldest first, with the member's number and name
    (one query; at most ``limit`` loans)."""
    query = (Loan.select(Loan.id, Loan.stage, Loan.amount, Loan.currency, Loan.term,
                         Loan.product, Loan.terms, Loan.reasons, Loan.applied_on,
                         Loan.decided_on, Member.id, Member.number, Member.name)
             .join(Member)
             .where(Loan.stage == stage)
             .order_by(Loan.id))
    if limit is not None:
        query = query.limit(int(limit))
    return [{"id": r.id, "member_id": r.member.id,
             "member": f"{r.member.number or '#' + str(r.member.id)} {r.member.name}",
             "product": r.product, "product_name": r.terms.get("name", r.product),
             "amount": money(crm, r.amount, r.currency), "term": r.term,
             "reasons": len(r.reasons or []), "applied_on": as_date(r.applied_on),
             "decided_on": as_date(r.decided_on)} for r in query]


__all__ = ["LoanGlance", "approval_status", "eligibility", "member_loans", "waiting"]
