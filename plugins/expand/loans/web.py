"""The portal's loan pages: members simulate, apply and follow their loans; staff decide,
disburse and record repayments.

Members (``/loans/``) see only their own loans: the member comes from the
sign-in, never from the URL, and a loan id of another member is a 404.  Staff
pages check the permission the library action checks again (``loans.decide``,
``loans.disburse``, ``loans.repay``).  Every rule is the library's
(:mod:`dyncrm_expand.loans`); the views parse input with the CLI's parsers and
show the library's refusals next to the field they concern.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from dyncrm.errors import IllegalTransition, ValidationError
from dyncrm.hookspecs import hookimpl
from dyncrm.inputs import parse_term
from dyncrm.web import Card, MenuEntry, QueueItem, QueueSource, WebExtension
from dyncrm.web.forms import field_error, form_key
from dyncrm.web.guards import (
    actor,
    can,
    crm,
    member_only,
    own_member_id,
    signed_in,
    staff_only,
)
from dyncrm_expand import loans
from dyncrm_expand.loans.lifecycle import DISBURSEMENT_METHODS, FourEyesViolation
from dyncrm_expand.loans.overview import approval_status, eligibility, member_loans, waiting
from dyncrm_expand.loans.queries import settings
from dyncrm_expand.loans.repayment import REPAYMENT_METHODS

blueprint = Blueprint("loans", __name__, url_prefix="/loans", template_folder="templates")




def _products() -> list[tuple[str, str]]:
    return [(code, p.name) for code, p in sorted(settings(crm()).products.items())]


def _own_loan(loan_id: int):
    """The loan ``loan_id`` if it is the signed-in member's (404 otherwise)."""
    from dyncrm.errors import NotFoundError

    try:
        loan = loans.get(crm(), loan_id)
    except NotFoundError:
        abort(404)
    if loan.member_id != own_member_id():
        abort(404)
    return loan


def _method_label(method: str) -> str:
    c = crm()
    labels = {"cash": c.t("Cash"), "transfer": c.t("Bank transfer"),
              "payroll": c.t("Payroll deduction")}
    return labels.get(method, method)




def _apply_reference(member_id: int, key: str) -> str:
    """The idempotency reference of a web application: the member's own, from the form's key."""
    return f"web:m{member_id}:{form_key(key)}"


# -- members -------------------------------------------------------------------------


@blueprint.route("/")
@member_only
def mine():
    """The member's loans, newest first."""
    found = loans.list_loans(crm(), member_id=own_member_id())
    return render_template("web/loans/list.html", loans=found,
                           active={g.id: g for g in member_loans(crm(), own_member_id())})


@blueprint.route("/<int:loan_id>")
@member_only
def detail(loan_id: int):
    """One of the member's loans with its full schedule (a preview before disbursement)."""
    loan = _own_loan(loan_id)
    c = crm()
    items = loans.installments(c, loan.id)
    preview = None
    if not items and loan.stage in ("submitted", "approved"):
        preview = loans.preview(c, loan.id)
    payments = loans.payments(c, loan.id)
    return render_template("web/loans/detail.html", loan=loan, items=items, preview=preview,
                           payments=payments, outstanding=loans.outstanding(c, loan.id),
                           receipts=receipt_numbers(c, loan.id, payments))


def receipt_numbers(c, loan_id: int, payments) -> dict[str, str]:
    """Receipt numbers of a loan's disbursement (key ``"disbursement"``) and payments
    (by reference), found through their ledger keys in two queries."""
    from dyncrm.db.models import JournalEntry

    keys = {f"loans.disbursement:{loan_id}": "disbursement"}
    keys.update({f"loans.repayment:{p.reference}": p.reference for p in payments})
    entries = {e.id: keys[e.key] for e in JournalEntry.select(JournalEntry.id, JournalEntry.key)
               .where(JournalEntry.key.in_(list(keys)))}
    return {entries[entry]: number for entry, number in c.receipts.for_entries(entries).items()}


@blueprint.route("/<int:loan_id>/agreement.pdf")
@signed_in
def agreement_download(loan_id: int):
    """The loan agreement as a PDF: the borrower's own (404 for other members), or staff
    holding ``loans.view``."""
    import io

    from flask import send_file

    from dyncrm.errors import NotFoundError
    from dyncrm_expand.loans.agreement import agreement, agreement_pdf

    c, who = crm(), actor()
    try:
        loan = loans.get(c, loan_id)
    except NotFoundError:
        abort(404)
    if loan.member_id != who.member_id and not can("loans.view"):
        abort(404)
    doc = agreement(c, who, loan_id)
    return send_file(io.BytesIO(agreement_pdf(c, doc)), mimetype="application/pdf",
                     as_attachment=True, download_name=f"agreement-loan-{loan_id}.pdf")


@blueprint.route("/<int:loan_id>/withdraw", methods=["POST"])
@member_only
def withdraw(loan_id: int):
    """The member withdraws their own application before it is paid out."""
    c = crm()
    loan = _own_loan(loan_id)
    try:
        loans.withdraw(c, actor(), loan.id, reason=request.form.get("reason", ""))
    except (ValidationError, IllegalTransition) as exc:
        flash(str(exc), "error")
    else:
        flash(c.t("Your application for loan {id} is withdrawn.", id=loan.id))
    return redirect(url_for("loans.detail", loan_id=loan.id), 303)


def _read_request(form: Any, errors: dict[str, str]) -> dict[str, Any]:
    """Product, amount and months from a form, parsed as the CLI parses them."""
    c = crm()
    values = {"product": form.get("product", ""), "amount": form.get("amount", "").strip(),
              "term": form.get("term", "").strip(), "purpose": form.get("purpose", "")}
    parsed: dict[str, Any] = {}
    if values["product"] not in settings(c).products:
        errors["product"] = c.t("Choose one of the loan products.")
    try:
        parsed["amount"] = c.money(values["amount"], field="amount")
    except ValidationError as exc:
        errors.update(field_error(exc))
    try:
        parsed["term"] = parse_term(values["term"], field="term")
    except ValidationError as exc:
        errors.update(field_error(exc))
    values["parsed"] = parsed
    return values


def _simulate(values: dict[str, Any], errors: dict[str, str]):
    """The schedule and the member's eligibility reasons, or ``(None, [])`` on bad input."""
    if errors:
        return None, []
    c = crm()
    p = values["parsed"]
    try:
        sim = loans.simulate(c, amount=p["amount"], term=p["term"], product=values["product"])
        found = eligibility(c, own_member_id(), values["product"], p["amount"], p["term"])
    except ValidationError as exc:
        errors.update(field_error(exc))
        return None, []
    return sim, found


@blueprint.route("/simulate")
@member_only
def simulate():
    """Simulate a loan: its schedule and the reasons the committee would see, then apply."""
    errors: dict[str, str] = {}
    sim, found = None, []
    if "amount" in request.args:
        values = _read_request(request.args, errors)
        sim, found = _simulate(values, errors)
    else:
        values = {"product": "", "amount": "", "term": "", "purpose": ""}
    return render_template("web/loans/simulate.html", values=values, errors=errors,
                           products=_products(), sim=sim, reasons=found,
                           key=form_key()), (400 if errors else 200)


@blueprint.route("/apply", methods=["POST"])
@member_only
def apply():
    """Apply for the simulated loan: the member's own application, once per form."""
    c = crm()
    errors: dict[str, str] = {}
    values = _read_request(request.form, errors)
    key = request.form.get("key", "")
    if not errors:
        p = values["parsed"]
        member_id = own_member_id()
        try:
            loan, replayed = loans.apply(c, actor(), member_id, values["product"], p["amount"],
                                         term=p["term"], purpose=values["purpose"],
                                         reference=_apply_reference(member_id, key))
        except ValidationError as exc:
            errors.update(field_error(exc))
        else:
            if loan.member_id != member_id:
                abort(404)
            if not replayed:
                flash(c.t("Your application for loan {id} is sent to the credit committee.",
                          id=loan.id))
            return redirect(url_for("loans.detail", loan_id=loan.id), 303)
    sim, found = _simulate(values, dict(errors)) if not errors else (None, [])
    return render_template("web/loans/simulate.html", values=values, errors=errors,
                           products=_products(), sim=sim, reasons=found,
                           key=key or form_key()), 400


# -- staff: decide -------------------------------------------------------------------


@blueprint.route("/decide/")
@staff_only("loans.decide")
def to_decide():
    """Applications waiting for the credit committee."""
    return render_template("web/loans/waiting.html", rows=waiting(crm(), "submitted"),
                           title=crm().t("Loans to decide"), endpoint="loans.decide")


def _decide_page(loan_id: int, errors: dict[str, str], values: dict[str, str], status: int):
    c = crm()
    view = loans.committee_view(c, loan_id)
    quorum = approval_status(c, loan_id, view["reasons"])
    return render_template("web/loans/decide.html", view=view, loan=view["loan"],
                           quorum=quorum, errors=errors, values=values), status


@blueprint.route("/decide/<int:loan_id>", methods=["GET", "POST"])
@staff_only("loans.decide")
def decide(loan_id: int):
    """The committee's view of a loan and its decision: approve, override or reject."""
    c = crm()
    values = {"reason": "", "override": "", "reject_reason": ""}
    if request.method == "GET":
        loans.get(c, loan_id)  # 404 for an unknown loan
        return _decide_page(loan_id, {}, values, 200)
    decision = request.form.get("decision", "")
    values.update({k: request.form.get(k, "") for k in values})
    errors: dict[str, str] = {}
    try:
        if decision == "approve":
            loan = loans.approve(c, actor(), loan_id, reason=values["reason"])
        elif decision == "override":
            if not values["override"].strip():
                raise ValidationError(c.t("Say why the committee approves despite the "
                                          "reasons."), field="override")
            loan = loans.approve(c, actor(), loan_id, override=values["override"])
        elif decision == "reject":
            loan = loans.reject(c, actor(), loan_id, reason=values["reject_reason"])
        else:
            abort(400)
    except FourEyesViolation as exc:
        return _decide_page(loan_id, {"_": str(exc)}, values, 403)
    except IllegalTransition as exc:  # decided meanwhile: show the loan as it is now
        return _decide_page(loan_id, {"_": str(exc)}, values, 409)
    except ValidationError as exc:
        if exc.field == "reason" and decision == "reject":
            errors["reject_reason"] = str(exc)
        else:
            errors.update(field_error(exc))
        return _decide_page(loan_id, errors, values, 400)
    status = loan.approval
    if decision != "reject" and status is not None and not status.complete:
        if status.replayed:
            flash(c.t("You had already approved loan {id}; each person counts once, so "
                      "another member of the committee must approve: {have} of {needed} "
                      "approvals.", id=loan.id, have=len(status.approvers),
                      needed=status.needed), "error")
        else:
            flash(c.t("Your approval of loan {id} is recorded: {have} of {needed} approvals.",
                      id=loan.id, have=len(status.approvers), needed=status.needed))
        return redirect(url_for("loans.decide", loan_id=loan.id), 303)
    if decision == "reject":
        flash(c.t("Loan {id} is rejected.", id=loan.id))
    else:
        flash(c.t("Loan {id} is approved; the treasurer can disburse it.", id=loan.id))
    return redirect(url_for("loans.to_decide"), 303)


# -- staff: disburse -----------------------------------------------------------------


@blueprint.route("/disburse/")
@staff_only("loans.disburse")
def to_disburse():
    """Approved loans waiting to be paid out."""
    return render_template("web/loans/waiting.html", rows=waiting(crm(), "approved"),
                           title=crm().t("Loans to disburse"), endpoint="loans.disburse")


@blueprint.route("/disburse/<int:loan_id>", methods=["GET", "POST"])
@staff_only("loans.disburse")
def disburse(loan_id: int):
    """Pay out an approved loan: how, and the transfer or cash slip reference."""
    c = crm()
    loan = loans.get(c, loan_id)
    values = {"method": request.form.get("method", "transfer"),
              "reference": request.form.get("reference", "")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            result = loans.disburse(c, actor(), loan_id, method=values["method"],
                                    reference=values["reference"])
        except (FourEyesViolation, IllegalTransition) as exc:
            errors["_"] = str(exc)
        except ValidationError as exc:
            errors.update(field_error(exc))
        else:
            flash(c.t("Loan {id} is disbursed: {amount} paid out.", id=loan_id,
                      amount=c.format_money(result.paid_out)))
            return redirect(url_for("loans.to_disburse"), 303)
    preview = loans.preview(c, loan_id) if loan.stage == "approved" else None
    methods = [(m, _method_label(m)) for m in DISBURSEMENT_METHODS]
    return render_template("web/loans/disburse.html", loan=loan, member=c.member(loan.member_id),
                           preview=preview, values=values, errors=errors,
                           methods=methods), (400 if errors else 200)


# -- staff: repayments ---------------------------------------------------------------


#: loans listed on the repayment page; others are opened by their number
REPAY_LIST_LIMIT = 200


@blueprint.route("/repay/")
@staff_only("loans.repay")
def to_repay():
    """Loans being repaid: open one by its number, or from the list."""
    c = crm()
    wanted = request.args.get("loan", "").strip()
    errors: dict[str, str] = {}
    if wanted:
        if wanted.isdigit() and len(wanted) <= 12:
            return redirect(url_for("loans.repay", loan_id=int(wanted)), 303)
        errors["loan"] = c.t("Give the loan's number.")
    rows = waiting(c, "disbursed", limit=REPAY_LIST_LIMIT)
    return render_template("web/loans/repay_list.html", rows=rows, errors=errors,
                           wanted=wanted, limit=REPAY_LIST_LIMIT), (400 if errors else 200)


@blueprint.route("/repay/<int:loan_id>", methods=["GET", "POST"])
@staff_only("loans.repay")
def repay(loan_id: int):
    """Record a repayment of a disbursed loan (cash, transfer or payroll)."""
    c = crm()
    loan = loans.get(c, loan_id)
    values = {"amount": request.form.get("amount", ""),
              "method": request.form.get("method", "cash"),
              "reference": request.form.get("reference", "")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            amount = c.money(values["amount"], field="amount")
            result = loans.repay(c, actor(), loan_id, amount, method=values["method"],
                                 reference=values["reference"])
        except (FourEyesViolation, IllegalTransition) as exc:
            errors["_"] = str(exc)
        except ValidationError as exc:
            errors.update(field_error(exc))
        else:
            flash(c.t("Recorded {amount} on loan {id}.", id=loan_id,
                      amount=c.format_money(result.payment.amount)))
            return redirect(url_for("loans.repay", loan_id=loan_id), 303)
    methods = [(m, _method_label(m)) for m in REPAYMENT_METHODS[:3]]
    payments = loans.payments(c, loan_id)
    return render_template("web/loans/repay.html", loan=loan, member=c.member(loan.member_id),
                           payments=payments,
                           receipts=receipt_numbers(c, loan_id, payments),
                           items=loans.installments(c, loan_id),
                           outstanding=loans.outstanding(c, loan_id), values=values,
                           errors=errors, methods=methods), (400 if errors else 200)


# -- dashboard and queue -------------------------------------------------------------


def _card(c, who) -> dict[str, Any] | None:
    if who.member_id is None:
        return None
    found = member_loans(c, who.member_id)
    return {"loans": found} if found else None


def _queue(stage: str, endpoint: str):
    def items(c, who) -> list[QueueItem]:
        return [QueueItem(
            title=c.t("Loan {id}: {amount} for {member}", id=r["id"],
                      amount=c.format_money(r["amount"]), member=r["member"]),
            url=url_for(endpoint, loan_id=r["id"]),
            waiting_since=r["applied_on"] if stage == "submitted" else r["decided_on"],
            note=c.t("{product}, {term} months, {count} eligibility reasons",
                     product=r["product_name"], term=r["term"], count=r["reasons"]))
            for r in waiting(c, stage)]
    return items


@hookimpl
def dyncrm_web(crm):
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("My loans", "loans.mine", "member", order=30),
              MenuEntry("Simulate a loan", "loans.simulate", "member", order=31),
              MenuEntry("Loans to decide", "loans.to_decide", "staff",
                        permission="loans.decide", order=30),
              MenuEntry("Loans to disburse", "loans.to_disburse", "staff",
                        permission="loans.disburse", order=31),
              MenuEntry("Loan repayments", "loans.to_repay", "staff",
                        permission="loans.repay", order=32)],
        cards=[Card("My loans", "web/loans/_card.html", _card, "member", order=30)],
        queue=[QueueSource("Loans to decide", "loans.decide",
                           _queue("submitted", "loans.decide"), order=30),
               QueueSource("Loans to disburse", "loans.disburse",
                           _queue("approved", "loans.disburse"), order=31)],
    )
