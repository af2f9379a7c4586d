"""A report (laporan) as one value, shown three ways: terminal table, CSV, printable PDF.

A builder (in :mod:`koperasi_xyz.reports.builders`, or any plugin's through the
``dyncrm_reports`` hook) returns a :class:`~dyncrm.reports.Report` (here called
:class:`Laporan`):
a title, the period or date it covers, summary lines and one or more sections
of rows.  Display rows carry formatted text (``Rp 1.250.000``, ``31 Desember
2025``); each section also keeps the raw rows for CSV (whole rupiah, ISO dates)
so a spreadsheet can compute with them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from dyncrm import output
from dyncrm.files import atomic_open
from dyncrm.reports import Report, ReportColumn, ReportSection

if TYPE_CHECKING:
    from dyncrm.app import CRM


#: A report and its parts are the core's values (:mod:`dyncrm.reports`), so every plugin's
#: report (hook ``dyncrm_reports``) renders here the same way as the deployment's own.
Laporan = Report
Section = ReportSection


def print_table(lap: Laporan, out: TextIO | None = None) -> None:
    """The report in the terminal: summary lines, then each section as a table."""
    out = out or sys.stdout
    click.echo(click.style(lap.title, bold=True), file=out)
    if lap.subtitle:
        click.echo(lap.subtitle, file=out)
    if lap.summary:
        click.echo(file=out)
        output.kv(dict(lap.summary), out=out)
    for section in lap.sections:
        columns = section.columns or lap.columns
        click.echo(file=out)
        if section.heading:
            click.echo(click.style(section.heading, bold=True), file=out)
        rows = list(section.rows)
        if section.totals:
            rows.append(section.totals)
        output.table(rows, [c.key for c in columns],
                     headers={c.key: c.title for c in columns},
                     align_right=[c.key for c in columns if c.align == "R"], out=out,
                     empty="(tidak ada data)")
    for note in lap.notes:
        click.echo(f"catatan: {note}", file=out)


def write_csv(lap: Laporan, path: str | Path, *, delimiter: str = ",") -> Path:
    """The report's raw rows as CSV (UTF-8 with BOM for spreadsheet programs)."""
    rows = lap.csv_rows()
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    target = Path(path)
    with atomic_open(target, "w", newline="", encoding="utf-8-sig") as fh:
        output.write_csv(rows, fh, columns, delimiter=delimiter)
    return target


def write_pdf(crm: CRM, lap: Laporan, path: str | Path) -> Path:
    """The report as a printable PDF with the cooperative's header and page numbers."""
    from .pdf import report_pdf  # fpdf (numpy, fontTools) only when a PDF is made

    pdf = report_pdf(crm, lap.title, lap.subtitle, landscape=lap.landscape)
    if lap.summary:
        pdf.heading("Ringkasan")
        pdf.pairs(list(lap.summary))
    for section in lap.sections:
        if section.heading:
            pdf.heading(section.heading)
        pdf.table(list(section.columns or lap.columns), list(section.rows),
                  totals=section.totals)
    for note in lap.notes:
        pdf.paragraph(f"Catatan: {note}", size=8.5)
    if lap.signatures:
        city = crm.config.organisation.address.split(",")[-1].strip() or "Jakarta"
        from .fmt import tanggal

        pdf.signatures(list(lap.signatures), city_date=f"{city}, {tanggal(crm, crm.today())}")
    return pdf.save(path)


def cols(*spec: Sequence[Any]) -> tuple[ReportColumn, ...]:
    """Columns from ``(key, title, align, width)`` tuples (align and width optional)."""
    return tuple(ReportColumn(*s) for s in spec)
