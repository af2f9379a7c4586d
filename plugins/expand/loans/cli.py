"""``dyncrm loan ...``: apply, decide, disburse, repay, and see schedules and arrears."""

from __future__ import annotations

from typing import Any

import click

from dyncrm import output
from dyncrm.cli import examples, json_option, pass_actor, subgroup
from dyncrm.cli_receipts import print_receipt, receipt_option
from dyncrm.dates import as_date as _day
from dyncrm.db.models import Member
from dyncrm.i18n import N_, gettext, translate
from dyncrm.params import AMOUNT, DATE, RATE, TERM
from dyncrm_expand import loans
from dyncrm_expand.loans.cli_agreement import agreement_cmd
from dyncrm_expand.loans.lifecycle import DISBURSEMENT_METHODS
from dyncrm_expand.loans.queries import LOAN_STAGES, settings
from dyncrm_expand.loans.repayment import REPAYMENT_METHODS
from dyncrm_expand.loans.schedule import METHODS, RATE_UNITS

#: A loan's stages as people read them ("1 closed, 2 submitted"): message ids.
LOAN_STAGE_WORDS = (N_("submitted"), N_("approved"), N_("disbursed"), N_("closed"),
                    N_("rejected"), N_("withdrawn"), N_("written_off"), N_("none"))

#: A rate's unit as people read it ("1% per month"): message ids with the rate.
_RATE_TEXTS = {"per_month": N_("{rate}% per month"), "per_year": N_("{rate}% per year")}


#: What happened to a loan (its history's actions) and the notes of its payments and
#: events, as people read them: message ids.
LOAN_EVENT_WORDS = (N_("apply"), N_("endorse"), N_("approve"), N_("reject"), N_("withdraw"),
                    N_("disburse"), N_("close"), N_("write_off"), N_("reopen"),
                    N_("reverse_disbursement"), N_("reverse_payment"), N_("fully repaid"),
                    N_("payoff"))  # "reversed" is the savings plugin's id

#: A fee's mode as people read it ("(deducted)"): message ids.
FEE_MODE_WORDS = (N_("deducted"), N_("added"))


def _said(text: str | None) -> str:
    """A value that may be a message id ("fully repaid") in the CLI's language; a
    person's own words (a committee's reason) as written."""
    return gettext(text) if text else ""


def _rate(rate: Any, unit: str) -> str:
    """``1% per month`` (a sentence of the catalogue, translated where it is shown)."""
    text = _RATE_TEXTS.get(unit)
    return text.format(rate=rate) if text else f"{rate}% {unit.replace('_', ' ')}"


def _can_view(crm, actor, loan) -> None:
    if actor.member_id is None or actor.member_id != loan.member_id:
        crm.require(actor, "loans.view")


def _who(crm, member_id: int) -> str:
    m = crm.member(member_id)
    return f"{m.number or '#' + str(m.id)} {m.name}"


def _loan_row(crm, loan, members: dict[int, Any] | None = None) -> dict[str, Any]:
    member = (members or {}).get(loan.member_id)
    who = (member.number or f"#{member.id}") if member else _who(crm, loan.member_id)
    return {"id": loan.id, "member": who, "product": loan.product,
            "amount": crm.format_money(loan.amount), "term": loan.term, "stage": loan.stage,
            "applied": loan.applied_on, "decided by": loan.decided_by or "",
            "reasons": len(loan.reasons)}


def _schedule_rows(crm, items) -> list[dict[str, Any]]:
    fmt = crm.format_money
    return [{"#": i.number, "due": i.due_on, "principal": fmt(i.principal),
             "interest": fmt(i.interest), "installment": fmt(i.total),
             "paid": fmt(i.principal_paid + i.interest_paid),
             "denda": fmt(i.penalty_assessed) if i.penalty_assessed else "",
             "paid on": i.paid_on or ""} for i in items]


@examples("dyncrm --as anggota1 loan apply XYZ-2025-00003 konsumtif 2.000.000 --term 12")
@click.command("apply")
@click.argument("member_ref", metavar="MEMBER")
@click.argument("product")
@click.argument("amount", type=AMOUNT)
@click.option("--term", type=TERM, required=True, help="Months to repay in.")
@click.option("--purpose", default="", help="What the loan is for.")
@click.option("--ref", "reference", help="Form number; the same reference is recorded once.")
@click.option("--date", "on", type=DATE, help="Date of the application (default: today).")
@json_option
@pass_actor
def apply_cmd(crm, actor, member_ref, product, amount, term, purpose, reference, on, as_json):
    """Record MEMBER's application for AMOUNT of loan PRODUCT."""
    member = crm.member(member_ref)
    loan, replayed = loans.apply(crm, actor, member.id, product, crm.money(amount), term=term,
                                 purpose=purpose, on=_day(on), reference=reference)
    if as_json:
        output.emit({"loan": loan, "replayed": replayed})
        return
    if replayed:
        click.echo(f"already recorded: application {reference} is loan {loan.id}; "
                   "nothing changed")
        return
    click.echo(f"recorded loan {loan.id}: {crm.format_money(loan.amount)} {loan.product_name} "
               f"over {loan.term} months for {_who(crm, member.id)}; waiting for the credit "
               "committee")
    for reason in loan.reasons:
        click.echo(f"  note for the committee: {reason}")


@examples("dyncrm --as bendahara loan list --stage closed")
@click.command("list")
@click.option("--stage", type=click.Choice(LOAN_STAGES.stages), help="Only loans in this stage.")
@click.option("--member", "member_ref", help="Only this member's loans.")
@json_option
@pass_actor
def list_cmd(crm, actor, stage, member_ref, as_json):
    """List loans, newest first."""
    member_id = crm.member(member_ref).id if member_ref else None
    if member_id is None or actor.member_id != member_id:
        crm.require(actor, "loans.view")
    found = loans.list_loans(crm, member_id=member_id, stage=stage)
    if as_json:
        output.emit(found)
        return
    ids = {loan.member_id for loan in found}
    members = {m.id: m for m in Member.select().where(Member.id.in_(list(ids)))} if ids else {}
    output.table([_loan_row(crm, loan, members) for loan in found],
                 ["id", "member", "product", "amount", "term", "stage", "applied",
                  "decided by", "reasons"], align_right=["amount"], empty="no loans")


@examples("dyncrm --as bendahara loan show 1")
@click.command("show")
@click.argument("loan_id", type=int)
@click.option("--date", "on", type=DATE, help="Show as of this date (default: today).")
@json_option
@pass_actor
def show_cmd(crm, actor, loan_id, on, as_json):
    """The committee's view of a loan: terms, eligibility, savings, history, arrears."""
    loan = loans.get(crm, loan_id)
    _can_view(crm, actor, loan)
    view = loans.committee_view(crm, loan_id, _day(on))
    items = loans.installments(crm, loan_id)
    pays = loans.payments(crm, loan_id)
    if as_json:
        output.emit({**view, "installments": items, "payments": pays,
                     "details": [{"label": str(k), "text": str(v)}  # as the plugins show them
                                 for k, v in view["details"].items()],
                     "outstanding": loans.outstanding(crm, loan_id)})
        return
    fmt = crm.format_money
    hist = view["history"]
    # the values are sentences made of message ids (N_), said in the CLI's language
    click.echo(click.style(translate(N_("Loan {id} — {product} ({stage})").format(
        id=loan.id, product=loan.product_name, stage=loan.stage)), bold=True))
    decision = "-"
    if loan.decided_by:
        decision = translate(N_("{stage} on {date} by {user}").format(
            stage=loan.stage, date=loan.decided_on, user=loan.decided_by))
        decision += f": {loan.decision_reason}" if loan.decision_reason else ""
    output.kv({
        "member": translate(N_("{member} ({stage}, joined {date})").format(
            member=_who(crm, loan.member_id), stage=view["member"].stage,
            date=view["member"].joined_on or "?")),
        "amount": fmt(loan.amount),
        "terms": translate(N_("{rate}, {method}, {term} months").format(
            rate=_rate(loan.rate, loan.rate_unit), method=loan.method, term=loan.term)),
        "purpose": loan.purpose or "-",
        "applied": translate(N_("{date} (recorded by {user})").format(
            date=loan.applied_on, user=loan.applied_by)),
        "decision": decision,
        "outstanding": fmt(loans.outstanding(crm, loan_id)),
    })
    click.echo()
    click.echo(click.style(gettext("Eligibility"), bold=True))
    if view["reasons"]:
        for reason in view["reasons"]:
            click.echo(f"  - {reason}")
    else:
        click.echo("  no reasons against it")
    click.echo()
    click.echo(click.style(gettext("Member"), bold=True))
    pay = view["take_home_pay"]
    output.kv({
        **{N_("savings {product}").format(product=k): fmt(v)
           for k, v in view["savings"].items()},
        "take-home pay": fmt(pay) if pay is not None else "unknown",
        "monthly deductions": ", ".join(f"{label} {fmt(a)}" for label, a in
                                        view["deductions"]) or "none",
        "loans": ", ".join(f"{n} {gettext(s)}" for s, n in sorted(hist["loans"].items()))
                 or gettext("none"),
        "outstanding on all loans": fmt(hist["outstanding"]),
        "installments paid late": translate(N_("{count} (worst {days} days)").format(
            count=hist["installments_paid_late"], days=hist["worst_days_late"])),
        "arrears": translate(N_("{amount} in {count} installments, {days} days past due, "
                                "denda {penalty}").format(
            amount=fmt(hist["arrears"]), count=hist["overdue_installments"],
            days=hist["days_past_due"], penalty=fmt(hist["penalty_owed"]))),
        # the member details plugins add: their values are message ids or sentences of them
        **{str(k): translate(v) if isinstance(v, str) else v
           for k, v in view["details"].items()},
    })
    if items:
        click.echo()
        click.echo(click.style(gettext("Schedule"), bold=True))
        output.table(_schedule_rows(crm, items), align_right=["principal", "interest",
                                                               "installment", "paid", "denda"])
    if pays:
        click.echo()
        click.echo(click.style(gettext("Payments"), bold=True))
        output.table([{"date": p.on, "reference": p.reference, "method": p.method,
                       "amount": fmt(p.amount), "denda": fmt(p.penalty),
                       "interest": fmt(p.interest), "principal": fmt(p.principal),
                       "to sukarela": fmt(p.overpayment) if p.overpayment else "",
                       "note": " ".join(gettext(w) for w, on in (
                           ("payoff", p.payoff), ("reversed", p.reversed)) if on)}
                      for p in pays],
                     align_right=["amount", "denda", "interest", "principal", "to sukarela"])
    click.echo()
    click.echo(click.style(gettext("History"), bold=True))
    # actions and the library's own reasons ("fully repaid") are message ids
    output.table([{"date": e["on"], "action": gettext(e["action"]), "by": e["actor"],
                   "reason": _said(e["reason"] or e["override"])} for e in view["events"]])


@examples("dyncrm --as panitia1 loan approve 3")
@click.command("approve")
@click.argument("loan_id", type=int)
@click.option("--reason", default="", help="The committee's note on the decision.")
@click.option("--override", default="",
              help="Approve despite eligibility reasons: the committee's justification.")
@click.option("--date", "on", type=DATE, help="Date of the decision (default: today).")
@json_option
@pass_actor
def approve_cmd(crm, actor, loan_id, reason, override, on, as_json: bool):
    """Approve a submitted loan (credit committee; not the applicant or who recorded it)."""
    loan = loans.approve(crm, actor, loan_id, reason=reason, override=override, on=_day(on))
    status = loan.approval
    if status is not None and not status.complete:
        again = "you had already approved it; " if status.replayed else ""
        output.action(as_json, f"loan {loan.id} ({crm.format_money(loan.amount)} for "
                               f"{_who(crm, loan.member_id)}) is not approved yet: {again}"
                               f"{status.describe()}",
                      replayed=status.replayed, loan_id=loan.id, amount=loan.amount,
                      approved=False, approval=status)
        return
    output.action(as_json, f"approved loan {loan.id} ({crm.format_money(loan.amount)} for "
                           f"{_who(crm, loan.member_id)}) by "
                           f"{', '.join(status.approvers) if status else actor}"
                           "; the treasurer can disburse it",
                  replayed=bool(status and status.replayed), loan_id=loan.id,
                  amount=loan.amount, approved=True, approval=status)


@examples("dyncrm --as panitia1 loan reject 3 --reason \"installments above a third of the "
          "salary\"",
          run=False)
@click.command("reject")
@click.argument("loan_id", type=int)
@click.option("--reason", required=True, help="Why; the member is told.")
@click.option("--date", "on", type=DATE, help="Date of the decision (default: today).")
@json_option
@pass_actor
def reject_cmd(crm, actor, loan_id, reason, on, as_json: bool):
    """Reject a submitted loan with a reason."""
    loan = loans.reject(crm, actor, loan_id, reason=reason, on=_day(on))
    output.action(as_json, f"rejected loan {loan.id}: {loan.decision_reason}")


@examples("dyncrm --as anggota1 loan withdraw 3", run=False)
@click.command("withdraw")
@click.argument("loan_id", type=int)
@click.option("--reason", default="", help="Why the application is withdrawn.")
@json_option
@pass_actor
def withdraw_cmd(crm, actor, loan_id, reason, as_json: bool):
    """Withdraw an application before it is disbursed."""
    loan = loans.withdraw(crm, actor, loan_id, reason=reason)
    output.action(as_json, f"withdrew loan {loan.id}")


@examples("dyncrm --as bendahara loan disburse 3 --method transfer --ref BCA-OUT-0100")
@click.command("disburse")
@click.argument("loan_id", type=int)
@click.option("--method", type=click.Choice(DISBURSEMENT_METHODS), required=True)
@click.option("--ref", "reference", required=True, help="Transfer or cash slip reference.")
@click.option("--date", "on", type=DATE, help="Date paid out (default: today).")
@receipt_option
@json_option
@pass_actor
def disburse_cmd(crm, actor, loan_id, method, reference, on, as_json):
    """Pay out an approved loan and start its schedule."""
    result = loans.disburse(crm, actor, loan_id, method=method, reference=reference,
                            on=_day(on))
    posted = crm.ledger.entry_by_key(f"loans.disbursement:{result.loan.id}")
    print_receipt(crm, posted.id if posted else None, replayed=result.replayed)
    if as_json:
        output.emit(result)
        return
    loan = result.loan
    if result.replayed:
        click.echo(f"loan {loan.id} was already disbursed on {loan.disbursed_on}; "
                   "nothing changed")
        return
    fees = ", ".join(f"{n} {crm.format_money(a)}" for n, a in result.fees)
    first = loans.installments(crm, loan.id)[0]
    click.echo(f"disbursed loan {loan.id}: paid out {crm.format_money(result.paid_out)}"
               + (f" (fees: {fees})" if fees else "")
               + f"; principal {crm.format_money(loan.principal)}, first installment "
               f"{crm.format_money(first.total)} due {first.due_on}")


@examples("dyncrm --as kasir loan repay 3 200.000 --method cash --ref KW-0042")
@click.command("repay")
@click.argument("loan_id", type=int)
@click.argument("amount", type=AMOUNT)
@click.option("--method", type=click.Choice(REPAYMENT_METHODS[:3]), required=True)
@click.option("--ref", "reference", required=True,
              help="Receipt, transfer or payroll line; the same reference never posts twice.")
@click.option("--date", "on", type=DATE, help="Date paid (default: today).")
@click.option("--payoff", is_flag=True, help="Settle the whole loan now (see payoff-quote).")
@receipt_option
@json_option
@pass_actor
def repay_cmd(crm, actor, loan_id, amount, method, reference, on, payoff, as_json):
    """Record a repayment of AMOUNT on a loan."""
    result = loans.repay(crm, actor, loan_id, crm.money(amount), method=method,
                         reference=reference, on=_day(on), payoff=payoff)
    posted = crm.ledger.entry_by_key(f"loans.repayment:{result.payment.reference}")
    print_receipt(crm, posted.id if posted else None, replayed=result.replayed)
    if as_json:
        output.emit(result)
        return
    p = result.payment
    fmt = crm.format_money
    if result.replayed:
        click.echo(f"already recorded: payment {p.reference} of {fmt(p.amount)} on loan "
                   f"{p.loan_id} ({p.on}); nothing changed")
        return
    parts = [f"denda {fmt(p.penalty)}"] if p.penalty else []
    parts += [f"interest {fmt(p.interest)}", f"principal {fmt(p.principal)}"]
    click.echo(f"recorded {fmt(p.amount)} on loan {p.loan_id}: " + ", ".join(parts))
    if p.overpayment:
        click.echo(f"  {fmt(p.overpayment)} more than the loan owed went to sukarela savings")
    if result.closed:
        click.echo(f"  loan {p.loan_id} is fully repaid and closed")
    else:
        click.echo(f"  outstanding principal {fmt(loans.outstanding(crm, p.loan_id))}")


@examples("dyncrm --as bendahara loan schedule 1")
@click.command("schedule")
@click.argument("loan_id", type=int)
@json_option
@pass_actor
def schedule_cmd(crm, actor, loan_id, as_json):
    """The installments of a loan (a preview before it is disbursed)."""
    loan = loans.get(crm, loan_id)
    _can_view(crm, actor, loan)
    items = loans.installments(crm, loan_id)
    if items:
        if as_json:
            output.emit(items)
        else:
            output.table(_schedule_rows(crm, items), align_right=[
                "principal", "interest", "installment", "paid", "denda"])
        return
    sim = loans.preview(crm, loan_id)
    _print_simulation(crm, sim, as_json, note=f"preview: loan {loan.id} is {loan.stage}")


def _print_simulation(crm, sim, as_json: bool, note: str = "") -> None:
    if as_json:
        output.emit(sim)
        return
    fmt = crm.format_money
    if note:
        click.echo(note)
    # sentences made of message ids (the rate's unit, the fee's mode), said translated
    click.echo(translate(N_("{amount} over {term} months, {method}, {rate}").format(
        amount=fmt(sim.amount), term=sim.term, method=sim.method,
        rate=_rate(sim.rate, sim.rate_unit))))
    for name, mode, amount in sim.fees:
        click.echo(translate(N_("  fee {name}: {amount} ({mode})").format(
            name=name, amount=fmt(amount), mode=gettext(mode))))
    output.table([{"#": r["number"], "due": r["due_on"], "principal": fmt(r["principal"]),
                   "interest": fmt(r["interest"]), "installment": fmt(r["installment"]),
                   "remaining": fmt(r["remaining"])} for r in sim.rows],
                 align_right=["principal", "interest", "installment", "remaining"])
    click.echo(f"total interest {fmt(sim.total_interest)}; total repaid {fmt(sim.total_paid)}")


@examples("dyncrm loan simulate konsumtif --amount 12.000.000 --term 12")
@click.command("simulate")
@click.argument("product", required=False)
@click.option("--amount", type=AMOUNT, required=True, help="Amount to borrow.")
@click.option("--term", type=TERM, required=True, help="Months.")
@click.option("--method", type=click.Choice((*METHODS, "efektif", "anuitas")),
              help="Interest method (default: the product's).")
@click.option("--rate", type=RATE,
              help='Rate in percent, e.g. "1", "1,5" or "1,5%" (default: the product\'s).')
@click.option("--rate-unit", type=click.Choice(RATE_UNITS), help="per_month or per_year.")
@click.option("--start", type=DATE, help="Disbursement date the dates count from.")
@json_option
@click.pass_context
def simulate_cmd(ctx, product, amount, term, method, rate, rate_unit, start, as_json):
    """Print the schedule of a loan before anyone applies (a PRODUCT, or --method and --rate)."""
    crm = ctx.obj.crm
    sim = loans.simulate(crm, amount=crm.money(amount), term=term, product=product,
                         method=method, rate=rate, rate_unit=rate_unit, start=_day(start))
    _print_simulation(crm, sim, as_json)


@examples("dyncrm --as bendahara loan payoff-quote 3")
@click.command("payoff-quote")
@click.argument("loan_id", type=int)
@click.option("--date", "on", type=DATE, help="Payoff date (default: today).")
@json_option
@pass_actor
def payoff_quote_cmd(crm, actor, loan_id, on, as_json):
    """What settles a loan in full on a date (pelunasan dipercepat)."""
    loan = loans.get(crm, loan_id)
    _can_view(crm, actor, loan)
    quote = loans.payoff_quote(crm, loan_id, _day(on))
    if as_json:
        output.emit(quote)
        return
    fmt = crm.format_money
    output.kv({"loan": loan.id, "on": quote.on, "denda": fmt(quote.penalty),
               "interest due": fmt(quote.interest_due), "principal": fmt(quote.principal),
               "payoff interest": fmt(quote.payoff_interest), "total": fmt(quote.total)})


@examples("dyncrm --as bendahara loan overdue --date 2025-12-31")
@click.command("overdue")
@click.option("--date", "on", type=DATE, help="As of this date (default: today).")
@click.option("--member", "member_ref", help="Only this member.")
@json_option
@pass_actor
def overdue_cmd(crm, actor, on, member_ref, as_json):
    """Overdue installments with days past due, denda and the loan's collectibility."""
    member_id = crm.member(member_ref).id if member_ref else None
    if member_id is None or actor.member_id != member_id:
        crm.require(actor, "loans.view")
    day = _day(on) or crm.today()
    items = loans.overdue(crm, day, member_id=member_id)
    grades = {g.loan_id: g for g in loans.collectibility(crm, day, member_id=member_id)}
    if as_json:
        output.emit({"on": day, "installments": items,
                          "grades": [g for g in grades.values() if g.days_past_due]})
        return
    ids = {i.member_id for i in items}
    members = {m.id: m for m in Member.select().where(Member.id.in_(list(ids)))} if ids else {}
    fmt = crm.format_money
    output.table([{"loan": i.loan_id, "member": members[i.member_id].number or
                   f"#{i.member_id}", "name": members[i.member_id].name, "#": i.number,
                   "due": i.due_on, "days": i.days_past_due, "unpaid": fmt(i.unpaid),
                   "denda": fmt(i.penalty), "grade": grades[i.loan_id].grade}
                  for i in items], align_right=["days", "unpaid", "denda"],
                 empty=f"no overdue installments on {day}")


@examples("dyncrm --as ketua loan write-off 3 --reason \"member deceased, no estate\"", run=False)
@click.command("write-off")
@click.argument("loan_id", type=int)
@click.option("--reason", required=True, help="Why the loan cannot be collected.")
@json_option
@pass_actor
def write_off_cmd(crm, actor, loan_id, reason, as_json: bool):
    """Write off a disbursed loan judged uncollectable."""
    loan = loans.write_off(crm, actor, loan_id, reason=reason)
    output.action(as_json, f"wrote off loan {loan.id}")


@examples("dyncrm loan products")
@click.command("products")
@json_option
@click.pass_context
def products_cmd(ctx, as_json):
    """The loan products this cooperative offers."""
    crm = ctx.obj.crm
    products = settings(crm).products
    rows = [{"code": code, "name": p.name, "method": p.method,
             "rate": translate(_rate(p.rate, p.rate_unit)),
             "term": translate(N_("{low}-{high} months").format(low=p.term_min,
                                                                high=p.term_max)),
             "due_day": p.due_day,
             "fees": ", ".join(f"{f.name} {f.percent}%" if f.percent is not None
                               else f"{f.name} {crm.format_money(crm.money(f.fixed))}"
                               for f in p.fees),
             "denda": p.penalty.kind} for code, p in sorted(products.items())]
    output.emit(rows) if as_json else output.table(rows, empty="no loan products")


@examples("dyncrm --as bendahara loan reverse 530 --reason \"cheque bounced\"", run=False)
@click.command("reverse")
@click.argument("entry_id", type=int)
@click.option("--reason", required=True, help="Why the entry is corrected (kept in the books).")
@click.option("--key", default=None,
              help="Idempotency key of the correction (default: correction:ENTRY_ID).")
@json_option
@pass_actor
def reverse_cmd(crm, actor, entry_id, reason, key, as_json):
    """Correct a repayment or a disbursement entry by reversing it.

    A repayment (the loan's latest) reopens its installments and their denda;
    a disbursement is reversed only while nothing is repaid, and the loan is
    approved again.
    """
    from dyncrm_expand.loans.corrections import reverse_entry

    result = reverse_entry(crm, actor, entry_id, reason=reason, key=key)
    output.emit(result) if as_json else click.echo(result.describe())


COMMANDS = [apply_cmd, list_cmd, show_cmd, approve_cmd, reject_cmd, withdraw_cmd, disburse_cmd,
            repay_cmd, schedule_cmd, simulate_cmd, payoff_quote_cmd, overdue_cmd,
            write_off_cmd, products_cmd, reverse_cmd, agreement_cmd]


def register(cli: click.Group) -> None:
    """Add the ``loan`` group to the ``dyncrm`` command tree."""
    group = subgroup(cli, "loan", "Loans: apply, decide, disburse, repay.")
    for command in COMMANDS:
        group.add_command(command)


__all__ = ["COMMANDS", "register"]
