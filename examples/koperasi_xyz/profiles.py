"""Employee facts of members (employee number, department, take-home pay) in one query.

They live in the registration plugin's application table
(``acquire.registration``); the payroll deduction list and the reports read
them for every member at once instead of asking member by member.
"""

from __future__ import annotations

import attrs

from dyncrm.db.models import Member


@attrs.frozen
class Profile:
    """What payroll and reports need to know about a member as an employee."""

    member_id: int
    number: str | None
    name: str
    stage: str
    employee_number: str | None
    department: str | None
    take_home_pay: int | None  # minor units, None when unknown
    joined_on: object = None
    left_on: object = None


def profiles(*, stages: tuple[str, ...] | None = None) -> dict[int, Profile]:
    """Every member's profile by member id (members without an application too)."""
    from peewee import JOIN

    from dyncrm_acquire.models import ApplicationRow

    query = (Member.select(Member.id, Member.number, Member.name, Member.stage,
                           Member.joined_on, Member.left_on,
                           ApplicationRow.employee_number, ApplicationRow.department,
                           ApplicationRow.take_home_pay)
             .join(ApplicationRow, JOIN.LEFT_OUTER, on=(ApplicationRow.member == Member.id)))
    if stages is not None:
        query = query.where(Member.stage.in_(list(stages)))
    out = {}
    for row in query.dicts().iterator():
        out[row["id"]] = Profile(
            member_id=row["id"], number=row["number"], name=row["name"], stage=row["stage"],
            employee_number=row["employee_number"], department=row["department"],
            take_home_pay=row["take_home_pay"], joined_on=row["joined_on"],
            left_on=row["left_on"])
    return out
