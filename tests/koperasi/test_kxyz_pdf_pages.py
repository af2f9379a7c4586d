"""Koperasi XYZ's printed lists page by page: every page right, not just the first.

Issue 14: in the demo's ``laporan-potongan.pdf`` pages 5-14 each held a single
table-header cell.  These tests lay out lists long enough for many pages and read
every page back (pypdfium2): the header row at the top of each page's table, no
page with a header and nothing under it, no row split or lost, the totals row on
the page of the last rows, and the sums printed equal to the list.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from pdfs import page_lines

from koperasi_xyz.laporan import Laporan, Section, cols, write_pdf
from koperasi_xyz.payroll.export import write_pdf as write_deduction_pdf
from koperasi_xyz.payroll.listing import DeductionLine, DeductionList, LoanDue

DEPARTMENTS = ("Keuangan", "Produksi", "Umum")
HEADER = "NIK Karyawan No. Anggota Nama"
ROW = re.compile(r"^(E\d{4}) XYZ-\d{4}-\d{5} ")
NUMBER = re.compile(r"^\d{1,3}(?:\.\d{3})*$")


def _name(i: int) -> str:
    letters = "".join("abcdefghij"[int(d)] for d in str(i)).capitalize()
    long = " bin Abdullah Wirjosandjojo Kusumawardhani" if i % 17 == 0 else ""
    return f"{letters} Đặng Thị Ngọc{long}"  # no digits in names: amounts are the only numbers


def deduction_list(members: int, departments: tuple[str, ...] = DEPARTMENTS) -> DeductionList:
    lines = []
    for i in range(members):
        lines.append(DeductionLine(
            member_id=i + 1, number=f"XYZ-2025-{i:05d}", name=_name(i),
            employee_number=f"E{i:04d}", department=departments[(i * i) % len(departments)],
            wajib=50_000,
            wajib_arrears=50_000 if i % 5 == 0 else 0,
            loans=(LoanDue(loan_id=i, product="konsumtif", due_now=280_000 + i,
                           arrears=12_345 if i % 7 == 0 else 0),) if i % 2 else (),
            take_home_pay=None if i % 11 == 0 else 5_000_000,
            cap=None if i % 11 == 0 else 1_750_000))
    lines.sort(key=lambda x: (x.department, x.employee_number))
    return DeductionList(month=dt.date(2025, 12, 1), payday=dt.date(2025, 12, 25),
                         cap_percent=Decimal(35), lines=tuple(lines))


def units(text: str) -> int:
    return int(text.replace(".", ""))


def numbers(line: str) -> list[int]:
    return [units(t) for t in line.split() if NUMBER.match(t)]


@pytest.fixture
def kxyz(make_crm):
    return make_crm(enabled=["acquire.registration", "expand.savings", "expand.loans",
                             "koperasi_xyz.payroll"])


MANY = tuple(f"Bagian{c}" for c in "ABCDEFGHIJKLMNOPQ")


@pytest.mark.parametrize(("members", "departments"), [(150, DEPARTMENTS), (301, DEPARTMENTS),
                                                      (170, MANY)])
def test_every_page_of_the_deduction_list_is_right(kxyz, tmp_path, members,
                                                   departments) -> None:
    """Departments of every size, so some start at the foot of a page."""
    dlist = deduction_list(members, departments)
    pages = page_lines(write_deduction_pdf(kxyz, dlist, tmp_path / "potongan.pdf"))
    assert len(pages) >= 4
    seen: dict[str, int] = {}
    per_department: dict[str, int] = {}
    totals: dict[str, int] = {}
    department = None
    for number, lines in enumerate(pages, start=1):
        assert f"Halaman {number} dari {len(pages)}" in lines[-1]
        assert lines[1].startswith("Daftar Potongan Gaji — Desember 2025")
        rows = [i for i, line in enumerate(lines) if ROW.match(line)]
        headers = [i for i, line in enumerate(lines) if line.startswith(HEADER)]
        if rows:
            # the header row heads the page's table, above its first row
            assert headers and headers[0] < rows[0], f"page {number} has rows but no header"
        for h in headers:  # a header always has a row right under it (its titles wrap)
            following = [i for i in rows if i > h]
            assert following and following[0] - h <= 4, f"page {number}: a header alone"
        for i, line in enumerate(lines):
            heading = re.match(r"^(\w+) \((\d+) anggota\)$", line)
            if heading:
                department = heading.group(1)
            match = ROW.match(line)
            if match:
                emp = match.group(1)
                assert emp not in seen, f"{emp} printed twice (pages {seen[emp]}, {number})"
                seen[emp] = number
                # wajib, tunggakan wajib, angsuran, tunggakan angsuran, jumlah, gaji bersih
                per_department[department] = per_department.get(department, 0) + \
                    numbers(line)[4]
            if line.startswith("Jumlah ") and not line.startswith("Jumlah potongan"):
                assert any(r < i for r in rows), f"page {number}: totals without rows"
                totals[department] = numbers(line)[4]
    assert len(seen) == members  # every line once, none lost, none split
    expected = {d: sum(x.total for x in dlist.lines if x.department == d)
                for d in departments if any(x.department == d for x in dlist.lines)}
    assert per_department == expected == totals
    recap = next(line for line in pages[-1] + pages[-2] if line.startswith("Jumlah potongan"))
    assert recap == f"Jumlah potongan Rp {dlist.total:,}".replace(",", ".")
    assert sum(totals.values()) == dlist.total


def test_every_page_of_a_long_report_is_right(kxyz, tmp_path) -> None:
    """A laporan (any report's PDF) of two long sections, titles that wrap: the same rules."""
    rows = [{"no": i, "nama": _name(i), "catatan": "perlu diperiksa ulang oleh bendahara "
             "sebelum rapat anggota tahunan" if i % 9 == 0 else "", "jumlah": f"{i * 1000:,}"
             .replace(",", ".")} for i in range(1, 241)]
    lap = Laporan(
        name="uji", title="Laporan Panjang", subtitle="Per tanggal 31 Desember 2025",
        columns=cols(("no", "No", "R", 0.4), ("nama", "Nama anggota yang tercatat", "L", 2),
                     ("catatan", "Catatan untuk rapat anggota tahunan", "L", 2),
                     ("jumlah", "Jumlah", "R", 1)),
        sections=(Section(heading="Bagian pertama", rows=tuple(rows[:130]),
                          totals={"nama": "Jumlah", "jumlah": "8.515.000"}),
                  Section(heading="Bagian kedua", rows=tuple(rows[130:]),
                          totals={"nama": "Jumlah", "jumlah": "20.405.000"})),
        summary=(("Anggota", "240"),), landscape=False)
    pages = page_lines(write_pdf(kxyz, lap, tmp_path / "laporan.pdf"))
    assert len(pages) >= 5
    found = []
    for number, lines in enumerate(pages, start=1):
        data = [i for i, line in enumerate(lines) if re.match(r"^\d+ [A-Z][a-z]* Đặng", line)]
        headers = [i for i, line in enumerate(lines) if line.startswith("No Nama anggota")]
        assert data, f"page {number} has no row"
        assert headers and headers[0] < data[0], f"page {number} has rows but no header"
        for h in headers:
            assert any(0 < i - h <= 4 for i in data), f"page {number}: a header alone"
        found += [int(lines[i].split()[0]) for i in data]
    assert found == list(range(1, 241))
    text = [line for page in pages for line in page]
    assert sum(1 for line in text if re.match(r"^Jumlah \d", line)) == 2


def test_sections_starting_anywhere_on_a_page(kxyz, tmp_path) -> None:
    """Many short sections, so that some heading and table start near the foot of a page
    (where the old layout drew page after page of lone header cells): each table's header
    and first row start together, on the page after when they do not fit."""
    number = iter(range(1, 10_000))
    sections = []
    for s in range(1, 31):
        rows = [{"no": n, "nama": _name(n), "jumlah": str(n)} for n in
                (next(number) for _ in range(s % 7 + 1))]
        sections.append(Section(heading=f"Departemen {_name(s).split()[0]}", rows=tuple(rows),
                                totals={"nama": "Jumlah", "jumlah": str(sum(r["no"] for r in
                                                                            rows))}))
    lap = Laporan(name="uji", title="Daftar per departemen", subtitle="Desember 2025",
                  columns=cols(("no", "No", "R", 0.5), ("nama", "Nama", "L", 3),
                               ("jumlah", "Jumlah potongan bulan ini", "R", 1)),
                  sections=tuple(sections), landscape=True)
    pages = page_lines(write_pdf(kxyz, lap, tmp_path / "laporan.pdf"))
    assert len(pages) >= 3
    found = []
    for page, lines in enumerate(pages, start=1):
        data = [i for i, line in enumerate(lines) if re.match(r"^\d+ [A-Z][a-z]* Đặng", line)]
        headers = [i for i, line in enumerate(lines) if line.startswith("No Nama")]
        assert data, f"page {page} has no row: {lines}"
        assert len(headers) >= 1 and headers[0] < data[0]
        for h in headers:
            assert lines[h - 1].startswith("Departemen ") or h == headers[0], \
                f"page {page}: a header row without its section heading"
            assert any(0 < i - h <= 3 for i in data), f"page {page}: a header alone"
        headings = [i for i, line in enumerate(lines) if line.startswith("Departemen ")]
        for h in headings:
            assert h + 1 in headers, f"page {page}: a section heading left at the foot"
        found += [int(lines[i].split()[0]) for i in data]
    assert found == sorted(found) and len(found) == len(set(found)) == found[-1]
