"""Posting a confirmed payroll file set-based: every wajib deposit and loan repayment at once.

What :func:`dyncrm_expand.savings.deposit` and :func:`dyncrm_expand.loans.repay` do
for one line, done for every line with a fixed number of statements per chunk of
lines: the same rows (deposit, payment, installments, ledger entries through
``crm.ledger.post_many``, touchpoints through ``crm.touch_many``), the same
idempotency keys (``deposit:<reference>`` in the ledger, ``loans.repay:<reference>``
as action keys) and the same checks, under locks on every account and loan
checked.  Must run inside the import's ``crm.action``.  Rare cases keep the
plugins' own per-loan code: a loan closed by the payment and money left over
beyond what a loan owes.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from dyncrm.db import bulk
from dyncrm.db.models import Member
from dyncrm.errors import DuplicateError
from dyncrm.i18n import N_
from dyncrm.ledger import EntrySpec
from dyncrm.money import from_minor
from dyncrm.values import Actor, Leg

if TYPE_CHECKING:
    from dyncrm.app import CRM

def post_deductions(crm: CRM, actor: Actor, batch: str, items: list, payday: dt.date) -> None:
    """Post ``items`` — ``(line_no, deduction)`` of the lines that match — in bulk."""
    wajib = [(line_no, d.member_id, d.wajib + d.wajib_arrears) for line_no, d in items
             if d.wajib + d.wajib_arrears]
    loans = [(line_no, d.member_id, due.loan_id, due.total) for line_no, d in items
             for due in d.loans if due.total]
    if wajib:
        crm.require(actor, "savings.deposit")
    if loans:
        crm.require(actor, "loans.repay")
    from dyncrm_expand.savings.common import product_name

    savings = crm.ledger.open_accounts(
        "savings.wajib", [m for _, m, _ in wajib], type="liability",
        name=f"{product_name(crm, 'wajib')} m{{member_id}}") if wajib else {}
    crm.lock([f"account:{code}" for code in savings.values()]
             + [f"loan:{loan_id}" for _, _, loan_id, _ in loans])
    if wajib:
        _deposits(crm, actor, batch, wajib, savings, payday)
    if loans:
        _repayments(crm, actor, batch, loans, payday)


# -- wajib deposits (expand.savings) ---------------------------------------------------


def _deposits(crm: CRM, actor: Actor, batch: str, lines: list, accounts: dict[int, str],
              on: dt.date) -> None:
    from dyncrm_expand.savings.common import (
        check_reference,
        date_on,
        money_account,
        notify,
        product_name,
        require_active,
        settings,
    )
    from dyncrm_expand.savings.deposits import deposit_result
    from dyncrm_expand.savings.models import SavingsDeposit

    exp = crm.ledger.exponent(crm.currency)
    on = date_on(crm, on)
    refs = {check_reference(f"payroll:{batch}:{n}:wajib"): (m, units) for n, m, units in lines}
    db = crm.database
    for deposit_id, ref, member_id, product, units, method in bulk.select_in(
            db, "SELECT id, reference, member_id, product, amount, method FROM savings_deposit "
                "WHERE reference IN ({in})", list(refs)):  # used before: a replay if the same
        if (member_id, product, units, method) != (refs[ref][0], "wajib", refs[ref][1],
                                                   "payroll"):
            raise DuplicateError(f"reference {ref!r} was already used for deposit "
                                 f"#{deposit_id}; use a new reference", field="reference")
        del refs[ref]
    if not refs:
        return
    stages = dict(bulk.select_in(db, "SELECT id, stage FROM member WHERE id IN ({in})",
                                 sorted({m for m, _ in refs.values()})))
    for m, _ in refs.values():
        if stages.get(m) != "active":
            require_active(Member.get_by_id(m), N_("record a deposit"))
    now = crm.now()
    rows = [{"member": m, "product": "wajib", "amount": units, "currency": crm.currency,
             "method": "payroll", "reference": ref, "status": "posted", "effective_date": on,
             "note": "", "recorded_by": actor.username, "recorded_at": now,
             "decided_by": actor.username, "decided_at": now}
            for ref, (m, units) in refs.items()]
    bulk.insert_dicts(db, SavingsDeposit, rows)
    found = dict(bulk.select_in(db, "SELECT reference, id FROM savings_deposit WHERE reference "
                                    "IN ({in})", [r["reference"] for r in rows]))
    ids = [found[r["reference"]] for r in rows]
    bank = money_account(crm, "payroll")
    name = product_name(crm, "wajib")
    amounts: dict[int, tuple] = {}  # (amount, its negation, its text) of each sum, made once
    for units in {row["amount"] for row in rows}:
        amount = from_minor(units, crm.currency, exp)
        amounts[units] = (amount, -amount, str(amount.amount))
    specs = []
    for deposit_id, row in zip(ids, rows, strict=True):
        amount, negated, _ = amounts[row["amount"]]
        specs.append(EntrySpec(
            legs=(Leg(bank, amount), Leg(accounts[row["member"]], negated)),
            kind="savings.deposit", actor=actor.username, key=f"deposit:{row['reference']}",
            memo=f"{name} (payroll) ref {row['reference']}", on=on, member_id=row["member"],
            meta={"deposit": deposit_id, "product": "wajib", "method": "payroll"}))
    posted = crm.ledger.post_many(specs)
    for result in posted:
        if result.replayed:
            raise DuplicateError(f"ledger key {result.entry.key} is already used by entry "
                                 f"{result.entry.id}", field="reference")
    bulk.execute_many(db, f"UPDATE savings_deposit SET entry_id = {db.param} WHERE id = "
                          f"{db.param}", [(r.entry.id, d) for d, r in zip(ids, posted,
                                                                           strict=True)])
    crm.touch_many([r["member"] for r in rows], "expand", "by", "savings.deposit", actor, [
        {"deposit": d, "product": "wajib",
         "amount": amounts[r["amount"]][2],
         "method": "payroll", "reference": r["reference"], "status": "posted"}
        for d, r in zip(ids, rows, strict=True)])
    if settings(crm).notify_deposits:
        for deposit_id, row in zip(ids, rows, strict=True):
            record = SavingsDeposit.get_by_id(deposit_id)
            notify(crm, row["member"], "savings/deposit_received.txt", kind="savings.deposit",
                   key=f"savings.deposit:{deposit_id}", deposit=deposit_result(crm, record),
                   product_name=name)


# -- loan repayments (expand.loans) ------------------------------------------------------


def _repayments(crm: CRM, actor: Actor, batch: str, lines: list, on: dt.date) -> None:
    """Every loan line through the loans plugin's own bulk path (``loans.repay_many``)."""
    from dyncrm_expand import loans

    loans.repay_many(crm, actor, [
        loans.Repayment(reference=f"payroll:{batch}:{n}:loan{loan_id}", loan_id=loan_id,
                        amount=units) for n, _, loan_id, units in lines],
        method="payroll", on=on)
