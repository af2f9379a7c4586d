"""A report (laporan) as one value, shown three ways: terminal table, CSV, printable PDF.

A builder (in :mod:`koperasi_xyz.reports.builders`, or any plugin's through the
``dyncrm_reports`` hook) returns a :class:`~dyncrm.reports.Report` (here called
:class:`Laporan`):
a title, the period or date it covers, summary lines and one or more sections
of rows.  Display rows carry formatted text (``Rp 1.250.000``, ``31 Desember
2025``); each section also keeps the raw rows for CSV (whole rupiah, plain
decimals, ISO dates) so a spreadsheet can compute with them.  The CSV holds the
data rows only; the summary lines and summary tables go to a CSV of their own
(``laporan-NAME-ringkasan.csv``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from dyncrm.books import render
from dyncrm.reports import Report, ReportColumn, ReportSection

if TYPE_CHECKING:
    from dyncrm.app import CRM


#: A report and its parts are the core's values (:mod:`dyncrm.reports`), so every plugin's
#: report (hook ``dyncrm_reports``) renders here the same way as the deployment's own.
Laporan = Report
Section = ReportSection


def print_table(lap: Laporan, out: TextIO | None = None) -> None:
    """The report in the terminal: summary lines, then each section as a table
    (the core's :func:`dyncrm.books.render.print_report`, in Indonesian)."""
    render.print_report(lap, out, empty="(tidak ada data)", note_prefix="catatan: ")


#: The summary CSV of ``laporan-NAME.csv`` is ``laporan-NAME-ringkasan.csv``.
SUMMARY_SUFFIX = "-ringkasan"
#: Its columns: the part (``Ringkasan`` or a summary table's heading), label and value.
SUMMARY_NAMES = {"part": "bagian", "label": "keterangan", "value": "nilai",
                 "heading": "Ringkasan"}


def write_csv(lap: Laporan, path: str | Path, *, delimiter: str = ",") -> Path:
    """The report's data rows as CSV (UTF-8 with BOM for spreadsheet programs): one header
    row, then the rows — whole rupiah, plain decimals, ISO dates; no totals, no summary."""
    return render.write_csv(lap, path, delimiter=delimiter)


def summary_path(path: str | Path) -> Path:
    """Where the summary of a report whose data went to ``path`` is written
    (``laporan-simpanan.csv`` → ``laporan-simpanan-ringkasan.csv``)."""
    return render.summary_path(path, SUMMARY_SUFFIX)


def write_summary_csv(lap: Laporan, path: str | Path, *, delimiter: str = ",") -> Path:
    """The report's summary as CSV of its own: the summary lines (``bagian`` Ringkasan,
    ``keterangan``, ``nilai`` — plain numbers) and the rows of its summary tables
    (per product, per grade, …) under their heading in ``bagian``."""
    return render.write_summary_csv(lap, path, delimiter=delimiter, **SUMMARY_NAMES)


def write_csvs(lap: Laporan, path: str | Path) -> list[Path]:
    """The data CSV at ``path`` and, when the report has a summary, its summary CSV beside
    it (:func:`summary_path`); the files written."""
    written = [write_csv(lap, path)]
    if lap.has_summary:
        written.append(write_summary_csv(lap, summary_path(path)))
    return written


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
