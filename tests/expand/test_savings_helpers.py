"""Shared helpers for the savings and deactivation tests (no tests of its own).

Imported as ``from test_savings_helpers import ...``: pytest puts this folder on
``sys.path`` because tests/ has no ``__init__`` files.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from PIL import Image
from pypdf import PdfWriter

from dyncrm.app import CRM
from dyncrm.db.models import Member
from dyncrm.testing import snapshot
from dyncrm.values import Actor

EXPAND = ("expand.savings", "expand.deactivation")
TODAY = dt.date(2025, 6, 15)


def real_image(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    """A small real image made by Pillow (``"JPEG"`` or ``"PNG"``)."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def real_pdf() -> bytes:
    """A one-page PDF made by pypdf."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


#: proofs that parse (uploads are checked by parsing, not by their first bytes)
JPEG = real_image("JPEG")
PNG = real_image("PNG")
PDF = real_pdf()


def clock_at(day: dt.date):
    """A clock fixed at 10:00 Jakarta time (03:00 UTC) on ``day``."""
    moment = dt.datetime(day.year, day.month, day.day, 3, 0)
    return lambda: moment


def open_expand(make_crm, *, today: dt.date = TODAY, savings: dict | None = None,
                deactivation: dict | None = None, enabled=EXPAND, extra_plugins=()) -> CRM:
    """A migrated CRM with the savings (and deactivation) plugins and a fixed clock."""
    plugins = {}
    if savings:
        plugins["expand.savings"] = savings
    if deactivation:
        plugins["expand.deactivation"] = deactivation
    return make_crm(enabled=list(enabled), plugins=plugins, clock=clock_at(today),
                    extra_plugins=extra_plugins)


def staff(crm: CRM, username: str, *roles: str, member_id: int | None = None) -> Actor:
    """A login without a password (argon2 hashing would slow every test down)."""
    with crm.database.atomic():
        crm.users.add(username, roles=list(roles), member_id=member_id)
    return crm.actor(username)


class Staff:
    """The usual people: two cashiers, a treasurer, a secretary, an admin."""

    def __init__(self, crm: CRM) -> None:
        self.cashier = staff(crm, "kasir", "cashier")
        self.cashier2 = staff(crm, "kasir2", "cashier")
        self.treasurer = staff(crm, "bendahara", "treasurer")
        self.secretary = staff(crm, "sekretaris", "secretary")
        self.admin = staff(crm, "ketua", "admin")


def add_member(crm: CRM, name: str = "Siti Aminah", *, joined: dt.date = dt.date(2025, 1, 6),
               number: str | None = None, email: str | None = "auto") -> int:
    """An active member created with the core only (no registration plugin)."""
    count = Member.select().count() + 1
    return crm.lifecycle.enrol(Actor.operator(), name, number=number or f"XYZ-{count:04d}",
                               email=(f"m{count}@example.org" if email == "auto" else email),
                               joined_on=joined).id


def member_actor(crm: CRM, member_id: int, username: str | None = None) -> Actor:
    """A login for the member themselves (role member)."""
    return staff(crm, username or f"member{member_id}", "member", member_id=member_id)


def dump(crm: CRM) -> dict:
    """Every row of every table, plus the files in the proofs folder."""
    out: dict = snapshot(crm, exclude=())
    proofs = Path(crm.config.data_dir) / "proofs"
    out["<proof files>"] = sorted(p.name for p in proofs.iterdir()) if proofs.exists() else []
    return out


def balanced(crm: CRM) -> bool:
    """True when every commodity's postings sum to zero."""
    return all(v == 0 for v in crm.ledger.trial_balance().values())
