"""Koperasi XYZ staff logins and member logins for the portal's tests (see conftest.py)."""

from __future__ import annotations

from typing import Any

from dyncrm.testing import TEST_PASSWORD, active_member

STAFF = {"ketua": "admin", "sekretaris": "secretary", "bendahara": "treasurer",
         "kasir": "cashier", "panitia1": "credit_committee", "panitia2": "credit_committee"}
#: every staff role of Koperasi XYZ, for permission matrices
ROLES = sorted(set(STAFF.values()))
#: the user holding each role
USER_OF = {role: user for user, role in STAFF.items()}


def member_login(crm: Any, name: str = "Siti Aminah", username: str | None = None,
                 **fields: Any) -> tuple[int, str]:
    """An active member with a login (role ``member``, :data:`TEST_PASSWORD`).

    Returns ``(member_id, username)``; ``fields`` go to ``crm.lifecycle.enrol``.
    """
    fields.setdefault("email", f"{name.split()[0].lower()}@contoh.id")
    member_id = active_member(crm, name, **fields)
    username = username or name.split()[0].lower()
    with crm.database.atomic():
        crm.users.add(username, roles=["member"], password=TEST_PASSWORD, member_id=member_id)
    return member_id, username
