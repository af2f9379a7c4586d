"""The portal's payroll page (``/potongan``): the deduction list, sending it, the import.

Staff download a month's deduction list as CSV (for the payroll office) or PDF.
Once the month's list was sent (``dyncrm payroll send``, the page's send button, or
the first import of its confirmation) the download is the list **as sent**, from
the archive, byte for byte — like ``dyncrm laporan potongan`` and ``dyncrm payroll
send --csv/--pdf``; one department's part of it is printed from the archived list.
Only the "today's records" box computes the list from the records as they stand
(``dyncrm payroll list``), and a month never sent is always computed so.  The page
lists the lists sent, and the people who may send (``payroll.send``) send a month's
list from it.  The treasurer uploads the file the payroll office returns, which is
posted with the same library function as ``dyncrm payroll import``: all lines or
none.  A file that does not match is shown with its mismatched lines, and nothing
is written.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import attrs
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for

from dyncrm import archive, hookimpl
from dyncrm.errors import ValidationError
from dyncrm.web.extension import MenuEntry, WebExtension
from dyncrm.web.guards import actor, can, crm, staff_only

from ..fmt import rupiah
from .export import write_csv, write_month_csv, write_month_pdf, write_pdf
from .importer import PayrollFileRejected, batches, import_confirmation
from .listing import DeductionList, parse_month, settings_of
from .sent import KIND, label_of
from .sent import send as send_list
from .sent import sent as sent_list

blueprint = Blueprint("potongan", __name__, url_prefix="/potongan", template_folder="templates")

FORMATS = {"csv": "text/csv", "pdf": "application/pdf"}


def _default_month() -> str:
    return crm().today().strftime("%Y-%m")


def _sent_lists(c: Any, limit: int = 12) -> list[dict[str, Any]]:
    """The newest lists sent (archived), newest month first: month, when, by, figures."""
    sets: dict[str, list[archive.ArchivedFile]] = {}
    for f in archive.list_files(c, kind=KIND, limit=limit * 3):
        sets.setdefault(f.key, []).append(f)
    out = []
    for key, files in sorted(sets.items(), reverse=True)[:limit]:
        first = min(files, key=lambda f: f.id)
        year, month = (int(p) for p in key.split("-"))
        out.append({"month": key, "month_name": f"{c.locale.month_name(month)} {year}",
                    "date": c.locale.date(archive.archived_on(c, first)),
                    "by": first.created_by, "members": first.meta.get("members"),
                    "total": first.meta.get("total")})
    return out


def _page(errors: dict[str, str], values: dict[str, str], status: int = 200,
          result: Any = None, rejected: Any = None):
    c = crm()
    return render_template("web/potongan/index.html", errors=errors, values=values,
                           batches=batches(), result=result, rejected=rejected,
                           sent_lists=_sent_lists(c), can_send=can("payroll.send"),
                           can_import=can("payroll.import")), status


@blueprint.route("/")
@staff_only("payroll.view")
def index():
    """The month's list to download, the import form and the batches imported so far."""
    values = {"month": _default_month(), "batch": "", "import_month": _default_month()}
    return _page({}, values)


def _one_department(dlist: DeductionList, department: str) -> DeductionList:
    """The lines of ``department`` (as ``deduction_list`` matches it: any case)."""
    wanted = department.strip().lower()
    return attrs.evolve(dlist, lines=tuple(x for x in dlist.lines
                                           if x.department.lower() == wanted))


def list_file(c: Any, month: Any, fmt: str, *, department: str | None = None,
              live: bool = False) -> tuple[str, bytes]:
    """The month's list as a file (name, bytes): the list as sent when it was sent
    (the archived file itself for the whole list), else — or with ``live`` — computed
    from today's records."""
    done = None if live else sent_list(c, month)
    if done is not None and not department:
        f = done.file(fmt)
        return f.name, archive.content(c, f)
    first = month.replace(day=1)
    name = f"potongan-{first:%Y-%m}.{fmt}"
    with tempfile.TemporaryDirectory(prefix="dyncrm-potongan-") as folder:
        path = Path(folder) / name
        if done is not None:  # one department of the list as sent
            dlist = _one_department(done.dlist, department or "")
            if fmt == "csv":
                write_csv(dlist, path, delimiter=settings_of(c).csv_delimiter)
            else:
                write_pdf(c, dlist, path)
        elif fmt == "csv":  # from today's records, written as the lines come
            write_month_csv(c, first, path, department=department)
        else:
            write_month_pdf(c, first, path, department=department)
        return name, path.read_bytes()


@blueprint.route("/list")
@staff_only("payroll.view")
def download():
    """The month's deduction list as CSV or PDF: as sent once the month's list was sent
    (``dyncrm payroll send --csv/--pdf``), from today's records when never sent or
    when asked (``live=1``, ``dyncrm payroll list --csv/--pdf``).

    Without a month (the form not sent yet) it is the page with the form.
    """
    c = crm()
    if "month" not in request.args:
        return index()
    values = {"month": request.args.get("month", ""), "batch": "",
              "department": request.args.get("department", ""),
              "live": request.args.get("live", ""), "import_month": _default_month()}
    fmt = request.args.get("format", "csv")
    try:
        if fmt not in FORMATS:
            raise ValidationError(c.t("Choose PDF or CSV."), field="format")
        name, data = list_file(c, parse_month(values["month"]), fmt,
                               department=values["department"].strip() or None,
                               live=values["live"] == "1")
    except ValidationError as exc:
        return _page({exc.field or "month": str(exc)}, values, 400)
    return send_file(io.BytesIO(data), mimetype=FORMATS[fmt], as_attachment=True,
                     download_name=name)


@blueprint.route("/send", methods=["POST"])
@staff_only("payroll.send")
def send():
    """Send the month's list to the payroll office: archive it as sent, once
    (``dyncrm payroll send``)."""
    c = crm()
    values = {"month": request.form.get("send_month", ""), "batch": "",
              "send_month": request.form.get("send_month", ""),
              "import_month": _default_month()}
    try:
        done = send_list(c, actor(), parse_month(values["send_month"]))
    except ValidationError as exc:
        field = "send_month" if exc.field == "month" else (exc.field or "_")
        return _page({field: str(exc)}, values, 400)
    label = label_of(done.dlist.month)
    when = c.locale.date(archive.archived_on(c, done.archived))
    if done.replayed:
        flash(c.t("The list of {month} was sent on {date} by {user} ({members} members, "
                  "{total}); nothing was archived again.", month=label, date=when,
                  user=done.archived.created_by, members=len(done.dlist.lines),
                  total=rupiah(c, done.dlist.total)))
    else:
        flash(c.t("The list of {month} is sent: {members} members, {total}; archived as "
                  "sent.", month=label, members=len(done.dlist.lines),
                  total=rupiah(c, done.dlist.total)))
    return redirect(url_for("potongan.index"), 303)


@blueprint.route("/import", methods=["POST"])
@staff_only("payroll.import")
def upload():
    """Post the payroll office's confirmation file (``dyncrm payroll import``)."""
    c = crm()
    values = {"month": _default_month(), "batch": request.form.get("batch", ""),
              "import_month": request.form.get("import_month", "")}
    dry_run = request.form.get("dry_run") == "1"
    upload_file = request.files.get("file")
    data = upload_file.read() if upload_file is not None else b""
    try:
        month = parse_month(values["import_month"])
        if not data:
            raise ValidationError(c.t("Choose the file the payroll office returned."),
                                  field="file")
        report = import_confirmation(c, actor(), data, batch=values["batch"], month=month,
                                     dry_run=dry_run)
    except PayrollFileRejected as exc:
        return _page({"file": str(exc)}, values, 400, rejected=exc.report)
    except ValidationError as exc:
        field = "import_month" if exc.field == "month" else (exc.field or "_")
        return _page({field: str(exc)}, values, 400)
    if report.dry_run:
        return _page({}, values, 200, result=report)
    total = rupiah(c, report.total)
    if report.replayed:
        flash(c.t("Batch {batch} was already imported ({lines} lines, {total}); nothing was "
                  "posted again.", batch=report.batch, lines=len(report.lines), total=total))
    else:
        posted = sum(1 for x in report.lines if x.status == "posted")
        flash(c.t("Batch {batch}: {posted} lines posted, {total}.", batch=report.batch,
                  posted=posted, total=total))
        skipped = [x.employee_number for x in report.lines if x.status == "not_deducted"]
        if skipped:
            flash(c.t("Not deducted (dues stay open): {who}.", who=", ".join(skipped)))
        if report.missing:
            flash(c.t("On the list but not in the file (dues stay open): {who}.",
                      who=", ".join(report.missing)))
    return redirect(url_for("potongan.index"), 303)


@hookimpl
def dyncrm_web(crm):
    """The payroll page for staff."""
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("Payroll deduction", "potongan.index", "staff",
                        permission="payroll.view", order=58)])
