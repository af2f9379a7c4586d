"""``dyncrm shu ...`` through the real command line, and the SHU PDFs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from kxyz_helpers import add_member

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

[plugins."koperasi_xyz.shu".years.2025]
decision = "Keputusan RAT 2026 no. 3"
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


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    path = tmp_path / "dyncrm.toml"
    path.write_text(CONFIG, encoding="utf-8")
    with open_crm(path) as crm:
        crm.upgrade()
        with crm.database.atomic():
            crm.users.add("bendahara", roles=["treasurer"])
            crm.users.add("ketua", roles=["secretary"])
            crm.users.add("kasir", roles=["cashier"])
        add_member(crm, "XYZ-2024-00001", "Andi Wijaya", pokok=100_000, wajib=900_000,
                   interest=300_000)
        add_member(crm, "XYZ-2024-00002", "Budi Santoso", pokok=100_000, wajib=900_000)
        add_member(crm, "XYZ-2024-00003", "Citra Dewi Lestari", pokok=100_000, wajib=900_000,
                   interest=200_000)
    return path


def cli(config: Path, user: str, *args: str):
    return run_cli(["-c", str(config), "--as", user, *args])


def test_shu_year_through_the_cli(deployment: Path, tmp_path: Path) -> None:
    code, _, err = cli(deployment, "bendahara", "shu", "compute", "--year", "2025")
    assert code == 1 and "books of 2025 are not closed" in err and "close the year first" in err

    code, out, err = cli(deployment, "bendahara", "shu", "enter", "--year", "2025",
                         "--amount", "10.000.001")
    assert code == 0, err
    assert "Rp 10.000.001" in out
    code, out, _ = cli(deployment, "bendahara", "shu", "enter", "--year", "2025",
                       "--amount", "10000001")
    assert code == 0 and "already recorded" in out

    code, out, err = cli(deployment, "kasir", "shu", "compute", "--year", "2025", "--csv",
                         str(tmp_path / "draft.csv"))
    assert code == 0, err
    assert "Rp 4.000.001" in out and "Citra Dewi Lestari" in out and "Rp 2.166.667" in out
    rows = list(csv.DictReader((tmp_path / "draft.csv").open(encoding="utf-8")))
    assert [r["jumlah"] for r in rows] == ["2166667", "666666", "1666667"]

    code, out, err = cli(deployment, "kasir", "shu", "compute", "--year", "2025", "--json")
    data = json.loads(out)["data"]
    assert data["distribution"]["pools"]["cadangan"] == 4_000_001 and not data["locked"]

    code, _, err = cli(deployment, "kasir", "shu", "approve", "--year", "2025")
    assert code == 1 and "may not approve" in err
    code, out, err = cli(deployment, "bendahara", "shu", "approve", "--year", "2025")
    assert code == 0 and "still needs the chair" in out, err
    code, out, err = cli(deployment, "ketua", "shu", "approve", "--year", "2025",
                         "--rat-date", "2026-03-28")
    assert code == 0 and "locked" in out, err

    code, _, err = cli(deployment, "kasir", "shu", "compute", "--year", "2025")
    assert code == 1 and "locked" in err

    code, out, err = cli(deployment, "bendahara", "shu", "post", "--year", "2025")
    assert code == 0, err
    assert "3 members" in out and "Rp 4.500.000" in out
    code, out, _ = cli(deployment, "bendahara", "shu", "post", "--year", "2025")
    assert code == 0 and "already posted" in out

    code, out, _ = cli(deployment, "kasir", "shu", "status", "--year", "2025")
    assert "posted" in out and "ketua" in out

    pdf = tmp_path / "laporan-shu-2025.pdf"
    code, out, err = cli(deployment, "kasir", "shu", "report", "--year", "2025", "--pdf",
                         str(pdf))
    assert code == 0, err
    assert pdf.read_bytes().startswith(b"%PDF")
    slip = tmp_path / "slip.pdf"
    code, out, err = cli(deployment, "kasir", "shu", "slip", "--year", "2025",
                         "XYZ-2024-00001", "--pdf", str(slip))
    assert code == 0 and "Rp 2.166.667" in out, err
    text = pdf_text(slip)
    assert "Andi Wijaya" in text and "Rp 2.166.667" in text and "Halaman 1 dari 1" in text
    report_text = pdf_text(pdf)
    assert "Laporan Pembagian SHU Tahun Buku 2025" in report_text
    assert "Rp 10.000.001" in report_text


BAD_YEAR = '''
[plugins."koperasi_xyz.shu".years.2024.allocation]
cadangan = "40"
jasa_modal = "20"
jasa_usaha = "25"
pengurus = "5"
pendidikan = "5"
sosial = "10"
'''


def test_percentages_not_summing_to_100_are_refused_when_the_config_is_read(
        deployment: Path) -> None:
    """Not first at ``shu compute``: every command refuses the file (exit 2)."""
    before = deployment.with_name("crm.db").read_bytes()
    deployment.write_text(CONFIG + BAD_YEAR, encoding="utf-8")
    for args in (["shu", "compute", "--year", "2024", "--amount", "1.000.000"],
                 ["shu", "status", "--year", "2025"]):
        code, _, err = cli(deployment, "bendahara", *args)
        assert code == 2, err
        assert str(deployment) in err and "years.2024.allocation" in err
        assert "sums to 105%, 5% too much" in err and "Traceback" not in err
    assert deployment.with_name("crm.db").read_bytes() == before


def pdf_text(path: Path) -> str:
    from pdfs import pdf_text as text_of

    return text_of(path)


def test_slips_are_issued_once_archived_and_reprinted_as_issued(tmp_path: Path) -> None:
    """Issue 14: the members' SHU slips are archived when issued; every later print (the
    slip command, the archive's reprint) is the issued slip byte for byte, on any day."""
    from dyncrm import archive
    from koperasi_xyz.shu.issued import KIND, issued

    config = tmp_path / "kop" / "dyncrm.toml"
    config.parent.mkdir()
    config.write_text(CONFIG + "\n[clock]\nsimulated = true\n", encoding="utf-8")
    with open_crm(config) as crm:
        crm.upgrade()
        with crm.database.atomic():
            for name, role in (("bendahara", "treasurer"), ("ketua", "secretary"),
                               ("kasir", "cashier")):
                crm.users.add(name, roles=[role])
        for n, name in enumerate(("Andi Wijaya", "Budi Santoso", "Citra Dewi Lestari"), 1):
            add_member(crm, f"XYZ-2024-0000{n}", name, pokok=100_000, wajib=900_000,
                       interest=100_000 * n)

    def run(user: str, day: str, *args: str):
        return cli(config, user, "--today", day, *args)

    assert run("bendahara", "2026-03-01", "shu", "enter", "--year", "2025", "--amount",
               "10.000.001")[0] == 0
    assert run("bendahara", "2026-03-28", "shu", "approve", "--year", "2025")[0] == 0
    assert run("ketua", "2026-03-28", "shu", "approve", "--year", "2025")[0] == 0
    code, _, err = run("bendahara", "2026-04-01", "shu", "issue-slips", "--year", "2025")
    assert code == 1 and "diterbitkan setelah SHU-nya dibukukan" in err  # Indonesian
    assert "sudah disetujui tetapi belum dibukukan" in err
    assert "dyncrm shu post --year 2025" in err
    code, _, err = run("bendahara", "2026-04-15", "shu", "post", "--year", "2025")
    assert code == 0 and "dyncrm shu issue-slips --year 2025" in err, err
    code, _, err = run("kasir", "2026-04-15", "shu", "issue-slips", "--year", "2025")
    assert code == 1 and "may not" in err  # a cashier does not issue slips
    with open_crm(config) as crm:
        assert archive.find(crm, KIND, "2025") is None  # refusals archived nothing

    out_dir = tmp_path / "slips"
    code, out, err = run("ketua", "2026-04-15", "shu", "issue-slips", "--year", "2025",
                         "--dir", str(out_dir))
    assert code == 0, err
    assert "slip SHU 2025 diterbitkan: 3 slip, diarsipkan sebagaimana diterbitkan" in out
    assert "3 slips written" in err and "Membuat slip" in err  # the progress bar's label
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [f"slip-shu-2025-XYZ-2024-0000{n}.pdf" for n in (1, 2, 3)]
    with open_crm(config) as crm:
        slips = issued(crm, 2025)
        assert slips.count == 3 and slips.archived.created_by == "ketua"
        andi = crm.member("XYZ-2024-00001").id
        kept = slips.slip_of(andi)
        issued_bytes = archive.content(crm, kept)
        from koperasi_xyz.shu.service import locked

        line = next(m for m in locked(crm, 2025).distribution.members if m.member_id == andi)
        assert slips.entry_of(andi)["total"] == line.total > 0
        files_before = len(archive.list_files(crm))
    assert (out_dir / kept.name).read_bytes() == issued_bytes
    assert "Andi Wijaya" in pdf_text(out_dir / kept.name)
    assert "Jakarta, 15 April 2026" in pdf_text(out_dir / kept.name)

    # issuing again archives nothing and names the slips issued
    code, out, err = run("bendahara", "2026-05-02", "shu", "issue-slips", "--year", "2025")
    assert code == 0, err
    assert "sudah diterbitkan pada 15 April 2026 oleh ketua (3 slip)" in out
    assert "tidak ada yang diterbitkan lagi" in out and "--kind shu.slips --key 2025" in out
    # months later the slip command prints the slip as issued, not a new one
    later = tmp_path / "later.pdf"
    code, out, err = run("kasir", "2026-09-01", "shu", "slip", "--year", "2025",
                         "XYZ-2024-00001", "--pdf", str(later))
    assert code == 0 and "slip sebagaimana diterbitkan pada 15 April 2026" in out, err
    assert f"arsip {kept.id}" in out
    assert later.read_bytes() == issued_bytes
    reprint = tmp_path / "reprint.pdf"
    code, _, err = cli(config, "bendahara", "archive", "reprint", str(kept.id), "--out",
                       str(reprint))
    assert code == 0 and reprint.read_bytes() == issued_bytes, err
    code, out, err = cli(config, "bendahara", "archive", "list", "--kind", "shu.slips")
    assert code == 0 and out.count("slip-shu-2025") == 4  # three slips and the index
    with open_crm(config) as crm:
        assert len(archive.list_files(crm)) == files_before
