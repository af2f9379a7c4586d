"""Core ledger queries that every batch job builds on."""

from __future__ import annotations

from harness import SAVINGS, job


@job("ledger.balances_by_member", memory_growth="linear")
def balances_by_member(crm, world):
    """Every member's balance of every savings kind: one grouped query."""
    balances = crm.ledger.balances_by_member(SAVINGS)
    if len(balances) != world.n:
        raise AssertionError(f"expected {world.n} members with balances, got {len(balances)}")


@job("ledger.balances_by_member as_of", memory_growth="linear")
def balances_as_of(crm, world):
    """One kind's balances as of mid-year (joins the entries' dates)."""
    half = world.start.replace(month=6)
    total = sum(units for kinds in crm.ledger.balances_by_member(["savings.wajib"], as_of=half)
                .values() for units in kinds.values())
    expected = world.n * SAVINGS["savings.wajib"] * 6
    if total != expected:
        raise AssertionError(f"wajib savings as of {half}: {total}, expected {expected}")


@job("ledger.trial_balance")
def trial_balance(crm, world):
    """Sum of all postings per commodity (must be zero)."""
    sums = crm.ledger.trial_balance()
    if any(sums.values()):
        raise AssertionError(f"trial balance is off: {sums}")


@job("ledger.totals_by_kind")
def totals_by_kind(crm, world):
    """Balance per account kind over every account."""
    totals = crm.ledger.totals_by_kind()
    expected = world.n * SAVINGS["savings.pokok"] * world.months
    if totals[("savings.pokok", crm.currency)] != expected:
        raise AssertionError(f"pokok total {totals}, expected {expected}")
