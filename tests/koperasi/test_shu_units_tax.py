"""SHU with business units, purchases imported, truncation and PPh, on a real database.

The worked example (hand-computed; every test below uses it)::

    SHU Rp 10.000.000; cadangan 40 %, jasa modal 20 %, jasa usaha 30 %, pendidikan 10 %
    rounding = truncate (leftover to cadangan); PPh 10 % on shares above Rp 1.600.000
    jasa usaha: simpan_pinjam 50 % by loan interest paid, toko 50 % by purchases

    pools: JM 2.000.000, JU 3.000.000 (simpan pinjam 1.500.000, toko 1.500.000),
           pendidikan 1.000.000, cadangan 4.000.000
    members  capital    interest  purchases
    A        1.000.000  200.000   0
    B        1.000.000  0         1.800.000 (two lines: 1.500.000 + 300.000)
    C        1.000.000  100.000   1.200.000
    JM:  2.000.000 / 3 = 666.666,67 → truncated 666.666 each; leftover 2
    simpan pinjam: A 1.500.000 × 2/3 = 1.000.000; C 1.500.000 × 1/3 = 500.000
    toko:          B 1.500.000 × 1,8/3 = 900.000;  C 1.500.000 × 1,2/3 = 600.000
    gross: A 666.666 + 1.000.000 = 1.666.666
           B 666.666 + 900.000   = 1.566.666  (≤ 1.600.000: no PPh)
           C 666.666 + 500.000 + 600.000 = 1.766.666
    PPh:   A floor(166.666,6) = 166.666 → net 1.500.000
           C floor(176.666,6) = 176.666 → net 1.590.000
           total 343.332
    pools as posted: cadangan 4.000.000 + 2 = 4.000.002, JM 1.999.998, JU 3.000.000,
           pendidikan 1.000.000; 4.000.002 + 1.999.998 + 3.000.000 + 1.000.000 = 10.000.000
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from kxyz_helpers import AFTER_RAT, add_member, counts, shu_settings
from kxyz_helpers import quick_staff as staff

from dyncrm.errors import PermissionDenied, ValidationError
from koperasi_xyz.models import ShuPurchase, ShuPurchaseFile
from koperasi_xyz.shu import service as svc
from koperasi_xyz.shu.purchases import import_purchases

ALLOCATION = {"cadangan": "40", "jasa_modal": "20", "jasa_usaha": "30", "pendidikan": "10"}
UNITS = {"simpan_pinjam": {"basis": "interest", "label": "Unit simpan pinjam"},
         "toko": {"basis": "purchases", "label": "Toko koperasi"}}
SPLIT = {"simpan_pinjam": "50", "toko": "50"}
PURCHASES = (b"nomor_anggota;jumlah\nXYZ-2024-00002;1.500.000\n"
             b"XYZ-2024-00003;Rp 1.200.000\nXYZ-2024-00002;300.000\n")


@pytest.fixture
def coop(make_crm):
    crm = make_crm(enabled=["koperasi_xyz.shu"], clock=lambda: AFTER_RAT, plugins={
        "koperasi_xyz.shu": shu_settings(allocation=ALLOCATION, units=UNITS,
                                         rounding="truncate", pph_rate="10",
                                         pph_threshold="Rp 1.600.000",
                                         year_extra={"jasa_usaha_split": SPLIT})})
    a = add_member(crm, "XYZ-2024-00001", "Andi", pokok=100_000, wajib=900_000,
                   interest=200_000)
    b = add_member(crm, "XYZ-2024-00002", "Budi", pokok=100_000, wajib=900_000)
    c = add_member(crm, "XYZ-2024-00003", "Citra", pokok=100_000, wajib=900_000,
                   interest=100_000)
    treasurer = staff(crm, "bendahara", "treasurer")
    return crm, (a, b, c), treasurer


def approve_and_post(crm, treasurer):
    svc.approve(crm, 2025, treasurer)
    svc.approve(crm, 2025, staff(crm, "ketua", "member"))
    return svc.post(crm, 2025, treasurer)


def test_purchases_import_is_all_or_nothing_and_once_per_file(coop) -> None:
    crm, _, treasurer = coop
    before = ShuPurchase.select().count()
    bad = b"nomor;jumlah\nXYZ-2024-00002;100\nXYZ-9999-00001;200\nXYZ-2024-00003;-5\n"
    with pytest.raises(ValidationError) as info:
        import_purchases(crm, treasurer, bad, year=2025)
    text = str(info.value)
    assert "2 line(s)" in text and "nothing was imported" in text
    assert "line 3 (XYZ-9999-00001): no member has this number" in text
    assert "line 4 (XYZ-2024-00003): a negative amount" in text
    assert ShuPurchase.select().count() == before and ShuPurchaseFile.select().count() == 0

    done = import_purchases(crm, treasurer, PURCHASES, year=2025, filename="toko.csv")
    assert (done.unit, done.lines, done.members, done.total, done.replayed) == (
        "toko", 3, 2, 3_000_000, False)
    again = import_purchases(crm, treasurer, PURCHASES, year=2025)
    assert again.replayed and again.total == 3_000_000
    assert ShuPurchase.select().count() == 3
    with pytest.raises(ValidationError, match="already imported for toko 2025"):
        import_purchases(crm, treasurer, PURCHASES, year=2024)
    with pytest.raises(ValidationError, match="'simpan_pinjam' does not share"):
        import_purchases(crm, treasurer, b"nomor;jumlah\nXYZ-2024-00001;1\n", year=2025,
                         unit="simpan_pinjam")
    with pytest.raises(PermissionDenied):
        import_purchases(crm, staff(crm, "kasir", "cashier"), b"nomor;jumlah\nX;1\n",
                         year=2025)


def test_units_truncation_and_pph_computed_as_worked_out(coop) -> None:
    crm, _, treasurer = coop
    import_purchases(crm, treasurer, PURCHASES, year=2025)
    svc.enter_surplus(crm, 2025, crm.money("10.000.000"), treasurer)
    dist = svc.compute(crm, 2025).distribution
    assert dist.pools == {"cadangan": 4_000_002, "jasa_modal": 1_999_998,
                          "jasa_usaha": 3_000_000, "pendidikan": 1_000_000}
    assert dist.units == {"simpan_pinjam": (1_500_000, 300_000),
                          "toko": (1_500_000, 3_000_000)}
    assert [(m.jasa_modal, m.units["simpan_pinjam"], m.units["toko"], m.total, m.tax, m.net)
            for m in dist.members] == [
        (666_666, (200_000, 1_000_000), (0, 0), 1_666_666, 166_666, 1_500_000),
        (666_666, (0, 0), (1_800_000, 900_000), 1_566_666, 0, 1_566_666),
        (666_666, (100_000, 500_000), (1_200_000, 600_000), 1_766_666, 176_666, 1_590_000)]
    assert dist.truncation_leftover == 2 and dist.tax_total == 343_332


def test_post_withholds_pph_to_the_tax_payable_and_pays_the_net(coop, tmp_path) -> None:
    crm, (a, b, c), treasurer = coop
    import_purchases(crm, treasurer, PURCHASES, year=2025)
    svc.enter_surplus(crm, 2025, crm.money("10.000.000"), treasurer)
    out = approve_and_post(crm, treasurer)
    assert out.members == 3 and out.members_total == 4_999_998 and out.tax_total == 343_332
    bal = crm.ledger.balance
    assert [int(bal(f"savings.sukarela:m{m.id}").amount) for m in (a, b, c)] == [
        1_500_000, 1_566_666, 1_590_000]
    assert int(bal(svc.TAX_ACCOUNT).amount) == 343_332
    assert int(bal("equity.reserve").amount) == 4_000_002
    assert int(bal("equity.fund.pendidikan").amount) == 1_000_000
    assert int(bal(svc.UNDISTRIBUTED).amount) == 0
    from dyncrm.db.models import JournalEntry

    row = JournalEntry.get(JournalEntry.key == f"shu:2025:{c.id}")
    entry = crm.ledger.entry(row.id)
    assert entry.meta["tax"] == 176_666 and entry.meta["units"] == {
        "simpan_pinjam": 500_000, "toko": 600_000}
    assert sorted((leg.account, int(leg.amount.amount)) for leg in entry.legs) == sorted([
        (svc.UNDISTRIBUTED, 1_766_666), (f"savings.sukarela:m{c.id}", -1_590_000),
        (svc.TAX_ACCOUNT, -176_666)])
    assert "PPh Rp 176.666 dipotong" in entry.memo
    # purchases can no longer be added to a locked year
    with pytest.raises(ValidationError, match="already posted"):
        import_purchases(crm, treasurer, b"nomor;jumlah\nXYZ-2024-00001;5\n", year=2025)

    # the slip shows units, PPh and the net, and says what went to members
    from pdfs import pdf_text

    from koperasi_xyz.shu.report import pph_laporan, slip_pdf_file

    draft, line = svc.member_share(crm, 2025, c.id)
    text = " ".join(pdf_text(slip_pdf_file(crm, draft, line, tmp_path / "slip.pdf")).split())
    for expected in ("Jasa usaha — Unit simpan pinjam", "Jasa usaha — Toko koperasi",
                     "Rp 1.766.666", "PPh dipotong Rp 176.666", "Diterima bersih Rp 1.590.000",
                     "dibulatkan ke bawah ke rupiah",
                     "sisa Rp 2 dimasukkan ke dana cadangan",
                     "jasa modal Rp 1.999.998 dan jasa usaha Rp 3.000.000, jumlah "
                     "Rp 4.999.998 — dibagikan kepada 3 anggota; sisanya Rp 5.000.002 untuk "
                     "dana cadangan, dana pendidikan"):
        assert expected in text, expected
    assert "seluruhnya Rp 10.000.000; dibagikan kepada" not in text  # the old wording

    # the tax report
    lap = pph_laporan(crm, draft)
    assert [(r["nomor"], r["bruto"], r["pph"], r["bersih"]) for r in lap.sections[0].raw] == [
        ("XYZ-2024-00001", 1_666_666, 166_666, 1_500_000),
        ("XYZ-2024-00002", 1_566_666, 0, 1_566_666),
        ("XYZ-2024-00003", 1_766_666, 176_666, 1_590_000)]
    assert lap.sections[0].totals["pph"] == "Rp 343.332"

    # the member's message shows the PPh and the net
    from dyncrm.db.models import OutboxMessage

    body = OutboxMessage.get(OutboxMessage.member == c.id).body
    assert "PPh dipotong: Rp 176.666" in body and "diterima bersih: Rp 1.590.000" in body

    # taking the posting back reverses the PPh withheld too
    from koperasi_xyz.shu.corrections import unpost

    unpost(crm, treasurer, 2025, reason="salah hitung")
    assert int(bal(svc.TAX_ACCOUNT).amount) == 0
    assert int(bal(svc.UNDISTRIBUTED).amount) == 10_000_000


def test_unpost_refused_once_the_pph_was_remitted(coop) -> None:
    crm, _, treasurer = coop
    import_purchases(crm, treasurer, PURCHASES, year=2025)
    svc.enter_surplus(crm, 2025, crm.money("10.000.000"), treasurer)
    approve_and_post(crm, treasurer)
    bank = crm.ledger.open_account("bank", type="asset")
    with crm.action("remit", treasurer):
        crm.ledger.transfer(crm.money("343.332"), debit=svc.TAX_ACCOUNT, credit=bank,
                            kind="tax.remit", actor="bendahara", on=dt.date(2026, 4, 15))
    from koperasi_xyz.shu.corrections import unpost

    before = counts()
    with pytest.raises(ValidationError, match=r"payable\.tax\.pph_shu holds Rp 0"):
        unpost(crm, treasurer, 2025, reason="salah hitung")
    assert counts() == before


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
enabled = ["koperasi_xyz.shu", "koperasi_xyz.reports", "acquire.registration",
           "expand.savings"]

[plugins."koperasi_xyz.shu"]
chair = ["ketua"]
rounding = "truncate"
pph_rate = "10"
pph_threshold = "Rp 1.600.000"

[plugins."koperasi_xyz.shu".units.simpan_pinjam]
basis = "interest"
label = "Unit simpan pinjam"

[plugins."koperasi_xyz.shu".units.toko]
basis = "purchases"
label = "Toko koperasi"

[plugins."koperasi_xyz.shu".years.2025]
jasa_usaha_split = { simpan_pinjam = "50", toko = "50" }
[plugins."koperasi_xyz.shu".years.2025.allocation]
cadangan = "40"
jasa_modal = "20"
jasa_usaha = "30"
pendidikan = "10"
"""


def test_through_the_command_line(tmp_path: Path, monkeypatch) -> None:
    from dyncrm.app import open_crm
    from dyncrm.testing import run_cli

    monkeypatch.chdir(tmp_path)
    config = tmp_path / "dyncrm.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with open_crm(config) as crm:
        crm.upgrade()
        with crm.database.atomic():
            crm.users.add("bendahara", roles=["treasurer"])
        add_member(crm, "XYZ-2024-00001", "Andi", pokok=100_000, wajib=900_000,
                   interest=200_000)
        add_member(crm, "XYZ-2024-00002", "Budi", pokok=100_000, wajib=900_000)
        add_member(crm, "XYZ-2024-00003", "Citra", pokok=100_000, wajib=900_000,
                   interest=100_000)
    (tmp_path / "toko.csv").write_bytes(PURCHASES)

    def cli(*args):
        return run_cli(["-c", str(config), "--as", "bendahara", *args])

    code, out, err = cli("shu", "purchases", "import", "--year", "2025", "toko.csv")
    assert code == 0, err
    assert "imported purchases of toko 2025: 3 lines, 2 members, Rp 3.000.000" in out
    code, out, _ = cli("shu", "purchases", "import", "--year", "2025", "toko.csv")
    assert code == 0 and "already imported" in out and "nothing was imported again" in out
    (tmp_path / "bad.csv").write_bytes(b"nomor;jumlah\nXYZ-0;1\n")
    code, _, err = cli("shu", "purchases", "import", "--year", "2025", "bad.csv")
    assert code == 1 and "no member has this number" in err
    cli("shu", "enter", "--year", "2025", "--amount", "10.000.000")
    code, out, err = cli("shu", "compute", "--year", "2025")
    assert code == 0, err
    flat = " ".join(out.split())
    for expected in ("Toko koperasi", "pembelian anggota dalam tahun buku", "Pembulatan",
                     "sisa Rp 2 dimasukkan ke dana cadangan", "PPh dipotong Rp 343.332",
                     "ju_toko", "pph", "bersih", "1.590.000"):
        assert expected in flat, expected
    code, out, err = cli("laporan", "pph-shu", "--year", "2025", "--csv", "pph.csv")
    assert code == 0, err
    assert "Rp 343.332" in out
    rows = (tmp_path / "pph.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].split(",") == ["nomor", "nama", "bruto", "pph", "bersih"]
    assert "XYZ-2024-00003,Citra,1766666,176666,1590000" in rows
