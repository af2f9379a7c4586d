"""The member register: list members with filters, and show one with every plugin's facts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs
from peewee import JOIN, fn

from dyncrm.dates import as_date as _date
from dyncrm.db.models import Member
from dyncrm.errors import ValidationError
from dyncrm.lifecycle import MEMBER_STAGES
from dyncrm.values import MemberInfo
from dyncrm_acquire.models import ApplicationRow

if TYPE_CHECKING:
    from dyncrm.app import CRM


@attrs.frozen
class MemberListing:
    """One line of the member register."""

    id: int
    number: str | None
    name: str
    stage: str
    department: str | None
    employee_number: str | None
    email: str | None
    mobile: str | None
    joined_on: dt.date | None
    left_on: dt.date | None
    application: str | None


def list_members(crm: CRM, *, stage: str | None = None, department: str | None = None,
                 joined_from: dt.date | None = None, joined_to: dt.date | None = None
                 ) -> list[MemberListing]:
    """Members (and applicants) matching every filter given, in one query.

    ``department`` matches case-insensitively; ``joined_from``/``joined_to``
    are inclusive and leave out those who have not joined.
    """
    if stage is not None and stage not in MEMBER_STAGES.stages:
        raise ValidationError(f"must be one of {', '.join(MEMBER_STAGES.stages)}",
                              field="stage")
    if joined_from and joined_to and joined_from > joined_to:
        raise ValidationError("joined-from is after joined-to", field="joined_from")
    query = (Member.select(Member, ApplicationRow.department, ApplicationRow.employee_number,
                           ApplicationRow.status)
             .join(ApplicationRow, JOIN.LEFT_OUTER,
                   on=(ApplicationRow.member == Member.id))
             .order_by(Member.number.is_null(), Member.number, Member.id))
    if stage is not None:
        query = query.where(Member.stage == stage)
    if department:
        query = query.where(fn.LOWER(ApplicationRow.department) == department.strip().lower())
    if joined_from:
        query = query.where(Member.joined_on >= joined_from)
    if joined_to:
        query = query.where(Member.joined_on <= joined_to)
    rows = []
    for m in query.objects():
        rows.append(MemberListing(
            id=m.id, number=m.number, name=m.name, stage=m.stage, department=m.department,
            employee_number=m.employee_number, email=m.email, mobile=m.phone,
            joined_on=_date(m.joined_on), left_on=_date(m.left_on), application=m.status))
    return rows


def details(crm: CRM, member: MemberInfo) -> dict[str, Any]:
    """Labelled facts about ``member`` from every plugin (``dyncrm_member_details``)."""
    facts: dict[str, Any] = {}
    for contribution in crm.hook.dyncrm_member_details(crm=crm, member=member):
        facts.update(contribution or {})
    return facts


def search_members(crm: CRM, text: str, *, limit: int = 50) -> list[MemberListing]:
    """Members whose name contains ``text`` or whose number, NIK or employee number is it.

    Case-insensitive, in one query; at most ``limit`` rows, by number.  An
    empty ``text`` finds nobody.
    """
    text = (text or "").strip()
    if not text:
        return []
    if len(text) > 100:
        raise ValidationError("is too long", field="q")
    lowered = text.lower()
    query = (Member.select(Member, ApplicationRow.department, ApplicationRow.employee_number,
                           ApplicationRow.status)
             .join(ApplicationRow, JOIN.LEFT_OUTER,
                   on=(ApplicationRow.member == Member.id))
             .where(fn.LOWER(Member.name).contains(lowered)
                    | (fn.LOWER(Member.number) == lowered)
                    | (ApplicationRow.nik == text)
                    | (fn.LOWER(ApplicationRow.employee_number) == lowered))
             .order_by(Member.number.is_null(), Member.number, Member.id)
             .limit(limit))
    return [MemberListing(
        id=m.id, number=m.number, name=m.name, stage=m.stage, department=m.department,
        employee_number=m.employee_number, email=m.email, mobile=m.phone,
        joined_on=_date(m.joined_on), left_on=_date(m.left_on), application=m.status)
        for m in query.objects()]
