"""Loans at a glance: a member's own loans, a request's eligibility, the committee's quorum.

Read-only helpers for pages that show loans (the web portal's member dashboard,
its simulate page and the staff work queue).  Each reads what it needs in a
fixed number of queries, whatever the number of loans.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import attrs

from dyncrm.db import prepared
from dyncrm.db.models import Member
from dyncrm.money import Money
from dyncrm.quorum import QuorumStatus
from dyncrm.quorum import merge as merge_rules
from dyncrm_expand.loans.eligibility import build_request, reasons
from dyncrm_expand.loans.models import Loan
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


#: A member's active loans, newest first, each with the principal still owed and its oldest
#: unpaid installment (what is still owed of it): one statement on that member's rows
#: (the loan's member index, the installments' (loan, number) index).
_MEMBER_LOANS_SQL = (
    "SELECT l.id, l.product, l.terms, l.stage, l.amount, l.currency, l.term, l.applied_on, "
    "(SELECT SUM(i.principal - i.principal_paid) FROM loan_installment i "
    "WHERE i.loan_id = l.id), "
    "n.due_on, n.principal - n.principal_paid + n.interest - n.interest_paid "
    "- n.interest_waived "
    "FROM loan l LEFT JOIN loan_installment n ON n.loan_id = l.id AND n.number = "
    "(SELECT MIN(u.number) FROM loan_installment u WHERE u.loan_id = l.id "
    "AND u.paid_on IS NULL) "
    f"WHERE l.member_id = {{p}} AND l.stage IN ({prepared.marks(len(ACTIVE_STAGES))}) "
    "ORDER BY l.id DESC")


def member_loans(crm: CRM, member_id: int) -> list[LoanGlance]:
    """The member's active loans, newest first, with what is owed and due next.

    One statement prepared once, reading only that member's loans and their
    installments; only a disbursed loan has something owed and due.
    """
    db = crm.database
    found = []
    for (loan_id, code, terms, stage, amount, currency, term, applied_on, owed, due_on,
         unpaid) in db.execute_sql(prepared.sql(db, _MEMBER_LOANS_SQL),
                                   [int(member_id), *ACTIVE_STAGES]):
        parsed = json.loads(terms) if isinstance(terms, str) else (terms or {})
        disbursed = stage == "disbursed"
        has_next = disbursed and due_on is not None
        found.append(LoanGlance(
            id=loan_id, product=code, product_name=parsed.get("name", code), stage=stage,
            amount=money(crm, amount, currency), term=term, applied_on=as_date(applied_on),
            outstanding=money(crm, (owed or 0) if disbursed else 0, currency),
            next_due=as_date(due_on) if has_next else None,
            next_amount=money(crm, unpaid, currency) if has_next else None))
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
