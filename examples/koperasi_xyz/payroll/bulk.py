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
from collections import defaultdict
from typing import TYPE_CHECKING

from peewee import Case, fn

from dyncrm.db.models import ActionKey, Member
from dyncrm.errors import DuplicateError, ValidationError
from dyncrm.ledger import EntrySpec
from dyncrm.money import from_minor
from dyncrm.values import Actor, Leg

if TYPE_CHECKING:
    from dyncrm.app import CRM

CHUNK = 500


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert_returning(model, rows: list[dict], crm: CRM) -> list[int]:
    """Insert ``rows`` and return their ids in order (RETURNING where the database has it)."""
    from dyncrm.app import _supports_returning

    if not _supports_returning(crm.database):
        return [model.insert(**row).execute() for row in rows]
    ids: list[int] = []
    for part in _chunks(rows):
        ids.extend(r.id for r in model.insert_many(part).returning(model.id).execute())
    return ids


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
    for part in _chunks(list(refs)):  # a reference used before: a replay if it is the same
        for row in SavingsDeposit.select().where(SavingsDeposit.reference.in_(part)):
            if (row.member_id, row.product, row.amount, row.method) != \
                    (*refs[row.reference][:1], "wajib", refs[row.reference][1], "payroll"):
                raise DuplicateError(f"reference {row.reference!r} was already used for "
                                     f"deposit #{row.id}; use a new reference",
                                     field="reference")
            del refs[row.reference]
    if not refs:
        return
    members = {}
    for part in _chunks(sorted({m for m, _ in refs.values()})):
        members.update({r.id: r for r in Member.select().where(Member.id.in_(part))})
    for m, _ in refs.values():
        require_active(members[m], "record a deposit")
    now = crm.now()
    rows = [{"member": m, "product": "wajib", "amount": units, "currency": crm.currency,
             "method": "payroll", "reference": ref, "status": "posted", "effective_date": on,
             "note": "", "recorded_by": actor.username, "recorded_at": now,
             "decided_by": actor.username, "decided_at": now}
            for ref, (m, units) in refs.items()]
    ids = _insert_returning(SavingsDeposit, rows, crm)
    bank = money_account(crm, "payroll")
    name = product_name(crm, "wajib")
    specs = []
    for deposit_id, row in zip(ids, rows, strict=True):
        amount = from_minor(row["amount"], crm.currency, exp)
        specs.append(EntrySpec(
            legs=(Leg(bank, amount), Leg(accounts[row["member"]], -amount)),
            kind="savings.deposit", actor=actor.username, key=f"deposit:{row['reference']}",
            memo=f"{name} (payroll) ref {row['reference']}", on=on, member_id=row["member"],
            meta={"deposit": deposit_id, "product": "wajib", "method": "payroll"}))
    posted = crm.ledger.post_many(specs)
    for result in posted:
        if result.replayed:
            raise DuplicateError(f"ledger key {result.entry.key} is already used by entry "
                                 f"{result.entry.id}", field="reference")
    pairs = list(zip(ids, (r.entry.id for r in posted), strict=True))
    for part in _chunks(pairs):
        (SavingsDeposit.update(entry=Case(SavingsDeposit.id, part))
         .where(SavingsDeposit.id.in_([d for d, _ in part])).execute())
    crm.touch_many([r["member"] for r in rows], "expand", "by", "savings.deposit", actor, [
        {"deposit": d, "product": "wajib",
         "amount": str(from_minor(r["amount"], crm.currency, exp).amount),
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
    from dyncrm_expand.loans.lifecycle import _notify, source_account
    from dyncrm_expand.loans.models import Loan, LoanInstallment, LoanPayment
    from dyncrm_expand.loans.queries import as_date, payment_info, terms
    from dyncrm_expand.loans.repayment import _close, _disbursed, _settle
    from dyncrm_expand.loans.values import InstallmentPaid

    wanted = {f"payroll:{batch}:{n}:loan{loan_id}": (m, loan_id, units)
              for n, m, loan_id, units in lines}
    for part in _chunks(list(wanted)):  # the same reference repaid before: a replay
        keys = [f"loans.repay:{ref}" for ref in part]
        for row in ActionKey.select(ActionKey.key).where(ActionKey.key.in_(keys)):
            del wanted[row.key.removeprefix("loans.repay:")]
    if not wanted:
        return
    loan_ids = sorted({loan_id for _, loan_id, _ in wanted.values()})
    loans: dict[int, Loan] = {}
    insts: dict[int, list] = defaultdict(list)
    last: dict[int, dt.date] = {}
    for part in _chunks(loan_ids):
        loans.update({r.id: r for r in Loan.select().where(Loan.id.in_(part))})
        for inst in (LoanInstallment.select().where(LoanInstallment.loan.in_(part))
                     .order_by(LoanInstallment.loan, LoanInstallment.number)):
            insts[inst.loan_id].append(inst)
        for loan_id, day in (LoanPayment.select(LoanPayment.loan,
                                                fn.MAX(LoanPayment.effective_date))
                             .where(LoanPayment.loan.in_(part))
                             .group_by(LoanPayment.loan).tuples()):
            last[loan_id] = as_date(day)
    if on > crm.today():
        raise ValidationError(f"{on} is in the future", field="on")
    source = source_account(crm, "payroll")
    members = sorted({m for m, _, _ in wanted.values()})
    codes = [crm.ledger.open_accounts(kind, members, type=type_) for kind, type_ in (
        ("income.loan_penalty", "income"), ("income.loan_interest", "income"),
        ("loans.principal", "asset"))]
    exp = crm.ledger.exponent(crm.currency)
    done_by_ref, specs = {}, []
    for ref, (_, loan_id, units) in wanted.items():
        row = loans[loan_id]
        _disbursed(row, "repay")
        if on < as_date(row.disbursed_on):
            raise ValidationError(f"{on} is before loan {loan_id} was disbursed", field="on")
        if loan_id in last and on < last[loan_id]:
            raise ValidationError(f"{on} is before loan {loan_id}'s last payment "
                                  f"({last[loan_id]}); payments are recorded in date order",
                                  field="on")
        last[loan_id] = on
        done = _settle(crm, row, terms(row), insts[loan_id], on, units, payoff=False)
        done_by_ref[ref] = done
        parts = (done["penalty"], done["interest"], done["principal"])
        if sum(parts):
            legs = [Leg(source, from_minor(sum(parts), crm.currency, exp))]
            legs += [Leg(c[row.member_id], -from_minor(v, crm.currency, exp))
                     for c, v in zip(codes, parts, strict=True) if v]
            specs.append((ref, EntrySpec(
                legs=legs, kind="loans.repayment", actor=actor.username,
                key=f"loans.repayment:{ref}", on=on, member_id=row.member_id,
                memo=f"repayment of loan {row.id} by payroll ({ref})",
                meta={"loan": row.id, "reference": ref, "method": "payroll"})))
    entries = {ref: r.entry.id for (ref, _), r in
               zip(specs, crm.ledger.post_many(s for _, s in specs), strict=True)}
    now = crm.now()
    rows = [{"loan": loan_id, "reference": ref, "method": "payroll", "effective_date": on,
             "amount": units, "penalty": done_by_ref[ref]["penalty"],
             "interest": done_by_ref[ref]["interest"],
             "principal": done_by_ref[ref]["principal"], "overpayment": done_by_ref[ref]["over"],
             "payoff": False, "actor": actor.username, "entry": entries.get(ref),
             "allocation": done_by_ref[ref]["allocation"], "recorded_at": now}
            for ref, (_, loan_id, units) in wanted.items()]
    ids = _insert_returning(LoanPayment, rows, crm)
    for part in _chunks(list(zip(ids, rows, strict=True))):
        ActionKey.insert_many([
            {"key": f"loans.repay:{r['reference']}", "action": "loans.repay",
             "actor": actor.username, "at": now, "channel": actor.channel,
             "result": {"payment_id": payment_id, "loan_id": r["loan"]}}
            for payment_id, r in part]).execute()
    crm.touch_many([loans[r["loan"]].member_id for r in rows], "expand", "by",
                   "loans.repayment", actor,
                   [{"loan": r["loan"], "reference": r["reference"], "amount": r["amount"],
                     "method": "payroll", "payoff": False, "overpayment": r["overpayment"]}
                    for r in rows])
    for payment_id, r in zip(ids, rows, strict=True):
        row = loans[r["loan"]]
        done = done_by_ref[r["reference"]]
        if done["over"]:
            from dyncrm_expand import savings

            savings.credit_sukarela(
                crm, actor, row.member_id, from_minor(done["over"], crm.currency, exp),
                reference=f"loan-overpayment:{r['reference']}", source_account=source,
                memo=f"overpayment of loan {row.id} ({r['reference']})", on=on)
        closed = all(i.paid_on is not None for i in insts[row.id])
        for inst in done["completed"]:
            due_on = as_date(inst.due_on)
            crm.hook.dyncrm_expand_installment_paid(crm=crm, payment=InstallmentPaid(
                loan_id=row.id, member_id=row.member_id, number=inst.number, due_on=due_on,
                paid_on=on, on_time=on <= due_on,
                amount=from_minor(inst.principal_paid + inst.interest_paid + inst.penalty_paid,
                                  crm.currency, exp),
                reference=r["reference"], payoff=False))
        if closed:
            _close(crm, actor, row, on)
        info = payment_info(crm, LoanPayment(id=payment_id, reversed_by=None, **r),
                            row.member_id, row.currency)
        _notify(crm, row, "loans/receipt.txt", "loans.receipt",
                f"loans:payment:{r['reference']}", payment=info, closed=closed)
