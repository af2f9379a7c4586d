"""The savings pages of the web portal.

Members see their balances, wajib arrears and statements (CSV and PDF, the
rows ``dyncrm savings statement`` writes), record a transfer to their own
savings with a proof, and follow their deposits.  Cashiers find the transfers
to verify in the work queue and verify or reject each one next to its proof.
"""

from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from dyncrm import hookimpl
from dyncrm.errors import IllegalTransition, ValidationError
from dyncrm.money import Money
from dyncrm.web import Card, MenuEntry, QueueItem, QueueSource, WebExtension
from dyncrm.web.guards import actor, crm, member_only, own_member_id, staff_only
from dyncrm_expand import savings
from dyncrm_expand.savings.config import PRODUCTS
from dyncrm_expand.savings.deposits import DuplicateProof, same_proof
from dyncrm_expand.savings.selfservice import (
    deposit_own_transfer,
    deposits_of,
    pending_transfers,
)
from dyncrm_expand.savings.statement_export import statement_csv, statement_pdf
from dyncrm_expand.savings.wajib import month_label
from dyncrm_expand.savings.withdrawal_requests import (
    free_to_withdraw,
    pay_withdrawal_request,
    refuse_withdrawal_request,
    request_withdrawal,
    withdrawal_requests,
)

blueprint = Blueprint("savings", __name__, url_prefix="/savings", template_folder="templates")

#: stored proof types shown inline to staff: images re-encoded when they were stored
INLINE_TYPES = {"image/png", "image/jpeg"}


def _summary(c, member_id: int) -> dict:
    """Balances per product, their total and the wajib arrears of a member."""
    found = savings.balances(c, member_id)
    member = c.member_row(member_id)
    arrears = (savings.wajib_arrears(c, member_id, c.today())
               if member.stage == "active" else [])
    return {
        "products": [(p, savings.product_name(c, p), found[p]) for p in PRODUCTS],
        "total": sum(found.values(), Money.zero(c.currency)),
        "arrears": sum((m for _, m in arrears), Money.zero(c.currency)),
        "arrears_months": [month_label(m) for m, _ in arrears],
    }


def _card(c, who) -> dict | None:
    if who.member_id is None:
        return None
    return _summary(c, who.member_id)


def _year() -> int | None:
    """The statement year asked for (``?year=``), or ``None`` for everything."""
    raw = request.args.get("year", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1900 <= int(raw) <= 2200:
        abort(400)
    return int(raw)


def _statements(member_id: int, year: int | None):
    c = crm()
    return [savings.statement(c, member_id, p, year) for p in PRODUCTS]


@blueprint.route("/")
@member_only
def overview():
    """The member's balances, arrears, statements of a year and deposits."""
    c = crm()
    member_id = own_member_id()
    year = _year()
    this_year = c.today().year
    joined = c.member_row(member_id).joined_on
    first = joined.year if joined else this_year
    statements = _statements(member_id, year)
    return render_template(
        "web/savings/overview.html", summary=_summary(c, member_id), year=year,
        years=list(range(this_year, first - 1, -1)),
        statements=[(savings.product_name(c, st.product), st) for st in statements],
        receipts=c.receipts.for_entries(ln.entry_id for st in statements for ln in st.lines),
        deposits=deposits_of(c, member_id),
        product_names={p: savings.product_name(c, p) for p in ("pokok", "wajib", "sukarela")},
        methods={"cash": c.t("Cash"), "transfer": c.t("Bank transfer"),
                 "payroll": c.t("Payroll deduction")},
        requests=[r for r, _ in withdrawal_requests(c, member_id=member_id)][::-1])


def _download_name(member_id: int, year: int | None, ext: str) -> str:
    member = crm().member_row(member_id)
    return f"savings-{member.number or member.id}-{year or 'all'}.{ext}"


@blueprint.route("/statement.csv")
@member_only
def statement_csv_download():
    """The member's statement as CSV (the rows of ``dyncrm savings statement --csv``)."""
    import io

    member_id = own_member_id()
    year = _year()
    data = statement_csv(crm(), _statements(member_id, year))
    return send_file(io.BytesIO(data), mimetype="text/csv", as_attachment=True,
                     download_name=_download_name(member_id, year, "csv"))


@blueprint.route("/statement.pdf")
@member_only
def statement_pdf_download():
    """The member's statement as a printable PDF."""
    import io

    member_id = own_member_id()
    year = _year()
    c = crm()
    data = statement_pdf(c, c.member_row(member_id), _statements(member_id, year), year)
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=_download_name(member_id, year, "pdf"))


@blueprint.route("/passbook.pdf")
@member_only
def passbook_download():
    """The member's passbook (buku simpanan) as a PDF: every savings type, running balance."""
    import io

    from dyncrm_expand.savings.passbook import passbook, passbook_pdf

    c = crm()
    book = passbook(c, actor(), own_member_id())
    return send_file(io.BytesIO(passbook_pdf(c, book)), mimetype="application/pdf",
                     as_attachment=True,
                     download_name=f"passbook-{book.member_number or book.member_id}.pdf")


def _product_options() -> list[tuple[str, str]]:
    c = crm()
    return [(p, savings.product_name(c, p)) for p in PRODUCTS]


@blueprint.route("/deposit", methods=["GET", "POST"])
@member_only
def deposit():
    """Record a transfer to one's own savings with its proof; a cashier verifies it."""
    c = crm()
    errors: dict[str, str] = {}
    values = {"product": "sukarela", "amount": "", "note": "", "key": uuid.uuid4().hex}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("product", "amount", "note", "key")}
        upload = request.files.get("proof")
        proof = upload.read() if upload is not None and upload.filename else None
        try:
            result = deposit_own_transfer(
                c, actor(), values["product"], values["amount"].strip(),
                reference=f"web-{values['key']}", proof=proof, note=values["note"])
        except ValidationError as exc:
            errors[exc.field if exc.field in {"product", "amount", "proof", "note"}
                   else "_"] = str(exc)
        else:
            flash(c.t("Your transfer of {amount} is waiting for the cashier to check it.",
                      amount=c.format_money(result.amount)), "success")
            return redirect(url_for("savings.overview"), 303)
    return render_template("web/savings/deposit.html", values=values, errors=errors,
                           products=_product_options()), (400 if errors else 200)


# ---------------------------------------------------------------------------
# staff: transfers to verify
# ---------------------------------------------------------------------------


def _queue_items(c, who) -> list[QueueItem]:
    items = []
    for found, member, since in pending_transfers(c):
        items.append(QueueItem(
            title=c.t("Transfer {id} from {name}, {amount}", id=found.id, name=member.name,
                      amount=c.format_money(found.amount)),
            url=url_for("savings.review", deposit_id=found.id),
            waiting_since=since,
            note=f"{member.number or ''} {savings.product_name(c, found.product)}".strip()))
    return items


def _review_page(deposit_id: int, errors: dict[str, str] | None = None, status: int = 200):
    c = crm()
    found = savings.get_deposit(c, deposit_id)
    member = c.member_row(found.member_id)
    duplicates = [(use, savings.product_name(c, use.product))
                  for use in same_proof(c, deposit_id)]
    return render_template(
        "web/savings/review.html", deposit=found, member=member, errors=errors or {},
        product=savings.product_name(c, found.product),
        inline=found.proof_type in INLINE_TYPES, duplicates=duplicates), status


@blueprint.route("/review/<int:deposit_id>")
@staff_only("savings.verify")
def review(deposit_id: int):
    """One deposit with its proof, and the buttons to verify or reject it."""
    return _review_page(deposit_id)


@blueprint.route("/review/<int:deposit_id>/proof")
@staff_only("savings.verify")
def proof(deposit_id: int):
    """The deposit's proof: re-encoded images inline, anything else as a download."""
    c = crm()
    found = savings.get_deposit(c, deposit_id)
    served = savings.proof_download(c, found)
    if served is None:
        abort(404)
    path, headers = served
    response = send_file(path, mimetype=headers.get("Content-Type"))
    response.headers.update(headers)
    if found.proof_type in INLINE_TYPES and request.args.get("inline") == "1":
        response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.route("/review/<int:deposit_id>/verify", methods=["POST"])
@staff_only("savings.verify")
def verify(deposit_id: int):
    """Post the transfer to the member's savings.

    A proof that is the same file as another deposit's needs the box ticked that
    says the cashier checked the bank statement (``confirm_duplicate_proof``).
    """
    c = crm()
    confirm = request.form.get("confirm_duplicate_proof") == "1"
    try:
        result = savings.verify_deposit(c, actor(), deposit_id, confirm_duplicate_proof=confirm)
    except DuplicateProof:
        return _review_page(deposit_id, {"confirm_duplicate_proof": c.t(
            "Tick the box to confirm that this is another transfer, or reject it.")}, 400)
    except (ValidationError, IllegalTransition) as exc:
        return _review_page(deposit_id, {"_": str(exc)}, 400)
    flash(c.t("Transfer {id} verified: {amount} posted.", id=result.id,
              amount=c.format_money(result.amount)), "success")
    return redirect(url_for("home.queue"), 303)


@blueprint.route("/review/<int:deposit_id>/reject", methods=["POST"])
@staff_only("savings.verify")
def reject(deposit_id: int):
    """Refuse the transfer with a reason the member is told."""
    c = crm()
    try:
        result = savings.reject_deposit(c, actor(), deposit_id, request.form.get("reason", ""))
    except (ValidationError, IllegalTransition) as exc:
        field = "reason" if getattr(exc, "field", None) == "reason" else "_"
        return _review_page(deposit_id, {field: str(exc)}, 400)
    flash(c.t("Transfer {id} rejected.", id=result.id), "success")
    return redirect(url_for("home.queue"), 303)


# ---------------------------------------------------------------------------
# withdrawals of sukarela: members ask, cashiers pay
# ---------------------------------------------------------------------------


def _method_options() -> list[tuple[str, str]]:
    c = crm()
    return [("cash", c.t("Cash at the office")), ("transfer", c.t("Transfer to my bank account"))]


@blueprint.route("/withdraw", methods=["GET", "POST"])
@member_only
def withdraw():
    """Ask to withdraw sukarela savings; a cashier pays it."""
    c = crm()
    member_id = own_member_id()
    errors: dict[str, str] = {}
    values = {"amount": "", "method": "cash", "note": "", "key": uuid.uuid4().hex}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("amount", "method", "note", "key")}
        try:
            result = request_withdrawal(c, actor(), values["amount"].strip(),
                                        key=f"web-{values['key']}", method=values["method"],
                                        note=values["note"])
        except ValidationError as exc:
            errors[exc.field if exc.field in {"amount", "method", "note"} else "_"] = str(exc)
        else:
            flash(c.t("Your request to withdraw {amount} is sent to the cashier.",
                      amount=c.format_money(result.amount)), "success")
            return redirect(url_for("savings.overview"), 303)
    return render_template("web/savings/withdraw.html", values=values, errors=errors,
                           methods=_method_options(), free=free_to_withdraw(c, member_id),
                           product=savings.product_name(c, "sukarela")), (400 if errors else 200)


def _withdrawal_items(c, who) -> list[QueueItem]:
    return [QueueItem(
        title=c.t("Withdrawal {id} for {name}, {amount}", id=found.id, name=member.name,
                  amount=c.format_money(found.amount)),
        url=url_for("savings.withdrawals"), waiting_since=found.requested_at,
        note=member.number or "") for found, member in withdrawal_requests(c, status="pending")]


def _withdrawals_page(errors: dict[str, str] | None = None, status: int = 200):
    c = crm()
    return render_template("web/savings/withdrawals.html", errors=errors or {},
                           requests=withdrawal_requests(c, status="pending")), status


@blueprint.route("/withdrawals")
@staff_only("savings.withdraw")
def withdrawals():
    """Withdrawal requests waiting to be paid, oldest first."""
    return _withdrawals_page()


@blueprint.route("/withdrawals/<int:request_id>/pay", methods=["POST"])
@staff_only("savings.withdraw")
def pay(request_id: int):
    """Pay a request: the withdrawal is posted to the member's sukarela savings."""
    c = crm()
    try:
        result = pay_withdrawal_request(c, actor(), request_id)
    except ValidationError as exc:
        return _withdrawals_page({"_": str(exc)}, 400)
    flash(c.t("Withdrawal {id} paid: {amount}.", id=result.id,
              amount=c.format_money(result.amount)), "success")
    return redirect(url_for("savings.withdrawals"), 303)


@blueprint.route("/withdrawals/<int:request_id>/refuse", methods=["POST"])
@staff_only("savings.withdraw")
def refuse(request_id: int):
    """Close a request without paying it, with a reason the member sees."""
    c = crm()
    try:
        result = refuse_withdrawal_request(c, actor(), request_id,
                                           request.form.get("reason", ""))
    except ValidationError as exc:
        return _withdrawals_page({f"reason-{request_id}" if exc.field == "reason" else "_":
                                  str(exc)}, 400)
    flash(c.t("Withdrawal {id} refused.", id=result.id), "success")
    return redirect(url_for("savings.withdrawals"), 303)


@hookimpl
def dyncrm_web(crm):
    """The savings pages, the member's savings card and the transfers to verify."""
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("My savings", "savings.overview", audience="member", order=20),
              MenuEntry("Withdrawals to pay", "savings.withdrawals", audience="staff",
                        permission="savings.withdraw", order=21)],
        cards=[Card("My savings", "web/savings/_card.html", _card, audience="member",
                    order=20)],
        queue=[QueueSource("Transfer proofs to verify", "savings.verify", _queue_items,
                           order=20),
               QueueSource("Withdrawals to pay", "savings.withdraw", _withdrawal_items,
                           order=21)],
    )
