"""The deduction list as files for the payroll office: CSV and XLSX.

Both carry one row per member with amounts as whole rupiah (numbers a
spreadsheet can add), and an empty column ``jumlah_dipotong`` that the payroll
office fills in with what it actually deducted; the filled-in CSV is the
confirmation file ``dyncrm payroll import`` reads back.  Every text cell of both
passes :func:`dyncrm.output.spreadsheet_cell`, so a name never runs as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dyncrm import output
from dyncrm.errors import DyncrmError
from dyncrm.files import atomic_open

from ..fmt import tanggal
from .listing import (
    DeductionLine,
    DeductionList,
    iter_lines,
    line_flag,
    line_values,
    payday_of,
    settings_of,
)

if TYPE_CHECKING:
    from dyncrm.app import CRM

COLUMNS = ["periode", "departemen", "nik_karyawan", "nomor_anggota", "nama",
           "simpanan_wajib", "tunggakan_wajib", "angsuran", "tunggakan_angsuran",
           "jumlah_potongan", "gaji_bersih", "batas_potongan", "catatan", "jumlah_dipotong"]
TITLES = {"periode": "Periode", "departemen": "Departemen", "nik_karyawan": "NIK Karyawan",
          "nomor_anggota": "No. Anggota", "nama": "Nama", "simpanan_wajib": "Simpanan Wajib",
          "tunggakan_wajib": "Tunggakan Wajib", "angsuran": "Angsuran",
          "tunggakan_angsuran": "Tunggakan Angsuran + Denda",
          "jumlah_potongan": "Jumlah Potongan", "gaji_bersih": "Gaji Bersih (THP)",
          "batas_potongan": "Batas Potongan", "catatan": "Catatan",
          "jumlah_dipotong": "Jumlah Dipotong"}
AMOUNT_COLUMNS = ("simpanan_wajib", "tunggakan_wajib", "angsuran", "tunggakan_angsuran",
                  "jumlah_potongan", "gaji_bersih", "batas_potongan", "jumlah_dipotong")


def line_row(dlist: DeductionList, line: DeductionLine) -> dict[str, Any]:
    """One member's row with whole-unit amounts."""
    return _row(dlist.label, line)


def _row(label: str, line: DeductionLine) -> dict[str, Any]:
    installments, loan_arrears = line.installments, line.loan_arrears
    total = line.wajib + line.wajib_arrears + installments + loan_arrears
    return {"periode": label, "departemen": line.department,
            "nik_karyawan": line.employee_number or "", "nomor_anggota": line.number,
            "nama": line.name, "simpanan_wajib": line.wajib,
            "tunggakan_wajib": line.wajib_arrears, "angsuran": installments,
            "tunggakan_angsuran": loan_arrears,
            "jumlah_potongan": total,
            "gaji_bersih": "" if line.take_home_pay is None else line.take_home_pay,
            "batas_potongan": "" if line.cap is None else line.cap,
            "catatan": line_flag(line, total), "jumlah_dipotong": ""}


def rows(dlist: DeductionList) -> list[dict[str, Any]]:
    """Every row of the list, department by department."""
    return [line_row(dlist, line) for line in dlist.lines]


def write_csv(dlist: DeductionList, path: str | Path, *, delimiter: str = ",") -> Path:
    """Write the list as CSV (UTF-8 with BOM, so spreadsheet programs read it right)."""
    return _write_csv_rows((line_row(dlist, line) for line in dlist.lines), path, delimiter)


def write_month_csv(crm: CRM, month: dt.date, path: str | Path, *,
                    department: str | None = None, delimiter: str | None = None
                    ) -> tuple[Path, int, int]:
    """Write ``month``'s list as CSV straight from the database, row by row.

    The same file as :func:`write_csv` of :func:`~.listing.deduction_list`, but
    no list is held in memory: lines are computed and written as they come
    (:func:`~.listing.line_values`).  Returns the path, the number of lines and
    their total in minor units.
    """
    month = month.replace(day=1)
    label = f"{month.year:04d}-{month.month:02d}"
    sep = settings_of(crm).csv_delimiter if delimiter is None else delimiter
    safe = _safe_text()
    period = safe(label)
    count = total = 0
    target = Path(path)
    with atomic_open(target, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh, delimiter=sep)
        writer.writerow(COLUMNS)
        write = writer.writerow
        # cells as _write_csv_rows writes :func:`_row`'s, from the plain line values
        for (_member_id, number, name, employee_number, department_name, now, earlier,
             _loans, installments, arrears, thp, cap) in line_values(
                 crm, month, department=department):
            line_total = now + earlier + installments + arrears
            if employee_number is None:
                flag = "tanpa NIK karyawan"
            elif thp is None:
                flag = "THP tidak diketahui"
            elif cap is not None and line_total > cap:
                flag = "melebihi batas"
            else:
                flag = ""
            write([period, safe(department_name),
                   "" if employee_number is None else safe(employee_number), safe(number),
                   safe(name), now, earlier, installments, arrears, line_total,
                   "" if thp is None else thp, "" if cap is None else cap, safe(flag), ""])
            count += 1
            total += line_total
    return target, count, total


def _safe_text():
    """:func:`dyncrm.output.spreadsheet_cell` of ``str(value)`` for text cells, the check
    skipped for text that cannot trigger a formula and the result kept for texts that
    repeat (departments, notes)."""
    cell = output.spreadsheet_cell
    triggers = frozenset(output.FORMULA_TRIGGERS)
    seen: dict[str, str] = {}

    def safe(value) -> str:
        if value is None:
            return ""
        if type(value) is not str:
            value = str(value)
        if not value or value[0] not in triggers:
            return value
        found = seen.get(value)
        if found is None:
            if len(seen) > 4096:
                seen.clear()
            found = seen[value] = cell(value)
        return found

    return safe


def _write_csv_rows(rows_: Iterable[dict[str, Any]], path: str | Path, delimiter: str) -> Path:
    """Write rows as :func:`dyncrm.output.write_csv` does, cell for cell, but without its
    generic conversions: amounts here are ``int`` or ``""`` and everything else is text,
    which still passes :func:`~dyncrm.output.spreadsheet_cell`."""
    safe = output.spreadsheet_cell
    text_columns = [c for c in COLUMNS if c not in AMOUNT_COLUMNS]
    target = Path(path)
    with atomic_open(target, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(COLUMNS)
        for row in rows_:
            for c in text_columns:
                value = row[c]
                row[c] = "" if value is None else safe(str(value))
            writer.writerow([row[c] for c in COLUMNS])
    return target


def _openpyxl():
    try:
        import openpyxl
    except ImportError:
        raise DyncrmError("writing XLSX needs openpyxl: pip install 'dyncrm[xlsx]' "
                          "(or use --csv)") from None
    return openpyxl


def write_xlsx(crm: CRM, dlist: DeductionList, path: str | Path) -> Path:
    """Write the list as an XLSX workbook: a summary sheet and one sheet per department."""
    openpyxl = _openpyxl()
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DCE6F0")
    money_format = "#,##0"
    month_name = f"{crm.locale.month_name(dlist.month.month)} {dlist.month.year}"
    title = f"Daftar Potongan Gaji — {month_name}"
    org = crm.config.organisation.name

    summary = wb.active
    summary.title = "Ringkasan"
    _append(summary, [org])
    _append(summary, [title])
    _append(summary, [f"Tanggal potong: {tanggal(crm, dlist.payday)}; batas potongan "
                      f"{dlist.cap_percent.normalize():f}% dari gaji bersih"])
    _append(summary, [])
    _append(summary, ["Departemen", "Anggota", "Jumlah Potongan", "Perlu diperiksa"])
    for cell in summary[5]:
        cell.font, cell.fill = bold, fill
    for name, lines in dlist.departments().items():
        _append(summary, [name, len(lines), sum(x.total for x in lines),
                          sum(1 for x in lines if x.flag)])
        summary.cell(summary.max_row, 3).number_format = money_format
    _append(summary, ["Jumlah", len(dlist.lines), dlist.total,
                      sum(1 for x in dlist.lines if x.flag)])
    for cell in summary[summary.max_row]:
        cell.font = bold
    summary.cell(summary.max_row, 3).number_format = money_format
    summary["A1"].font = Font(bold=True, size=13)
    summary["A2"].font = Font(bold=True, size=12)
    for col, width in zip("ABCD", (30, 10, 20, 16), strict=True):
        summary.column_dimensions[col].width = width

    for name, lines in dlist.departments().items():
        sheet = wb.create_sheet(_sheet_name(name, wb.sheetnames))
        _append(sheet, [org])
        _append(sheet, [f"{title} — {name}"])
        _append(sheet, [])
        _append(sheet, [TITLES[c] for c in COLUMNS])
        for cell in sheet[4]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for line in lines:
            row = line_row(dlist, line)
            _append(sheet, [row[c] for c in COLUMNS])
        total = ["Jumlah", "", "", "", ""] + [
            sum(line_row(dlist, x)[c] or 0 for x in lines) if c in AMOUNT_COLUMNS[:5] else ""
            for c in COLUMNS[5:]]
        _append(sheet, total)
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for i, column in enumerate(COLUMNS, start=1):
            letter = get_column_letter(i)
            width = 14 if column in AMOUNT_COLUMNS else {"nama": 26, "departemen": 18,
                                                         "catatan": 22}.get(column, 15)
            sheet.column_dimensions[letter].width = width
            if column in AMOUNT_COLUMNS:
                for cell in sheet[letter][4:]:
                    cell.number_format = money_format
        sheet.freeze_panes = "F5"
        sheet["A1"].font = Font(bold=True, size=13)
        sheet["A2"].font = Font(bold=True, size=12)
    target = Path(path)
    with atomic_open(target, "wb") as fh:
        wb.save(fh)
    return target


def _append(sheet: Any, values: list[Any]) -> None:
    """Append one row, every text cell neutralised (numbers stay numbers)."""
    sheet.append([output.spreadsheet_cell(v) for v in values])


def _sheet_name(name: str, taken: list[str]) -> str:
    clean = "".join(ch for ch in name if ch not in "[]:*?/\\")[:31] or "Departemen"
    candidate, n = clean, 2
    while candidate in taken:
        suffix = f" ({n})"
        candidate, n = clean[:31 - len(suffix)] + suffix, n + 1
    return candidate


PDF_COLUMNS = [("nik_karyawan", "NIK Karyawan", "L", 1.1),
               ("nomor_anggota", "No. Anggota", "L", 1.25), ("nama", "Nama", "L", 1.8),
               ("simpanan_wajib", "Wajib", "R", 0.95),
               ("tunggakan_wajib", "Tunggakan wajib", "R", 0.95),
               ("angsuran", "Angsuran", "R", 1.05),
               ("tunggakan_angsuran", "Tunggakan angsuran + denda", "R", 1.15),
               ("jumlah_potongan", "Jumlah", "R", 1.1), ("gaji_bersih", "Gaji bersih", "R", 1.1),
               ("catatan", "Catatan", "L", 1.6)]


def write_pdf(crm: CRM, dlist: DeductionList, path: str | Path) -> Path:
    """The deduction list as a printable PDF, one section per department with subtotals."""
    return _write_pdf(crm, dlist.month, dlist.payday, dlist.cap_percent, dlist.lines, path)


def write_month_pdf(crm: CRM, month: dt.date, path: str | Path, *,
                    department: str | None = None) -> Path:
    """``month``'s list as a PDF straight from the database: lines are laid out as they
    come, one department at a time (the same document as :func:`write_pdf`)."""
    month = month.replace(day=1)
    cfg = settings_of(crm)
    return _write_pdf(crm, month, payday_of(month, cfg.payday), cfg.cap_percent,
                      iter_lines(crm, month, department=department), path)


def _write_pdf(crm: CRM, month: dt.date, payday: dt.date, cap_percent, lines: Iterable[
        DeductionLine], path: str | Path) -> Path:
    from ..fmt import amount_plain
    from ..pdf import Column, report_pdf

    label = f"{month.year:04d}-{month.month:02d}"
    month_name = f"{crm.locale.month_name(month.month)} {month.year}"
    pdf = report_pdf(crm, f"Daftar Potongan Gaji — {month_name}",
                     f"Tanggal potong {tanggal(crm, payday)}; batas potongan "
                     f"{cap_percent.normalize():f}% dari gaji bersih; jumlah dalam rupiah",
                     landscape=True)
    columns = [Column(k, t, a, w) for k, t, a, w in PDF_COLUMNS]
    summed = ("simpanan_wajib", "tunggakan_wajib", "angsuran", "tunggakan_angsuran",
              "jumlah_potongan")

    def shown(row: dict[str, Any]) -> dict[str, Any]:
        return {k: (amount_plain(crm, v) if k in AMOUNT_COLUMNS and v != "" else v)
                for k, v in row.items()}

    count = total = flagged = 0
    # lines come sorted by department: group them without sorting again
    sections: dict[str, list[DeductionLine]] = {}
    if isinstance(lines, tuple):  # a whole DeductionList: its departments, sorted
        for line in lines:
            sections.setdefault(line.department, []).append(line)
        grouped = iter(sorted(sections.items()))
    else:
        grouped = ((name, list(group)) for name, group in
                   groupby(lines, key=lambda x: x.department))
    for name, section in grouped:
        pdf.heading(f"{name} ({len(section)} anggota)")
        section_rows = [_row(label, x) for x in section]
        totals = {"nama": "Jumlah"}
        for key in summed:
            totals[key] = amount_plain(crm, sum(r[key] for r in section_rows))
        pdf.table(columns, [shown(r) for r in section_rows], totals=totals)
        count += len(section)
        total += sum(x.total for x in section)
        flagged += sum(1 for x in section if x.flag)
    pdf.heading("Rekapitulasi")
    pdf.pairs([("Anggota", str(count)),
               ("Jumlah potongan", crm.format_money(crm.ledger_money(total))),
               ("Perlu diperiksa", str(flagged))])
    city = crm.config.organisation.address.split(",")[-1].strip() or "Jakarta"
    pdf.signatures([("Bendahara Koperasi", ""), ("Bagian Penggajian (HRD)", "")],
                   city_date=f"{city}, {tanggal(crm, crm.today())}")
    return pdf.save(path)
