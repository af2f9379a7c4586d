"""Employee facts of members (employee number, department, take-home pay) in one query.

They live in the registration plugin's application table
(``acquire.registration``); the payroll deduction list and the reports read
them for every member at once instead of asking member by member.
"""

from __future__ import annotations

from typing import NamedTuple

import attrs

from dyncrm.dates import as_date
from dyncrm.db import prepared
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


def _profiles_sql(stages: int | None) -> str:
    """Members with their application's employee facts (of ``stages`` stages, if given)."""
    from dyncrm_acquire.models import ApplicationRow

    where = f" WHERE m.stage IN ({prepared.marks(stages)})" if stages is not None else ""
    return ("SELECT m.id, m.number, m.name, m.stage, m.joined_on, m.left_on, "
            "a.employee_number, a.department, a.take_home_pay "
            f"FROM {Member._meta.table_name} m LEFT JOIN {ApplicationRow._meta.table_name} a "
            f"ON a.member_id = m.id{where}")


def profiles(*, stages: tuple[str, ...] | None = None) -> dict[int, Profile]:
    """Every member's profile by member id (members without an application too).

    One statement, its text written once per number of stages, read as plain rows
    (dates converted once per distinct value).
    """
    database = Member._meta.database
    params = list(stages) if stages is not None else []
    text = prepared.sql(database, _profiles_sql(len(params) if stages is not None else None))
    dates: dict[object, object] = {None: None}
    out = {}
    for (member_id, number, name, stage, joined_on, left_on, employee_number, department,
         take_home_pay) in database.execute_sql(text, params):
        joined = dates.get(joined_on) if joined_on in dates else dates.setdefault(
            joined_on, as_date(joined_on))
        left = dates.get(left_on) if left_on in dates else dates.setdefault(
            left_on, as_date(left_on))
        out[member_id] = Profile(
            member_id=member_id, number=number, name=name, stage=stage,
            employee_number=employee_number, department=department,
            take_home_pay=int(take_home_pay) if take_home_pay is not None else None,
            joined_on=joined, left_on=left)
    return out


class Employee(NamedTuple):
    """A member as a payroll file names them: by employee number."""

    member_id: int
    number: str | None
    name: str
    stage: str


def employees() -> dict[str, Employee]:
    """``{employee number: Employee}`` of every member whose application gives one (what
    matching a payroll file needs): one statement, read as plain rows."""
    from dyncrm_acquire.models import ApplicationRow

    database = Member._meta.database
    text = prepared.sql(database, (
        "SELECT a.employee_number, m.id, m.number, m.name, m.stage "
        f"FROM {Member._meta.table_name} m JOIN {ApplicationRow._meta.table_name} a "
        "ON a.member_id = m.id WHERE a.employee_number IS NOT NULL "
        "AND a.employee_number <> '' ORDER BY m.id"))
    return {employee_number: Employee(*rest)
            for employee_number, *rest in database.execute_sql(text)}
