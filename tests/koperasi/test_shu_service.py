"""SHU end to end on a real database: enter, compute, approve (two people), post once."""

from __future__ import annotations

import datetime as dt

import pytest
from kxyz_helpers import AFTER_RAT, add_member, counts, idr, post_balances, shu_settings
from kxyz_helpers import quick_staff as staff

from dyncrm import hookimpl
from dyncrm.errors import PermissionDenied, ValidationError
from dyncrm.values import Actor
from koperasi_xyz.models import ShuYear
from koperasi_xyz.shu import service as svc


@pytest.fixture
def shu_crm(make_crm):
    def factory(extra_plugins=(), **settings):
        crm = make_crm(enabled=["koperasi_xyz.shu"],
                       plugins={"koperasi_xyz.shu": shu_settings(**settings)},
                       extra_plugins=extra_plugins, clock=lambda: AFTER_RAT)
        return crm
    return factory


def three_members(crm):
    """The worked example of test_shu_calc (capital 1.000.000 each; interest 300k/0/200k)."""
    a = add_member(crm, "XYZ-2024-00001", "Andi", pokok=100_000, wajib=900_000,
                   interest=300_000)
    b = add_member(crm, "XYZ-2024-00002", "Budi", pokok=100_000, wajib=900_000)
    c = add_member(crm, "XYZ-2024-00003", "Citra", pokok=100_000, wajib=900_000,
                   interest=200_000)
    return a, b, c


def board(crm):
    return staff(crm, "bendahara", "treasurer"), staff(crm, "ketua", "member")


def test_compute_from_ledger_matches_the_worked_example(shu_crm) -> None:
    crm = shu_crm()
    a, b, c = three_members(crm)
    treasurer, _ = board(crm)
    svc.enter_surplus(crm, 2025, crm.money("10.000.001"), treasurer)
    dist = svc.compute(crm, 2025).distribution
    assert dist.pools["cadangan"] == 4_000_001
    assert {m.member_id: m.total for m in dist.members} == {
        a.id: 2_166_667, b.id: 666_666, c.id: 1_666_667}


def test_eligibility_excludes_applicants_and_leavers_unless_configured(shu_crm) -> None:
    crm = shu_crm()
    active = add_member(crm, "XYZ-2024-00001", "Aktif", pokok=100_000, wajib=600_000)
    add_member(crm, "XYZ-2025-00009", "Calon", stage="applicant", joined=None)
    left = add_member(crm, "XYZ-2024-00002", "Keluar", stage="inactive",
                      left=dt.date(2025, 9, 30), interest=50_000)
    late_leaver = add_member(crm, "XYZ-2024-00003", "Keluar 2026", stage="inactive",
                             left=dt.date(2026, 2, 1), pokok=100_000, wajib=600_000)
    joined_2026 = add_member(crm, "XYZ-2026-00001", "Baru", joined=dt.date(2026, 1, 5),
                             pokok=100_000, on=dt.date(2026, 1, 5))
    ids = {m.member_id for m in svc.compute(crm, 2025, idr(1_000_000)).distribution.members}
    assert ids == {active.id, late_leaver.id}
    assert joined_2026.id not in ids and left.id not in ids

    crm2 = shu_crm(include_leavers=True)
    ids2 = {m.member_id for m in svc.compute(crm2, 2025, idr(1_000_000)).distribution.members}
    assert left.id in ids2


def test_monthly_average_capital_is_fairer_to_mid_year_joiners(shu_crm) -> None:
    """Old member: 1.200.000 all year. New member: 1.200.000 deposited on 1 July.

    Year-end basis: equal capital → equal jasa modal.
    Monthly average: old 1.200.000; new (6 month-ends × 1.200.000) / 12 = 600.000,
    so of a JM pool of 20% × 3.000.000 = 600.000 the old member gets 400.000, the new 200.000.
    """
    alloc = {"cadangan": "80", "jasa_modal": "20", "jasa_usaha": "0"}
    crm = shu_crm(allocation=alloc, capital_average="monthly")
    old = add_member(crm, "XYZ-2024-00001", "Lama", wajib=1_200_000, on=dt.date(2024, 12, 1))
    new = add_member(crm, "XYZ-2025-00001", "Baru", joined=dt.date(2025, 7, 1),
                     wajib=1_200_000, on=dt.date(2025, 7, 1))
    dist = svc.compute(crm, 2025, idr(3_000_000)).distribution
    assert {m.member_id: m.jasa_modal for m in dist.members} == {old.id: 400_000,
                                                                  new.id: 200_000}


def test_principal_basis_and_sukarela_option(shu_crm) -> None:
    alloc = {"cadangan": "0", "jasa_modal": "50", "jasa_usaha": "50"}
    crm = shu_crm(allocation=alloc, transactions="principal", capital_sukarela=True)
    a = add_member(crm, "XYZ-2024-00001", "A", wajib=100, sukarela=300, principal=1_000,
                   interest=999)
    b = add_member(crm, "XYZ-2024-00002", "B", wajib=400, principal=3_000)
    dist = svc.compute(crm, 2025, idr(8_000)).distribution
    shares = {m.member_id: (m.jasa_modal, m.jasa_usaha) for m in dist.members}
    assert shares == {a.id: (2_000, 1_000), b.id: (2_000, 3_000)}


def test_enter_is_idempotent_and_corrections_reverse(shu_crm) -> None:
    crm = shu_crm()
    treasurer, _ = board(crm)
    first = svc.enter_surplus(crm, 2025, crm.money("125.000.000"), treasurer)
    again = svc.enter_surplus(crm, 2025, crm.money("125.000.000"), treasurer)
    assert not first.replayed and again.replayed
    fixed = svc.enter_surplus(crm, 2025, crm.money("120.000.000"), treasurer)
    assert fixed.replaced == idr(125_000_000)
    assert crm.ledger.balance("equity.shu_undistributed") == idr(120_000_000)


def test_enter_refuses_an_unfinished_year_and_cashiers(make_crm) -> None:
    crm = make_crm(enabled=["koperasi_xyz.shu"],
                   plugins={"koperasi_xyz.shu": shu_settings()},
                   clock=lambda: dt.datetime(2025, 11, 1))
    treasurer = staff(crm, "bendahara", "treasurer")
    before = counts()
    with pytest.raises(ValidationError, match="closes on 31 December 2025"):
        svc.enter_surplus(crm, 2025, idr(1_000), treasurer)
    with pytest.raises(PermissionDenied):
        svc.enter_surplus(crm, 2024, idr(1_000), staff(crm, "kasir", "cashier"))
    assert counts() == before


def test_approval_needs_treasurer_and_chair_two_people(shu_crm) -> None:
    crm = shu_crm()
    three_members(crm)
    treasurer, chair = board(crm)
    both = staff(crm, "merangkap", "treasurer", "admin")
    svc.enter_surplus(crm, 2025, idr(10_000_001), treasurer)
    with pytest.raises(PermissionDenied):
        svc.approve(crm, 2025, staff(crm, "sekretaris", "secretary"))
    first = svc.approve(crm, 2025, both)
    assert first.capacity == "bendahara" and not first.approved
    with pytest.raises(ValidationError, match="already approved"):
        svc.approve(crm, 2025, both)
    with pytest.raises(ValidationError, match="already approved by merangkap"):
        svc.approve(crm, 2025, treasurer)
    second = svc.approve(crm, 2025, chair, rat_date=dt.date(2026, 3, 28))
    assert second.approved and second.capacity == "ketua"
    assert ShuYear.get(ShuYear.year == 2025).status == "approved"


def test_approve_then_compute_is_refused_and_figures_stay_locked(shu_crm) -> None:
    crm = shu_crm()
    a, _, _ = three_members(crm)
    treasurer, chair = board(crm)
    svc.enter_surplus(crm, 2025, idr(10_000_001), treasurer)
    svc.approve(crm, 2025, treasurer)
    svc.approve(crm, 2025, chair)
    with pytest.raises(ValidationError, match="locked"):
        svc.compute(crm, 2025)
    with pytest.raises(ValidationError, match="locked"):
        svc.enter_surplus(crm, 2025, idr(5), treasurer)
    # live data changes after the approval do not change the year's figures
    with crm.action("late", Actor.operator()):
        post_balances(crm, a.id, interest=9_999_999, on=dt.date(2025, 12, 31))
    locked = svc.current(crm, 2025)
    assert locked.locked
    assert {m.member_id: m.total for m in locked.distribution.members}[a.id] == 2_166_667


def test_changed_figures_between_approvals_void_the_first(shu_crm) -> None:
    crm = shu_crm()
    a, _, _ = three_members(crm)
    treasurer, chair = board(crm)
    svc.enter_surplus(crm, 2025, idr(10_000_001), treasurer)
    svc.approve(crm, 2025, treasurer)
    with crm.action("late", Actor.operator()):
        post_balances(crm, a.id, interest=1, on=dt.date(2025, 12, 30))
    result = svc.approve(crm, 2025, chair)
    assert not result.approved and result.superseded == ("bendahara",)
    assert svc.approve(crm, 2025, treasurer).approved


def test_post_once_and_second_run_says_done(shu_crm) -> None:
    crm = shu_crm()
    a, b, c = three_members(crm)
    treasurer, chair = board(crm)
    svc.enter_surplus(crm, 2025, idr(10_000_001), treasurer)
    with pytest.raises(ValidationError, match="not approved yet"):
        svc.post(crm, 2025, treasurer)
    with pytest.raises(ValidationError, match="RAT"):
        svc.approve(crm, 2025, treasurer, rat_date=dt.date(2025, 12, 20))
    svc.approve(crm, 2025, treasurer)
    svc.approve(crm, 2025, chair)
    with pytest.raises(ValidationError, match="not in the future"):
        svc.post(crm, 2025, treasurer, on=dt.date(2026, 5, 1))
    out = svc.post(crm, 2025, treasurer)
    assert not out.replayed and out.members == 3 and out.members_total == 4_500_000
    before = counts()
    again = svc.post(crm, 2025, treasurer)
    assert again.replayed and again.members == 3
    assert counts() == before
    bal = crm.ledger.balances_by_member(["savings.sukarela"])
    assert {m: v["savings.sukarela"] for m, v in bal.items()} == {
        a.id: 2_166_667, b.id: 666_666, c.id: 1_666_667}
    assert crm.ledger.balance("equity.shu_undistributed") == idr(0)
    assert crm.ledger.balance("equity.reserve") == idr(4_000_001)
    assert crm.ledger.balance("equity.fund.pendidikan") == idr(500_000)
    assert crm.ledger.trial_balance() == {"IDR": 0}
    assert ShuYear.get(ShuYear.year == 2025).status == "posted"
    kinds = {t.kind for t in crm.timeline(a.id)}
    assert "shu.distributed" in kinds


def test_cash_payout_and_members_who_left_after_year_end(shu_crm) -> None:
    crm = shu_crm()
    a, b, _ = three_members(crm)
    from dyncrm.db.models import Member

    Member.update(stage="inactive", left_on=dt.date(2026, 2, 1)).where(
        Member.id == b.id).execute()
    treasurer, chair = board(crm)
    svc.enter_surplus(crm, 2025, idr(10_000_001), treasurer)
    svc.approve(crm, 2025, treasurer)
    svc.approve(crm, 2025, chair)
    svc.post(crm, 2025, treasurer)
    assert crm.ledger.balance_or_zero("payable.shu", b.id) == idr(666_666)
    assert crm.ledger.balance_or_zero("savings.sukarela", b.id) == idr(0)
    assert crm.ledger.balance_or_zero("savings.sukarela", a.id) == idr(2_166_667)


def test_hook_dyncrm_expand_year_closed(shu_crm) -> None:
    seen = []

    class Listener:
        @hookimpl
        def dyncrm_expand_year_closed(self, crm, year, actor):
            seen.append((year, actor.username, svc.year_row(year).status))

    crm = shu_crm(extra_plugins=[("listener", Listener())])
    three_members(crm)
    treasurer, chair = board(crm)
    svc.enter_surplus(crm, 2025, idr(10_000_001), treasurer)
    svc.approve(crm, 2025, treasurer)
    svc.approve(crm, 2025, chair)
    svc.post(crm, 2025, treasurer)
    svc.post(crm, 2025, treasurer)
    assert seen == [(2025, "bendahara", "posted")]
