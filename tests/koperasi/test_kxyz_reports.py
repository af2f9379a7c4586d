"""The reports (laporan): figures, CSV rows and PDFs for a small cooperative."""

from __future__ import annotations

import csv
import datetime as dt
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
    from dyncrm_expand import deactivation, savings
    from dyncrm_retain.feedback import tickets

    def factory(*, enabled=(), plugins=None, **kw):
        plugins = dict(plugins or {})
        plugins["koperasi_xyz.shu"] = shu_settings()
        return make_crm(enabled=[*enabled, *EXTRA], plugins=plugins, **kw)

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
    rows = list(csv.DictReader((tmp_path / "laporan" / "laporan-simpanan.csv")
                               .open(encoding="utf-8-sig")))
    assert rows[0].keys() >= {"produk", "anggota", "saldo"}


def test_laporan_commands(coop, tmp_path: Path) -> None:
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
    code, _, err = run_cli(["-c", str(config), "--as", "kasir", "laporan", "anggota"])
    assert code == 0, err
    assert run_cli(["-c", str(config), "logout", "--all"])[0] == 0
    code, _, err = run_cli(["-c", str(config), "laporan", "anggota"], env={"DYNCRM_USER": ""})
    assert code == 1 and "not signed in" in err
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
