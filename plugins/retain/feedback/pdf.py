"""The feedback report as a printable PDF: header, period, tables, the tickets, page numbers.

Laid out with :mod:`dyncrm.pdf` (DejaVu Sans embedded, so names and texts print as
written; tables keep rows whole and repeat their header row on every page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dyncrm.app import CRM
from dyncrm.pdf import FONT_FAMILY, new_document, table
from dyncrm.reports import ReportColumn
from dyncrm_retain.feedback.report import FeedbackReport, TicketLine

if TYPE_CHECKING:
    from fpdf import FPDF


def _document_class() -> type[FPDF]:
    from fpdf import FPDF  # fpdf2 (numpy, fontTools) only when a PDF is made

    class ReportPDF(FPDF):
        """A4 landscape pages headed with the organisation and the period, numbered."""

        report_title = organisation = period = generated = ""

        def header(self) -> None:
            self.set_font(FONT_FAMILY, "B", 13)
            self.cell(0, 7, self.organisation, new_x="LMARGIN", new_y="NEXT")
            self.set_font(FONT_FAMILY, "", 11)
            self.cell(0, 6, f"{self.report_title} – {self.period}", new_x="LMARGIN",
                      new_y="NEXT")
            self.set_draw_color(120, 120, 120)
            self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
            self.ln(4)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT_FAMILY, "", 8)
            self.cell(0, 6, self.generated, align="L")
            self.set_x(self.l_margin)
            self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="R")

    return ReportPDF


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.will_page_break(20):
        pdf.add_page()
    pdf.set_font(FONT_FAMILY, "B", 11)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")


def _columns(keys: list[str], first: float) -> list[ReportColumn]:
    return [ReportColumn(k, k, "L" if i == 0 else "R", first if i == 0 else 1.0)
            for i, k in enumerate(keys)]


#: The columns of the ticket list in the PDF (relative widths on A4 landscape).
TICKET_COLUMNS = (
    ReportColumn("ticket", "Ticket / date", "L", 1.25),
    ReportColumn("what", "Kind / category / stage", "L", 1.3),
    ReportColumn("member", "Member", "L", 1.3),
    ReportColumn("subject", "Subject and text", "L", 4.2),
    ReportColumn("replies", "Replies and resolution", "L", 3.6),
    ReportColumn("rating", "Rating", "L", 1.2),
)


def ticket_pdf_row(t: TicketLine) -> dict[str, Any]:
    """One ticket as a row of :data:`TICKET_COLUMNS`."""
    outcome = ([f"Rejected: {t.reject_reason}"] if t.reject_reason else
               [f"Resolution: {t.resolution}"] if t.resolution else [])
    return {
        "ticket": f"{t.number}\n{t.submitted_on.isoformat()}",
        "what": f"{t.kind}\n{t.category}\n{t.stage.replace('_', ' ')}",
        "member": t.member,
        "subject": f"{t.subject}\n{t.text}",
        "replies": "\n".join([*(f"{on.isoformat()}: {text}" for on, text in t.replies),
                              *outcome]),
        "rating": (f"{t.rating}/5" + (f"\n{t.rating_comment}" if t.rating_comment else ""))
        if t.rating is not None else "",
    }


def render(crm: CRM, report: FeedbackReport, *, compress: bool = True) -> bytes:
    """The report as PDF bytes (A4 landscape); ``compress=False`` leaves the content
    streams uncompressed.

    Figures first (tickets by category and month, service levels and satisfaction),
    then every ticket of the period with its text, replies, resolution and rating;
    anonymous tickets name nobody (see :class:`~dyncrm_retain.feedback.report.TicketLine`).
    """
    loc = crm.locale
    pdf = new_document(orientation="L", cls=_document_class(),
                       title="Feedback report (kritik dan saran)",
                       author=crm.config.organisation.name)
    pdf.report_title = "Feedback report (kritik dan saran)"
    pdf.organisation = crm.config.organisation.name
    pdf.period = f"{loc.date(report.since)} – {loc.date(report.until)}"
    pdf.generated = f"Generated {loc.date(report.generated_on)} by dyncrm"
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_compression(compress)
    pdf.add_page()
    _heading(pdf, "Tickets by category and month")
    months = list(report.months)
    # At most 12 month columns per table, so long periods stay readable.
    for start in range(0, max(1, len(months)), 12):
        chunk = months[start:start + 12]
        rows = [{"category": r["category"], **{m: r[m] for m in chunk}, "total": r["total"]}
                for r in report.volume_rows()]
        keys = ["category", *chunk, "total"]
        table(pdf, _columns(keys, 3.0), rows[:-1], totals=rows[-1])
        pdf.ln(3)
    pdf.ln(2)
    _heading(pdf, "Service levels and satisfaction")
    summary = report.summary_rows()
    table(pdf, _columns(list(summary[0].keys()), 1.6), summary[:-1], totals=summary[-1])
    pdf.ln(3)
    pdf.set_font(FONT_FAMILY, "", 8)
    pdf.multi_cell(0, 4, (
        "Median times are in days from submission. A deadline counts once it is met or has "
        "passed; open tickets past their deadline count as outside the service level. CSAT is "
        "the share of ratings of 4 or 5 (of 5)."), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    _heading(pdf, f"The tickets ({len(report.tickets)})")
    pdf.set_font(FONT_FAMILY, "", 8)
    pdf.multi_cell(0, 4, (
        "Replies are what the member was sent; internal notes are not listed. Anonymous "
        "tickets name nobody: their writer's name, number, e-mail and phone are left out, "
        "also where the texts mention them ([…])."), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    table(pdf, TICKET_COLUMNS, (ticket_pdf_row(t) for t in report.tickets),
          empty="No tickets in this period.")
    return bytes(pdf.output())
