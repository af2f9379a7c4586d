"""The deduction list streamed into files, and the closed-form wajib arithmetic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kxyz_payroll_setup import MONTH, cooperative

from dyncrm_expand.savings.config import SavingsSettings, WajibProduct
from dyncrm_expand.savings.wajib import WajibCalculator, WajibState
from koperasi_xyz.payroll.export import write_csv, write_month_csv
from koperasi_xyz.payroll.listing import _wajib_closed, deduction_list, iter_lines


@pytest.fixture
def coop(make_crm):
    return cooperative(make_crm)


def test_streamed_csv_is_the_same_file(coop, tmp_path) -> None:
    """``write_month_csv`` writes byte for byte what ``write_csv`` of the whole list does."""
    crm, *_ = coop
    whole = write_csv(deduction_list(crm, MONTH), tmp_path / "a.csv", delimiter=";")
    streamed, count, total = write_month_csv(crm, MONTH, tmp_path / "b.csv", delimiter=";")
    assert streamed.read_bytes() == whole.read_bytes()
    assert (count, total) == (3, 1_040_000)
    _, count, _ = write_month_csv(crm, MONTH, tmp_path / "c.csv", department=" UMUM ")
    assert count == 1


def test_lines_stream_in_list_order(coop) -> None:
    crm, *_ = coop
    lines = list(iter_lines(crm, MONTH))
    assert [x.employee_number for x in lines] == ["E002", "E001", "E003"]
    assert lines == sorted(lines, key=lambda x: (x.department, x.employee_number or "",
                                                 x.number))


def _settings() -> SavingsSettings:
    return SavingsSettings(wajib=WajibProduct(amount=Decimal(25_000), due_day=25))


@settings(max_examples=150, deadline=None)
@given(start=st.dates(dt.date(2023, 1, 1), dt.date(2026, 6, 30)),
       month=st.dates(dt.date(2022, 6, 1), dt.date(2027, 1, 1)).map(lambda d: d.replace(day=1)),
       paid=st.one_of(st.integers(-60_000, 900_000), st.integers(0, 40).map(lambda n: n * 25_000)))
def test_closed_form_matches_month_by_month(start, month, paid) -> None:
    """The closed form gives what listing every owed month and allocating oldest first does."""
    calc = WajibCalculator(_settings(), 0)
    state = WajibState(member_id=1, start_on=start, end_on=None, classes=(), paid_units=paid,
                       pokok_owed_units=0, pokok_paid_units=0)
    now = earlier = 0
    for m, _due, units in calc.unpaid(calc.months(state, through_month=month), paid):
        if m == month:
            now += units
        elif m < month:
            earlier += units
    assert _wajib_closed(start, paid, 25_000, month) == (now, earlier)


def test_streamed_pdf(coop, tmp_path) -> None:
    from koperasi_xyz.payroll.export import write_month_pdf

    crm, *_ = coop
    path = write_month_pdf(crm, MONTH, tmp_path / "potongan.pdf")
    assert path.read_bytes().startswith(b"%PDF")


def test_without_arrears(make_crm) -> None:
    crm, *_ = cooperative(make_crm, include_arrears=False)
    by = {x.employee_number: x for x in deduction_list(crm, MONTH).lines}
    a = by["E001"]
    assert (a.wajib, a.wajib_arrears, a.installments, a.loan_arrears) == (50_000, 0, 280_000, 0)
    assert all(d.arrears == 0 for x in by.values() for d in x.loans)


def test_the_streamed_list_on_postgres(make_crm, pg_url, tmp_path) -> None:
    streamed_list_on(make_crm, pg_url, tmp_path)


def test_the_streamed_list_on_mariadb(make_crm, mysql_url, tmp_path) -> None:
    streamed_list_on(make_crm, mysql_url, tmp_path)


def streamed_list_on(make_crm, url: str, tmp_path) -> None:
    """The SQL order (code point collation per backend) and the figures on PostgreSQL and
    MariaDB are those of SQLite."""
    crm, *_ = cooperative(lambda **kw: make_crm(database_url=url, **kw))
    lines = deduction_list(crm, MONTH).lines
    assert [(x.employee_number, x.total, x.flag) for x in lines] == [
        ("E002", 330_000, "melebihi batas"), ("E001", 660_000, ""),
        ("E003", 50_000, "THP tidak diketahui")]
    _, count, total = write_month_csv(crm, MONTH, tmp_path / "p.csv")
    assert (count, total) == (3, 1_040_000)
