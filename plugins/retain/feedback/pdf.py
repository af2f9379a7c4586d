"""The feedback report as a printable PDF (fpdf2): header, period, tables, page numbers."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

from dyncrm.app import CRM
from dyncrm_retain.feedback.report import FeedbackReport


def _latin1(text: Any) -> str:
    """The built-in PDF fonts cover Latin-1 only; anything else becomes '?'."""
    return str(text).encode("latin-1", "replace").decode("latin-1")


class _ReportPDF(FPDF):
    def __init__(self, title: str, organisation: str, period: str, generated: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.report_title = _latin1(title)
        self.organisation = _latin1(organisation)
        self.period = _latin1(period)
        self.generated = _latin1(generated)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(self.report_title)
        self.set_creator("dyncrm")

    def header(self) -> None:
        self.set_font("Helvetica", "B", 13)
        self.cell(0, 7, self.organisation, new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 11)
        self.cell(0, 6, f"{self.report_title} - {self.period}", new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(120, 120, 120)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 6, self.generated, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="R")


def _table(pdf: FPDF, rows: list[dict[str, Any]], columns: list[str], first_width: float
           ) -> None:
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    rest = (usable - first_width) / max(1, len(columns) - 1)
    widths = [first_width] + [rest] * (len(columns) - 1)
    pdf.set_font("Helvetica", "B", 8)
    pdf.set_fill_color(230, 230, 230)
    for col, w in zip(columns, widths, strict=True):
        pdf.cell(w, 6, _latin1(col), border=1, align="C", fill=True)
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for row in rows:
        if pdf.will_page_break(6):
            pdf.add_page()
        bold = row.get(columns[0]) == "total"
        pdf.set_font("Helvetica", "B" if bold else "", 8)
        for i, (col, w) in enumerate(zip(columns, widths, strict=True)):
            pdf.cell(w, 6, _latin1(row.get(col, "")), border=1, align="L" if i == 0 else "R")
        pdf.ln()


def render(crm: CRM, report: FeedbackReport, *, compress: bool = True) -> bytes:
    """The report as PDF bytes (A4 landscape); ``compress=False`` keeps the text readable."""
    loc = crm.locale
    period = f"{loc.date(report.since)} - {loc.date(report.until)}"
    pdf = _ReportPDF("Feedback report (kritik dan saran)", crm.config.organisation.name, period,
                     f"Generated {loc.date(report.generated_on)} by dyncrm")
    pdf.set_compression(compress)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Tickets by category and month", new_x="LMARGIN", new_y="NEXT")
    months = list(report.months)
    # At most 12 month columns per table, so long periods stay readable.
    for start in range(0, max(1, len(months)), 12):
        chunk = months[start:start + 12]
        rows = [{"category": r["category"], **{m: r[m] for m in chunk}, "total": r["total"]}
                for r in report.volume_rows()]
        _table(pdf, rows, ["category", *chunk, "total"], 40)
        pdf.ln(3)
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Service levels and satisfaction", new_x="LMARGIN", new_y="NEXT")
    summary = report.summary_rows()
    _table(pdf, summary, list(summary[0].keys()), 32)
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, _latin1(
        "Median times are in days from submission. A deadline counts once it is met or has "
        "passed; open tickets past their deadline count as outside the service level. CSAT is "
        "the share of ratings of 4 or 5 (of 5)."))
    return bytes(pdf.output())
