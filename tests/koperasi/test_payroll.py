"""Payroll deduction: the monthly list, its files, and the confirmation import."""

from __future__ import annotations

import csv

import pytest
from kxyz_helpers import counts
from kxyz_payroll_setup import MONTH, cooperative

from dyncrm.errors import PermissionDenied, ValidationError
from koperasi_xyz.payroll.export import write_csv, write_xlsx
from koperasi_xyz.payroll.importer import PayrollFileRejected, import_confirmation
from koperasi_xyz.payroll.listing import deduction_list


@pytest.fixture
def coop(make_crm):
    return cooperative(make_crm)


def confirmation(lines: list[tuple[str, str]]) -> bytes:
    text = "nik_karyawan;nama;jumlah_dipotong\n" + "".join(
        f"{emp};x;{amount}\n" for emp, amount in lines)
    return text.encode("utf-8")


GOOD = [("E001", "660.000"), ("E002", "330000"), ("E003", "50.000")]


def test_the_list_by_department_with_the_cap_flagged(coop) -> None:
    crm, _, _, loans = coop
    dl = deduction_list(crm, MONTH)
    by = {x.employee_number: x for x in dl.lines}
    assert list(dl.departments()) == ["Keuangan", "Produksi", "Umum"]
    assert set(by) == {"E001", "E002", "E003"}  # Dewi left in February
    a = by["E001"]
    assert (a.wajib, a.wajib_arrears, a.installments, a.loan_arrears) == \
        (50_000, 50_000, 280_000, 280_000)
    assert a.total == 660_000 and a.cap == 1_750_000 and a.flag == ""
    assert [d.loan_id for d in a.loans] == [loans["andi"]]
    b = by["E002"]
    assert b.total == 330_000 and b.cap == 280_000 and b.flag == "melebihi batas"
    assert by["E003"].total == 50_000 and by["E003"].flag == "THP tidak diketahui"
    assert dl.total == 1_040_000
    assert [x.employee_number for x in deduction_list(crm, MONTH, department="umum").lines] \
        == ["E003"]


def test_csv_and_xlsx_exports(coop, tmp_path) -> None:
    crm, *_ = coop
    dl = deduction_list(crm, MONTH)
    path = write_csv(dl, tmp_path / "potongan.csv", delimiter=";")
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig"), delimiter=";"))
    assert [(r["departemen"], r["nik_karyawan"], r["jumlah_potongan"]) for r in rows] == [
        ("Keuangan", "E002", "330000"), ("Produksi", "E001", "660000"),
        ("Umum", "E003", "50000")]
    import openpyxl

    book = openpyxl.load_workbook(write_xlsx(crm, dl, tmp_path / "potongan.xlsx"))
    assert book.sheetnames == ["Ringkasan", "Keuangan", "Produksi", "Umum"]
    sheet = book["Produksi"]
    assert sheet["C5"].value == "E001" and sheet["J5"].value == 660_000
    assert book["Ringkasan"]["C9"].value == 1_040_000


def test_good_file_posts_every_deduction_once(coop) -> None:
    from dyncrm_expand import loans, savings

    crm, people, m, ln = coop
    report = import_confirmation(crm, people["bendahara"], confirmation(GOOD), batch="HR-2026-03",
                                 month=MONTH)
    assert report.posted and len(report.lines) == 3 and report.total == 1_040_000
    assert savings.balance(crm, m["andi"].id, "wajib") == crm.money("150.000")
    assert [i.number for i in loans.installments(crm, ln["andi"]) if i.paid_on] == [1, 2]
    assert deduction_list(crm, MONTH).total == 0
    before = counts()
    again = import_confirmation(crm, people["bendahara"], confirmation(GOOD),
                                batch="HR-2026-03", month=MONTH)
    assert again.replayed and len(again.lines) == 3
    assert counts() == before
    with pytest.raises(ValidationError, match="from another file"):
        import_confirmation(crm, people["bendahara"], confirmation(GOOD[:2]),
                            batch="HR-2026-03", month=MONTH)


@pytest.mark.parametrize(("bad", "reason"), [
    (("E999", "10.000"), "unknown employee number"),
    (("E004", "50.000"), "member inactive"),
    (("E003", "40.000"), "amount differs: the list says Rp 50.000"),
    (("E001", "660.000"), "repeated"),
])
def test_a_file_with_a_bad_line_posts_nothing(coop, bad, reason) -> None:
    crm, people, *_ = coop
    before = counts()
    lines = [*GOOD[:2], bad]
    with pytest.raises(PayrollFileRejected) as caught:
        import_confirmation(crm, people["bendahara"], confirmation(lines), batch="HR-X",
                            month=MONTH)
    assert counts() == before
    [mismatch] = caught.value.report.mismatches
    assert reason in mismatch.reason and mismatch.line_no == 4
    assert deduction_list(crm, MONTH).total == 1_040_000


def test_malformed_files_and_wrong_people_change_nothing(coop) -> None:
    crm, people, *_ = coop
    before = counts()
    with pytest.raises(ValidationError, match="no amount deducted column"):
        import_confirmation(crm, people["bendahara"], b"nik_karyawan,nama\nE001,Andi\n",
                            batch="B1", month=MONTH)
    with pytest.raises(ValidationError, match="line 3"):
        import_confirmation(crm, people["bendahara"],
                            confirmation([("E001", "660.000"), ("E002", "tiga ratus")]),
                            batch="B1", month=MONTH)
    with pytest.raises(PermissionDenied):
        import_confirmation(crm, people["kasir"], confirmation(GOOD), batch="B1", month=MONTH)
    report = import_confirmation(crm, people["bendahara"], confirmation(GOOD), batch="B1",
                                 month=MONTH, dry_run=True)
    assert not report.posted and report.dry_run
    assert counts() == before


def test_payroll_commands(coop, tmp_path) -> None:
    from dyncrm.testing import run_cli

    crm, *_ = coop
    db = crm.config.database_url.removeprefix("sqlite:///")
    config = tmp_path / "dyncrm.toml"
    config.write_text(f"""
[organisation]
name = "Koperasi Karyawan XYZ"
currency = "IDR"
currency_exponent = 0
[database]
url = "sqlite:///{db}"
[plugins]
enabled = ["acquire.registration", "expand.savings", "expand.loans", "koperasi_xyz.payroll"]
[plugins."expand.loans".products.konsumtif]
name = "Pinjaman Konsumtif"
method = "flat"
rate = "1"
rate_unit = "per_month"
term_max = 36
[plugins."expand.savings".wajib]
amount = "50000"
due_day = 25
""", encoding="utf-8")

    def cli(user, *args):
        return run_cli(["-c", str(config), "--as", user, "payroll", *args])

    code, out, err = cli("sekretaris", "list", "--month", "2026-03", "--csv",
                         str(tmp_path / "p.csv"), "--xlsx", str(tmp_path / "p.xlsx"))
    assert code == 0, err
    assert "melebihi batas" in out and "Rp 1.040.000" in out
    # the payroll office fills in jumlah_dipotong and sends the file back
    rows = list(csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig")))
    for row in rows:
        row["jumlah_dipotong"] = row["jumlah_potongan"]
    rows[0]["jumlah_dipotong"] = "1"
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, out, err = cli("bendahara", "import", str(bad), "--batch", "HRD-03", "--month",
                         "2026-03")
    assert code == 1 and "nothing was posted" in err and "amount differs" in out
    rows[0]["jumlah_dipotong"] = rows[0]["jumlah_potongan"]
    good = tmp_path / "good.csv"
    with good.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, out, err = cli("bendahara", "import", str(good), "--batch", "HRD-03", "--month",
                         "2026-03")
    assert code == 0 and "posted 3 lines, Rp 1.040.000" in out, err
    code, out, _ = cli("bendahara", "import", str(good), "--batch", "HRD-03", "--month",
                       "2026-03")
    assert code == 0 and "already imported" in out
    code, out, _ = cli("kasir", "batches")
    assert "HRD-03" in out


def test_nothing_deducted_and_missing_lines_leave_the_dues_open(coop) -> None:
    crm, people, *_ = coop
    report = import_confirmation(crm, people["bendahara"],
                                 confirmation([("E001", "660.000"), ("E002", "0")]),
                                 batch="HR-03", month=MONTH)
    assert [(x.employee_number, x.status) for x in report.lines] == [
        ("E001", "posted"), ("E002", "not_deducted")]
    assert report.missing == ("E003",) and report.total == 660_000
    left = {x.employee_number: x.total for x in deduction_list(crm, MONTH).lines}
    assert left == {"E001": 0, "E002": 330_000, "E003": 50_000}
    again = import_confirmation(crm, people["bendahara"],
                                confirmation([("E001", "660.000"), ("E002", "0")]),
                                batch="HR-03", month=MONTH)
    assert again.replayed and again.missing == ("E003",)


def test_a_line_whose_deposit_reference_was_used_before_posts_nothing(coop) -> None:
    """A deposit recorded by hand under the reference the import gives a line's wajib
    (``payroll:<batch>:<line>:wajib``), for other money, refuses the whole file, naming
    the reference; nothing is written."""
    import datetime as dt

    from dyncrm.errors import DuplicateError
    from dyncrm_expand import savings

    crm, people, m, _ = coop
    savings.deposit(crm, people["kasir"], m["andi"].id, "sukarela", "50000", method="cash",
                    reference="payroll:HR-2026-03:2:wajib", on=dt.date(2026, 3, 2))
    before = counts()
    with pytest.raises(DuplicateError, match=r"'payroll:HR-2026-03:2:wajib' was already used "
                                             r"for deposit #\d+; use a new reference"):
        import_confirmation(crm, people["bendahara"], confirmation(GOOD), batch="HR-2026-03",
                            month=MONTH)
    assert counts() == before
    assert savings.balance(crm, m["andi"].id, "wajib") == crm.money("50.000")
