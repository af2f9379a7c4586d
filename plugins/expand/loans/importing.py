"""Importing running loans in bulk: disbursed loans with the installments already paid.

For a cooperative moving its loan book into dyncrm (and for generating large test
deployments): :func:`import_loans` records many loans at once as if each had been
disbursed by :func:`~dyncrm_expand.loans.disburse` and its first installments repaid
on their due dates by payroll.  The ledger gets the same entries (through
``crm.ledger.post_many``), the loan the same rows (schedule from the product's terms,
payments, installments marked paid), with a fixed number of statements per chunk.
No messages, touchpoints or installment-paid hooks: these loans happened before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from dyncrm.errors import DuplicateError, ValidationError
from dyncrm.ledger import EntrySpec
from dyncrm.values import Actor, Leg
from dyncrm_expand.loans.lifecycle import DISBURSEMENT_METHODS, source_account
from dyncrm_expand.loans.models import Loan, LoanInstallment, LoanPayment
from dyncrm_expand.loans.products import fee_amounts
from dyncrm_expand.loans.queries import money, product
from dyncrm_expand.loans.schedule import due_dates

if TYPE_CHECKING:
    from dyncrm.app import CRM

CHUNK = 500


@attrs.frozen
class LoanImport:
    """One running loan: disbursed on ``disbursed_on``, ``paid`` installments repaid
    on their due dates (``paid`` < ``term``: the loan is still running)."""

    member_id: int
    product: str
    amount: int  # minor units applied for
    term: int
    disbursed_on: dt.date
    reference: str  # the disbursement's reference; payments are ``<reference>:<n>``
    paid: int = 0
    method: str = "transfer"


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def import_loans(crm: CRM, actor: Actor, loans: Iterable[LoanImport], *,
                 on: dt.date | None = None) -> list[int]:
    """Record running loans in bulk; returns their ids in order (``loans.disburse``).

    Each loan is checked as :func:`~dyncrm_expand.loans.apply` and ``disburse`` check
    it (an active member, a known product, a term within its limits, an amount above
    its deducted fees) and its payments must lie on or before ``on`` (default
    today).  One action, all or nothing; importing a reference again is refused
    (``DuplicateError``), nothing is written twice.
    """
    specs = list(loans)
    on = on or crm.today()
    with crm.action("loans.import", actor, permission="loans.disburse"):
        from dyncrm.db.models import Member

        exp = crm.ledger.exponent(crm.currency)
        member_ids = sorted({s.member_id for s in specs})
        active: set[int] = set()
        for part in _chunks(member_ids):
            active.update(m.id for m in Member.select(Member.id).where(
                Member.id.in_(part), Member.stage == "active"))
        refs = [s.reference for s in specs]
        if len(set(refs)) != len(refs):
            raise DuplicateError("two loans to import share a reference", field="reference")
        for part in _chunks(refs):
            taken = Loan.select(Loan.disbursement_reference).where(
                Loan.disbursement_reference.in_(part)).first()
            if taken is not None:
                raise DuplicateError(f"a loan was already disbursed with reference "
                                     f"{taken.disbursement_reference!r}", field="reference")
        plans = []
        for s in specs:
            t = product(crm, s.product)
            if s.method not in DISBURSEMENT_METHODS:
                raise ValidationError(f"must be one of {', '.join(DISBURSEMENT_METHODS)}",
                                      field="method")
            if s.member_id not in active:
                raise ValidationError(f"member {s.member_id} is not an active member",
                                      field="member")
            if not t.term_min <= s.term <= t.term_max or not 0 <= s.paid < s.term:
                raise ValidationError(f"{s.reference}: term {s.term} with {s.paid} paid is "
                                      f"not a running {s.product} loan", field="term")
            fees = fee_amounts(t, s.amount, exp)
            deducted = sum(u for _, mode, u in fees if mode == "deducted")
            added = sum(u for _, mode, u in fees if mode == "added")
            if s.amount <= 0 or deducted >= s.amount:
                raise ValidationError(f"{s.reference}: the amount must exceed its fees",
                                      field="amount")
            principal = s.amount + added
            rows = t.schedule(principal, s.term, exp)
            dates = due_dates(s.disbursed_on, s.term, t.due_day)
            if s.paid and dates[s.paid - 1] > on:
                raise ValidationError(f"{s.reference}: installment {s.paid} is due after "
                                      f"{on}", field="paid")
            plans.append((s, t, principal, deducted + added, rows, dates))
        now = crm.now()
        loan_rows = [{"member": s.member_id, "product": s.product, "terms": t.terms(),
                      "currency": crm.currency, "amount": s.amount, "principal": principal,
                      "term": s.term, "purpose": "", "stage": "disbursed", "reasons": [],
                      "applied_on": s.disbursed_on, "applied_by": actor.username,
                      "decided_on": s.disbursed_on, "decided_by": actor.username,
                      "decision_reason": "imported", "disbursed_on": s.disbursed_on,
                      "disbursement_method": s.method, "disbursement_reference": s.reference,
                      "disbursed_by": actor.username, "created_at": now}
                     for s, t, principal, _, _, _ in plans]
        ids = _insert_returning(crm, Loan, loan_rows)
        accounts = {kind: crm.ledger.open_accounts(kind, member_ids, type=type_)
                    for kind, type_ in (("loans.principal", "asset"),
                                        ("income.loan_fees", "income"),
                                        ("income.loan_interest", "income"))}
        sources = {method: source_account(crm, method)
                   for method in {s.method for s in specs} | {"payroll"}}
        installments, entries, payments = [], [], []
        for loan_id, (s, _, principal, fees, rows, dates) in zip(ids, plans, strict=True):
            m = s.member_id
            legs = [Leg(accounts["loans.principal"][m], money(crm, principal)),
                    Leg(sources[s.method], -money(crm, principal - fees))]
            if fees:
                legs.append(Leg(accounts["income.loan_fees"][m], -money(crm, fees)))
            entries.append(EntrySpec(
                legs=legs, kind="loans.disbursement", actor=actor.username,
                key=f"loans.disbursement:{loan_id}", on=s.disbursed_on, member_id=m,
                memo=f"loan {loan_id} disbursed by {s.method} ({s.reference})",
                meta={"loan": loan_id, "reference": s.reference}))
            for row, due in zip(rows, dates, strict=True):
                paid = row.number <= s.paid
                installments.append({
                    "loan": loan_id, "number": row.number, "due_on": due,
                    "principal": row.principal, "interest": row.interest,
                    "principal_paid": row.principal if paid else 0,
                    "interest_paid": row.interest if paid else 0, "interest_waived": 0,
                    "penalty_assessed": 0, "penalty_paid": 0, "penalty_periods": 0,
                    "paid_on": due if paid else None})
                if not paid:
                    continue
                ref = f"{s.reference}:{row.number}"
                pay = [Leg(sources["payroll"], money(crm, row.principal + row.interest))]
                if row.interest:
                    pay.append(Leg(accounts["income.loan_interest"][m],
                                   -money(crm, row.interest)))
                if row.principal:
                    pay.append(Leg(accounts["loans.principal"][m], -money(crm, row.principal)))
                entries.append(EntrySpec(
                    legs=pay, kind="loans.repayment", actor=actor.username,
                    key=f"loans.repayment:{ref}", on=due, member_id=m,
                    memo=f"repayment of loan {loan_id} by payroll ({ref})",
                    meta={"loan": loan_id, "reference": ref, "method": "payroll"}))
                payments.append({
                    "loan": loan_id, "reference": ref, "method": "payroll",
                    "effective_date": due, "amount": row.principal + row.interest,
                    "penalty": 0, "interest": row.interest, "principal": row.principal,
                    "overpayment": 0, "payoff": False, "reversed_by": None,
                    "actor": actor.username, "recorded_at": now,
                    "allocation": [{"number": row.number, "completed": True,
                                    "principal_paid": row.principal,
                                    "interest_paid": row.interest}]})
        _insert(crm, LoanInstallment, installments)
        posted = crm.ledger.post_many(entries)
        entry_of = {r.entry.key: r.entry.id for r in posted}
        for p in payments:
            p["entry"] = entry_of[f"loans.repayment:{p['reference']}"]
        _insert(crm, LoanPayment, payments)
        return ids


def _insert(crm: CRM, model, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys, by field name, defaults included) as
    multi-row statements without the query builder (``dyncrm.db.bulk``)."""
    if not rows:
        return
    from dyncrm.db import bulk

    names = list(rows[0])
    columns = [model._meta.fields[n].column_name for n in names]
    convert = bulk.converters(model, columns)
    bulk.insert_rows(crm.database, model._meta.table_name, columns,
                     bulk.to_db(([row[n] for n in names] for row in rows), convert))


def _insert_returning(crm: CRM, model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` in chunks; their ids in order (``RETURNING`` where there is one)."""
    from dyncrm.app import _supports_returning

    if not _supports_returning(crm.database):
        return [model.insert(**row).execute() for row in rows]
    ids: list[int] = []
    for part in _chunks(rows):
        ids.extend(r.id for r in model.insert_many(part).returning(model.id).execute())
    return ids


__all__ = ["LoanImport", "import_loans"]
