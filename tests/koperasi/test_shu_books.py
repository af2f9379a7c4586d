"""The SHU from the closed books: `shu compute` and `shu enter` take the closed year's
result; another amount is an override with its reason in the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from kxyz_helpers import AFTER_RAT, add_member, counts, idr, shu_settings
from kxyz_helpers import quick_staff as staff

from dyncrm import hookimpl, periods
from dyncrm.app import open_crm
from dyncrm.db.models import ActionLog
from dyncrm.errors import ValidationError
from dyncrm.testing import run_cli
from dyncrm.values import Actor
from koperasi_xyz.shu import books as shu_books
from koperasi_xyz.shu import service as svc

SYSTEM = Actor.operator()


@pytest.fixture
def year(make_crm):
    """Three members (interest 300.000 / 0 / 200.000 in 2025) and an expense of 150.000:
    the year's result is 350.000."""
    seen = []

    class Listener:
        @hookimpl
        def dyncrm_expand_year_closed(self, crm, year, actor):
            seen.append(year)

    crm = make_crm(enabled=["koperasi_xyz.shu"],
                   plugins={"koperasi_xyz.shu": shu_settings()},
                   extra_plugins=[("listener", Listener())], clock=lambda: AFTER_RAT)
    crm.members = [
        add_member(crm, "XYZ-2024-00001", "Andi", pokok=100_000, wajib=900_000,
                   interest=300_000),
        add_member(crm, "XYZ-2024-00002", "Budi", pokok=100_000, wajib=900_000),
        add_member(crm, "XYZ-2024-00003", "Citra", pokok=100_000, wajib=900_000,
                   interest=200_000)]
    with crm.action("seed", SYSTEM):
        cost = crm.ledger.open_account("expense.office", type="expense")
        crm.ledger.transfer(idr(150_000), debit=cost, credit="cash", kind="test",
                            actor="test", on=dt.date(2025, 8, 1))
    crm.treasurer = staff(crm, "bendahara", "treasurer")
    crm.chair = staff(crm, "ketua", "admin")
    crm.hook_calls = seen
    return crm


def close_2025(crm) -> None:
    periods.close(crm, crm.treasurer, "2025", reason="tutup buku 2025")
    periods.close(crm, crm.chair, "2025")


def test_compute_takes_the_shu_from_the_closed_year(year) -> None:
    what_if = svc.compute(year, 2025, idr(350_000)).distribution
    with pytest.raises(ValidationError, match=r"the books of 2025 are not closed.*close the "
                                              r"year first.*books close --year 2025"):
        svc.compute(year, 2025)
    close_2025(year)
    assert periods.year_result(year, 2025) == idr(350_000)
    draft = svc.compute(year, 2025)
    assert draft.source == "books"
    assert sum(draft.distribution.pools.values()) == 350_000
    # the closing entries zeroed the members' interest accounts, yet jasa usaha still
    # shares by the interest each paid in 2025
    assert year.ledger.balance_or_zero("income.loan_interest", year.members[0].id) == idr(0)
    assert draft.distribution == what_if
    assert [m.transactions for m in draft.distribution.members] == [300_000, 0, 200_000]


def test_enter_from_the_books_then_approve_and_post(year) -> None:
    close_2025(year)
    assert year.hook_calls == [2025]
    entered = svc.enter_surplus(year, 2025, None, year.treasurer)
    assert entered.amount == idr(350_000) and not entered.replayed
    entry = year.ledger.entry(svc.year_row(2025).entry_id)
    assert entry.effective_date == AFTER_RAT.date()  # the year is closed: dated today
    assert entry.meta["source"] == "books"
    assert year.ledger.balance(periods.RESULT_ACCOUNT) == idr(0)
    assert year.ledger.balance(svc.UNDISTRIBUTED) == idr(350_000)
    again = svc.enter_surplus(year, 2025, None, year.treasurer)
    assert again.replayed
    svc.approve(year, 2025, year.treasurer)
    svc.approve(year, 2025, staff(year, "ketua2", "admin"))
    posted = svc.post(year, 2025, year.treasurer)
    assert posted.members == 3
    assert year.ledger.balance(svc.UNDISTRIBUTED) == idr(0)
    assert year.hook_calls == [2025]  # closing fired it; posting does not again
    assert year.ledger.trial_balance() == {"IDR": 0}


def test_an_override_needs_a_reason_kept_in_the_audit_trail(year) -> None:
    close_2025(year)
    before = counts()
    with pytest.raises(ValidationError, match=r"give an SHU of Rp 350\.000; to record "
                                              r"Rp 300\.000 instead, say why with --reason"):
        svc.enter_surplus(year, 2025, idr(300_000), year.treasurer)
    assert counts() == before
    done = svc.enter_surplus(year, 2025, idr(300_000), year.treasurer,
                             reason="RAT 2026 keeps Rp 50.000 for the new office")
    assert done.amount == idr(300_000)
    source = shu_books.source_of(year, svc.year_row(2025).entry_id)
    assert source == {"source": "override", "books_result": "350000",
                      "reason": "RAT 2026 keeps Rp 50.000 for the new office"}
    assert ActionLog.select().where(ActionLog.action == "shu.override",
                                    ActionLog.actor == "bendahara").count() == 1
    assert svc.compute(year, 2025).source == "override"
    # what stays of the result is still in the books
    assert year.ledger.balance(periods.RESULT_ACCOUNT) == idr(50_000)


def test_a_year_not_closed_needs_an_override_once_the_books_are_closed_here(year) -> None:
    svc.enter_surplus(year, 2025, idr(1_000), year.treasurer)  # nothing closed: as before
    periods.close(year, year.treasurer, "2026-01")
    periods.close(year, year.chair, "2026-01")
    with pytest.raises(ValidationError, match="close the year first"):
        svc.enter_surplus(year, 2025, idr(2_000), year.treasurer)
    done = svc.enter_surplus(year, 2025, idr(2_000), year.treasurer, reason="audited figure")
    assert done.replaced == idr(1_000)


def test_the_year_closed_and_the_shu_from_the_books_through_the_cli(tmp_path) -> None:
    """Done when of issue 13 on the command line: two people close 2025, `shu compute`
    takes its amount from the books; an override says why in `shu status`."""
    config = _deployment(tmp_path)
    with open_crm(config) as crm, crm.database.atomic():
        crm.users.add("ketua2", roles=["admin"])

    def cli(user, *args):
        return run_cli(["-c", str(config), "--as", user, *args])

    code, out, err = cli("bendahara", "books", "close", "--year", "2025", "--reason",
                         "tutup buku")
    assert code == 0 and "proposed closing the fiscal year 2025" in out, err
    code, out, err = cli("bendahara", "books", "close", "--year", "2025")
    assert code == 1 and "four eyes" in err
    code, out, err = cli("ketua2", "books", "close", "--year", "2025")
    assert code == 0 and "closed the fiscal year 2025" in out, err
    code, out, err = cli("bendahara", "books", "periods", "--year", "2025")
    assert code == 0 and "2025-12" in out and "Rp 500.000" in out, err
    code, out, err = cli("bendahara", "shu", "compute", "--year", "2025")
    assert code == 0, err
    assert "SHU 2025 from the closed books" in out and "500.000" in out
    code, out, err = cli("bendahara", "shu", "enter", "--year", "2025", "--amount", "400.000")
    assert code == 1 and "--reason" in err
    code, out, err = cli("bendahara", "shu", "enter", "--year", "2025", "--amount", "400.000",
                         "--reason", "RAT decision")
    assert code == 0, err
    code, out, err = cli("bendahara", "shu", "status", "--year", "2025")
    assert code == 0 and "override" in out and "RAT decision" in out, err
    code, out, err = cli("bendahara", "audit", "--action", "shu.override")
    assert code == 0 and "bendahara" in out, err


def _deployment(tmp_path):
    from test_shu_cli import CONFIG

    path = tmp_path / "dyncrm.toml"
    path.write_text(CONFIG, encoding="utf-8")
    with open_crm(path) as crm:
        crm.upgrade()
        with crm.database.atomic():
            crm.users.add("bendahara", roles=["treasurer"])
        add_member(crm, "XYZ-2024-00001", "Andi Wijaya", pokok=100_000, wajib=900_000,
                   interest=300_000)
        add_member(crm, "XYZ-2024-00003", "Citra Dewi Lestari", pokok=100_000,
                   wajib=900_000, interest=200_000)
    return path
