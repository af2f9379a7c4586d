"""Opening balances: Koperasi XYZ's sample spreadsheets imported and reconciled.

The sample set under examples/koperasi_xyz/opening/ (anggota, simpanan, pinjaman,
kontrol) is imported as of 31 December 2025; the members' savings, their loans'
outstanding principal and next installment must then be what the sheets said.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from dyncrm import opening
from dyncrm.app import open_crm
from dyncrm.db.models import Member
from dyncrm.errors import DyncrmError
from dyncrm.money import Money
from dyncrm.opening import OpeningRejected, import_opening
from dyncrm.testing import run_cli, snapshot, staff
from dyncrm.values import Actor
from dyncrm_expand import loans, savings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "koperasi_xyz" / "opening"
CUT_OVER = dt.date(2025, 12, 31)
ADMIN = Actor.operator("migrasi")
SHEETS = ("anggota.csv", "simpanan.csv", "pinjaman.csv")
ENABLED = ["acquire.registration", "expand.savings", "expand.loans"]


def idr(n: int | str) -> Money:
    return Money.of(n, "IDR")


def _settings() -> dict:
    config = tomllib.loads((files("koperasi_xyz") / "dyncrm.toml").read_text("utf-8"))
    return {name: config["plugins"][name] for name in ENABLED}


@pytest.fixture
def crm(make_crm):
    return make_crm(enabled=ENABLED, plugins=_settings(), clock=dt.date(2026, 1, 5))


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the sample set that a test may edit."""
    folder = tmp_path / "opening"
    shutil.copytree(SAMPLE, folder)
    return folder


def paths(folder: Path, *names: str) -> list[Path]:
    return [folder / n for n in (names or SHEETS)]


def controls(crm, folder: Path):
    return opening.control_file(crm, folder / "kontrol.csv")


def member(number: str) -> int:
    return Member.get(Member.number == number).id


def test_sample_imports_and_reconciles(crm, sample):
    report = import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER,
                            controls=controls(crm, sample))
    assert report.written and not report.differences
    assert [line.status for line in report.lines] == ["ok"] * 7
    assert {(s, n) for _, s, n in report.sheets} == {("anggota", 8), ("simpanan", 8),
                                                     ("pinjaman", 4)}
    # the members' savings are what the sheet said, on the cut-over date
    siti = member("XYZ-2015-00001")
    assert savings.balances(crm, siti, as_of=CUT_OVER) == {
        "pokok": idr(50_000), "wajib": idr(6_500_000), "sukarela": idr(2_350_000)}
    assert savings.balances(crm, member("XYZ-2019-00004"))["sukarela"] == idr(0)
    # Agus's wajib balance is two months short of the months since he joined
    assert savings.wajib_arrears(crm, member("XYZ-2019-00004"), CUT_OVER) == [
        (dt.date(2025, 11, 1), idr(50_000)), (dt.date(2025, 12, 1), idr(50_000))]
    assert savings.wajib_arrears(crm, siti, CUT_OVER) == []
    assert any("1 member(s) owe Rp 100.000" in note for note in report.notes)
    # the loans: outstanding and the next installment as the sheet said
    [budi] = loans.list_loans(crm, member_id=member("XYZ-2016-00002"))
    assert loans.outstanding(crm, budi.id) == idr(6_000_000)
    assert crm.ledger.balance_or_zero("loans.principal", member("XYZ-2016-00002")) == \
        idr(6_000_000)
    nxt = next(i for i in loans.installments(crm, budi.id) if i.paid_on is None)
    assert (nxt.number, nxt.due_on, nxt.principal, nxt.interest) == (
        7, dt.date(2026, 1, 25), idr(1_000_000), idr(120_000))
    [dewi] = loans.list_loans(crm, member_id=member("XYZ-2018-00003"))
    assert loans.outstanding(crm, dewi.id) == idr(13_708_258)
    # a loan on its own rate (0,9 % a month instead of the product's 1 %)
    [hendra] = loans.list_loans(crm, member_id=member("XYZ-2021-00006"))
    nxt = next(i for i in loans.installments(crm, hendra.id) if i.paid_on is None)
    assert (nxt.number, nxt.principal, nxt.interest) == (4, idr(500_000), idr(45_000))
    # the loan one installment behind is overdue from the start
    [agus] = loans.list_loans(crm, member_id=member("XYZ-2019-00004"))
    assert [i.number for i in loans.installments(crm, agus.id) if i.paid_on is None] == \
        [16, 17, 18]
    # the books balance: equity.opening holds the loans less the savings brought in
    # (the cooperative's cash and bank are not part of these sheets)
    equity = crm.ledger.balance("equity.opening")
    assert equity == idr(24_708_258 - (700_000 + 28_800_000 + 20_850_000))
    assert crm.ledger.trial_balance() == {"IDR": 0}


def test_replay_changes_nothing_and_says_so(crm, sample):
    import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER)
    before = snapshot(crm)
    again = import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER)
    assert again.replayed and not again.written
    assert [(f, by) for f, _, by in again.previous] == [(n, "migrasi") for n in SHEETS]
    assert again.previous[0][1].startswith("2026-01-05")
    assert snapshot(crm) == before
    # one of the files again, with a new one: refused, naming the imported file
    other = sample / "simpanan_2.csv"
    other.write_text("Nomor Anggota,Sukarela\nXYZ-2015-00001,1\n", encoding="utf-8")
    with pytest.raises(OpeningRejected, match=r"anggota\.csv \(imported on 2026-01-05"):
        import_opening(crm, ADMIN, [sample / "anggota.csv", other], as_of=CUT_OVER)
    assert snapshot(crm) == before


def test_another_file_with_the_same_members_is_refused_naming_the_rows(crm, sample):
    import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER)
    before = snapshot(crm)
    edited = sample / "edited"
    edited.mkdir()
    for name in SHEETS:
        text = (sample / name).read_text(encoding="utf-8")
        (edited / name).write_text(text.replace("2.350.000", "2.400.000") + "\n",
                                   encoding="utf-8")  # another file, the same members
    with pytest.raises(OpeningRejected) as caught:
        import_opening(crm, ADMIN, paths(edited), as_of=CUT_OVER)
    problems = [str(p) for p in caught.value.report.problems]
    assert ("anggota.csv, row 2, column Nomor Anggota: member number XYZ-2015-00001 is "
            "already in the register") in problems
    assert any(p.startswith("simpanan.csv, row 2, column Nomor Anggota: member "
                            "XYZ-2015-00001 already has opening savings") for p in problems)
    assert any(p.startswith("pinjaman.csv, row 3, column Nomor Pinjaman: loan PM-2025-0115")
               for p in problems)
    assert snapshot(crm) == before


@pytest.mark.parametrize(("sheet", "find", "replace", "expected"), [
    ("simpanan.csv", "XYZ-2025-00008,100.000", "XYZ-2025-00099,100.000",
     "simpanan.csv, row 9, column Nomor Anggota: member XYZ-2025-00099 is neither in the "
     "anggota sheet nor in the register"),
    ("simpanan.csv", "6.500.000,2.350.000", "6.500.000,-2.350.000",
     "simpanan.csv, row 2, column Simpanan Sukarela: must be zero or more, not -2.350.000"),
    ("anggota.csv", "20-05-2019", "31-02-2019",
     "anggota.csv, row 5, column Tanggal Masuk: write the date as YYYY-MM-DD"),
    ("anggota.csv", "3275017004920005", "3171015506850001",
     "anggota.csv, row 6, column NIK: NIK 3171015506850001 is also on row 2"),
    ("pinjaman.csv", "13.708.258", "25.000.000",
     "pinjaman.csv, row 3, column Sisa Pokok: is more than the pokok awal Rp 24.000.000"),
    ("pinjaman.csv", "10-06-2025", "10-06-2026",
     "pinjaman.csv, row 2, column Tanggal Cair: 2026-06-10 is after the cut-over date"),
])
def test_a_bad_row_refuses_everything_naming_file_row_and_column(crm, sample, sheet, find,
                                                                 replace, expected):
    path = sample / sheet
    text = path.read_text(encoding="utf-8")
    assert find in text
    path.write_text(text.replace(find, replace), encoding="utf-8")
    before = snapshot(crm)
    with pytest.raises(OpeningRejected) as caught:
        import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER)
    assert any(str(p).startswith(expected) for p in caught.value.report.problems), \
        caught.value.report.problems
    assert expected.split(":")[0] in str(caught.value)
    assert snapshot(crm) == before


def test_dry_run_reports_the_same_and_writes_nothing(crm, sample):
    before = snapshot(crm)
    dry = import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER,
                         controls=controls(crm, sample), dry_run=True)
    assert dry.dry_run and snapshot(crm) == before
    real = import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER,
                          controls=controls(crm, sample))
    assert dry.lines == real.lines and dry.notes == real.notes


def test_a_control_total_mismatch_refuses_unless_accepted(crm, sample):
    given = controls(crm, sample)
    given[("simpanan", "sukarela")] += 1_000
    before = snapshot(crm)
    with pytest.raises(OpeningRejected, match=r"do not reconcile.*Simpanan Sukarela") as caught:
        import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER, controls=given)
    [line] = caught.value.report.differences
    assert (line.total, line.imported, line.control, line.ledger) == (
        "sukarela", 20_850_000, 20_851_000, 20_850_000)
    assert snapshot(crm) == before
    report = import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER, controls=given,
                            accept_differences=True)
    assert report.written and [d.total for d in report.differences] == ["sukarela"]


def test_english_headers_and_a_rebuilt_schedule(crm, tmp_path):
    (tmp_path / "members.csv").write_text(
        "member number;name;nik;joined\nA-1;Ani Putri;3171015506850001;2024-01-10\n",
        encoding="utf-8")
    (tmp_path / "loans.csv").write_text(
        "member number;product;original principal;outstanding;term;installments paid;"
        "disbursed\nA-1;konsumtif;1.000.000;650.000;10;3;2025-09-01\n", encoding="utf-8")
    report = import_opening(crm, ADMIN, [tmp_path / "members.csv", tmp_path / "loans.csv"],
                            as_of=CUT_OVER)
    assert any("scheduled from the sisa pokok" in note for note in report.notes)
    [loan] = loans.list_loans(crm, member_id=member("A-1"))
    rows = loans.installments(crm, loan.id)
    assert loans.outstanding(crm, loan.id) == idr(650_000)
    assert sum(i.principal.amount for i in rows) == 1_000_000
    assert [int(i.principal.amount) for i in rows if i.paid_on is None] == [92_857] * 6 + \
        [92_858]
    assert {int(i.interest.amount) for i in rows} == {10_000}  # flat on the original principal


def test_xlsx_workbook(crm, sample, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    import csv

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("anggota", "simpanan", "pinjaman", "kontrol"):
        sheet = book.create_sheet(name)
        with (sample / f"{name}.csv").open(encoding="utf-8") as fh:
            for i, row in enumerate(csv.reader(fh)):
                cells = []
                for cell in row:  # numbers and dates as a spreadsheet keeps them
                    digits = cell.replace(".", "")
                    if i and digits.isdigit() and len(digits) < 10:
                        cells.append(int(digits))
                    elif i and len(cell) == 10 and cell[2] == "-" and cell[5] == "-":
                        cells.append(dt.datetime.strptime(cell, "%d-%m-%Y"))
                    else:
                        cells.append(cell)
                sheet.append(cells)
    path = tmp_path / "saldo-awal.xlsx"
    book.save(path)
    report = import_opening(crm, ADMIN, [path], as_of=CUT_OVER)
    assert [line.status for line in report.lines] == ["ok"] * 7
    assert savings.balances(crm, member("XYZ-2018-00003"))["sukarela"] == idr(12_750_000)
    assert import_opening(crm, ADMIN, [path], as_of=CUT_OVER).replayed


def test_shipped_workbook_matches_the_csv_files(crm):
    pytest.importorskip("openpyxl")
    report = import_opening(crm, ADMIN, [SAMPLE / "opening.xlsx"], as_of=CUT_OVER)
    assert report.written and not report.differences
    assert [line.control for line in report.lines] == [
        line.imported for line in report.lines]


def test_missing_openpyxl_names_the_extra(crm, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "openpyxl", None)
    path = tmp_path / "saldo.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(DyncrmError, match=r"dyncrm\[xlsx\]"):
        import_opening(crm, ADMIN, [path], as_of=CUT_OVER)


def test_hook_dyncrm_opening_sheets(crm):
    found = crm.hook.dyncrm_opening_sheets(crm=crm)
    assert sorted(s.name for declared in found for s in declared) == [
        "anggota", "pinjaman", "simpanan"]
    assert [s.name for s in opening.sheets(crm)] == ["anggota", "simpanan", "pinjaman"]


# --- the command line ------------------------------------------------------------------


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    config = tmp_path / "dyncrm.toml"
    config.write_text((files("koperasi_xyz") / "dyncrm.toml").read_text("utf-8"),
                      encoding="utf-8")
    code, _, err = run_cli(["-c", str(config), "db", "upgrade"])
    assert code == 0, err
    with open_crm(config) as crm:
        staff(crm, "admin", "admin")
        staff(crm, "bendahara", "treasurer")
    return config


def cli(config: Path, *args: str, user: str = "admin") -> tuple[int, str, str]:
    return run_cli(["-c", str(config), "--as", user, *args])


def test_cli_dry_run_import_replay_and_report(deployment, tmp_path):
    files_ = [str(SAMPLE / n) for n in SHEETS]
    control = ["--control", str(SAMPLE / "kontrol.csv")]
    code, _, err = cli(deployment, "opening", "import", *files_, "--as-of", "2025-12-31",
                       user="bendahara")
    assert code == 1 and "opening.import" in err
    code, out, err = cli(deployment, "opening", "import", *files_, "--as-of", "2025-12-31",
                         *control, "--dry-run")
    assert code == 0, err
    assert "Opening balances as of 2025-12-31" in out and "Rp 24.708.258" in out
    assert "nothing was written" in err
    code, out, err = cli(deployment, "opening", "import", *files_, "--as-of", "2025-12-31",
                         "--control-total", "sukarela=20.850.001", "--json")
    assert code == 1 and "do not reconcile" in err
    assert '"status": "differs"' in out
    csv_path = tmp_path / "rekonsiliasi.csv"
    code, out, err = cli(deployment, "opening", "import", *files_, "--as-of", "2025-12-31",
                         *control, "--csv", str(csv_path))
    assert code == 0, err
    assert "imported 8 anggota row(s), 8 simpanan row(s), 4 pinjaman row(s)" in err
    assert csv_path.read_text(encoding="utf-8").splitlines()[:3] == [
        "sheet,total,imported,control,ledger,difference,status",
        "anggota,members,8,8,8,0,ok", "simpanan,Simpanan Pokok,700000,700000,700000,0,ok"]
    code, out, err = cli(deployment, "opening", "import", *files_, "--as-of", "2025-12-31")
    assert code == 0, err
    assert "anggota.csv was already imported on 20" in out and "by admin" in out
    code, out, err = cli(deployment, "opening", "columns", "pinjaman")
    assert code == 0 and "sisa pokok" in out


def _cooperative(folder: Path, n: int) -> list[Path]:
    """Sheets of ``n`` members, each with savings and a running loan."""
    folder.mkdir()
    anggota = ["nomor anggota,nama,nik,tanggal masuk,unit kerja"]
    simpanan = ["nomor anggota,pokok,wajib,sukarela"]
    pinjaman = ["nomor anggota,produk,pokok awal,sisa pokok,tenor,angsuran ke,tanggal cair"]
    for i in range(n):
        number = f"M-{i:05d}"
        anggota.append(f"{number},Anggota {i},3171{i % 90 + 10:02d}550690{i + 1:04d},"
                       "2020-01-10,Produksi")
        simpanan.append(f"{number},100.000,{3_600_000 + i},{i * 1000}")
        pinjaman.append(f"{number},konsumtif,12.000.000,{12_000_000 - (i % 11) * 1_000_000},"
                        f"12,{i % 11},2025-01-10")
    out = []
    for name, lines in (("anggota", anggota), ("simpanan", simpanan), ("pinjaman", pinjaman)):
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        out.append(folder / f"{name}.csv")
    return out


def _statements(crm, files_) -> tuple[int, int]:
    seen = []
    original = crm.database.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return original(sql, params, *args, **kwargs)

    crm.database.execute_sql = counting
    try:
        report = import_opening(crm, ADMIN, files_, as_of=CUT_OVER)
    finally:
        crm.database.execute_sql = original
    assert report.written and not report.differences
    inserts = sum(1 for sql in seen if sql.lstrip().upper().startswith("INSERT"))
    return len(seen) - inserts, inserts


def test_the_import_is_set_based(make_crm, tmp_path):
    """Three times the members, the same reads and updates: no query per row (multi-row
    inserts split only where the database's limit of parameters per statement says)."""
    counts = []
    for n in (40, 120):
        crm = make_crm(enabled=ENABLED, plugins=_settings(), clock=dt.date(2026, 1, 5),
                       database_url=f"sqlite:///{tmp_path / f'crm{n}.db'}")
        counts.append(_statements(crm, _cooperative(tmp_path / f"c{n}", n)))
    (reads, inserts), (reads_3x, inserts_3x) = counts
    assert reads == reads_3x and inserts_3x <= inserts + 3 and inserts < 40, counts


def test_the_guide_lists_every_column_and_total(crm):
    """docs/user-guide/opening-balances.md stays true to the sheets the plugins declare."""
    guide = (ROOT / "docs" / "user-guide" / "opening-balances.md").read_text(encoding="utf-8")
    for sheet in opening.sheets(crm):
        assert f"### {sheet.name}" in guide
        for column in sheet.columns:
            row = next((line for line in guide.splitlines()
                        if line.startswith(f"| `{column.name}` |")
                        and all(h.lower() in line for h in column.headers[:3])), None)
            assert row is not None, f"{sheet.name}.{column.name} is not in the guide"
            assert ("| yes |" in row) == column.required, row
        for total in sheet.totals:
            assert f"| `{total.name}` | {sheet.name} |" in guide


@pytest.mark.postgres
def test_sample_on_postgresql(make_crm, pg_url, sample):
    crm = make_crm(enabled=ENABLED, plugins=_settings(), clock=dt.date(2026, 1, 5),
                   database_url=pg_url)
    before = snapshot(crm)
    dry = import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER,
                         controls=controls(crm, sample), dry_run=True)
    assert snapshot(crm) == before and not dry.differences
    report = import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER,
                            controls=controls(crm, sample))
    assert report.lines == dry.lines and not report.differences
    assert savings.balances(crm, member("XYZ-2018-00003"))["sukarela"] == idr(12_750_000)
    after = snapshot(crm)
    assert import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER).replayed
    assert snapshot(crm) == after


@pytest.mark.mysql
def test_sample_on_mariadb(make_crm, mysql_url, sample):
    crm = make_crm(enabled=ENABLED, plugins=_settings(), clock=dt.date(2026, 1, 5),
                   database_url=mysql_url)
    report = import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER,
                            controls=controls(crm, sample))
    assert report.written and not report.differences
    [dewi] = loans.list_loans(crm, member_id=member("XYZ-2018-00003"))
    assert loans.outstanding(crm, dewi.id) == idr(13_708_258)
    after = snapshot(crm)
    assert import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER).replayed
    assert snapshot(crm) == after


def test_remaining_installments_instead_of_paid(crm, sample):
    path = sample / "pinjaman.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("Angsuran Ke", "Sisa Angsuran")
    # row 2: 12 months with 6 paid leaves 6 to go, the same number
    lines[4] = lines[4].replace(",10,3,", ",10,7,")
    lines[2] = lines[2].replace(",24,11,", ",24,13,")
    lines[3] = lines[3].replace(",18,15,", ",18,3,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_opening(crm, ADMIN, paths(sample), as_of=CUT_OVER,
                            controls=controls(crm, sample))
    assert not report.differences and not any("scheduled" in n for n in report.notes)
    [dewi] = loans.list_loans(crm, member_id=member("XYZ-2018-00003"))
    assert sum(1 for i in loans.installments(crm, dewi.id) if i.paid_on is None) == 13
