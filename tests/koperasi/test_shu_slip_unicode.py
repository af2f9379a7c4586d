"""A member's SHU slip prints a name outside Latin-1 as written (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from kxyz_helpers import add_member
from pdfs import pdf_text

from dyncrm.app import open_crm
from dyncrm.testing import run_cli

CONFIG = """
[organisation]
name = "Koperasi Karyawan XYZ"
address = "Jl. Contoh No. 1, Jakarta"
currency = "IDR"
currency_exponent = 0
locale = "id_ID"
timezone = "Asia/Jakarta"

[database]
url = "sqlite:///crm.db"

[plugins]
enabled = ["koperasi_xyz.shu"]

[plugins."koperasi_xyz.shu"]
chair = ["ketua"]
payout = "sukarela"

[plugins."koperasi_xyz.shu".years.2025.allocation]
cadangan = "40"
jasa_modal = "20"
jasa_usaha = "25"
pengurus = "5"
pendidikan = "5"
sosial = "5"

[notify]
default_channel = "file"
"""

NAMES = {"XYZ-2024-00001": "Đặng Thị Ngọc", "XYZ-2024-00002": "Zoë Łukasz"}


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    path = tmp_path / "dyncrm.toml"
    path.write_text(CONFIG, encoding="utf-8")
    with open_crm(path) as crm:
        crm.upgrade()
        with crm.database.atomic():
            crm.users.add("bendahara", roles=["treasurer"])
            crm.users.add("kasir", roles=["cashier"])
        for number, name in NAMES.items():
            add_member(crm, number, name, pokok=100_000, wajib=900_000, interest=100_000)
    return path


@pytest.mark.parametrize("number", sorted(NAMES))
def test_the_slip_prints_the_name_as_written(deployment: Path, tmp_path: Path, number):
    def cli(user, *args):
        return run_cli(["-c", str(deployment), "--as", user, *args])

    code, _, err = cli("bendahara", "shu", "enter", "--year", "2025", "--amount", "2.000.000")
    assert code == 0, err
    slip = tmp_path / "slip.pdf"
    code, out, err = cli("kasir", "shu", "slip", "--year", "2025", number, "--pdf", str(slip))
    assert code == 0, err
    assert NAMES[number] in out
    assert b"DejaVu" in slip.read_bytes()
    text = pdf_text(slip)
    assert NAMES[number] in text
    assert "Dang Thi Ngoc" not in text and "Zoe Lukasz" not in text
    assert "?" not in text
