"""Repayments: denda assessment, allocation, early payoff and overpayment.

A payment first assesses the denda its installments have incurred up to the
payment date (compute-on-payment: nothing accrues in the ledger between
payments), then settles, oldest installment first, each installment's denda,
then its interest, then its principal.  Money beyond everything the loan still
owes goes to the member's simpanan sukarela through the savings plugin, never
lost.  An early payoff settles the loan for :func:`payoff_quote`'s total.

Ledger (cash basis, like interest): one entry per payment, debit cash/bank (or
the given offset account), credit ``income.loan_penalty:m``,
``income.loan_interest:m`` and ``loans.principal:m``.  Denda assessed but not
yet paid is a receivable kept in the installment rows, not in the ledger.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from peewee import fn

from dyncrm.errors import DyncrmError, IllegalTransition, ValidationError
from dyncrm.i18n import N_
from dyncrm.money import Money
from dyncrm.plugins import batch_only_caller
from dyncrm.values import Actor, Leg
from dyncrm_expand.loans.lifecycle import _event, _notify, locked_loan_row, source_account
from dyncrm_expand.loans.models import Loan, LoanInstallment, LoanPayment
from dyncrm_expand.loans.products import LoanProduct
from dyncrm_expand.loans.queries import (
    LOAN_STAGES,
    PLUGIN,
    as_date,
    fixed_penalty_units,
    label,
    loan_row,
    money,
    payment_info,
    pending_penalty,
    terms,
    units,
    unpaid_base,
)
from dyncrm_expand.loans.schedule import round_half_even
from dyncrm_expand.loans.values import InstallmentPaid, PayoffQuote, RepaymentResult

if TYPE_CHECKING:
    from dyncrm.app import CRM

REPAYMENT_METHODS = ("cash", "transfer", "payroll", "offset")


def _installments(row: Loan) -> list[LoanInstallment]:
    return list(LoanInstallment.select().where(LoanInstallment.loan == row.id)
                .order_by(LoanInstallment.number))


def _assess(crm: CRM, t: LoanProduct, insts: list[LoanInstallment], on: dt.date) -> int:
    """Add the denda incurred up to ``on`` to the (unsaved) rows; returns the units added."""
    fixed = fixed_penalty_units(crm, t)
    added = 0
    for inst in insts:
        periods, charge = pending_penalty(t, inst, on, fixed)
        if periods != inst.penalty_periods:
            inst.penalty_periods = periods
            inst.penalty_assessed += charge
            added += charge
    return added


def _quote(row: Loan, t: LoanProduct, insts: list[LoanInstallment], on: dt.date
           ) -> tuple[int, int, int, int]:
    """``(penalty, interest_due, principal, payoff_interest)`` in minor units, from
    rows already assessed up to ``on``."""
    penalty = sum(i.penalty_assessed - i.penalty_paid for i in insts)
    interest_due = sum(i.interest - i.interest_paid - i.interest_waived
                       for i in insts if i.paid_on is None and as_date(i.due_on) <= on)
    principal = sum(i.principal - i.principal_paid for i in insts)
    future_interest = sum(i.interest - i.interest_paid - i.interest_waived
                          for i in insts if i.paid_on is None and as_date(i.due_on) > on)
    basis = row.principal if t.method == "flat" else principal
    month = round_half_even(t.monthly_rate * basis)
    payoff_interest = min(t.payoff.interest_months * month, future_interest)
    return penalty, interest_due, principal, payoff_interest


def _disbursed(row: Loan, action: str) -> None:
    if row.stage != "disbursed":
        raise IllegalTransition(label(row), row.stage, action,
                                LOAN_STAGES.allowed(row.stage))


def payoff_quote(crm: CRM, loan_id: int, on: dt.date | None = None) -> PayoffQuote:
    """What settles a disbursed loan in full on ``on`` (nothing is written)."""
    row = loan_row(loan_id)
    _disbursed(row, N_("quote a payoff for"))
    on = on or crm.today()
    t = terms(row)
    insts = _installments(row)
    _assess(crm, t, insts, on)
    penalty, interest_due, principal, payoff_interest = _quote(row, t, insts, on)
    def m(v: int) -> Money:
        return money(crm, v, row.currency)
    return PayoffQuote(loan_id=row.id, on=on, penalty=m(penalty),
                       interest_due=m(interest_due), principal=m(principal),
                       payoff_interest=m(payoff_interest),
                       total=m(penalty + interest_due + principal + payoff_interest))


def _take(remaining: int, owed: int) -> int:
    return max(0, min(remaining, owed))


def _allocate(insts: list[LoanInstallment], amount: int) -> tuple[int, int, int, int]:
    """Settle oldest first: denda → interest → principal of each installment.
    Mutates the rows; returns ``(penalty, interest, principal, left over)``."""
    pen = intr = prin = 0
    remaining = amount
    for inst in insts:
        if inst.paid_on is not None or remaining <= 0:
            continue
        x = _take(remaining, inst.penalty_assessed - inst.penalty_paid)
        inst.penalty_paid += x
        pen += x
        remaining -= x
        x = _take(remaining, inst.interest - inst.interest_paid - inst.interest_waived)
        inst.interest_paid += x
        intr += x
        remaining -= x
        x = _take(remaining, inst.principal - inst.principal_paid)
        inst.principal_paid += x
        prin += x
        remaining -= x
    return pen, intr, prin, remaining


def _allocate_payoff(insts: list[LoanInstallment], on: dt.date, payoff_interest: int
                     ) -> tuple[int, int, int]:
    """Settle everything: all denda, interest due, all principal, and the payoff
    interest spread over the installments not yet due (the rest of their
    interest is waived).  Returns ``(penalty, interest, principal)``."""
    pen = intr = prin = 0
    budget = payoff_interest
    for inst in insts:
        if inst.paid_on is not None:
            continue
        x = inst.penalty_assessed - inst.penalty_paid
        inst.penalty_paid += x
        pen += x
        owed = inst.interest - inst.interest_paid - inst.interest_waived
        x = owed if as_date(inst.due_on) <= on else min(owed, budget)
        if as_date(inst.due_on) > on:
            budget -= x
            inst.interest_waived += owed - x
        inst.interest_paid += x
        intr += x
        x = inst.principal - inst.principal_paid
        inst.principal_paid += x
        prin += x
    return pen, intr, prin


FIELDS = ("penalty_periods", "penalty_assessed", "penalty_paid", "interest_paid",
          "interest_waived", "principal_paid")


def _snapshot(insts: list[LoanInstallment]) -> dict[int, tuple[int, ...]]:
    return {i.number: tuple(getattr(i, f) for f in FIELDS) for i in insts}


def _settle(crm: CRM, row: Loan, t: LoanProduct, insts: list[LoanInstallment], on: dt.date,
            amount_units: int | None, *, payoff: bool) -> dict:
    """Assess denda up to ``on``, then allocate ``amount_units`` (``None`` with
    ``payoff``: exactly the payoff total).  Saves the changed rows and returns
    the totals, the leftover, the installments completed and the per-installment
    deltas (so the payment can be undone)."""
    before = _snapshot(insts)
    _assess(crm, t, insts, on)
    if payoff:
        quote = _quote(row, t, insts, on)
        total = sum(quote)
        if amount_units is None:
            amount_units = total
        if amount_units < total:
            raise ValidationError(
                f"paying off loan {row.id} on {on} takes "
                f"{crm.format_money(money(crm, total, row.currency))}; "
                f"{crm.format_money(money(crm, amount_units, row.currency))} is not enough",
                field="amount")
        pen, intr, prin = _allocate_payoff(insts, on, quote[3])
        over = amount_units - total
    else:
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
            inst.save()
            delta = {f: a - b for f, a, b in zip(FIELDS, after, before[inst.number],
                                                 strict=True)}
            allocation.append({"number": inst.number, "completed": done, **delta})
    return {"penalty": pen, "interest": intr, "principal": prin, "over": over,
            "amount": amount_units, "completed": completed, "allocation": allocation}


def repay(crm: CRM, actor: Actor, loan_id: int, amount: Money, *, method: str,
          reference: str, on: dt.date | None = None, payoff: bool = False,
          source_account_code: str | None = None) -> RepaymentResult:
    """Record a repayment of a disbursed loan (``loans.repay``).

    :param method: ``cash``, ``transfer``, ``payroll`` or ``offset`` (money taken
        from another ledger account, named by ``source_account_code``).
    :param reference: the payment's idempotency key: the same reference again
        records nothing and returns the first result with ``replayed=True``.
    :param payoff: settle the whole loan now for :func:`payoff_quote`'s total;
        refused when ``amount`` is less.  Anything above what the loan still
        owes is credited to the member's simpanan sukarela.
    """
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError("give the payment's reference (slip, transfer or batch line)",
                              field="reference")
    with crm.action("loans.repay", actor, key=f"loans.repay:{reference}",
                    permission="loans.repay") as act:
        if act.replayed:
            return _replay(crm, loan_id, reference)
        row = locked_loan_row(crm, loan_id)
        _disbursed(row, N_("repay"))
        if method not in REPAYMENT_METHODS:
            raise ValidationError(f"must be one of {', '.join(REPAYMENT_METHODS)}",
                                  field="method")
        if method == "offset":
            if not source_account_code:
                raise ValidationError("an offset needs the account the money comes from",
                                      field="source_account")
            source = crm.ledger.account(source_account_code).code
        else:
            source = source_account(crm, method)
        amount_units = units(crm, amount)
        if amount_units <= 0:
            raise ValidationError("must be above zero", field="amount")
        on = _payment_date(crm, row, on)
        t = terms(row)
        insts = _installments(row)
        done = _settle(crm, row, t, insts, on, amount_units, payoff=payoff)
        entry = _post(crm, actor, row, source, on, reference, method, done)
        payment = LoanPayment.create(
            loan=row.id, reference=reference, method=method, effective_date=on,
            amount=amount_units, penalty=done["penalty"], interest=done["interest"],
            principal=done["principal"], overpayment=done["over"], payoff=payoff,
            actor=actor.username, entry=entry, allocation=done["allocation"])
        if done["over"]:
            from dyncrm_expand import savings

            savings.credit_sukarela(
                crm, actor, row.member_id, money(crm, done["over"]),
                reference=f"loan-overpayment:{reference}", source_account=source,
                memo=f"overpayment of loan {row.id} ({reference})", on=on)
        closed = all(i.paid_on is not None for i in insts)
        crm.touch(row.member_id, "expand", "by", "loans.repayment", actor,
                  {"loan": row.id, "reference": reference, "amount": amount_units,
                   "method": method, "payoff": payoff, "overpayment": done["over"]})
        info = payment_info(crm, payment, row.member_id, row.currency)
        paid = []
        for inst in done["completed"]:
            due_on = as_date(inst.due_on)
            paid.append(InstallmentPaid(
                loan_id=row.id, member_id=row.member_id, number=inst.number, due_on=due_on,
                paid_on=on, on_time=on <= due_on,
                amount=money(crm, inst.principal_paid + inst.interest_paid + inst.penalty_paid),
                reference=reference, payoff=payoff and due_on > on))
            crm.hook.dyncrm_expand_installment_paid(crm=crm, payment=paid[-1])
        only_batch = batch_only_caller(crm.pm, "dyncrm_expand_installment_paid",
                                       "dyncrm_expand_installments_paid") if paid else None
        if only_batch is not None:
            only_batch(crm=crm, payments=paid)
        if closed:
            _close(crm, actor, row, on)
        _notify(crm, row, "loans/receipt.txt", "loans.receipt", f"loans:payment:{reference}",
                payment=info, closed=closed)
        act.done(payment_id=payment.id, loan_id=row.id)
        return RepaymentResult(payment=info, replayed=False, closed=closed,
                               installments_paid=tuple(i.number for i in done["completed"]))


def _replay(crm: CRM, loan_id: int, reference: str) -> RepaymentResult:
    p = LoanPayment.get_or_none(LoanPayment.reference == reference)
    if p is None:
        raise ValidationError(f"reference {reference!r} was already used for another action",
                              field="reference")
    if p.loan_id != int(loan_id):
        raise ValidationError(f"reference {reference!r} was already used for a payment on "
                              f"loan {p.loan_id}", field="reference")
    row = loan_row(p.loan_id)
    return RepaymentResult(payment=payment_info(crm, p, row.member_id, row.currency),
                           replayed=True, closed=row.stage == "closed")


def _payment_date(crm: CRM, row: Loan, on: dt.date | None) -> dt.date:
    on = on or crm.today()
    if on > crm.today():
        raise ValidationError(f"{on} is in the future", field="on")
    disbursed = as_date(row.disbursed_on)
    if on < disbursed:
        raise ValidationError(f"{on} is before the loan was disbursed ({disbursed})",
                              field="on")
    last = as_date(LoanPayment.select(fn.MAX(LoanPayment.effective_date))
                   .where(LoanPayment.loan == row.id, LoanPayment.reversed_by.is_null())
                   .scalar())  # a reversed payment no longer fixes the order
    if last is not None and on < last:
        raise ValidationError(f"{on} is before the loan's last payment ({last}); payments "
                              "are recorded in date order", field="on")
    return on


def _post(crm: CRM, actor: Actor, row: Loan, source: str, on: dt.date, reference: str,
          method: str, done: dict) -> int | None:
    pen, intr, prin = done["penalty"], done["interest"], done["principal"]
    total = pen + intr + prin
    if total == 0:
        return None
    legs = [Leg(source, money(crm, total))]
    for code, value in zip(loan_accounts(crm, row.member_id), (pen, intr, prin), strict=True):
        if value:
            legs.append(Leg(code, -money(crm, value)))
    result = crm.ledger.post(legs, kind="loans.repayment", actor=actor.username,
                             key=f"loans.repayment:{reference}", on=on,
                             member_id=row.member_id,
                             memo=f"repayment of loan {row.id} by {method} ({reference})",
                             meta={"loan": row.id, "reference": reference, "method": method})
    return result.entry.id


def loan_accounts(crm: CRM, member_id: int) -> tuple[str, str, str]:
    """Codes of a member's denda income, interest income and principal accounts."""
    return (crm.ledger.open_account("income.loan_penalty", type="income", member_id=member_id),
            crm.ledger.open_account("income.loan_interest", type="income",
                                    member_id=member_id),
            crm.ledger.open_account("loans.principal", type="asset", member_id=member_id))


def _close(crm: CRM, actor: Actor | str, row: Loan, on: dt.date) -> None:
    row.stage = LOAN_STAGES.next_stage(label(row), row.stage, "close")
    row.closed_on = on
    row.save()
    _event(row, "close", actor, on, reason="fully repaid")
    crm.touch(row.member_id, "expand", "for", "loans.closed", actor, {"loan": row.id})
    _notify(crm, row, "loans/closed.txt", "loans.closed", f"loans:{row.id}:closed")


# -- a leaving member's settlement (expand.deactivation) ---------------------------


def settlement_lines(crm: CRM, member_id: int, on: dt.date) -> list[dict]:
    """What each disbursed loan of a leaving member needs settled on ``on``: the
    payoff quote as lines ``{code, label, amount, account}`` (amounts negative)."""
    lines: list[dict] = []
    loans = list(Loan.select().where(Loan.member == member_id, Loan.stage == "disbursed")
                 .order_by(Loan.id))
    if not loans:
        return lines  # nothing owed: open no accounts (a preview writes nothing)
    pen_acct, int_acct, prin_acct = loan_accounts(crm, member_id)
    for row in loans:
        quote = payoff_quote(crm, row.id, on)
        parts = ((f"loan:{row.id}:principal", f"loan {row.id}: outstanding principal",
                  quote.principal, prin_acct),
                 (f"loan:{row.id}:interest", f"loan {row.id}: interest to settle",
                  quote.interest_due + quote.payoff_interest, int_acct),
                 (f"loan:{row.id}:penalty", f"loan {row.id}: late penalties (denda)",
                  quote.penalty, pen_acct))
        for code, text, amount, account in parts:
            if amount:
                lines.append({"code": code, "label": text, "amount": -amount,
                              "account": account})
    return lines


def apply_settlement(crm: CRM, entry) -> None:
    """Record a posted leaving-member settlement in the loans it netted.

    Called for ``deactivation.settlement`` entries: each loan named in the
    entry's lines is paid off as of the entry's date (a ``settlement`` payment
    pointing at the entry, no second posting) and closed.  Refuses, undoing
    the settlement, when the lines no longer match what the loan owes.
    """
    owed: dict[int, int] = {}
    for line in entry.meta.get("lines", []):
        code = str(line.get("code", ""))
        if line.get("plugin") != PLUGIN or not code.startswith("loan:"):
            continue
        loan_id = int(code.split(":")[1])
        owed[loan_id] = owed.get(loan_id, 0) - units(crm, Money.of(line["amount"],
                                                                     line["currency"]))
    for loan_id, total in sorted(owed.items()):
        row = locked_loan_row(crm, loan_id) if crm.in_action() else loan_row(loan_id)
        _disbursed(row, N_("settle"))
        t = terms(row)
        insts = _installments(row)
        on = entry.effective_date
        quote = _quote_after_assessment(crm, row, t, insts, on)
        if quote != total:
            raise DyncrmError(
                f"the settlement nets {crm.format_money(money(crm, total))} for loan {row.id} "
                f"but the loan owes {crm.format_money(money(crm, quote))} on {on}; "
                "compute the settlement again")
        insts = _installments(row)
        done = _settle(crm, row, t, insts, on, total, payoff=True)
        LoanPayment.create(
            loan=row.id, reference=f"settlement:{entry.id}:loan:{row.id}", method="settlement",
            effective_date=on, amount=total, penalty=done["penalty"],
            interest=done["interest"], principal=done["principal"], overpayment=0,
            payoff=True, actor=entry.actor, entry=entry.id, allocation=done["allocation"])
        crm.touch(row.member_id, "expand", "of", "loans.settled", entry.actor,
                  {"loan": row.id, "entry": entry.id, "amount": total})
        _close(crm, entry.actor, row, on)


def _quote_after_assessment(crm: CRM, row: Loan, t: LoanProduct,
                            insts: list[LoanInstallment], on: dt.date) -> int:
    _assess(crm, t, insts, on)  # on unsaved rows: nothing is written
    return sum(_quote(row, t, insts, on))


def undo_settlement(crm: CRM, entry) -> None:
    """Reopen the loans a cancelled settlement had closed (its reversal ``entry``)."""
    payments = (LoanPayment.select()
                .where(LoanPayment.entry == entry.reverses, LoanPayment.method == "settlement",
                       LoanPayment.reversed_by.is_null()))
    for p in payments:
        row = loan_row(p.loan_id)
        insts = {i.number: i for i in _installments(row)}
        for delta in p.allocation or []:
            inst = insts[delta["number"]]
            for f in FIELDS:
                setattr(inst, f, getattr(inst, f) - delta[f])
            if delta.get("completed"):
                inst.paid_on = None
            inst.save()
        p.reversed_by = entry.id
        p.save()
        row.stage = LOAN_STAGES.next_stage(label(row), row.stage, "reopen")
        row.closed_on = None
        row.save()
        _event(row, "reopen", entry.actor, entry.effective_date,
               reason="the leaving member's settlement was cancelled")
        crm.touch(row.member_id, "expand", "of", "loans.reopened", entry.actor,
                  {"loan": row.id, "entry": entry.id})
