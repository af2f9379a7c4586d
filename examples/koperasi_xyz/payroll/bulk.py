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
    from dyncrm_expand.loans.lifecycle import source_account
    from dyncrm_expand.loans.models import Loan, LoanInstallment, LoanPayment
    from dyncrm_expand.loans.queries import as_date, payment_info, terms
    from dyncrm_expand.loans.repayment import _close, _disbursed
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
    done_by_ref, specs, changed = {}, [], []
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
        done = _settle(crm, terms(row), insts[loan_id], on, units, changed)
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
    _save_installments(crm, changed)
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
    receipts = []
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
        receipts.append((row, f"loans:payment:{r['reference']}",
                         {"payment": info, "closed": closed}))
    _queue_receipts(crm, receipts)


def _settle(crm: CRM, t, insts: list, on: dt.date, amount_units: int, changed: list) -> dict:
    """``expand.loans``' settlement of a payment (denda assessed up to ``on``, then
    oldest first), with the changed installment rows added to ``changed`` for
    :func:`_save_installments` instead of saved one by one."""
    from dyncrm_expand.loans.queries import unpaid_base
    from dyncrm_expand.loans.repayment import FIELDS, _allocate, _assess, _snapshot

    before = _snapshot(insts)
    _assess(crm, t, insts, on)
    pen, intr, prin, over = _allocate(insts, amount_units)
    completed, allocation = [], []
    for inst in insts:
        done = inst.paid_on is None and unpaid_base(inst) == 0 \
            and inst.penalty_assessed == inst.penalty_paid
        if done:
            inst.paid_on = on
            completed.append(inst)
        after = tuple(getattr(inst, f) for f in FIELDS)
        if done or after != before[inst.number]:
            changed.append(inst)
            delta = {f: a - b for f, a, b in zip(FIELDS, after, before[inst.number],
                                                 strict=True)}
            allocation.append({"number": inst.number, "completed": done, **delta})
    return {"penalty": pen, "interest": intr, "principal": prin, "over": over,
            "amount": amount_units, "completed": completed, "allocation": allocation}


def _save_installments(crm: CRM, rows: list) -> None:
    """One ``UPDATE`` text executed for every changed installment row (``executemany``)."""
    from dyncrm_expand.loans.models import LoanInstallment
    from dyncrm_expand.loans.repayment import FIELDS

    if not rows:
        return
    db, param = crm.database, crm.database.param
    columns = [*FIELDS, "paid_on"]
    sql = (f"UPDATE {LoanInstallment._meta.table_name} SET "
           + ", ".join(f"{c} = {param}" for c in columns) + f" WHERE id = {param}")
    paid_on = LoanInstallment.paid_on
    values = [[getattr(i, f) for f in FIELDS] + [paid_on.db_value(i.paid_on), i.id]
              for i in rows]
    db.cursor().executemany(sql, values)


def _queue_receipts(crm: CRM, receipts: list) -> None:
    """``crm.notify_member`` of each loan's receipt (essential), queued with one lookup of
    members and of message keys and one multi-row insert per chunk."""
    from dyncrm.db.models import OutboxMessage, utcnow
    from dyncrm.lifecycle import member_info
    from dyncrm_expand.loans.queries import loan_info

    members: dict[int, Member] = {}
    seen: set[str] = set()
    for part in _chunks(receipts):
        ids = list({row.member_id for row, _, _ in part})
        members.update({m.id: m for m in Member.select().where(Member.id.in_(ids))})
        seen.update(o.key for o in OutboxMessage.select(OutboxMessage.key)
                    .where(OutboxMessage.key.in_([key for _, key, _ in part])))
    default = crm.config.notify.default_channel
    stamp = utcnow()
    rows = []
    for row, key, context in receipts:
        member = members[row.member_id]
        channel = member.preferred_channel or default
        recipient = member.email if channel in ("smtp", "file", "console") else member.phone
        recipient = recipient or member.email or member.phone
        if not recipient or key in seen:
            continue
        if channel not in crm.outbox.channels:
            raise ValidationError(f"unknown channel {channel!r}; channels: "
                                  f"{', '.join(sorted(crm.outbox.channels))}", field="channel")
        seen.add(key)
        subject, body = crm.render_message("loans/receipt.txt", member=member_info(member),
                                           loan=loan_info(crm, row), **context)
        rows.append({"key": key, "member": row.member_id, "channel": channel,
                     "recipient": recipient, "subject": subject, "body": body,
                     "kind": "loans.receipt", "essential": True, "next_attempt_at": stamp})
    for part in _chunks(rows):
        OutboxMessage.insert_many(part).execute()
