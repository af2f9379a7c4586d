"""Many repayments in one action, set-based: :func:`repay_many`.

What :func:`~dyncrm_expand.loans.repayment.repay` does for one payment, done for
thousands (a payroll confirmation) with a fixed number of statements per chunk
of payments: the same rows (payments, installments, ledger entries through
``crm.ledger.post_many``, action keys, touchpoints, receipts), the same keys
(``loans.repay:<reference>`` action keys, ``loans.repayment:<reference>`` ledger
keys), the same checks and the same settlement (denda assessed up to the
payment date, then oldest installment first: denda, interest, principal).
Rows are read as plain tuples and written as prepared SQL
(:mod:`dyncrm.db.bulk`).  Rare cases keep the per-loan code: a loan closed by
the payment, money left over beyond what a loan owes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from dyncrm.db import bulk
from dyncrm.db.models import ActionKey
from dyncrm.errors import IllegalTransition, PluginError, ValidationError
from dyncrm.ledger import EntrySpec
from dyncrm.money import from_minor
from dyncrm.plugins import batch_callers
from dyncrm.values import Actor, Leg
from dyncrm_expand.loans.lifecycle import source_account
from dyncrm_expand.loans.models import Loan, LoanInstallment, LoanPayment
from dyncrm_expand.loans.products import terms_from_json
from dyncrm_expand.loans.queries import (
    LOAN_STAGES,
    as_date,
    fixed_penalty_units,
    label,
    loan_info,
    payment_info,
    pending_penalty,
    unpaid_base,
)
from dyncrm_expand.loans.repayment import FIELDS, _allocate, _close
from dyncrm_expand.loans.values import InstallmentPaid

if TYPE_CHECKING:
    from dyncrm.app import CRM

#: Payments per statement (and loans per lookup).
CHUNK = 500
METHODS = ("cash", "transfer", "payroll")
_LOAN_COLUMNS = ("id", "member_id", "product", "terms", "currency", "amount", "principal",
                 "term", "purpose", "stage", "reasons", "applied_on", "applied_by",
                 "decided_on", "decided_by", "decision_reason", "disbursed_on", "closed_on")
_PAYMENT_COLUMNS = ("id", "loan_id", "reference", "method", "effective_date", "amount",
                    "penalty", "interest", "principal", "overpayment", "payoff", "actor",
                    "reversed_by")
_INST_COLUMNS = ("id", "loan_id", "number", "due_on", "principal", "interest",
                 "principal_paid", "interest_paid", "interest_waived", "penalty_assessed",
                 "penalty_paid", "penalty_periods", "paid_on")


@attrs.frozen
class Repayment:
    """One payment for :func:`repay_many`: its reference (idempotency key), the
    loan and the amount in minor units."""

    reference: str
    loan_id: int
    amount: int


def _amounts(crm: CRM):
    """``amounts(currency)(units)``: the Money of so many minor units, each amount made
    once (Money is immutable: the receipts of one batch share them)."""
    made: dict[str, Any] = {}

    def of(currency: str):
        if currency not in made:
            exp, cache = crm.ledger.exponent(currency), {}

            def money_of(units: int):
                value = cache.get(units)
                if value is None:
                    value = cache[units] = from_minor(int(units), currency, exp)
                return value
            made[currency] = money_of
        return made[currency]
    return of


_fields_of = operator.attrgetter(*FIELDS)


#: An unpaid installment row, made from the values of :data:`_INST_COLUMNS` in order
#: (a slotted class: a batch makes one per unpaid installment, hundreds of thousands).
_Installment = dataclasses.make_dataclass("_Installment", _INST_COLUMNS, slots=True, eq=False)


def repay_many(crm: CRM, actor: Actor, payments: Iterable[Repayment], *, method: str,
               on: dt.date) -> dict[str, int]:
    """Record many repayments of disbursed loans at once (``loans.repay`` each).

    Must run inside the caller's ``crm.action`` (one transaction for all of
    them).  Locks every loan paid.  A reference already recorded is a replay:
    nothing is written for it (a reference used for another loan is refused).
    Any bad payment (unknown or not disbursed loan, a date before the
    disbursement or the loan's last payment, a date in the future, a repeated
    reference) refuses the batch; the caller's action rolls everything back.

    :param method: ``cash``, ``transfer`` or ``payroll`` (the money comes in
        through cash or the bank account).
    :returns: ``{reference: payment id}`` of the payments recorded now.
    """
    if not crm.in_action():
        raise PluginError("loans.repay_many must run inside crm.action(...): the payments "
                          "are one unit of work with the caller's")
    if method not in METHODS:
        raise ValidationError(f"must be one of {', '.join(METHODS)}", field="method")
    wanted: dict[str, Repayment] = {}
    for p in payments:
        reference = (p.reference or "").strip()
        if not reference:
            raise ValidationError("give each payment's reference", field="reference")
        if reference in wanted:
            raise ValidationError(f"reference {reference!r} appears twice in the batch",
                                  field="reference")
        if p.amount <= 0:
            raise ValidationError(f"payment {reference}: must be above zero", field="amount")
        wanted[reference] = attrs.evolve(p, reference=reference, loan_id=int(p.loan_id))
    if not wanted:
        return {}
    crm.require(actor, "loans.repay")
    if on > crm.today():
        raise ValidationError(f"{on} is in the future", field="on")
    db = crm.database
    crm.lock(sorted({f"loan:{p.loan_id}" for p in wanted.values()}))
    _drop_replays(crm, wanted)
    if not wanted:
        return {}
    loans, insts, last = _read(crm, sorted({p.loan_id for p in wanted.values()}))
    source = source_account(crm, method)
    members = sorted({loans[p.loan_id].member_id for p in wanted.values()
                      if p.loan_id in loans})
    codes = [crm.ledger.open_accounts(kind, members, type=type_) for kind, type_ in (
        ("income.loan_penalty", "income"), ("income.loan_interest", "income"),
        ("loans.principal", "asset"))]
    exp = crm.ledger.exponent(crm.currency)
    money_of = _amounts(crm)(crm.currency)
    fixed: dict[str, int] = {}
    memo: dict = {}  # denda periods per due date, denda per unpaid amount
    done_by_ref, specs, changed = {}, [], []
    for ref, p in wanted.items():
        row = loans.get(p.loan_id)
        if row is None:
            raise ValidationError(f"payment {ref}: there is no loan {p.loan_id}",
                                  field="loan")
        if row.stage != "disbursed":
            raise IllegalTransition(label(row), row.stage, "repay",
                                    LOAN_STAGES.allowed(row.stage))
        if on < as_date(row.disbursed_on):
            raise ValidationError(f"{on} is before loan {row.id} was disbursed", field="on")
        if row.id in last and on < last[row.id]:
            raise ValidationError(f"{on} is before loan {row.id}'s last payment "
                                  f"({last[row.id]}); payments are recorded in date order",
                                  field="on")
        last[row.id] = on
        if row.terms_text not in fixed:
            fixed[row.terms_text] = fixed_penalty_units(crm, row.product_terms)
        done = _settle(row.product_terms, fixed[row.terms_text], insts[row.id], on,
                       p.amount, changed, memo)
        done_by_ref[ref] = done
        parts = (done["penalty"], done["interest"], done["principal"])
        if sum(parts):
            legs = [Leg(source, money_of(sum(parts)))]
            legs += [Leg(c[row.member_id], money_of(-v))
                     for c, v in zip(codes, parts, strict=True) if v]
            specs.append((ref, EntrySpec(
                legs=legs, kind="loans.repayment", actor=actor.username,
                key=f"loans.repayment:{ref}", on=on, member_id=row.member_id,
                memo=f"repayment of loan {row.id} by {method} ({ref})",
                meta={"loan": row.id, "reference": ref, "method": method})))
    _save_installments(crm, changed)
    entries = {ref: r.entry.id for (ref, _), r in
               zip(specs, crm.ledger.post_many(s for _, s in specs), strict=True)}
    now = crm.now()
    rows = [{"loan": p.loan_id, "reference": ref, "method": method, "effective_date": on,
             "amount": p.amount, "penalty": done_by_ref[ref]["penalty"],
             "interest": done_by_ref[ref]["interest"],
             "principal": done_by_ref[ref]["principal"], "overpayment": done_by_ref[ref]["over"],
             "payoff": False, "actor": actor.username, "entry": entries.get(ref),
             "allocation": done_by_ref[ref]["allocation"], "recorded_at": now,
             "reversed_by": None}
            for ref, p in wanted.items()]
    bulk.insert_dicts(db, LoanPayment, rows)
    ids = dict(bulk.select_in(db, "SELECT reference, id FROM loan_payment WHERE reference IN "
                                  "({in})", list(wanted)))
    bulk.insert_dicts(db, ActionKey, [
        {"key": f"loans.repay:{r['reference']}", "action": "loans.repay",
         "actor": actor.username, "at": now, "channel": actor.channel,
         "result": {"payment_id": ids[r["reference"]], "loan_id": r["loan"]}} for r in rows])
    crm.touch_many([loans[r["loan"]].member_id for r in rows], "expand", "by",
                   "loans.repayment", actor,
                   [{"loan": r["loan"], "reference": r["reference"], "amount": r["amount"],
                     "method": method, "payoff": False, "overpayment": r["overpayment"]}
                    for r in rows])
    receipts, paid = [], []
    amounts = _amounts(crm)
    each_paid, batch_paid = batch_callers(crm.pm, "dyncrm_expand_installment_paid",
                                          "dyncrm_expand_installments_paid")
    for r in rows:
        row = loans[r["loan"]]
        done = done_by_ref[r["reference"]]
        if done["over"]:
            from dyncrm_expand import savings

            savings.credit_sukarela(
                crm, actor, row.member_id, from_minor(done["over"], crm.currency, exp),
                reference=f"loan-overpayment:{r['reference']}", source_account=source,
                memo=f"overpayment of loan {row.id} ({r['reference']})", on=on)
        closed = done["closed"]
        if each_paid is not None or batch_paid is not None:
            for inst in done["completed"]:
                due_on = as_date(inst.due_on)
                paid.append(InstallmentPaid(
                    loan_id=row.id, member_id=row.member_id, number=inst.number,
                    due_on=due_on, paid_on=on, on_time=on <= due_on,
                    amount=from_minor(inst.principal_paid + inst.interest_paid
                                      + inst.penalty_paid, crm.currency, exp),
                    reference=r["reference"], payoff=False))
                if each_paid is not None:
                    each_paid(crm=crm, payment=paid[-1])
        if closed:
            _close(crm, actor, Loan.get_by_id(row.id), on)
        info = payment_info(crm, bulk.Row(_PAYMENT_COLUMNS, (
            ids[r["reference"]], r["loan"], r["reference"], r["method"], r["effective_date"],
            r["amount"], r["penalty"], r["interest"], r["principal"], r["overpayment"],
            r["payoff"], r["actor"], r["reversed_by"])), row.member_id, row.currency,
            money_of=amounts(row.currency))
        receipts.append((row, f"loans:payment:{r['reference']}",
                         {"payment": info, "closed": closed}))
    if batch_paid is not None and paid:
        batch_paid(crm=crm, payments=paid)
    queue_receipts(crm, receipts)
    return ids


def _drop_replays(crm: CRM, wanted: dict[str, Repayment]) -> None:
    """Remove the references already recorded (their action key exists); a reference
    recorded for another loan is refused."""
    db = crm.database
    taken = [key.removeprefix("loans.repay:") for (key,) in bulk.select_in(
        db, f"SELECT {bulk.quote(db, 'key')} FROM action_key WHERE {bulk.quote(db, 'key')} "
            "IN ({in})", [f"loans.repay:{ref}" for ref in wanted])]
    if not taken:
        return
    loans = dict(bulk.select_in(db, "SELECT reference, loan_id FROM loan_payment WHERE "
                                    "reference IN ({in})", taken))
    for ref in taken:
        if loans.get(ref) != wanted[ref].loan_id:
            raise ValidationError(f"reference {ref!r} was already used for another action"
                                  if ref not in loans else
                                  f"reference {ref!r} was already used for a payment on "
                                  f"loan {loans[ref]}", field="reference")
        del wanted[ref]


def _read(crm: CRM, loan_ids: list[int]) -> tuple[dict, dict, dict]:
    """The loans (with their parsed terms), their unpaid installments in order and the
    date of each loan's last payment: three ``IN`` queries per chunk of loans."""
    db = crm.database
    parsed: dict[str, Any] = {}
    loans: dict[int, bulk.Row] = {}
    json_of = Loan.terms.python_value
    for values in bulk.select_in(db, f"SELECT {', '.join(_LOAN_COLUMNS)} FROM loan "
                                     "WHERE id IN ({in})", loan_ids, size=CHUNK):
        row = bulk.Row(_LOAN_COLUMNS, values)
        text = row.terms
        if text not in parsed:
            parsed[text] = (json_of(text), terms_from_json(json_of(text)))
        row.terms_text = text
        row.terms, row.product_terms = parsed[text]
        row.reasons = json_of(row.reasons) or []
        loans[row.id] = row
    insts: dict[int, list] = defaultdict(list)
    # the unpaid installments of the loans: written as a CASE, which no index serves, so
    # every backend finds them by loan (with a plain "paid_on IS NULL" SQLite walks the
    # paid_on index over every unpaid installment of every loan for each chunk:
    # quadratic, 3.8 s of a 100,000-line import)
    for values in bulk.select_in(db, f"SELECT {', '.join(_INST_COLUMNS)} FROM loan_installment "
                                     "WHERE loan_id IN ({in}) AND CASE WHEN paid_on IS NULL "
                                     "THEN 1 ELSE 0 END = 1 ORDER BY loan_id, number",
                                 loan_ids, size=CHUNK):
        insts[values[1]].append(_Installment(*values))
    last = {loan_id: as_date(day) for loan_id, day in bulk.select_in(
        db, "SELECT loan_id, MAX(effective_date) FROM loan_payment WHERE loan_id IN ({in}) "
            "GROUP BY loan_id", loan_ids, size=CHUNK)}
    return loans, insts, last


def _settle(t, fixed: int, insts: list, on: dt.date, amount_units: int, changed: list,
            memo: dict | None = None) -> dict:
    """:func:`~dyncrm_expand.loans.repayment.repay`'s settlement on the unpaid
    installments (paid ones have nothing left to assess or allocate): denda
    assessed up to ``on``, then oldest first; changed rows go to ``changed``.
    ``memo``: kept across the batch's loans (see :func:`pending_penalty`)."""
    before = [_fields_of(i) for i in insts]
    for inst in insts:
        periods, charge = pending_penalty(t, inst, on, fixed, memo=memo)
        if periods != inst.penalty_periods:
            inst.penalty_periods = periods
            inst.penalty_assessed += charge
    pen, intr, prin, over = _allocate(insts, amount_units)
    completed, allocation = [], []
    for inst, was in zip(insts, before, strict=True):
        done = inst.paid_on is None and unpaid_base(inst) == 0 \
            and inst.penalty_assessed == inst.penalty_paid
        if done:
            inst.paid_on = on
            completed.append(inst)
        after = _fields_of(inst)
        if done or after != was:
            changed.append(inst)
            delta = {f: a - b for f, a, b in zip(FIELDS, after, was, strict=True)}
            allocation.append({"number": inst.number, "completed": done, **delta})
    return {"penalty": pen, "interest": intr, "principal": prin, "over": over,
            "amount": amount_units, "completed": completed, "allocation": allocation,
            "closed": all(i.paid_on is not None for i in insts)}


def _save_installments(crm: CRM, rows: list) -> None:
    """The changed installment rows: one ``UPDATE`` text (``executemany``) for those still
    unpaid and one for those paid now.  Only the second sets the indexed ``paid_on``, so
    an installment that was only assessed denda leaves that index alone."""
    db = crm.database
    paid_on = LoanInstallment.paid_on.db_value
    unpaid = [[*_fields_of(i), i.id] for i in rows if i.paid_on is None]
    paid = [[*_fields_of(i), paid_on(i.paid_on), i.id] for i in rows if i.paid_on is not None]
    for columns, values in ((FIELDS, unpaid), ((*FIELDS, "paid_on"), paid)):
        if values:
            bulk.execute_many(db, "UPDATE loan_installment SET "
                              + ", ".join(f"{c} = {db.param}" for c in columns)
                              + f" WHERE id = {db.param}", values)


def queue_receipts(crm: CRM, receipts: list[tuple[Any, str, dict]]) -> None:
    """``crm.notify_member`` of each payment's receipt (essential), set-based through
    ``crm.notify_members``.

    ``receipts``: ``(loan row, message key, template context)``; a key already queued
    is not queued again, a member without an address gets none.
    """
    if not receipts:
        return
    amounts = _amounts(crm)
    crm.notify_members("loans/receipt.txt", [
        (row.member_id, key, {"loan": loan_info(crm, row, money_of=amounts(row.currency)),
                              **context})
        for row, key, context in receipts], kind="loans.receipt")


__all__ = ["Repayment", "queue_receipts", "repay_many"]
