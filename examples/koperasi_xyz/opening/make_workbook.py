"""Write opening.xlsx from the CSV files beside it: one worksheet per sheet.

    python examples/koperasi_xyz/opening/make_workbook.py

Amounts become number cells and dates date cells, as a cooperative's own
spreadsheet would hold them (needs openpyxl: pip install 'dyncrm[xlsx]').
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHEETS = ("anggota", "simpanan", "pinjaman", "kontrol")
TEXT_COLUMNS = ("NIK", "NIK Karyawan", "Telepon", "Nomor Anggota")


def typed(header: str, cell: str):
    """A CSV cell as a spreadsheet would keep it: a number, a date or text."""
    if header in TEXT_COLUMNS or not cell:
        return cell
    try:
        return dt.datetime.strptime(cell, "%d-%m-%Y")
    except ValueError:
        pass
    digits = cell.replace(".", "")
    return int(digits) if digits.isdigit() else cell


def main() -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in SHEETS:
        sheet = book.create_sheet(name)
        with (HERE / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        sheet.append(rows[0])
        for row in rows[1:]:
            sheet.append([typed(h, c) for h, c in zip(rows[0], row, strict=True)])
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "DD-MM-YYYY"
                elif isinstance(cell.value, int) and cell.value >= 1000:
                    cell.number_format = "#,##0"
    path = HERE / "opening.xlsx"
    book.save(path)
    return path


if __name__ == "__main__":
    print(main())
