"""Reports handed to the RAT: ``dyncrm laporan NAME --archive`` keeps them as handed over."""

from __future__ import annotations

import os
import stat

from kxyz_payroll_setup import cooperative

from dyncrm.testing import run_cli

CONFIG = """
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
"""


def test_a_report_archived_for_the_rat_reprints_identical(make_crm, tmp_path) -> None:
    crm, *_ = cooperative(make_crm)
    config = tmp_path / "dyncrm.toml"
    config.write_text(CONFIG.format(db=crm.config.database_url.removeprefix("sqlite:///")),
                      encoding="utf-8")

    def cli(day, *args):
        return run_cli(["-c", str(config), "--today", day, "--as", "bendahara", "laporan",
                        *args])

    code, out, err = cli("2026-03-28", "simpanan", "--as-of", "2026-03-28", "--archive",
                         "--pdf", str(tmp_path / "rat.pdf"))
    assert code == 0, err
    assert "laporan.simpanan 2026-03-28 is archived as handed over" in err
    first = (tmp_path / "rat.pdf").read_bytes()
    assert stat.S_IMODE(os.stat(tmp_path / "rat.pdf").st_mode) == 0o600
    # days later (the report would print another date): the archived one stays as handed over
    code, out, err = cli("2026-04-02", "simpanan", "--as-of", "2026-03-28", "--archive",
                         "--pdf", str(tmp_path / "again.pdf"), "--csv",
                         str(tmp_path / "again.csv"))
    assert code == 0, err
    assert "was archived before" in err
    assert (tmp_path / "again.pdf").read_bytes() == first
    assert b"XYZ-2026-00001,Andi Wijaya" in (tmp_path / "again.csv").read_bytes()
    assert b"Ringkasan,Jumlah simpanan," in (tmp_path / "again-ringkasan.csv").read_bytes()
    code, out, err = cli("2026-04-02", "potongan", "--month", "2026-03", "--archive")
    assert code == 0 and "laporan.potongan 2026-03 is archived" in err, err
    code, out, err = run_cli(["-c", str(config), "--today", "2026-04-02", "--as", "bendahara",
                              "archive", "list", "--kind", "laporan.simpanan"])
    assert code == 0 and "laporan-simpanan.pdf" in out and "laporan-simpanan.csv" in out, err
    assert "laporan-simpanan-ringkasan.csv" in out
    assert "2026-03-28" in out
