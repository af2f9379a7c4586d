"""PDF documents with an embedded Unicode font, and tables that paginate properly.

Every PDF dyncrm and its plugins print goes through this module:

- :func:`new_document` gives an fpdf2 ``FPDF`` (or a subclass of it) with DejaVu Sans
  (regular and bold, shipped in ``dyncrm/fonts/`` with its licence, cut down to Latin,
  Greek and Cyrillic by ``scripts/subset_fonts.py``) registered as
  :data:`FONT_FAMILY` and selected, so any name prints as written ("Đặng Thị Ngọc",
  "Zoë Łukasz") instead of being transliterated to Latin-1.  :func:`use_unicode_font`
  does the same for a document made elsewhere (a subclass with its own ``header()``).
- :func:`table` writes a table of rows onto such a document: rows are never split
  across pages, the header row is repeated at the top of every page the table
  continues on (and never left alone at the bottom of a page), long cells wrap onto
  several lines instead of being cut, and a totals row stays with the last row.
  Rows may be a generator, so long lists are laid out as they are computed.

fpdf2 (which pulls numpy, fontTools and Pillow) is imported only inside the functions
that make a document, so importing this module costs nothing.

Example::

    from dyncrm.pdf import new_document, table
    from dyncrm.reports import ReportColumn

    pdf = new_document(title="Members")
    pdf.add_page()
    table(pdf, [ReportColumn("name", "Name", "L", 3), ReportColumn("amount", "Amount", "R")],
          [{"name": "Đặng Thị Ngọc", "amount": "Rp 50.000"}])
    data = bytes(pdf.output())
"""

from __future__ import annotations

import copy
import io
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

if TYPE_CHECKING:
    from fpdf import FPDF

#: The family name under which the Unicode font is registered on every document.
FONT_FAMILY = "DejaVu"
#: The folder of the shipped font files and their licence (package data).
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
LICENCE_FILE = "LICENSE.txt"


class ColumnLike(Protocol):
    """What :func:`table` needs of a column (:class:`dyncrm.reports.ReportColumn` fits)."""

    key: str
    title: str
    align: str
    width: float


def font_files() -> dict[str, Path]:
    """The font file of each style (``""`` regular, ``"B"`` bold) of :data:`FONT_FAMILY`."""
    return {style: FONT_DIR / name for style, name in FONT_FILES.items()}


def use_unicode_font(pdf: FPDF, size: float | None = None) -> str:
    """Register the shipped Unicode font on ``pdf`` (once) and return its family name.

    With ``size`` the regular style is also selected at that size.  The font files are
    parsed once per process (``_registered_font``); each document gets its own copy
    of the font program, which fpdf2 cuts down to the glyphs it used when it is saved.
    """
    if FONT_FAMILY.lower() not in pdf.fonts:
        for style, path in font_files().items():
            _register(pdf, style, path)
    if size is not None:
        pdf.set_font(FONT_FAMILY, "", size)
    return FONT_FAMILY


_parsed_fonts: dict[tuple[str, str], tuple[Any, bytes]] = {}
_parsed_fonts_lock = threading.Lock()


def _register(pdf: FPDF, style: str, path: Path) -> None:
    """Add the font ``path`` as ``style`` of :data:`FONT_FAMILY` to ``pdf``.

    fpdf2's ``add_font`` parses the whole font (cmap, metrics, glyph table) for every
    document: about half the time of a one-page receipt.  The parsed font is the same
    for every document, so it is made once per process and copied; only what fpdf2
    changes per document is fresh: its number in the document, the glyphs used
    (``subset``) and the fontTools program, which saving cuts down in place and is
    therefore read again from the file's bytes (lazily, only the tables saving needs).
    Saving gets that program already cut down to the document's glyphs when another
    document used the same glyphs before (:mod:`dyncrm.pdf_subsets`).
    """
    from fontTools.ttLib import TTFont

    from dyncrm.pdf_subsets import subset_map

    template, data = _registered_font(style, path)
    font = copy.copy(template)
    font.i = len(pdf.fonts) + 1
    font.ttfont = TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
    font.subset = subset_map(font, (style, str(path)), data)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    font.color_font = None  # DejaVu Sans has no colour glyphs
    pdf.fonts[font.fontkey] = font


def _registered_font(style: str, path: Path) -> tuple[Any, bytes]:
    """fpdf2's parsed font for ``style`` from ``path`` and the file's bytes, made once."""
    key = (style, str(path))
    with _parsed_fonts_lock:
        entry = _parsed_fonts.get(key)
        if entry is None:
            from fpdf import FPDF

            scratch = FPDF()
            scratch.add_font(FONT_FAMILY, style, str(path))
            entry = (scratch.fonts[f"{FONT_FAMILY.lower()}{style}"], path.read_bytes())
            _parsed_fonts[key] = entry
        return entry


def new_document(*, orientation: str = "P", page_format: str | tuple[float, float] = "A4",
                 title: str = "", author: str = "", creator: str = "dyncrm",
                 cls: type[FPDF] | None = None, **kwargs: Any) -> FPDF:
    """An fpdf2 document (millimetres) with the Unicode font registered and selected.

    ``cls`` is an ``FPDF`` subclass to instantiate instead (one with its own
    ``header()``/``footer()``); further keyword arguments go to its constructor.
    No page is added yet.
    """
    if cls is None:
        from fpdf import FPDF as cls  # imported where a PDF is made

    pdf = cls(orientation=orientation, unit="mm", format=page_format, **kwargs)
    use_unicode_font(pdf, size=10)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_creator(creator)
    return pdf


@attrs.frozen
class TableStyle:
    """How :func:`table` draws: font sizes (pt), line height and padding (mm), colours."""

    font_size: float = 8.0
    header_size: float = 8.0
    line_height: float = 3.8
    padding: float = 0.9
    min_row_height: float = 5.5
    header_fill: tuple[int, int, int] | None = (225, 232, 240)
    stripe_fill: tuple[int, int, int] | None = (246, 248, 250)
    borders: bool = False
    rule: tuple[int, int, int] = (180, 180, 180)


def text_of(value: Any) -> str:
    """A cell's text: ``None`` is empty, everything else its ``str``."""
    return "" if value is None else str(value)


def _lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """``text`` broken into lines that fit ``width`` mm in the current font."""
    if not text:
        return [""]
    if "\n" not in text and pdf.get_string_width(text) <= width - 2 * pdf.c_margin:
        return [text]
    return pdf.multi_cell(width, 1, text, dry_run=True, output="LINES") or [""]


class _Writer:
    """Lays out one table; keeps the state of the page it is on."""

    def __init__(self, pdf: FPDF, columns: Sequence[ColumnLike], widths: Sequence[float],
                 style: TableStyle, family: str) -> None:
        self.pdf, self.columns, self.widths = pdf, list(columns), list(widths)
        self.style, self.family = style, family
        self.header_page = -1  # the page whose header row is drawn
        self.header = self._measure([text_of(c.title) for c in self.columns], True)
        self.stripe = 0

    def _measure(self, texts: Sequence[str], bold: bool) -> tuple[list[list[str]], float]:
        s = self.style
        self.pdf.set_font(self.family, "B" if bold else "",
                          s.header_size if bold else s.font_size)
        cells = [_lines(self.pdf, t, w) for t, w in zip(texts, self.widths, strict=True)]
        # never taller than a page: a cell that long is cut (with an ellipsis)
        room = self.pdf.h - self.pdf.t_margin - self.pdf.b_margin - self.header_height_max()
        most = max(1, int((room - 2 * s.padding) // s.line_height))
        for i, lines in enumerate(cells):
            if len(lines) > most:
                cells[i] = [*lines[:most - 1], lines[most - 1].rstrip() + "…"]
        height = max(len(c) for c in cells) * s.line_height + 2 * s.padding
        return cells, max(height, s.min_row_height)

    def header_height_max(self) -> float:
        header = getattr(self, "header", None)
        return header[1] if header else 0.0

    def _draw(self, cells: list[list[str]], height: float, *, bold: bool,
              fill: tuple[int, int, int] | None, rule_above: bool = False,
              rule_below: bool = False) -> None:
        pdf, s = self.pdf, self.style
        pdf.set_font(self.family, "B" if bold else "", s.header_size if bold else s.font_size)
        x0, y0 = pdf.l_margin, pdf.get_y()
        total = sum(self.widths)
        if fill is not None:
            pdf.set_fill_color(*fill)
            pdf.rect(x0, y0, total, height, style="F")
        pdf.set_draw_color(*s.rule)
        if rule_above:
            pdf.line(x0, y0, x0 + total, y0)
        x = x0
        for col, width, lines in zip(self.columns, self.widths, cells, strict=True):
            if s.borders:
                pdf.rect(x, y0, width, height)
            y = y0 + s.padding
            for line in lines:
                pdf.set_xy(x, y)
                pdf.cell(width, s.line_height, line, align=col.align)
                y += s.line_height
            x += width
        if rule_below:
            pdf.line(x0, y0 + height, x0 + total, y0 + height)
        pdf.set_xy(x0, y0 + height)

    def _room(self) -> float:
        pdf = self.pdf
        return pdf.page_break_trigger - pdf.get_y()

    def place(self, height: float) -> None:
        """Make room for a row of ``height`` (and the header if this page has none yet)."""
        pdf = self.pdf
        need = height + (0 if self.header_page == pdf.page_no() else self.header[1])
        if need > self._room() + 1e-6:
            pdf.add_page()
            pdf.set_x(pdf.l_margin)
            self.stripe = 0
        if self.header_page != pdf.page_no():
            cells, height = self.header
            self._draw(cells, height, bold=True, fill=self.style.header_fill, rule_below=True)
            self.header_page = pdf.page_no()

    def row(self, texts: Sequence[str], *, bold: bool = False, keep_with: float = 0.0,
            rule_above: bool = False) -> None:
        """One row, on a new page (with the header) when it does not fit here.

        ``keep_with`` is the height of what must follow on the same page (a totals row).
        """
        cells, height = self._measure(texts, bold)
        self.place(height + keep_with)
        fill = self.style.stripe_fill if (self.stripe % 2 and not bold) else None
        self._draw(cells, height, bold=bold, fill=fill, rule_above=rule_above)
        self.stripe += 1


def column_widths(pdf: FPDF, columns: Sequence[ColumnLike]) -> list[float]:
    """Each column's share (``width``) of the space between the margins, in mm."""
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    weight = sum(c.width for c in columns) or 1
    return [usable * c.width / weight for c in columns]


def table(pdf: FPDF, columns: Sequence[ColumnLike], rows: Iterable[Mapping[str, Any]], *,
          totals: Mapping[str, Any] | None = None, empty: str = "",
          widths: Sequence[float] | None = None, style: TableStyle | None = None,
          bold: Any = None) -> int:
    """Write ``rows`` (dicts by column key) as a table at the current position of ``pdf``.

    Rows are kept whole (a row that does not fit starts a new page); the header row is
    drawn at the top of every page the table is on, and only together with a row below
    it; long texts wrap within their column; ``totals`` (a row, in bold) stays on the
    page of the last row; with no rows the ``empty`` text is printed under the header.
    ``bold(row)`` may mark rows to print in bold.  ``widths`` (mm) default to the
    columns' relative widths over the page.  Auto page break is off while a row is
    drawn and restored afterwards.  Returns the number of rows written.
    """
    style = style or TableStyle()
    columns = list(columns)
    family = use_unicode_font(pdf)
    writer = _Writer(pdf, columns, list(widths) if widths else column_widths(pdf, columns),
                     style, family)
    auto, margin = pdf.auto_page_break, pdf.b_margin
    keys = [c.key for c in columns]
    pdf.set_auto_page_break(False, margin)
    count = 0
    try:
        totals_height = 0.0
        total_texts: list[str] = []
        if totals:
            total_texts = [text_of(totals.get(k, "")) for k in keys]
            totals_height = writer._measure(total_texts, True)[1]
        pending: Mapping[str, Any] | None = None
        for row in rows:
            if pending is not None:
                writer.row([text_of(pending.get(k, "")) for k in keys],
                           bold=bool(bold and bold(pending)))
                count += 1
            pending = row
        if pending is not None:
            writer.row([text_of(pending.get(k, "")) for k in keys],
                       bold=bool(bold and bold(pending)), keep_with=totals_height)
            count += 1
        elif empty:
            writer.row([empty] + [""] * (len(keys) - 1), keep_with=totals_height)
        else:
            writer.place(totals_height)
        if totals:
            writer.row(total_texts, bold=True, rule_above=True)
    finally:
        pdf.set_auto_page_break(auto, margin)
    pdf.set_font(family, "", style.font_size)
    return count


__all__ = ["FONT_DIR", "FONT_FAMILY", "ColumnLike", "TableStyle", "column_widths",
           "font_files", "new_document", "table", "text_of", "use_unicode_font"]
