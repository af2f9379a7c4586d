"""A member's SHU slips, and where a year's SHU stands, for the portal and the command line.

``own_slip`` is what ``dyncrm shu slip`` allows a member for themself: the
locked (approved or posted) figures of a year, never a draft.  ``latest_slip``
finds the newest such year in which the member shares.  ``year_status`` is what
``dyncrm shu status`` shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dyncrm.errors import NotFoundError

from ..models import ShuApproval, ShuYear
from .calc import MemberShare
from .service import Draft, locked, year_row

if TYPE_CHECKING:
    from dyncrm.app import CRM

LOCKED_STATUSES = ("approved", "posted")


def own_slip(crm: CRM, member_id: int, year: int) -> tuple[Draft, MemberShare]:
    """The locked SHU of ``year`` and ``member_id``'s line in it.

    :raises NotFoundError: when the year is not approved yet or the member does
        not share in it.
    """
    draft = locked(crm, year)
    line = next((m for m in draft.distribution.members if m.member_id == member_id), None)
    if line is None:
        raise NotFoundError("SHU slip of year", year)
    return draft, line


def latest_slip(crm: CRM, member_id: int) -> tuple[Draft, MemberShare] | None:
    """The newest approved or posted year in which ``member_id`` shares, with their line."""
    years = (ShuYear.select(ShuYear.year).where(ShuYear.status.in_(LOCKED_STATUSES))
             .order_by(ShuYear.year.desc()).limit(5))
    for row in years:
        try:
            return own_slip(crm, member_id, row.year)
        except NotFoundError:
            continue
    return None


def year_status(year: int) -> dict[str, Any]:
    """Where ``year``'s SHU stands: status, amount (minor units), who entered and approved.

    Each approval says whether it still ``counts`` (it approved the current figures).
    """
    row = year_row(year)
    approvals = [{"user": a.username, "capacity": a.capacity, "at": a.at,
                  "counts": bool(row and a.digest == row.digest)}
                 for a in ShuApproval.select().where(ShuApproval.year == year)
                 .order_by(ShuApproval.id)]
    return {"year": year, "status": row.status if row else "not entered",
            "amount": row.amount if row else None, "currency": row.currency if row else None,
            "entered_by": row.entered_by if row else "",
            "rat_date": row.rat_date if row else None,
            "posted_on": row.posted_on if row else None, "approvals": approvals}
