"""Correcting the SHU postings of a year: the year goes back to approved.

``dyncrm ledger reverse`` refuses the SHU entries (they belong to
``koperasi_xyz.shu``): reversing one member's share would leave the year
"posted" with a distribution the books no longer hold.  The SHU of a year is
posted as a whole, so it is corrected as a whole: ``dyncrm shu reverse ENTRY``
(any entry of the posting) or ``dyncrm shu unpost --year YEAR`` reverses every
member's share and the pools entry in one action, and the year is ``approved``
again, its locked snapshot unchanged, ready to be posted anew (with new keys).

Refused when a member no longer holds the share where it was paid (sukarela
withdrawn, ``payable.shu`` paid out), or when the PPh withheld is no longer on
``payable.tax.pph_shu`` (remitted to the tax office): nothing is reversed then.  Needs
``shu.post`` and the deployment's ``[quorum."shu.unpost"]`` (four eyes when
configured); a reason is required; the same key again says it was done.

The year's surplus entry (``shu.surplus``) is corrected by entering the amount
again (``dyncrm shu enter``) while the year is not approved.
"""

from __future__ import annotations

import attrs

from dyncrm.db.models import Counter, JournalEntry
from dyncrm.errors import ValidationError
from dyncrm.text import clean_text
from dyncrm.values import Actor, EntryOwner

from ..models import ShuYear
from .rules import PLUGIN

KINDS = ("shu.surplus", "shu.distribution", "shu.allocation")
COMMAND = "dyncrm shu reverse {entry} --reason TEXT"
OWNERS = [EntryOwner(PLUGIN, KINDS, COMMAND)]


@attrs.frozen
class UnpostResult:
    """What ``unpost`` did: the entries reversed, or who still has to approve."""

    year: int
    replayed: bool
    reversed: int = 0
    approval: object | None = None

    def describe(self) -> str:
        """One sentence for the person at the keyboard."""
        if self.replayed:
            return f"SHU {self.year} was already taken back; nothing was changed"
        if self.approval is not None and not self.approval.complete:
            return f"taking back SHU {self.year} recorded, not done yet: " \
                   f"{self.approval.describe()}"
        return (f"SHU {self.year}: {self.reversed} entries reversed; the year is approved "
                "again and can be posted anew (dyncrm shu post)")


def generation(year: int) -> int:
    """How many times the SHU of ``year`` was taken back (the posting keys' round)."""
    row = Counter.get_or_none(Counter.name == f"shu.{year}.unposted")
    return int(row.value) if row is not None else 0


def key_prefix(year: int) -> str:
    """``shu:<year>`` for the first posting, ``shu:<year>:r<n>`` after ``n`` take-backs."""
    n = generation(year)
    return f"shu:{year}:r{n}" if n else f"shu:{year}"


def _posted_entries(year: int) -> list[JournalEntry]:
    """The entries of the year's standing posting (members' shares and the pools)."""
    reversal = JournalEntry.alias()
    reversed_ids = reversal.select(reversal.reverses).where(reversal.reverses.is_null(False))
    return list(JournalEntry.select().where(
        JournalEntry.kind.in_(["shu.distribution", "shu.allocation"]),
        JournalEntry.key.startswith(f"shu:{year}:"),
        JournalEntry.id.not_in(reversed_ids)).order_by(JournalEntry.id))


def _used(key: str) -> bool:
    return JournalEntry.select().where(JournalEntry.key.startswith(key + ":")).exists()


def unpost(crm, actor: Actor, year: int, *, reason: str, key: str | None = None
           ) -> UnpostResult:
    """Reverse every SHU posting of ``year`` in one action; the year is approved again.

    ``key`` (default ``shu:<year>:unpost:<round>``) makes a repeat say it was
    done; the reversing entries carry ``<key>:<entry id>``.
    """
    reason = clean_text(reason or "", field="reason", max_length=500).strip()
    if not reason:
        raise ValidationError("say why the SHU posting is taken back", field="reason")
    given = (key or "").strip()
    with crm.action("shu.unpost", actor, permission="shu.post"):
        crm.lock([f"shu:{year}"])
        row = ShuYear.get_or_none(ShuYear.year == year)
        rounds = generation(year)
        key = given or f"shu:{year}:unpost:{rounds + 1}"
        previous = given or f"shu:{year}:unpost:{rounds}"
        if (row is None or row.status != "posted") and _used(previous):
            return UnpostResult(year=year, replayed=True)
        if row is None or row.status != "posted":
            status = row.status if row is not None else "not entered"
            raise ValidationError(f"SHU {year} is {status}, not posted; there is nothing to "
                                  "take back")
        if _used(key):
            raise ValidationError(f"key {key!r} was already used; give another key",
                                  field="key")
        entries = [crm.ledger.entry(e.id) for e in _posted_entries(year)]
        targets: dict = {}  # where the shares went (and the PPh withheld, summed)
        for e in entries:
            if e.kind == "shu.distribution":
                for leg in e.legs:
                    if leg.amount.amount < 0:
                        targets[leg.account] = targets[leg.account] - leg.amount \
                            if leg.account in targets else -leg.amount
        crm.ledger.lock(targets)
        short = []
        for account, amount in sorted(targets.items()):
            held = crm.ledger.balance(account)
            if held < amount:
                short.append(f"{account} holds {crm.format_money(held)} of "
                             f"{crm.format_money(amount)}")
        if short:
            raise ValidationError(
                f"SHU {year} cannot be taken back: some shares are no longer where they "
                f"were paid ({'; '.join(short[:5])}{'; ...' if len(short) > 5 else ''}); "
                "nothing was reversed")
        status = crm.quorum.record("shu.unpost", f"shu:{year}:posted:{rounds}", actor,
                                   rule=crm.quorum.rule("shu.unpost"), note=reason)
        if not status.complete:
            return UnpostResult(year=year, replayed=False, approval=status)
        for entry in entries:
            crm.ledger.reverse(entry.id, actor=actor.username, owner=PLUGIN,
                               key=f"{key}:{entry.id}", memo=f"SHU {year} taken back: {reason}",
                               meta={"reason": reason, "corrects": entry.id})
            if entry.member_id is not None:
                crm.touch(entry.member_id, "expand", "of", "shu.unposted", actor,
                          {"year": year, "entry": entry.id, "reason": reason})
        crm.next_number(f"shu.{year}.unposted")  # the next posting gets new keys
        row.status, row.posted_by, row.posted_at, row.posted_on = "approved", None, None, None
        row.save()
        return UnpostResult(year=year, replayed=False, reversed=len(entries), approval=status)


def reverse_entry(crm, actor: Actor, entry_id: int, *, reason: str, key: str | None = None):
    """``shu reverse ENTRY``: an entry of a year's posting takes back the whole year."""
    entry = crm.ledger.entry(entry_id)
    if entry.owner != PLUGIN or not any(entry.kind == k for k in KINDS):
        raise ValidationError(f"journal entry {entry_id} ({entry.kind}) is not an SHU entry")
    year = entry.meta.get("year") or int(str(entry.key).split(":")[1])
    if entry.kind == "shu.surplus":
        raise ValidationError(
            f"journal entry {entry_id} records the SHU amount of {year}; correct it by "
            f"entering the amount again: dyncrm shu enter --year {year} --amount AMOUNT "
            "(possible until the year is approved)")
    return unpost(crm, actor, int(year), reason=reason, key=key)


__all__ = ["COMMAND", "KINDS", "OWNERS", "UnpostResult", "key_prefix", "reverse_entry",
           "unpost"]
