"""Correcting reward points: an award, points earned, a redemption.

``dyncrm ledger reverse`` refuses these entries (they belong to
``expand.rewards``): a reversed redemption gave the points back while the item
stayed counted as taken from stock.  ``dyncrm rewards reverse ENTRY --reason
TEXT`` corrects them here, through :func:`dyncrm.corrections.correct`
(permission ``rewards.correct``, quorum ``[quorum."rewards.correct"]``):

- points earned or awarded are taken back, refused when the member has
  already spent them (a correction never makes points negative); the event
  that earned them does not earn them again;
- a redemption gives the points back and returns the item to stock (a stock
  line ``reversal:<entry>`` in the catalogue's stock book).
"""

from __future__ import annotations

import datetime as dt

from dyncrm.corrections import Correction, correct
from dyncrm.errors import ValidationError
from dyncrm.values import Actor, EntryInfo, EntryOwner

PLUGIN = "expand.rewards"
KINDS = ("rewards.earn", "rewards.award", "rewards.redeem")
COMMAND = "dyncrm rewards reverse {entry} --reason TEXT"
OWNERS = [EntryOwner(PLUGIN, KINDS, COMMAND)]


def reverse_entry(crm, actor: Actor, entry_id: int, *, reason: str, key: str | None = None,
                  on: dt.date | None = None) -> Correction:
    """Reverse a points entry and keep the stock book in step (``rewards.correct``)."""
    from dyncrm_expand.rewards import _stock_lock
    from dyncrm_expand.rewards.models import RewardRedemption, RewardStock

    def locks(entry: EntryInfo) -> list[str]:
        names = [f"account:{leg.account}" for leg in entry.legs
                 if leg.account.startswith("rewards.points:")]
        if entry.kind == "rewards.redeem":
            names.append(_stock_lock(str(entry.meta.get("item", ""))))
        return names

    def check(entry: EntryInfo) -> None:
        for leg in entry.legs:
            if leg.account.startswith("rewards.points:") and leg.amount.amount < 0:
                held = crm.ledger.balance(leg.account)
                if held < -leg.amount:
                    raise ValidationError(
                        f"entry {entry.id} gave {-leg.amount.amount} points; the member has "
                        f"{held.amount} left, so they cannot be taken back (a correction "
                        "never makes points negative)")

    def apply(entry: EntryInfo, reversal: EntryInfo) -> None:
        if entry.kind != "rewards.redeem":
            return
        row = RewardRedemption.get_or_none(RewardRedemption.entry == entry.id)
        if row is not None:
            RewardStock.create(item=row.item, quantity=row.quantity,
                               reference=f"reversal:{entry.id}", actor=actor.username,
                               note=f"redemption {row.reference} reversed: {reason}",
                               at=crm.now())

    return correct(crm, actor, entry_id, owner=PLUGIN, decision="rewards.correct",
                   permission="rewards.correct", reason=reason, kinds=KINDS, key=key, on=on,
                   locks=locks, check=check, apply=apply, command="dyncrm rewards reverse")


__all__ = ["COMMAND", "KINDS", "OWNERS", "reverse_entry"]
