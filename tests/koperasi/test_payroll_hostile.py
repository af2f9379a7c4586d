"""Hostile payroll confirmation files: refused naming the line, nothing written.

A huge field (beyond the CSV reader's limit), a NUL byte, bytes that are not
UTF-8, an amount in exponent notation or beyond the database column: each is
refused with a ValidationError (exit 1 through the CLI) that says which line,
and every table is exactly as it was.  Typed-the-Indonesian-way amounts
(``Rp 660.000,-``) are read.
"""

from __future__ import annotations

import csv

import pytest
from input_support import data_dump as dump
from kxyz_payroll_setup import MONTH, cooperative

from dyncrm.errors import ValidationError
from koperasi_xyz.payroll.importer import import_confirmation, read_confirmation

HEADER = b"nik_karyawan;nama;jumlah_dipotong\n"


@pytest.fixture
def coop(make_crm):
    return cooperative(make_crm)


HOSTILE = {
    "huge field": (HEADER + b"E001;x;660000\nE002;" + b"A" * (csv.field_size_limit() + 10)
                   + b";330000\n", r"line 3 cannot be read: a field is longer than"),
    "huge header": (b"nik_karyawan;" + b"B" * (csv.field_size_limit() + 1) + b"\n",
                    r"line 1 cannot be read"),
    "NUL byte": (HEADER + b"E001;x;660000\nE002;\x00;330000\n",
                 r"line 3, column 2 contains a control character, U\+0000"),
    "escape in the number": (HEADER + b"E001\x1b[2J;x;660000\n", r"line 2, column 1 contains"),
    "not UTF-8": (HEADER + b"E001;x;660000\nE002;Bud\xff;330000\n",
                  r"file: is not UTF-8 text: line 3 has the byte 0xFF"),
    "exponent": (HEADER + b"E001;x;6.6e5\n", r"line 2 \(E001\).*exponent notation"),
    "beyond the column": (HEADER + b"E001;x;99999999999999999999999\n",
                          r"line 2 \(E001\).*more than the largest amount"),
    "NaN": (HEADER + b"E001;x;NaN\n", r"line 2 \(E001\).*is not an amount"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_refused_naming_the_line(coop, name) -> None:
    crm, people, *_ = coop
    data, message = HOSTILE[name]
    before = dump(crm)
    with pytest.raises(ValidationError, match=message):
        import_confirmation(crm, people["bendahara"], data, batch="HR-X", month=MONTH)
    assert dump(crm) == before


def test_amounts_typed_the_indonesian_way_are_read(coop) -> None:
    crm, *_ = coop
    lines = read_confirmation(crm, HEADER + b"E001;x;Rp 660.000,-\nE002;x;Rp. 330.000\n"
                              b"E003;x;50.000,00\n")
    assert [x.amount for x in lines] == [660_000, 330_000, 50_000]


def test_the_cli_refuses_a_huge_field_with_exit_1(coop, tmp_path) -> None:
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
""", encoding="utf-8")
    bad = tmp_path / "konfirmasi.csv"
    bad.write_bytes(HOSTILE["huge field"][0])
    before = dump(crm)
    code, out, err = run_cli(["-c", str(config), "--as", "bendahara", "payroll", "import",
                              str(bad), "--batch", "HR-X", "--month", "2026-03"])
    assert code == 1, (out, err)
    assert "file: line 3 cannot be read: a field is longer than" in err
    assert "Traceback" not in err and "bug" not in err
    assert dump(crm) == before
