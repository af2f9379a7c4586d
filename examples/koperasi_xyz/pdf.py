"""Printable PDFs (fpdf2) with the cooperative's header, dates and page numbers.

Every report and slip of Koperasi XYZ uses :class:`ReportPDF`: the
organisation's name and address on top of each page, the title and period,
"Dicetak <tanggal>" and "Halaman n dari m" at the bottom; titles and label/value
lines wrap rather than run off the page.  Tables are laid out
by the core's :func:`dyncrm.pdf.table`: a row is never split across pages, the
header row is repeated at the top of every page the table continues on (never
left alone at the bottom of a page), long cells wrap, and the totals row stays
with the last rows.  Text is set in the DejaVu Sans shipped with dyncrm
(:mod:`dyncrm.pdf`), so every name prints as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpdf import FPDF

from dyncrm import pdf as core_pdf
from dyncrm.files import write_atomic
from dyncrm.reports import ReportColumn

if TYPE_CHECKING:
    from dyncrm.app import CRM

HEADER_FILL = (225, 232, 240)
STRIPE_FILL = (246, 248, 250)
ACCENT = (20, 70, 120)


#: A table column (key, title, align L/R/C, relative width): the core's report column, so
#: slips, lists and every plugin's report (hook ``dyncrm_reports``) share one type.
Column = ReportColumn


#: How report tables are drawn (the core's table, in the report's colours).
TABLE_STYLE = core_pdf.TableStyle(font_size=8, header_size=8, header_fill=HEADER_FILL,
                                  stripe_fill=STRIPE_FILL)


#: The placeholder fpdf2 replaces with the number of pages (five characters: room for five digits).
PAGE_COUNT = "{nbp}"


class ReportPDF(FPDF):
    """An A4 report page set with the cooperative's header and numbered footer."""

    def __init__(self, *, organisation: str, address: str, title: str, subtitle: str = "",
                 printed: str = "", landscape: bool = False) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.organisation, self.address = organisation, address
        self.title_text, self.subtitle, self.printed = title, subtitle, printed
        self.set_margins(15, 12, 15)
        self.set_auto_page_break(True, margin=18)
        # room for a five-digit page count ("{nb}" keeps three: a 4,002-page deduction list
        # of 100,000 members would overflow it)
        self.alias_nb_pages(PAGE_COUNT)
        self.family, self.unicode = core_pdf.use_unicode_font(self), True
        self.set_title(title)
        self.set_author(organisation)
        self.set_creator("dyncrm / Koperasi XYZ")
        self.add_page()

    # -- text safety -------------------------------------------------------

    def t(self, text: Any) -> str:
        """``text`` as printable in the current font."""
        s = "" if text is None else str(text)
        if self.unicode:
            return s
        return s.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False) -> None:
        """Select the body font."""
        self.set_font(self.family, "B" if bold else "", size)

    # -- page furniture ----------------------------------------------------

    def header(self) -> None:
        self.set_text_color(*ACCENT)
        self.font(13, bold=True)
        self.cell(0, 6, self.t(self.organisation), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(60, 60, 60)
        self.font(8.5)
        if self.address:
            self.cell(0, 4.5, self.t(self.address), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*ACCENT)
        self.set_line_width(0.5)
        y = self.get_y() + 1.5
        self.line(self.l_margin, y, self.w - self.r_margin, y)
        self.set_y(y + 3)
        self.set_text_color(0, 0, 0)
        self.font(12, bold=True)
        self.multi_cell(0, 6, self.t(self.title_text), new_x="LMARGIN", new_y="NEXT")
        if self.subtitle:
            self.font(9)
            self.multi_cell(0, 4.5, self.t(self.subtitle), new_x="LMARGIN", new_y="NEXT")
        self.ln(3)
        self.set_line_width(0.2)
        self.set_draw_color(180, 180, 180)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_draw_color(180, 180, 180)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.font(8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 7, self.t(f"Dicetak {self.printed}" if self.printed else ""), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 7, self.t(f"Halaman {self.page_no()} dari {PAGE_COUNT}"), align="R")
        self.set_text_color(0, 0, 0)

    # -- content -----------------------------------------------------------

    @property
    def content_width(self) -> float:
        """Usable width between the margins, in mm."""
        return self.w - self.l_margin - self.r_margin

    def heading(self, text: str, keep_with: float = 18) -> None:
        """A section heading, on a new page when less than ``keep_with`` mm (a table's
        header and first row) would follow it on this one."""
        if self.will_page_break(7.5 + keep_with):
            self.add_page()
        self.ln(1)
        self.font(10.5, bold=True)
        self.cell(0, 6.5, self.t(text), new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, size: float = 9) -> None:
        """A wrapped paragraph."""
        self.font(size)
        self.multi_cell(0, 4.8, self.t(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def pairs(self, items: Sequence[tuple[str, str]], label_width: float = 55,
              bold_last: bool = False) -> None:
        """Label/value lines, labels in a column; a long value (a name) wraps within its
        column, and a pair is never split across pages."""
        width = self.content_width - label_width
        for i, (label, value) in enumerate(items):
            last = bold_last and i == len(items) - 1
            self.font(9, bold=last)
            text = self.t(value)
            # most values fit on their line: measured once, not broken into lines twice
            fits = "\n" not in text and \
                self.get_string_width(text) < width - 2 * self.c_margin - 0.01
            lines = 1 if fits else len(
                self.multi_cell(width, 5.5, text, dry_run=True, output="LINES") or [""])
            if self.will_page_break(5.5 * lines):
                self.add_page()
            self.set_x(self.l_margin)
            self.cell(label_width, 5.5, self.t(label))
            if fits:
                self.cell(width, 5.5, text, new_x="LMARGIN", new_y="NEXT")
            else:
                self.multi_cell(width, 5.5, text, new_x="LMARGIN", new_y="NEXT")

    def table(self, columns: Sequence[Column], rows: Iterable[dict[str, Any]], *,
              totals: dict[str, Any] | None = None, empty: str = "(tidak ada data)") -> int:
        """A table (:func:`dyncrm.pdf.table`): rows whole, the header row on every page it
        continues on, long cells wrapped, totals with the last rows; returns the rows drawn."""
        self.set_x(self.l_margin)
        count = core_pdf.table(self, list(columns), rows, totals=totals, empty=empty,
                               style=TABLE_STYLE)
        self.set_draw_color(180, 180, 180)
        self.ln(2)
        return count

    def signatures(self, places: Sequence[tuple[str, str]], city_date: str = "") -> None:
        """Signature blocks side by side: ``(role, name)`` pairs."""
        if self.will_page_break(38):
            self.add_page()
        self.ln(4)
        if city_date:
            self.font(9)
            self.cell(0, 5, self.t(city_date), align="R", new_x="LMARGIN", new_y="NEXT")
        width = self.content_width / max(len(places), 1)
        self.font(9)
        y = self.get_y()
        for i, (role, _name) in enumerate(places):
            self.set_xy(self.l_margin + i * width, y)
            self.cell(width, 5, self.t(role), align="C")
        for i, (_role, name) in enumerate(places):
            self.set_xy(self.l_margin + i * width, y + 22)
            self.font(9, bold=True)
            self.cell(width, 5, self.t(f"( {name or '.' * 30} )"), align="C")
        self.set_xy(self.l_margin, y + 30)

    def save(self, path: str | Path) -> Path:
        """Write the PDF to ``path`` (folders created) and return the path."""
        return write_atomic(path, bytes(self.output()))


def report_pdf(crm: CRM, title: str, subtitle: str = "", *, landscape: bool = False
               ) -> ReportPDF:
    """A :class:`ReportPDF` headed with ``crm``'s organisation, printed today."""
    org = crm.config.organisation
    printed = crm.locale.date(crm.today())
    if crm.simulated_day is not None:  # a training deployment: no one takes it for real
        printed += f" (TANGGAL SIMULASI, {crm.config.clock.label})"
    return ReportPDF(organisation=org.name, address=org.address, title=title,
                     subtitle=subtitle, printed=printed, landscape=landscape)
