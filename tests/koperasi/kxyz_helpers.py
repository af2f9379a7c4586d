"""Helpers for the Koperasi XYZ tests: members with balances written straight to the ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dyncrm.db.models import Member
from dyncrm.money import Money
from dyncrm.values import Actor

SYSTEM = Actor.operator()
AFTER_RAT = dt.datetime(2026, 4, 15, 3, 0)  # 15 April 2026, 10:00 in Jakarta

#: The worked example's allocation (of_total): sums to 100.
ALLOCATION = {"cadangan": "40", "jasa_modal": "20", "jasa_usaha": "25", "pengurus": "5",
              "pendidikan": "5", "sosial": "5"}


def idr(n: int | str) -> Money:
    return Money.of(n, "IDR")


def shu_settings(year: int = 2025, allocation: dict | None = None, **extra: Any) -> dict:
    year_table = {"allocation": dict(allocation or ALLOCATION)}
    year_table.update(extra.pop("year_extra", {}))
    return {"chair": ["ketua"], **extra, "years": {str(year): year_table}}


def add_member(crm, number: str, name: str, *, joined: dt.date = dt.date(2024, 3, 1),
               stage: str = "active", left: dt.date | None = None, pokok: int = 0,
               wajib: int = 0, sukarela: int = 0, interest: int = 0, principal: int = 0,
               on: dt.date = dt.date(2025, 6, 30), email: str | None = None) -> Member:
    """A member whose balances are posted directly (no savings/loans plugin needed)."""
    with crm.action("seed", SYSTEM):
        member = Member.create(number=number, name=name, stage=stage, joined_on=joined,
                               left_on=left, email=email or f"{number.lower()}@contoh.id")
        post_balances(crm, member.id, pokok=pokok, wajib=wajib, sukarela=sukarela,
                      interest=interest, principal=principal, on=on)
    return member


def post_balances(crm, member_id: int, *, pokok: int = 0, wajib: int = 0, sukarela: int = 0,
                  interest: int = 0, principal: int = 0, on: dt.date) -> None:
    """Post savings, interest income and loan disbursements for a member on ``on``."""
    ledger = crm.ledger
    cash = ledger.open_account("cash", type="asset")
    for kind, amount in (("savings.pokok", pokok), ("savings.wajib", wajib),
                         ("savings.sukarela", sukarela)):
        if amount:
            code = ledger.open_account(kind, type="liability", member_id=member_id)
            ledger.transfer(idr(amount), debit=cash, credit=code, kind="savings.deposit",
                            actor="test", on=on, member_id=member_id)
    if interest:
        code = ledger.open_account("income.loan_interest", type="income", member_id=member_id)
        ledger.transfer(idr(interest), debit=cash, credit=code, kind="loans.repayment",
                        actor="test", on=on, member_id=member_id)
    if principal:
        code = ledger.open_account("loans.principal", type="asset", member_id=member_id)
        ledger.transfer(idr(principal), debit=code, credit=cash, kind="loans.disbursement",
                        actor="test", on=on, member_id=member_id)


def counts() -> dict[str, int]:
    """Row counts of the tables an action could write, to prove nothing changed."""
    from dyncrm.db.models import ActionKey, JournalEntry, OutboxMessage, Posting, Touchpoint

    return {m.__name__: m.select().count()
            for m in (JournalEntry, Posting, Touchpoint, OutboxMessage, ActionKey)}


def quick_staff(crm, username: str, *roles: str) -> Actor:
    """A staff login without a password (no argon2 hashing: keeps fixtures fast)."""
    with crm.database.atomic():
        crm.users.add(username, roles=list(roles))
    return crm.actor(username)
