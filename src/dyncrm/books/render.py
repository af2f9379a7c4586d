"""A :class:`~dyncrm.reports.Report` shown three ways: terminal table, CSV, PDF.

The ``dyncrm books`` statements use these in any deployment; a deployment with a
report command of its own (Koperasi XYZ's ``laporan``) prints the same reports
with :func:`print_report` and writes them with the CSV writers here, its own
texts and its own PDF page.  CSV carries the data rows only (plain amounts, for a
spreadsheet); the summary goes to a CSV of its own.  The PDF is A4 in the shipped
Unicode font (:mod:`dyncrm.pdf`), with the organisation's name, the title and
period on top, tables whose header row repeats on every page and long cells
wrapped, and page numbers at the foot.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from dyncrm import output
from dyncrm.files import atomic_open, write_atomic

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.reports import Report

#: Rows carrying this key set are headings or subtotals: bold in the PDF.
STRONG = "_strong"


def print_report(report: Report, out: TextIO | None = None, *,
                 empty: str = "(nothing to show)", note_prefix: str = "* ") -> None:
    """The report in the terminal: title, summary, each section as an aligned table
    (with its totals row), then the notes.

    ``empty`` is shown for a section without rows and ``note_prefix`` before each note,
    so a deployment prints them in its language.
    """
    out = out or sys.stdout
    click.echo(click.style(report.title, bold=True), file=out)
    if report.subtitle:
        click.echo(report.subtitle, file=out)
    if report.summary:
        click.echo(file=out)
        output.kv(dict(report.summary), out=out)
    for section in report.sections:
        columns = section.columns or report.columns
        click.echo(file=out)
        if section.heading:
            click.echo(click.style(section.heading, bold=True), file=out)
        rows = list(section.rows)
        if section.totals:
            rows.append(section.totals)
        output.table(rows, [c.key for c in columns], headers={c.key: c.title for c in columns},
                     align_right=[c.key for c in columns if c.align == "R"], out=out,
                     empty=empty)
    for note in report.notes:
        click.echo(f"{note_prefix}{note}", file=out)


def _write_rows(rows: list[dict[str, Any]], path: str | Path, delimiter: str,
                first: tuple[str, ...] = ()) -> Path:
    columns: list[str] = list(first)
    for row in rows:
        columns.extend(k for k in row if k not in columns and k != STRONG)
    target = Path(path)
    with atomic_open(target, "w", newline="", encoding="utf-8-sig") as fh:
        output.write_csv(rows, fh, columns, delimiter=delimiter)
    return target


def write_csv(report: Report, path: str | Path, *, delimiter: str = ",") -> Path:
    """The report's data rows as CSV (UTF-8 with a byte-order mark, for spreadsheets).

    One header row, then the raw rows of its data sections: plain amounts, ISO
    dates; no totals and no summary (see :func:`write_summary_csv`).
    """
    return _write_rows(report.csv_rows(), path, delimiter)


def write_summary_csv(report: Report, path: str | Path, *, delimiter: str = ",",
                      **names: str) -> Path:
    """The report's summary as CSV of its own (:meth:`~dyncrm.reports.Report.summary_csv_rows`;
    ``names`` are its ``part``, ``label``, ``value`` column names and ``heading``).

    Those three columns come first, also when the report has no summary (then the
    file is the header row alone)."""
    keys = (names.get("part", "part"), names.get("label", "label"), names.get("value", "value"))
    return _write_rows(report.summary_csv_rows(**names), path, delimiter, keys)


def summary_path(path: str | Path, suffix: str = "-summary") -> Path:
    """Where the summary CSV of a report written to ``path`` goes: beside it, the stem
    followed by ``suffix`` (``simpanan.csv`` → ``simpanan-summary.csv``)."""
    target = Path(path)
    return target.with_name(f"{target.stem}{suffix}{target.suffix or '.csv'}")


def pdf_bytes(crm: CRM, report: Report) -> bytes:
    """The report as an A4 PDF (landscape when the report asks for it)."""
    from fpdf import FPDF

    from dyncrm.pdf import FONT_FAMILY, new_document, table

    org = crm.config.organisation
    printed = crm.locale.date(crm.today())

    class Document(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT_FAMILY, "", 7.5)
            self.cell(0, 5, f"{org.name} · {report.title} · {printed}", align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="R")

    pdf: Any = new_document(orientation="L" if report.landscape else "P", title=report.title,
                            author=org.name, cls=Document)
    pdf.set_margins(15, 14, 15)
    pdf.set_auto_page_break(True, margin=16)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, "B", 11)
    pdf.cell(0, 6, org.name, new_x="LMARGIN", new_y="NEXT")
    if getattr(org, "address", ""):
        pdf.set_font(FONT_FAMILY, "", 8.5)
        pdf.cell(0, 4.5, org.address, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT_FAMILY, "B", 13)
    pdf.multi_cell(0, 6.5, report.title, new_x="LMARGIN", new_y="NEXT")
    if report.subtitle:
        pdf.set_font(FONT_FAMILY, "", 9.5)
        pdf.multi_cell(0, 5, report.subtitle, new_x="LMARGIN", new_y="NEXT")
    if report.summary:
        pdf.ln(2)
        pdf.set_font(FONT_FAMILY, "", 9)
        for label, value in report.summary:
            pdf.multi_cell(0, 4.8, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    for section in report.sections:
        pdf.ln(3)
        if section.heading:
            pdf.set_font(FONT_FAMILY, "B", 10)
            pdf.cell(0, 6, section.heading, new_x="LMARGIN", new_y="NEXT")
        table(pdf, list(section.columns or report.columns), list(section.rows),
              totals=section.totals, empty="—", bold=lambda row: bool(row.get(STRONG)))
    if report.notes:
        pdf.ln(3)
        pdf.set_font(FONT_FAMILY, "", 8)
        for note in report.notes:
            pdf.multi_cell(0, 4.2, f"* {note}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write_pdf(crm: CRM, report: Report, path: str | Path) -> Path:
    """Write :func:`pdf_bytes` to ``path`` (atomically)."""
    target = Path(path)
    write_atomic(target, pdf_bytes(crm, report))
    return target
