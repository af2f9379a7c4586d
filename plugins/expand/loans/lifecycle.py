"""Loan stage changes: apply, approve, reject, withdraw, disburse, write off.

Each function is one ``crm.action``: the stage change, the event row with who
and why, ledger postings, the touchpoint and the member's message commit
together or not at all.  Four eyes: the member who applies and the staff who
recorded the application cannot approve it; the borrower cannot disburse to
themselves.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from dyncrm.errors import DyncrmError, PermissionDenied, ValidationError
from dyncrm.money import Money
from dyncrm.quorum import merge as merge_rules
from dyncrm.text import clean_text
from dyncrm.values import Actor, Leg
from dyncrm_expand.loans.eligibility import build_request, reasons
from dyncrm_expand.loans.models import Loan, LoanEvent, LoanInstallment
from dyncrm_expand.loans.products import fee_amounts
from dyncrm_expand.loans.queries import (
    LOAN_STAGES,
    as_date,
    label,
    loan_info,
    loan_row,
    money,
    product,
    terms,
    units,
)
from dyncrm_expand.loans.schedule import due_dates
from dyncrm_expand.loans.values import DisbursementResult, LoanInfo

if TYPE_CHECKING:
    from dyncrm.app import CRM

DISBURSEMENT_METHODS = ("cash", "transfer")


class FourEyesViolation(PermissionDenied):
    """One person tried to take two roles the four-eyes rule keeps apart."""

    def __init__(self, message: str) -> None:
        self.actor, self.permission = "", ""
        DyncrmError.__init__(self, message)


def source_account(crm: CRM, method: str) -> str:
    """The cooperative's account money moves through for ``method`` (cash or bank)."""
    kind = "cash" if method == "cash" else "bank"
    return crm.ledger.open_account(kind, type="asset")


def _date(crm: CRM, on: dt.date | None, *, not_before: dt.date | None = None,
          what: str = "date") -> dt.date:
    on = on or crm.today()
    if on > crm.today():
        raise ValidationError(f"{on} is in the future", field=what)
    if not_before is not None and on < not_before:
        raise ValidationError(f"{on} is before {not_before}", field=what)
    return on


def locked_loan_row(crm: CRM, loan_id: int) -> Loan:
    """Lock loan ``loan_id`` for the current action, then read it.

    Every change of a loan (a decision, the disbursement, a repayment) checks
    its stage and amounts and then writes: two people acting on the same loan at
    the same moment must see each other's result, so the loan is locked first.
    """
    crm.lock([f"loan:{int(loan_id)}"])
    return loan_row(loan_id)


def _event(row: Loan, action: str, actor: Actor | str, on: dt.date, *, reason: str = "",
           reasons_seen: list[str] | None = None, override: str = "") -> None:
    LoanEvent.create(loan=row.id, action=action, stage=row.stage, actor=str(actor),
                     reason=reason, reasons=reasons_seen or [], override=override,
                     effective_date=on)


def _notify(crm: CRM, row: Loan, template: str, kind: str, key: str, **ctx) -> None:
    crm.notify_member(row.member_id, template, kind=kind, key=key,
                      loan=loan_info(crm, row), **ctx)


def _member_id(crm: CRM, member) -> int:
    return member if isinstance(member, int) else crm.member(
        member.id if hasattr(member, "id") else member).id


def _check_applicant(crm: CRM, actor: Actor, member_id: int) -> None:
    """Members apply for themselves; staff may record an application for anyone."""
    if actor.member_id is not None and actor.member_id != member_id \
            and not crm.users.can(actor, "members.view"):
        raise PermissionDenied(actor.username, "apply for a loan on another member's behalf",
                               actor.roles)


def apply(crm: CRM, actor: Actor, member, product_code: str, amount: Money, *, term: int,
          purpose: str = "", on: dt.date | None = None, reference: str | None = None
          ) -> tuple[LoanInfo, bool]:
    """Record a loan application (stage ``submitted``) and check its eligibility.

    :param member: member id, number or :class:`~dyncrm.values.MemberInfo`.
    :param reference: optional idempotency key (e.g. the paper form's number).
    :returns: ``(loan, replayed)``; eligibility reasons are on ``loan.reasons``.
    """
    key = f"loans.apply:{reference}" if reference else None
    with crm.action("loans.apply", actor, key=key, permission="loans.apply") as act:
        if act.replayed:
            return loan_info(crm, loan_row(act.previous["loan_id"])), True
        member_id = _member_id(crm, member)
        _check_applicant(crm, actor, member_id)
        info = crm.member(member_id)
        if info.stage != "active":
            raise ValidationError(f"member {info.number or info.id} is {info.stage!r}; only "
                                  "active members can apply for a loan")
        t = product(crm, product_code)
        if not isinstance(term, int) or isinstance(term, bool) or \
                not t.term_min <= term <= t.term_max:
            raise ValidationError(f"{product_code} loans run {t.term_min} to {t.term_max} "
                                  f"months, not {term}", field="term")
        amount_units = units(crm, amount)
        if amount_units <= 0:
            raise ValidationError("must be above zero", field="amount")
        fees = fee_amounts(t, amount_units, crm.ledger.exponent(crm.currency))
        if sum(u for _, mode, u in fees if mode == "deducted") >= amount_units:
            raise ValidationError("the fees deducted would take the whole amount",
                                  field="amount")
        on = _date(crm, on, what="on")
        row = Loan.create(member=member_id, product=product_code, terms=t.terms(),
                          currency=crm.currency, amount=amount_units, term=term,
                          purpose=clean_text(purpose, field="purpose", max_length=500),
                          stage="submitted", applied_on=on,
                          applied_by=actor.username)
        request = build_request(crm, member_id, product_code, t, amount, term, on,
                                loan_id=row.id, purpose=row.purpose)
        row.reasons = reasons(crm, request)
        row.save()
        _event(row, "apply", actor, on, reasons_seen=row.reasons)
        crm.touch(member_id, "expand", "by", "loans.applied", actor,
                  {"loan": row.id, "product": product_code, "amount": str(amount.amount),
                   "term": term, "reasons": row.reasons})
        act.done(loan_id=row.id)
        return loan_info(crm, row), False


def recheck(crm: CRM, loan_id: int, on: dt.date | None = None) -> list[str]:
    """The eligibility reasons of a loan as of ``on`` (nothing is written)."""
    row = loan_row(loan_id)
    t = terms(row)
    request = build_request(crm, row.member_id, row.product, t, money(crm, row.amount),
                            row.term, on or crm.today(), loan_id=row.id, purpose=row.purpose)
    return reasons(crm, request)


def _four_eyes(row: Loan, actor: Actor, what: str) -> None:
    if actor.member_id is not None and actor.member_id == row.member_id:
        raise FourEyesViolation(
            f"four eyes: {actor.username} is the borrower of loan {row.id} and cannot "
            f"{what} it; another member of the credit committee must decide")
    if actor.username == row.applied_by:
        raise FourEyesViolation(
            f"four eyes: {actor.username} recorded the application of loan {row.id} and "
            f"cannot also {what} it; another member of the credit committee must decide")


def approve(crm: CRM, actor: Actor, loan_id: int, *, reason: str = "", override: str = "",
            on: dt.date | None = None) -> LoanInfo:
    """Approve a submitted loan (credit committee; ``loans.decide``).

    Eligibility is checked again as of ``on``; when there are reasons, approving
    needs ``override`` — the committee's written justification, kept with the
    reasons it overrode.

    The deployment's quorum decides how many people must approve
    (``[quorum."loans.approve"]``, and ``[quorum."loans.override"]`` when
    eligibility reasons are overridden).  Until enough distinct people have, the
    loan stays ``submitted`` and the returned loan's ``approval`` says who has
    approved and who is still needed.
    """
    with crm.action("loans.approve", actor, permission="loans.decide"):
        row = locked_loan_row(crm, loan_id)
        new = LOAN_STAGES.next_stage(label(row), row.stage, "approve")
        _four_eyes(row, actor, "approve")
        on = _date(crm, on, not_before=as_date(row.applied_on), what="on")
        found = recheck(crm, row.id, on)
        override = override.strip()
        if found and not override:
            raise ValidationError(
                f"loan {row.id} is not eligible: " + "; ".join(found)
                + ". To approve anyway, give the committee's reason with --override")
        amount = money(crm, row.amount)
        rules = [crm.quorum.rule("loans.approve", amount)]
        if found:
            rules.append(crm.quorum.rule("loans.override", amount))
        status = crm.quorum.record("loans.approve", f"loan:{row.id}", actor,
                                   rule=merge_rules(rules), note=override or reason.strip())
        if not status.complete:
            if not status.replayed:
                _event(row, "endorse", actor, on, reason=reason.strip(), reasons_seen=found,
                       override=override)
            return attrs.evolve(loan_info(crm, row), approval=status)
        row.stage, row.decided_on = new, on
        row.decided_by = "+".join(status.approvers)[:255]
        row.decision_reason = (reason.strip() or override) or None
        row.reasons = found
        row.save()
        _event(row, "approve", actor, on, reason=reason.strip(), reasons_seen=found,
               override=override)
        crm.touch(row.member_id, "expand", "for", "loans.approved", actor,
                  {"loan": row.id, "reason": reason.strip(), "override": override,
                   "reasons": found})
        info = loan_info(crm, row)
        crm.hook.dyncrm_expand_loan_decided(crm=crm, loan=info, decision="approved",
                                            actor=actor)
        _notify(crm, row, "loans/decision.txt", "loans.decision", f"loans:{row.id}:decision",
                decision="approved")
        return attrs.evolve(info, approval=status)


def reject(crm: CRM, actor: Actor, loan_id: int, *, reason: str,
           on: dt.date | None = None) -> LoanInfo:
    """Reject a submitted loan with a reason the member is told (``loans.decide``)."""
    with crm.action("loans.reject", actor, permission="loans.decide"):
        row = locked_loan_row(crm, loan_id)
        new = LOAN_STAGES.next_stage(label(row), row.stage, "reject")
        if not (reason or "").strip():
            raise ValidationError("say why the loan is rejected", field="reason")
        on = _date(crm, on, not_before=as_date(row.applied_on), what="on")
        found = recheck(crm, row.id, on)
        row.stage, row.decided_on, row.decided_by = new, on, actor.username
        row.decision_reason = reason.strip()
        row.reasons = found
        row.save()
        _event(row, "reject", actor, on, reason=reason.strip(), reasons_seen=found)
        crm.touch(row.member_id, "expand", "for", "loans.rejected", actor,
                  {"loan": row.id, "reason": reason.strip(), "reasons": found})
        info = loan_info(crm, row)
        crm.hook.dyncrm_expand_loan_decided(crm=crm, loan=info, decision="rejected",
                                            actor=actor)
        _notify(crm, row, "loans/decision.txt", "loans.decision", f"loans:{row.id}:decision",
                decision="rejected")
        return info


def withdraw(crm: CRM, actor: Actor, loan_id: int, *, reason: str = "",
             on: dt.date | None = None) -> LoanInfo:
    """Withdraw an application before disbursement: by the member, or staff for them."""
    with crm.action("loans.withdraw", actor):
        row = locked_loan_row(crm, loan_id)
        new = LOAN_STAGES.next_stage(label(row), row.stage, "withdraw")
        if actor.member_id != row.member_id:
            crm.require(actor, "loans.apply")
            _check_applicant(crm, actor, row.member_id)
        on = _date(crm, on, not_before=as_date(row.applied_on), what="on")
        row.stage = new
        row.save()
        _event(row, "withdraw", actor, on, reason=reason.strip())
        crm.touch(row.member_id, "expand", "by", "loans.withdrawn", actor,
                  {"loan": row.id, "reason": reason.strip()})
        return loan_info(crm, row)


def disburse(crm: CRM, actor: Actor, loan_id: int, *, method: str, reference: str,
             on: dt.date | None = None) -> DisbursementResult:
    """Pay out an approved loan (treasurer; ``loans.disburse``).

    Records the transfer (``method`` cash or transfer, with its ``reference``),
    stores the schedule (first installment on the product's due day of the
    next month), and posts one entry: debit ``loans.principal:m`` with the
    principal (amount plus fees added to it), credit cash/bank with what is
    paid out, credit ``income.loan_fees:m`` with all fees.  Idempotent per loan.
    """
    from dyncrm_expand.loans.corrections import disbursement_suffix

    # a reversed disbursement (dyncrm loan reverse) lets the loan be disbursed anew
    suffix = disbursement_suffix(int(loan_id))
    with crm.action("loans.disburse", actor, key=f"loans.disburse:{int(loan_id)}{suffix}",
                    permission="loans.disburse") as act:
        if act.replayed:
            return DisbursementResult(
                loan=loan_info(crm, loan_row(loan_id)),
                paid_out=money(crm, act.previous["paid_out"]),
                fees=tuple((n, money(crm, u)) for n, u in act.previous["fees"]),
                replayed=True)
        row = locked_loan_row(crm, loan_id)
        new = LOAN_STAGES.next_stage(label(row), row.stage, "disburse")
        if actor.member_id is not None and actor.member_id == row.member_id:
            raise FourEyesViolation(f"four eyes: {actor.username} is the borrower of loan "
                                    f"{row.id} and cannot disburse it")
        if method not in DISBURSEMENT_METHODS:
            raise ValidationError(f"must be one of {', '.join(DISBURSEMENT_METHODS)}",
                                  field="method")
        if not (reference or "").strip():
            raise ValidationError("give the transfer or cash slip reference",
                                  field="reference")
        on = _date(crm, on, not_before=as_date(row.decided_on), what="on")
        t = terms(row)
        fees = fee_amounts(t, row.amount, crm.ledger.exponent(row.currency))
        deducted = sum(u for _, mode, u in fees if mode == "deducted")
        added = sum(u for _, mode, u in fees if mode == "added")
        principal = row.amount + added
        paid_out = row.amount - deducted
        rows = t.schedule(principal, row.term, crm.ledger.exponent(row.currency))
        dates = due_dates(on, row.term, t.due_day)
        LoanInstallment.insert_many([
            {"loan": row.id, "number": r.number, "due_on": d, "principal": r.principal,
             "interest": r.interest} for r, d in zip(rows, dates, strict=True)]).execute()
        m = row.member_id
        legs = [Leg(crm.ledger.open_account("loans.principal", type="asset", member_id=m),
                    money(crm, principal)),
                Leg(source_account(crm, method), -money(crm, paid_out))]
        if deducted + added:
            legs.append(Leg(crm.ledger.open_account("income.loan_fees", type="income",
                                                    member_id=m),
                            -money(crm, deducted + added)))
        crm.ledger.post(legs, kind="loans.disbursement", actor=actor.username,
                        key=f"loans.disbursement:{row.id}{suffix}", on=on, member_id=m,
                        memo=f"loan {row.id} disbursed by {method} ({reference.strip()})",
                        meta={"loan": row.id, "reference": reference.strip()})
        row.stage, row.principal, row.disbursed_on = new, principal, on
        row.disbursement_method, row.disbursement_reference = method, reference.strip()
        row.disbursed_by = actor.username
        row.save()
        _event(row, "disburse", actor, on, reason=f"{method} {reference.strip()}")
        crm.touch(m, "expand", "for", "loans.disbursed", actor,
                  {"loan": row.id, "paid_out": paid_out, "principal": principal,
                   "method": method, "reference": reference.strip()})
        fee_list = [(n, u) for n, _, u in fees if u]
        _notify(crm, row, "loans/disbursed.txt", "loans.disbursed",
                f"loans:{row.id}:disbursed", paid_out=money(crm, paid_out),
                fees=[(n, money(crm, u)) for n, u in fee_list],
                first_due=dates[0], installment=money(crm, rows[0].total))
        act.done(paid_out=paid_out, fees=fee_list)
        return DisbursementResult(loan=loan_info(crm, row), paid_out=money(crm, paid_out),
                                  fees=tuple((n, money(crm, u)) for n, u in fee_list),
                                  replayed=False)


def write_off(crm: CRM, actor: Actor, loan_id: int, *, reason: str,
              on: dt.date | None = None) -> LoanInfo:
    """Write off a disbursed loan judged uncollectable (``loans.write_off``).

    Posts the outstanding principal from ``loans.principal:m`` to the
    ``write_off_account`` expense; unpaid interest and denda are not booked
    (they were never income), and the loan leaves arrears and reminders.
    """
    from dyncrm_expand.loans.queries import outstanding_units, settings

    with crm.action("loans.write_off", actor, permission="loans.write_off"):
        row = locked_loan_row(crm, loan_id)
        new = LOAN_STAGES.next_stage(label(row), row.stage, "write_off")
        if not (reason or "").strip():
            raise ValidationError("say why the loan is written off", field="reason")
        if actor.member_id is not None and actor.member_id == row.member_id:
            raise FourEyesViolation(f"four eyes: {actor.username} is the borrower of loan "
                                    f"{row.id} and cannot write it off")
        on = _date(crm, on, not_before=as_date(row.disbursed_on), what="on")
        owed = outstanding_units(row.id)
        if owed:
            expense = crm.ledger.open_account(settings(crm).write_off_account, type="expense")
            crm.ledger.transfer(
                money(crm, owed), debit=expense,
                credit=crm.ledger.open_account("loans.principal", type="asset",
                                               member_id=row.member_id),
                kind="loans.write_off", actor=actor.username, key=f"loans.write_off:{row.id}",
                on=on, member_id=row.member_id, memo=f"loan {row.id} written off: {reason}",
                meta={"loan": row.id})
        row.stage, row.closed_on = new, on
        row.save()
        _event(row, "write_off", actor, on, reason=reason.strip())
        crm.touch(row.member_id, "expand", "of", "loans.written_off", actor,
                  {"loan": row.id, "reason": reason.strip(), "principal": owed})
        return loan_info(crm, row)
