"""Helpers of the database-server tests: row counts and members made with the core only."""

from __future__ import annotations

import datetime as dt

from dyncrm.db.models import (
    Account,
    ActionKey,
    JournalEntry,
    Member,
    OutboxMessage,
    Posting,
    Touchpoint,
)
from dyncrm.values import Actor

SYSTEM = Actor.operator()


def counts() -> dict[str, int]:
    """Rows per table that an action may write."""
    return {m.__name__: m.select().count()
            for m in (Member, Touchpoint, Account, JournalEntry, Posting, OutboxMessage,
                      ActionKey)}


def add_member(crm, name: str, *, active: bool = False) -> int:
    """A member made with the core only (an applicant, or active since 2 January 2024)."""
    email = f"{name.lower()}@example.org"
    if active:
        return crm.lifecycle.enrol(SYSTEM, name, email=email, joined_on=dt.date(2024, 1, 2)).id
    with crm.action("test.add_member", SYSTEM):  # applicants come from registration
        return Member.create(name=name, email=email).id
