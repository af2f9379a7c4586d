"""The portal's SHU pages: a member's card and slip, and the staff page of a year.

Members see the figures of their latest approved SHU on their dashboard and
download their slip (the same PDF as ``dyncrm shu slip``: once the year's slips are
issued, the slip as issued, byte for byte, from the archive).  Staff see where a
year stands and its distribution, and enter, approve and post it with the same
library functions as ``dyncrm shu enter / compute / approve / post /
issue-slips``; the library's refusals are shown on the page.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for

from dyncrm import hookimpl, inputs
from dyncrm.errors import ValidationError
from dyncrm.web.extension import Card, MenuEntry, WebExtension
from dyncrm.web.guards import actor, can, crm, member_only, own_member_id, staff_only

from ..fmt import rupiah
from .issued import ISSUE, issue, issued, issued_on, issued_slip
from .report import member_rows, pool_rows, slip_pdf_file, summary_pairs
from .service import approve, compute, current, enter_surplus, post
from .slips import latest_slip, own_slip, year_status

blueprint = Blueprint("shu", __name__, url_prefix="/shu", template_folder="templates")


def _year(value: Any, default: int | None = None) -> int:
    if value in (None, "") and default is not None:
        return default
    return inputs.parse_count(value if value is not None else "", field="year",
                              minimum=1900, maximum=2200)


def _last_year() -> int:
    return crm().today().year - 1


# --- members ------------------------------------------------------------------------


@blueprint.route("/slip/<int:year>.pdf")
@member_only
def slip(year: int):
    """The signed-in member's SHU slip of ``year`` (approved years only) as PDF: the
    slip as issued once the year's slips are issued, else printed from the locked
    figures."""
    c = crm()
    draft, line = own_slip(c, own_member_id(), year)
    kept = issued_slip(c, year, line.member_id)
    if kept is not None:
        name, data = kept
    else:
        name = f"slip-shu-{year}-{(line.number or '').lstrip('#') or line.member_id}.pdf"
        with tempfile.TemporaryDirectory(prefix="dyncrm-shu-") as folder:
            data = slip_pdf_file(c, draft, line, Path(folder) / name).read_bytes()
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=name)


def _member_card(c: Any, who: Any) -> dict[str, Any] | None:
    found = latest_slip(c, who.member_id)
    if found is None:
        return None
    draft, line = found
    return {"year": draft.distribution.year, "status": draft.status, "line": line,
            "currency": draft.currency}


# --- staff --------------------------------------------------------------------------


def _page(year: int, errors: dict[str, str], values: dict[str, str], status: int = 200):
    """The staff page of ``year``: its status, its figures (or why none) and the forms."""
    c = crm()
    info = year_status(year)
    draft = None
    what_if = values.get("what_if", "")
    try:
        figure = c.money(what_if, field="what_if") if what_if else None
        draft = compute(c, year, figure) if figure is not None else current(c, year)
    except ValidationError as exc:
        if exc.field == "what_if":
            errors.setdefault("what_if", str(exc))
            status = 400
        else:
            errors.setdefault("figures", str(exc))
    figures = None
    if draft is not None:
        figures = {"summary": summary_pairs(c, draft), "pools": pool_rows(c, draft),
                   "members": member_rows(c, draft), "notes": draft.distribution.notes,
                   "locked": draft.locked}
    amount = rupiah(c, info["amount"], info["currency"]) if info["amount"] is not None else ""
    found = issued(c, year)
    slips = None if found is None else {
        "date": c.locale.date(issued_on(c, found)), "by": found.archived.created_by,
        "count": found.count, "first": min(f.id for f in found.archived.files)}
    return render_template("web/shu/manage.html", year=year, info=info, amount=amount,
                           figures=figures, errors=errors, values=values, slips=slips,
                           can_enter=can("shu.enter"), can_post=can("shu.post"),
                           can_issue=can(ISSUE)), status


@blueprint.route("/")
@staff_only("shu.view")
def manage():
    """Where a year's SHU stands, its distribution (draft or locked) and what to do next."""
    values = {"year": request.args.get("year", ""), "what_if": request.args.get("what_if", "")}
    try:
        year = _year(values["year"], _last_year())
    except ValidationError as exc:
        return _page(_last_year(), {"year": str(exc)}, values, 400)
    values["year"] = str(year)
    return _page(year, {}, values)


def _posted_year() -> tuple[int | None, dict[str, str]]:
    try:
        return _year(request.form.get("year")), {}
    except ValidationError as exc:
        return None, {"year": str(exc)}


def _refused(year: int | None, exc: ValidationError, values: dict[str, str]):
    return _page(year or _last_year(), {exc.field or "_": str(exc)}, values, 400)


@blueprint.route("/enter", methods=["POST"])
@staff_only("shu.enter")
def enter():
    """Record the year's SHU as closed in the books (``dyncrm shu enter``)."""
    c = crm()
    values = {"year": request.form.get("year", ""), "amount": request.form.get("amount", ""),
              "reason": request.form.get("reason", "")}
    year, errors = _posted_year()
    if year is None:
        return _page(_last_year(), errors, values, 400)
    try:  # no amount: the closed year's result in the books; another needs a reason
        amount = c.money(values["amount"], field="amount") if values["amount"].strip() \
            else None
        result = enter_surplus(c, year, amount, actor(), reason=values["reason"])
    except ValidationError as exc:
        return _refused(year, exc, values)
    text = c.format_money(result.amount)
    if result.replayed:
        flash(c.t("SHU {year} was already recorded as {amount}; nothing changed.",
                  year=year, amount=text))
    else:
        flash(c.t("SHU {year} recorded: {amount}.", year=year, amount=text))
    return redirect(url_for("shu.manage", year=year), 303)


def _optional_date(values: dict[str, str], field: str):
    """The date typed in ``field`` (the CLI's date parser), or ``None`` when left empty."""
    text = values[field].strip()
    return inputs.parse_date(text, field=field, today=crm().today()) if text else None


@blueprint.route("/approve", methods=["POST"])
@staff_only("shu.view")
def approve_year():
    """Approve the year's SHU as treasurer or chair (``dyncrm shu approve``)."""
    c = crm()
    values = {"year": request.form.get("year", ""), "rat_date": request.form.get("rat_date", "")}
    year, errors = _posted_year()
    if year is None:
        return _page(_last_year(), errors, values, 400)
    try:
        rat = _optional_date(values, "rat_date")
        result = approve(c, year, actor(), rat_date=rat)
    except ValidationError as exc:
        return _refused(year, exc, values)
    if result.superseded:
        flash(c.t("The figures changed since {names} approved; their approval no longer "
                  "counts.", names=", ".join(result.superseded)))
    if result.approved:
        flash(c.t("SHU {year} approved: the year is locked and can be posted.", year=year))
    else:
        flash(c.t("You approved SHU {year}; it still needs {who}.", year=year,
                  who=result.waiting_for))
    return redirect(url_for("shu.manage", year=year), 303)


@blueprint.route("/post", methods=["POST"])
@staff_only("shu.post")
def post_year():
    """Post the approved SHU to members and funds, exactly once (``dyncrm shu post``)."""
    c = crm()
    values = {"year": request.form.get("year", ""), "on": request.form.get("on", "")}
    year, errors = _posted_year()
    if year is None:
        return _page(_last_year(), errors, values, 400)
    try:
        on = _optional_date(values, "on")
        result = post(c, year, actor(), on=on)
    except ValidationError as exc:
        return _refused(year, exc, values)
    if result.replayed:
        flash(c.t("SHU {year} was already posted on {day}; nothing was posted again.",
                  year=year, day=result.on))
    else:
        flash(c.t("SHU {year} posted: {members} members, {to_members} to members, "
                  "{to_pools} to reserve and funds.", year=year, members=result.members,
                  to_members=rupiah(c, result.members_total),
                  to_pools=rupiah(c, result.pools_total)))
    return redirect(url_for("shu.manage", year=year), 303)


@blueprint.route("/slips", methods=["POST"])
@staff_only(ISSUE)
def issue_slips():
    """Issue the members' slips of a posted year, archived as issued, once
    (``dyncrm shu issue-slips``)."""
    c = crm()
    values = {"year": request.form.get("year", "")}
    year, errors = _posted_year()
    if year is None:
        return _page(_last_year(), errors, values, 400)
    try:
        done = issue(c, actor(), year)
    except ValidationError as exc:
        return _refused(year, exc, values)
    if done.replayed:
        flash(c.t("The SHU slips of {year} were already issued on {date} by {user}; nothing "
                  "was issued again.", year=year, date=c.locale.date(issued_on(c, done)),
                  user=done.archived.created_by))
    else:
        flash(c.t("The SHU slips of {year} are issued: {count} slips, archived as issued.",
                  year=year, count=done.count))
    return redirect(url_for("shu.manage", year=year), 303)


@hookimpl
def dyncrm_web(crm):
    """The SHU card and slip for members, the SHU page for staff."""
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("SHU", "shu.manage", "staff", permission="shu.view", order=55)],
        cards=[Card("SHU", "web/shu/_card.html", _member_card, audience="member", order=60)])
