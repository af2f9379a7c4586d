"""The deduction list as sent: archived once, reprinted identical, the import checked against it.

Issue 14: after the import, ``laporan potongan`` recomputed the list from live data
(almost nothing due any more), the same confirmation under a new batch id gave a
line of "amount differs: the list says Rp 0" per member instead of naming the batch
that imported it, and ``--dry-run`` passed a file the real import then refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from kxyz_helpers import counts
from kxyz_payroll_setup import MONTH, cooperative

from dyncrm import archive
from dyncrm.errors import DyncrmError, PermissionDenied, ValidationError
from dyncrm.testing import run_cli
from koperasi_xyz.payroll.importer import PayrollFileRejected, import_confirmation
from koperasi_xyz.payroll.listing import deduction_list
from koperasi_xyz.payroll.sent import KIND, send, sent

GOOD = [("E001", "660.000"), ("E002", "330000"), ("E003", "50.000")]


@pytest.fixture
def coop(make_crm):
    return cooperative(make_crm)


def confirmation(lines, note: str = "x") -> bytes:
    text = "nik_karyawan;nama;jumlah_dipotong\n" + "".join(
        f"{emp};{note};{amount}\n" for emp, amount in lines)
    return text.encode("utf-8")


def test_the_list_sent_is_archived_once_and_reprints_identical(coop) -> None:
    crm, people, *_ = coop
    first = send(crm, people["bendahara"], MONTH)
    assert not first.replayed and first.dlist.total == 1_040_000
    names = sorted(f.name for f in first.archived.files)
    assert names == ["potongan-2026-03.csv", "potongan-2026-03.json", "potongan-2026-03.pdf"]
    pdf = archive.content(crm, first.file("pdf"))
    csv_bytes = archive.content(crm, first.file("csv"))
    rows = list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert sum(int(r["jumlah_potongan"]) for r in rows) == 1_040_000
    import_confirmation(crm, people["bendahara"], confirmation(GOOD), batch="HR-2026-03",
                        month=MONTH)
    assert deduction_list(crm, MONTH).total == 0  # today's records: everything is paid
    again = send(crm, people["bendahara"], MONTH)
    assert again.replayed and again.dlist.total == 1_040_000
    assert archive.content(crm, again.file("pdf")) == pdf
    assert archive.content(crm, again.file("csv")) == csv_bytes
    assert sent(crm, MONTH).dlist == first.dlist
    assert len(archive.list_files(crm, kind=KIND)) == 3
    with pytest.raises(PermissionDenied):
        send(crm, people["kasir"], MONTH)


def test_the_confirmation_is_checked_against_the_list_as_sent(coop) -> None:
    """A member pays at the counter after the list went out: the payroll office still
    deducted what the list said, and that is what the import posts."""
    from dyncrm_expand import savings

    crm, people, m, _ = coop
    send(crm, people["bendahara"], MONTH)
    savings.deposit(crm, people["kasir"], m["citra"].id, "wajib", "50000", method="cash",
                    reference="KW-9", on=dt.date(2026, 3, 26))
    assert {x.employee_number: x.total for x in deduction_list(crm, MONTH).lines}["E003"] == 0
    report = import_confirmation(crm, people["bendahara"], confirmation(GOOD), batch="HR-03",
                                 month=MONTH)
    assert report.posted and report.total == 1_040_000
    assert savings.balance(crm, m["citra"].id, "wajib") == crm.money("100.000")


def test_a_month_never_sent_is_archived_by_its_first_import(coop) -> None:
    crm, people, *_ = coop
    assert sent(crm, MONTH) is None
    import_confirmation(crm, people["bendahara"], confirmation(GOOD), batch="HR-03",
                        month=MONTH)
    archived = sent(crm, MONTH)
    assert archived is not None and archived.dlist.total == 1_040_000
    assert archived.archived.meta["archived_at_import"] == "HR-03"


def test_the_same_file_or_month_under_another_batch_names_the_first_batch(coop) -> None:
    crm, people, *_ = coop
    send(crm, people["bendahara"], MONTH)
    import_confirmation(crm, people["bendahara"], confirmation(GOOD), batch="HR-202603",
                        month=MONTH)
    before = counts()
    with pytest.raises(ValidationError, match=r"berkas ini sudah diimpor dalam batch "
                                              r"HR-202603 pada 2026-03-28"):
        import_confirmation(crm, people["bendahara"], confirmation(GOOD), batch="HR-NEW",
                            month=MONTH)
    with pytest.raises(ValidationError, match=r"potongan bulan 2026-03 sudah diimpor dalam "
                                              r"batch HR-202603"):
        import_confirmation(crm, people["bendahara"], confirmation(GOOD, note="y"),
                            batch="HR-NEW", month=MONTH)
    assert counts() == before


def _outcome(crm, actor, data, batch, dry_run):
    try:
        report = import_confirmation(crm, actor, data, batch=batch, month=MONTH,
                                     dry_run=dry_run)
    except PayrollFileRejected as exc:
        return ("rejected", str(exc), tuple((x.line_no, x.reason) for x in
                                            exc.report.mismatches))
    except DyncrmError as exc:
        return (type(exc).__name__, str(exc))
    return ("accepted", report.replayed, report.total,
            tuple((x.employee_number, x.status == "not_deducted") for x in report.lines),
            report.missing)


SCENARIOS = {
    "good file": (None, GOOD, "HR-B"),
    "nothing deducted for one, one missing": (None, [("E001", "660.000"), ("E002", "0")],
                                              "HR-B"),
    "an amount differs": (None, [*GOOD[:2], ("E003", "40.000")], "HR-B"),
    "unknown employee": (None, [*GOOD, ("E999", "1")], "HR-B"),
    "a member who left": (None, [*GOOD, ("E004", "50.000")], "HR-B"),
    "before payday": ("early", GOOD, "HR-B"),
    "same file, another batch": ("imported", GOOD, "HR-B"),
    "month imported already": ("imported", GOOD[:2], "HR-B"),
    "the same batch again": ("imported", GOOD, "HR-A"),
    "another file under a used batch": ("imported", GOOD[:1], "HR-A"),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_dry_run_refuses_exactly_what_the_real_run_refuses(coop, scenario) -> None:
    """Every check of the real import (payday, the list as sent, batches, amounts) runs in
    the dry run too: the same file gets the same answer, and the dry run writes nothing."""
    crm, people, *_ = coop
    before_state, lines, batch = SCENARIOS[scenario]
    send(crm, people["bendahara"], MONTH)
    if before_state == "imported":
        import_confirmation(crm, people["bendahara"], confirmation(GOOD), batch="HR-A",
                            month=MONTH)
    if before_state == "early":
        crm.set_clock(lambda: dt.datetime(2026, 3, 20, 3, 0))
    data = confirmation(lines)
    before = counts()
    dry = _outcome(crm, people["bendahara"], data, batch, dry_run=True)
    assert counts() == before, "a dry run wrote something"
    real = _outcome(crm, people["bendahara"], data, batch, dry_run=False)
    assert dry == real
    if real[0] != "accepted" or real[1]:
        assert counts() == before


def test_payroll_send_and_import_commands(coop, tmp_path) -> None:
    crm, *_ = coop
    db = crm.config.database_url.removeprefix("sqlite:///")
    config = tmp_path / "dyncrm.toml"
    config.write_text(f"""
[organisation]
name = "Koperasi Karyawan XYZ"
currency = "IDR"
currency_exponent = 0
locale = "id_ID"
[clock]
simulated = true
[database]
url = "sqlite:///{db}"
[plugins]
enabled = ["acquire.registration", "expand.savings", "expand.loans", "koperasi_xyz.payroll",
           "koperasi_xyz.reports"]
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
        return run_cli(["-c", str(config), "--today", "2026-03-28", "--as", user, "payroll",
                        *args])

    code, out, err = cli("bendahara", "send", "--month", "2026-03", "--csv",
                         str(tmp_path / "sent.csv"), "--pdf", str(tmp_path / "sent.pdf"))
    assert code == 0, err
    assert "is sent: 3 members, Rp 1.040.000" in out
    sent_pdf = (tmp_path / "sent.pdf").read_bytes()
    rows = list(csv.DictReader((tmp_path / "sent.csv").open(encoding="utf-8-sig")))
    for row in rows:
        row["jumlah_dipotong"] = row["jumlah_potongan"]
    good = tmp_path / "konfirmasi.csv"
    with good.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, out, err = cli("bendahara", "import", str(good), "--batch", "HR-202603", "--month",
                         "2026-03", "--dry-run")
    assert code == 0 and "all 3 lines match" in out, err
    code, out, err = cli("bendahara", "import", str(good), "--batch", "HR-202603", "--month",
                         "2026-03")
    assert code == 0 and "posted 3 lines, Rp 1.040.000" in out, err
    code, out, err = cli("bendahara", "import", str(good), "--batch", "HR-LAGI", "--month",
                         "2026-03")
    assert code == 1 and "sudah diimpor dalam batch HR-202603" in err
    assert "amount differs" not in out + err
    code, out, err = cli("bendahara", "send", "--month", "2026-03", "--pdf",
                         str(tmp_path / "again.pdf"))
    assert code == 0 and "was sent on" in out and "Rp 1.040.000" in out, err
    assert (tmp_path / "again.pdf").read_bytes() == sent_pdf
    code, out, err = cli("sekretaris", "list", "--month", "2026-03")
    assert code == 0 and "the list sent on 2026-03-28 totals Rp 1.040.000" in err
    base = ["-c", str(config), "--today", "2026-03-28", "--as", "bendahara", "laporan",
            "potongan", "--month", "2026-03"]
    code, out, err = run_cli(base)
    assert code == 0, err
    assert "Rp 1.040.000" in out and "sebagaimana dikirim" in out
    code, out, err = run_cli([*base, "--live"])
    assert code == 0, err
    assert "Jumlah potongan  Rp 0" in out and "dihitung dari data" in out


def test_the_deduction_report_of_a_sent_month_is_the_list_as_sent(coop) -> None:
    from koperasi_xyz.reports.builders import payroll_report

    crm, people, *_ = coop
    send(crm, people["bendahara"], MONTH)
    import_confirmation(crm, people["bendahara"], confirmation(GOOD), batch="HR-03",
                        month=MONTH)
    lap = payroll_report(crm, MONTH)
    assert dict(lap.summary)["Jumlah potongan"] == "Rp 1.040.000"
    assert sum(r["jumlah_potongan"] for r in lap.csv_rows()) == 1_040_000
    assert "sebagaimana dikirim" in lap.subtitle
    live = payroll_report(crm, MONTH, live=True)
    assert dict(live.summary)["Jumlah potongan"] == "Rp 0"
