"""Shared helpers for the loan and rewards tests (no tests of its own).

Imported as ``from test_loan_helpers import ...`` (tests/ has no ``__init__``
files, so pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dyncrm import hookimpl
from dyncrm.app import CRM
from dyncrm.db.models import Member
from dyncrm.money import Money
from dyncrm.testing import snapshot
from dyncrm.values import Actor

LOANS = ("expand.savings", "expand.loans")
TODAY = dt.date(2025, 6, 15)

PRODUCTS: dict[str, Any] = {
    "konsumtif": {
        "name": "Pinjaman Konsumtif", "method": "flat", "rate": "1", "rate_unit": "per_month",
        "term_min": 1, "term_max": 36, "due_day": 25,
        "fees": [{"name": "provisi", "percent": "1", "mode": "deducted"}],
        "penalty": {"kind": "percent_per_month", "percent": "2"},
        "limits": {"max_amount": "20000000", "max_savings_multiple": "3",
                   "one_active_loan": True},
        "payoff": {"interest_months": 1},
    },
    "anuitas": {
        "name": "Pinjaman Anuitas", "method": "annuity", "rate": "12", "rate_unit": "per_year",
        "term_min": 3, "term_max": 24, "due_day": 10,
        "fees": [{"name": "admin", "fixed": "50000", "mode": "added"}],
        "penalty": {"kind": "fixed_per_day", "fixed": "1000", "grace_days": 2},
        "payoff": {"interest_months": 2},
    },
    "efektif": {
        "name": "Pinjaman Efektif", "method": "efektif", "rate": "1.5", "rate_unit": "per_month",
        "term_min": 1, "term_max": 24, "due_day": 31,
        "limits": {"min_membership_months": 6, "max_deduction_share": "35"},
    },
}


def clock_at(day: dt.date):
    """A clock fixed at 10:00 Jakarta time (03:00 UTC) on ``day``."""
    moment = dt.datetime(day.year, day.month, day.day, 3, 0)
    return lambda: moment


class Clock:
    """A settable clock: ``clock.day = date`` moves 'today'."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def __call__(self) -> dt.datetime:
        return dt.datetime(self.day.year, self.day.month, self.day.day, 3, 0)


class TakeHomePay:
    """A test plugin answering ``dyncrm_expand_take_home_pay`` from a dict."""

    def __init__(self, pay: dict[int, str] | None = None) -> None:
        self.pay = pay or {}
        self.calls: list[int] = []

    @hookimpl
    def dyncrm_expand_take_home_pay(self, crm, member_id):
        self.calls.append(member_id)
        value = self.pay.get(member_id)
        return crm.money(value) if value is not None else None


def open_loans(make_crm, *, today: dt.date = TODAY, products: dict | None = None,
               loans: dict | None = None, enabled=LOANS, extra_plugins=(),
               rewards: dict | None = None, clock=None) -> CRM:
    """A migrated CRM with savings and loans (and whatever else) and a fixed clock."""
    plugins: dict[str, Any] = {"expand.loans": {"products": products or PRODUCTS,
                                                **(loans or {})}}
    if rewards is not None:
        plugins["expand.rewards"] = rewards
    return make_crm(enabled=list(enabled), plugins=plugins, clock=clock or clock_at(today),
                    extra_plugins=extra_plugins)


def staff(crm: CRM, username: str, *roles: str, member_id: int | None = None) -> Actor:
    """A login with ``roles`` and no password (argon2 hashing is slow; tests don't log in)."""
    with crm.database.atomic():
        crm.users.add(username, roles=list(roles), member_id=member_id)
    return crm.actor(username)


class Staff:
    """The people of a loan: committee (two), treasurer, cashier, secretary."""

    def __init__(self, crm: CRM) -> None:
        self.committee = staff(crm, "komite1", "credit_committee")
        self.committee2 = staff(crm, "komite2", "credit_committee")
        self.treasurer = staff(crm, "bendahara", "treasurer")
        self.cashier = staff(crm, "kasir", "cashier")
        self.secretary = staff(crm, "sekretaris", "secretary")
        self.admin = staff(crm, "admin", "admin")


def add_member(crm: CRM, name: str, *, joined: dt.date = dt.date(2024, 1, 2),
               number: str | None = None, login: str | None = None,
               roles: tuple[str, ...] = ("member",)) -> tuple[int, Actor | None]:
    """An active member created with the core only; optionally a login for them."""
    admin = Actor.operator()
    with crm.action("test.member", admin):
        row = Member.create(name=name, number=number, email=f"{name.lower()}@example.org")
        crm.lifecycle.transition(row.id, "approve", admin, on=joined)
    actor = staff(crm, login, *roles, member_id=row.id) if login else None
    return row.id, actor


def fund(crm: CRM, member_id: int, amount: str, *, product: str = "sukarela",
         reference: str | None = None, on: dt.date | None = None) -> None:
    """Put savings on a member's account through the savings plugin (cash)."""
    from dyncrm_expand import savings

    savings.deposit(crm, Actor.operator(), member_id, product, crm.money(amount),
                    method="cash", reference=reference or f"fund-{member_id}-{product}-{amount}",
                    on=on)


def idr(text: str | int) -> Money:
    """Rupiah."""
    return Money.of(text, "IDR")


def table_counts(crm: CRM) -> dict[str, int]:
    """Rows per table: compare before/after to show nothing was written."""
    out = {}
    for name in sorted(crm.database.get_tables()):
        if name == "dyncrm_schema_migration":
            continue
        out[name] = crm.database.execute_sql(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
    return out


def dump(crm: CRM) -> dict[str, list]:
    """Every row of every table (for 'nothing changed' checks on small databases)."""
    return snapshot(crm, exclude={"dyncrm_schema_migration"})
