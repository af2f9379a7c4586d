"""Printable PDFs (fpdf2) with the cooperative's header, dates and page numbers.

Every report and slip of Koperasi XYZ uses :class:`ReportPDF`: the
organisation's name and address on top of each page, the title and period,
"Dicetak <tanggal>" and "Halaman n dari m" at the bottom, and tables whose
header row repeats on every page.  DejaVu Sans is used when installed (any
Unicode name prints); otherwise the PDF core font Helvetica, with characters
outside Latin-1 replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpdf import FPDF

from dyncrm.files import write_atomic
from dyncrm.reports import ReportColumn

if TYPE_CHECKING:
    from dyncrm.app import CRM

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
             "/usr/local/share/fonts", "/Library/Fonts", "C:/Windows/Fonts")
HEADER_FILL = (225, 232, 240)
STRIPE_FILL = (246, 248, 250)
ACCENT = (20, 70, 120)


#: A table column (key, title, align L/R/C, relative width): the core's report column, so
#: slips, lists and every plugin's report (hook ``dyncrm_reports``) share one type.
Column = ReportColumn


def _find_font() -> tuple[Path, Path] | None:
    for folder in FONT_DIRS:
        regular, bold = Path(folder) / "DejaVuSans.ttf", Path(folder) / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


class ReportPDF(FPDF):
    """An A4 report page set with the cooperative's header and numbered footer."""

    def __init__(self, *, organisation: str, address: str, title: str, subtitle: str = "",
                 printed: str = "", landscape: bool = False) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.organisation, self.address = organisation, address
        self.title_text, self.subtitle, self.printed = title, subtitle, printed
        self.set_margins(15, 12, 15)
        self.set_auto_page_break(True, margin=18)
        fonts = _find_font()
        if fonts:
            self.add_font("body", "", str(fonts[0]))
            self.add_font("body", "B", str(fonts[1]))
            self.family, self.unicode = "body", True
        else:
            self.family, self.unicode = "helvetica", False
        self.set_title(title)
        self.set_author(organisation)
        self.set_creator("dyncrm / Koperasi XYZ")
        self._table: tuple[list[Column], list[float]] | None = None
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
        self.cell(0, 6, self.t(self.title_text), new_x="LMARGIN", new_y="NEXT")
        if self.subtitle:
            self.font(9)
            self.cell(0, 5, self.t(self.subtitle), new_x="LMARGIN", new_y="NEXT")
        self.ln(3)
        self.set_line_width(0.2)
        self.set_draw_color(180, 180, 180)
        if self._table is not None and self.page_no() > 1:
            self._table_header()

    def footer(self) -> None:
        self.set_y(-13)
        self.set_draw_color(180, 180, 180)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.font(8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 7, self.t(f"Dicetak {self.printed}" if self.printed else ""), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 7, self.t(f"Halaman {self.page_no()} dari {{nb}}"), align="R")
        self.set_text_color(0, 0, 0)

    # -- content -----------------------------------------------------------

    @property
    def content_width(self) -> float:
        """Usable width between the margins, in mm."""
        return self.w - self.l_margin - self.r_margin

    def heading(self, text: str) -> None:
        """A section heading."""
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
        """Label/value lines, labels in a column."""
        for i, (label, value) in enumerate(items):
            last = bold_last and i == len(items) - 1
            self.font(9, bold=last)
            self.cell(label_width, 5.5, self.t(label))
            self.cell(0, 5.5, self.t(value), new_x="LMARGIN", new_y="NEXT")

    def _fit(self, text: str, width: float) -> str:
        text = self.t(text)
        if self.get_string_width(text) <= width - 2:
            return text
        ell = "…" if self.unicode else "..."
        while text and self.get_string_width(text + ell) > width - 2:
            text = text[:-1]
        return text + ell

    def _table_header(self) -> None:
        """The header row; long titles wrap onto a second line instead of being cut."""
        columns, widths = self._table  # type: ignore[misc]
        self.font(8, bold=True)
        self.set_fill_color(*HEADER_FILL)
        line_h = 3.9
        counts = [len(self.multi_cell(w, line_h, self.t(c.title), dry_run=True,
                                      output="LINES")) for c, w in zip(columns, widths,
                                                                       strict=True)]
        height = max(max(counts) * line_h + 2.2, 6.5)
        x0, y0 = self.get_x(), self.get_y()
        self.rect(x0, y0, sum(widths), height, style="F")
        self.line(x0, y0 + height, x0 + sum(widths), y0 + height)
        x = x0
        for col, w, n in zip(columns, widths, counts, strict=True):
            self.set_xy(x, y0 + (height - n * line_h) / 2)
            self.multi_cell(w, line_h, self.t(col.title), align=col.align)
            x += w
        self.set_xy(x0, y0 + height)
        self.font(8)

    def table(self, columns: Sequence[Column], rows: Sequence[dict[str, Any]], *,
              totals: dict[str, Any] | None = None, empty: str = "(tidak ada data)") -> None:
        """A table; long tables continue on new pages with the header row repeated."""
        columns = list(columns)
        weight = sum(c.width for c in columns)
        widths = [self.content_width * c.width / weight for c in columns]
        self._table = (columns, widths)
        self._table_header()
        if not rows:
            self.font(8.5)
            self.cell(0, 6, self.t(empty), new_x="LMARGIN", new_y="NEXT")
        height = 5.5
        for i, row in enumerate(rows):
            if self.will_page_break(height):
                self.add_page()
            fill = i % 2 == 1
            self.set_fill_color(*STRIPE_FILL)
            for col, w in zip(columns, widths, strict=True):
                self.cell(w, height, self._fit(row.get(col.key, ""), w), align=col.align,
                          fill=fill)
            self.ln(height)
        if totals:
            if self.will_page_break(height + 1):
                self.add_page()
            self.font(8, bold=True)
            self.set_draw_color(60, 60, 60)
            for col, w in zip(columns, widths, strict=True):
                self.cell(w, height + 0.5, self._fit(totals.get(col.key, ""), w), border="T",
                          align=col.align)
            self.ln(height + 1)
            self.set_draw_color(180, 180, 180)
        self._table = None
        self.ln(2)

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
