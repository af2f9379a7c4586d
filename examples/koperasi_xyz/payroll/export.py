"""The deduction list as files for the payroll office: CSV and XLSX.

Both carry one row per member with amounts as whole rupiah (numbers a
spreadsheet can add), and an empty column ``jumlah_dipotong`` that the payroll
office fills in with what it actually deducted; the filled-in CSV is the
confirmation file ``dyncrm payroll import`` reads back.  Every text cell of both
passes :func:`dyncrm.output.spreadsheet_cell`, so a name never runs as a formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dyncrm import output
from dyncrm.errors import DyncrmError
from dyncrm.files import atomic_open

from ..fmt import tanggal
from .listing import DeductionLine, DeductionList

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
    return {"periode": dlist.label, "departemen": line.department,
            "nik_karyawan": line.employee_number or "", "nomor_anggota": line.number,
            "nama": line.name, "simpanan_wajib": line.wajib,
            "tunggakan_wajib": line.wajib_arrears, "angsuran": line.installments,
            "tunggakan_angsuran": line.loan_arrears, "jumlah_potongan": line.total,
            "gaji_bersih": "" if line.take_home_pay is None else line.take_home_pay,
            "batas_potongan": "" if line.cap is None else line.cap,
            "catatan": line.flag, "jumlah_dipotong": ""}


def rows(dlist: DeductionList) -> list[dict[str, Any]]:
    """Every row of the list, department by department."""
    return [line_row(dlist, line) for line in dlist.lines]


def write_csv(dlist: DeductionList, path: str | Path, *, delimiter: str = ",") -> Path:
    """Write the list as CSV (UTF-8 with BOM, so spreadsheet programs read it right)."""
    target = Path(path)
    with atomic_open(target, "w", newline="", encoding="utf-8-sig") as fh:
        output.write_csv(rows(dlist), fh, COLUMNS, delimiter=delimiter)
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
    from ..fmt import amount_plain
    from ..pdf import Column, report_pdf

    month_name = f"{crm.locale.month_name(dlist.month.month)} {dlist.month.year}"
    pdf = report_pdf(crm, f"Daftar Potongan Gaji — {month_name}",
                     f"Tanggal potong {tanggal(crm, dlist.payday)}; batas potongan "
                     f"{dlist.cap_percent.normalize():f}% dari gaji bersih; jumlah dalam rupiah",
                     landscape=True)
    columns = [Column(k, t, a, w) for k, t, a, w in PDF_COLUMNS]

    def shown(row: dict[str, Any]) -> dict[str, Any]:
        return {k: (amount_plain(crm, v) if k in AMOUNT_COLUMNS and v != "" else v)
                for k, v in row.items()}

    for name, lines in dlist.departments().items():
        pdf.heading(f"{name} ({len(lines)} anggota)")
        body = [shown(line_row(dlist, x)) for x in lines]
        totals = {"nama": "Jumlah"}
        for key in ("simpanan_wajib", "tunggakan_wajib", "angsuran", "tunggakan_angsuran",
                    "jumlah_potongan"):
            totals[key] = amount_plain(crm, sum(line_row(dlist, x)[key] for x in lines))
        pdf.table(columns, body, totals=totals)
    pdf.heading("Rekapitulasi")
    pdf.pairs([("Anggota", str(len(dlist.lines))),
               ("Jumlah potongan", crm.format_money(crm.ledger_money(dlist.total))),
               ("Perlu diperiksa", str(sum(1 for x in dlist.lines if x.flag)))])
    city = crm.config.organisation.address.split(",")[-1].strip() or "Jakarta"
    pdf.signatures([("Bendahara Koperasi", ""), ("Bagian Penggajian (HRD)", "")],
                   city_date=f"{city}, {tanggal(crm, crm.today())}")
    return pdf.save(path)
