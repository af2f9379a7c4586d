"""The reports (laporan): figures, CSV rows and PDFs for a small cooperative."""

from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from kxyz_helpers import quick_staff as staff
from kxyz_helpers import shu_settings
from kxyz_payroll_setup import ENABLED, MONTH, SAVINGS, cooperative

from dyncrm.values import Actor
from koperasi_xyz.reports import builders as rb

EXTRA = ["retain.feedback", "expand.deactivation", "koperasi_xyz.shu", "koperasi_xyz.reports"]


@pytest.fixture
def coop(make_crm):
    """The payroll cooperative, plus a complaint, a member leaving and a 2025 SHU draft."""
    return build_coop(make_crm)


def build_coop(make_crm, **database):
    """:func:`coop` on the database ``database`` names (``database_url=``), else SQLite."""
    from dyncrm_expand import deactivation, savings
    from dyncrm_retain.feedback import tickets

    def factory(*, enabled=(), plugins=None, **kw):
        plugins = dict(plugins or {})
        plugins["koperasi_xyz.shu"] = shu_settings()
        return make_crm(enabled=[*enabled, *EXTRA], plugins=plugins, **database, **kw)

    crm, people, members, loans = cooperative(factory)
    admin = staff(crm, "admin", "admin")
    andi, budi = members["andi"], members["budi"]
    ticket = tickets.submit(crm, admin, category="loans", subject="Potongan ganda",
                            text="Angsuran saya terpotong dua kali.", member=andi.id)
    tickets.acknowledge(crm, admin, ticket.ticket.number)
    citra = members["citra"]
    savings.deposit(crm, people["kasir"], citra.id, "pokok", "100000", method="cash",
                    reference="KP-3", on=dt.date(2026, 3, 2))
    deactivation.request_leave(crm, people["sekretaris"], citra.id, "pindah kerja",
                               on=dt.date(2026, 3, 20))
    from koperasi_xyz.shu.service import enter_surplus

    enter_surplus(crm, 2025, crm.money("12.000.000"), staff(crm, "bendahara2", "treasurer"))
    return crm, people, members, loans, budi


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV the reports wrote, read as a spreadsheet would (csv module)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_member_register_and_new_members(coop) -> None:
    crm, *_ = coop
    lap = rb.member_list(crm, dt.date(2026, 3, 28))
    numbers = [r["nomor_anggota"] for r in lap.sections[0].raw]
    assert numbers == ["XYZ-2024-00003", "XYZ-2025-00007", "XYZ-2026-00001", "XYZ-2026-00002"]
    status = {r["nomor_anggota"]: r["status"] for r in lap.sections[0].raw}
    assert status["XYZ-2024-00003"] == "keluar" and status["XYZ-2026-00001"] == "aktif"
    # on 1 February 2026 Dewi (left 10 February) was still a member
    before = rb.member_list(crm, dt.date(2026, 2, 1))
    assert {r["nomor_anggota"]: r["status"] for r in before.sections[0].raw}[
        "XYZ-2024-00003"] == "aktif"
    new = rb.new_members(crm, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert [(r["nomor_anggota"], r["simpanan_pokok"]) for r in new.sections[0].raw] == [
        ("XYZ-2026-00001", 0), ("XYZ-2026-00002", 100_000)]


def test_new_members_show_the_pokok_paid_after_leaving_with_it_refunded(coop) -> None:
    """Citra joined in March 2026, paid pokok Rp 100.000 on 2 March and left: the
    settlement refunds it (her pokok balance is 0 afterwards), yet the report of new
    members shows the Rp 100.000 she paid; her status says she left.  A pokok deposit
    taken back as a correction does not count as paid."""
    from dyncrm_expand import deactivation, savings
    from dyncrm_expand.deactivation.models import LeaveRequest

    crm, people, members, *_ = coop
    citra = members["citra"]
    request = LeaveRequest.get(LeaveRequest.member == citra.id)
    deactivation.approve_leave(crm, people["bendahara"], request.id,
                               on=dt.date(2026, 3, 25), payout_on=dt.date(2026, 3, 25))
    deactivation.pay_refund(crm, people["kasir"], request.id, method="cash",
                            reference="KK-9", on=dt.date(2026, 3, 26))
    assert savings.balances(crm, citra.id)["pokok"].amount == 0
    new = rb.new_members(crm, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    rows = {r["nomor_anggota"]: r for r in new.sections[0].raw}
    assert rows["XYZ-2026-00002"]["simpanan_pokok"] == 100_000
    assert rows["XYZ-2026-00002"]["status"] == "keluar"
    assert new.sections[0].totals["pokok"] == "Rp 100.000"
    # the other new member's pokok is booked to the wrong day, reversed and booked again:
    # paid once (100.000), not twice and not nothing
    from dyncrm.db.models import Member
    from dyncrm_expand.savings.corrections import reverse_entry

    other_id = Member.get(Member.number == "XYZ-2026-00001").id
    wrong = savings.deposit(crm, people["kasir"], other_id, "pokok", "100000", method="cash",
                            reference="KP-A", on=dt.date(2026, 3, 2))
    reverse_entry(crm, people["bendahara"], wrong.entry_id, reason="tanggal salah")
    savings.deposit(crm, people["kasir"], other_id, "pokok", "100000", method="cash",
                    reference="KP-B", on=dt.date(2026, 3, 27))
    new = rb.new_members(crm, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert [(r["nomor_anggota"], r["simpanan_pokok"]) for r in new.sections[0].raw] == [
        ("XYZ-2026-00001", 100_000), ("XYZ-2026-00002", 100_000)]


def test_leavers_with_refund_status(coop) -> None:
    crm, *_ = coop
    lap = rb.leaving_members(crm, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    rows = {r["nomor_anggota"]: r for r in lap.sections[0].raw}
    assert rows["XYZ-2024-00003"]["status_pengembalian"] == ""  # left without a request
    assert rows["XYZ-2026-00002"]["status_pengembalian"] == "requested"


def test_savings_as_of_a_date_per_member_and_product(coop) -> None:
    crm, *_ = coop
    lap = rb.savings_report(crm, dt.date(2026, 2, 28))
    by_product = {r["produk"]: r for r in lap.sections[0].rows}
    assert by_product["Simpanan wajib"]["saldo"] == "Rp 500.000"  # 50.000 + 450.000
    assert by_product["Simpanan pokok"]["saldo"] == "Rp 0"  # Citra paid in March
    raw = {r["nomor_anggota"]: r for r in lap.sections[1].raw}
    assert raw["XYZ-2026-00001"]["wajib"] == 50_000
    assert raw["XYZ-2026-00001"]["tunggakan_wajib"] == 50_000  # February unpaid on 28 Feb
    later = rb.savings_report(crm, dt.date(2026, 3, 28))
    assert {r["produk"]: r["saldo"] for r in later.sections[0].rows}["Simpanan pokok"] == \
        "Rp 100.000"


def test_loans_arrears_and_collectibility(coop) -> None:
    crm, _, _, loans, _ = coop
    lap = rb.loan_report(crm, dt.date(2026, 3, 28))
    raw = {r["pinjaman"]: r for r in lap.sections[1].raw}
    andi = raw[loans["andi"]]
    assert andi["sisa_pokok"] == 3_000_000 and andi["angsuran_per_bulan"] == 280_000
    assert andi["tunggakan"] == 560_000 and andi["hari_terlambat"] == 31  # since 25 Feb
    assert andi["kolektibilitas"] == "dalam perhatian khusus"
    assert raw[loans["budi"]]["hari_terlambat"] == 3
    # before anything fell due, everything is current
    early = rb.loan_report(crm, dt.date(2026, 2, 20))
    assert [r["kolektibilitas"] for r in early.sections[1].raw] == ["lancar", "lancar"]
    schedule = rb.loan_schedule(crm, loans["andi"])
    assert len(schedule.sections[0].raw) == 12
    assert schedule.sections[0].raw[0]["angsuran"] == 280_000


def test_payroll_feedback_shu_and_park_kim(coop) -> None:
    crm, *_ = coop
    pay = rb.payroll_report(crm, MONTH)
    assert [s.heading for s in pay.sections] == ["Keuangan (1 anggota)",
                                                 "Produksi (1 anggota)", "Umum (1 anggota)"]
    fb = rb.feedback_report(crm, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert fb.sections[0].totals["total"] == 1
    shu = rb.shu_report(crm, 2025)
    assert shu.title == "Laporan Pembagian SHU Tahun Buku 2025"
    assert dict(shu.summary)["SHU tahun buku"] == "Rp 12.000.000"
    pk = rb.park_kim(crm, dt.date(2026, 3, 28))
    matrix = {r["fase"]: r for r in pk.sections[0].rows}
    assert matrix["Retensi"]["by"] == 1  # the complaint is information by the member
    andi = next(r for r in pk.sections[1].raw if r["nomor_anggota"] == "XYZ-2026-00001")
    assert andi["expand_by"] >= 2 and andi["retain_by"] == 1


def test_every_report_writes_csv_and_a_pdf_with_header_and_page_numbers(coop, tmp_path
                                                                        ) -> None:
    from pdfs import pdf_pages

    from koperasi_xyz.reports import all_reports

    crm, *_ = coop
    files = all_reports(crm, tmp_path / "laporan", as_of=dt.date(2026, 3, 28),
                        since=dt.date(2026, 1, 1), until=dt.date(2026, 3, 28), month=MONTH,
                        year=2025)
    pdfs = [f for f in files if f.suffix == ".pdf"]
    # every report of the enabled plugins, the treasurer's statements (neraca, PHU,
    # ekuitas) and the year's SHU with its PPh among them
    assert sorted(f.name.removeprefix("laporan-").removesuffix(".pdf") for f in pdfs) == [
        "anggota", "anggota-baru", "anggota-keluar", "ekuitas", "kritik-saran", "neraca",
        "parkkim", "phu", "pinjaman", "potongan", "pph-shu", "shu", "simpanan"]
    for pdf in pdfs:
        first = pdf_pages(pdf)[0]
        assert "Koperasi Uji" in first and "Halaman 1 dari" in first, pdf.name
        assert "Dicetak 28 Maret 2026" in first
    rows = read_csv(tmp_path / "laporan" / "laporan-simpanan.csv")
    assert rows[0].keys() >= {"nomor_anggota", "pokok", "wajib", "sukarela", "jumlah"}
    summary = read_csv(tmp_path / "laporan" / "laporan-simpanan-ringkasan.csv")
    assert {r["produk"]: r["saldo"] for r in summary if r["bagian"] == "Per produk"} == {
        "pokok": "100000", "wajib": "500000", "sukarela": "0"}


def test_laporan_commands(coop, tmp_path: Path, monkeypatch) -> None:
    from dyncrm.testing import run_cli

    crm, *_ = coop
    config = tmp_path / "dyncrm.toml"
    db = crm.config.database_url.removeprefix("sqlite:///")
    config.write_text(f"""
[organisation]
name = "Koperasi Karyawan XYZ"
currency = "IDR"
currency_exponent = 0
[database]
url = "sqlite:///{db}"
[plugins]
enabled = {[*ENABLED, *EXTRA]!r}
[plugins."expand.loans".products.konsumtif]
name = "Pinjaman Konsumtif"
method = "flat"
rate = "1"
rate_unit = "per_month"
term_max = 36
[plugins."expand.savings".wajib]
amount = "{SAVINGS['wajib']['amount']}"
due_day = 25
""".replace("'", '"'), encoding="utf-8")
    code, out, err = run_cli(["-c", str(config), "--as", "sekretaris", "laporan", "simpanan",
                              "--as-of", "2026-03-28", "--pdf", str(tmp_path / "s.pdf"),
                              "--csv", str(tmp_path / "s.csv")])
    assert code == 0, err
    assert "Laporan Simpanan Anggota" in out and "Rp 600.000" in out
    assert (tmp_path / "s.pdf").exists() and (tmp_path / "s.csv").exists()
    assert f"wrote {tmp_path / 's-ringkasan.csv'}" in err
    summary = {r["keterangan"]: r["nilai"] for r in read_csv(tmp_path / "s-ringkasan.csv")
               if r["bagian"] == "Ringkasan"}
    assert summary["Jumlah simpanan"] == "600000"
    code, _, err = run_cli(["-c", str(config), "--as", "kasir", "laporan", "anggota"])
    assert code == 0, err
    assert run_cli(["-c", str(config), "logout", "--all"])[0] == 0
    monkeypatch.delenv("DYNCRM_LANGUAGE", raising=False)  # the deployment's own language
    code, _, err = run_cli(["-c", str(config), "laporan", "anggota"], env={"DYNCRM_USER": ""})
    assert code == 1 and "belum masuk" in err  # Koperasi XYZ speaks Indonesian
    monkeypatch.setenv("DYNCRM_LANGUAGE", "en")
    with crm.database.atomic():
        crm.users.add("anggota1", roles=["member"])
    code, _, err = run_cli(["-c", str(config), "--as", "anggota1", "laporan", "anggota"])
    assert code == 1 and "reports.view" in err
    assert Actor  # imported for type checkers of the fixtures


def test_loan_report_sends_no_loan_id_as_a_parameter(coop) -> None:
    """More loans than SQLite accepts variables in one statement (the limit lowered to 30
    for the test; it is 32,766 by default): the report still builds, every loan listed."""
    import sqlite3

    import peewee

    from dyncrm_expand.loans.models import Loan

    crm, _, _, loans, _ = coop
    template = Loan.get_by_id(loans["andi"])
    row = {f.name: getattr(template, f.name) for f in Loan._meta.sorted_fields
           if f.name != "id"}
    row["member"] = template.member_id
    Loan.insert_many([dict(row, disbursement_reference=f"copy-{i}") for i in range(40)]).execute()
    ids = [r.id for r in Loan.select(Loan.id)]
    assert len(ids) == 42
    connection = crm.database.connection()
    before = connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 30)
    try:
        with pytest.raises(peewee.OperationalError):  # what a list of ids would meet
            list(Loan.select(Loan.id).where(Loan.id.in_(ids)))
        lap = rb.loan_report(crm, dt.date(2026, 3, 28))
    finally:
        connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)
    raw = lap.sections[1].raw
    assert len(raw) == 42
    andi = next(r for r in raw if r["pinjaman"] == loans["andi"])
    assert andi["tunggakan"] == 560_000 and andi["hari_terlambat"] == 31
    copies = [r for r in raw if r["pinjaman"] not in loans.values()]
    assert all(r["sisa_pokok"] == template.principal for r in copies)  # nothing repaid


#: The amount columns of each report's data CSV: whole rupiah, every cell an integer.
AMOUNTS = {
    "anggota-baru": ["simpanan_pokok"], "anggota-keluar": ["pengembalian_simpanan"],
    "simpanan": ["pokok", "wajib", "sukarela", "jumlah", "tunggakan_wajib"],
    "pinjaman": ["pokok_pinjaman", "sisa_pokok", "angsuran_per_bulan", "tunggakan"],
    "potongan": ["simpanan_wajib", "tunggakan_wajib", "angsuran", "tunggakan_angsuran",
                 "jumlah_potongan"],
    "shu": ["jasa_modal", "jasa_usaha", "jumlah"], "pph-shu": ["bruto", "pph", "bersih"],
    "neraca": ["amount"], "phu": ["amount"],
    "ekuitas": ["opening", "additions", "deductions", "closing"]}
#: What a person reads but a spreadsheet cannot compute with.
FORMATTED = re.compile(r"^Rp|%$|^-?\d{1,3}(\.\d{3})+$|^-?\d+,\d+$")


def test_report_csvs_hold_data_only_and_summaries_their_own_file(coop, tmp_path) -> None:
    """Every report's CSV is one header row and data rows: amounts whole rupiah (every cell
    of an amount column an integer), no 'Rp', no '91,0%', no totals or summary rows; the
    summary lines and summary tables are in laporan-NAME-ringkasan.csv, plain as well."""
    from koperasi_xyz.reports import all_reports

    crm, *_ = coop
    folder = tmp_path / "laporan"
    files = all_reports(crm, folder, as_of=dt.date(2026, 3, 28), since=dt.date(2026, 1, 1),
                        until=dt.date(2026, 3, 28), month=MONTH, year=2025)
    data = {f.name.removeprefix("laporan-").removesuffix(".csv"): f for f in files
            if f.suffix == ".csv" and not f.stem.endswith("-ringkasan")}
    assert set(AMOUNTS) <= set(data)
    for name, path in data.items():
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header, *rows = list(csv.reader(fh)) or [[]]
        assert rows or name not in ("simpanan", "pinjaman", "potongan", "shu", "neraca"), name
        assert all(len(row) == len(header) for row in rows), name
        assert not any(cell == "Jumlah" for row in rows for cell in row), name  # no totals
        for row in rows:
            for column, cell in zip(header, row, strict=True):
                assert not FORMATTED.search(cell), (name, column, cell)
        for column in AMOUNTS.get(name, ()) if rows else ():
            assert column in header, (name, column)
            i = header.index(column)
            for row in rows:
                int(row[i])  # whole rupiah: raises on 'Rp 1.000', '1.000', '' or '1000.5'
    # the summaries, beside them
    simpanan = read_csv(folder / "laporan-simpanan-ringkasan.csv")
    lines = {r["keterangan"]: r["nilai"] for r in simpanan if r["bagian"] == "Ringkasan"}
    assert lines == {"Anggota dengan simpanan": "3", "Jumlah simpanan": "600000",
                     "Tunggakan simpanan wajib": lines["Tunggakan simpanan wajib"]}
    assert int(lines["Tunggakan simpanan wajib"]) > 0
    per_product = [r for r in simpanan if r["bagian"] == "Per produk"]
    assert sum(int(r["saldo"]) for r in per_product) == int(lines["Jumlah simpanan"])
    members = read_csv(data["simpanan"])
    assert sum(int(r["jumlah"]) for r in members) == int(lines["Jumlah simpanan"])
    pinjaman = read_csv(folder / "laporan-pinjaman-ringkasan.csv")
    grades = [r for r in pinjaman if r["bagian"] == "Kolektibilitas"]
    assert [r["kolektibilitas"] for r in grades][:2] == ["lancar", "dalam perhatian khusus"]
    assert sum(Decimal(r["porsi_persen"]) for r in grades) == Decimal("100.0")
    assert sum(int(r["sisa_pokok"]) for r in grades) == 6_000_000
    assert {r["keterangan"]: r["nilai"] for r in pinjaman if r["bagian"] == "Ringkasan"}[
        "Tunggakan pokok + jasa"] == "840000"
    for path in folder.glob("*-ringkasan.csv"):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header, *rows = list(csv.reader(fh))
        assert header[:3] == ["bagian", "keterangan", "nilai"], path.name
        for row in rows:
            assert not any(FORMATTED.search(cell) for cell in row[2:]), (path.name, row)
    assert "laporan-anggota-baru-ringkasan.csv" in {f.name for f in files}


def test_park_kim_names_applicants_by_their_application_in_number_order(coop) -> None:
    """People without a member number (applicants, rejected ones) are listed by their
    application as registration numbers it, 'Permohonan #N', with their status, after the
    members and in application-number order (#9 before #10, not as text)."""
    from dyncrm_acquire import registration as reg

    def applicant(i: int) -> dict[str, str]:
        return {"full_name": f"Budi Santoso {'ABCDEFGH'[i]}",
                "nik": f"3201{10 + i:02d}150590{i:04d}", "employee_number": f"E-{i:05d}",
                "department": "Umum",
                "email": f"budi{i}@example.com", "mobile": f"0812-{i:04d}-7890",
                "address": "Jl. Merdeka 1, Bogor", "date_of_birth": "1990-05-15"}

    crm, people, *_ = coop
    board = staff(crm, "pengurus", "admin")
    ids = [reg.submit(crm, applicant(i), people["sekretaris"])
           .application.id for i in range(1, 8)]
    assert min(ids) < 10 <= max(ids)  # numbers of one and two digits
    for app_id in ids[::2]:
        reg.reject(crm, app_id, board, reason="bukan karyawan tetap")
    lap = rb.park_kim(crm, dt.date(2026, 3, 28))
    rows = lap.sections[1].rows
    labels = [r["nomor"] for r in rows]
    assert labels == ["XYZ-2025-00007", "XYZ-2026-00001", "XYZ-2026-00002",
                      *[f"Permohonan #{i}" for i in sorted(ids)]]
    assert not any(label.startswith("#") for label in labels)
    status = {r["nomor"]: r["status"] for r in rows}
    assert status[f"Permohonan #{ids[0]}"] == "ditolak"
    assert status[f"Permohonan #{ids[1]}"] == "calon anggota"
    assert all(r["nama"].startswith("Budi Santoso") for r in rows[3:])
    raw = lap.sections[1].raw
    assert [r["nomor_permohonan"] for r in raw[3:]] == sorted(ids)
    assert all(r["nomor_anggota"] == "" for r in raw[3:])
    assert rows[0]["acquire_by"] == "" and rows[3]["acquire_by"] >= 1  # applied: by them


def test_natural_order_of_member_numbers() -> None:
    assert sorted(["XYZ-2025-10", "XYZ-2025-9", "xyz-2024-100"], key=rb.natural_key) == [
        "xyz-2024-100", "XYZ-2025-9", "XYZ-2025-10"]


LONG_NAME = ("Ajeng Đặng Thị Ngọc Ánh Łukasz Zoë Şükrü Ağaoğlu Nguyễn "
             "Wijayakusuma Hadiningrat")


def test_loans_pdf_wraps_a_long_name_on_every_page(coop, tmp_path) -> None:
    """A borrower's name of 80 characters, most of them outside Latin-1, is printed whole
    in the loans PDF: wrapped within its column, every row on one page (the name whole on
    it), the header row at the top of the table on every page."""
    from pdfs import pdf_pages

    from dyncrm.db.models import Member
    from dyncrm_expand.loans.models import Loan
    from koperasi_xyz.laporan import write_pdf

    assert len(LONG_NAME) == 80 and any(ord(c) > 255 for c in LONG_NAME)
    crm, _, members, loans, _ = coop
    Member.update(name=LONG_NAME).where(Member.id == members["andi"].id).execute()
    template = Loan.get_by_id(loans["andi"])
    row = {f.name: getattr(template, f.name) for f in Loan._meta.sorted_fields
           if f.name != "id"}
    row["member"] = template.member_id
    Loan.insert_many([dict(row, disbursement_reference=f"copy-{i}") for i in range(40)]).execute()
    lap = rb.loan_report(crm, dt.date(2026, 3, 28))
    pages = pdf_pages(write_pdf(crm, lap, tmp_path / "pinjaman.pdf"))
    assert len(pages) >= 3
    found = 0
    for number, text in enumerate(pages, start=1):
        words = " ".join(text.split())  # the lines of a wrapped cell joined again
        found += words.count(LONG_NAME)
        rest = words.replace(LONG_NAME, "")  # a row split across pages would leave a part
        assert "Ajeng Đặng" not in rest and "Hadiningrat" not in rest, number
        assert words.count("No. No. Anggota Nama Produk Cair") == 1, number
    assert found == 41  # Andi's loan and its 40 copies, each name whole on one page
    assert "…" not in "".join(pages)


def text_past_margin(path: Path, margin_mm: float = 15) -> list[str]:
    """The pieces of text of a PDF that reach past its right margin (or off the page)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        out = []
        for page in pdf:
            limit = page.get_width() - margin_mm * 72 / 25.4 + 1  # points, 1 pt of slack
            text = page.get_textpage()
            for r in range(text.count_rects()):
                left, bottom, right, top = text.get_rect(r)
                if right > limit:
                    out.append(text.get_text_bounded(left, bottom, right, top))
        return out
    finally:
        pdf.close()


def test_loan_schedule_pdf_wraps_a_long_name_within_the_page(coop, tmp_path) -> None:
    """The one-loan schedule (portrait) names the borrower in its subtitle and its summary
    lines: an 80-character name wraps there too, nothing runs past the right margin."""
    from pdfs import pdf_text

    from dyncrm.db.models import Member
    from koperasi_xyz.laporan import write_pdf

    crm, _, members, loans, _ = coop
    Member.update(name=LONG_NAME).where(Member.id == members["andi"].id).execute()
    path = write_pdf(crm, rb.loan_schedule(crm, loans["andi"]), tmp_path / "jadwal.pdf")
    assert text_past_margin(path) == []
    words = " ".join(pdf_text(path).split())
    assert words.count(LONG_NAME) >= 2  # the subtitle and the summary line 'Anggota'


def _every_laporan(crm) -> dict:
    """The raw rows and totals of every laporan of the small cooperative, as text."""
    day, start = dt.date(2026, 3, 28), dt.date(2026, 1, 1)
    built = {"anggota": rb.member_list(crm, day), "anggota-baru": rb.new_members(crm, start, day),
             "anggota-keluar": rb.leaving_members(crm, start, day),
             "simpanan": rb.savings_report(crm, day), "pinjaman": rb.loan_report(crm, day),
             "potongan": rb.payroll_report(crm, MONTH, live=True),
             "kritik-saran": rb.feedback_report(crm, start, day), "shu": rb.shu_report(crm, 2025),
             "park-kim": rb.park_kim(crm, day)}
    return {name: [(section.heading, [{k: str(v) for k, v in row.items()} for row in section.raw],
                    {k: str(v) for k, v in (section.totals or {}).items()})
                   for section in lap.sections]
            for name, lap in built.items()}


@pytest.mark.parametrize("server", [pytest.param("pg_url", marks=pytest.mark.postgres),
                                    pytest.param("mysql_url", marks=pytest.mark.mysql)])
def test_every_laporan_the_same_on_postgresql_and_mariadb(make_crm, request, server) -> None:
    """Each laporan's own SQL (laporan pinjaman's one fixed text, the member laporan's
    plain rows, the savings sums) gives on PostgreSQL and MariaDB the rows it gives on
    SQLite."""
    on_sqlite = _every_laporan(build_coop(make_crm)[0])
    crm = build_coop(make_crm, database_url=request.getfixturevalue(server))[0]
    got = _every_laporan(crm)
    assert got.keys() == on_sqlite.keys()
    for name in on_sqlite:
        assert got[name] == on_sqlite[name], name
    assert any(rows for _, rows, _ in on_sqlite["pinjaman"])
