"""Importing existing members in bulk: a cooperative's register moved into dyncrm.

:func:`import_members` records many people who are members already (approved by the
board before dyncrm kept the register) with their employee facts, set-based: one
check and one multi-row insert per chunk for the members, their applications
(status ``approved``) and their touchpoints.  Their member numbers are the
cooperative's own.  It does not fire ``dyncrm_acquire_member_joined``, send welcome
messages or create logins — those belong to people joining now; a caller that
needs the savings obligations of joining records them with
:func:`dyncrm_expand.savings.enrolment.open_obligations`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from dyncrm import inputs, text
from dyncrm.db.models import Member
from dyncrm.errors import DuplicateError
from dyncrm.values import Actor
from dyncrm_acquire import validate
from dyncrm_acquire.models import ApplicationRow
from dyncrm_acquire.registration.applications import settings

if TYPE_CHECKING:
    from dyncrm.app import CRM

CHUNK = 500


@attrs.frozen
class MemberImport:
    """One existing member: who they are, where they work, since when they are a member."""

    number: str
    name: str
    nik: str
    joined_on: dt.date
    employee_number: str | None = None
    department: str | None = None
    take_home_pay: int | None = None  # minor units of the organisation's currency
    email: str | None = None
    employment_status: str = "permanent"
    address: str = ""
    phone: str | None = None  # mobile number as ``+628…`` (validate.mobile)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def import_members(crm: CRM, actor: Actor, people: Iterable[MemberImport]) -> list[int]:
    """Record existing members in bulk (``members.decide``); their ids, in order.

    Every field is checked as a typed application's is (NIK shape and birth date,
    e-mail, employee number, a configured department); member numbers, NIKs and
    employee numbers must be new, within the import and in the register.  One
    action, all or nothing.
    """
    rows = list(people)
    conf = settings(crm)
    with crm.action("acquire.import", actor, permission="members.decide"):
        today = crm.today()
        members, applications = [], []
        for p in rows:
            facts = validate.nik(p.nik, on=today)
            members.append({
                "number": inputs.identifier(p.number, field="number", max_length=32),
                "name": text.clean_text(p.name, field="name", min_length=1, max_length=200),
                "email": validate.email(p.email) if p.email else None,
                "phone": validate.mobile(p.phone) if p.phone else None, "stage": "active",
                "preferred_channel": None,
                "marketing_opt_out": False, "joined_on": p.joined_on, "left_on": None,
                "created_at": crm.now()})
            applications.append({
                "status": "approved", "nik": facts.nik,
                "employee_number": (validate.employee_number(p.employee_number)
                                    if p.employee_number else None),
                "department": (validate.department(p.department, conf.departments)
                               if p.department else None),
                "address": p.address, "date_of_birth": facts.birth_date,
                "gender": facts.gender, "employment_status": p.employment_status,
                "employment_start": None, "take_home_pay": p.take_home_pay,
                "referral_code": None, "referrer": None, "promotion": None, "channel": "desk",
                "submitted_by": actor.username, "submitted_at": crm.now(),
                "verified_by": None, "verified_at": None, "decided_by": actor.username,
                "decided_at": crm.now(), "reason": None})
        for field, values in (("number", [m["number"] for m in members]),
                              ("nik", [a["nik"] for a in applications]),
                              ("employee_number", [a["employee_number"] for a in applications
                                                   if a["employee_number"]])):
            if len(set(values)) != len(values):
                raise DuplicateError(f"two members to import share a {field}", field=field)
            column = Member.number if field == "number" else getattr(ApplicationRow, field)
            for part in _chunks(values):
                if column.model.select().where(column.in_(part)).exists():
                    raise DuplicateError(f"a member with one of these {field}s is already "
                                         "registered", field=field)
        _insert(crm, Member, members)
        number_ids: dict[str, int] = {}
        for part in _chunks([m["number"] for m in members]):
            number_ids.update(Member.select(Member.number, Member.id)
                              .where(Member.number.in_(part)).tuples())
        ids = [number_ids[m["number"]] for m in members]
        for member_id, application in zip(ids, applications, strict=True):
            application["member"] = member_id
        _insert(crm, ApplicationRow, applications)
        crm.touch_many(ids, "acquire", "of", "member.imported", actor,
                       [{"number": m["number"]} for m in members])
        return ids


def _insert(crm: CRM, model, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys, by field name) as multi-row statements
    without the query builder (``dyncrm.db.bulk``)."""
    if not rows:
        return
    from dyncrm.db import bulk

    names = list(rows[0])
    columns = [model._meta.fields[n].column_name for n in names]
    bulk.insert_rows(crm.database, model._meta.table_name, columns,
                     bulk.to_db(([row[n] for n in names] for row in rows),
                                bulk.converters(model, columns)))


__all__ = ["MemberImport", "import_members"]
