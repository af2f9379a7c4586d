"""Helpers and fixtures of the acquire tests (import the fixtures into each test module).

A conftest.py here would shadow tests/conftest.py for modules that import from it."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from dyncrm.testing import snapshot

ACQUIRE = ["acquire.registration", "acquire.member_card", "acquire.promotion"]
SECRET = "card-secret-for-tests-0123456789"
NOW = dt.datetime(2026, 3, 2, 3, 0)  # 10:00 in Jakarta
SETTINGS: dict[str, Any] = {
    "acquire.registration": {"number_pattern": "XYZ-{year}-{seq:05d}"},
    "acquire.member_card": {"secret": SECRET},
}
_serial = itertools.count(1)


def applicant(i: int | None = None, **changes: Any) -> dict[str, Any]:
    """Valid application data; ``i`` makes NIK, employee number and e-mail unique."""
    i = next(_serial) if i is None else i
    data = {
        "full_name": f"Budi Santoso {'ABCDEFGHJKLMNPQRSTUVWXYZ'[i % 24]}",
        "nik": f"3201{i % 90 + 10:02d}150590{i % 9000 + 1:04d}",
        "employee_number": f"E-{i:05d}",
        "department": "Produksi",
        "email": f"budi{i}@example.com",
        "mobile": f"0812-{i % 10000:04d}-7890",
        "address": "Jl. Merdeka 1, Bogor",
        "date_of_birth": "1990-05-15",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


class Clock:
    """A settable clock: ``clock.now = ...`` moves time for the CRM using it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def dump(crm) -> dict[str, list[tuple]]:
    """Every row of every table: compare before/after to prove nothing changed."""
    return snapshot(crm, exclude=())


def staff(crm, username: str, *roles: str):
    """A staff user without a password (argon2 hashing would slow every test down)."""
    with crm.database.atomic():
        crm.users.add(username, roles=list(roles))
    return crm.actor(username)


@pytest.fixture
def acq(make_crm):
    """A CRM with the acquire plugins, the clock fixed at 2 March 2026."""
    return make_crm(enabled=ACQUIRE, plugins=SETTINGS, clock=lambda: NOW)


@pytest.fixture
def people(acq):
    """Staff of the acquire CRM: secretary, admin (board) and a second admin."""

    class People:
        sec = staff(acq, "sec", "secretary")
        adm = staff(acq, "adm", "admin")
        chair = staff(acq, "chair", "admin")
        cashier = staff(acq, "kasir", "cashier")

    return People


def join(crm, people, **changes: Any):
    """Submit, accept and approve an application; returns the Approval."""
    from dyncrm_acquire import registration as reg

    outcome = reg.submit(crm, applicant(**changes), people.sec)
    reg.accept(crm, outcome.application.id, people.sec)
    return reg.approve(crm, outcome.application.id, people.adm)
