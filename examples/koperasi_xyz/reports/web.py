"""The portal's report pages (``/laporan``) and the chair's dashboard card.

Staff see every report of the enabled plugins they may run (the same builders
as ``dyncrm laporan``), fill in its dates and download it as PDF, its data as CSV
or its summary as CSV — the same files the command line writes
(:mod:`koperasi_xyz.reports.runner`).  The
card shows the numbers a chair asks for: members by stage, savings and loans
outstanding, arrears and open feedback tickets against their service level.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, render_template, request, send_file

from dyncrm import hookimpl, inputs
from dyncrm.errors import ValidationError
from dyncrm.reports import ReportBuilder, collect
from dyncrm.web.extension import Card, MenuEntry, WebExtension
from dyncrm.web.guards import actor, can, crm, staff_only

from .dashboard import chair_figures
from .runner import FORMATS, file_bytes, run

VIEW = "reports.view"  #: the permission of the reports (see the plugin)

blueprint = Blueprint("laporan", __name__, url_prefix="/laporan", template_folder="templates")

#: the form fields of each standard option
FIELDS = {"as_of": ("as_of",), "period": ("since", "until"), "month": ("month",),
          "year": ("year",)}


def _builders() -> dict[str, ReportBuilder]:
    return collect(crm().pm)


def _builder(name: str) -> ReportBuilder:
    found = _builders().get(name)
    if found is None:
        abort(404)
    if not can(found.permission):
        abort(403)
    return found


def fields_of(builder: ReportBuilder) -> list[dict[str, Any]]:
    """The form fields of ``builder``'s options: name, label, input type, required."""
    labels = {"as_of": "Date", "since": "From", "until": "To", "month": "Month (YYYY-MM)",
              "year": "Year"}
    out = []
    for option in builder.options:
        if isinstance(option, str):
            for name in FIELDS[option]:
                kind = {"month": "month", "year": "number"}.get(name, "date")
                out.append({"name": name, "label": labels[name], "type": kind,
                            "required": option in builder.required, "hint": ""})
        elif option.type != "flag":  # a switch keeps its default on the portal
            out.append({"name": option.name, "label": option.name.replace("_", " ").capitalize(),
                        "type": "number" if option.type == "int" else "text",
                        "required": option.required, "hint": option.help})
    return out


def parse_options(builder: ReportBuilder, form: Any) -> dict[str, Any]:
    """The builder's options from a form, parsed as the command line parses them.

    :raises ValidationError: naming the field of the first bad or missing value.
    """
    from ..payroll.listing import parse_month

    today = crm().today()
    given: dict[str, Any] = {}
    for field in fields_of(builder):
        name = field["name"]
        text = (form.get(name) or "").strip()
        if not text:
            if field["required"]:
                raise ValidationError(crm().t("This field is required."), field=name)
            continue
        if name in ("as_of", "since", "until"):
            given[name] = inputs.parse_date(text, field=name, today=today)
        elif name == "month":
            given[name] = parse_month(text)
        elif name == "year":
            given[name] = inputs.parse_count(text, field=name, minimum=1900, maximum=2200)
        elif field["type"] == "number":
            given[name] = inputs.parse_count(text, field=name, minimum=1)
        else:
            given[name] = text
    return given


@blueprint.route("/")
@staff_only(VIEW)
def index():
    """Every report the signed-in person may run."""
    shown = [b for b in _builders().values() if can(b.permission)]
    return render_template("web/laporan/index.html", builders=shown)


@blueprint.route("/<name>")
@staff_only(VIEW)
def report(name: str):
    """A report's options; with ``format=pdf|csv|ringkasan`` the report itself (its PDF,
    data CSV or summary CSV) as a download."""
    builder = _builder(name)
    values = {k: v for k, v in request.args.items() if k != "format"}
    fmt = request.args.get("format")
    errors: dict[str, str] = {}
    if fmt is not None:
        if fmt not in FORMATS:
            errors["_"] = crm().t("Choose PDF or CSV.")
        else:
            try:
                lap = run(crm(), actor(), builder, parse_options(builder, request.args))
                data, filename = file_bytes(crm(), lap, fmt)
            except ValidationError as exc:
                errors[exc.field or "_"] = str(exc)
            else:
                return send_file(io.BytesIO(data), mimetype=FORMATS[fmt], as_attachment=True,
                                 download_name=filename)
    page = render_template("web/laporan/report.html", builder=builder,
                           fields=fields_of(builder), values=values, errors=errors)
    return page, (400 if errors else 200)


def _card(crm_: Any, who: Any) -> dict[str, Any] | None:
    return chair_figures(crm_)


@hookimpl
def dyncrm_web(crm):
    """The report pages and the chair's dashboard card."""
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("Reports", "laporan.index", "staff", permission=VIEW, order=60)],
        cards=[Card("The cooperative at a glance", "web/laporan/_card.html", _card,
                    audience="staff", permission=VIEW, order=5, wide=True)])
