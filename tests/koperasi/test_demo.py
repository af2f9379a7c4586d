"""The README's main job: `dyncrm demo` lives through a year, and its totals reconcile."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from dyncrm.app import open_crm
from dyncrm.testing import run_cli


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("demo") / "koperasi-xyz-demo"
    code, out, err = run_cli(["demo", "--dir", str(folder), "--members", "30", "--seed", "7",
                              "--json"])
    assert code == 0, err
    return folder, json.loads(out)["data"]


def test_demo_year_balances_and_reconciles_with_the_ledger(demo_run) -> None:
    folder, summary = demo_run
    assert summary["trial_balance"] == [{"commodity": "IDR", "sum": 0},
                                        {"commodity": "POINTS", "sum": 0}]
    counts = summary["counts"]
    assert counts["applications"] == 30
    assert counts["approved"] + counts["rejected"] == 30
    assert counts["loans_disbursed"] > 0 and counts["payroll_batches"] == 12
    assert counts["leavers"] == 3 and counts["members_inactive"] == 3
    with open_crm(folder / "dyncrm.toml") as crm:
        totals = crm.ledger.totals_by_kind()
        for kind, key in [("savings.wajib", "simpanan_wajib"),
                          ("savings.sukarela", "simpanan_sukarela"),
                          ("loans.principal", "pinjaman_beredar")]:
            assert str(totals[(kind, "IDR")]) == summary["amounts"][key]["amount"]
        # the SHU: the pools are the whole surplus, members' shares are their pools to the
        # rupiah, and exactly those shares reached the members' sukarela savings
        from dyncrm.db.models import JournalEntry, Posting
        from koperasi_xyz.shu import service as shu_service

        dist = shu_service.locked(crm, 2025).distribution
        assert dist.total == int(summary["amounts"]["shu"]["amount"]) > 0
        assert sum(dist.pools.values()) == dist.total
        shares = sum(m.jasa_modal + m.jasa_usaha for m in dist.members)
        member_pools = dist.pools["jasa_modal"] + dist.pools["jasa_usaha"]
        # the member pools are split exactly among the members (rounding_to_reserve is
        # the remainder of splitting the SHU into pools, already in the reserve)
        assert shares == member_pools
        from dyncrm.db.models import Account

        credited = (Posting.select(Posting.amount).join(Account)
                    .switch(Posting).join(JournalEntry)
                    .where(Account.kind == "savings.sukarela",
                           JournalEntry.kind.startswith("shu")))
        credited = [row.amount for row in credited]
        assert -sum(credited) == shares


def test_demo_writes_reports_cards_and_payroll_files(demo_run) -> None:
    folder, summary = demo_run
    reports = folder / "laporan"
    for name in ("anggota", "simpanan", "pinjaman", "shu", "parkkim", "kritik-saran"):
        pdf = reports / f"laporan-{name}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF"), name
    assert (folder / "kartu" / "kartu-anggota.pdf").read_bytes().startswith(b"%PDF")
    assert len(list((folder / "potong-gaji").glob("konfirmasi-potongan-*.csv"))) == 12
    assert len(list((folder / "outbox").glob("*.eml"))) == summary["counts"]["messages"]
    with (reports / "laporan-simpanan.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) > 10


def test_demo_refuses_to_overwrite_without_force_and_only_replaces_a_demo(demo_run,
                                                                          tmp_path) -> None:
    folder, _ = demo_run
    code, _, err = run_cli(["demo", "--dir", str(folder), "--members", "10"])
    assert code == 1 and "--force" in err
    other = tmp_path / "precious"
    other.mkdir()
    (other / "thesis.txt").write_text("do not delete")
    code, _, err = run_cli(["demo", "--dir", str(other), "--members", "10", "--force"])
    assert code == 1 and "refusing to delete" in err
    assert (other / "thesis.txt").exists()


def test_demo_is_deterministic_for_a_seed(tmp_path) -> None:
    runs = []
    for name in ("a", "b"):
        code, out, err = run_cli(["demo", "--dir", str(tmp_path / name), "--members", "12",
                                  "--seed", "3", "--json"])
        assert code == 0, err
        data = json.loads(out)["data"]
        runs.append((data["counts"], data["amounts"]))
    assert runs[0] == runs[1]


def test_demo_sizes_are_bounded_and_said_in_help(tmp_path) -> None:
    from dyncrm.errors import DyncrmError
    from koperasi_xyz.demo import MAX_MEMBERS, MIN_MEMBERS, run_demo

    code, out, _ = run_cli(["demo", "--help"])
    assert code == 0 and f"{MIN_MEMBERS} to" in out and str(MAX_MEMBERS) in out
    code, _, err = run_cli(["demo", "--dir", str(tmp_path / "big"), "--members",
                            str(MAX_MEMBERS + 1)])
    assert code == 2 and "--members" in err
    with pytest.raises(DyncrmError, match="members"):
        run_demo(tmp_path / "huge", members=MAX_MEMBERS * 3)
    assert not (tmp_path / "big").exists() and not (tmp_path / "huge").exists()


@pytest.mark.slow
def test_demo_at_500_members_redeems_only_what_is_in_stock(tmp_path) -> None:
    """At 500 members more members earn enough points than the catalogue holds gifts;
    the year still runs to the end, and no item is redeemed beyond its stock."""
    folder = tmp_path / "kop500"
    code, out, err = run_cli(["demo", "--dir", str(folder), "--members", "500", "--json"])
    assert code == 0, err
    summary = json.loads(out)["data"]
    assert summary["trial_balance"] == [{"commodity": "IDR", "sum": 0},
                                        {"commodity": "POINTS", "sum": 0}]
    counts = summary["counts"]
    assert counts["applications"] == 500 and counts["payroll_batches"] == 12
    from dyncrm_expand import rewards
    from dyncrm_expand.rewards.models import RewardRedemption

    with open_crm(folder / "dyncrm.toml") as crm:
        stock = rewards.catalogue(crm)
        assert all(item.stock_left >= 0 for item in stock)
        assert any(item.stock_left == 0 for item in stock)  # a gift ran out during the year
        assert RewardRedemption.select().count() == counts["redemptions"] > 0


def test_demo_files_are_private_and_its_staff_sign_in(demo_run) -> None:
    import stat

    folder, _ = demo_run
    open_to_others = [str(p.relative_to(folder)) for p in [folder, *folder.rglob("*")]
                      if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert open_to_others == []
    from koperasi_xyz.demo import STAFF_PASSWORD

    config = str(folder / "dyncrm.toml")
    code, out, err = run_cli(["-c", config, "login", "bendahara", "--password-stdin"],
                             input=STAFF_PASSWORD + "\n", signed_in=False)
    assert code == 0 and "signed in as bendahara" in out, err
    code, out, err = run_cli(["-c", config, "laporan", "simpanan"], signed_in=False)
    assert code == 0, err


def test_demo_members_sign_in_to_the_portal(demo_run) -> None:
    from dyncrm.web.testclient import WebClient
    from koperasi_xyz.demo import STAFF_PASSWORD

    folder, summary = demo_run
    assert list(summary["member_logins"]) == ["anggota1", "anggota2", "anggota3"]
    with open_crm(folder / "dyncrm.toml") as crm:
        from dyncrm.web import create_app

        client = WebClient(create_app(crm=crm))
        client.sign_in("anggota1", STAFF_PASSWORD)
        assert "Dasbor saya" in client.get("/").get_data(as_text=True)
        user = crm.users.get("anggota1")
        assert user.member_id is not None and crm.member(user.member_id).stage == "active"


def test_demo_closes_its_year_and_takes_the_shu_from_the_books(demo_run) -> None:
    """Issue 13: the demo's year is closed by two people and the SHU is its result."""
    from dyncrm import periods
    from koperasi_xyz.shu import books, service

    folder, summary = demo_run
    with open_crm(folder / "dyncrm.toml") as crm:
        info = periods.status_of(crm, "2025")
        assert info.in_force and (info.proposed_by, info.approved_by) == ("bendahara",
                                                                          ("ketua",))
        assert all(periods.is_closed(crm, f"2025-{m:02d}") for m in range(1, 13))
        assert str(periods.year_result(crm, 2025).amount) == summary["amounts"]["shu"]["amount"]
        assert books.source_of(crm, service.year_row(2025).entry_id)["source"] == "books"
        assert periods.result_balances(crm, dt.date(2025, 12, 31)) == []  # all zeroed
        assert int(summary["amounts"]["jasa_pinjaman"]["amount"]) > 0  # earned, before the closing


def test_demo_sends_each_list_and_issues_the_slips_as_archived(demo_run) -> None:
    """Issue 14: each month's deduction list is sent by the secretary (archived) and HR's
    file is that archived CSV; the printed laporan potongan is the list as sent, not a
    recomputation; the SHU slips are issued once posted and the demo's slip is one of them."""
    from dyncrm import archive
    from koperasi_xyz.payroll.sent import KIND, file_names, sent
    from koperasi_xyz.shu.issued import issued
    from koperasi_xyz.shu.service import locked

    folder, summary = demo_run
    with open_crm(folder / "dyncrm.toml") as crm:
        months = sorted({f.key for f in archive.list_files(crm, kind=KIND)})
        assert months == [f"2025-{m:02d}" for m in range(1, 13)]
        december = sent(crm, dt.date(2025, 12, 1))
        assert december.archived.meta["sent_by"] == "sekretaris"
        hr_file = folder / "potong-gaji" / "daftar-potongan-2025-12.csv"
        assert hr_file.read_bytes() == archive.content(crm, december.file("csv"))
        assert file_names("2025-12")["csv"] == december.file("csv").name
        with (folder / "laporan" / "laporan-potongan.csv").open(encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        amounts = [int(r["jumlah_potongan"].replace(".", "")) for r in rows
                   if r.get("nik_karyawan")]
        assert sum(amounts) == december.dlist.total > 0  # the list as sent, not today's
        slips = issued(crm, 2025)
        assert slips.count == len(locked(crm, 2025).distribution.members) > 0
        assert slips.archived.created_by == "bendahara"
        demo_slip = Path({f["name"]: f["path"] for f in summary["files"]}["slip_shu"])
        assert demo_slip.read_bytes() == archive.content(
            crm, slips.archived.file(demo_slip.name))
