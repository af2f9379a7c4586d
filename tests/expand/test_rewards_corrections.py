"""Correcting reward points: awards taken back, redemptions returned to stock."""

from __future__ import annotations

import datetime as dt

import pytest
from test_loan_helpers import Clock, Staff, add_member, open_loans
from test_rewards import ENABLED, REWARDS, pts

from dyncrm.db.models import JournalEntry
from dyncrm.errors import OwnedEntryError, ValidationError
from dyncrm_expand import rewards
from dyncrm_expand.rewards.corrections import reverse_entry


def stock(crm, code: str) -> int:
    return next(e.stock_left for e in rewards.catalogue(crm) if e.code == code)


def test_reverse_a_redemption_returns_points_and_stock(make_crm) -> None:
    crm = open_loans(make_crm, enabled=ENABLED, rewards=REWARDS,
                     clock=Clock(dt.date(2025, 1, 10)))
    people = Staff(crm)
    a, ani = add_member(crm, "Ani", login="ani")
    rewards.award(crm, people.admin, a, 100, reason="RAT", reference="RAT-1")
    first = rewards.redeem(crm, ani, a, "payung", reference="X1")
    assert stock(crm, "payung") == 1 and rewards.balance(crm, a) == pts(60)
    redeem_entry = JournalEntry.get(JournalEntry.key == "rewards:redeem:X1").id
    with pytest.raises(OwnedEntryError, match="dyncrm rewards reverse"), \
            crm.action("r", people.treasurer):
        crm.ledger.reverse(redeem_entry, actor="bendahara")
    award_entry = JournalEntry.get(JournalEntry.kind == "rewards.award").id
    # the award cannot be taken back while 40 of its points are spent
    with pytest.raises(ValidationError, match="never makes points negative"):
        reverse_entry(crm, people.treasurer, award_entry, reason="salah orang")
    result = reverse_entry(crm, people.treasurer, redeem_entry, reason="barang rusak")
    assert result.done and first.points == 40
    assert stock(crm, "payung") == 2 and rewards.balance(crm, a) == pts(100)
    assert reverse_entry(crm, people.treasurer, redeem_entry, reason="x").replayed
    reverse_entry(crm, people.treasurer, award_entry, reason="salah orang")
    assert rewards.balance(crm, a) == pts(0) and rewards.earned(crm, a) == 0
    assert crm.ledger.trial_balance() == {"POINTS": 0}
