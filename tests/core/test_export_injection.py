"""CSV and XLSX exports never hand a spreadsheet a live formula (OWASP "CSV injection").

Text cells starting with ``=`` ``+`` ``-`` ``@``, a tab or a carriage return get a
leading ``'``; numbers stay numbers, including negative amounts.  One function,
:func:`dyncrm.output.spreadsheet_cell`, does it for every export; the exports are
checked through the real commands on a real deployment.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest

from dyncrm.errors import ValidationError
from dyncrm.money import Money
from dyncrm.output import FORMULA_TRIGGERS, spreadsheet_cell, write_csv
from dyncrm.testing import run_cli

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize(("value", "written"), [
    (HYPERLINK, "'" + HYPERLINK), ("@SUM(1)", "'@SUM(1)"), ("+1+1", "'+1+1"),
    ("-1+2", "'-1+2"), ("-A1", "'-A1"), ("=1", "'=1"), ("\tketerangan", "'\tketerangan"),
    ("\r=1+1", "'\r=1+1"), ("-", "'-"), ("+", "'+"), ("--5", "'--5"), ("-5e3", "'-5e3"),
    ("- pelayanan lambat", "'- pelayanan lambat"),
    # numbers, and text that is only a signed number, stay as they are
    ("-5000", "-5000"), ("-5.000", "-5.000"), ("-12,5", "-12,5"), ("+6281234567890",
                                                                     "+6281234567890"),
    ("-1.250.000,50", "-1.250.000,50"), (-5000, -5000), (Decimal("-12.5"), Decimal("-12.5")),
    (0, 0), (None, None), (True, True), (dt.date(2026, 3, 1), dt.date(2026, 3, 1)),
    # harmless text
    ("", ""), ("Budi Santoso", "Budi Santoso"), ("Ma'ruf", "Ma'ruf"), ("'=x", "'=x"),
    ("a=b", "a=b"), ("5000", "5000"), (" =1", " =1"),
])
def test_spreadsheet_cell(value, written) -> None:
    assert spreadsheet_cell(value) == written


def test_every_trigger_is_neutralised() -> None:
    for trigger in FORMULA_TRIGGERS:
        assert spreadsheet_cell(trigger + "cmd|' /C calc'!A0").startswith("'" + trigger)


def test_write_csv_neutralises_text_and_keeps_amounts_numeric() -> None:
    out = io.StringIO()
    write_csv([{"name": "@SUM(1)", "note": "\rx", "amount": Money.of("-5000", "IDR"),
                "rate": Decimal("-1.5"), "count": -3, "text": "-5.000"}], out,
              delimiter=";")
    [row] = list(csv.DictReader(io.StringIO(out.getvalue()), delimiter=";"))
    assert row == {"name": "'@SUM(1)", "note": "'\rx", "amount": "-5000", "rate": "-1.5",
                   "count": "-3", "text": "-5.000"}


# --- through the commands -------------------------------------------------------------

ENABLED = ["acquire.registration", "acquire.promotion", "expand.savings", "expand.loans",
           "koperasi_xyz.payroll", "koperasi_xyz.reports"]
NOW = dt.datetime(2026, 3, 28, 3, 0)
LOANS = {"products": {"konsumtif": {
    "name": "Pinjaman Konsumtif", "method": "flat", "rate": "1", "rate_unit": "per_month",
    "term_min": 1, "term_max": 36, "due_day": 25}}}
SAVINGS = {"wajib": {"amount": "50000", "due_day": 25}}

CONFIG = """
[organisation]
name = "Koperasi Karyawan XYZ"
currency = "IDR"
currency_exponent = 0
[database]
url = "sqlite:///{db}"
[plugins]
enabled = {enabled}
[plugins."expand.loans".products.konsumtif]
name = "Pinjaman Konsumtif"
method = "flat"
rate = "1"
rate_unit = "per_month"
term_max = 36
[plugins."expand.savings".wajib]
amount = "50000"
due_day = 25
[notify]
default_channel = "file"
"""


@pytest.fixture
def deployment(make_crm, tmp_path: Path):
    """Members whose names came in before names were checked, and a hostile promotion."""
    from dyncrm_acquire import promotion
    from dyncrm_expand import loans, savings

    crm = make_crm(enabled=ENABLED, clock=lambda: NOW,
                   plugins={"expand.loans": LOANS, "expand.savings": SAVINGS})
    people = {}
    for username, role in (("kasir", "cashier"), ("panitia", "credit_committee"),
                           ("bendahara", "treasurer"), ("sekretaris", "secretary")):
        with crm.database.atomic():
            crm.users.add(username, roles=[role])
        people[username] = crm.actor(username)

    def employee(number, name, *, emp, dept, thp, joined):
        from dyncrm.db.models import Member
        from dyncrm.values import Actor
        from dyncrm_acquire.models import ApplicationRow

        with crm.action("seed", Actor.operator()):
            m = Member.create(number=number, name=name, stage="active", joined_on=joined,
                              email=f"{emp.lower()}@xyz.co.id")
            ApplicationRow.create(member=m.id, status="approved",
                                  nik=f"31710101900{m.id:05d}", employee_number=emp,
                                  department=dept, take_home_pay=thp, submitted_by="test")
        return m

    # seeded straight into the tables, as data from an older system would arrive
    at_sum = employee("XYZ-2026-00001", "@SUM(1)", emp="E001", dept="Produksi",
                      thp=5_000_000, joined=dt.date(2026, 1, 5))
    employee("XYZ-2026-00002", "-2+3", emp="E002", dept="=1+1", thp=800_000,
             joined=dt.date(2025, 6, 1))
    employee("XYZ-2026-00003", "\tTabita", emp="E003", dept="Umum", thp=None,
             joined=dt.date(2026, 3, 1))
    savings.deposit(crm, people["kasir"], at_sum.id, "sukarela", "75000", method="cash",
                    reference="S-1", on=dt.date(2026, 3, 2))
    savings.withdraw(crm, people["kasir"], at_sum.id, "25000", reference="W-1",
                     on=dt.date(2026, 3, 3))
    on = dt.date(2026, 1, 10)
    info, _ = loans.apply(crm, people["kasir"], at_sum.id, "konsumtif",
                          Money.of(3_000_000, "IDR"), term=12, on=on)
    loans.approve(crm, people["panitia"], info.id, on=on)
    loans.disburse(crm, people["bendahara"], info.id, method="transfer", reference="TRF-A",
                   on=on)
    promotion.add(crm, people["sekretaris"], title=HYPERLINK, body="Halo {{ member.name }}")
    config = tmp_path / "export.toml"
    db = crm.config.database_url.removeprefix("sqlite:///")
    config.write_text(CONFIG.format(db=db, enabled=str(ENABLED).replace("'", '"')),
                      encoding="utf-8")
    return config


def cli(config: Path, user: str, *args: str) -> str:
    code, out, err = run_cli(["-c", str(config), "--as", user, *args])
    assert code == 0, (args, out, err)
    return out


def read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8-sig", newline="")))


def no_live_formula(rows: list[dict[str, str]]) -> None:
    """No cell starts with a trigger unless it is a plain signed number."""
    for row in rows:
        for value in row.values():
            if value and value[0] in FORMULA_TRIGGERS:
                assert spreadsheet_cell(value) == value, (value, row)


def test_the_hostile_names_cannot_be_registered_today() -> None:
    """Registration refuses these names; the exports must hold for data that came otherwise."""
    from dyncrm_acquire import validate

    for name in ("@SUM(1)", HYPERLINK, "-2+3"):
        with pytest.raises(ValidationError):
            validate.full_name(name)
    assert validate.full_name("\tTabita\r") == "Tabita"  # whitespace is folded away


def test_member_list_csv(deployment: Path, tmp_path: Path) -> None:
    out = tmp_path / "members.csv"
    cli(deployment, "sekretaris", "member", "list", "--csv", str(out))
    rows = read(out)
    names = {r["number"]: r["name"] for r in rows}
    assert names["XYZ-2026-00001"] == "'@SUM(1)"
    assert names["XYZ-2026-00002"] == "'-2+3" and names["XYZ-2026-00003"] == "'\tTabita"
    no_live_formula(rows)


def test_promotion_funnel_csv(deployment: Path, tmp_path: Path) -> None:
    out = tmp_path / "funnel.csv"
    cli(deployment, "sekretaris", "promo", "funnel", "--csv", str(out))
    [row] = read(out)
    assert row["title"] == "'" + HYPERLINK and row["reached"] == "0"


def test_savings_statement_and_arrears_csv(deployment: Path, tmp_path: Path) -> None:
    statement = tmp_path / "statement.csv"
    cli(deployment, "kasir", "savings", "statement", "XYZ-2026-00001", "--product", "sukarela",
        "--csv", str(statement))
    amounts = [r["amount"] for r in read(statement)]
    assert amounts == ["75000", "-25000"], "a withdrawal stays a negative number"
    arrears = tmp_path / "arrears.csv"
    cli(deployment, "kasir", "savings", "arrears", "--csv", str(arrears))
    rows = read(arrears)
    assert {r["name"] for r in rows} >= {"'@SUM(1)", "'-2+3"}
    assert all(r["amount"].isdigit() for r in rows)
    no_live_formula(rows)


def test_payroll_list_csv_and_xlsx(deployment: Path, tmp_path: Path) -> None:
    import openpyxl

    cli(deployment, "sekretaris", "payroll", "list", "--month", "2026-03", "--csv",
        str(tmp_path / "p.csv"), "--xlsx", str(tmp_path / "p.xlsx"))
    rows = read(tmp_path / "p.csv")
    by_emp = {r["nik_karyawan"]: r for r in rows}
    assert by_emp["E001"]["nama"] == "'@SUM(1)" and by_emp["E002"]["departemen"] == "'=1+1"
    assert by_emp["E001"]["jumlah_potongan"].isdigit()
    no_live_formula(rows)
    book = openpyxl.load_workbook(tmp_path / "p.xlsx")
    seen = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in FORMULA_TRIGGERS:
                    pytest.fail(f"{sheet.title}!{cell.coordinate} = {cell.value!r}")
                seen.add(cell.value)
    assert {"'@SUM(1)", "'-2+3", "'=1+1"} <= seen
    produksi = book["Produksi"]
    amounts = [c.value for c in produksi[5]][5:10]
    assert all(isinstance(v, int) for v in amounts), "amounts stay numbers in the workbook"


def test_laporan_csv(deployment: Path, tmp_path: Path) -> None:
    out = tmp_path / "anggota.csv"
    cli(deployment, "sekretaris", "laporan", "anggota", "--as-of", "2026-03-28", "--csv",
        str(out))
    rows = read(out)
    assert "'@SUM(1)" in {r.get("nama") for r in rows}
    no_live_formula(rows)
