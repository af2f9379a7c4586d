"""Taking back an SHU posting: every share and the pools reversed, the year approved again."""

from __future__ import annotations

import pytest
from kxyz_helpers import AFTER_RAT, add_member, counts, idr, shu_settings
from kxyz_helpers import quick_staff as staff

from dyncrm.db.models import JournalEntry
from dyncrm.errors import OwnedEntryError, ValidationError
from koperasi_xyz.models import ShuYear
from koperasi_xyz.shu import corrections
from koperasi_xyz.shu import service as svc


@pytest.fixture
def posted(make_crm):
    crm = make_crm(enabled=["koperasi_xyz.shu"], plugins={"koperasi_xyz.shu": shu_settings()},
                   clock=lambda: AFTER_RAT)
    members = [add_member(crm, f"XYZ-2024-0000{i}", name, pokok=100_000, wajib=900_000,
                          interest=interest)
               for i, (name, interest) in enumerate((("Andi", 300_000), ("Budi", 0),
                                                     ("Citra", 200_000)), start=1)]
    treasurer, chair = staff(crm, "bendahara", "treasurer"), staff(crm, "ketua", "member")
    svc.enter_surplus(crm, 2025, idr(10_000_001), treasurer)
    svc.approve(crm, 2025, treasurer)
    svc.approve(crm, 2025, chair)
    svc.post(crm, 2025, treasurer)
    return crm, members, treasurer


def shu_view_equals_ledger(crm, year: int) -> None:
    """The year's status and snapshot against the books."""
    row = ShuYear.get(ShuYear.year == year)
    dist = svc.locked(crm, year).distribution
    sukarela = crm.ledger.balances_by_member(["savings.sukarela"])
    held = {m: v.get("savings.sukarela", 0) for m, v in sukarela.items()}
    undistributed = crm.ledger.balance("equity.shu_undistributed")
    if row.status == "posted":
        assert held == {m.member_id: m.total for m in dist.members if m.total}
        assert undistributed == idr(0)
    else:
        assert all(v == 0 for v in held.values())
        assert undistributed == idr(row.amount)
        assert crm.ledger.balance_or_zero("equity.reserve") == idr(0)
    assert crm.ledger.trial_balance() == {"IDR": 0}


def test_ledger_reverse_refuses_an_shu_share(posted) -> None:
    crm, members, treasurer = posted
    share = JournalEntry.get(JournalEntry.key == f"shu:2025:{members[0].id}")
    with pytest.raises(OwnedEntryError, match=f"dyncrm shu reverse {share.id}"), \
            crm.action("r", treasurer):
        crm.ledger.reverse(share.id, actor="bendahara")


def test_unpost_takes_back_the_year_and_it_can_be_posted_again(posted) -> None:
    crm, members, treasurer = posted
    shu_view_equals_ledger(crm, 2025)
    share = JournalEntry.get(JournalEntry.key == f"shu:2025:{members[0].id}")
    with pytest.raises(ValidationError, match="say why"):
        corrections.reverse_entry(crm, treasurer, share.id, reason=" ")
    result = corrections.reverse_entry(crm, treasurer, share.id,
                                       reason="persentase dana salah dikutip RAT")
    assert not result.replayed and result.reversed == 4  # three shares and the pools
    assert ShuYear.get(ShuYear.year == 2025).status == "approved"
    shu_view_equals_ledger(crm, 2025)
    before = counts()
    again = corrections.unpost(crm, treasurer, 2025, reason="lagi")
    assert again.replayed and "already taken back" in again.describe()
    assert counts() == before
    # posted anew, with new keys, once
    out = svc.post(crm, 2025, treasurer)
    assert not out.replayed and out.members == 3
    assert JournalEntry.get(JournalEntry.key == f"shu:2025:r1:{members[0].id}")
    shu_view_equals_ledger(crm, 2025)
    assert svc.post(crm, 2025, treasurer).replayed


def test_unpost_refused_when_a_member_spent_the_share(posted) -> None:
    crm, members, treasurer = posted
    code = f"savings.sukarela:m{members[1].id}"
    with crm.action("withdraw", treasurer):
        crm.ledger.transfer(idr(100), debit=code, credit=crm.ledger.open_account(
            "cash", type="asset"), kind="manual.withdrawal", actor="t")
    before = counts()
    with pytest.raises(ValidationError, match="no longer where they were paid"):
        corrections.unpost(crm, treasurer, 2025, reason="salah")
    assert counts() == before
    assert ShuYear.get(ShuYear.year == 2025).status == "posted"


def test_the_surplus_entry_is_corrected_by_entering_the_amount_again(posted) -> None:
    crm, _members, treasurer = posted
    surplus = JournalEntry.get(JournalEntry.kind == "shu.surplus")
    with pytest.raises(ValidationError, match="dyncrm shu enter --year 2025"):
        corrections.reverse_entry(crm, treasurer, surplus.id, reason="salah")
