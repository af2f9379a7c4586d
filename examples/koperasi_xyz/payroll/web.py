"""The portal's payroll page (``/potongan``): the deduction list and the confirmation import.

Staff download a month's deduction list as CSV (for the payroll office) or PDF
— the same files as ``dyncrm payroll list --csv/--pdf`` — and the treasurer
uploads the file the payroll office returns, which is posted with the same
library function as ``dyncrm payroll import``: all lines or none.  A file that
does not match is shown with its mismatched lines, and nothing is written.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for

from dyncrm import hookimpl
from dyncrm.errors import ValidationError
from dyncrm.web.extension import MenuEntry, WebExtension
from dyncrm.web.guards import actor, can, crm, staff_only

from ..fmt import rupiah
from .export import write_csv, write_pdf
from .importer import PayrollFileRejected, batches, import_confirmation
from .listing import deduction_list, parse_month, settings_of

blueprint = Blueprint("potongan", __name__, url_prefix="/potongan", template_folder="templates")

FORMATS = {"csv": "text/csv", "pdf": "application/pdf"}


def _default_month() -> str:
    return crm().today().strftime("%Y-%m")


def _page(errors: dict[str, str], values: dict[str, str], status: int = 200,
          result: Any = None, rejected: Any = None):
    return render_template("web/potongan/index.html", errors=errors, values=values,
                           batches=batches(), result=result, rejected=rejected,
                           can_import=can("payroll.import")), status


@blueprint.route("/")
@staff_only("payroll.view")
def index():
    """The month's list to download, the import form and the batches imported so far."""
    values = {"month": _default_month(), "batch": "", "import_month": _default_month()}
    return _page({}, values)


@blueprint.route("/list")
@staff_only("payroll.view")
def download():
    """The month's deduction list as CSV or PDF (``dyncrm payroll list --csv/--pdf``).

    Without a month (the form not sent yet) it is the page with the form.
    """
    c = crm()
    if "month" not in request.args:
        return index()
    values = {"month": request.args.get("month", ""), "batch": "",
              "department": request.args.get("department", ""),
              "import_month": _default_month()}
    fmt = request.args.get("format", "csv")
    try:
        if fmt not in FORMATS:
            raise ValidationError(c.t("Choose PDF or CSV."), field="format")
        dlist = deduction_list(c, parse_month(values["month"]),
                               department=values["department"].strip() or None)
    except ValidationError as exc:
        return _page({exc.field or "month": str(exc)}, values, 400)
    name = f"potongan-{dlist.month:%Y-%m}.{fmt}"
    with tempfile.TemporaryDirectory(prefix="dyncrm-potongan-") as folder:
        path = Path(folder) / name
        if fmt == "csv":
            write_csv(dlist, path, delimiter=settings_of(c).csv_delimiter)
        else:
            write_pdf(c, dlist, path)
        data = path.read_bytes()
    return send_file(io.BytesIO(data), mimetype=FORMATS[fmt], as_attachment=True,
                     download_name=name)


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
